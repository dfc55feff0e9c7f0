//! `provider.logs.restApi` and `provider.logs.websocket`: a stage's access log (into
//! `/aws/api-gateway/<service>-<stage>`, `/aws/websocket/<service>-<stage>`) and execution
//! logging, and the account's CloudWatch role API Gateway needs to write them.
//!
//! For the REST API v3 applies the stage's settings with API calls after the deploy; sls-rs
//! writes them into the template (the deployment's `StageDescription`), so they deploy, change
//! and roll back with the stack. The WebSocket stage's are in the template in v3 too. The log
//! groups and the role's custom resource are v3's, with its IDs.

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{is_intrinsic, show, Checker};
use crate::naming;
use crate::plan::custom_resources::{self, Handler};
use crate::plan::Compiler;

/// v3's access log formats.
const WEBSOCKET_FORMAT: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.eventType $context.routeKey $context.connectionId\" $context.requestId";
const REST_FORMAT: &str = "requestId: $context.requestId, ip: $context.identity.sourceIp, caller: $context.identity.caller, user: $context.identity.user, requestTime: $context.requestTime, httpMethod: $context.httpMethod, resourcePath: $context.resourcePath, status: $context.status, protocol: $context.protocol, responseLength: $context.responseLength";

#[derive(Debug, Clone, PartialEq)]
pub enum ApiLogs {
    /// `false`: logging off on the stage.
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

/// `provider.logs.restApi` (`websocket` false) or `provider.logs.websocket`, which has no
/// `role` settings (v3 takes the account role's from `restApi`).
pub fn parse(v: &Value, p: &KeyPath, c: &mut Checker, websocket: bool) -> Option<ApiLogs> {
    let m = match v {
        Value::Null => return None,
        Value::Bool(false) => return Some(ApiLogs::Off),
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
    let keys: &[&str] = &[
        "accessLogging",
        "executionLogging",
        "format",
        "fullExecutionData",
        "level",
        "role",
        "roleManagedExternally",
    ];
    c.unknown_keys(m, if websocket { &keys[..5] } else { keys }, p);
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
    let role = match m.get("role").filter(|r| !r.is_null() && !websocket) {
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
    let format = c.opt_string(m, "format", p).unwrap_or_else(|| {
        if websocket {
            WEBSOCKET_FORMAT
        } else {
            REST_FORMAT
        }
        .into()
    });
    if format.trim().is_empty() {
        c.error(
            &p.key("format"),
            "the access log format is empty",
            "remove `format` for v3's, or write one with $context variables",
        );
        return None;
    }
    Some(ApiLogs::On {
        access_logging: c.opt_bool(m, "accessLogging", p).unwrap_or(true),
        format,
        level: if execution { level } else { "OFF" }.into(),
        full_execution_data: c.opt_bool(m, "fullExecutionData", p).unwrap_or(true),
        role,
        role_managed_externally: !websocket
            && c.opt_bool(m, "roleManagedExternally", p).unwrap_or(false),
    })
}

/// Logging settings for an API the service does not have would change nothing: said.
pub fn check_used(service: &crate::manifest::Service, c: &mut Checker) {
    let has = |kind: fn(&crate::events::Event) -> bool| {
        service
            .functions
            .values()
            .any(|f| f.events.iter().any(kind))
    };
    let p = KeyPath::root().key("provider").key("logs");
    if service.provider.rest_api_logs.is_some()
        && !has(|e| matches!(e, crate::events::Event::Http(_)))
    {
        c.warn(
            &p.key("restApi"),
            "no function has an `http` event, so there is no REST API stage to log",
            "remove `provider.logs.restApi`, or add `http` events",
        );
    }
    if service.provider.websocket_logs.is_some() {
        if !has(|e| matches!(e, crate::events::Event::Websocket(_))) {
            c.warn(
                &p.key("websocket"),
                "no function has a `websocket` event, so there is no WebSocket stage to log",
                "remove `provider.logs.websocket`, or add `websocket` events",
            );
        } else if service.provider.api_gateway.websocket_api_id.is_some() {
            c.warn(
                &p.key("websocket"),
                "the WebSocket API is `provider.apiGateway.websocketApiId`'s, whose stage this stack does not own",
                "configure logging where that API's stage is defined, and remove `provider.logs.websocket`",
            );
        }
    }
}

/// The REST API stage's logging settings (into the deployment's `StageDescription`), and with
/// access logging the log group and the account role's custom resource; what the deployment
/// must wait for.
pub(crate) fn rest_stage(c: &mut Compiler, stage: &mut Map<String, Value>) -> Vec<String> {
    let service = c.service;
    let Some(logs) = &service.provider.rest_api_logs else {
        return Vec::new();
    };
    let ApiLogs::On {
        access_logging,
        format,
        level,
        full_execution_data,
        ..
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
    log_group(c, naming::REST_API_LOG_GROUP_ID, name);
    let mut waits = vec![naming::REST_API_LOG_GROUP_ID.to_string()];
    waits.extend(account_role(c));
    waits
}

/// The WebSocket stage's logging settings, as v3 writes them, its log group and the account
/// role's custom resource; what the stage must wait for (v3 does not wait for the role, whose
/// absence fails the stage).
pub(crate) fn websocket_stage(c: &mut Compiler, stage: &mut Map<String, Value>) -> Vec<String> {
    let service = c.service;
    let Some(ApiLogs::On {
        access_logging,
        format,
        level,
        full_execution_data,
        ..
    }) = &service.provider.websocket_logs
    else {
        return Vec::new();
    };
    stage.insert(
        "DefaultRouteSettings".into(),
        json!({ "DataTraceEnabled": full_execution_data, "LoggingLevel": level }),
    );
    if *access_logging {
        stage.insert(
            "AccessLogSettings".into(),
            json!({
                "DestinationArn": { "Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{}}}", naming::WEBSOCKETS_LOG_GROUP_ID) },
                "Format": format,
            }),
        );
    }
    log_group(
        c,
        naming::WEBSOCKETS_LOG_GROUP_ID,
        naming::websockets_log_group_name(&service.name, &service.stage),
    );
    account_role(c).into_iter().collect()
}

fn log_group(c: &mut Compiler, id: &str, name: String) {
    let service = c.service;
    let mut props = json!({ "LogGroupName": name });
    if let Some(days) = service.provider.log_retention_in_days {
        props["RetentionInDays"] = json!(days);
    }
    if let Some(policy) = &service.provider.log_data_protection_policy {
        props["DataProtectionPolicy"] = policy.clone();
    }
    c.add(
        id,
        json!({ "Type": "AWS::Logs::LogGroup", "Properties": props }),
    );
}

/// The custom resource that gives the account API Gateway's CloudWatch role (once for both
/// APIs), unless `provider.logs.restApi.roleManagedExternally`; its ID.
fn account_role(c: &mut Compiler) -> Option<String> {
    let service = c.service;
    let (role, external) = match &service.provider.rest_api_logs {
        Some(ApiLogs::On {
            role,
            role_managed_externally,
            ..
        }) => (role.as_ref(), *role_managed_externally),
        _ => (None, false),
    };
    if external {
        return None;
    }
    let id = naming::API_GATEWAY_CLOUDWATCH_ROLE_ID;
    if c.t.resources.contains_key(id) {
        return Some(id.to_string());
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
        id,
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
    Some(id.to_string())
}
