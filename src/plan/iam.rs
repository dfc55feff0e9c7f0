//! The shared execution role `IamRoleLambdaExecution`.
//!
//! Its place in the template is reserved early (v3 puts it after the log groups) and its policy
//! is written last, once every event has said which permissions it needs.

use serde_json::{json, Map, Value};

use super::Compiler;
use crate::naming;

pub(super) fn reserve_role(c: &mut Compiler) {
    let s = c.service;
    c.has_role =
        s.provider.iam.existing_role.is_none() && s.functions.values().any(|f| f.role.is_none());
    if c.has_role {
        c.add(naming::ROLE_ID, Value::Null);
    }
}

fn log_resources(c: &Compiler, suffix: &str) -> Vec<Value> {
    let s = c.service;
    let prefix = format!("{}-{}", s.name, s.stage);
    let sub = |group: String| json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}{suffix}") });
    let mut out = Vec::new();
    for f in s.functions.values() {
        if !f.disable_logs && !f.name.starts_with(&prefix) {
            out.push(sub(naming::log_group_name(&f.name)));
        }
    }
    out.push(sub(naming::log_group_name(&format!("{prefix}*"))));
    out
}

/// IAM accepts `Action: s3:GetObject`; v3 writes it as a list, and so does sls-rs.
fn normalize_statement(st: &Value) -> Value {
    let mut st = st.clone();
    if let Some(m) = st.as_object_mut() {
        for key in ["Action", "NotAction"] {
            if let Some(Value::String(a)) = m.get(key).cloned() {
                m.insert(key.into(), json!([a]));
            }
        }
    }
    st
}

pub(super) fn finish_role(c: &mut Compiler) {
    if !c.has_role {
        return;
    }
    let s = c.service;
    let iam = &s.provider.iam;
    let mut statements = vec![
        json!({ "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"], "Resource": log_resources(c, ":*") }),
        json!({ "Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": log_resources(c, ":*:*") }),
    ];
    // `disableLogs`: the function may not write logs (v3 denies it explicitly).
    let silent: Vec<Value> = s
        .functions
        .values()
        .filter(|f| f.disable_logs)
        .map(|f| json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{}:*", f.name) }))
        .collect();
    if !silent.is_empty() {
        statements
            .push(json!({ "Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": silent }));
    }
    statements.extend(iam.statements.iter().map(normalize_statement));
    for (actions, resources) in c.role_statements.values() {
        statements.push(json!({ "Effect": "Allow", "Action": actions, "Resource": resources }));
    }
    let shared: Vec<_> = s.functions.values().filter(|f| f.role.is_none()).collect();
    let mut managed: Vec<Value> = iam.managed_policies.clone();
    if shared.iter().any(|f| f.vpc(&s.provider).is_some()) {
        managed.push(json!({ "Fn::Join": ["", ["arn:", { "Ref": "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]] }));
    }
    let mut p = Map::new();
    let mut principals = vec!["lambda.amazonaws.com"];
    principals.extend(c.role_principals.iter().copied());
    p.insert(
        "AssumeRolePolicyDocument".into(),
        json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": principals }, "Action": ["sts:AssumeRole"] }] }),
    );
    p.insert(
        "Policies".into(),
        json!([{ "PolicyName": { "Fn::Join": ["-", [s.name, s.stage, "lambda"]] }, "PolicyDocument": { "Version": "2012-10-17", "Statement": statements } }]),
    );
    p.insert(
        "Path".into(),
        json!(iam.role_path.clone().unwrap_or_else(|| "/".into())),
    );
    p.insert(
        "RoleName".into(),
        iam.role_name
            .clone()
            .unwrap_or_else(|| naming::role_name(&s.name, &s.stage)),
    );
    if !managed.is_empty() {
        p.insert("ManagedPolicyArns".into(), Value::Array(managed));
    }
    if let Some(b) = &iam.permissions_boundary {
        p.insert("PermissionsBoundary".into(), b.clone());
    }
    if !iam.role_tags.is_empty() {
        p.insert(
            "Tags".into(),
            Value::Array(
                iam.role_tags
                    .iter()
                    .map(|(k, v)| json!({ "Key": k, "Value": v }))
                    .collect(),
            ),
        );
    }
    c.t.resources.insert(
        naming::ROLE_ID.into(),
        json!({ "Type": "AWS::IAM::Role", "Properties": p }),
    );
}
