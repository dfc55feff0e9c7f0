//! `provider:` — runtime defaults, IAM, the deployment bucket, API Gateway and HTTP API settings.

use serde_json::{Map, Value};

use super::*;
use crate::error::KeyPath;
use crate::manifest::checker::{is_intrinsic, show, type_name, Checker};

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
    "deploymentApproval",
    "deploymentMode",
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
    "rollbackConfiguration",
    "lambdaHashingVersion",
    "eventBridge",
    "logRetentionInDays",
    "usagePlan",
    "apiKeys",
    "resourcePolicy",
    "runtimeManagement",
    "vpcEndpointIds",
    "websocket",
    "logDataProtectionPolicy",
    "kinesis",
    "alb",
    "s3",
    "cloudFront",
    "ecr",
];

pub(super) fn provider(pm: &Map<String, Value>, pp: &KeyPath, c: &mut Checker) -> Provider {
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
        runtime_management: super::settings::runtime_management(
            pm.get("runtimeManagement"),
            &pp.key("runtimeManagement"),
            c,
        ),
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
    p.deployment_approval_never = match c.opt_string(pm, "deploymentApproval", pp).as_deref() {
        None | Some("risky") => false,
        Some("never") => true,
        Some(other) => {
            c.error(
                    &pp.key("deploymentApproval"),
                    format!("deployment approval `{other}` is not known"),
                    "use `risky` (the default: data loss and broader permissions are approved first) or `never`",
                );
            false
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
                encryption: crate::manifest::service::UploadEncryption {
                    algorithm: c.opt_string(bm, "serverSideEncryption", &bp),
                    kms_key_id: c.opt_string(bm, "sseKMSKeyId", &bp),
                    // v3 spells it so.
                    customer_algorithm: c.opt_string(bm, "sseCustomerAlgorithim", &bp),
                    customer_key: c.opt_string(bm, "sseCustomerKey", &bp),
                    customer_key_md5: c.opt_string(bm, "sseCustomerKeyMD5", &bp),
                },
                tags: c.string_map(bm, "tags", &bp),
                max_previous_deployments: c
                    .opt_int(bm, "maxPreviousDeploymentArtifacts", &bp, 1, 1000)
                    .map(|n| n as usize),
                skip_policy_setup: c.opt_bool(bm, "skipPolicySetup", &bp).unwrap_or(false),
                versioning: c.opt_bool(bm, "versioning", &bp).unwrap_or(true),
                block_public_access: c.opt_bool(bm, "blockPublicAccess", &bp).unwrap_or(true),
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
            p.tracing_lambda = super::settings::tracing(tm.get("lambda"), &tp.key("lambda"), c);
            p.tracing_api_gateway = c.opt_bool(tm, "apiGateway", &tp).unwrap_or(false);
        }
        Some(other) => c.error(
            &pp.key("tracing"),
            format!("`tracing` must be a map, not {}", show(other)),
            "write `tracing: { lambda: true }`",
        ),
    }
    match pm.get("eventBridge") {
        None | Some(Value::Null) => {}
        Some(Value::Object(em)) => {
            let ep = pp.key("eventBridge");
            c.unknown_keys(em, &["useCloudFormation"], &ep);
            if c.opt_bool(em, "useCloudFormation", &ep) == Some(false) {
                c.error(
                    &ep.key("useCloudFormation"),
                    "EventBridge rules made by v3's custom resource (`useCloudFormation: false`) are not supported by sls-rs",
                    "remove it: sls-rs provisions EventBridge rules with CloudFormation, as v3 does with `useCloudFormation: true`",
                );
            }
        }
        Some(other) => c.error(
            &pp.key("eventBridge"),
            format!("`eventBridge` must be a map, not {}", show(other)),
            "write `eventBridge: { useCloudFormation: true }`",
        ),
    }
    p.vpc_endpoint_ids = pm.get("vpcEndpointIds").filter(|v| !v.is_null()).cloned();
    if p.vpc_endpoint_ids.is_some() && p.endpoint_type.as_deref() != Some("PRIVATE") {
        c.error(
            &pp.key("vpcEndpointIds"),
            "VPC endpoint IDs apply to private REST APIs only",
            "add `endpointType: PRIVATE`, or remove `vpcEndpointIds`",
        );
    }
    p.log_data_protection_policy = super::settings::log_data_protection_policy(
        pm.get("logDataProtectionPolicy"),
        &pp.key("logDataProtectionPolicy"),
        c,
    );
    if let Some(v) = pm.get("s3").filter(|v| !v.is_null()) {
        p.s3 = crate::events::s3::parse_settings(v, &pp.key("s3"), c);
    }
    p.ecr = super::settings::ecr(pm.get("ecr"), &pp.key("ecr"), c);
    if let Some(v) = pm.get("cloudFront").filter(|v| !v.is_null()) {
        p.cloudfront_cache_policies =
            crate::events::cloudfront::parse_settings(v, &pp.key("cloudFront"), c);
    }
    if let Some(v) = pm.get("alb").filter(|v| !v.is_null()) {
        p.alb = crate::events::alb::parse_settings(v, &pp.key("alb"), c);
    }
    super::settings::check_vpc(pm.get("vpc"), &pp.key("vpc"), c);
    if let Some(v) = pm.get("kinesis").filter(|v| !v.is_null()) {
        let kp = pp.key("kinesis");
        if let Some(km) = c.map(v, &kp) {
            c.unknown_keys(km, &["consumerNamingMode"], &kp);
            match c.opt_string(km, "consumerNamingMode", &kp).as_deref() {
                None => {}
                Some("serviceSpecific") => p.kinesis_consumer_service_specific = true,
                Some(other) => c.error(
                    &kp.key("consumerNamingMode"),
                    format!("`{other}` is not a consumer naming mode"),
                    "the one mode is serviceSpecific (consumer names with the service and stage)",
                ),
            }
        }
    }
    if let Some(v) = pm.get("websocket").filter(|v| !v.is_null()) {
        let wp = pp.key("websocket");
        if let Some(wm) = c.map(v, &wp) {
            c.unknown_keys(wm, &["useProviderTags"], &wp);
            p.websocket_tags = c.opt_bool(wm, "useProviderTags", &wp).unwrap_or(false);
        }
    }
    if let Some(Value::Object(lm)) = pm.get("logs") {
        let lp = pp.key("logs");
        c.unknown_keys(
            lm,
            &[
                "restApi",
                "httpApi",
                "websocket",
                "lambda",
                "frameworkLambda",
            ],
            &lp,
        );
        p.framework_lambda_logs = c.opt_bool(lm, "frameworkLambda", &lp).unwrap_or(false);
        p.lambda_logging = super::settings::logging(lm.get("lambda"), &lp.key("lambda"), c);
        if let Some(v) = lm.get("restApi") {
            p.rest_api_logs = crate::events::api_logs::parse(v, &lp.key("restApi"), c, false);
        }
        if let Some(v) = lm.get("websocket") {
            p.websocket_logs = crate::events::api_logs::parse(v, &lp.key("websocket"), c, true);
        }
    }
    p.stack = StackSettings {
        policy: string_list(pm.get("stackPolicy"), &pp.key("stackPolicy"), c),
        notification_arns: string_list(pm.get("notificationArns"), &pp.key("notificationArns"), c)
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        disable_rollback: c.opt_bool(pm, "disableRollback", pp).unwrap_or(false),
        role_arn: deployment_role(pm, pp, c),
        rollback: rollback_configuration(pm, pp, c),
        express: match c.opt_string(pm, "deploymentMode", pp).as_deref() {
            None | Some("standard") => false,
            Some("express") => true,
            Some(other) => {
                c.error(
                    &pp.key("deploymentMode"),
                    format!("deployment mode `{other}` is not known"),
                    "use `standard` (the default: a deploy ends when every resource is ready) or `express` (it ends once configuration is applied)",
                );
                false
            }
        },
        // Decided from the deployed stack, not the configuration.
        nested: false,
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
    let logs_path = pp.key("logs").key("httpApi");
    p.http_api.access_log_format =
        http_api_access_log(pm.get("logs").and_then(|l| l.get("httpApi")), &logs_path, c);
    if p.http_api.access_log_format.is_some() && p.http_api.id.is_some() {
        c.error(
            &logs_path,
            "access logs are set on the HTTP API's stage, and `provider.httpApi.id` names an API made elsewhere",
            "configure the logs where that API is defined, or remove `logs.httpApi`",
        );
    }
    p
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

/// `provider.iam.deploymentRole`, or v3's older `cfnRole`: one role, so two different ones are
/// an error.
fn deployment_role(pm: &Map<String, Value>, pp: &KeyPath, c: &mut Checker) -> Option<String> {
    let legacy = c.opt_string(pm, "cfnRole", pp);
    let modern = match pm.get("iam") {
        Some(Value::Object(im)) => c.opt_string(im, "deploymentRole", &pp.key("iam")),
        _ => None,
    };
    if let (Some(a), Some(b)) = (&legacy, &modern) {
        if a != b {
            c.error(
                &pp.key("iam").key("deploymentRole"),
                format!("`iam.deploymentRole` ({b}) and `cfnRole` ({a}) name different roles"),
                "keep `iam.deploymentRole` and remove `cfnRole`, which it replaces",
            );
        }
    }
    modern.or(legacy)
}

/// `provider.rollbackConfiguration`, CloudFormation's own shape.
fn rollback_configuration(
    pm: &Map<String, Value>,
    pp: &KeyPath,
    c: &mut Checker,
) -> Option<crate::manifest::service::RollbackConfiguration> {
    let rp = pp.key("rollbackConfiguration");
    let rm = match pm.get("rollbackConfiguration") {
        None | Some(Value::Null) => return None,
        Some(v) => c.map(v, &rp)?,
    };
    c.unknown_keys(rm, &["MonitoringTimeInMinutes", "RollbackTriggers"], &rp);
    let mut out = crate::manifest::service::RollbackConfiguration {
        monitoring_minutes: c
            .opt_int(rm, "MonitoringTimeInMinutes", &rp, 0, 180)
            .map(|n| n as i32),
        triggers: Vec::new(),
    };
    let tp = rp.key("RollbackTriggers");
    match rm.get("RollbackTriggers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, t) in list.iter().enumerate() {
                let ip = tp.index(i);
                let Some(tm) = c.map(t, &ip) else { continue };
                c.unknown_keys(tm, &["Arn", "Type"], &ip);
                let arn = c.opt_string(tm, "Arn", &ip);
                let kind = c.opt_string(tm, "Type", &ip);
                match (arn, kind) {
                    (Some(a), Some(k)) => out.triggers.push((a, k)),
                    _ => c.error(
                        &ip,
                        "a rollback trigger needs `Arn` and `Type`",
                        "write `- Arn: arn:aws:cloudwatch:…:alarm:name` and `Type: AWS::CloudWatch::Alarm`",
                    ),
                }
            }
        }
        Some(other) => c.error(
            &tp,
            format!(
                "`RollbackTriggers` must be a list, not {}",
                type_name(other)
            ),
            "write `RollbackTriggers: [{Arn: …, Type: AWS::CloudWatch::Alarm}]`",
        ),
    }
    Some(out)
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
            "timeoutInMillis",
            "endpoint",
            "request",
            "websocketApiId",
        ],
        p,
    );
    a.websocket_api_id = m.get("websocketApiId").filter(|v| !v.is_null()).cloned();
    if let Some(r) = m.get("request").filter(|v| !v.is_null()) {
        let rp = p.key("request");
        if let Some(rm) = c.map(r, &rp) {
            c.unknown_keys(rm, &["schemas"], &rp);
            if let Some(schemas) = rm.get("schemas").filter(|v| !v.is_null()) {
                let sp = rp.key("schemas");
                if let Some(sm) = c.map(schemas, &sp) {
                    for (id, spec) in sm {
                        if let Some(s) =
                            super::settings::request_schema(spec, &sp.key(id.clone()), c)
                        {
                            a.request_schemas.insert(id.clone(), s);
                        }
                    }
                }
            }
        }
    }
    a.timeout_in_millis = c.opt_int(m, "timeoutInMillis", p, 50, 300_000);
    if let Some(e) = m.get("endpoint").filter(|v| !v.is_null()) {
        let ep = p.key("endpoint");
        if let Some(em) = c.map(e, &ep) {
            c.unknown_keys(em, &["securityPolicy"], &ep);
            a.security_policy = c.opt_string(em, "securityPolicy", &ep);
        }
    }
    a.usage_plans = usage_plans(m.get("usagePlan"), &p.key("usagePlan"), c);
    if let Some(keys) = m.get("apiKeys") {
        a.api_keys = api_keys(keys, &p.key("apiKeys"), &a.usage_plans, c);
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
            "description",
        ],
        p,
    );
    h.id = m.get("id").cloned();
    h.name = c.opt_string(m, "name", p);
    h.description = c.opt_string(m, "description", p);
    h.payload = super::settings::payload_version(m, p, c);
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
    if c.opt_bool(m, "useProviderTags", p).is_some() {
        c.warn(
            &p.key("useProviderTags"),
            "`useProviderTags` has no effect: provider tags always go on the HTTP API and its stage (as in v3 since 3.0)",
            "remove it",
        );
    }
    h.name_starts_with_service = c
        .opt_bool(m, "shouldStartNameWithService", p)
        .unwrap_or(false);
    h
}

/// `usagePlan`: `{quota, throttle}` (the service's one plan), or `[{name: {quota, throttle}}, …]`.
fn usage_plans(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Vec<UsagePlan> {
    let settings = |m: &Map<String, Value>, p: &KeyPath, c: &mut Checker| {
        c.unknown_keys(m, &["quota", "throttle"], p);
        for key in ["quota", "throttle"] {
            if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
                let kp = p.key(key);
                if let Some(km) = c.map(v, &kp) {
                    let known: &[&str] = if key == "quota" {
                        &["limit", "offset", "period"]
                    } else {
                        &["burstLimit", "rateLimit"]
                    };
                    c.unknown_keys(km, known, &kp);
                }
            }
        }
        (m.get("quota").cloned(), m.get("throttle").cloned())
    };
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => {
            let (quota, throttle) = settings(m, p, c);
            vec![UsagePlan {
                name: None,
                quota,
                throttle,
            }]
        }
        Some(Value::Array(list)) => {
            let mut out = Vec::new();
            for (i, item) in list.iter().enumerate() {
                let ip = p.index(i);
                match item {
                    Value::Object(m) if m.len() == 1 => {
                        let (name, spec) = m.iter().next().expect("one entry");
                        let np = ip.key(name.clone());
                        if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                            c.error(
                                &np,
                                format!("usage plan name `{name}` may hold letters and digits only"),
                                "it names the plan's logical IDs (ApiGatewayUsagePlan<Name>), as in v3; rename it",
                            );
                            continue;
                        }
                        let empty = Map::new();
                        let sm = match spec {
                            Value::Null => &empty,
                            other => match c.map(other, &np) {
                                Some(sm) => sm,
                                None => continue,
                            },
                        };
                        let (quota, throttle) = settings(sm, &np, c);
                        out.push(UsagePlan {
                            name: Some(name.clone()),
                            quota,
                            throttle,
                        });
                    }
                    other => c.error(
                        &ip,
                        format!(
                            "a usage plan in the list must be `name: {{quota, throttle}}`, not {}",
                            show(other)
                        ),
                        "write `- free: { quota: { limit: 1000, period: MONTH } }`",
                    ),
                }
            }
            out
        }
        Some(other) => {
            c.error(
                p,
                format!(
                    "`usagePlan` must be a map or a list of named plans, not {}",
                    type_name(other)
                ),
                "write `usagePlan: { quota: { limit: 5000, period: MONTH } }`",
            );
            Vec::new()
        }
    }
}

/// `apiKeys`: names, `{name, value, description, customerId, enabled}` maps, and, with named
/// usage plans, `- <plan>: [keys…]` lists. Numbered as v3 numbers them.
fn api_keys(v: &Value, kp: &KeyPath, plans: &[UsagePlan], c: &mut Checker) -> Vec<ApiKey> {
    let Value::Array(list) = v else {
        c.error(
            kp,
            format!("`apiKeys` must be a list, not {}", type_name(v)),
            "write one `- key-name` per line",
        );
        return Vec::new();
    };
    let named: Vec<&str> = plans.iter().filter_map(|p| p.name.as_deref()).collect();
    let mut out = Vec::new();
    let mut number = 0;
    for (i, k) in list.iter().enumerate() {
        let ip = kp.index(i);
        let group = match k {
            Value::Object(km) if km.len() == 1 => km
                .iter()
                .next()
                .filter(|(n, _)| named.contains(&n.as_str()))
                .map(|(n, keys)| (n.clone(), keys)),
            _ => None,
        };
        if let Some((plan, keys)) = group {
            let Value::Array(keys) = keys else {
                c.error(
                    &ip.key(plan.clone()),
                    format!("the keys of usage plan `{plan}` must be a list"),
                    "write `- free: [key-one, key-two]`",
                );
                continue;
            };
            number = 0;
            for (j, key) in keys.iter().enumerate() {
                number += 1;
                if let Some(mut k) = api_key(key, &ip.key(plan.clone()).index(j), c) {
                    k.plan = Some(plan.clone());
                    k.number = number;
                    out.push(k);
                }
            }
            continue;
        }
        number += 1;
        if let Some(mut key) = api_key(k, &ip, c) {
            if !named.is_empty() {
                c.error(
                    &ip,
                    "with named usage plans, each API key is listed under its plan",
                    format!(
                        "write `- {}: [{}]`",
                        named[0],
                        key.name.as_deref().unwrap_or("my-key")
                    ),
                );
                continue;
            }
            key.number = number;
            out.push(key);
        }
    }
    out
}

fn api_key(k: &Value, ip: &KeyPath, c: &mut Checker) -> Option<ApiKey> {
    match k {
        Value::String(s) => Some(ApiKey {
            name: Some(s.clone()),
            value: None,
            description: None,
            customer_id: None,
            enabled: true,
            plan: None,
            number: 0,
        }),
        Value::Object(km) => {
            c.unknown_keys(
                km,
                &["name", "value", "description", "customerId", "enabled"],
                ip,
            );
            let key = ApiKey {
                name: c.opt_string(km, "name", ip),
                value: c.opt_string(km, "value", ip),
                description: c.opt_string(km, "description", ip),
                customer_id: c.opt_string(km, "customerId", ip),
                enabled: c.opt_bool(km, "enabled", ip).unwrap_or(true),
                plan: None,
                number: 0,
            };
            if key.value.as_ref().is_some_and(|v| v.len() < 20) {
                c.error(
                    &ip.key("value"),
                    "an API key value must be at least 20 characters",
                    "use a longer value, or leave `value` out and let API Gateway generate one",
                );
            }
            Some(key)
        }
        other => {
            c.error(
                ip,
                format!(
                    "an API key must be a name or a map, not {}",
                    type_name(other)
                ),
                "write `- my-key` or `- { name: my-key, value: … }`",
            );
            None
        }
    }
}

/// `logs.httpApi: true | { format }`: the HTTP API stage's access log format (v3's default as
/// JSON when only `true`).
fn http_api_access_log(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<String> {
    const DEFAULT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;
    match v? {
        Value::Null | Value::Bool(false) => None,
        Value::Bool(true) => Some(DEFAULT.to_string()),
        Value::Object(m) => {
            c.unknown_keys(m, &["format"], p);
            Some(
                c.opt_string(m, "format", p)
                    .unwrap_or_else(|| DEFAULT.to_string()),
            )
        }
        other => {
            c.error(
                p,
                format!("`logs.httpApi` must be true or a map, not {}", show(other)),
                "write `httpApi: true` or `httpApi: { format: '…' }`",
            );
            None
        }
    }
}
