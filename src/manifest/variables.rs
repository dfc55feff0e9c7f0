//! `${…}` variables, resolved with the Serverless Framework v3's semantics.
//!
//! Resolution is lazy and memoised: a `${self:a.b}` lookup walks the raw configuration and
//! resolves only the strings it passes through, so `provider.stage: ${opt:stage, 'dev'}` and
//! `${sls:stage}` elsewhere do not depend on each other in a loop. A stack of the strings being
//! resolved detects cycles and names both ends. Every failure is recorded (with the key path of
//! the string where the variable stands) and resolution goes on, so all of them are reported at
//! once.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::Value;

use super::defaults;
use crate::error::{Diagnostic, KeyPath, Seg};

/// What variables can read besides the configuration itself.
pub struct Context {
    /// The service directory; `${file(…)}` paths are relative to it.
    pub dir: PathBuf,
    /// `--stage`, `--region` and every other option given on the command line, for `${opt:…}`.
    pub options: BTreeMap<String, Value>,
    /// The process environment, for `${env:…}` (injected so tests need not mutate it).
    pub env: HashMap<String, String>,
    /// `--param key=value`, for `${param:…}` (they win over `params:` in the file).
    pub params: BTreeMap<String, String>,
    /// `${sls:instanceId}`.
    pub instance_id: String,
    /// Resolves the sources that need AWS (`ssm`, `cf`, `s3`, `aws:accountId`). `None` for
    /// commands that never talk to AWS: such a variable is then an error that names it.
    pub remote: Option<Box<dyn RemoteSource>>,
}

/// Variables that need AWS: implemented by the deployer.
pub trait RemoteSource {
    /// `source` is `ssm`, `cf`, `s3` or `aws`, `params` what its parentheses hold
    /// (`ssm(eu-west-1, raw)`), `address` what follows the colon. `Ok(None)` when the value does
    /// not exist (so a fallback may apply).
    fn resolve(
        &self,
        source: &str,
        params: &[String],
        address: &str,
    ) -> Result<Option<Value>, String>;
}

/// The variable sources plugins declare (`configurationVariablesSources`), which the plugin
/// host resolves (`crate::plugins::Host`).
pub trait PluginSource {
    /// The sources the loaded plugins declare, in the order they were loaded.
    fn names(&self) -> Vec<String>;
    /// One value: `source(params):address`. `Ok(None)` when the plugin has none (a fallback
    /// may apply). `ask` answers what the plugin asks back (`resolveVariable`, …).
    fn resolve(
        &mut self,
        source: &str,
        address: &str,
        params: &[String],
        ask: &mut dyn FnMut(Ask) -> Result<Option<Value>, String>,
    ) -> Result<Option<Value>, String>;
}

/// What a plugin's resolver may ask while it resolves (v3's `resolveVariable`,
/// `resolveConfigurationProperty`, `resolveVariablesInString`).
pub enum Ask {
    /// The inside of a `${…}`: `self:custom.x`.
    Variable(String),
    /// A key path of the configuration, resolved.
    Property(Vec<String>),
    /// A string with variables in it.
    String(String),
}

/// How variables from sources sls-rs does not know are treated.
pub enum Plugins<'p> {
    /// The service lists no plugins: an unknown source is an error.
    None,
    /// The service lists plugins, not loaded yet: a value from a source sls-rs does not know
    /// may come from one of them, so the string that holds it waits, as written ([`Resolved::pending`]).
    Defer,
    /// The plugins are loaded: their sources resolve through them.
    Loaded(&'p mut dyn PluginSource),
    /// A plugin's source is being resolved (it may not ask for another plugin's value).
    Busy,
}

/// A resolved configuration, and where values still wait for plugins' sources.
pub struct Resolved {
    pub value: Value,
    /// Key paths of the strings left as written because a variable in them (or in what they
    /// refer to) comes from a source only a plugin can declare ([`Plugins::Defer`]).
    pub pending: Vec<KeyPath>,
}

/// The sources that are resolved through AWS.
const REMOTE_SOURCES: &[&str] = &["ssm", "cf", "s3"];
const KNOWN_SOURCES: &[&str] = &[
    "self",
    "opt",
    "env",
    "file",
    "sls",
    "aws",
    "strToBool",
    "param",
    "ssm",
    "cf",
    "s3",
];
/// How many lookups may be nested inside one another before sls-rs calls it runaway.
const MAX_DEPTH: usize = 128;
/// `${…}` inside `${…}` inside one value: v3 configurations use two or three levels.
const MAX_NESTING: usize = 32;

/// Resolves every variable in `root`. On failure returns every diagnostic at once.
pub fn resolve(root: Value, ctx: &Context) -> Result<Value, Vec<Diagnostic>> {
    resolve_with(root, ctx, Plugins::None).map(|r| r.value)
}

/// [`resolve`], with plugins' sources treated as `plugins` says.
pub fn resolve_with(
    root: Value,
    ctx: &Context,
    plugins: Plugins<'_>,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut r = Resolver {
        ctx,
        plugins,
        root: Rc::new(root),
        cache: HashMap::new(),
        stack: Vec::new(),
        errors: Vec::new(),
        reported: HashSet::new(),
        files: HashMap::new(),
        stage: None,
        region: None,
        deferred: false,
        pending: HashSet::new(),
    };
    let root = Rc::clone(&r.root);
    let out = r.resolve_tree(&KeyPath::root(), (*root).clone());
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    // Strings inside `${file(…)}` files wait inside the configuration's string that names them.
    let mut pending: Vec<KeyPath> = r
        .pending
        .into_iter()
        .filter(|p| value_at(&root, p).is_some())
        .collect();
    pending.sort_by_key(|p| p.to_string());
    Ok(Resolved {
        value: out,
        pending,
    })
}

/// The value at `path` in `v`, if there is one.
pub fn value_at<'v>(v: &'v Value, path: &KeyPath) -> Option<&'v Value> {
    path.0.iter().try_fold(v, |cur, seg| child(cur, seg))
}

/// The failure was already recorded where it happened.
pub(crate) struct Reported;

type R<T> = Result<T, Reported>;

struct Resolver<'c, 'p> {
    ctx: &'c Context,
    plugins: Plugins<'p>,
    root: Rc<Value>,
    cache: HashMap<KeyPath, Value>,
    stack: Vec<KeyPath>,
    errors: Vec<Diagnostic>,
    reported: HashSet<(String, Option<KeyPath>)>,
    files: HashMap<PathBuf, Option<Value>>,
    stage: Option<String>,
    region: Option<String>,
    /// Whether the string being resolved met a source left to plugins ([`Plugins::Defer`]).
    deferred: bool,
    /// The strings left as written for plugins' sources.
    pending: HashSet<KeyPath>,
}

/// A piece of a string: literal text or the inside of one `${…}`.
enum Part {
    Lit(String),
    Var(String),
}

impl Resolver<'_, '_> {
    fn report(&mut self, d: Diagnostic) {
        let key = (d.message.clone(), d.path.clone());
        if self.reported.insert(key) {
            self.errors.push(d);
        }
    }

    fn resolve_tree(&mut self, path: &KeyPath, v: Value) -> Value {
        let mut at = path.clone();
        self.resolve_under(&mut at, v)
    }

    /// `resolve_tree` with one key path grown and shrunk in place: a path is copied only for a
    /// string that holds a variable, so time stays linear in the size of the configuration
    /// however deep it nests.
    fn resolve_under(&mut self, path: &mut KeyPath, v: Value) -> Value {
        match v {
            Value::String(s) if s.contains("${") => {
                self.resolve_string(path, &s).unwrap_or(Value::Null)
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.0.push(Seg::Index(i));
                        let r = self.resolve_under(path, item);
                        path.0.pop();
                        r
                    })
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, item)| {
                        path.0.push(Seg::Key(k.clone()));
                        let r = self.resolve_under(path, item);
                        path.0.pop();
                        (k, r)
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// Resolves the string standing at `path`.
    fn resolve_string(&mut self, path: &KeyPath, s: &str) -> R<Value> {
        if let Some(v) = self.cache.get(path) {
            self.deferred |= self.pending.contains(path);
            return Ok(v.clone());
        }
        if let Some(pos) = self.stack.iter().position(|p| p == path) {
            let via = self.stack[pos + 1..]
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>();
            let other = self.stack.last().cloned().unwrap_or_default();
            let msg = if via.is_empty() {
                format!("circular reference: `{path}` refers to itself")
            } else {
                format!(
                    "circular reference between `{path}` and `{other}`{}",
                    if via.len() > 1 {
                        format!(" (through {})", via.join(" → "))
                    } else {
                        String::new()
                    }
                )
            };
            self.report(
                Diagnostic::error(msg)
                    .at(path)
                    .hint("one of these values must not depend on the other; replace one `${self:…}` with a literal"),
            );
            return Err(Reported);
        }
        if self.stack.len() >= MAX_DEPTH {
            self.report(
                Diagnostic::error(format!("variables nest more than {MAX_DEPTH} levels deep"))
                    .at(path)
                    .hint("a chain of `${self:…}` this long is almost certainly a mistake"),
            );
            return Err(Reported);
        }
        if variable_nesting(s) > MAX_NESTING {
            self.report(
                Diagnostic::error(format!(
                    "variables nest more than {MAX_NESTING} levels deep inside one value"
                ))
                .at(path)
                .hint("`${self:${…}}` needs a level or two; set the inner parts as their own keys"),
            );
            return Err(Reported);
        }
        self.stack.push(path.clone());
        let outer = std::mem::replace(&mut self.deferred, false);
        let mut result = self.evaluate(path, s);
        self.stack.pop();
        if self.deferred {
            // It waits for the plugins, as written; so does every string that refers to it.
            self.pending.insert(path.clone());
            result = Ok(Value::String(s.to_string()));
        }
        self.deferred |= outer;
        if let Ok(v) = &result {
            self.cache.insert(path.clone(), v.clone());
        }
        result
    }

    /// Resolves the variables of `s`: a string that is exactly one variable takes the variable's
    /// value (any type); otherwise values are embedded as text.
    fn evaluate(&mut self, path: &KeyPath, s: &str) -> R<Value> {
        let parts = match split_parts(s) {
            Ok(p) => p,
            Err(msg) => {
                self.report(
                    Diagnostic::error(msg)
                        .at(path)
                        .hint("every `${` needs a closing `}`; write `\\${` for a literal `${`"),
                );
                return Err(Reported);
            }
        };
        if let [Part::Var(inner)] = parts.as_slice() {
            return self.evaluate_var(path, inner);
        }
        let mut out = String::new();
        let mut failed = false;
        for part in parts {
            match part {
                Part::Lit(l) => out.push_str(&l),
                Part::Var(inner) => match self.evaluate_var(path, &inner) {
                    Ok(v) => out.push_str(&stringify(&v)),
                    Err(Reported) => failed = true,
                },
            }
        }
        if failed {
            Err(Reported)
        } else {
            Ok(Value::String(out))
        }
    }

    /// Evaluates the inside of one `${…}` that is ours: nested variables first, then the
    /// comma-separated fallbacks left to right.
    fn evaluate_var(&mut self, path: &KeyPath, inner: &str) -> R<Value> {
        let expr = if inner.contains("${") {
            match self.evaluate(path, inner)? {
                Value::String(s) => s,
                other => stringify(&other),
            }
        } else {
            inner.to_string()
        };
        let mut misses = Vec::new();
        for alt in split_alternatives(&expr) {
            match self.evaluate_source(path, alt.trim())? {
                Some(Value::Null) | None => misses.push(alt.trim().to_string()),
                Some(v) => return Ok(v),
            }
        }
        let (msg, hint) = describe_miss(&expr, &misses, self.ctx);
        self.report(Diagnostic::error(msg).at(path).hint(hint));
        Err(Reported)
    }

    /// One alternative: a literal or `source:address`. `Ok(None)` when the value does not exist.
    fn evaluate_source(&mut self, path: &KeyPath, alt: &str) -> R<Option<Value>> {
        if let Some(lit) = quoted(alt) {
            return Ok(Some(Value::String(lit.to_string())));
        }
        if let Ok(i) = alt.parse::<i64>() {
            return Ok(Some(Value::Number(i.into())));
        }
        if let Ok(f) = alt.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Ok(Some(Value::Number(n)));
            }
        }
        if alt == "true" || alt == "false" {
            return Ok(Some(Value::Bool(alt == "true")));
        }
        if let Some(arg) = alt
            .strip_prefix("strToBool(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let arg = arg.trim();
            let arg = quoted(arg).unwrap_or(arg);
            return match arg {
                "true" | "1" => Ok(Some(Value::Bool(true))),
                "false" | "0" => Ok(Some(Value::Bool(false))),
                other => {
                    self.report(
                        Diagnostic::error(format!(
                            "`strToBool({other})`: `{other}` is not a boolean"
                        ))
                        .at(path)
                        .hint("strToBool takes true, false, 1 or 0"),
                    );
                    Err(Reported)
                }
            };
        }
        if let Some(rest) = alt.strip_prefix("file(") {
            let Some(close) = rest.find(')') else {
                self.report(
                    Diagnostic::error(format!("`{alt}`: missing `)` after the file path"))
                        .at(path)
                        .hint("write it as ${file(./config.json):key}"),
                );
                return Err(Reported);
            };
            let file = rest[..close].trim();
            let file = quoted(file).unwrap_or(file);
            let address = rest[close + 1..].strip_prefix(':').unwrap_or("").trim();
            return self.file_value(path, file, address);
        }
        let Some((source, address)) = alt.split_once(':') else {
            self.report(
                Diagnostic::error(format!("`${{{alt}}}` is not a variable sls-rs understands"))
                    .at(path)
                    .hint("variables look like ${self:custom.key}, ${opt:stage}, ${env:NAME}, ${file(./f.json):key}, or a quoted literal"),
            );
            return Err(Reported);
        };
        let address = address.trim();
        let source = source.trim();
        // `cf(eu-west-1):stack.Output` names a region.
        let source_name = source.split('(').next().unwrap_or(source);
        match source_name {
            "self" => self.lookup_self(&KeyPath::parse_dotted(address)),
            "opt" => Ok(self.ctx.options.get(address).cloned()),
            "env" => Ok(self.ctx.env.get(address).map(|v| Value::String(v.clone()))),
            "param" => Ok(self.param(address)?),
            "sls" => match address {
                "stage" => Ok(Some(Value::String(self.stage()?))),
                "instanceId" => Ok(Some(Value::String(self.ctx.instance_id.clone()))),
                other => {
                    self.report(
                        Diagnostic::error(format!("unknown variable `${{sls:{other}}}`"))
                            .at(path)
                            .hint("the sls source has `stage` and `instanceId`"),
                    );
                    Err(Reported)
                }
            },
            "aws" => match address {
                "region" => Ok(Some(Value::String(self.region()?))),
                "accountId" => self.remote(path, "aws", address),
                other => {
                    self.report(
                        Diagnostic::error(format!("unknown variable `${{aws:{other}}}`"))
                            .at(path)
                            .hint("the aws source has `region` and `accountId`"),
                    );
                    Err(Reported)
                }
            },
            s if REMOTE_SOURCES.contains(&s) => self.remote(path, source, address),
            other => self.plugin_value(path, other, source, address),
        }
    }

    /// A source sls-rs does not know: a plugin's, or a mistake.
    fn plugin_value(
        &mut self,
        path: &KeyPath,
        name: &str,
        source: &str,
        address: &str,
    ) -> R<Option<Value>> {
        let declared = match &self.plugins {
            Plugins::Defer => {
                self.deferred = true;
                return Ok(Some(Value::String(String::new())));
            }
            Plugins::Loaded(p) => p.names(),
            Plugins::None | Plugins::Busy => Vec::new(),
        };
        if matches!(self.plugins, Plugins::Busy) {
            self.report(
                Diagnostic::error(format!(
                    "a plugin's variable source asked for `${{{source}:{address}}}`, from a plugin's source too"
                ))
                .at(path)
                .hint("sls-rs resolves one plugin variable at a time; give the inner value literally or through ${self:…}"),
            );
            return Err(Reported);
        }
        if !declared.iter().any(|d| d == name) {
            let mut known: Vec<&str> = KNOWN_SOURCES.to_vec();
            known.extend(declared.iter().map(String::as_str));
            let mut d = Diagnostic::error(format!("unknown variable source `{name}:`")).at(path);
            d = match crate::error::did_you_mean(name, &known) {
                Some(s) => d.hint(format!("did you mean `{s}:`?")),
                None if declared.is_empty() => d.hint(format!(
                    "sls-rs knows the sources {}",
                    KNOWN_SOURCES.join(", ")
                )),
                None => d.hint(format!(
                    "sls-rs knows the sources {}, and the service's plugins declare {}",
                    KNOWN_SOURCES.join(", "),
                    declared.join(", ")
                )),
            };
            self.report(d);
            return Err(Reported);
        }
        let params = source_params(source);
        let Plugins::Loaded(plugins) = std::mem::replace(&mut self.plugins, Plugins::Busy) else {
            unreachable!("checked above");
        };
        let answer = plugins.resolve(name, address, &params, &mut |q| match q {
            Ask::Variable(expr) => self
                .evaluate_var(path, &expr)
                .map(Some)
                .map_err(|_| format!("`${{{expr}}}` could not be resolved")),
            Ask::Property(segs) => self
                .lookup_self(&KeyPath(segs.into_iter().map(Seg::Key).collect()))
                .map_err(|_| "the property could not be resolved".to_string()),
            Ask::String(text) => self
                .evaluate(path, &text)
                .map(Some)
                .map_err(|_| format!("`{text}` could not be resolved")),
        });
        self.plugins = Plugins::Loaded(plugins);
        answer.map_err(|e| {
            self.report(
                Diagnostic::error(format!(
                    "could not resolve `${{{source}:{address}}}`: {e}"
                ))
                .at(path)
                .hint("the value comes from a plugin's variable source; check the address the plugin expects"),
            );
            Reported
        })
    }

    fn remote(&mut self, path: &KeyPath, source: &str, address: &str) -> R<Option<Value>> {
        let shown = format!("${{{source}:{address}}}");
        let Some(remote) = &self.ctx.remote else {
            self.report(
                Diagnostic::error(format!("`{shown}` needs AWS to resolve"))
                    .at(path)
                    .hint("this command works offline; run a command that talks to AWS (deploy, info, remove), or add a fallback such as `${ssm:/x, 'local'}`"),
            );
            return Err(Reported);
        };
        let name = source.split('(').next().unwrap_or(source);
        match remote.resolve(name, &source_params(source), address) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.report(
                    Diagnostic::error(format!("could not resolve `{shown}`: {e}"))
                        .at(path)
                        .hint("check the name and that your credentials may read it"),
                );
                Err(Reported)
            }
        }
    }

    fn param(&mut self, name: &str) -> R<Option<Value>> {
        if let Some(v) = self.ctx.params.get(name) {
            return Ok(Some(Value::String(v.clone())));
        }
        let stage = self.stage()?;
        for scope in [stage.as_str(), "default"] {
            let p = KeyPath::root().key("params").key(scope).key(name);
            if let Some(v) = self.lookup_self(&p)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// `${sls:stage}`: `--stage`, then `provider.stage`, then `dev`.
    fn stage(&mut self) -> R<String> {
        if let Some(s) = &self.stage {
            return Ok(s.clone());
        }
        let s = match self.ctx.options.get("stage") {
            Some(v) => stringify(v),
            None => defaults::stage(
                None,
                self.lookup_self(&KeyPath::parse_dotted("provider.stage"))?
                    .filter(|v| !v.is_null())
                    .map(|v| stringify(&v)),
            ),
        };
        self.stage = Some(s.clone());
        Ok(s)
    }

    /// `${aws:region}`: `--region`, then `provider.region`, then `AWS_REGION` /
    /// `AWS_DEFAULT_REGION`, then `us-east-1`.
    fn region(&mut self) -> R<String> {
        if let Some(s) = &self.region {
            return Ok(s.clone());
        }
        let s = match self.ctx.options.get("region") {
            Some(v) => stringify(v),
            None => {
                let provider = self
                    .lookup_self(&KeyPath::parse_dotted("provider.region"))?
                    .filter(|v| !v.is_null())
                    .map(|v| stringify(&v));
                defaults::region(None, provider, |k| self.ctx.env.get(k).cloned())
            }
        };
        self.region = Some(s.clone());
        Ok(s)
    }

    /// `${self:a.b}`: walks the raw configuration, resolving only the strings on the way.
    fn lookup_self(&mut self, target: &KeyPath) -> R<Option<Value>> {
        let root = Rc::clone(&self.root);
        let mut cur: Cow<Value> = Cow::Borrowed(&*root);
        for i in 0..=target.0.len() {
            if let Value::String(s) = cur.as_ref() {
                if s.contains("${") {
                    let s = s.clone();
                    let here = KeyPath(target.0[..i].to_vec());
                    cur = Cow::Owned(self.resolve_string(&here, &s)?);
                }
            }
            let Some(seg) = target.0.get(i) else { break };
            let next = match cur {
                Cow::Borrowed(v) => child(v, seg).map(Cow::Borrowed),
                Cow::Owned(v) => child(&v, seg).cloned().map(Cow::Owned),
            };
            match next {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        }
        let v = cur.into_owned();
        Ok(Some(self.resolve_tree(target, v)))
    }

    /// `${file(path):address}`: a JSON or YAML file relative to the service directory; a missing
    /// file or address is a miss (a fallback may apply).
    fn file_value(&mut self, path: &KeyPath, file: &str, address: &str) -> R<Option<Value>> {
        let full = self.ctx.dir.join(file);
        if crate::manifest::js::is_js(&full) {
            return crate::manifest::js::evaluate(self, path, file, &full, address);
        }
        if !self.files.contains_key(&full) {
            let loaded = self.load_file(path, file, &full)?;
            self.files.insert(full.clone(), loaded);
        }
        let Some(content) = self.files.get(&full).cloned().flatten() else {
            return Ok(None);
        };
        let mut prefix = KeyPath::root().key(format!("file({file})"));
        let mut cur = content;
        for seg in KeyPath::parse_dotted(address).0 {
            prefix = KeyPath({
                let mut v = prefix.0.clone();
                v.push(seg.clone());
                v
            });
            match child(&cur, &seg) {
                Some(next) => cur = next.clone(),
                None => return Ok(None),
            }
        }
        Ok(Some(self.resolve_tree(&prefix, cur)))
    }

    fn load_file(&mut self, path: &KeyPath, file: &str, full: &Path) -> R<Option<Value>> {
        let meta = match std::fs::metadata(full) {
            Ok(m) => m,
            Err(_) => return Ok(None),
        };
        if meta.len() > crate::yaml::MAX_FILE_BYTES {
            self.report(
                Diagnostic::error(format!(
                    "`{file}` is {} bytes, more than the {} a variable file may have",
                    meta.len(),
                    crate::yaml::MAX_FILE_BYTES
                ))
                .at(path)
                .hint("variable files hold configuration values; keep data elsewhere"),
            );
            return Err(Reported);
        }
        let ext = full
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let text = match std::fs::read_to_string(full) {
            Ok(t) => t,
            Err(e) => {
                self.report(
                    Diagnostic::error(format!("could not read `{file}`: {e}"))
                        .at(path)
                        .hint("variable files must be readable UTF-8 text"),
                );
                return Err(Reported);
            }
        };
        let parsed = match ext.as_str() {
            "json" => serde_json::from_str(&text).map_err(|e| {
                Diagnostic::error(format!("`{file}` is not valid JSON: {e}"))
                    .hint("fix the JSON syntax at the position shown")
            }),
            "yml" | "yaml" => crate::yaml::parse(&text).map_err(|d| Diagnostic {
                message: format!("`{file}`: {}", d.message),
                ..d
            }),
            _ => Err(
                Diagnostic::error(format!("`{file}` has an extension sls-rs cannot read"))
                    .hint("variable files are .json, .yml or .yaml"),
            ),
        };
        match parsed {
            Ok(v) => Ok(Some(v)),
            Err(d) => {
                let mut d = d.at(path);
                d.location = None;
                self.report(d);
                Err(Reported)
            }
        }
    }
}

/// Gives `js.rs` access to what a JavaScript variable file may ask for.
impl crate::manifest::js::Host for Resolver<'_, '_> {
    fn options(&self) -> &BTreeMap<String, Value> {
        &self.ctx.options
    }
    fn dir(&self) -> &Path {
        &self.ctx.dir
    }
    fn resolve_variable(&mut self, path: &KeyPath, expr: &str) -> Option<Value> {
        self.evaluate_var(path, expr).ok()
    }
    fn report(&mut self, d: Diagnostic) {
        Resolver::report(self, d)
    }
}

fn child<'v>(v: &'v Value, seg: &Seg) -> Option<&'v Value> {
    match (v, seg) {
        (Value::Object(m), Seg::Key(k)) => m.get(k),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        (Value::Array(a), Seg::Key(k)) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

/// How a value reads when embedded in a string.
pub fn stringify(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn quoted(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0] {
        Some(&s[1..s.len() - 1])
    } else {
        None
    }
}

/// The parameters of a source: `ssm(eu-west-1, raw)` → `["eu-west-1", "raw"]`.
fn source_params(source: &str) -> Vec<String> {
    source
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map(|inside| {
            split_alternatives(inside)
                .into_iter()
                .map(|p| {
                    let p = p.trim();
                    quoted(p).unwrap_or(p).to_string()
                })
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the inside of a `${…}` is one of ours. `${AWS::Region}` and `${Resource.Attr}` belong
/// to CloudFormation's `Fn::Sub` and are left alone.
fn is_ours(inner: &str) -> bool {
    let t = inner.trim_start();
    let ident_len = t
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    if ident_len == 0 {
        return false;
    }
    let rest = &t[ident_len..];
    (rest.starts_with(':') && !rest.starts_with("::")) || rest.starts_with('(')
}

/// How deeply `${…}` nest inside `s` (`${a:${b:c}}` is 2), in one pass. Evaluation recurses
/// once per level and copies each level's text, so the depth is bounded before it starts.
fn variable_nesting(s: &str) -> usize {
    let bytes = s.as_bytes();
    // One entry per open brace: whether it opened a variable.
    let mut open: Vec<bool> = Vec::new();
    let (mut vars, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes[i + 1..].starts_with(b"${") => i += 2,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                open.push(true);
                vars += 1;
                deepest = deepest.max(vars);
                i += 1;
            }
            b'{' if !open.is_empty() => open.push(false),
            b'}' => {
                let closes_a_variable = open.pop() == Some(true);
                vars -= usize::from(closes_a_variable);
            }
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Splits a string into literal text and the insides of our `${…}` expressions. `\${` is a
/// literal `${`.
fn split_parts(s: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && s[i + 1..].starts_with("${") {
            lit.push_str("${");
            i += 3;
            continue;
        }
        if s[i..].starts_with("${") {
            let start = i + 2;
            let mut depth = 1;
            let mut j = start;
            while j < bytes.len() {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if depth != 0 {
                return Err(format!("unterminated variable in `{s}`"));
            }
            let inner = &s[start..j];
            if is_ours(inner) {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Var(inner.to_string()));
            } else {
                lit.push_str(&s[i..=j]);
            }
            i = j + 1;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        lit.push(ch);
        i += ch.len_utf8();
    }
    if !lit.is_empty() || parts.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}

/// Splits `env:A, env:B, 'x'` at the commas outside quotes and parentheses.
fn split_alternatives(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in expr.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&expr[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&expr[start..]);
    out
}

/// The message and hint for a variable none of whose alternatives had a value.
fn describe_miss(expr: &str, misses: &[String], ctx: &Context) -> (String, String) {
    let what: Vec<String> = misses
        .iter()
        .map(|m| {
            if let Some(name) = m.strip_prefix("env:") {
                format!("environment variable `{}` is not set", name.trim())
            } else if let Some(p) = m.strip_prefix("self:") {
                format!("`{}` does not exist in the configuration", p.trim())
            } else if let Some(o) = m.strip_prefix("opt:") {
                format!("option `--{}` was not given", o.trim())
            } else if let Some(f) = m.strip_prefix("file(") {
                let file = f.split(')').next().unwrap_or(f).trim();
                if ctx.dir.join(file).exists() {
                    format!(
                        "`{}` has no value at `{}`",
                        file,
                        f.split_once("):").map(|x| x.1).unwrap_or("")
                    )
                } else {
                    format!("file `{file}` does not exist")
                }
            } else if let Some(p) = m.strip_prefix("param:") {
                format!("parameter `{}` is not set", p.trim())
            } else {
                format!("`{m}` has no value")
            }
        })
        .collect();
    let msg = format!("could not resolve `${{{expr}}}`: {}", what.join("; "));
    let hint = match misses.first().map(|s| s.as_str()) {
        Some(m) if m.starts_with("env:") => {
            format!("set it, or add a fallback: `${{{}, 'default'}}`", m.trim())
        }
        Some(m) if m.starts_with("self:") => {
            "check the spelling of the path, or add a fallback: `${self:custom.x, 'default'}`"
                .to_string()
        }
        Some(m) if m.starts_with("opt:") => format!(
            "pass `--{} <value>`, or add a fallback: `${{{}, 'default'}}`",
            m[4..].trim(),
            m.trim()
        ),
        _ => "add a fallback after a comma: `${source:name, 'default'}`".to_string(),
    };
    (msg, hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nesting_is_measured_in_one_pass() {
        assert_eq!(variable_nesting("plain"), 0);
        assert_eq!(variable_nesting("${self:a}-${opt:b}"), 1);
        assert_eq!(variable_nesting("${self:custom.${sls:stage}.x}"), 2);
        assert_eq!(variable_nesting("\\${not} ${a:{b}}"), 1);
        let deep = format!("{}x{}", "${self:".repeat(100_000), "}".repeat(100_000));
        assert_eq!(variable_nesting(&deep), 100_000);
    }

    fn ctx() -> Context {
        Context {
            dir: PathBuf::from("."),
            options: BTreeMap::new(),
            env: HashMap::from([("SET".to_string(), "from-env".to_string())]),
            params: BTreeMap::new(),
            instance_id: "42".into(),
            remote: None,
        }
    }

    #[test]
    fn parts_leave_cloudformation_sub_variables_alone() {
        let v = resolve(
            json!({"a": {"Fn::Sub": "${AWS::Region}-${Res.Arn}-${self:b}"}, "b": "x"}),
            &ctx(),
        )
        .unwrap();
        assert_eq!(v["a"]["Fn::Sub"], "${AWS::Region}-${Res.Arn}-x");
    }

    #[test]
    fn whole_string_variables_keep_their_type() {
        let v = resolve(
            json!({"n": 3, "a": "${self:n}", "b": "n-${self:n}"}),
            &ctx(),
        )
        .unwrap();
        assert_eq!(v["a"], json!(3));
        assert_eq!(v["b"], json!("n-3"));
    }

    #[test]
    fn cycles_name_both_ends() {
        let e = resolve(json!({"a": "${self:b}", "b": "${self:a}"}), &ctx()).unwrap_err();
        assert!(e[0].message.contains("circular reference"), "{e:?}");
        assert!(e[0].message.contains('a') && e[0].message.contains('b'));
    }

    #[test]
    fn escapes_stay_literal() {
        let v = resolve(json!({"a": "\\${not:resolved}"}), &ctx()).unwrap();
        assert_eq!(v["a"], "${not:resolved}");
    }

    #[test]
    fn alternatives_split_outside_quotes() {
        assert_eq!(
            split_alternatives("env:A, 'x, y', file(a,b):c"),
            vec!["env:A", " 'x, y'", " file(a,b):c"]
        );
    }
}
