//! `serverless-compose.yml`: several services deployed together, in the order their references
//! and `dependsOn` give (v3's compose format). Pure: the file → a [`Compose`], which services a
//! command runs on, in what order, and the parameters each gets once the outputs it refers to
//! are known. `commands::compose` runs the services.
//!
//! ```yaml
//! services:
//!   queue:
//!     path: queue
//!   api:
//!     path: api
//!     config: serverless.api.yml     # optional
//!     params:
//!       queueUrl: ${queue.QueueUrl}  # queue's stack output; implies api depends on queue
//!     dependsOn: [queue]             # a name or a list
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::{Diagnostic, Error, KeyPath, Result};

pub const FILE_NAMES: &[&str] = &[
    "serverless-compose.yml",
    "serverless-compose.yaml",
    "serverless-compose.json",
];

/// The compose file in `dir`, if there is one.
pub fn find(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compose {
    pub services: IndexMap<String, Service>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub path: PathBuf,
    /// `config:` a configuration file other than `serverless.yml`.
    pub config: Option<String>,
    /// Parameters for `${param:…}`, each made of text and references to outputs.
    pub params: IndexMap<String, Vec<Piece>>,
    /// Every service this one waits for: `dependsOn` and those its parameters refer to.
    pub depends_on: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    /// `${service.OutputKey}`.
    Output {
        service: String,
        key: String,
    },
}

/// Reads `text`, the compose file in `dir` (shown as `file` in messages); service paths are
/// relative to `dir`.
pub fn parse(text: &str, file: &Path, dir: &Path, stage: &str) -> Result<Compose> {
    let root = crate::yaml::parse(text).map_err(|d| Error::Config(vec![d.in_file(file)]))?;
    let mut diags = Vec::new();
    let mut err = |path: &KeyPath, msg: String, hint: &str| {
        diags.push(Diagnostic::error(msg).at(path).hint(hint));
    };
    let top = KeyPath::root();
    let mut services = IndexMap::new();
    let Some(m) = root.as_object() else {
        err(
            &top,
            "the compose file must be a map".into(),
            "write `services:` with a map of service names to `{path: …}`",
        );
        return Err(located(text, file, diags));
    };
    for k in m.keys().filter(|k| k.as_str() != "services") {
        err(
            &top.key(k.clone()),
            format!("`{k}` is not a compose setting sls-rs knows"),
            "the compose file has `services:`; settings of a service go in its own serverless.yml",
        );
    }
    let sp = top.key("services");
    let Some(entries) = m.get("services").and_then(Value::as_object) else {
        err(
            &sp,
            "the compose file has no `services:` map".into(),
            "write `services: { api: { path: api } }`",
        );
        return Err(located(text, file, diags));
    };
    for (name, v) in entries {
        let p = sp.key(name.clone());
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            err(
                &p,
                format!("service name `{name}` is not a name compose can refer to"),
                "use letters, digits, `-` and `_`",
            );
            continue;
        }
        let Some(sm) = v.as_object() else {
            err(
                &p,
                format!("service `{name}` must be a map"),
                "write `path: <directory>`",
            );
            continue;
        };
        for k in sm.keys() {
            if !["path", "config", "params", "dependsOn"].contains(&k.as_str()) {
                err(
                    &p.key(k.clone()),
                    format!("`{k}` is not a setting of a compose service"),
                    "a service has path, config, params and dependsOn",
                );
            }
        }
        let Some(path) = sm.get("path").and_then(Value::as_str) else {
            err(
                &p.key("path"),
                format!("service `{name}` has no `path`"),
                "give the directory of its serverless.yml, relative to the compose file",
            );
            continue;
        };
        let mut depends_on = BTreeSet::new();
        match sm.get("dependsOn") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                depends_on.insert(s.clone());
            }
            Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
                depends_on.extend(list.iter().filter_map(Value::as_str).map(String::from));
            }
            Some(_) => err(
                &p.key("dependsOn"),
                format!("`dependsOn` of `{name}` must be a service name or a list of them"),
                "write `dependsOn: [other]`",
            ),
        }
        let mut params = IndexMap::new();
        match sm.get("params") {
            None | Some(Value::Null) => {}
            Some(Value::Object(pm)) => {
                for (k, v) in pm {
                    let at = p.key("params").key(k.clone());
                    let text_value = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            err(
                                &at,
                                format!("parameter `{k}` must be a plain value"),
                                "parameters arrive as `${param:…}` text",
                            );
                            continue;
                        }
                    };
                    match pieces(&text_value, stage) {
                        Ok(ps) => {
                            for piece in &ps {
                                if let Piece::Output { service, .. } = piece {
                                    depends_on.insert(service.clone());
                                }
                            }
                            params.insert(k.clone(), ps);
                        }
                        Err(msg) => err(&at, msg, "refer to another service's output as `${service.OutputKey}`; `${sls:stage}` is the compose stage"),
                    }
                }
            }
            Some(_) => err(
                &p.key("params"),
                format!("`params` of `{name}` must be a map"),
                "write `params: { key: value }`",
            ),
        }
        services.insert(
            name.clone(),
            Service {
                name: name.clone(),
                path: dir.join(path),
                config: sm.get("config").and_then(Value::as_str).map(String::from),
                params,
                depends_on,
            },
        );
    }
    for s in services.values() {
        for d in &s.depends_on {
            if !services.contains_key(d) {
                err(
                    &sp.key(s.name.clone()),
                    format!(
                        "service `{}` depends on `{d}`, which the compose file does not have",
                        s.name
                    ),
                    "name a service under `services:`",
                );
            }
            if d == &s.name {
                err(
                    &sp.key(s.name.clone()),
                    format!("service `{}` depends on itself", s.name),
                    "a service cannot wait for its own outputs",
                );
            }
        }
    }
    if diags.is_empty() {
        let c = Compose { services };
        if let Some(cycle) = c.cycle() {
            return Err(Error::failed_with_hint(
                format!(
                    "the compose services depend on each other in a cycle: {}",
                    cycle.join(" → ")
                ),
                "break the cycle: one of them must not wait for the other's outputs",
            ));
        }
        Ok(c)
    } else {
        Err(located(text, file, diags))
    }
}

fn located(text: &str, file: &Path, diags: Vec<Diagnostic>) -> Error {
    Error::Config(crate::manifest::locate_all(text, file, diags))
}

/// `a-${queue.Url}-${sls:stage}` → text and references.
fn pieces(s: &str, stage: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        if i > 0 {
            out.push(Piece::Text(rest[..i].to_string()));
        }
        let Some(end) = rest[i..].find('}') else {
            return Err(format!("`{s}` has a `${{` without its `}}`"));
        };
        let inner = rest[i + 2..i + end].trim();
        if inner == "sls:stage" {
            out.push(Piece::Text(stage.to_string()));
        } else {
            match inner.split_once('.') {
                Some((svc, key))
                    if !svc.is_empty()
                        && !key.is_empty()
                        && !svc.contains(':')
                        && key.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    out.push(Piece::Output {
                        service: svc.to_string(),
                        key: key.to_string(),
                    })
                }
                _ => {
                    return Err(format!(
                        "`${{{inner}}}` is not a reference compose resolves"
                    ))
                }
            }
        }
        rest = &rest[i + end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    Ok(out)
}

impl Compose {
    /// A cycle of dependencies, named in order and back to its start, if there is one.
    pub fn cycle(&self) -> Option<Vec<String>> {
        // Depth-first, colouring nodes: 1 on the current path, 2 done.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        let mut path: Vec<&str> = Vec::new();
        fn visit<'a>(
            c: &'a Compose,
            n: &'a str,
            state: &mut BTreeMap<&'a str, u8>,
            path: &mut Vec<&'a str>,
        ) -> Option<Vec<String>> {
            match state.get(n) {
                Some(2) => return None,
                Some(1) => {
                    let start = path.iter().position(|p| *p == n).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        path[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(n.to_string());
                    return Some(cycle);
                }
                _ => {}
            }
            state.insert(n, 1);
            path.push(n);
            if let Some(s) = c.services.get(n) {
                for d in &s.depends_on {
                    if let Some(found) = visit(c, d, state, path) {
                        return Some(found);
                    }
                }
            }
            path.pop();
            state.insert(n, 2);
            None
        }
        for n in self.services.keys() {
            if let Some(c) = visit(self, n, &mut state, &mut path) {
                return Some(c);
            }
        }
        None
    }

    /// The services `filter` names (all when empty), each checked.
    pub fn select(&self, filter: &[String]) -> Result<Vec<String>> {
        if filter.is_empty() {
            return Ok(self.services.keys().cloned().collect());
        }
        for f in filter {
            if !self.services.contains_key(f) {
                return Err(Error::Usage(format!(
                    "the compose file has no service `{f}` (it has {})",
                    self.services.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(self
            .services
            .keys()
            .filter(|k| filter.contains(k))
            .cloned()
            .collect())
    }

    /// The services that depend on `name` (the reverse edges, for `remove`).
    pub fn dependents(&self, name: &str) -> BTreeSet<String> {
        self.services
            .values()
            .filter(|s| s.depends_on.contains(name))
            .map(|s| s.name.clone())
            .collect()
    }

    /// `name`'s parameters with `outputs` (service → output key → value) filled in, and the
    /// references no output answers (empty in the values).
    pub fn params(
        &self,
        name: &str,
        outputs: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut out = Vec::new();
        let mut missing = Vec::new();
        let Some(s) = self.services.get(name) else {
            return (out, missing);
        };
        for (k, ps) in &s.params {
            let mut v = String::new();
            for p in ps {
                match p {
                    Piece::Text(t) => v.push_str(t),
                    Piece::Output { service, key } => {
                        match outputs.get(service).and_then(|o| o.get(key)) {
                            Some(x) => v.push_str(x),
                            None => missing.push(format!("{service}.{key}")),
                        }
                    }
                }
            }
            out.push((k.clone(), v));
        }
        (out, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compose(yaml: &str) -> Result<Compose> {
        parse(
            yaml,
            Path::new("serverless-compose.yml"),
            Path::new("/p"),
            "dev",
        )
    }

    #[test]
    fn references_imply_order_and_fill_parameters() {
        let c = compose("services:\n  queue:\n    path: queue\n  api:\n    path: api\n    params:\n      url: ${queue.QueueUrl}\n      name: api-${sls:stage}\n  jobs:\n    path: jobs\n    dependsOn: api\n").unwrap();
        assert_eq!(
            c.services["api"].depends_on,
            BTreeSet::from(["queue".to_string()])
        );
        assert_eq!(
            c.services["jobs"].depends_on,
            BTreeSet::from(["api".to_string()])
        );
        assert_eq!(c.services["api"].path, Path::new("/p/api"));
        let mut outputs = BTreeMap::new();
        assert_eq!(
            c.params("api", &outputs).1,
            vec!["queue.QueueUrl".to_string()]
        );
        outputs.insert(
            "queue".to_string(),
            BTreeMap::from([("QueueUrl".to_string(), "https://q".to_string())]),
        );
        assert_eq!(
            c.params("api", &outputs).0,
            [
                ("url".to_string(), "https://q".to_string()),
                ("name".to_string(), "api-dev".to_string())
            ]
        );
        assert_eq!(c.dependents("queue"), BTreeSet::from(["api".to_string()]));
    }

    #[test]
    fn cycles_and_unknown_services_are_refused() {
        let e = compose("services:\n  a:\n    path: a\n    params:\n      x: ${b.Out}\n  b:\n    path: b\n    dependsOn: [c]\n  c:\n    path: c\n    dependsOn: a\n").unwrap_err();
        assert!(e.to_string().contains("a cycle: a → b → c → a"), "{e}");
        let e = compose("services:\n  a:\n    path: a\n    dependsOn: nope\n").unwrap_err();
        assert!(e.to_string().contains("depends on `nope`"), "{e}");
        let e = compose("services:\n  a:\n    path: a\n    params:\n      x: ${env:HOME}\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("is not a reference compose resolves"),
            "{e}"
        );
    }
}
