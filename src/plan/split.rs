//! Nested stacks, when the compiled stack is past CloudFormation's limits (500 resources, 200
//! outputs, 1 MB): the root keeps what is shared — the deployment bucket, the role, the APIs
//! and their paths, the user's `resources:` — and each function goes, with its version, log
//! group, permissions and event resources, into one of [`SLOTS`] nested stacks chosen by a
//! hash of its key. A function's stack never changes as functions are added or removed, so
//! nothing is ever moved between stacks (a moved logical ID is a replaced resource).
//!
//! A reference across stacks becomes a parameter of the stack that makes it and an output of
//! the stack that holds the target (routed through the root between two nested stacks);
//! `DependsOn` across stacks becomes the nested stack's own. Pure: templates in, templates out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::limits::{MAX_OUTPUTS, MAX_RESOURCES, MAX_TEMPLATE_BYTES};
use crate::manifest::Service;
use crate::naming;

/// How many nested stacks functions are spread over (only those with functions are made).
pub const SLOTS: u64 = 32;

/// Whether `t` needs nested stacks.
pub fn needed(t: &Value) -> bool {
    let count = |k: &str| t[k].as_object().map_or(0, Map::len);
    count("Resources") > MAX_RESOURCES
        || count("Outputs") > MAX_OUTPUTS
        || super::rendered_len(t) > MAX_TEMPLATE_BYTES
}

/// The nested stack a function goes to: the first 8 bytes of the sha256 of its key.
pub fn slot(function: &str) -> u64 {
    let h = Sha256::digest(function.as_bytes());
    u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]) % SLOTS
}

/// One nested stack: its logical ID in the root, its template's file name, the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Nested {
    pub id: String,
    pub file: String,
    pub template: Value,
}

/// Splits `root` (the compiled update template) for `service`. `directory` is the deployment's
/// directory in `bucket` (a `Ref` or the name), where the nested templates are uploaded.
pub fn split(
    service: &Service,
    mut root: Value,
    directory: &str,
    bucket: &Value,
) -> (Value, Vec<Nested>) {
    let resources = match root.get_mut("Resources").map(Value::take) {
        Some(Value::Object(rs)) => rs,
        _ => Map::new(),
    };
    let owner = owners(service, &resources);
    if owner.is_empty() {
        root["Resources"] = Value::Object(resources);
        return (root, Vec::new());
    }
    // The stack of each moved resource: its function's slot's logical ID.
    let owner: BTreeMap<String, String> = owner
        .into_iter()
        .map(|(id, f)| (id, naming::nested_stack_id(slot(&f))))
        .collect();
    let stack_of = |id: &str| -> Option<String> { owner.get(id).cloned() };
    // Each resource, moved (not copied) to its stack; the root's keep their order.
    let mut nested: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut kept = Map::new();
    for (id, r) in resources {
        match stack_of(&id) {
            Some(s) => {
                nested.entry(s).or_default().insert(id, r);
            }
            None => {
                kept.insert(id, r);
            }
        }
    }
    let mut links = Links::default();
    // Nested resources: references outward become parameters; DependsOn outward goes to the
    // stack.
    let mut nested_out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (s, rs) in nested {
        let mut out = Map::new();
        for (id, mut r) in rs {
            if let Some(p) = r.get_mut("Properties") {
                rewrite(p, &mut |t, a| links.reference(&owner, Some(&s), t, a));
            }
            if let Some(deps) = r.as_object_mut().and_then(|o| o.remove("DependsOn")) {
                let deps: Vec<String> = match deps {
                    Value::String(d) => vec![d],
                    Value::Array(ds) => ds
                        .iter()
                        .filter_map(|d| d.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                };
                let (inside, outside): (Vec<String>, Vec<String>) = deps
                    .into_iter()
                    .partition(|d| stack_of(d).as_deref() == Some(s.as_str()));
                for d in outside {
                    let on = stack_of(&d).unwrap_or(d);
                    links.stack_deps.entry(s.clone()).or_default().insert(on);
                }
                if !inside.is_empty() {
                    r["DependsOn"] = json!(inside);
                }
            }
            out.insert(id.clone(), r);
        }
        nested_out.insert(s.clone(), out);
    }
    // Root resources and outputs: references to moved resources read the nested outputs.
    let mut root_resources = Map::new();
    for (id, mut r) in kept {
        if let Some(p) = r.get_mut("Properties") {
            rewrite(p, &mut |t, a| links.reference(&owner, None, t, a));
        }
        if let Some(deps) = r.get_mut("DependsOn") {
            let list: Vec<String> = match deps {
                Value::String(d) => vec![d.clone()],
                Value::Array(ds) => ds
                    .iter()
                    .filter_map(|d| d.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            let mut mapped: Vec<String> = Vec::new();
            for d in list {
                let d = stack_of(&d).unwrap_or(d);
                if !mapped.contains(&d) {
                    mapped.push(d);
                }
            }
            *deps = json!(mapped);
        }
        root_resources.insert(id.clone(), r);
    }
    // Outputs about one nested stack's resources alone (a function's version) move into it,
    // with their export names; the rest read nested outputs.
    let mut moved_outputs: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    if let Some(Value::Object(os)) = root.get_mut("Outputs") {
        let mut kept = Map::new();
        for (k, mut o) in std::mem::take(os) {
            let stacks: BTreeSet<Option<String>> = referenced(&o["Value"])
                .iter()
                .map(|t| stack_of(t))
                .collect();
            match stacks.into_iter().collect::<Vec<_>>().as_slice() {
                [Some(s)] => {
                    moved_outputs.entry(s.clone()).or_default().insert(k, o);
                }
                _ => {
                    rewrite(&mut o, &mut |t, a| links.reference(&owner, None, t, a));
                    kept.insert(k, o);
                }
            }
        }
        *os = kept;
    }
    let Links {
        params,
        outputs,
        stack_deps,
    } = links;
    // The nested stacks themselves, in the root.
    let mut out = Vec::new();
    for (s, rs) in nested_out {
        let file = naming::nested_template_file(&s);
        let mut t = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": format!("{} {}: functions of nested stack {s}", service.name, service.stage),
        });
        if let Some(ps) = params.get(&s) {
            t["Parameters"] = ps
                .keys()
                .map(|k| (k.clone(), json!({ "Type": "String" })))
                .collect::<Map<_, _>>()
                .into();
        }
        if let Some(m) = root.get("Mappings") {
            t["Mappings"] = m.clone();
        }
        t["Resources"] = Value::Object(rs);
        let mut os = moved_outputs.remove(&s).unwrap_or_default();
        for (k, v) in outputs.get(&s).into_iter().flatten() {
            os.insert(k.clone(), json!({ "Value": v }));
        }
        if !os.is_empty() {
            t["Outputs"] = Value::Object(os);
        }
        let mut props = Map::new();
        props.insert(
            "TemplateURL".into(),
            json!({ "Fn::Join": ["", ["https://", bucket, ".s3.", { "Ref": "AWS::URLSuffix" }, "/", directory, "/", file]] }),
        );
        if let Some(ps) = params.get(&s) {
            props.insert(
                "Parameters".into(),
                Value::Object(ps.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            );
        }
        let mut stack = json!({ "Type": "AWS::CloudFormation::Stack", "Properties": props });
        let deps: Vec<&String> = stack_deps
            .get(&s)
            .into_iter()
            .flatten()
            .filter(|d| **d != s)
            .collect();
        if !deps.is_empty() {
            stack["DependsOn"] = json!(deps);
        }
        root_resources.insert(s.clone(), stack);
        out.push(Nested {
            id: s,
            file,
            template: t,
        });
    }
    root["Resources"] = Value::Object(root_resources);
    (root, out)
}

/// What crosses between stacks: each nested stack's parameters (name → value in the root) and
/// outputs (name → value inside it), and the stacks (or root resources) it waits for.
#[derive(Default)]
struct Links {
    params: BTreeMap<String, BTreeMap<String, Value>>,
    outputs: BTreeMap<String, BTreeMap<String, Value>>,
    stack_deps: BTreeMap<String, BTreeSet<String>>,
}

impl Links {
    /// A reference to `target` (`attr` for GetAtt) from the stack `from` (None: the root), as
    /// the expression to use there; `None` when `target` is in the same stack. `owner` maps
    /// each moved resource to its stack.
    fn reference(
        &mut self,
        owner: &BTreeMap<String, String>,
        from: Option<&str>,
        target: &str,
        attr: Option<&str>,
    ) -> Option<Value> {
        let to = owner.get(target).cloned();
        if to.as_deref() == from {
            return None;
        }
        let name = naming::nested_reference(target, attr);
        let direct = match attr {
            None => json!({ "Ref": target }),
            Some(a) => json!({ "Fn::GetAtt": [target, a] }),
        };
        // The value as the root sees it.
        let in_root = match &to {
            None => direct,
            Some(s) => {
                self.outputs
                    .entry(s.clone())
                    .or_default()
                    .insert(name.clone(), direct);
                json!({ "Fn::GetAtt": [s, format!("Outputs.{name}")] })
            }
        };
        match from {
            None => Some(in_root),
            Some(f) => {
                self.params
                    .entry(f.to_string())
                    .or_default()
                    .insert(name.clone(), in_root);
                if let Some(s) = &to {
                    self.stack_deps
                        .entry(f.to_string())
                        .or_default()
                        .insert(s.clone());
                }
                Some(json!({ "Ref": name }))
            }
        }
    }
}

/// Which function each movable resource belongs to. A function moves with: what its name
/// prefixes and that references it or that it references (version, log group, permissions,
/// aliases, URL, event rules and mappings), then the API methods, integrations and routes
/// that reach only it. The user's `resources:`, anything with a `Condition` or `Fn::If`, and a
/// function with either, stay in the root.
fn owners(service: &Service, resources: &Map<String, Value>) -> BTreeMap<String, String> {
    let user: BTreeSet<&str> = service
        .resources
        .resources
        .keys()
        .map(String::as_str)
        .collect();
    // Resources CloudFormation decides with a condition, whose conditions live in the root.
    let conditional: BTreeSet<&str> = resources
        .iter()
        .filter(|(_, r)| r.get("Condition").is_some() || has_key(r, "Fn::If"))
        .map(|(id, _)| id.as_str())
        .collect();
    let conditional = |id: &str| conditional.contains(id);
    let mut stems: Vec<(String, &str)> = service
        .functions
        .keys()
        .map(|k| (naming::normalize_name(k), k.as_str()))
        .collect();
    stems.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (_, key) in &stems {
        let id = naming::function_logical_id(key);
        if resources.contains_key(&id) && !conditional(&id) && !user.contains(id.as_str()) {
            owner.insert(id, key.to_string());
        }
    }
    let refs: BTreeMap<&str, BTreeSet<String>> = resources
        .iter()
        .map(|(id, r)| (id.as_str(), referenced(r)))
        .collect();
    let movable = |id: &str| !user.contains(id) && !conditional(id);
    // The function whose stem is the longest that `id` starts with, followed by a capital
    // (`HelloWorldLogGroup` is `helloWorld`'s, not `hello`'s).
    let by_stem: std::collections::HashMap<&str, &str> = stems
        .iter()
        .map(|(stem, key)| (stem.as_str(), *key))
        .collect();
    let stem_of = |id: &str| -> Option<&str> {
        id.char_indices()
            .rev()
            .filter(|(i, c)| *i > 0 && c.is_ascii_uppercase())
            .find_map(|(i, _)| by_stem.get(&id[..i]).copied())
    };
    // By name: `<Stem>…` that references its function or that its function references.
    for id in resources.keys() {
        if owner.contains_key(id) || !movable(id) {
            continue;
        }
        let Some(key) = stem_of(id) else {
            continue;
        };
        let f = naming::function_logical_id(key);
        if !owner.contains_key(&f) {
            continue;
        }
        let linked =
            refs[id.as_str()].contains(&f) || refs.get(f.as_str()).is_some_and(|s| s.contains(id));
        if linked {
            owner.insert(id.clone(), key.to_string());
        }
    }
    // Through what has moved: alias-scoped names (`…ProvConcLambdaAlias`), versions' aliases.
    // Then the per-route API resources reaching one function.
    const ROUTES: &[&str] = &[
        "AWS::ApiGateway::Method",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Route",
    ];
    loop {
        let mut changed = false;
        for (id, r) in resources {
            if owner.contains_key(id) || !movable(id) {
                continue;
            }
            let named = stem_of(id).is_some();
            let kind = r["Type"].as_str().unwrap_or("");
            if !named && !ROUTES.contains(&kind) {
                continue;
            }
            let fs: BTreeSet<&String> = refs[id.as_str()]
                .iter()
                .filter_map(|t| owner.get(t))
                .collect();
            if fs.len() == 1 {
                let f = fs.into_iter().next().cloned().unwrap_or_default();
                owner.insert(id.clone(), f);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    owner
}

/// Whether `key` is a key anywhere in `v`.
fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
        Value::Array(a) => a.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

/// The logical IDs `r` names: `Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub`, `DependsOn`.
fn referenced(r: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut v = r.clone();
    rewrite(&mut v, &mut |t, _| {
        out.insert(t.to_string());
        None
    });
    match &r["DependsOn"] {
        Value::String(d) => {
            out.insert(d.clone());
        }
        Value::Array(ds) => out.extend(ds.iter().filter_map(|d| d.as_str().map(String::from))),
        _ => {}
    }
    out
}

/// Calls `f(target, attribute)` for each reference in `v`; where it answers, the reference is
/// replaced by the answer (a `Fn::Sub` variable gets it in its variable map).
fn rewrite(v: &mut Value, f: &mut dyn FnMut(&str, Option<&str>) -> Option<Value>) {
    match v {
        Value::Object(m) if m.len() == 1 => {
            if let Some(Value::String(t)) = m.get("Ref") {
                if !t.starts_with("AWS::") {
                    let t = t.clone();
                    if let Some(new) = f(&t, None) {
                        *v = new;
                    }
                }
                return;
            }
            if let Some(ga) = m.get("Fn::GetAtt") {
                let parts: Option<(String, String)> = match ga {
                    Value::Array(p) if p.len() == 2 => Some((
                        p[0].as_str().unwrap_or("").to_string(),
                        p[1].as_str().unwrap_or("").to_string(),
                    )),
                    Value::String(s) => s
                        .split_once('.')
                        .map(|(a, b)| (a.to_string(), b.to_string())),
                    _ => None,
                };
                if let Some((t, a)) = parts.filter(|(t, a)| !t.is_empty() && !a.is_empty()) {
                    if let Some(new) = f(&t, Some(&a)) {
                        *v = new;
                    }
                }
                return;
            }
            if m.contains_key("Fn::Sub") {
                let (text, mut vars) = match m.get("Fn::Sub") {
                    Some(Value::String(s)) => (s.clone(), Map::new()),
                    Some(Value::Array(p)) if p.len() == 2 => (
                        p[0].as_str().unwrap_or("").to_string(),
                        p[1].as_object().cloned().unwrap_or_default(),
                    ),
                    _ => return,
                };
                for var in vars.values_mut() {
                    rewrite(var, f);
                }
                let mut added = false;
                let mut rest = text.as_str();
                while let Some(i) = rest.find("${") {
                    let Some(end) = rest[i..].find('}') else {
                        break;
                    };
                    let inner = &rest[i + 2..i + end];
                    rest = &rest[i + end + 1..];
                    if inner.starts_with('!')
                        || inner.starts_with("AWS::")
                        || vars.contains_key(inner)
                    {
                        continue;
                    }
                    let (t, a) = match inner.split_once('.') {
                        Some((t, a)) => (t, Some(a)),
                        None => (inner, None),
                    };
                    if let Some(new) = f(t, a) {
                        vars.insert(inner.to_string(), new);
                        added = true;
                    }
                }
                if added {
                    // `${X.Attr}` cannot name a variable; such names are turned into plain ones.
                    let mut text = text.clone();
                    let mut plain = Map::new();
                    for (k, val) in vars {
                        let name: String = k.chars().filter(char::is_ascii_alphanumeric).collect();
                        if name != k {
                            text = text.replace(&format!("${{{k}}}"), &format!("${{{name}}}"));
                        }
                        plain.insert(name, val);
                    }
                    *v = json!({ "Fn::Sub": [text, plain] });
                }
                return;
            }
            for x in m.values_mut() {
                rewrite(x, f);
            }
        }
        Value::Object(m) => {
            for x in m.values_mut() {
                rewrite(x, f);
            }
        }
        Value::Array(a) => {
            for x in a {
                rewrite(x, f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rendered_length_is_counted_exactly() {
        let t = json!({ "Resources": { "A": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "ü \"x\"" } } } });
        assert_eq!(
            super::super::rendered_len(&t),
            super::super::render(&t).len()
        );
    }

    #[test]
    fn slots_are_stable_and_spread() {
        assert_eq!(slot("hello"), slot("hello"));
        let used: BTreeSet<u64> = (0..300).map(|i| slot(&format!("f{i}"))).collect();
        assert!(used.len() > 28, "{used:?}");
        assert!(used.iter().all(|s| *s < SLOTS));
    }

    #[test]
    fn sub_references_become_variables() {
        let mut v = json!({ "Fn::Sub": "arn:${AWS::Partition}:x:${Target.Arn}/${Other}" });
        rewrite(&mut v, &mut |t, a| {
            (t == "Target").then(|| json!({ "Ref": format!("P{t}{}", a.unwrap_or("")) }))
        });
        assert_eq!(
            v,
            json!({ "Fn::Sub": ["arn:${AWS::Partition}:x:${TargetArn}/${Other}", { "TargetArn": { "Ref": "PTargetArn" } }] })
        );
    }
}
