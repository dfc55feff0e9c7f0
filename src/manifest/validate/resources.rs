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
            "path",
        ],
        p,
    );
    pkg.path = c.opt_string(m, "path", p).map(std::path::PathBuf::from);
    pkg.patterns = patterns(m, p, c);
    pkg.individually = c.opt_bool(m, "individually", p).unwrap_or(false);
    pkg.artifact = c.opt_string(m, "artifact", p);
    pkg.exclude_dev_dependencies = c.opt_bool(m, "excludeDevDependencies", p).unwrap_or(true);
    pkg
}

pub(super) fn plugins(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Plugins {
    let mut out = Plugins::default();
    let (items, items_path) = match v {
        None | Some(Value::Null) => return out,
        Some(Value::Array(a)) => (a, p.clone()),
        Some(Value::Object(m)) => {
            c.unknown_keys(m, &["localPath", "modules"], p);
            out.local_path = c.opt_string(m, "localPath", p);
            match m.get("modules") {
                Some(Value::Array(a)) => (a, p.key("modules")),
                None | Some(Value::Null) => return out,
                Some(other) => {
                    c.error(
                        &p.key("modules"),
                        format!("`modules` must be a list, not {}", type_name(other)),
                        "write one `- plugin-name` per line under `modules:`",
                    );
                    return out;
                }
            }
        }
        Some(other) => {
            c.error(
                p,
                format!("`plugins` must be a list, not {}", type_name(other)),
                "write one `- plugin-name` per line",
            );
            return out;
        }
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(name) if !name.trim().is_empty() => {
                if out.modules.contains(name) {
                    c.error(
                        &items_path.index(i),
                        format!("plugin `{name}` is listed twice"),
                        "list each plugin once",
                    );
                } else {
                    out.modules.push(name.clone());
                }
            }
            other => c.error(
                &items_path.index(i),
                format!("a plugin is named by a string, not {}", type_name(other)),
                "write the npm package name, e.g. `- serverless-esbuild`, or `- ./local-plugin`",
            ),
        }
    }
    out
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
