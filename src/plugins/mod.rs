//! Serverless Framework v3 plugins, run unchanged.
//!
//! When `plugins:` lists modules, sls-rs starts one Node.js process per command running
//! `templates/plugin-host.js` (written for sls-rs, about 350 lines), which loads the plugins
//! from the service's `node_modules` (or `localPath`), gives them a `serverless` object with
//! the parts of v3's API plugins use, and runs their lifecycle hooks when sls-rs reaches each
//! event ([`lifecycle`]). The two talk one JSON object per line over a socket handed to Node as
//! file descriptor 3; the plugins' own output goes to sls-rs's standard error. A service
//! without plugins never starts Node.
//!
//! At each hand-over the state plugins may change travels both ways: the service's `package`,
//! `functions` and `layers` (artifacts, patterns), the service directory (plugins that build
//! elsewhere move it) and the template being compiled. What comes back is checked like the
//! rest: artifacts must exist, templates go through the same limits.

pub mod aws;
pub mod lifecycle;
mod naming;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{Diagnostic, Error, KeyPath, Result};
use crate::manifest::variables::Ask;
use crate::manifest::{Loaded, Service};

const HOST_JS: &str = include_str!("../../templates/plugin-host.js");
/// The host's cache of the modules plugins load, prepended to the host.
const MODULE_CACHE_JS: &str = include_str!("../../templates/plugin-module-cache.js");

/// The version plugins are told they run under (`serverless.version`, `getVersion()`).
pub const FRAMEWORK_VERSION: &str = "3.40.0";

/// A plugin the host loaded, with the lifecycle events it hooks.
#[derive(Debug, Clone)]
pub struct Plugin {
    pub name: String,
    pub events: Vec<String>,
    /// The variable sources it declares (`configurationVariablesSources`).
    pub sources: Vec<String>,
}

/// The running host.
pub struct Host {
    child: Child,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    pub plugins: Vec<Plugin>,
    /// `configSchemaHandler` calls: what plugins add to the configuration's schema.
    pub schema: Vec<Value>,
    /// The commands plugins declare, as v3's `commands` objects (nested under `commands`).
    pub commands: Value,
    /// For answering `naming.*` and `getServerlessDeploymentBucketName` during hooks.
    context: naming::Context,
    /// `--verbose`: a failing plugin's stack is shown.
    verbose: bool,
    /// The command the plugins run for (for messages).
    command: String,
    /// AWS, in commands that connect to it (`provider.request`).
    aws: Option<aws::Bridge>,
    /// What plugins added to `resources:` and the role's statements, and what else of those
    /// they changed, as of the last run (`{statements, resources, changed}`).
    added: Value,
    /// Values the plugins' variable sources gave, by `(source, address, params)`.
    resolved: HashMap<(String, String, Vec<String>), Option<Value>>,
    /// The host's script, kept on disk while Node runs it.
    _script: tempfile::NamedTempFile,
}

/// What [`Host::read_back`] returns.
pub struct ReadBack {
    pub values: Vec<Value>,
    pub settings: Vec<(KeyPath, Option<Value>)>,
}

/// What plugins may change, sent before and taken back after each run of hooks.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub service_dir: PathBuf,
    /// `package`, `functions`, `layers`, `custom` as the plugins see them.
    pub service: Value,
    /// `provider.compiledCloudFormationTemplate`.
    pub template: Value,
}

impl Host {
    /// Starts the host and loads the plugins `loaded` lists (minus `skip`), for `commands`
    /// (`["package"]`, `["deploy"]`). `None` when there is nothing to load.
    pub fn start(
        loaded: &Loaded,
        commands: &[&str],
        options: &BTreeMap<String, Value>,
        skip: &[String],
    ) -> Result<Option<Host>> {
        let service = &loaded.service;
        let listed = &service.plugins;
        for name in skip {
            if !listed.modules.contains(name) {
                return Err(Error::Usage(format!(
                    "--skip-plugin {name}: the service lists no such plugin (it lists: {})",
                    if listed.modules.is_empty() {
                        "none".to_string()
                    } else {
                        listed.modules.join(", ")
                    }
                )));
            }
        }
        let modules: Vec<&String> = listed
            .modules
            .iter()
            .filter(|m| !skip.contains(m))
            .collect();
        if modules.is_empty() {
            return Ok(None);
        }
        let script = write_script()?;
        let (ours, theirs) = UnixStream::pair()
            .map_err(|e| Error::failed(format!("could not open a socket for plugins: {e}")))?;
        let verbose = options.get("verbose") == Some(&Value::Bool(true));
        let mut cmd = Command::new("node");
        cmd.env("SLS_RS_VERBOSE", if verbose { "1" } else { "0" });
        // The host adds these certificates when a plugin first makes a TLS connection, rather
        // than Node reading them as it starts (templates/plugin-host.js).
        if let Some(ca) = std::env::var_os("NODE_EXTRA_CA_CERTS").filter(|v| !v.is_empty()) {
            cmd.env_remove("NODE_EXTRA_CA_CERTS")
                .env("SLS_RS_EXTRA_CA_CERTS", ca);
        }
        match module_cache_dir(&service.dir) {
            Some(dir) => cmd.env("SLS_RS_PLUGIN_CACHE_DIR", dir),
            None => cmd.env_remove("SLS_RS_PLUGIN_CACHE_DIR"),
        };
        cmd.arg(script.path())
            .current_dir(&service.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::io::stderr()))
            .stderr(Stdio::inherit());
        hand_over(&mut cmd, &theirs);
        let spawned = cmd.spawn();
        drop(theirs);
        let child = spawned.map_err(|e| {
            Error::config(
                Diagnostic::error(format!(
                    "the service lists plugins ({}), which run on Node.js, and `node` could not be started: {e}",
                    modules.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .at(&KeyPath::root().key("plugins"))
                .hint("install Node.js (node on PATH), or leave plugins that only serve local development out with --skip-plugin NAME"),
            )
        })?;
        ours.set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| Error::failed(format!("plugin socket: {e}")))?;
        let writer = ours
            .try_clone()
            .map_err(|e| Error::failed(format!("plugin socket: {e}")))?;
        let mut host = Host {
            child,
            reader: BufReader::new(ours),
            writer,
            plugins: Vec::new(),
            schema: Vec::new(),
            commands: Value::Null,
            context: naming::Context::of(service),
            verbose,
            command: commands.join(" "),
            aws: None,
            added: Value::Null,
            resolved: HashMap::new(),
            _script: script,
        };
        let functions: serde_json::Map<String, Value> = service
            .functions
            .values()
            .map(|f| (f.key.clone(), json!(f.name)))
            .collect();
        host.send(&json!({
            "op": "load",
            "config": loaded.resolved,
            "serviceName": service.name,
            "serviceDir": service.dir,
            "configFile": service.config_file,
            "stage": service.stage,
            "region": service.region,
            "functionNames": functions,
            "options": options_for_plugins(options, service),
            "commands": commands,
            "plugins": modules,
            "localPath": service.dir.join(listed.local_path.as_deref().unwrap_or(".serverless_plugins")),
            "version": FRAMEWORK_VERSION,
            "instanceId": crate::clock::now_ms().to_string(),
        }))?;
        let answer = host.wait("loading the plugins")?;
        match answer["op"].as_str() {
            Some("loaded") => {
                for p in answer["plugins"].as_array().into_iter().flatten() {
                    let strings = |v: &Value| -> Vec<String> {
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|e| e.as_str().map(String::from))
                            .collect()
                    };
                    host.plugins.push(Plugin {
                        name: p["name"].as_str().unwrap_or_default().to_string(),
                        events: strings(&p["events"]),
                        sources: strings(&p["variableSources"]),
                    });
                }
                host.schema = answer["schema"].as_array().cloned().unwrap_or_default();
                host.commands = answer["commands"].clone();
                Ok(Some(host))
            }
            Some("missing") => {
                let name = answer["plugin"].as_str().unwrap_or_default();
                let index = listed.modules.iter().position(|m| m == name).unwrap_or(0);
                Err(Error::config(
                    Diagnostic::error(format!(
                        "plugin `{name}` is not installed: it is not in {}'s node_modules{}",
                        service.dir.display(),
                        listed
                            .local_path
                            .as_ref()
                            .map(|p| format!(" nor in {p}"))
                            .unwrap_or_default()
                    ))
                    .at(&KeyPath::root().key("plugins").index(index))
                    .hint(format!("run `npm install --save-dev {name}` in the service directory (or leave it out of this run with --skip-plugin {name})")),
                ))
            }
            _ => Err(host.failure(&answer, "loading")),
        }
    }

    /// Refuses a plugin hooking an event of this command that sls-rs does not run (yet): its
    /// work would silently not happen. `namespaces` are the command's event prefixes
    /// (`package:`, `aws:package:`), `runs` every event sls-rs runs for it.
    pub fn check_events(&self, namespaces: &[&str], runs: &[String]) -> Result<()> {
        // Events of other commands under the same words (`deploy function`, `deploy list`)
        // happen only when those commands run.
        const OTHER_COMMANDS: &[&str] = &["deploy:function:", "deploy:list:"];
        for p in &self.plugins {
            for e in &p.events {
                let bare = e
                    .strip_prefix("before:")
                    .or_else(|| e.strip_prefix("after:"))
                    .unwrap_or(e);
                if namespaces.iter().any(|n| bare.starts_with(n))
                    && !OTHER_COMMANDS.iter().any(|o| bare.starts_with(o))
                    && !runs.contains(e)
                {
                    return Err(Error::failed_with_hint(
                        format!("plugin `{}` hooks `{e}`, which sls-rs does not run yet, so its work would silently not happen", p.name),
                        format!("leave the plugin out with --skip-plugin {} if this command does not need it", p.name),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The unknown properties (`deferred` from loading) that no plugin defines.
    pub fn undefined(&self, deferred: &[Diagnostic]) -> Vec<Diagnostic> {
        use crate::error::Seg;
        let top: Vec<&str> = self
            .schema
            .iter()
            .filter(|c| c["kind"] == "topLevel")
            .filter_map(|c| c["name"].as_str())
            .collect();
        let function: Vec<&String> = self
            .schema
            .iter()
            .filter(|c| c["kind"] == "function")
            .filter_map(|c| c["schema"]["properties"].as_object())
            .flat_map(|m| m.keys())
            .collect();
        deferred
            .iter()
            .filter(|d| {
                let segs = d.path.as_ref().map(|p| p.0.as_slice()).unwrap_or_default();
                match segs {
                    [Seg::Key(k)] => !top.contains(&k.as_str()),
                    [Seg::Key(f), Seg::Key(_), Seg::Key(k)] if f == "functions" => {
                        !function.contains(&k)
                    }
                    _ => true,
                }
            })
            .cloned()
            .collect()
    }

    /// What plugins added to `resources:` and the role's statements so far.
    pub fn added(&self) -> &Value {
        &self.added
    }

    /// Lets plugins call AWS through `provider.request` from now on (replacing the on-demand
    /// bridge every command starts with).
    pub fn connect(&mut self, bridge: aws::Bridge) {
        self.aws = Some(bridge);
    }

    /// Adds `values` to the options object every plugin shares (a plugin command's own options,
    /// known only once the plugins have declared them).
    pub fn set_options(&mut self, values: &serde_json::Map<String, Value>) -> Result<()> {
        self.send(&json!({ "op": "options", "values": values }))?;
        let answer = self.wait("setting options")?;
        if answer["op"] == "ok" {
            Ok(())
        } else {
            Err(self.failure(&answer, "setting options"))
        }
    }

    /// Whether any plugin hooks one of `events`.
    pub fn hooks_any(&self, events: &[String]) -> bool {
        !self.hooking(events).is_empty()
    }

    /// The plugins that hook one of `events`.
    pub fn hooking(&self, events: &[String]) -> Vec<&str> {
        self.plugins
            .iter()
            .filter(|p| p.events.iter().any(|e| events.contains(e)))
            .map(|p| p.name.as_str())
            .collect()
    }

    /// Runs the hooks of `events` in order with `state`, and returns the state they leave.
    /// Events no plugin hooks cost nothing.
    pub fn run(&mut self, events: &[String], state: &State) -> Result<State> {
        if !self.hooks_any(events) {
            return Ok(state.clone());
        }
        self.send(&json!({
            "op": "run",
            "events": events,
            "state": {
                "serviceDir": state.service_dir,
                "service": state.service,
                "template": state.template,
            },
        }))?;
        let answer = self.wait(&events.join(", "))?;
        if answer["op"] != "done" {
            return Err(self.failure(&answer, &events.join(", ")));
        }
        let s = &answer["state"];
        self.added = s["service"]["added"].clone();
        Ok(State {
            service_dir: s["serviceDir"]
                .as_str()
                .map(PathBuf::from)
                .unwrap_or_else(|| state.service_dir.clone()),
            service: s["service"].clone(),
            template: s["template"].clone(),
        })
    }

    /// Gives the plugins the values their sources resolved (at the key paths that waited for
    /// them), in the configuration they hold, as v3 resolves them in place after loading them.
    pub fn set_values(&mut self, values: &[(KeyPath, Value)]) -> Result<()> {
        let values: Vec<Value> = values
            .iter()
            .map(|(p, v)| json!({ "path": path_segments(p), "value": v }))
            .collect();
        self.send(&json!({ "op": "values", "values": values }))?;
        let answer = self.wait("setting resolved values")?;
        if answer["op"] == "ok" {
            Ok(())
        } else {
            Err(self.failure(&answer, "setting resolved values"))
        }
    }

    /// What plugins made of the configuration by now (after `initialize`): the values at
    /// `paths` (serverless-lift turns the tokens its `${construct:…}` gave into `Ref`s; `Null`
    /// where there is none), and every change to the service's settings (`provider`, the
    /// functions') — `None` for a removed key. From here on, a change to those is refused.
    pub fn read_back(&mut self, paths: &[KeyPath]) -> Result<ReadBack> {
        let paths: Vec<Value> = paths.iter().map(path_segments).collect();
        self.send(&json!({ "op": "read", "paths": paths }))?;
        let answer = self.wait("reading resolved values")?;
        if answer["op"] != "values" {
            return Err(self.failure(&answer, "reading resolved values"));
        }
        // What the plugins added, compared with the configuration as it now reads.
        self.added = answer["added"].clone();
        let settings = answer["settings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let path = KeyPath(
                    c["path"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| {
                            crate::error::Seg::Key(
                                s.as_str()
                                    .map(String::from)
                                    .unwrap_or_else(|| s.to_string()),
                            )
                        })
                        .collect(),
                );
                let value = (c["deleted"] != true).then(|| c["value"].clone());
                (path, value)
            })
            .collect();
        Ok(ReadBack {
            values: answer["values"].as_array().cloned().unwrap_or_default(),
            settings,
        })
    }

    fn send(&mut self, v: &Value) -> Result<()> {
        // One write per message: the socket is unbuffered, and formatting into it directly
        // would cost a system call per JSON token.
        let mut line = v.to_string();
        line.push('\n');
        self.writer
            .write_all(line.as_bytes())
            .and_then(|_| self.writer.flush())
            .map_err(|e| Error::failed(format!("the plugin host stopped listening: {e}")))
    }

    /// Waits for the host's next answer, serving its questions (naming, YAML) meanwhile.
    fn wait(&mut self, during: &str) -> Result<Value> {
        self.wait_with(during, &mut |_| None)
    }

    /// [`Host::wait`], with `extra` answering questions only a caller can (a plugin's variable
    /// resolver asking for other variables).
    fn wait_with(
        &mut self,
        during: &str,
        extra: &mut dyn FnMut(&Value) -> Option<std::result::Result<Value, String>>,
    ) -> Result<Value> {
        let mut line = String::new();
        loop {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return Err(self.died(during)),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if let Ok(Some(_)) = self.child.try_wait() {
                        return Err(self.died(during));
                    }
                    continue;
                }
                Err(e) => return Err(Error::failed(format!("reading from the plugin host: {e}"))),
            }
            let Ok(msg) = serde_json::from_str::<Value>(line.trim_end()) else {
                return Err(Error::failed(format!(
                    "the plugin host said something sls-rs does not understand: {}",
                    line.trim_end()
                )));
            };
            let answer = match msg["op"].as_str() {
                Some("naming") => Some(
                    self.context.answer(
                        msg["fn"].as_str().unwrap_or_default(),
                        msg["args"]
                            .as_array()
                            .map(Vec::as_slice)
                            .unwrap_or_default(),
                    ),
                ),
                Some("yaml") => Some(
                    crate::yaml::parse(msg["text"].as_str().unwrap_or_default())
                        .map_err(|d| d.message),
                ),
                Some(op @ ("bucket" | "request" | "credentials")) => {
                    let call = match op {
                        "request" => format!(
                            "{}.{}",
                            msg["service"].as_str().unwrap_or("?"),
                            msg["method"].as_str().unwrap_or("?")
                        ),
                        "bucket" => "getServerlessDeploymentBucketName".to_string(),
                        _ => "getCredentials".to_string(),
                    };
                    let r = match &self.aws {
                        None => Err(aws::Failure::other(
                            format!("`{}` does not connect to AWS, so a plugin cannot call it here ({call})", self.command),
                            "SLS_RS_NO_AWS",
                        )),
                        Some(b) if op == "bucket" => b.deployment_bucket(),
                        Some(b) if op == "credentials" => b.credentials(),
                        Some(b) => b.request(
                            msg["service"].as_str().unwrap_or_default(),
                            msg["method"].as_str().unwrap_or_default(),
                            &msg["params"],
                        ),
                    };
                    let reply = match r {
                        Ok(value) => json!({ "value": value }),
                        Err(f) => {
                            json!({ "error": f.message, "code": f.code, "statusCode": f.status })
                        }
                    };
                    self.send(&reply)?;
                    continue;
                }
                _ => extra(&msg),
            };
            match answer {
                Some(Ok(value)) => self.send(&json!({ "value": value }))?,
                Some(Err(error)) => self.send(&json!({ "error": error }))?,
                None => return Ok(msg),
            }
        }
    }

    fn died(&mut self, during: &str) -> Error {
        let status = self.child.wait().ok();
        Error::failed(format!(
            "the plugin host stopped while {during}{}",
            status
                .and_then(|s| s.code())
                .map(|c| format!(" (exit status {c})"))
                .unwrap_or_default()
        ))
    }

    /// What a plugin's error says, with its stack under `--verbose`.
    fn message_of(&self, answer: &Value) -> String {
        let message = answer["message"]
            .as_str()
            .unwrap_or("failed without a message");
        match (self.verbose, answer["stack"].as_str()) {
            (true, Some(stack)) => format!("{message}\n{stack}"),
            _ => message.to_string(),
        }
    }

    /// A plugin's failure, named.
    fn failure(&self, answer: &Value, during: &str) -> Error {
        let message = self.message_of(answer);
        let during = answer["event"]
            .as_str()
            .map(|e| format!("in `{e}`"))
            .unwrap_or_else(|| format!("while {during}"));
        match answer["plugin"].as_str() {
            Some(plugin) => Error::failed_with_hint(
                format!("plugin `{plugin}` failed {during}: {message}"),
                format!("this is the plugin's own error; run with --verbose for more, or leave it out with --skip-plugin {plugin} if the command does not need it"),
            ),
            None => Error::failed(format!("the plugin host failed {during}: {message}")),
        }
    }
}

/// The plugins' variable sources, resolved by the plugin that declares each (the first loaded,
/// as in v3), once per source, address and parameters.
impl crate::manifest::PluginSource for Host {
    fn names(&self) -> Vec<String> {
        self.plugins
            .iter()
            .flat_map(|p| p.sources.iter().cloned())
            .collect()
    }

    fn resolve(
        &mut self,
        source: &str,
        address: &str,
        params: &[String],
        ask: &mut dyn FnMut(Ask) -> std::result::Result<Option<Value>, String>,
    ) -> std::result::Result<Option<Value>, String> {
        let key = (source.to_string(), address.to_string(), params.to_vec());
        if let Some(v) = self.resolved.get(&key) {
            return Ok(v.clone());
        }
        let during = format!("resolving `${{{source}:{address}}}`");
        self.send(
            &json!({ "op": "resolve", "source": source, "address": address, "params": params }),
        )
        .map_err(|e| e.to_string())?;
        let mut answer_question = |msg: &Value| {
            let q = match msg["op"].as_str()? {
                "variable" => Ask::Variable(msg["expr"].as_str().unwrap_or_default().to_string()),
                "property" => Ask::Property(
                    msg["path"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| {
                            s.as_str()
                                .map(String::from)
                                .unwrap_or_else(|| s.to_string())
                        })
                        .collect(),
                ),
                "string" => Ask::String(msg["text"].as_str().unwrap_or_default().to_string()),
                _ => return None,
            };
            Some(ask(q).map(|v| v.unwrap_or(Value::Null)))
        };
        let answer = self
            .wait_with(&during, &mut answer_question)
            .map_err(|e| e.to_string())?;
        if answer["op"] != "resolved" {
            let message = self.message_of(&answer);
            return Err(match answer["plugin"].as_str() {
                Some(plugin) => format!("plugin `{plugin}` failed: {message}"),
                None => message,
            });
        }
        let value = answer.get("value").cloned().filter(|v| !v.is_null());
        self.resolved.insert(key, value.clone());
        Ok(value)
    }
}

/// A key path as the host walks it: keys as strings, indices as numbers.
fn path_segments(p: &KeyPath) -> Value {
    use crate::error::Seg;
    Value::Array(
        p.0.iter()
            .map(|s| match s {
                Seg::Key(k) => json!(k),
                Seg::Index(i) => json!(i),
            })
            .collect(),
    )
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.send(&json!({ "op": "exit" }));
        // Up to 3 s: the module cache may be writing itself (~0.3 s). Node usually exits
        // within milliseconds, so the first looks come soon.
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        let mut pause = Duration::from_millis(1);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The options object every plugin shares (`pluginManager.cliOptions`): the command line's,
/// with stage and region filled in as v3's validation step does.
fn options_for_plugins(options: &BTreeMap<String, Value>, service: &Service) -> Value {
    let mut o: serde_json::Map<String, Value> = options
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    o.insert("stage".into(), json!(service.stage));
    o.insert("region".into(), json!(service.region));
    Value::Object(o)
}

/// Where the host caches the modules plugins load for this service:
/// `$XDG_CACHE_HOME/sls-rs/plugins/<hash of the service directory>` (else `~/.cache/…`).
/// `SLS_RS_PLUGIN_CACHE=0` turns the cache off, `1` on; by default it is on except in CI (`CI`
/// set), where a fresh machine would write a cache (+0.3 s) that no later run reads.
fn module_cache_dir(service_dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let on = match std::env::var("SLS_RS_PLUGIN_CACHE").ok().as_deref() {
        Some("0" | "off" | "false") => false,
        Some("1" | "on" | "true") => true,
        _ => !std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0"),
    };
    if !on {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))?;
    let (_, hex) =
        crate::package::archive::sha256(service_dir.to_string_lossy().as_bytes()).ok()?;
    Some(base.join("sls-rs").join("plugins").join(&hex[..16]))
}

fn write_script() -> Result<tempfile::NamedTempFile> {
    let mut f = tempfile::Builder::new()
        .prefix("sls-rs-plugin-host-")
        .suffix(".js")
        .tempfile()
        .map_err(|e| Error::failed(format!("could not write the plugin host: {e}")))?;
    f.write_all(MODULE_CACHE_JS.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .and_then(|_| f.write_all(HOST_JS.as_bytes()))
        .map_err(|e| Error::failed(format!("could not write the plugin host: {e}")))?;
    Ok(f)
}

/// Makes `socket` the child's file descriptor 3 (the parent drops its copy after spawning).
fn hand_over(cmd: &mut Command, socket: &UnixStream) {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = socket.as_raw_fd();
    // SAFETY: between fork and exec only async-signal-safe calls are made (dup2, fcntl).
    unsafe {
        cmd.pre_exec(move || {
            if fd == 3 {
                // Already in place: only clear close-on-exec, which dup2 would have cleared.
                let flags = libc::fcntl(3, libc::F_GETFD);
                if flags == -1 || libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, 3) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Where a path a plugin reports (relative to the service directory, or absolute) is.
pub fn resolve_path(service_dir: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        service_dir.join(path)
    }
}
