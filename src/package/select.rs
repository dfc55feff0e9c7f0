//! Which files go into which zip, with v3's semantics: every file under the directory (dot files
//! included), minus the default excludes, then `package.patterns` in order — `!` negates, the
//! last match wins — then the function's own patterns.
//!
//! Symlinks are followed, and the target's content is stored under the link's path, as v3 does
//! (so workspace packages linked from outside the service directory are packaged). A link whose
//! target is missing is an error naming it; a directory link that leads back to one of its own
//! ancestors is not followed again.
//!
//! Except pnpm's: its `node_modules` is a tree of links into `node_modules/.pnpm/`, and Node
//! finds a package's dependencies from the package's real directory. Copies at the links'
//! paths (what v3 stores) cannot find dependencies that are not also top-level, so such zips
//! fail at `require`; sls-rs stores those links as links (Lambda keeps symlinks when it
//! unpacks a zip), with the real files once, at their real paths.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobMatcher};

use crate::error::{Diagnostic, Error, KeyPath, Result};

/// Excluded before any pattern applies (a pattern can include them again).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git/**",
    ".gitignore",
    ".DS_Store",
    "**/.DS_Store",
    "npm-debug.log",
    "yarn-*.log",
    ".serverless/**",
    ".serverless_plugins/**",
];

/// The previous package, moved aside while plugins run (`plugins::lifecycle`), is
/// `<service>/<ASIDE_PREFIX><pid>`: never walked, so no zip holds it whatever the patterns.
pub const ASIDE_PREFIX: &str = ".serverless.aside-";

/// One file found on disk, at `root.join(name)` of its [`Tree`].
#[derive(Debug, Clone)]
pub struct Entry {
    /// The path inside the zip: relative, `/`-separated.
    pub name: String,
    pub size: u64,
    pub executable: bool,
    /// A symbolic link stored as one: its target, relative to the link's directory.
    pub link: Option<String>,
}

/// Every file found below one directory, sorted by name. One tree is walked once and shared by
/// every zip drawn from it ([`Files`] holds indices), so memory does not grow with the number
/// of functions packaged individually.
#[derive(Debug)]
pub struct Tree {
    pub root: PathBuf,
    pub entries: Vec<Entry>,
}

impl Tree {
    /// Where `e` is on disk.
    pub fn path(&self, e: &Entry) -> PathBuf {
        self.root.join(&e.name)
    }
}

/// The files of one zip: a selection from a [`Tree`], in name order.
#[derive(Debug, Clone)]
pub struct Files {
    tree: Arc<Tree>,
    picked: Vec<u32>,
}

impl Files {
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.picked.iter().map(|&i| &self.tree.entries[i as usize])
    }

    pub fn len(&self) -> usize {
        self.picked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.picked.is_empty()
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }
}

/// Every regular file below `root`, sorted by name. Symlinks are followed.
pub fn walk(root: &Path) -> Result<Tree> {
    let mut out = Vec::new();
    let mut ancestors = HashSet::new();
    let real_root = root.canonicalize().ok();
    if let Some(c) = &real_root {
        ancestors.insert(c.clone());
    }
    let mut w = Walk {
        real_root,
        ancestors,
        out: &mut out,
    };
    w.dir(root, "")?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.shrink_to_fit();
    if out.len() > u32::MAX as usize {
        return Err(Error::failed(format!(
            "{} holds more than {} files",
            root.display(),
            u32::MAX
        )));
    }
    Ok(Tree {
        root: root.to_path_buf(),
        entries: out,
    })
}

struct Walk<'a> {
    real_root: Option<PathBuf>,
    ancestors: HashSet<PathBuf>,
    out: &'a mut Vec<Entry>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, prefix: &str) -> Result<()> {
        let rd = std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))?;
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                return Err(Error::config(
                    Diagnostic::error(format!(
                        "`{}` has a name that is not UTF-8, which a zip cannot name as it is",
                        dir.join(e.file_name()).display()
                    ))
                    .hint(
                        "rename the file, or leave it out with a `!` pattern in package.patterns",
                    ),
                ));
            };
            if prefix.is_empty() && name.starts_with(ASIDE_PREFIX) {
                continue;
            }
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let path = e.path();
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(_) => return Err(Error::config(
                    Diagnostic::error(format!(
                        "`{rel}` is a symbolic link to something that does not exist"
                    ))
                    .hint("remove the link or restore its target; sls-rs packages what links point to"),
                )),
            };
            if meta.is_dir() && e.file_type().is_ok_and(|t| t.is_symlink()) {
                if let Some(target) = self.pnpm_link(&path) {
                    self.out.push(Entry {
                        name: rel,
                        size: 0,
                        executable: false,
                        link: Some(target),
                    });
                    continue;
                }
            }
            if meta.is_dir() {
                let canonical = path
                    .canonicalize()
                    .map_err(|e| Error::io("read", &path, e))?;
                if !self.ancestors.insert(canonical.clone()) {
                    continue; // a link back to an ancestor: a cycle
                }
                self.dir(&path, &rel)?;
                self.ancestors.remove(&canonical);
            } else if meta.is_file() {
                #[cfg(unix)]
                let executable = {
                    use std::os::unix::fs::PermissionsExt;
                    meta.permissions().mode() & 0o111 != 0
                };
                #[cfg(not(unix))]
                let executable = false;
                self.out.push(Entry {
                    name: rel,
                    size: meta.len(),
                    executable,
                    link: None,
                });
            }
        }
        Ok(())
    }

    /// For a directory link into a pnpm store inside the walked tree (`…/node_modules/.pnpm/…`),
    /// the target relative to the link's directory.
    fn pnpm_link(&self, link: &Path) -> Option<String> {
        let root = self.real_root.as_ref()?;
        let target = link.canonicalize().ok()?;
        let inside = target.strip_prefix(root).ok()?;
        let comps: Vec<String> = inside
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        let in_store = comps
            .windows(2)
            .any(|w| w[0] == "node_modules" && w[1] == ".pnpm");
        if !in_store {
            return None;
        }
        let from = link.parent()?.canonicalize().ok()?;
        Some(relative(&from, &target))
    }
}

/// The path from directory `from` to `to` (both real): `../../x/y`.
fn relative(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    parts.join("/")
}

/// Stored links whose target is not in the zip are left out: a link that dangles after
/// unzipping is worse than none.
pub fn without_dangling_links(files: Files) -> Files {
    if files.iter().all(|e| e.link.is_none()) {
        return files;
    }
    let mut present: HashSet<&str> = HashSet::new();
    for e in files.iter() {
        present.insert(&e.name);
        let mut end = 0;
        while let Some(i) = e.name[end..].find('/') {
            end += i;
            present.insert(&e.name[..end]);
            end += 1;
        }
    }
    let picked = files
        .picked
        .iter()
        .copied()
        .filter(|&i| {
            let e = &files.tree.entries[i as usize];
            match &e.link {
                None => true,
                Some(target) => {
                    let base = e.name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    normalize(base, target).is_some_and(|t| present.contains(t.as_str()))
                }
            }
        })
        .collect();
    Files {
        tree: files.tree.clone(),
        picked,
    }
}

/// `base/target` with `..` and `.` folded; `None` if it climbs out of the zip.
fn normalize(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// A compiled pattern list: `(negated, matcher)` in order, and the user's patterns as written
/// (for messages).
pub struct Patterns {
    rules: Vec<(bool, GlobMatcher)>,
    pub user: Vec<String>,
}

impl Patterns {
    /// Compiles `patterns`; a malformed one is an error at `path`.
    pub fn new(patterns: &[String], path: &KeyPath) -> Result<Patterns> {
        let mut rules = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let (neg, body) = match p.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, p.as_str()),
            };
            let body = body.trim_start_matches("./");
            let glob = Glob::new(body).map_err(|e| {
                Error::config(
                    Diagnostic::error(format!("`{p}` is not a valid glob pattern: {e}"))
                        .at(&path.index(i))
                        .hint(
                            "patterns use *, ** and {a,b}; quote patterns that start with ! or *",
                        ),
                )
            })?;
            rules.push((neg, glob.compile_matcher()));
        }
        Ok(Patterns {
            rules,
            user: patterns.to_vec(),
        })
    }

    /// The defaults as negations, then `extra` in order.
    pub fn with_defaults(
        extra: &[String],
        excluded: &[String],
        path: &KeyPath,
    ) -> Result<Patterns> {
        let mut all: Vec<String> = DEFAULT_EXCLUDES.iter().map(|p| format!("!{p}")).collect();
        all.extend(excluded.iter().map(|p| format!("!{p}")));
        let mut p = Patterns::new(&all, &KeyPath::root())?;
        let user = Patterns::new(extra, path)?;
        p.rules.extend(user.rules);
        p.user = user.user;
        Ok(p)
    }

    /// Applies the rules in order, starting from `included`.
    pub fn decide(&self, name: &str, mut included: bool) -> bool {
        for (neg, m) in &self.rules {
            if m.is_match(name) {
                included = !neg;
            }
        }
        included
    }
}

/// The entries of `tree` that `patterns` keep and `keep` agrees to.
pub fn select(tree: &Arc<Tree>, patterns: &Patterns, keep: impl Fn(&Entry) -> bool) -> Files {
    let picked = tree
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| patterns.decide(&e.name, true) && keep(e))
        .map(|(i, _)| i as u32)
        .collect();
    Files {
        tree: tree.clone(),
        picked,
    }
}
