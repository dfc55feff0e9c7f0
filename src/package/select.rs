//! Which files go into which zip, with v3's semantics: every file under the directory (dot files
//! included), minus the default excludes, then `package.patterns` in order — `!` negates, the
//! last match wins — then the function's own patterns.
//!
//! Symlinks are followed, and the target's content is stored under the link's path, as v3 does
//! (so workspace packages linked from outside the service directory are packaged). A link whose
//! target is missing is an error naming it; a directory link that leads back to one of its own
//! ancestors is not followed again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

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

/// One file found on disk.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The path inside the zip: relative, `/`-separated.
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub executable: bool,
}

/// Every regular file below `root`, sorted by name. Symlinks are followed.
pub fn walk(root: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut ancestors = HashSet::new();
    if let Ok(c) = root.canonicalize() {
        ancestors.insert(c);
    }
    walk_dir(root, "", &mut ancestors, &mut out)?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn walk_dir(
    dir: &Path,
    prefix: &str,
    ancestors: &mut HashSet<PathBuf>,
    out: &mut Vec<Entry>,
) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))?;
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
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
        if meta.is_dir() {
            let canonical = path
                .canonicalize()
                .map_err(|e| Error::io("read", &path, e))?;
            if !ancestors.insert(canonical.clone()) {
                continue; // a link back to an ancestor: a cycle
            }
            walk_dir(&path, &rel, ancestors, out)?;
            ancestors.remove(&canonical);
        } else if meta.is_file() {
            #[cfg(unix)]
            let executable = {
                use std::os::unix::fs::PermissionsExt;
                meta.permissions().mode() & 0o111 != 0
            };
            #[cfg(not(unix))]
            let executable = false;
            out.push(Entry {
                name: rel,
                path,
                size: meta.len(),
                executable,
            });
        }
    }
    Ok(())
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

/// The entries `patterns` keep.
pub fn select(entries: &[Entry], patterns: &Patterns) -> Vec<Entry> {
    entries
        .iter()
        .filter(|e| patterns.decide(&e.name, true))
        .cloned()
        .collect()
}
