//! The third stage: files on disk → deterministic zips, and the package directory v3 lays out
//! (`.serverless/`: both templates, `serverless-state.json`, the zips).
//!
//! [`specs`] decides what goes in each zip (pure apart from reading the directory tree);
//! [`build`] compresses; [`write_package`] writes a staging directory and swaps it in, so a
//! failure leaves the previous package untouched.

pub mod archive;
pub mod images;
pub mod node_modules;
pub mod prepared;
pub mod select;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::error::{Diagnostic, Error, KeyPath, Result};
use crate::manifest::Service;
use crate::plan::{Artifact, Artifacts, Plan};
use crate::progress::Progress;
use select::{Files, Patterns};

/// Lambda's limit on a function's code and layers, unzipped.
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;

pub const CREATE_TEMPLATE: &str = "cloudformation-template-create-stack.json";
pub const UPDATE_TEMPLATE: &str = "cloudformation-template-update-stack.json";
pub const STATE_FILE: &str = "serverless-state.json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Service,
    Function(String),
    Layer(String),
}

#[derive(Debug, Clone)]
pub enum Source {
    Files(Files),
    /// `package.artifact`: a zip the user built.
    Prebuilt(PathBuf),
}

/// One zip to build.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file name: `<service>.zip`, `<function>.zip`, `<layer>.zip`.
    pub name: String,
    pub owner: Owner,
    pub source: Source,
}

impl Spec {
    pub fn unzipped_size(&self) -> u64 {
        match &self.source {
            Source::Files(f) => f.iter().map(|e| e.size).sum(),
            Source::Prebuilt(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        }
    }

    pub fn file_count(&self) -> usize {
        match &self.source {
            Source::Files(f) => f.len(),
            Source::Prebuilt(_) => 1,
        }
    }
}

/// A zip that was built, and where its bytes are.
#[derive(Debug, Clone)]
pub struct Built {
    pub spec: Spec,
    pub artifact: Artifact,
    /// On disk when packaging; `None` for a dry run.
    pub path: Option<PathBuf>,
}

/// Decides every zip of the service. `output` is excluded when it lies inside the service.
pub fn specs(service: &Service, output: Option<&Path>) -> Result<Vec<Spec>> {
    let mut excluded: Vec<String> = vec![service.config_file.clone()];
    for layer in service.layers.values() {
        if let Some(p) = &layer.path {
            excluded.push(format!(
                "{}/**",
                p.trim_matches('/').trim_start_matches("./")
            ));
        }
    }
    if let Some(out) = output {
        if let (Ok(o), Ok(d)) = (out.canonicalize(), service.dir.canonicalize()) {
            if let Ok(rel) = o.strip_prefix(&d) {
                if !rel.as_os_str().is_empty() {
                    excluded.push(format!("{}/**", rel.to_string_lossy()));
                }
            }
        }
    }
    // The service directory is walked only when a zip is made from its files: a plugin that
    // built every artifact (serverless-esbuild sets `package.artifact`) leaves it unread, as v3
    // does. v3 applies the dev-dependency exclusion after every pattern: a pattern cannot bring
    // a dev-only package back.
    let mut tree: Option<(Arc<select::Tree>, node_modules::DevOnly)> = None;
    let mut choose = |p: &Patterns| -> Result<Files> {
        let (all, dev) = match &mut tree {
            Some(t) => t,
            None => {
                refuse_hoisted_dependencies(service)?;
                let all = Arc::new(select::walk(&service.dir)?);
                let dev = if service.package.exclude_dev_dependencies {
                    node_modules::dev_only(&service.dir, &all.entries)
                } else {
                    node_modules::DevOnly::default()
                };
                tree.insert((all, dev))
            }
        };
        Ok(select::without_dangling_links(select::select(
            all,
            p,
            |e| !dev.excludes(&e.name),
        )))
    };
    let pkg_path = KeyPath::root().key("package").key("patterns");
    let mut out = Vec::new();
    let mut shared_users = Vec::new();
    for f in service.functions.values() {
        if f.image.is_some() {
            continue;
        }
        let fpath = KeyPath::root()
            .key("functions")
            .key(f.key.clone())
            .key("package");
        if let Some(a) = &f.package.artifact {
            out.push(Spec {
                name: file_name(a),
                owner: Owner::Function(f.key.clone()),
                source: Source::Prebuilt(prebuilt(service, a, &fpath.key("artifact"))?),
            });
            continue;
        }
        if f.package
            .individually
            .unwrap_or(service.package.individually)
        {
            let mut patterns = service.package.patterns.clone();
            patterns.extend(f.package.patterns.iter().cloned());
            let p = Patterns::with_defaults(&patterns, &excluded, &fpath.key("patterns"))?;
            let entries = choose(&p)?;
            if entries.is_empty() {
                return Err(no_files(
                    &format!("function `{}`", f.key),
                    &p,
                    &fpath.key("patterns"),
                ));
            }
            out.push(Spec {
                name: format!("{}.zip", f.key),
                owner: Owner::Function(f.key.clone()),
                source: Source::Files(entries),
            });
        } else {
            shared_users.push(f.key.clone());
        }
    }
    if !shared_users.is_empty() {
        if let Some(a) = &service.package.artifact {
            out.insert(
                0,
                Spec {
                    name: file_name(a),
                    owner: Owner::Service,
                    source: Source::Prebuilt(prebuilt(
                        service,
                        a,
                        &KeyPath::root().key("package").key("artifact"),
                    )?),
                },
            );
        } else {
            let p = Patterns::with_defaults(&service.package.patterns, &excluded, &pkg_path)?;
            let entries = choose(&p)?;
            if entries.is_empty() {
                return Err(no_files("the service", &p, &pkg_path));
            }
            out.insert(
                0,
                Spec {
                    name: format!("{}.zip", service.name),
                    owner: Owner::Service,
                    source: Source::Files(entries),
                },
            );
        }
    }
    for layer in service.layers.values() {
        let lp = KeyPath::root().key("layers").key(layer.key.clone());
        if let Some(a) = &layer.package.artifact {
            out.push(Spec {
                name: file_name(a),
                owner: Owner::Layer(layer.key.clone()),
                source: Source::Prebuilt(prebuilt(service, a, &lp.key("package").key("artifact"))?),
            });
            continue;
        }
        let Some(path) = &layer.path else { continue };
        let root = service.dir.join(path);
        if !root.is_dir() {
            return Err(Error::config(
                Diagnostic::error(format!(
                    "layer `{}` names directory `{path}`, which does not exist",
                    layer.key
                ))
                .at(&lp.key("path"))
                .hint("`path` is relative to the service directory"),
            ));
        }
        let p = Patterns::with_defaults(
            &layer.package.patterns,
            &[],
            &lp.key("package").key("patterns"),
        )?;
        let tree = Arc::new(select::walk(&root)?);
        let entries = select::without_dangling_links(select::select(&tree, &p, |_| true));
        if entries.is_empty() {
            return Err(no_files(
                &format!("layer `{}`", layer.key),
                &p,
                &lp.key("path"),
            ));
        }
        out.push(Spec {
            name: format!("{}.zip", layer.key),
            owner: Owner::Layer(layer.key.clone()),
            source: Source::Files(entries),
        });
    }
    check_sizes(service, &out)?;
    check_typescript_handlers(service, &out)?;
    Ok(out)
}

/// A Node.js function whose zip holds its handler only as TypeScript cannot start: Lambda loads
/// `.js`, `.mjs` and `.cjs`. v3 packages it anyway; sls-rs says what is missing.
fn check_typescript_handlers(service: &Service, specs: &[Spec]) -> Result<()> {
    let find = |owner: &Owner| specs.iter().find(|s| &s.owner == owner);
    let mut diags = Vec::new();
    for f in service.functions.values() {
        let (Some(handler), Some(runtime)) = (&f.handler, &f.runtime) else {
            continue;
        };
        if !runtime.starts_with("nodejs") {
            continue;
        }
        let Some(Spec {
            source: Source::Files(entries),
            ..
        }) = find(&Owner::Function(f.key.clone())).or_else(|| find(&Owner::Service))
        else {
            continue;
        };
        let Some((module, _)) = handler.rsplit_once('.') else {
            continue;
        };
        let has = |ext: &str| entries.iter().any(|e| e.name == format!("{module}.{ext}"));
        if ["js", "mjs", "cjs"].iter().any(|e| has(e)) {
            continue;
        }
        if let Some(ts) = ["ts", "mts", "cts"].iter().find(|e| has(e)) {
            diags.push(
                Diagnostic::error(format!(
                    "handler `{handler}` is TypeScript ({module}.{ts}), which Lambda's {runtime} runtime cannot load, and no plugin built it"
                ))
                .at(&KeyPath::root().key("functions").key(f.key.clone()).key("handler"))
                .hint("add a bundling plugin (`plugins: [serverless-esbuild]`, installed with npm), or compile to JavaScript before packaging"),
            );
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(diags))
    }
}

/// A service inside a workspace whose dependencies were hoisted to the repository root: v3
/// packages it without them; sls-rs says why the zip would not run.
fn refuse_hoisted_dependencies(service: &Service) -> Result<()> {
    let hoisted = node_modules::hoisted_above(&service.dir);
    let Some((_, first)) = hoisted.first() else {
        return Ok(());
    };
    let names = hoisted
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let root = first
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "node_modules"))
        .unwrap_or(first);
    Err(Error::failed_with_hint(
        format!(
            "package.json's dependencies {names} are installed in {}, outside the service directory (a workspace hoisted them), so the zip would not contain them and the function would fail at `require`",
            root.display()
        ),
        "install the service's dependencies inside its directory (npm: `npm install --no-workspaces` there; pnpm: `pnpm deploy`), or bundle the handler",
    ))
}

/// The zip's name in the package and in S3: the artifact path's last part.
pub fn file_name(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| p.to_string())
}

fn prebuilt(service: &Service, artifact: &str, path: &KeyPath) -> Result<PathBuf> {
    let p = service.dir.join(artifact);
    if !p.is_file() {
        return Err(Error::config(
            Diagnostic::error(format!("artifact `{artifact}` does not exist"))
                .at(path)
                .hint("build the zip first, or fix the path (relative to the service directory)"),
        ));
    }
    Ok(p)
}

fn no_files(what: &str, p: &Patterns, path: &KeyPath) -> Error {
    let patterns = if p.user.is_empty() {
        "the default excludes".to_string()
    } else {
        p.user
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Error::config(
        Diagnostic::error(format!(
            "no files to package for {what}: the patterns {patterns} exclude everything"
        ))
        .at(path)
        .hint("add a pattern that includes the handler's file, e.g. `- 'src/**'`"),
    )
}

/// Lambda refuses a function whose code and layers exceed 250 MB unzipped: say so now, naming
/// the largest directories.
fn check_sizes(service: &Service, specs: &[Spec]) -> Result<()> {
    let find = |owner: &Owner| specs.iter().find(|s| &s.owner == owner);
    let mut diags = Vec::new();
    for f in service.functions.values() {
        let Some(code) = find(&Owner::Function(f.key.clone())).or_else(|| find(&Owner::Service))
        else {
            continue;
        };
        let mut parts: Vec<&Spec> = vec![code];
        for l in f.layers.iter().flatten().chain(if f.layers.is_none() {
            service.provider.layers.iter()
        } else {
            [].iter()
        }) {
            if let Some(Value::String(id)) = l.get("Ref") {
                if let Some((key, _)) = service
                    .layers
                    .iter()
                    .find(|(k, _)| crate::naming::layer_logical_id(k) == *id)
                {
                    if let Some(s) = find(&Owner::Layer(key.clone())) {
                        parts.push(s);
                    }
                }
            }
        }
        let total: u64 = parts.iter().map(|s| s.unzipped_size()).sum();
        if total > MAX_UNZIPPED_BYTES {
            let mut dirs: BTreeMap<String, u64> = BTreeMap::new();
            for s in &parts {
                if let Source::Files(entries) = &s.source {
                    for e in entries.iter() {
                        let top = match e.name.split('/').collect::<Vec<_>>().as_slice() {
                            ["node_modules", scope, pkg, ..] if scope.starts_with('@') => {
                                format!("node_modules/{scope}/{pkg}")
                            }
                            ["node_modules", pkg, ..] => format!("node_modules/{pkg}"),
                            [dir, _, ..] => dir.to_string(),
                            [file] => file.to_string(),
                            [] => String::new(),
                        };
                        *dirs.entry(format!("{}:{top}", s.name)).or_default() += e.size;
                    }
                }
            }
            let mut largest: Vec<_> = dirs.into_iter().collect();
            largest.sort_by_key(|x| std::cmp::Reverse(x.1));
            let list = largest
                .iter()
                .take(5)
                .map(|(d, n)| format!("{d} ({})", mb(*n)))
                .collect::<Vec<_>>()
                .join(", ");
            diags.push(
                Diagnostic::error(format!("function `{}` is {} unzipped with its layers; Lambda allows {} (largest: {list})", f.key, mb(total), mb(MAX_UNZIPPED_BYTES)))
                    .at(&KeyPath::root().key("functions").key(f.key.clone()))
                    .hint("exclude what the function does not need with package.patterns, move dependencies into a layer, or use a container image"),
            );
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(diags))
    }
}

pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Builds every zip, in parallel, into `dest` (or in memory for a dry run).
pub fn build(specs: &[Spec], dest: Option<&Path>, progress: &Progress) -> Result<Vec<Built>> {
    progress.start(specs.len() as u64, "packaging");
    let built: Vec<Result<Built>> = specs
        .par_iter()
        .map(|spec| {
            let r = build_one(spec, dest);
            progress.inc(&spec.name);
            r
        })
        .collect();
    progress.finish();
    built.into_iter().collect()
}

/// Builds one zip into `dest` (or only hashes it, for a dry run).
pub fn build_one(spec: &Spec, dest: Option<&Path>) -> Result<Built> {
    let what = spec.name.as_str();
    let (artifact_hash, size, path) = match (&spec.source, dest) {
        (Source::Prebuilt(p), Some(dir)) => {
            let target = dir.join(&spec.name);
            std::fs::copy(p, &target).map_err(|e| Error::io("copy", p, e))?;
            let (hash, size) = archive::hash_file(&target)?;
            (hash, size, Some(target))
        }
        (Source::Prebuilt(p), None) => {
            let (hash, size) = archive::hash_file(p)?;
            (hash, size, None)
        }
        (Source::Files(files), Some(dir)) => {
            let target = dir.join(&spec.name);
            let file =
                std::fs::File::create(&target).map_err(|e| Error::io("create", &target, e))?;
            let w = archive::write(files, std::io::BufWriter::new(file), what)?;
            (w.sha256, w.size, Some(target))
        }
        (Source::Files(files), None) => {
            let w = archive::write(files, std::io::sink(), what)?;
            (w.sha256, w.size, None)
        }
    };
    let (sha256, sha256_hex) = artifact_hash;
    Ok(Built {
        spec: spec.clone(),
        artifact: Artifact {
            name: spec.name.clone(),
            sha256,
            sha256_hex,
            size,
        },
        path,
    })
}

/// The artifacts by owner, as the planner wants them.
/// The artifacts of a package of which only `built` was zipped: the others carry their file
/// names and no hash, which is enough to compile what does not depend on code (a function's
/// configuration), never a deployable template.
pub fn artifacts_named(specs: &[Spec], built: &Built) -> Artifacts {
    let unbuilt: Vec<Built> = specs
        .iter()
        .map(|spec| {
            if spec.owner == built.spec.owner {
                return built.clone();
            }
            Built {
                spec: spec.clone(),
                artifact: Artifact {
                    name: spec.name.clone(),
                    sha256: String::new(),
                    sha256_hex: String::new(),
                    size: 0,
                },
                path: None,
            }
        })
        .collect();
    artifacts(&unbuilt)
}

pub fn artifacts(built: &[Built]) -> Artifacts {
    let mut a = Artifacts::default();
    for b in built {
        match &b.spec.owner {
            Owner::Service => a.service = Some(b.artifact.clone()),
            Owner::Function(k) => {
                a.functions.insert(k.clone(), b.artifact.clone());
            }
            Owner::Layer(k) => {
                a.layers.insert(k.clone(), b.artifact.clone());
            }
        }
    }
    a
}

/// `service`, `function:<key>`, `layer:<key>`: an artifact's owner in `serverless-state.json`.
pub fn owner_name(owner: &Owner) -> String {
    match owner {
        Owner::Service => "service".into(),
        Owner::Function(k) => format!("function:{k}"),
        Owner::Layer(k) => format!("layer:{k}"),
    }
}

pub fn owner_from_name(name: &str) -> Option<Owner> {
    match name.split_once(':') {
        None if name == "service" => Some(Owner::Service),
        Some(("function", k)) => Some(Owner::Function(k.to_string())),
        Some(("layer", k)) => Some(Owner::Layer(k.to_string())),
        _ => None,
    }
}

/// The settings that decide what goes into the zips, by key path, as resolved for the stage:
/// the packaging settings, each function's handler, runtime, packaging and image, each layer's
/// path and packaging. Two stages whose settings are equal package the same zips from the same
/// files, so one stage's package deploys to the other.
pub fn code_settings(service: &Service) -> Value {
    let mut out = serde_json::Map::new();
    let p = &service.package;
    out.insert("package.patterns".into(), json!(p.patterns));
    out.insert("package.individually".into(), json!(p.individually));
    out.insert("package.artifact".into(), json!(p.artifact));
    out.insert(
        "package.excludeDevDependencies".into(),
        json!(p.exclude_dev_dependencies),
    );
    for f in service.functions.values() {
        let at = |k: &str| format!("functions.{}.{k}", f.key);
        out.insert(at("handler"), json!(f.handler));
        out.insert(at("runtime"), json!(f.runtime));
        out.insert(at("package.patterns"), json!(f.package.patterns));
        out.insert(at("package.individually"), json!(f.package.individually));
        out.insert(at("package.artifact"), json!(f.package.artifact));
        let image = f.image.as_ref().map(|i| match &i.source {
            crate::manifest::service::ImageSource::Uri(v) => v.clone(),
            crate::manifest::service::ImageSource::Named(n) => json!({ "name": n }),
        });
        out.insert(at("image"), json!(image));
    }
    for l in service.layers.values() {
        let at = |k: &str| format!("layers.{}.{k}", l.key);
        out.insert(at("path"), json!(l.path));
        out.insert(at("package.patterns"), json!(l.package.patterns));
        out.insert(at("package.artifact"), json!(l.package.artifact));
    }
    Value::Object(out)
}

/// `serverless-state.json`: what was packaged, in the parts of v3's shape tools read, plus the
/// hashes the deployer compares.
pub fn state(service: &Service, plan: &Plan, built: &[Built]) -> Value {
    let functions: serde_json::Map<String, Value> = service
        .functions
        .values()
        .map(|f| {
            let artifact = built.iter().find(|b| b.spec.owner == Owner::Function(f.key.clone())).map(|b| b.artifact.name.clone());
            (f.key.clone(), json!({ "name": f.name, "handler": f.handler, "package": { "artifact": artifact } }))
        })
        .collect();
    let service_artifact = built
        .iter()
        .find(|b| b.spec.owner == Owner::Service)
        .map(|b| b.artifact.name.clone());
    json!({
        "service": {
            "service": service.name,
            "provider": { "name": "aws", "stage": service.stage, "region": service.region, "stackName": service.stack_name() },
            "functions": functions,
        },
        "package": {
            "artifactDirectoryName": plan.directory,
            "artifact": service_artifact,
        },
        "artifacts": built.iter().map(|b| json!({ "name": b.artifact.name, "sha256": b.artifact.sha256_hex, "size": b.artifact.size, "owner": owner_name(&b.spec.owner) })).collect::<Vec<_>>(),
        // What decided the zips' contents, so the package can be deployed to another stage
        // whose configuration decides the same (`prepared::read`).
        "code": code_settings(service),
        "generator": format!("sls-rs {}", env!("CARGO_PKG_VERSION")),
    })
}

/// Writes the templates and state into `staging` (which already holds the zips), then replaces
/// `out` with it. Until the final rename, `out` is untouched.
pub fn write_package(
    staging: tempfile::TempDir,
    out: &Path,
    plan: &Plan,
    state: &Value,
) -> Result<()> {
    let dir = staging.path();
    let write = |name: &str, v: &Value| {
        let p = dir.join(name);
        std::fs::write(&p, crate::plan::render(v)).map_err(|e| Error::io("write", &p, e))
    };
    if let Some(create) = &plan.create {
        write(CREATE_TEMPLATE, create)?;
    }
    write(UPDATE_TEMPLATE, &plan.update)?;
    for n in &plan.nested {
        write(&n.file, &n.template)?;
    }
    write(STATE_FILE, state)?;
    let old = out.with_file_name(format!(
        ".{}.old-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    if out.exists() {
        std::fs::rename(out, &old).map_err(|e| Error::io("move aside", out, e))?;
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, out) {
        // Put the previous package back.
        let _ = std::fs::rename(&old, out);
        let _ = std::fs::remove_dir_all(&staged);
        return Err(Error::io("replace", out, e));
    }
    if old.exists() {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// A staging directory beside `out`, on the same filesystem so the final rename is atomic.
pub fn staging_dir(out: &Path) -> Result<tempfile::TempDir> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    tempfile::Builder::new()
        .prefix(".sls-rs-staging-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("create a staging directory in", parent, e))
}
