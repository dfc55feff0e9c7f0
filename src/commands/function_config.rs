//! What `deploy function` sends to `UpdateFunctionConfiguration`: the compiled function's
//! properties that differ from the deployed template's, in the shape the template writes them.
//!
//! A property is sent when it changed since the last stack deployment, Lambda's API takes it,
//! its new value is plain (no `Ref` or `Fn::…` that only CloudFormation resolves), and Lambda
//! does not have that value already. Any other change is a reason to refuse: only a stack update
//! would apply it, and deploying the code without it would leave the function half-updated.

use std::collections::BTreeMap;

use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::operation::update_function_configuration::builders::UpdateFunctionConfigurationFluentBuilder;
use aws_sdk_lambda::types::{
    DeadLetterConfig, Environment, EphemeralStorage, Runtime, TracingConfig, TracingMode, VpcConfig,
};
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};

/// The template properties `UpdateFunctionConfiguration` applies, with the value Lambda uses
/// when the template leaves one out.
const UPDATABLE: &[(&str, Option<&str>)] = &[
    ("Description", Some(r#""""#)),
    ("Handler", None),
    ("MemorySize", Some("128")),
    ("Timeout", Some("3")),
    ("Runtime", None),
    ("Role", None),
    ("Environment", Some(r#"{"Variables":{}}"#)),
    ("Layers", Some("[]")),
    (
        "VpcConfig",
        Some(r#"{"SecurityGroupIds":[],"SubnetIds":[]}"#),
    ),
    ("KmsKeyArn", Some(r#""""#)),
    ("DeadLetterConfig", Some(r#"{"TargetArn":""}"#)),
    ("TracingConfig", Some(r#"{"Mode":"PassThrough"}"#)),
    ("EphemeralStorage", Some(r#"{"Size":512}"#)),
];

/// The properties to send (template name → plain value), or why only a stack update can apply
/// the change.
pub fn change(
    local: &Map<String, Value>,
    deployed: &Map<String, Value>,
    remote: &Map<String, Value>,
) -> std::result::Result<BTreeMap<String, Value>, Vec<String>> {
    let mut send = BTreeMap::new();
    let mut refused = Vec::new();
    let mut keys: Vec<&String> = local.keys().chain(deployed.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if key == "Code" || local.get(key) == deployed.get(key) {
            continue;
        }
        let Some((_, default)) = UPDATABLE.iter().find(|(k, _)| k == key) else {
            refused.push(format!("{key} changed"));
            continue;
        };
        let value = match (local.get(key), default) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => serde_json::from_str(d).unwrap_or(Value::Null),
            (None, None) => {
                refused.push(format!("{key} was removed"));
                continue;
            }
        };
        if resolved_by_cloudformation(&value) {
            refused.push(format!(
                "{key} changes to a value CloudFormation resolves ({})",
                short(&value)
            ));
            continue;
        }
        let value = normalize(key, &value);
        if remote.get(key) != Some(&value) {
            send.insert(key.clone(), value);
        }
    }
    if refused.is_empty() {
        Ok(send)
    } else {
        Err(refused)
    }
}

/// Whether a value holds an intrinsic function (`Ref`, `Fn::…`) anywhere.
fn resolved_by_cloudformation(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            (m.len() == 1 && m.keys().any(|k| k == "Ref" || k.starts_with("Fn::")))
                || m.values().any(resolved_by_cloudformation)
        }
        Value::Array(a) => a.iter().any(resolved_by_cloudformation),
        _ => false,
    }
}

fn short(v: &Value) -> String {
    crate::diff::short(&Some(v.clone()), 80)
}

/// One shape for a template value and Lambda's: environment values as strings, the VPC's lists
/// sorted and its dual-stack flag only when on.
fn normalize(key: &str, v: &Value) -> Value {
    match key {
        "Environment" => {
            let vars: Map<String, Value> = v["Variables"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), Value::String(s))
                })
                .collect();
            json!({ "Variables": vars })
        }
        "VpcConfig" => {
            let sorted = |k: &str| {
                let mut l: Vec<Value> = v[k].as_array().cloned().unwrap_or_default();
                l.sort_by_key(|x| x.to_string());
                Value::Array(l)
            };
            let mut out = json!({
                "SecurityGroupIds": sorted("SecurityGroupIds"),
                "SubnetIds": sorted("SubnetIds"),
            });
            if v["Ipv6AllowedForDualStack"].as_bool() == Some(true) {
                out["Ipv6AllowedForDualStack"] = json!(true);
            }
            out
        }
        _ => v.clone(),
    }
}

/// The deployed function's configuration in the template's shape, for what [`UPDATABLE`] names.
pub fn remote(c: &GetFunctionConfigurationOutput) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("Description".into(), json!(c.description().unwrap_or("")));
    if let Some(h) = c.handler() {
        m.insert("Handler".into(), json!(h));
    }
    if let Some(x) = c.memory_size() {
        m.insert("MemorySize".into(), json!(x));
    }
    if let Some(x) = c.timeout() {
        m.insert("Timeout".into(), json!(x));
    }
    if let Some(r) = c.runtime() {
        m.insert("Runtime".into(), json!(r.as_str()));
    }
    if let Some(r) = c.role() {
        m.insert("Role".into(), json!(r));
    }
    let vars: Map<String, Value> = c
        .environment()
        .and_then(|e| e.variables())
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    m.insert(
        "Environment".into(),
        normalize("Environment", &json!({ "Variables": vars })),
    );
    let layers: Vec<&str> = c.layers().iter().filter_map(|l| l.arn()).collect();
    m.insert("Layers".into(), json!(layers));
    let vpc = c.vpc_config();
    m.insert(
        "VpcConfig".into(),
        normalize(
            "VpcConfig",
            &json!({
                "SecurityGroupIds": vpc.map(|v| v.security_group_ids()).unwrap_or_default(),
                "SubnetIds": vpc.map(|v| v.subnet_ids()).unwrap_or_default(),
                "Ipv6AllowedForDualStack": vpc.and_then(|v| v.ipv6_allowed_for_dual_stack()),
            }),
        ),
    );
    m.insert("KmsKeyArn".into(), json!(c.kms_key_arn().unwrap_or("")));
    m.insert(
        "DeadLetterConfig".into(),
        json!({ "TargetArn": c.dead_letter_config().and_then(|d| d.target_arn()).unwrap_or("") }),
    );
    m.insert(
        "TracingConfig".into(),
        json!({ "Mode": c.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str()).unwrap_or("PassThrough") }),
    );
    m.insert(
        "EphemeralStorage".into(),
        json!({ "Size": c.ephemeral_storage().map(|e| e.size()).unwrap_or(512) }),
    );
    m
}

/// The `UpdateFunctionConfiguration` request setting `change`.
pub fn request(
    client: &aws_sdk_lambda::Client,
    function: &str,
    change: &BTreeMap<String, Value>,
) -> Result<UpdateFunctionConfigurationFluentBuilder> {
    let bad = |key: &str, v: &Value| {
        Error::failed(format!(
            "internal: the compiled {key} of {function} is not what Lambda takes: {}",
            short(v)
        ))
    };
    let text = |key: &str, v: &Value| v.as_str().map(String::from).ok_or_else(|| bad(key, v));
    let int = |key: &str, v: &Value| {
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| bad(key, v))
    };
    let texts = |key: &str, v: &Value| -> Result<Vec<String>> {
        v.as_array()
            .ok_or_else(|| bad(key, v))?
            .iter()
            .map(|x| text(key, x))
            .collect()
    };
    let mut req = client
        .update_function_configuration()
        .function_name(function);
    for (key, v) in change {
        req = match key.as_str() {
            "Description" => req.description(text(key, v)?),
            "Handler" => req.handler(text(key, v)?),
            "MemorySize" => req.memory_size(int(key, v)?),
            "Timeout" => req.timeout(int(key, v)?),
            "Runtime" => req.runtime(Runtime::from(text(key, v)?.as_str())),
            "Role" => req.role(text(key, v)?),
            "Environment" => {
                let vars = v["Variables"]
                    .as_object()
                    .ok_or_else(|| bad(key, v))?
                    .iter()
                    .map(|(k, x)| Ok((k.clone(), text(key, x)?)))
                    .collect::<Result<std::collections::HashMap<String, String>>>()?;
                req.environment(Environment::builder().set_variables(Some(vars)).build())
            }
            "Layers" => req.set_layers(Some(texts(key, v)?)),
            "VpcConfig" => req.vpc_config(
                VpcConfig::builder()
                    .set_security_group_ids(Some(texts(key, &v["SecurityGroupIds"])?))
                    .set_subnet_ids(Some(texts(key, &v["SubnetIds"])?))
                    .set_ipv6_allowed_for_dual_stack(v["Ipv6AllowedForDualStack"].as_bool())
                    .build(),
            ),
            "KmsKeyArn" => req.kms_key_arn(text(key, v)?),
            "DeadLetterConfig" => req.dead_letter_config(
                DeadLetterConfig::builder()
                    .target_arn(text(key, &v["TargetArn"])?)
                    .build(),
            ),
            "TracingConfig" => req.tracing_config(
                TracingConfig::builder()
                    .mode(TracingMode::from(text(key, &v["Mode"])?.as_str()))
                    .build(),
            ),
            "EphemeralStorage" => req.ephemeral_storage(
                EphemeralStorage::builder()
                    .size(int(key, &v["Size"])?)
                    .build()
                    .map_err(|_| bad(key, v))?,
            ),
            _ => return Err(bad(key, v)),
        };
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn plain_changes_are_sent_unless_lambda_has_them() {
        let deployed = map(json!({
            "Code": {"S3Key": "a.zip"}, "Handler": "h.main", "MemorySize": 1024, "Timeout": 6,
            "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]},
            "Environment": {"Variables": {"A": "1"}}
        }));
        let local = map(json!({
            "Code": {"S3Key": "b.zip"}, "Handler": "h.main", "MemorySize": 512, "Timeout": 6,
            "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]},
            "Environment": {"Variables": {"A": "1", "B": 2}}, "Description": "new"
        }));
        let remote = map(json!({ "MemorySize": 1024, "Description": "new",
            "Environment": {"Variables": {"A": "1"}} }));
        let sent = change(&local, &deployed, &remote).unwrap();
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({ "MemorySize": 512, "Environment": {"Variables": {"A": "1", "B": "2"}} })
        );
    }

    #[test]
    fn removed_settings_go_back_to_lambdas_defaults() {
        let deployed = map(json!({ "Timeout": 30, "Layers": ["arn:l:1"] }));
        let sent = change(&Map::new(), &deployed, &Map::new()).unwrap();
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({ "Timeout": 3, "Layers": [] })
        );
    }

    #[test]
    fn what_only_a_stack_update_applies_is_refused() {
        let deployed = map(json!({ "Tags": [], "Environment": {"Variables": {}} }));
        let local = map(json!({
            "Tags": [{"Key": "team", "Value": "x"}],
            "Environment": {"Variables": {"T": {"Ref": "Table"}}},
            "ReservedConcurrentExecutions": 5
        }));
        let why = change(&local, &deployed, &Map::new()).unwrap_err();
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].starts_with("Environment changes to a value CloudFormation resolves"));
        assert_eq!(why[1], "ReservedConcurrentExecutions changed");
        assert_eq!(why[2], "Tags changed");
    }

    #[test]
    fn vpc_lists_compare_as_sets() {
        let deployed = map(json!({}));
        let local =
            map(json!({ "VpcConfig": {"SubnetIds": ["b", "a"], "SecurityGroupIds": ["s"]} }));
        let remote =
            map(json!({ "VpcConfig": {"SubnetIds": ["a", "b"], "SecurityGroupIds": ["s"]} }));
        assert!(change(&local, &deployed, &remote).unwrap().is_empty());
    }
}
