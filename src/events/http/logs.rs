//! `provider.logs.restApi`: the stage's access log (into `/aws/api-gateway/<service>-<stage>`)
//! and execution logging, and the account's CloudWatch role API Gateway needs to write them.
//!
//! v3 applies the stage's settings with API calls after the deploy; sls-rs writes them into the
//! template (the deployment's `StageDescription`), so they deploy, change and roll back with the
//! stack. The log group and the role's custom resource are v3's, with its IDs.

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{is_intrinsic, show, Checker};
use crate::naming;
use crate::plan::custom_resources::{self, Handler};
use crate::plan::Compiler;

/// v3's access log format.
const DEFAULT_FORMAT: &str = "requestId: $context.requestId, ip: $context.identity.sourceIp, caller: $context.identity.caller, user: $context.identity.user, requestTime: $context.requestTime, httpMethod: $context.httpMethod, resourcePath: $context.resourcePath, status: $context.status, protocol: $context.protocol, responseLength: $context.responseLength";

#[derive(Debug, Clone, PartialEq)]
pub enum RestApiLogs {
    /// `restApi: false`: logging off on the stage.
    Off,
    On {
        access_logging: bool,
        format: String,
        /// `INFO`, `ERROR`, or `OFF` (`executionLogging: false`).
        level: String,
        full_execution_data: bool,
        /// The account's CloudWatch role, when the user names it.
        role: Option<Value>,
        role_managed_externally: bool,
    },
}

pub fn parse(v: &Value, p: &KeyPath, c: &mut Checker) -> Option<RestApiLogs> {
    let m = match v {
        Value::Null => return None,
        Value::Bool(false) => return Some(RestApiLogs::Off),
        Value::Bool(true) => &Map::new(),
        Value::Object(m) => m,
        other => {
            c.error(
                p,
                format!("`{p}` must be true, false or a map, not {}", show(other)),
                "write `restApi: true`, or a map with accessLogging, executionLogging, format, fullExecutionData, level, role",
            );
            return None;
        }
    };
    c.unknown_keys(
        m,
        &[
            "accessLogging",
            "executionLogging",
            "format",
            "fullExecutionData",
            "level",
            "role",
            "roleManagedExternally",
        ],
        p,
    );
    let level = match c.opt_string(m, "level", p).as_deref() {
        None | Some("INFO") => "INFO",
        Some("ERROR") => "ERROR",
        Some(other) => {
            c.error(
                &p.key("level"),
                format!("`{other}` is not a log level here"),
                "use INFO or ERROR",
            );
            return None;
        }
    };
    let execution = c.opt_bool(m, "executionLogging", p).unwrap_or(true);
    let role = match m.get("role").filter(|r| !r.is_null()) {
        Some(Value::String(s)) if s.starts_with("arn:") => Some(json!(s)),
        Some(r) if is_intrinsic(r) => Some(r.clone()),
        Some(other) => {
            c.error(
                &p.key("role"),
                format!("`role` must be an IAM role's ARN, not {}", show(other)),
                "write arn:aws:iam::<account>:role/<name>",
            );
            return None;
        }
        None => None,
    };
    let format = c
        .opt_string(m, "format", p)
        .unwrap_or_else(|| DEFAULT_FORMAT.into());
    if format.trim().is_empty() {
        c.error(
            &p.key("format"),
            "the access log format is empty",
            "remove `format` for v3's, or write one with $context variables",
        );
        return None;
    }
    Some(RestApiLogs::On {
        access_logging: c.opt_bool(m, "accessLogging", p).unwrap_or(true),
        format,
        level: if execution { level } else { "OFF" }.into(),
        full_execution_data: c.opt_bool(m, "fullExecutionData", p).unwrap_or(true),
        role,
        role_managed_externally: c.opt_bool(m, "roleManagedExternally", p).unwrap_or(false),
    })
}

/// Logging settings for a REST API the service does not have would change nothing: said.
pub fn check_used(service: &crate::manifest::Service, c: &mut Checker) {
    if service.provider.rest_api_logs.is_none() {
        return;
    }
    let has_api = service.functions.values().any(|f| {
        f.events
            .iter()
            .any(|e| matches!(e, crate::events::Event::Http(_)))
    });
    if !has_api {
        c.warn(
            &KeyPath::root().key("provider").key("logs").key("restApi"),
            "no function has an `http` event, so there is no REST API stage to log",
            "remove `provider.logs.restApi`, or add `http` events",
        );
    }
}

/// The stage's logging settings (into the deployment's `StageDescription`), and with access
/// logging the log group and (unless the role is managed elsewhere) the account role's custom
/// resource; what the deployment must wait for.
pub(super) fn compile(c: &mut Compiler, stage: &mut Map<String, Value>) -> Vec<String> {
    let service = c.service;
    let Some(logs) = &service.provider.rest_api_logs else {
        return Vec::new();
    };
    let RestApiLogs::On {
        access_logging,
        format,
        level,
        full_execution_data,
        role,
        role_managed_externally,
    } = logs
    else {
        stage.insert("LoggingLevel".into(), json!("OFF"));
        stage.insert("DataTraceEnabled".into(), json!(false));
        return Vec::new();
    };
    stage.insert("LoggingLevel".into(), json!(level));
    stage.insert("DataTraceEnabled".into(), json!(full_execution_data));
    if !access_logging {
        return Vec::new();
    }
    let name = naming::rest_api_log_group_name(&service.name, &service.stage);
    stage.insert(
        "AccessLogSetting".into(),
        json!({
            "DestinationArn": { "Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}") },
            "Format": format,
        }),
    );
    let mut props = json!({ "LogGroupName": name });
    if let Some(days) = service.provider.log_retention_in_days {
        props["RetentionInDays"] = json!(days);
    }
    if let Some(policy) = &service.provider.log_data_protection_policy {
        props["DataProtectionPolicy"] = policy.clone();
    }
    c.add(
        naming::REST_API_LOG_GROUP_ID,
        json!({ "Type": "AWS::Logs::LogGroup", "Properties": props }),
    );
    let mut waits = vec![naming::REST_API_LOG_GROUP_ID.to_string()];
    if *role_managed_externally {
        return waits;
    }
    let mut p = Map::new();
    p.insert(
        "ServiceToken".into(),
        json!({ "Fn::GetAtt": [Handler::ApiGatewayCloudWatchRole.function_id(), "Arn"] }),
    );
    if let Some(r) = role {
        p.insert("RoleArn".into(), r.clone());
    }
    c.add(
        naming::API_GATEWAY_CLOUDWATCH_ROLE_ID,
        json!({ "Type": "Custom::ApiGatewayAccountRole", "Properties": p }),
    );
    custom_resources::add(
        c,
        Handler::ApiGatewayCloudWatchRole,
        vec![
            json!({ "Effect": "Allow", "Resource": { "Fn::Join": [":", ["arn", { "Ref": "AWS::Partition" }, "iam:", { "Ref": "AWS::AccountId" }, "role/*"]] }, "Action": ["iam:AttachRolePolicy", "iam:CreateRole", "iam:ListAttachedRolePolicies", "iam:PassRole"] }),
            json!({ "Effect": "Allow", "Resource": { "Fn::Join": [":", ["arn", { "Ref": "AWS::Partition" }, "apigateway:*::/account"]] }, "Action": ["apigateway:GET", "apigateway:PATCH"] }),
        ],
    );
    waits.push(naming::API_GATEWAY_CLOUDWATCH_ROLE_ID.to_string());
    waits
}
