//! Checks run on the finished template, before anything touches AWS: CloudFormation's and
//! Lambda's limits, and references to resources that do not exist. Each error names the numbers
//! and the cause, where CloudFormation would fail minutes into a deploy with a generic message.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::Compiler;
use crate::error::{Diagnostic, KeyPath};

pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_MAPPINGS: usize = 200;
/// CloudFormation's limit for a template body read from S3.
pub const MAX_TEMPLATE_BYTES: usize = 1_048_576;
/// Lambda's limit on the total size of a function's environment variables.
pub const MAX_ENVIRONMENT_BYTES: usize = 4096;

const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// What the whole template must satisfy, before it is split into nested stacks: Lambda's limits
/// and references to resources that exist.
pub(super) fn check(c: &mut Compiler, t: &Value) {
    let resources = t["Resources"].as_object().cloned().unwrap_or_default();
    environment(c, &resources);
    references(c, t);
}

/// CloudFormation's limits on one template: the root (`stack` None; `split` when functions
/// were moved out of it already) or a nested stack.
pub(super) fn sizes(c: &mut Compiler, t: &Value, stack: Option<&str>, split: bool) {
    let empty = serde_json::Map::new();
    let resources = t["Resources"].as_object().unwrap_or(&empty);
    let what = match stack {
        Some(s) => format!("nested stack {s}"),
        None if split => "the root stack, with the functions in nested stacks,".to_string(),
        None => "the stack".to_string(),
    };
    if resources.len() > MAX_RESOURCES {
        let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
        for r in resources.values() {
            *by_type
                .entry(r["Type"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
        let mut counts: Vec<_> = by_type.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let list = counts
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut hint = String::from(if split {
            "what stays in the root is shared by the functions (APIs and their paths, the role, `resources:`); move part of the service into another one (serverless-compose.yml)"
        } else {
            "split the service into several services (serverless-compose.yml)"
        });
        if counts.iter().any(|(t, _)| t == "AWS::Lambda::Version") {
            hint.push_str("; `versionFunctions: false` saves one resource per function");
        }
        if counts
            .iter()
            .any(|(t, _)| t.starts_with("AWS::ApiGateway::"))
        {
            hint.push_str("; httpApi events need fewer resources per route than http events");
        }
        c.diags.push(
            Diagnostic::error(format!(
                "{what} would have {} resources; CloudFormation allows {MAX_RESOURCES} ({list})",
                resources.len()
            ))
            .hint(hint),
        );
    }
    let count = |key: &str| t.get(key).and_then(Value::as_object).map_or(0, |m| m.len());
    for (key, max) in [
        ("Outputs", MAX_OUTPUTS),
        ("Parameters", MAX_PARAMETERS),
        ("Mappings", MAX_MAPPINGS),
    ] {
        let n = count(key);
        if n > max {
            c.diags.push(
                Diagnostic::error(format!("{what} would have {n} {key}; CloudFormation allows {max}"))
                    .hint(if key == "Outputs" { "each versioned function adds an output; set `versionFunctions: false` or remove outputs under resources.Outputs" } else { "remove some from `resources:`" }),
            );
        }
    }
    let size = super::rendered_len(t);
    if size > MAX_TEMPLATE_BYTES {
        c.diags.push(
            Diagnostic::error(format!("the template of {what} is {size} bytes; CloudFormation accepts at most {MAX_TEMPLATE_BYTES}"))
                .hint("split the service into several stacks, or shorten large inline values (policies, environment)"),
        );
    }
    // A function's nested stack is fixed by its key and never changes, so the functions added
    // to a full one later cannot go elsewhere: the warning comes while there is still room.
    let Some(stack) = stack else {
        return;
    };
    for (what, used, max) in [
        ("resources", resources.len(), MAX_RESOURCES),
        ("outputs", count("Outputs"), MAX_OUTPUTS),
        ("parameters", count("Parameters"), MAX_PARAMETERS),
        ("template bytes", size, MAX_TEMPLATE_BYTES),
    ] {
        if used * 100 > max * HEADROOM_PERCENT && used <= max {
            c.warnings.push(
                Diagnostic::warning(format!(
                    "nested stack {stack} uses {used} of CloudFormation's {max} {what} ({}%)",
                    used * 100 / max
                ))
                .hint("each function's nested stack is fixed by a hash of its name, so the functions added to this one later may not fit; move part of the service into another one (serverless-compose.yml), or set `versionFunctions: false` (one resource and one output less per function)"),
            );
        }
    }
}

/// The share of a limit past which a nested stack has little room left to grow.
pub const HEADROOM_PERCENT: usize = 80;

fn environment(c: &mut Compiler, resources: &serde_json::Map<String, Value>) {
    for f in c.service.functions.values() {
        let id = crate::naming::function_logical_id(&f.key);
        let Some(vars) = resources
            .get(&id)
            .and_then(|r| r["Properties"]["Environment"]["Variables"].as_object())
        else {
            continue;
        };
        let fp = KeyPath::root()
            .key("functions")
            .key(f.key.clone())
            .key("environment");
        let mut total = 0;
        for (k, v) in vars {
            if RESERVED_ENV.contains(&k.as_str()) {
                let p = if f.environment.contains_key(k) {
                    fp.key(k.clone())
                } else {
                    KeyPath::parse_dotted("provider.environment").key(k.clone())
                };
                c.diags.push(
                    Diagnostic::error(format!("`{k}` is set by Lambda and cannot be overridden"))
                        .at(&p)
                        .hint("choose another name"),
                );
            }
            if k.is_empty()
                || !k.starts_with(|ch: char| ch.is_ascii_alphabetic())
                || !k.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            {
                c.diags.push(
                    Diagnostic::error(format!("`{k}` is not a valid environment variable name"))
                        .at(&fp.key(k.clone()))
                        .hint(
                            "names start with a letter and contain letters, digits and underscores",
                        ),
                );
            }
            total += k.len() + v.as_str().map_or_else(|| v.to_string().len(), str::len);
        }
        if total > MAX_ENVIRONMENT_BYTES {
            c.diags.push(
                Diagnostic::error(format!("function `{}` has {total} bytes of environment variables; Lambda allows {MAX_ENVIRONMENT_BYTES}", f.key))
                    .at(&fp)
                    .hint("move large values to SSM Parameter Store or S3 and read them at start-up"),
            );
        }
    }
}

/// `Ref`, `Fn::GetAtt` and `DependsOn` must name something in the template.
fn references(c: &mut Compiler, t: &Value) {
    let mut known: HashSet<String> = HashSet::new();
    for key in ["Resources", "Parameters"] {
        if let Some(m) = t.get(key).and_then(Value::as_object) {
            known.extend(m.keys().cloned());
        }
    }
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let resources = t["Resources"].as_object().cloned().unwrap_or_default();
    for (id, r) in &resources {
        match r.get("DependsOn") {
            Some(Value::String(d)) if !known.contains(d) => {
                missing.entry(d.clone()).or_default().push(id.clone())
            }
            Some(Value::Array(ds)) => {
                for d in ds.iter().filter_map(Value::as_str) {
                    if !known.contains(d) {
                        missing.entry(d.to_string()).or_default().push(id.clone());
                    }
                }
            }
            _ => {}
        }
        walk(r, &known, id, &mut missing);
    }
    if let Some(outputs) = t.get("Outputs") {
        walk(outputs, &known, "Outputs", &mut missing);
    }
    for (target, users) in missing {
        let mut users = users;
        users.dedup();
        let hint = if crate::naming::is_layer_logical_id(&target) {
            "a `!Ref <Name>LambdaLayer` names a layer under `layers:`; check its key".to_string()
        } else {
            "define it under resources.Resources, or fix the name (logical IDs are case-sensitive)"
                .to_string()
        };
        c.diags.push(
            Diagnostic::error(format!(
                "`{target}` is referenced by {} but is not in the template",
                users.join(", ")
            ))
            .hint(hint),
        );
    }
}

fn walk(
    v: &Value,
    known: &HashSet<String>,
    owner: &str,
    missing: &mut BTreeMap<String, Vec<String>>,
) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(target)) = m.get("Ref") {
                    if !target.starts_with("AWS::") && !known.contains(target) {
                        missing
                            .entry(target.clone())
                            .or_default()
                            .push(owner.to_string());
                    }
                }
                let getatt_target = match m.get("Fn::GetAtt") {
                    Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(String::from),
                    Some(Value::String(s)) => s.split('.').next().map(String::from),
                    _ => None,
                };
                if let Some(target) = getatt_target {
                    if !known.contains(&target) {
                        missing.entry(target).or_default().push(owner.to_string());
                    }
                }
            }
            for (k, child) in m {
                if k == "Fn::Sub" || k == "Fn::Transform" {
                    continue;
                }
                walk(child, known, owner, missing);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, known, owner, missing)),
        _ => {}
    }
}
