//! The first stage: `serverless.yml` on disk → a resolved, validated [`Service`].
//!
//! `load` reads the file (and the files its `${file(…)}` variables name), resolves variables
//! and validates. Every diagnostic carries the file and the key path; before they leave this
//! module the YAML positions are filled in, so rendering needs nothing but the diagnostic.

pub mod checker;
pub mod defaults;
pub(crate) mod js;
pub mod js_config;
pub mod not_yet;
pub mod runtimes;
pub mod service;
pub mod validate;
pub mod variables;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use service::Service;
pub use variables::{Context, PluginSource, RemoteSource};

use crate::error::{Diagnostic, Error, KeyPath, Result};

/// The file names looked for, in order, when `--config` is not given.
pub const CONFIG_NAMES: &[&str] = &["serverless.yml", "serverless.yaml", "serverless.json"];

/// What the command line and the environment contribute to a load.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Every option, including custom ones, for `${opt:…}`.
    pub options: BTreeMap<String, Value>,
    pub params: BTreeMap<String, String>,
    pub env: HashMap<String, String>,
    pub instance_id: String,
    /// `YYYY-MM-DD` for runtime lifecycle checks (`clock::today`).
    pub today: String,
}

impl Options {
    fn get_string(&self, key: &str) -> Option<String> {
        self.options.get(key).map(variables::stringify)
    }
}

/// A loaded service, with the resolved configuration (for `print`) and the warnings to show.
pub struct Loaded {
    pub service: Service,
    /// The configuration text and its name in messages, to place later stages' diagnostics.
    pub source: String,
    pub shown: PathBuf,
    pub resolved: Value,
    pub warnings: Vec<Diagnostic>,
    /// Unknown top-level and function properties of a service with plugins, which the plugins
    /// may define ([`crate::plugins::Host::undefined`] keeps those they do not).
    pub plugin_properties: Vec<Diagnostic>,
    pub config_path: PathBuf,
    /// Key paths whose values wait for the plugins' variable sources (`${construct:…}`):
    /// left as written until the plugins are loaded ([`load`] again with them).
    pub pending: Vec<KeyPath>,
    /// The directory, file name and options the configuration was validated with, to validate
    /// again what plugins change ([`Loaded::revalidate`]).
    dir: PathBuf,
    config_file: String,
    opts: Options,
}

/// `--config` if given, else the first of [`CONFIG_NAMES`] in `dir`.
pub fn find_config(dir: &Path, explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        };
        if !p.is_file() {
            return Err(Error::Usage(format!(
                "config file {} does not exist",
                p.display()
            )));
        }
        return Ok(p);
    }
    for name in CONFIG_NAMES {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    // JavaScript and TypeScript configurations, evaluated with Node.js.
    for name in js_config::NAMES {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::failed_with_hint(
        format!(
            "no serverless.yml, serverless.yaml, serverless.json, .ts or .js in {}",
            dir.display()
        ),
        "run sls-rs in the service directory, or name the file with --config",
    ))
}

/// A configuration Node.js evaluates (`serverless.ts`, `.js`, `.cjs`, `.mjs`).
fn is_js_config(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ts" | "js" | "cjs" | "mjs" | "mts" | "cts")
    )
}

/// Reads, resolves and validates the configuration at `path`. With `plugins` (the loaded
/// plugins' variable sources) every variable resolves; without, a service that lists plugins
/// leaves the values of sources sls-rs does not know pending ([`Loaded::pending`]).
pub fn load(
    path: &Path,
    opts: &Options,
    remote: Option<Box<dyn RemoteSource>>,
    plugins: Option<&mut dyn PluginSource>,
) -> Result<Loaded> {
    let shown = display_name(path);
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    if meta.len() > crate::yaml::MAX_FILE_BYTES {
        return Err(Error::config(
            Diagnostic::error(format!(
                "the configuration is {} bytes, more than the {} sls-rs reads",
                meta.len(),
                crate::yaml::MAX_FILE_BYTES
            ))
            .in_file(&shown)
            .hint("a serverless.yml is a few kilobytes; move data into files the functions read"),
        ));
    }
    let text = if is_js_config(path) {
        let options = Value::Object(
            opts.options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        js_config::evaluate(path, &options)?
    } else {
        std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?
    };
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let config_file = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    load_str(&text, &dir, &config_file, &shown, opts, remote, plugins).map(|mut l| {
        l.config_path = path.to_path_buf();
        l
    })
}

/// The same as [`load`] for text already in memory (`dir` is where relative files are found).
pub fn load_str(
    text: &str,
    dir: &Path,
    config_file: &str,
    shown: &Path,
    opts: &Options,
    remote: Option<Box<dyn RemoteSource>>,
    plugins: Option<&mut dyn PluginSource>,
) -> Result<Loaded> {
    let raw = crate::yaml::parse(text).map_err(|d| Error::config(d.in_file(shown)))?;
    let lists_plugins = match &raw["plugins"] {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => m
            .get("modules")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty()),
        _ => false,
    };
    let plugins = match plugins {
        Some(p) => variables::Plugins::Loaded(p),
        None if lists_plugins => variables::Plugins::Defer,
        None => variables::Plugins::None,
    };
    let mut env = opts.env.clone();
    if raw.get("useDotenv") == Some(&Value::Bool(true)) {
        load_dotenv(&raw, dir, opts, &mut env).map_err(|d| Error::config(d.in_file(shown)))?;
    }
    let ctx = Context {
        dir: dir.to_path_buf(),
        options: opts.options.clone(),
        env,
        params: opts.params.clone(),
        instance_id: opts.instance_id.clone(),
        remote,
    };
    let variables::Resolved { value, pending } = variables::resolve_with(raw, &ctx, plugins)
        .map_err(|ds| Error::Config(locate_all(text, shown, ds)))?;
    refuse_pending_where_needed(&pending)
        .map_err(|ds| Error::Config(locate_all(text, shown, ds)))?;
    validated(text, dir, config_file, shown, opts, value, pending)
}

/// Values v3 needs before it loads plugins, which so cannot come from their sources.
const BEFORE_PLUGINS: &[&str] = &[
    "service",
    "plugins",
    "frameworkVersion",
    "configValidationMode",
    "useDotenv",
    "variablesResolutionMode",
    "provider.name",
    "provider.stage",
    "provider.region",
    "provider.profile",
    "provider.credentials",
];

fn refuse_pending_where_needed(pending: &[KeyPath]) -> std::result::Result<(), Vec<Diagnostic>> {
    let before: Vec<KeyPath> = BEFORE_PLUGINS
        .iter()
        .map(|p| KeyPath::parse_dotted(p))
        .collect();
    let errors: Vec<Diagnostic> = pending
        .iter()
        .filter_map(|p| {
            let needed = before.iter().find(|b| p.0.starts_with(&b.0))?;
            Some(
                Diagnostic::error(format!(
                    "`{needed}` takes a value from a source sls-rs does not know, which only a plugin could declare, and it is needed before plugins load"
                ))
                .at(p)
                .hint("give it literally or through ${self:…}, ${opt:…}, ${env:…}, ${file(…)}, ${param:…} or ${ssm:…}"),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Validates a resolved configuration. Diagnostics about values still pending are left for
/// when they are known.
fn validated(
    text: &str,
    dir: &Path,
    config_file: &str,
    shown: &Path,
    opts: &Options,
    resolved: Value,
    pending: Vec<KeyPath>,
) -> Result<Loaded> {
    let mode = resolved.get("configValidationMode").and_then(Value::as_str);
    let strict = mode == Some("error");
    let mut checker = checker::Checker::new(strict, opts.today.clone());
    checker.quiet_unknown = mode == Some("off");
    let inputs = validate::Inputs {
        dir,
        config_file,
        stage_option: opts.get_string("stage"),
        region_option: opts.get_string("region"),
        env: &opts.env,
    };
    let service = validate::validate(&resolved, &inputs, &mut checker);
    let waits = |d: &Diagnostic| {
        d.path
            .as_ref()
            .is_some_and(|p| pending.iter().any(|w| p.0.starts_with(&w.0)))
    };
    checker.diags.retain(|d| !waits(d));
    let diags: Vec<Diagnostic> = locate_all(text, shown, checker.diags);
    let plugin_properties = locate_all(text, shown, checker.deferred);
    match service {
        Some(service) if !diags.iter().any(Diagnostic::is_error) => Ok(Loaded {
            service,
            source: text.to_string(),
            shown: shown.to_path_buf(),
            resolved,
            warnings: diags,
            plugin_properties,
            config_path: dir.join(config_file),
            pending,
            dir: dir.to_path_buf(),
            config_file: config_file.to_string(),
            opts: opts.clone(),
        }),
        _ => Err(Error::Config(diags)),
    }
}

/// `useDotenv: true`: `.env.<stage>` and `.env` from the service directory, as v3 reads them.
/// Variables already in the environment win; `.env.<stage>` wins over `.env`.
fn load_dotenv(
    raw: &Value,
    dir: &Path,
    opts: &Options,
    env: &mut HashMap<String, String>,
) -> std::result::Result<(), Diagnostic> {
    let stage = defaults::stage(
        opts.get_string("stage"),
        raw["provider"]["stage"]
            .as_str()
            .filter(|s| !s.contains("${"))
            .map(String::from),
    );
    for name in [format!(".env.{stage}"), ".env".to_string()] {
        let path = dir.join(&name);
        if !path.is_file() {
            continue;
        }
        let iter = dotenvy::from_path_iter(&path).map_err(|e| {
            Diagnostic::error(format!("could not read {name}: {e}"))
                .hint("check the file's syntax: one NAME=value per line")
        })?;
        for item in iter {
            let (k, v) = item.map_err(|e| {
                Diagnostic::error(format!("{name} is not a valid .env file: {e}"))
                    .hint("one NAME=value per line; quote values with spaces")
            })?;
            env.entry(k).or_insert(v);
        }
    }
    Ok(())
}

impl Loaded {
    /// The service again from `resolved`, a configuration plugins changed (serverless-lift
    /// turns the values of its `${construct:…}` into `Ref`s at `initialize`): validated like
    /// the user's own.
    pub fn revalidate(&self, resolved: Value) -> Result<Loaded> {
        validated(
            &self.source,
            &self.dir,
            &self.config_file,
            &self.shown,
            &self.opts,
            resolved,
            Vec::new(),
        )
        .map(|mut l| {
            l.config_path = self.config_path.clone();
            l
        })
    }

    /// Gives the configuration errors of later stages (planner, packager) the file, line and
    /// column their key paths point at.
    pub fn locate(&self, e: Error) -> Error {
        match e {
            Error::Config(ds) => Error::Config(locate_all(&self.source, &self.shown, ds)),
            other => other,
        }
    }
}

/// Gives diagnostics about `text` (shown as `shown`) their file, and the line and column their
/// key paths point at. The text is parsed for positions once, and only if a diagnostic has a
/// key path: the happy path never pays for it.
pub fn locate_all(text: &str, shown: &Path, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let positions = diags
        .iter()
        .any(|d| d.path.is_some())
        .then(|| crate::yaml::Positions::of(text));
    diags
        .into_iter()
        .map(|d| {
            let loc = match (&positions, &d.path) {
                (Some(pos), Some(p)) => pos.locate(p),
                _ => None,
            };
            let d = if d.file.is_none() {
                d.in_file(shown)
            } else {
                d
            };
            d.located(loc)
        })
        .collect()
}

/// How the file is named in messages: relative to the working directory when it is below it.
fn display_name(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
