//! Reading typed values out of the resolved configuration, with a diagnostic for every value
//! that has the wrong shape. Each accessor records what it finds wrong and returns `None`, so
//! validation goes on and reports every mistake in one run.

use serde_json::{Map, Value};

use crate::error::{did_you_mean, Diagnostic, KeyPath};

pub struct Checker {
    pub diags: Vec<Diagnostic>,
    /// `configValidationMode: error`: unknown properties are errors, not warnings.
    pub strict: bool,
    /// `YYYY-MM-DD`, for runtime lifecycle dates.
    pub today: String,
    /// `configValidationMode: off`: unknown properties are not reported at all.
    pub quiet_unknown: bool,
    /// The service lists plugins, which may define top-level and function properties: unknown
    /// ones there wait in `deferred` until the plugins have said what they define.
    pub plugins_extend: bool,
    pub deferred: Vec<Diagnostic>,
}

/// A JSON type name for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// A short rendering of a value for messages.
pub fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// Whether a value is a CloudFormation intrinsic (`{Ref: …}`, `{Fn::GetAtt: …}`), which stands for
/// a value only known at deploy time.
pub fn is_intrinsic(v: &Value) -> bool {
    match v {
        Value::Object(m) if m.len() == 1 => m
            .keys()
            .next()
            .is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::")),
        _ => false,
    }
}

impl Checker {
    pub fn new(strict: bool, today: String) -> Self {
        Checker {
            diags: Vec::new(),
            strict,
            today,
            quiet_unknown: false,
            plugins_extend: false,
            deferred: Vec::new(),
        }
    }

    pub fn error(&mut self, path: &KeyPath, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::error(msg).at(path).hint(hint));
    }

    pub fn warn(&mut self, path: &KeyPath, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(msg).at(path).hint(hint));
    }

    /// Warns (errors when strict) about keys not in `known`, suggesting the closest known one.
    pub fn unknown_keys(&mut self, map: &Map<String, Value>, known: &[&str], path: &KeyPath) {
        self.report_unknown(map, known, path, false);
    }

    /// [`Checker::unknown_keys`] for the maps plugins may extend (the top level, a function).
    pub fn unknown_keys_extensible(
        &mut self,
        map: &Map<String, Value>,
        known: &[&str],
        path: &KeyPath,
    ) {
        self.report_unknown(map, known, path, self.plugins_extend);
    }

    fn report_unknown(
        &mut self,
        map: &Map<String, Value>,
        known: &[&str],
        path: &KeyPath,
        defer: bool,
    ) {
        for key in map.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let at = path.key(key.clone());
            if let Some(hint) = crate::manifest::not_yet::hint(&at) {
                self.error(&at, format!("`{at}` is not supported by sls-rs yet"), hint);
                continue;
            }
            if self.quiet_unknown {
                continue;
            }
            let hint = match did_you_mean(key, known) {
                Some(k) => format!("did you mean `{k}`?"),
                None => "remove it, or check the Serverless Framework v3 documentation for the right place".to_string(),
            };
            let d = if self.strict {
                Diagnostic::error(format!("unknown property `{key}`"))
            } else {
                Diagnostic::warning(format!("unknown property `{key}` is ignored"))
            };
            let d = d.at(&at).hint(hint);
            if defer {
                self.deferred.push(d);
            } else {
                self.diags.push(d);
            }
        }
    }

    pub fn map<'a>(&mut self, v: &'a Value, path: &KeyPath) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.error(
                    path,
                    format!(
                        "`{path}` must be a map, not {} ({})",
                        type_name(other),
                        show(other)
                    ),
                    "indent its properties under it as `key: value` lines",
                );
                None
            }
        }
    }

    /// A string; numbers and booleans are accepted and turned into text, as YAML users expect.
    pub fn string(&mut self, v: &Value, path: &KeyPath) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.error(
                    path,
                    format!(
                        "`{path}` must be a string, not {} ({})",
                        type_name(other),
                        show(other)
                    ),
                    "write a plain value",
                );
                None
            }
        }
    }

    pub fn opt_string(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &KeyPath,
    ) -> Option<String> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.string(v, &path.key(key)),
        }
    }

    pub fn opt_bool(&mut self, m: &Map<String, Value>, key: &str, path: &KeyPath) -> Option<bool> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
            Some(other) => {
                self.error(
                    &path.key(key),
                    format!(
                        "`{}` must be true or false, not {}",
                        path.key(key),
                        show(other)
                    ),
                    "write true or false",
                );
                None
            }
        }
    }

    /// An integer in `lo..=hi`; numeric strings are accepted.
    pub fn opt_int(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &KeyPath,
        lo: i64,
        hi: i64,
    ) -> Option<i64> {
        let p = path.key(key);
        let v = match m.get(key) {
            None | Some(Value::Null) => return None,
            Some(v) => v,
        };
        let n = match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match n {
            None => {
                self.error(
                    &p,
                    format!(
                        "`{p}` must be a whole number, not {} ({})",
                        type_name(v),
                        show(v)
                    ),
                    format!("use a number from {lo} to {hi}"),
                );
                None
            }
            Some(n) if n < lo || n > hi => {
                self.error(
                    &p,
                    format!("`{p}` is {n}, outside the range AWS accepts ({lo} to {hi})"),
                    format!("use a number from {lo} to {hi}"),
                );
                None
            }
            Some(n) => Some(n),
        }
    }

    /// A map of names to plain values (environment variables, tags). Intrinsics are kept.
    pub fn string_map(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &KeyPath,
    ) -> indexmap::IndexMap<String, Value> {
        let mut out = indexmap::IndexMap::new();
        let p = path.key(key);
        match m.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(entries)) => {
                for (k, v) in entries {
                    let vp = p.key(k.clone());
                    match v {
                        Value::String(_) => {
                            out.insert(k.clone(), v.clone());
                        }
                        Value::Number(n) => {
                            out.insert(k.clone(), Value::String(n.to_string()));
                        }
                        Value::Bool(b) => {
                            out.insert(k.clone(), Value::String(b.to_string()));
                        }
                        Value::Null => {
                            out.insert(k.clone(), Value::String(String::new()));
                        }
                        v if is_intrinsic(v) => {
                            out.insert(k.clone(), v.clone());
                        }
                        other => self.error(
                            &vp,
                            format!("`{vp}` must be a plain value, not {}", type_name(other)),
                            "values here are strings; use !Ref/!GetAtt/!Sub for values known at deploy time",
                        ),
                    }
                }
            }
            Some(other) => self.error(
                &p,
                format!(
                    "`{p}` must be a map of names to values, not {}",
                    type_name(other)
                ),
                "write one `NAME: value` line per entry",
            ),
        }
        out
    }
}
