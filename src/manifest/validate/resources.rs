//! `package:`, `plugins:` and `resources:`.

use serde_json::Value;

use super::*;
use crate::error::KeyPath;
use crate::manifest::checker::{show, type_name, Checker};

pub(super) fn package(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Package {
    let mut pkg = Package {
        exclude_dev_dependencies: true,
        ..Default::default()
    };
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return pkg;
    };
    let Some(m) = c.map(v, p) else { return pkg };
    c.unknown_keys(
        m,
        &[
            "patterns",
            "include",
            "exclude",
            "individually",
            "artifact",
            "excludeDevDependencies",
        ],
        p,
    );
    pkg.patterns = patterns(m, p, c);
    pkg.individually = c.opt_bool(m, "individually", p).unwrap_or(false);
    pkg.artifact = c.opt_string(m, "artifact", p);
    pkg.exclude_dev_dependencies = c.opt_bool(m, "excludeDevDependencies", p).unwrap_or(true);
    pkg
}

pub(super) fn plugins(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Vec<String> {
    let list: Vec<String> = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        Some(Value::Object(m)) => m
            .get("modules")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        Some(other) => {
            c.error(
                p,
                format!("`plugins` must be a list, not {}", type_name(other)),
                "write one `- plugin-name` per line",
            );
            return Vec::new();
        }
    };
    for (i, name) in list.iter().enumerate() {
        c.warn(&p.index(i), format!("plugin `{name}` is not run by sls-rs"), "sls-rs runs no Node.js plugins; what the plugin adds to the template must be written under `resources:`");
    }
    list
}

pub(super) fn resources(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Resources {
    let mut r = Resources::default();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return r;
    };
    // v3 also accepts a list of resource fragments (often from `${file(…)}`), merged in order.
    let fragments: Vec<(KeyPath, &Value)> = match v {
        Value::Array(a) => a.iter().enumerate().map(|(i, x)| (p.index(i), x)).collect(),
        other => vec![(p.clone(), other)],
    };
    for (fp, frag) in fragments {
        let Some(m) = c.map(frag, &fp) else { continue };
        c.unknown_keys(
            m,
            &[
                "Resources",
                "Outputs",
                "Conditions",
                "Mappings",
                "Parameters",
                "Metadata",
                "Rules",
                "Transform",
                "Description",
                "AWSTemplateFormatVersion",
                "extensions",
            ],
            &fp,
        );
        for (key, target) in [
            ("Resources", &mut r.resources),
            ("Outputs", &mut r.outputs),
            ("Conditions", &mut r.conditions),
            ("Mappings", &mut r.mappings),
            ("Parameters", &mut r.parameters),
            ("Metadata", &mut r.metadata),
            ("Rules", &mut r.rules),
            ("extensions", &mut r.extensions),
        ] {
            match m.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Object(entries)) => {
                    for (k, v) in entries {
                        target.insert(k.clone(), v.clone());
                    }
                }
                Some(other) => c.error(
                    &fp.key(key),
                    format!("`{key}` must be a map, not {}", type_name(other)),
                    "each entry is `LogicalId: { … }`",
                ),
            }
        }
        if let Some(d) = m.get("Description") {
            r.description = c.string(d, &fp.key("Description"));
        }
        if let Some(t) = m.get("Transform") {
            r.transform = Some(t.clone());
        }
        for (id, res) in m
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let rp = fp.key("Resources").key(id.clone());
            if !id.chars().all(|ch| ch.is_ascii_alphanumeric()) || id.is_empty() {
                c.error(
                    &rp,
                    format!("`{id}` is not a valid logical ID"),
                    "logical IDs contain only letters and digits",
                );
            }
            match res {
                Value::Object(rm) => {
                    if let Some(t) = rm.get("Type") {
                        if !t.as_str().is_some_and(|t| t.contains("::")) {
                            c.error(
                                &rp.key("Type"),
                                format!("resource type {} is not a CloudFormation type", show(t)),
                                "types look like AWS::S3::Bucket",
                            );
                        }
                    }
                }
                other => c.error(
                    &rp,
                    format!("resource `{id}` must be a map, not {}", type_name(other)),
                    "give it `Type:` and `Properties:`",
                ),
            }
        }
    }
    r
}
