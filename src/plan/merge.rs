//! The user's `resources:` over the generated template, by v3's rules: `Resources` and `Outputs`
//! merged last, recursively (so users can override generated properties; lists merge item by
//! item), `extensions` applied to generated resources only (`Properties` and `Metadata` key by
//! key, `DependsOn` appended, the policies and `Condition` replaced), `Conditions`, `Mappings`,
//! `Parameters` and the rest passed through.

use serde_json::{json, Map, Value};

use super::{Compiler, DESCRIPTION};
use crate::error::{Diagnostic, KeyPath};

/// Objects merge key by key and lists item by item, recursively; anything else is replaced by
/// the user's value (v3 merges `resources:` so: a one-item `DependsOn` over a generated
/// two-item one replaces the first item only).
pub(crate) fn deep_merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(o)) => {
            for (i, v) in o.iter().enumerate() {
                match b.get_mut(i) {
                    Some(existing) => deep_merge(existing, v),
                    None => b.push(v.clone()),
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// An `extensions` entry applied to a generated resource.
fn extend(existing: &mut Value, ext: &Map<String, Value>) {
    for (key, value) in ext {
        match (key.as_str(), value) {
            ("Properties" | "Metadata", Value::Object(m)) => {
                let target = existing
                    .as_object_mut()
                    .map(|r| r.entry(key.clone()).or_insert_with(|| json!({})));
                if let Some(Value::Object(t)) = target {
                    for (k, v) in m {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
            ("DependsOn", added) => {
                let mut list = match existing.get("DependsOn") {
                    Some(Value::Array(a)) => a.clone(),
                    Some(Value::Null) | None => Vec::new(),
                    Some(one) => vec![one.clone()],
                };
                match added {
                    Value::Array(a) => list.extend(a.iter().cloned()),
                    one => list.push(one.clone()),
                }
                existing["DependsOn"] = Value::Array(list);
            }
            _ => existing[key.as_str()] = value.clone(),
        }
    }
}

pub(super) fn user_resources(c: &mut Compiler) -> Value {
    let r = &c.service.resources;
    let rp = KeyPath::root().key("resources");
    for (id, res) in &r.resources {
        match c.t.resources.get_mut(id) {
            Some(existing) => deep_merge(existing, res),
            None => {
                if res.get("Type").is_none() {
                    c.diags.push(
                        Diagnostic::error(format!("resource `{id}` has no `Type`, and sls-rs generates no resource of that name to override"))
                            .at(&rp.key("Resources").key(id.clone()))
                            .hint("add `Type:`, or check the logical ID of the generated resource you meant (sls-rs package --dry-run lists them)"),
                    );
                }
                c.t.resources.insert(id.clone(), res.clone());
            }
        }
    }
    for (id, ext) in &r.extensions {
        let ep = rp.key("extensions").key(id.clone());
        match c.t.resources.get_mut(id) {
            Some(existing) => {
                if let Some(m) = ext.as_object() {
                    for key in m.keys() {
                        if !["Properties", "DependsOn", "Metadata", "Condition", "DeletionPolicy", "UpdatePolicy", "UpdateReplacePolicy", "CreationPolicy"].contains(&key.as_str()) {
                            c.diags.push(Diagnostic::error(format!("`{key}` cannot be extended")).at(&ep.key(key.clone())).hint("extensions take Properties, DependsOn, Metadata, Condition and the policies"));
                        }
                    }
                    extend(existing, m);
                }
            }
            None => c.diags.push(
                Diagnostic::error(format!("`extensions` names `{id}`, which the template does not have"))
                    .at(&ep)
                    .hint("extensions change generated resources; define new ones under `resources.Resources`"),
            ),
        }
    }
    let mut outputs = std::mem::take(&mut c.t.outputs);
    for (k, v) in &r.outputs {
        match outputs.get_mut(k) {
            Some(existing) => deep_merge(existing, v),
            None => {
                outputs.insert(k.clone(), v.clone());
            }
        }
    }

    let mut t = Map::new();
    t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    t.insert(
        "Description".into(),
        json!(r
            .description
            .clone()
            .unwrap_or_else(|| DESCRIPTION.to_string())),
    );
    for (key, section) in [
        ("Metadata", &r.metadata),
        ("Parameters", &r.parameters),
        ("Mappings", &r.mappings),
        ("Conditions", &r.conditions),
        ("Rules", &r.rules),
    ] {
        if !section.is_empty() {
            t.insert(key.into(), Value::Object(section.clone()));
        }
    }
    if let Some(tr) = &r.transform {
        t.insert("Transform".into(), tr.clone());
    }
    t.insert(
        "Resources".into(),
        Value::Object(std::mem::take(&mut c.t.resources)),
    );
    if !outputs.is_empty() {
        t.insert("Outputs".into(), Value::Object(outputs));
    }
    Value::Object(t)
}
