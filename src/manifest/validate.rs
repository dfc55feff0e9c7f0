//! From the resolved configuration (JSON) to a typed [`Service`], with a diagnostic for everything
//! that would give a broken template or a failed deploy.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::checker::{is_intrinsic, show, type_name, Checker};
use super::runtimes::{self, Language, Status};
use super::service::*;
use crate::error::{did_you_mean, KeyPath};
use crate::naming;

const TOP_LEVEL: &[&str] = &[
    "service",
    "frameworkVersion",
    "provider",
    "functions",
    "layers",
    "package",
    "custom",
    "resources",
    "plugins",
    "params",
    "configValidationMode",
    "useDotenv",
    "variablesResolutionMode",
    "deprecationNotificationMode",
    "disabledDeprecations",
    "org",
    "app",
    "console",
    "stages",
    "outputs",
];

const PROVIDER_KEYS: &[&str] = &[
    "name",
    "runtime",
    "stage",
    "region",
    "profile",
    "stackName",
    "apiName",
    "endpointType",
    "memorySize",
    "timeout",
    "logRetentionInDays",
    "environment",
    "tags",
    "stackTags",
    "iam",
    "iamRoleStatements",
    "iamManagedPolicies",
    "role",
    "rolePermissionsBoundary",
    "deploymentBucket",
    "deploymentPrefix",
    "deploymentMethod",
    "versionFunctions",
    "architecture",
    "tracing",
    "apiGateway",
    "httpApi",
    "logs",
    "vpc",
    "layers",
    "kmsKeyArn",
    "websocketsApiName",
    "websocketsApiRouteSelectionExpression",
    "websocketsDescription",
    "stackPolicy",
    "stackParameters",
    "notificationArns",
    "disableRollback",
    "cfnRole",
    "lambdaHashingVersion",
    "eventBridge",
    "s3",
    "alb",
    "cloudFront",
    "ecr",
    "logRetentionInDays",
    "usagePlan",
    "apiKeys",
    "resourcePolicy",
    "runtimeManagement",
    "timeout",
    "environment",
];

const FUNCTION_KEYS: &[&str] = &[
    "handler",
    "image",
    "runtime",
    "memorySize",
    "timeout",
    "description",
    "name",
    "environment",
    "role",
    "architecture",
    "ephemeralStorage",
    "reservedConcurrency",
    "provisionedConcurrency",
    "tracing",
    "vpc",
    "layers",
    "tags",
    "kmsKeyArn",
    "onError",
    "destinations",
    "url",
    "package",
    "events",
    "disableLogs",
    "logRetentionInDays",
    "maximumEventAge",
    "maximumRetryAttempts",
    "condition",
    "dependsOn",
    "snapStart",
    "fileSystemConfig",
    "runtimeManagement",
    "logs",
    "versionFunction",
];

pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// What validation needs besides the configuration.
pub struct Inputs<'a> {
    pub dir: &'a Path,
    pub config_file: &'a str,
    pub stage_option: Option<String>,
    pub region_option: Option<String>,
    pub env: &'a HashMap<String, String>,
}

pub fn validate(root: &Value, inputs: &Inputs, c: &mut Checker) -> Option<Service> {
    let root_path = KeyPath::root();
    let m = match root {
        Value::Object(m) => m,
        other => {
            c.error(
                &root_path,
                format!(
                    "the configuration must be a map of settings, not {}",
                    type_name(other)
                ),
                "start with `service: my-service` and `provider: { name: aws }`",
            );
            return None;
        }
    };
    c.unknown_keys(m, TOP_LEVEL, &root_path);

    let name = service_name(m, c);
    let provider_value = m.get("provider");
    let pm = match provider_value {
        Some(Value::Object(pm)) => pm.clone(),
        Some(other) => {
            c.error(
                &root_path.key("provider"),
                format!("`provider` must be a map, not {}", type_name(other)),
                "write `provider:` with `name: aws` indented under it",
            );
            Map::new()
        }
        None => {
            c.error(
                &root_path.key("provider"),
                "the configuration has no `provider`",
                "add `provider:` with `name: aws` and a `runtime`",
            );
            Map::new()
        }
    };
    let pp = root_path.key("provider");
    if provider_value.is_some_and(Value::is_object) {
        match pm.get("name") {
            Some(Value::String(n)) if n == "aws" => {}
            Some(other) => c.error(
                &pp.key("name"),
                format!("provider {} is not supported", show(other)),
                "sls-rs deploys to AWS: write `name: aws`",
            ),
            None => c.error(
                &pp.key("name"),
                "`provider.name` is missing",
                "add `name: aws` under provider",
            ),
        }
    }
    let stage = inputs
        .stage_option
        .clone()
        .or_else(|| c.opt_string(&pm, "stage", &pp))
        .unwrap_or_else(|| "dev".into());
    let region = inputs
        .region_option
        .clone()
        .or_else(|| c.opt_string(&pm, "region", &pp))
        .or_else(|| {
            ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .find_map(|k| inputs.env.get(*k).filter(|v| !v.is_empty()).cloned())
        })
        .unwrap_or_else(|| "us-east-1".into());
    check_stage(&stage, &pp, c);
    let provider = provider(&pm, &pp, c);

    let mut service = Service {
        dir: inputs.dir.to_path_buf(),
        config_file: inputs.config_file.to_string(),
        name: name.clone().unwrap_or_default(),
        framework_version: m
            .get("frameworkVersion")
            .and_then(|v| c.string(v, &root_path.key("frameworkVersion"))),
        stage,
        region,
        provider,
        functions: IndexMap::new(),
        layers: IndexMap::new(),
        package: package(m.get("package"), &root_path.key("package"), c),
        custom: m.get("custom").cloned().unwrap_or(Value::Null),
        resources: resources(m.get("resources"), &root_path.key("resources"), c),
        plugins: plugins(m.get("plugins"), &root_path.key("plugins"), c),
    };
    if name.is_some() {
        check_stack_name(&service, c);
    }
    service.layers = layers(m.get("layers"), &root_path.key("layers"), c);
    service.functions = functions(m.get("functions"), &service, inputs, c);
    Some(service)
}

fn service_name(m: &Map<String, Value>, c: &mut Checker) -> Option<String> {
    let p = KeyPath::root().key("service");
    let name = match m.get("service") {
        None | Some(Value::Null) => {
            c.error(
                &p,
                "the configuration has no `service` name",
                "add `service: my-service` at the top of the file",
            );
            return None;
        }
        Some(Value::Object(sm)) => sm.get("name").and_then(|v| v.as_str()).map(String::from),
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            c.error(
                &p,
                format!("`service` must be a name, not {}", show(other)),
                "write `service: my-service`",
            );
            return None;
        }
    };
    let Some(name) = name else {
        c.error(&p, "`service` has no name", "write `service: my-service`");
        return None;
    };
    if name.is_empty()
        || !name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        c.error(
            &p,
            format!("service name `{name}` cannot be part of a CloudFormation stack name"),
            "start with a letter and use only letters, digits and hyphens, e.g. `my-service`",
        );
        return None;
    }
    Some(name)
}

fn check_stage(stage: &str, pp: &KeyPath, c: &mut Checker) {
    if stage.is_empty()
        || !stage
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(
            &pp.key("stage"),
            format!("stage `{stage}` cannot be part of a stack name"),
            "use letters, digits, hyphens and underscores, e.g. `dev` or `prod`",
        );
    }
}

fn check_stack_name(s: &Service, c: &mut Checker) {
    let stack = s.stack_name();
    let valid = stack.len() <= 128
        && stack.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && stack
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    if !valid {
        let p = if s.provider.stack_name.is_some() {
            KeyPath::parse_dotted("provider.stackName")
        } else {
            KeyPath::root().key("service")
        };
        c.error(&p, format!("`{stack}` is not a stack name CloudFormation accepts"), "a stack name starts with a letter, has only letters, digits and hyphens, and is at most 128 characters");
    }
}

fn provider(pm: &Map<String, Value>, pp: &KeyPath, c: &mut Checker) -> Provider {
    c.unknown_keys(pm, PROVIDER_KEYS, pp);
    let mut p = Provider {
        runtime: c.opt_string(pm, "runtime", pp),
        stack_name: c.opt_string(pm, "stackName", pp),
        api_name: c.opt_string(pm, "apiName", pp),
        endpoint_type: c
            .opt_string(pm, "endpointType", pp)
            .map(|e| e.to_ascii_uppercase()),
        memory_size: c.opt_int(pm, "memorySize", pp, 128, 10240),
        timeout: c.opt_int(pm, "timeout", pp, 1, 900),
        log_retention_in_days: log_retention(pm, pp, c),
        environment: c.string_map(pm, "environment", pp),
        tags: c.string_map(pm, "tags", pp),
        stack_tags: c.string_map(pm, "stackTags", pp),
        deployment_prefix: c
            .opt_string(pm, "deploymentPrefix", pp)
            .unwrap_or_else(|| "serverless".into()),
        version_functions: c.opt_bool(pm, "versionFunctions", pp).unwrap_or(true),
        architecture: architecture(pm, pp, c),
        vpc: pm.get("vpc").cloned(),
        kms_key_arn: pm.get("kmsKeyArn").cloned(),
        websockets_api_name: c.opt_string(pm, "websocketsApiName", pp),
        websockets_route_selection: c.opt_string(pm, "websocketsApiRouteSelectionExpression", pp),
        profile: c.opt_string(pm, "profile", pp),
        websockets_description: c.opt_string(pm, "websocketsDescription", pp),
        runtime_management: pm.get("runtimeManagement").cloned(),
        ..Provider::default()
    };
    if let Some(rt) = &p.runtime {
        check_runtime(rt, &pp.key("runtime"), c);
    }
    if let Some(e) = &p.endpoint_type {
        if !["EDGE", "REGIONAL", "PRIVATE"].contains(&e.as_str()) {
            c.error(
                &pp.key("endpointType"),
                format!("endpoint type `{e}` is not one API Gateway has"),
                "use EDGE, REGIONAL or PRIVATE",
            );
        }
    }
    p.deployment_method = match c.opt_string(pm, "deploymentMethod", pp).as_deref() {
        None | Some("changesets") => DeploymentMethod::ChangeSets,
        Some("direct") => DeploymentMethod::Direct,
        Some(other) => {
            c.error(
                &pp.key("deploymentMethod"),
                format!("deployment method `{other}` is not known"),
                "use `changesets` (the default) or `direct`",
            );
            DeploymentMethod::ChangeSets
        }
    };
    p.iam = iam(pm, pp, c);
    p.deployment_bucket = match pm.get("deploymentBucket") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(DeploymentBucket {
            name: Some(n.clone()),
            ..Default::default()
        }),
        Some(Value::Object(bm)) => {
            let bp = pp.key("deploymentBucket");
            c.unknown_keys(
                bm,
                &[
                    "name",
                    "serverSideEncryption",
                    "sseKMSKeyId",
                    "sseCustomerAlgorithim",
                    "sseCustomerKey",
                    "sseCustomerKeyMD5",
                    "tags",
                    "blockPublicAccess",
                    "skipPolicySetup",
                    "versioning",
                    "maxPreviousDeploymentArtifacts",
                ],
                &bp,
            );
            Some(DeploymentBucket {
                name: c.opt_string(bm, "name", &bp),
                server_side_encryption: c.opt_string(bm, "serverSideEncryption", &bp),
                tags: c.string_map(bm, "tags", &bp),
            })
        }
        Some(other) => {
            c.error(
                &pp.key("deploymentBucket"),
                format!(
                    "`deploymentBucket` must be a bucket name or a map, not {}",
                    type_name(other)
                ),
                "write `deploymentBucket: my-bucket` or `deploymentBucket: { name: my-bucket }`",
            );
            None
        }
    };
    match pm.get("tracing") {
        None | Some(Value::Null) => {}
        Some(Value::Object(tm)) => {
            let tp = pp.key("tracing");
            c.unknown_keys(tm, &["lambda", "apiGateway"], &tp);
            p.tracing_lambda = tm.get("lambda").cloned();
            p.tracing_api_gateway = c.opt_bool(tm, "apiGateway", &tp).unwrap_or(false);
        }
        Some(other) => c.error(
            &pp.key("tracing"),
            format!("`tracing` must be a map, not {}", show(other)),
            "write `tracing: { lambda: true }`",
        ),
    }
    if let Some(t) = &p.tracing_lambda {
        check_tracing(t, &pp.key("tracing").key("lambda"), c);
    }
    if let Some(Value::Object(lm)) = pm.get("logs") {
        // Access logging needs an account-level CloudWatch role that v3 manages with a custom
        // resource; refused rather than silently dropped.
        for key in ["restApi", "httpApi", "websocket"] {
            match lm.get(key) {
                None | Some(Value::Null) | Some(Value::Bool(false)) => {}
                Some(_) => c.error(
                    &pp.key("logs").key(key),
                    format!("API access logging (`provider.logs.{key}`) is not supported by sls-rs yet"),
                    "remove it, or configure the stage's AccessLogSettings under resources.extensions",
                ),
            }
        }
    }
    for key in ["s3", "alb", "cloudFront", "ecr"] {
        if pm.get(key).is_some_and(|v| !v.is_null()) {
            let d = crate::error::Diagnostic::error(format!(
                "`provider.{key}` is not supported by sls-rs yet"
            ));
            let d = if c.strict {
                d
            } else {
                crate::error::Diagnostic {
                    severity: crate::error::Severity::Warning,
                    message: format!(
                        "`provider.{key}` is not supported by sls-rs yet and is ignored"
                    ),
                    ..d
                }
            };
            c.diags.push(
                d.at(&pp.key(key))
                    .hint("define what it configures under `resources:`"),
            );
        }
    }
    p.stack = StackSettings {
        policy: string_list(pm.get("stackPolicy"), &pp.key("stackPolicy"), c),
        notification_arns: string_list(pm.get("notificationArns"), &pp.key("notificationArns"), c)
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        disable_rollback: c.opt_bool(pm, "disableRollback", pp).unwrap_or(false),
        role_arn: c.opt_string(pm, "cfnRole", pp),
        parameters: match pm.get("stackParameters") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|p| {
                    Some((
                        p.get("ParameterKey")?.as_str()?.to_string(),
                        crate::manifest::variables::stringify(p.get("ParameterValue")?),
                    ))
                })
                .collect(),
            _ => Vec::new(),
        },
    };
    if let Some(Value::Array(layers)) = pm.get("layers") {
        p.layers = layers.clone();
    }
    // v3 still reads these from their old places, directly under provider.
    let mut gateway = pm.get("apiGateway").cloned().unwrap_or(Value::Null);
    for key in ["apiKeys", "usagePlan", "resourcePolicy"] {
        if let Some(v) = pm.get(key) {
            if gateway.is_null() {
                gateway = Value::Object(Map::new());
            }
            if let Some(g) = gateway.as_object_mut() {
                g.entry(key.to_string()).or_insert_with(|| v.clone());
            }
        }
    }
    p.api_gateway = api_gateway(
        if gateway.is_null() {
            None
        } else {
            Some(&gateway)
        },
        &pp.key("apiGateway"),
        c,
    );
    p.http_api = http_api(pm.get("httpApi"), &pp.key("httpApi"), c);
    p
}

fn architecture(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Option<String> {
    let a = c.opt_string(m, "architecture", p)?;
    if a != "x86_64" && a != "arm64" {
        c.error(
            &p.key("architecture"),
            format!("architecture `{a}` is not one Lambda runs"),
            "use x86_64 or arm64",
        );
        return None;
    }
    Some(a)
}

fn log_retention(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Option<i64> {
    let days = c.opt_int(m, "logRetentionInDays", p, 1, 3653)?;
    if !LOG_RETENTION_DAYS.contains(&days) {
        let nearest = LOG_RETENTION_DAYS
            .iter()
            .min_by_key(|d| (**d - days).abs())
            .copied()
            .unwrap_or(14);
        c.error(&p.key("logRetentionInDays"), format!("CloudWatch Logs cannot keep logs for {days} days"), format!("the nearest allowed value is {nearest}; allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"));
        return None;
    }
    Some(days)
}

fn check_tracing(v: &Value, p: &KeyPath, c: &mut Checker) {
    match v {
        Value::Bool(_) => {}
        Value::String(s) if s == "Active" || s == "PassThrough" => {}
        other => c.error(
            p,
            format!("tracing mode {} is not known", show(other)),
            "use true, Active or PassThrough",
        ),
    }
}

pub fn check_runtime(rt: &str, p: &KeyPath, c: &mut Checker) {
    match runtimes::find(rt) {
        None => {
            let names = runtimes::names();
            let hint = match did_you_mean(rt, &names) {
                Some(n) => format!("did you mean `{n}`?"),
                None => "current runtimes include nodejs22.x, nodejs24.x, python3.13, java21, provided.al2023".into(),
            };
            c.error(p, format!("`{rt}` is not a Lambda runtime"), hint);
        }
        Some(r) => match r.status(&c.today) {
            Status::Current => {}
            Status::Deprecated => c.warn(
                p,
                format!("runtime `{rt}` was deprecated by AWS on {} and gets no security updates; updates are refused from {}", r.deprecated, r.update_block),
                format!("move to `{}`", r.successor),
            ),
            Status::Blocked => c.warn(
                p,
                format!("runtime `{rt}` is no longer accepted by AWS (updates refused since {}): a deploy will be refused", r.update_block),
                format!("move to `{}`", r.successor),
            ),
        },
    }
}

fn string_list(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Vec<Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) if is_intrinsic(other) || other.is_string() => vec![other.clone()],
        Some(other) => {
            c.error(
                p,
                format!("`{p}` must be a list, not {}", type_name(other)),
                "write one `- item` per line",
            );
            Vec::new()
        }
    }
}

fn statements(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Vec<Value> {
    let list = string_list(v, p, c);
    for (i, s) in list.iter().enumerate() {
        let sp = p.index(i);
        let Some(sm) = c.map(s, &sp) else { continue };
        match sm.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => c.error(
                &sp.key("Effect"),
                "an IAM statement needs `Effect: Allow` or `Effect: Deny`",
                "add `Effect: Allow`",
            ),
        }
        if !sm.contains_key("Action") && !sm.contains_key("NotAction") {
            c.error(
                &sp.key("Action"),
                "an IAM statement needs `Action`",
                "add `Action: [dynamodb:GetItem]` or similar",
            );
        }
        if !sm.contains_key("Resource") && !sm.contains_key("NotResource") {
            c.error(
                &sp.key("Resource"),
                "an IAM statement needs `Resource`",
                "add the ARNs it applies to, or `'*'`",
            );
        }
    }
    list
}

fn iam(pm: &Map<String, Value>, pp: &KeyPath, c: &mut Checker) -> Iam {
    let mut iam = Iam::default();
    let ip = pp.key("iam");
    match pm.get("iam") {
        None | Some(Value::Null) => {}
        Some(Value::Object(im)) => {
            c.unknown_keys(im, &["role", "deploymentRole"], &ip);
            let rp = ip.key("role");
            match im.get("role") {
                None | Some(Value::Null) => {}
                Some(Value::Object(rm)) if !is_intrinsic(&Value::Object(rm.clone())) => {
                    c.unknown_keys(
                        rm,
                        &[
                            "name",
                            "path",
                            "statements",
                            "managedPolicies",
                            "permissionsBoundary",
                            "permissionBoundary",
                            "tags",
                        ],
                        &rp,
                    );
                    iam.role_name = rm.get("name").cloned();
                    iam.role_path = c.opt_string(rm, "path", &rp);
                    iam.statements = statements(rm.get("statements"), &rp.key("statements"), c);
                    iam.managed_policies =
                        string_list(rm.get("managedPolicies"), &rp.key("managedPolicies"), c);
                    iam.permissions_boundary = rm
                        .get("permissionsBoundary")
                        .or_else(|| rm.get("permissionBoundary"))
                        .cloned();
                    iam.role_tags = c.string_map(rm, "tags", &rp);
                }
                Some(v) => iam.existing_role = Some(v.clone()),
            }
        }
        Some(other) => c.error(
            &ip,
            format!("`provider.iam` must be a map, not {}", type_name(other)),
            "write `iam: { role: { statements: [...] } }`",
        ),
    }
    if pm.contains_key("iamRoleStatements") {
        iam.statements.extend(statements(
            pm.get("iamRoleStatements"),
            &pp.key("iamRoleStatements"),
            c,
        ));
    }
    if pm.contains_key("iamManagedPolicies") {
        iam.managed_policies.extend(string_list(
            pm.get("iamManagedPolicies"),
            &pp.key("iamManagedPolicies"),
            c,
        ));
    }
    if let Some(r) = pm.get("role") {
        iam.existing_role = Some(r.clone());
    }
    if let Some(b) = pm.get("rolePermissionsBoundary") {
        iam.permissions_boundary = Some(b.clone());
    }
    iam
}

fn api_gateway(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> ApiGateway {
    let mut a = ApiGateway::default();
    let Some(v) = v else { return a };
    let Some(m) = c.map(v, p) else { return a };
    c.unknown_keys(
        m,
        &[
            "apiKeys",
            "restApiId",
            "restApiRootResourceId",
            "restApiResources",
            "usagePlan",
            "description",
            "binaryMediaTypes",
            "minimumCompressionSize",
            "resourcePolicy",
            "disableDefaultEndpoint",
            "apiKeySourceType",
            "shouldStartNameWithService",
            "metrics",
        ],
        p,
    );
    if let Some(keys) = m.get("apiKeys") {
        let kp = p.key("apiKeys");
        match keys {
            Value::Array(list) => {
                for (i, k) in list.iter().enumerate() {
                    match k {
                        Value::String(s) => a.api_keys.push(ApiKey {
                            name: Some(s.clone()),
                            value: None,
                            description: None,
                            enabled: true,
                        }),
                        Value::Object(km) => {
                            let ip = kp.index(i);
                            a.api_keys.push(ApiKey {
                                name: c.opt_string(km, "name", &ip),
                                value: c.opt_string(km, "value", &ip),
                                description: c.opt_string(km, "description", &ip),
                                enabled: c.opt_bool(km, "enabled", &ip).unwrap_or(true),
                            });
                            if let Some(v) = &a.api_keys.last().and_then(|k| k.value.clone()) {
                                if v.len() < 20 {
                                    c.error(&ip.key("value"), "an API key value must be at least 20 characters", "use a longer value, or leave `value` out and let API Gateway generate one");
                                }
                            }
                        }
                        other => c.error(
                            &kp.index(i),
                            format!(
                                "an API key must be a name or a map, not {}",
                                type_name(other)
                            ),
                            "write `- my-key` or `- { name: my-key, value: … }`",
                        ),
                    }
                }
            }
            other => c.error(
                &kp,
                format!("`apiKeys` must be a list, not {}", type_name(other)),
                "write one `- key-name` per line",
            ),
        }
    }
    a.rest_api_id = m.get("restApiId").cloned();
    a.rest_api_root_resource_id = m.get("restApiRootResourceId").cloned();
    if let Some(Value::Object(r)) = m.get("restApiResources") {
        a.rest_api_resources = r
            .iter()
            .map(|(k, v)| (k.trim_matches('/').to_string(), v.clone()))
            .collect();
    }
    if a.rest_api_id.is_some() && a.rest_api_root_resource_id.is_none() {
        c.error(
            &p.key("restApiRootResourceId"),
            "`restApiId` needs `restApiRootResourceId` too",
            "add the root resource ID of the existing API (aws apigateway get-resources)",
        );
    }
    a.usage_plan = m.get("usagePlan").cloned();
    a.description = c.opt_string(m, "description", p);
    a.binary_media_types = m.get("binaryMediaTypes").cloned();
    a.minimum_compression_size = c.opt_int(m, "minimumCompressionSize", p, 0, 10_485_760);
    a.resource_policy = m.get("resourcePolicy").cloned();
    a.disable_default_endpoint = c.opt_bool(m, "disableDefaultEndpoint", p).unwrap_or(false);
    a.api_key_source_type = c.opt_string(m, "apiKeySourceType", p);
    a.name_starts_with_service = c
        .opt_bool(m, "shouldStartNameWithService", p)
        .unwrap_or(false);
    a.metrics = c.opt_bool(m, "metrics", p).unwrap_or(false);
    a
}

fn http_api(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> HttpApiConfig {
    let mut h = HttpApiConfig::default();
    let Some(v) = v else { return h };
    let Some(m) = c.map(v, p) else { return h };
    c.unknown_keys(
        m,
        &[
            "id",
            "name",
            "payload",
            "cors",
            "authorizers",
            "disableDefaultEndpoint",
            "metrics",
            "useProviderTags",
            "shouldStartNameWithService",
        ],
        p,
    );
    h.id = m.get("id").cloned();
    h.name = c.opt_string(m, "name", p);
    h.payload = c.opt_string(m, "payload", p);
    if let Some(pl) = &h.payload {
        if pl != "1.0" && pl != "2.0" {
            c.error(
                &p.key("payload"),
                format!("payload format `{pl}` is not 1.0 or 2.0"),
                "write `payload: '2.0'` (quoted, so YAML keeps it a string)",
            );
        }
    }
    h.cors = m.get("cors").cloned();
    if let Some(Value::Object(a)) = m.get("authorizers") {
        for (name, spec) in a {
            let ap = p.key("authorizers").key(name.clone());
            if let Some(sm) = c.map(spec, &ap) {
                let ty = sm.get("type").and_then(Value::as_str).unwrap_or("jwt");
                if ty == "jwt" && (!sm.contains_key("issuerUrl") || !sm.contains_key("audience")) {
                    c.error(&ap, format!("JWT authorizer `{name}` needs `issuerUrl` and `audience`"), "add `issuerUrl: https://cognito-idp.<region>.amazonaws.com/<pool>` and `audience: [<client id>]`");
                }
                if ty == "request"
                    && !sm.contains_key("functionName")
                    && !sm.contains_key("functionArn")
                {
                    c.error(
                        &ap,
                        format!("Lambda authorizer `{name}` needs `functionName` or `functionArn`"),
                        "add `functionName: myAuthorizer`",
                    );
                }
            }
            h.authorizers.insert(name.clone(), spec.clone());
        }
    }
    h.disable_default_endpoint = c.opt_bool(m, "disableDefaultEndpoint", p).unwrap_or(false);
    h.metrics = c.opt_bool(m, "metrics", p).unwrap_or(false);
    h.use_provider_tags = c.opt_bool(m, "useProviderTags", p).unwrap_or(false);
    h.name_starts_with_service = c
        .opt_bool(m, "shouldStartNameWithService", p)
        .unwrap_or(false);
    h
}

fn patterns(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Vec<String> {
    let mut out = Vec::new();
    // The legacy keys: excludes first (as negations), then includes, then patterns.
    for (key, negate) in [("exclude", true), ("include", false), ("patterns", false)] {
        match m.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for (i, item) in a.iter().enumerate() {
                    match item {
                        Value::String(s) if negate => out.push(format!("!{s}")),
                        Value::String(s) => out.push(s.clone()),
                        other => c.error(
                            &p.key(key).index(i),
                            format!("a pattern must be a string, not {}", type_name(other)),
                            "quote patterns that start with ! or *: `- '!tests/**'`",
                        ),
                    }
                }
            }
            Some(other) => c.error(
                &p.key(key),
                format!(
                    "`{key}` must be a list of patterns, not {}",
                    type_name(other)
                ),
                "write one `- 'pattern'` per line",
            ),
        }
    }
    out
}

fn package(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Package {
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

fn function_package(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> FunctionPackage {
    let mut pkg = FunctionPackage::default();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return pkg;
    };
    let Some(m) = c.map(v, p) else { return pkg };
    c.unknown_keys(
        m,
        &["patterns", "include", "exclude", "individually", "artifact"],
        p,
    );
    pkg.patterns = patterns(m, p, c);
    pkg.individually = c.opt_bool(m, "individually", p);
    pkg.artifact = c.opt_string(m, "artifact", p);
    pkg
}

fn plugins(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Vec<String> {
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

fn resources(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Resources {
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

fn layers(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> IndexMap<String, Layer> {
    let mut out = IndexMap::new();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return out;
    };
    let Some(m) = c.map(v, p) else { return out };
    let mut ids: HashMap<String, String> = HashMap::new();
    for (key, spec) in m {
        let lp = p.key(key.clone());
        let Some(lm) = c.map(spec, &lp) else { continue };
        let id = naming::layer_logical_id(key);
        if let Some(other) = ids.insert(id.clone(), key.clone()) {
            c.error(
                &lp,
                format!("layers `{other}` and `{key}` both become logical ID `{id}`"),
                "rename one of them",
            );
        }
        c.unknown_keys(
            lm,
            &[
                "path",
                "name",
                "description",
                "compatibleRuntimes",
                "compatibleArchitectures",
                "licenseInfo",
                "retain",
                "allowedAccounts",
                "package",
            ],
            &lp,
        );
        let layer = Layer {
            key: key.clone(),
            path: c.opt_string(lm, "path", &lp),
            name: c.opt_string(lm, "name", &lp),
            description: c.opt_string(lm, "description", &lp),
            compatible_runtimes: lm.get("compatibleRuntimes").cloned(),
            compatible_architectures: lm.get("compatibleArchitectures").cloned(),
            license_info: c.opt_string(lm, "licenseInfo", &lp),
            retain: c.opt_bool(lm, "retain", &lp).unwrap_or(false),
            allowed_accounts: match lm.get("allowedAccounts") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            package: function_package(lm.get("package"), &lp.key("package"), c),
        };
        if layer.path.is_none() && layer.package.artifact.is_none() {
            c.error(
                &lp.key("path"),
                format!("layer `{key}` has no `path`"),
                "add `path: layer` (the directory whose contents become the layer)",
            );
        }
        if let Some(Value::Array(rts)) = &layer.compatible_runtimes {
            for (i, rt) in rts.iter().enumerate() {
                if let Some(rt) = rt.as_str() {
                    check_runtime(rt, &lp.key("compatibleRuntimes").index(i), c);
                }
            }
        }
        out.insert(key.clone(), layer);
    }
    out
}

fn functions(
    v: Option<&Value>,
    s: &Service,
    inputs: &Inputs,
    c: &mut Checker,
) -> IndexMap<String, Function> {
    let p = KeyPath::root().key("functions");
    let mut out = IndexMap::new();
    let m = match v {
        None | Some(Value::Null) => return out,
        Some(Value::Object(m)) => m,
        Some(Value::Array(_)) => {
            c.error(
                &p,
                "`functions` must be a map of function names to settings, not a list",
                "write `functions:` then `  hello:` then `    handler: handler.hello` (no `-`)",
            );
            return out;
        }
        Some(other) => {
            c.error(
                &p,
                format!("`functions` must be a map, not {}", type_name(other)),
                "write `functions:` then `  hello:` then `    handler: handler.hello`",
            );
            return out;
        }
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    for (key, spec) in m {
        let fp = p.key(key.clone());
        if key.is_empty()
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            c.error(
                &fp,
                format!("function name `{key}` cannot become a CloudFormation logical ID"),
                "use letters, digits, `-` and `_` only",
            );
            continue;
        }
        let id = naming::function_logical_id(key);
        if let Some(other) = ids.insert(id.clone(), key.clone()) {
            c.error(&fp, format!("functions `{other}` and `{key}` both become logical ID `{id}`"), "CloudFormation IDs are case-sensitive only after the first letter; rename one of them");
            continue;
        }
        let Some(fm) = c.map(spec, &fp) else { continue };
        if let Some(f) = function(key, fm, &fp, s, inputs, c) {
            out.insert(key.clone(), f);
        }
    }
    out
}

fn function(
    key: &str,
    fm: &Map<String, Value>,
    fp: &KeyPath,
    s: &Service,
    inputs: &Inputs,
    c: &mut Checker,
) -> Option<Function> {
    c.unknown_keys(fm, FUNCTION_KEYS, fp);
    let handler = c.opt_string(fm, "handler", fp);
    let image = fm.get("image").cloned();
    if handler.is_none() && image.is_none() {
        c.error(&fp.key("handler"), format!("function `{key}` has no `handler`"), "add `handler: file.export` (e.g. `handler.hello` for export `hello` of handler.js), or `image:` for a container image");
    }
    if handler.is_some() && image.is_some() {
        c.error(
            fp,
            format!("function `{key}` has both `handler` and `image`"),
            "a function runs either code from a zip (`handler`) or a container image (`image`)",
        );
    }
    let name = c
        .opt_string(fm, "name", fp)
        .unwrap_or_else(|| format!("{}-{}-{}", s.name, s.stage, key));
    if name.len() > 64 {
        let np = if fm.contains_key("name") {
            fp.key("name")
        } else {
            fp.clone()
        };
        c.error(
            &np,
            format!(
                "function name `{name}` is {} characters; Lambda allows 64",
                name.len()
            ),
            "shorten the service, stage or function key, or set a shorter `name:`",
        );
    }
    let runtime = c.opt_string(fm, "runtime", fp);
    if let Some(rt) = &runtime {
        check_runtime(rt, &fp.key("runtime"), c);
    }
    let tracing = fm.get("tracing").cloned();
    if let Some(t) = &tracing {
        check_tracing(t, &fp.key("tracing"), c);
    }
    let events = match fm.get("events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, e)| crate::events::parse(e, &fp.key("events").index(i), c))
            .collect(),
        Some(other) => {
            c.error(
                &fp.key("events"),
                format!("`events` must be a list, not {}", type_name(other)),
                "write each event as `- http: GET /`",
            );
            Vec::new()
        }
    };
    let layers = match fm.get("layers") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(other) => {
            c.error(
                &fp.key("layers"),
                format!("`layers` must be a list, not {}", type_name(other)),
                "write one `- arn:aws:lambda:…:layer:name:1` or `- !Ref MyLambdaLayer` per line",
            );
            None
        }
    };
    let f = Function {
        key: key.to_string(),
        name,
        handler,
        image,
        runtime,
        memory_size: c.opt_int(fm, "memorySize", fp, 128, 10240),
        timeout: c.opt_int(fm, "timeout", fp, 1, 900),
        description: c.opt_string(fm, "description", fp),
        environment: c.string_map(fm, "environment", fp),
        role: fm.get("role").cloned(),
        architecture: architecture(fm, fp, c),
        ephemeral_storage: c.opt_int(fm, "ephemeralStorage", fp, 512, 10240),
        reserved_concurrency: c.opt_int(fm, "reservedConcurrency", fp, 0, 1_000_000),
        provisioned_concurrency: c.opt_int(fm, "provisionedConcurrency", fp, 0, 1_000_000),
        tracing,
        vpc: fm.get("vpc").cloned(),
        layers,
        tags: c.string_map(fm, "tags", fp),
        kms_key_arn: fm.get("kmsKeyArn").cloned(),
        on_error: fm.get("onError").cloned(),
        destinations: fm.get("destinations").cloned(),
        url: fm.get("url").cloned().filter(|u| u != &Value::Bool(false)),
        package: function_package(fm.get("package"), &fp.key("package"), c),
        events,
        disable_logs: c.opt_bool(fm, "disableLogs", fp).unwrap_or(false),
        log_retention_in_days: log_retention(fm, fp, c),
        maximum_event_age: c.opt_int(fm, "maximumEventAge", fp, 60, 21600),
        maximum_retry_attempts: c.opt_int(fm, "maximumRetryAttempts", fp, 0, 2),
        condition: fm.get("condition").cloned(),
        depends_on: match fm.get("dependsOn") {
            Some(Value::Array(a)) => a.clone(),
            Some(v @ Value::String(_)) => vec![v.clone()],
            _ => Vec::new(),
        },
        snap_start: c.opt_bool(fm, "snapStart", fp).unwrap_or(false),
        file_system_config: fm.get("fileSystemConfig").cloned(),
        runtime_management: fm.get("runtimeManagement").cloned(),
        logging: fm.get("logs").cloned(),
        version: c.opt_bool(fm, "versionFunction", fp),
    };
    check_handler_file(&f, fp, s, inputs, c);
    Some(f)
}

/// For interpreted runtimes, the handler's module must be in the service directory: a typo
/// here otherwise deploys fine and fails on the first invocation.
fn check_handler_file(f: &Function, fp: &KeyPath, s: &Service, inputs: &Inputs, c: &mut Checker) {
    let Some(handler) = &f.handler else { return };
    if f.package.artifact.is_some() || s.package.artifact.is_some() {
        return;
    }
    let runtime = f
        .runtime
        .clone()
        .or_else(|| s.provider.runtime.clone())
        .unwrap_or_else(|| runtimes::DEFAULT.to_string());
    let Some(rt) = runtimes::find(&runtime) else {
        return;
    };
    let Some((module, _export)) = handler.rsplit_once('.') else {
        if matches!(
            rt.language,
            Language::Node | Language::Python | Language::Ruby
        ) {
            c.error(
                &fp.key("handler"),
                format!("handler `{handler}` does not name a module and an export"),
                "write `file.function`, e.g. `handler.hello` for the export `hello` of handler.js",
            );
        }
        return;
    };
    let candidates: Vec<String> = match rt.language {
        Language::Node => ["js", "mjs", "cjs", "ts"]
            .iter()
            .map(|e| format!("{module}.{e}"))
            .collect(),
        Language::Python => vec![format!("{}.py", module.replace('.', "/"))],
        Language::Ruby => {
            let file = handler.split('.').next().unwrap_or(handler);
            vec![format!("{file}.rb")]
        }
        _ => return,
    };
    if candidates
        .iter()
        .any(|cand| inputs.dir.join(cand).is_file())
    {
        return;
    }
    // A file with the same stem and another extension (`run.sh` for `run.handler`) may be a
    // wrapper or the input of a build step: say so, but do not refuse. No such file at all is a
    // typo.
    let module_path = inputs.dir.join(module.replace('.', "/"));
    let stem = module_path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let siblings: Vec<String> = module_path
        .parent()
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    let shown = candidates.first().cloned().unwrap_or_default();
    if let Some(other) = siblings
        .iter()
        .find(|n| n.rsplit_once('.').is_some_and(|(s, _)| s == stem))
    {
        c.warn(
            &fp.key("handler"),
            format!("handler `{handler}` needs `{shown}` for runtime {runtime}; the service has `{other}` instead"),
            "make sure a build step or a layer provides the module, or fix the handler",
        );
        return;
    }
    let stems: Vec<String> = siblings
        .iter()
        .filter_map(|n| n.rsplit_once('.').map(|(s, _)| s.to_string()))
        .collect();
    let stem_refs: Vec<&str> = stems.iter().map(String::as_str).collect();
    let hint = match did_you_mean(&stem, &stem_refs) {
        Some(s) => format!("did you mean `{}`?", handler.replacen(&stem, s, 1)),
        None => format!("check the handler path (relative to the directory of {}), or build the code before packaging", inputs.config_file),
    };
    c.error(
        &fp.key("handler"),
        format!("handler `{handler}` needs `{shown}`, which is not in the service directory"),
        hint,
    );
}
