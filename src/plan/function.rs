//! Functions, their log groups, versions, URLs, aliases and async settings; and layers.

use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::Compiler;
use crate::error::{Diagnostic, KeyPath};
use crate::manifest::service::{
    Destination, DestinationKind, EcrImage, Function, Image, ImageSource, RuntimeManagement,
    Service, Tracing,
};
use crate::naming;

pub(super) fn log_groups(c: &mut Compiler) {
    for f in c.service.functions.values() {
        if f.disable_logs {
            continue;
        }
        let mut p = Map::new();
        p.insert(
            "LogGroupName".into(),
            json!(naming::log_group_name(&f.name)),
        );
        if let Some(days) = f
            .log_retention_in_days
            .or(c.service.provider.log_retention_in_days)
        {
            p.insert("RetentionInDays".into(), json!(days));
        }
        if let Some(policy) = &f.log_data_protection_policy {
            p.insert("DataProtectionPolicy".into(), policy.clone());
        }
        c.add(
            naming::log_group_logical_id(&f.key),
            json!({ "Type": "AWS::Logs::LogGroup", "Properties": p }),
        );
    }
}

pub(super) fn layers(c: &mut Compiler) {
    for layer in c.service.layers.values() {
        let base_id = naming::layer_logical_id(&layer.key);
        let Some(artifact) = c.artifacts.layers.get(&layer.key).cloned() else {
            c.diags.push(
                Diagnostic::error(format!("layer `{}` has no package", layer.key))
                    .at(&KeyPath::root().key("layers").key(layer.key.clone()))
                    .hint("give the layer a `path` (a directory) or `package.artifact` (a zip)"),
            );
            continue;
        };
        let s3_key = c.s3_key(&artifact.name);
        // A retained layer version is never deleted, so each new content is a new resource.
        let id = if layer.retain {
            naming::retained_layer_id(&layer.key, &artifact.sha256_hex)
        } else {
            base_id.clone()
        };
        c.layer_ids.insert(base_id.clone(), id.clone());
        let mut p = Map::new();
        p.insert(
            "Content".into(),
            json!({ "S3Bucket": c.bucket_ref(), "S3Key": s3_key }),
        );
        p.insert(
            "LayerName".into(),
            json!(layer.name.clone().unwrap_or_else(|| layer.key.clone())),
        );
        if let Some(d) = &layer.description {
            p.insert("Description".into(), json!(d));
        }
        if let Some(l) = &layer.license_info {
            p.insert("LicenseInfo".into(), json!(l));
        }
        if let Some(r) = &layer.compatible_runtimes {
            p.insert("CompatibleRuntimes".into(), r.clone());
        }
        if let Some(a) = &layer.compatible_architectures {
            p.insert("CompatibleArchitectures".into(), a.clone());
        }
        let mut r = json!({ "Type": "AWS::Lambda::LayerVersion", "Properties": p });
        if layer.retain {
            r["DeletionPolicy"] = json!("Retain");
            r["UpdateReplacePolicy"] = json!("Retain");
        }
        c.add(id.clone(), r);
        for account in &layer.allowed_accounts {
            c.add(
                naming::layer_permission_id(&layer.key, account),
                json!({ "Type": "AWS::Lambda::LayerVersionPermission", "Properties": {
                    "Action": "lambda:GetLayerVersion",
                    "LayerVersionArn": { "Ref": id },
                    "Principal": account,
                }}),
            );
        }
        c.output(
            &naming::layer_qualified_arn_output(&layer.key),
            Some("Current Lambda layer version"),
            json!({ "Ref": id }),
        );
        c.output(
            &naming::layer_hash_output(&layer.key),
            Some("Current Lambda layer hash"),
            json!(artifact.sha256_hex),
        );
        c.output(
            &naming::layer_s3_key_output(&layer.key),
            Some("Current Lambda layer S3Key"),
            json!(s3_key),
        );
    }
}

/// The role a function runs with: its own, the provider's, or the generated one.
pub(super) fn role_of(c: &Compiler, f: &Function) -> Value {
    match f
        .role
        .as_ref()
        .or(c.service.provider.iam.existing_role.as_ref())
    {
        Some(Value::String(s)) if s.starts_with("arn:") => json!(s),
        // A logical ID of a role under `resources:`.
        Some(Value::String(s)) => json!({ "Fn::GetAtt": [s, "Arn"] }),
        Some(other) => other.clone(),
        None => json!({ "Fn::GetAtt": [naming::ROLE_ID, "Arn"] }),
    }
}

pub(super) fn tracing_mode(c: &Compiler, f: &Function) -> Option<&'static str> {
    f.tracing
        .or(c.service.provider.tracing_lambda)
        .map(Tracing::mode)
}

/// The image a function runs. Packaging resolves names and tags to digests
/// ([`crate::package::images`]); a dry run compiles what is known without AWS: a named image's
/// tag in the service's repository.
fn image_uri(s: &Service, image: &Image) -> Value {
    match &image.source {
        ImageSource::Uri(v) => v.clone(),
        ImageSource::Named(name) => match s.provider.ecr.images.get(name) {
            Some(EcrImage::Uri(uri)) => json!(uri),
            _ => naming::ecr_image_tag_uri(&naming::ecr_repository_name(&s.name, &s.stage), name),
        },
    }
}

/// `…@sha256:<hex>` → `<hex>`: the image's code hash, as Lambda reports it.
pub fn image_digest(uri: &Value) -> Option<String> {
    let (_, digest) = uri.as_str()?.rsplit_once("@sha256:")?;
    (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| digest.to_ascii_lowercase())
}

fn function_properties(c: &mut Compiler, f: &Function) -> Option<Map<String, Value>> {
    let s = c.service;
    let fp = KeyPath::root().key("functions").key(f.key.clone());
    let mut p = Map::new();
    match &f.image {
        Some(image) => {
            p.insert("Code".into(), json!({ "ImageUri": image_uri(s, image) }));
            p.insert("PackageType".into(), json!("Image"));
            if !image.config.is_empty() {
                p.insert("ImageConfig".into(), Value::Object(image.config.clone()));
            }
        }
        None => {
            let Some(artifact) = c.artifacts.for_function(&f.key) else {
                c.diags.push(
                    Diagnostic::error(format!("function `{}` has no package", f.key))
                        .at(&fp)
                        .hint("package the service first (sls-rs package)"),
                );
                return None;
            };
            p.insert(
                "Code".into(),
                json!({ "S3Bucket": c.bucket_ref(), "S3Key": c.s3_key(&artifact.name) }),
            );
            p.insert(
                "Handler".into(),
                json!(f.handler.clone().unwrap_or_default()),
            );
            p.insert("Runtime".into(), json!(f.runtime));
        }
    }
    p.insert("FunctionName".into(), json!(f.name));
    // Lambda@Edge: v3's defaults are the edge's limits, whatever the provider says.
    let edge = crate::events::cloudfront::is_edge(f);
    let (memory, timeout) = if edge {
        (f.memory_size.unwrap_or(128), f.timeout.unwrap_or(5))
    } else {
        (
            f.memory_size.or(s.provider.memory_size).unwrap_or(1024),
            f.timeout.or(s.provider.timeout).unwrap_or(6),
        )
    };
    p.insert("MemorySize".into(), json!(memory));
    p.insert("Timeout".into(), json!(timeout));
    if let Some(a) = f.architecture.as_ref().or(s.provider.architecture.as_ref()) {
        p.insert("Architectures".into(), json!([a]));
    }
    if let Some(d) = &f.description {
        p.insert("Description".into(), json!(d));
    }
    let mut tags = s.provider.tags.clone();
    for (k, v) in &f.tags {
        tags.insert(k.clone(), v.clone());
    }
    if !tags.is_empty() {
        p.insert(
            "Tags".into(),
            Value::Array(
                tags.into_iter()
                    .map(|(k, v)| json!({ "Key": k, "Value": v }))
                    .collect(),
            ),
        );
    }
    if let Some(mode) = tracing_mode(c, f) {
        p.insert("TracingConfig".into(), json!({ "Mode": mode }));
    }
    let mut env = s.provider.environment.clone();
    for (k, v) in &f.environment {
        env.insert(k.clone(), v.clone());
    }
    // Lambda@Edge has none (`events::cloudfront` says so).
    if !env.is_empty() && !edge {
        p.insert("Environment".into(), json!({ "Variables": env }));
    }
    p.insert("Role".into(), role_of(c, f));
    if let Some(on_error) = &f.on_error {
        p.insert("DeadLetterConfig".into(), json!({ "TargetArn": on_error }));
        if let Some(arn) = on_error.as_str() {
            if arn.contains(":sns:") {
                c.role_statement("onErrorSns", &["sns:Publish"], json!(arn));
            } else if arn.contains(":sqs:") {
                c.role_statement("onErrorSqs", &["sqs:SendMessage"], json!(arn));
            }
        }
    }
    if let Some(n) = f.reserved_concurrency {
        p.insert("ReservedConcurrentExecutions".into(), json!(n));
    }
    if let Some(layers) = f.layers.as_ref().or(if s.provider.layers.is_empty() {
        None
    } else {
        Some(&s.provider.layers)
    }) {
        let layers = layers
            .iter()
            .map(|l| {
                match l
                    .get("Ref")
                    .and_then(Value::as_str)
                    .and_then(|r| c.layer_ids.get(r))
                {
                    Some(id) => json!({ "Ref": id }),
                    None => l.clone(),
                }
            })
            .collect();
        p.insert("Layers".into(), Value::Array(layers));
    }
    if let Some(vpc) = f.vpc(&s.provider).filter(|_| !edge) {
        let g = |k: &str| vpc.get(k).cloned().unwrap_or(Value::Null);
        let mut config = Map::new();
        // A function's own VPC still takes the provider's dual-stack setting, as in v3.
        let ipv6 = [Some(vpc), s.provider.vpc.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|v| v.get("ipv6AllowedForDualStack"))
            .and_then(|v| match v {
                Value::Bool(b) => Some(*b),
                Value::String(t) => t.parse().ok(),
                _ => None,
            });
        if let Some(b) = ipv6 {
            config.insert("Ipv6AllowedForDualStack".into(), json!(b));
        }
        config.insert("SecurityGroupIds".into(), g("securityGroupIds"));
        config.insert("SubnetIds".into(), g("subnetIds"));
        p.insert("VpcConfig".into(), Value::Object(config));
    }
    if let Some(r) = &f.recursive_loop {
        p.insert("RecursiveLoop".into(), json!(r));
    }
    if let Some(k) = f.kms_key_arn.as_ref().or(s.provider.kms_key_arn.as_ref()) {
        p.insert("KmsKeyArn".into(), k.clone());
        if f.role.is_none() {
            c.role_statement("kms", &["kms:Decrypt"], k.clone());
        }
    }
    if f.role.is_none() && tracing_mode(c, f).is_some() {
        c.role_statement(
            "xray",
            &["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            json!("*"),
        );
    }
    if let Some(e) = f.ephemeral_storage {
        p.insert("EphemeralStorage".into(), json!({ "Size": e }));
    }
    if f.snap_start {
        p.insert(
            "SnapStart".into(),
            json!({ "ApplyOn": "PublishedVersions" }),
        );
    }
    if let Some(rm) = f
        .runtime_management
        .as_ref()
        .or(s.provider.runtime_management.as_ref())
    {
        let cfg = match rm {
            RuntimeManagement::Auto => json!({ "UpdateRuntimeOn": "Auto" }),
            RuntimeManagement::OnFunctionUpdate => json!({ "UpdateRuntimeOn": "FunctionUpdate" }),
            RuntimeManagement::Manual { arn } => {
                json!({ "UpdateRuntimeOn": "Manual", "RuntimeVersionArn": arn })
            }
        };
        p.insert("RuntimeManagementConfig".into(), cfg);
    }
    if let Some(l) = &f.logging {
        p.insert("LoggingConfig".into(), Value::Object(l.config.clone()));
    }
    if let Some(fs) = &f.file_system_config {
        p.insert("FileSystemConfigs".into(), json!([{ "Arn": fs.get("arn").cloned().unwrap_or(Value::Null), "LocalMountPath": fs.get("localMountPath").cloned().unwrap_or(Value::Null) }]));
    }
    Some(p)
}

/// The suffix of a version's logical ID: a hash of the code and the configuration, so an
/// unchanged function keeps its version and any change publishes a new one.
fn version_hash(props: &Map<String, Value>, code_sha: &str, layers: &[u8]) -> String {
    let mut without_code = props.clone();
    without_code.remove("Code");
    let mut h = Sha256::new();
    h.update(code_sha.as_bytes());
    h.update(serde_json::to_vec(&without_code).unwrap_or_default());
    h.update(layers);
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// What a function's version depends on besides its own code and configuration: each layer of
/// the service it references, by the layer's content hash and compiled properties (without the
/// S3 key, which names the deployment). A change to a layer alone then publishes a new version,
/// as in v3; a function without such layers hashes as before.
fn referenced_layers(c: &Compiler, props: &Map<String, Value>) -> Vec<u8> {
    let mut refs: Vec<&str> = props
        .get("Layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| l.get("Ref")?.as_str())
        .collect();
    refs.sort_unstable();
    refs.dedup();
    let mut out = Vec::new();
    for r in refs {
        let Some(layer) = c.service.layers.values().find(|l| {
            let base = naming::layer_logical_id(&l.key);
            base == r || c.layer_ids.get(&base).is_some_and(|id| id == r)
        }) else {
            continue;
        };
        if let Some(a) = c.artifacts.layers.get(&layer.key) {
            out.extend_from_slice(a.sha256.as_bytes());
        }
        let base = naming::layer_logical_id(&layer.key);
        let id = c.layer_ids.get(&base).unwrap_or(&base);
        if let Some(resource) = c.t.resources.get(id) {
            let mut p = resource["Properties"].clone();
            if let Some(content) = p.get_mut("Content").and_then(Value::as_object_mut) {
                content.remove("S3Key");
            }
            out.extend(serde_json::to_vec(&p).unwrap_or_default());
        }
    }
    out
}

pub(super) fn functions(c: &mut Compiler) {
    let service = c.service;
    let mut versions = Vec::new();
    let mut urls = Vec::new();
    for f in service.functions.values() {
        let Some(props) = function_properties(c, f) else {
            continue;
        };
        let id = naming::function_logical_id(&f.key);
        // What the version's ID hashes for the code: the zip's hash, the image's digest, or
        // (a dry run's image tag) its URI, so a new image publishes a new version.
        let (code_sha, code_hash) = match &f.image {
            Some(image) => {
                let uri = image_uri(service, image);
                let digest = image_digest(&uri);
                let hash = digest.clone().unwrap_or_else(|| uri.to_string());
                (digest, hash)
            }
            None => {
                let sha = c.artifacts.for_function(&f.key).map(|a| a.sha256.clone());
                let hash = sha.clone().unwrap_or_default();
                (sha, hash)
            }
        };
        let mut depends: Vec<Value> = Vec::new();
        if !f.disable_logs {
            depends.push(json!(naming::log_group_logical_id(&f.key)));
        }
        depends.extend(f.depends_on.iter().cloned());
        let mut r = json!({ "Type": "AWS::Lambda::Function", "Properties": props.clone() });
        let edge = crate::events::cloudfront::is_edge(f);
        if edge {
            // CloudFront's replicas outlive the stack, and a replaced function (v3 retains it
            // on deletion only; cfn-lint W3011).
            r["DeletionPolicy"] = json!("Retain");
            r["UpdateReplacePolicy"] = json!("Retain");
        }
        if !depends.is_empty() {
            r["DependsOn"] = Value::Array(depends);
        }
        if let Some(cond) = &f.condition {
            r["Condition"] = cond.clone();
        }
        c.add(id.clone(), r);
        url(c, f, &mut urls);
        event_invoke_config(c, f);
        // Lambda@Edge runs published versions only.
        let version_wanted = edge || f.version.unwrap_or(service.provider.version_functions);
        if f.provisioned_concurrency.is_some() && f.snap_start {
            c.diags.push(
                Diagnostic::error(format!("function `{}` has both provisionedConcurrency and snapStart", f.key))
                    .at(&KeyPath::root().key("functions").key(f.key.clone()).key("snapStart"))
                    .hint("Lambda does not run SnapStart functions with provisioned concurrency: remove one of them"),
            );
        }
        // An alias needs a version: v3 publishes one even with `versionFunctions: false`, and
        // then does not keep it when it is replaced.
        if version_wanted || target_alias(f).is_some() {
            let layers = referenced_layers(c, &props);
            let hash = version_hash(&props, &code_hash, &layers);
            let vid = naming::version_logical_id(&f.key, &hash);
            let mut vp = Map::new();
            vp.insert("FunctionName".into(), json!({ "Ref": id }));
            if let Some(sha) = &code_sha {
                vp.insert("CodeSha256".into(), json!(sha));
            }
            if let Some(d) = &f.description {
                vp.insert("Description".into(), json!(d));
            }
            versions.push((f, vid, vp, version_wanted));
        }
    }
    for (f, vid, vp, retained) in versions {
        let mut version = json!({ "Type": "AWS::Lambda::Version", "Properties": vp });
        if retained {
            version["DeletionPolicy"] = json!("Retain");
        }
        c.add(vid.clone(), version);
        if let Some((alias_id, name)) = target_alias(f) {
            let mut p = Map::new();
            p.insert(
                "FunctionName".into(),
                json!({ "Ref": naming::function_logical_id(&f.key) }),
            );
            p.insert(
                "FunctionVersion".into(),
                json!({ "Fn::GetAtt": [vid, "Version"] }),
            );
            p.insert("Name".into(), json!(name));
            if let Some(n) = f.provisioned_concurrency {
                p.insert(
                    "ProvisionedConcurrencyConfig".into(),
                    json!({ "ProvisionedConcurrentExecutions": n }),
                );
            }
            c.add(
                alias_id,
                json!({ "Type": "AWS::Lambda::Alias", "Properties": p }),
            );
        }
        c.output(
            &naming::function_qualified_arn_output(&f.key),
            Some("Current Lambda function version"),
            json!({ "Ref": vid }),
        );
    }
    for id in urls {
        c.output(
            &id,
            Some("Lambda Function URL"),
            json!({ "Fn::GetAtt": [id, "FunctionUrl"] }),
        );
    }
}

/// The function's URL; its output is written after the versions' (v3's order), so its ID goes
/// into `urls`.
fn url(c: &mut Compiler, f: &Function, urls: &mut Vec<String>) {
    let Some(u) = &f.url else { return };
    let auth = if u.aws_iam { "AWS_IAM" } else { "NONE" };
    let id = naming::function_url_id(&f.key);
    let mut p = Map::new();
    p.insert("AuthType".into(), json!(auth));
    p.insert("TargetFunctionArn".into(), Compiler::function_arn(&f.key));
    if let Some(cors) = &u.cors {
        p.insert("Cors".into(), Value::Object(cors.clone()));
    }
    if let Some(m) = &u.invoke_mode {
        p.insert("InvokeMode".into(), m.clone());
    }
    c.add(
        id.clone(),
        json!({ "Type": "AWS::Lambda::Url", "Properties": p }),
    );
    if auth == "NONE" {
        c.add(
            naming::function_url_permission_id(&f.key),
            json!({ "Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": Compiler::function_arn(&f.key),
                "Action": "lambda:InvokeFunctionUrl",
                "Principal": "*",
                "FunctionUrlAuthType": "NONE",
            }}),
        );
        // Since October 2025 a public function URL also needs lambda:InvokeFunction, limited
        // to calls through the URL (osls, v3's maintained fork, adds the same resource).
        c.add(
            naming::function_url_invoke_permission_id(&f.key),
            json!({ "Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": Compiler::function_arn(&f.key),
                "Action": "lambda:InvokeFunction",
                "Principal": "*",
                "InvokedViaFunctionUrl": true,
            }}),
        );
    }
    urls.push(id);
}

/// `destinations`, `maximumEventAge`, `maximumRetryAttempts`: an EventInvokeConfig.
fn event_invoke_config(c: &mut Compiler, f: &Function) {
    if f.destinations.is_none()
        && f.maximum_event_age.is_none()
        && f.maximum_retry_attempts.is_none()
    {
        return;
    }
    let mut p = Map::new();
    p.insert(
        "FunctionName".into(),
        json!({ "Ref": naming::function_logical_id(&f.key) }),
    );
    let own_alias = target_alias(f);
    p.insert(
        "Qualifier".into(),
        json!(own_alias.as_ref().map_or("$LATEST", |(_, name)| name)),
    );
    // What the configuration waits for: the aliases it and its destinations name.
    let mut depends: Vec<String> = own_alias.iter().map(|(id, _)| id.clone()).collect();
    if let Some(d) = &f.destinations {
        let mut dc = Map::new();
        for (cfn, target) in [("OnSuccess", &d.on_success), ("OnFailure", &d.on_failure)] {
            let Some(target) = target else { continue };
            // A function is invoked through its ARN (its alias's, if it has one); the role names
            // it by name, as a reference would make the role wait for the function it serves.
            let (arn, granted, kind) = match target {
                Destination::Function(key) => {
                    let target = &c.service.functions[key];
                    let plain = Compiler::function_arn(key);
                    let (arn, qualifier) = match target_alias(target) {
                        Some((id, name)) => {
                            if !depends.contains(&id) {
                                depends.push(id);
                            }
                            (
                                json!({ "Fn::Join": [":", [plain, name]] }),
                                format!(":{name}"),
                            )
                        }
                        None => (plain, String::new()),
                    };
                    let granted = json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{}{qualifier}", target.name) });
                    (arn, granted, DestinationKind::Lambda)
                }
                Destination::Arn { arn, kind } => (arn.clone(), arn.clone(), *kind),
            };
            let (sid, action) = match kind {
                DestinationKind::Lambda => ("destinationLambda", "lambda:InvokeFunction"),
                DestinationKind::Sqs => ("destinationSqs", "sqs:SendMessage"),
                DestinationKind::Sns => ("destinationSns", "sns:Publish"),
                DestinationKind::EventBus => ("destinationEvents", "events:PutEvents"),
            };
            c.role_statement(sid, &[action], granted);
            dc.insert(cfn.into(), json!({ "Destination": arn }));
        }
        if !dc.is_empty() {
            p.insert("DestinationConfig".into(), Value::Object(dc));
        }
    }
    if let Some(a) = f.maximum_event_age {
        p.insert("MaximumEventAgeInSeconds".into(), json!(a));
    }
    if let Some(r) = f.maximum_retry_attempts {
        p.insert("MaximumRetryAttempts".into(), json!(r));
    }
    let mut r = json!({ "Type": "AWS::Lambda::EventInvokeConfig", "Properties": p });
    match depends.len() {
        0 => {}
        1 => r["DependsOn"] = json!(depends[0]),
        _ => r["DependsOn"] = json!(depends),
    }
    c.add(naming::event_invoke_config_id(&f.key), r);
}

/// The alias events invoke, as v3 makes it: `provisioned` for a function with provisioned
/// concurrency (or the provisioned instances would sit idle), else `snapstart` for a SnapStart
/// function (SnapStart applies to published versions only). `(logical ID, name)`.
fn target_alias(f: &crate::manifest::service::Function) -> Option<(String, &'static str)> {
    if f.provisioned_concurrency.is_some() {
        Some((
            naming::provisioned_alias_id(&f.key),
            naming::PROVISIONED_ALIAS,
        ))
    } else if f.snap_start {
        Some((
            naming::snap_start_alias_id(&f.key),
            naming::SNAP_START_ALIAS,
        ))
    } else {
        None
    }
}

/// Every reference to a function's ARN in what the events generated becomes its target alias's
/// ARN (see [`target_alias`]), and those resources wait for the alias.
pub(super) fn route_events_to_aliases(
    c: &mut Compiler,
    generated_before: &std::collections::HashSet<String>,
) {
    for f in c.service.functions.values() {
        let Some((alias_id, name)) = target_alias(f) else {
            continue;
        };
        let plain = Compiler::function_arn(&f.key);
        let alias_arn = json!({ "Fn::Join": [":", [plain.clone(), name]] });
        for (id, r) in c.t.resources.iter_mut() {
            if generated_before.contains(id) {
                continue;
            }
            if replace_value(r, &plain, &alias_arn) {
                let depends = match r.get("DependsOn").cloned() {
                    None => json!(alias_id),
                    Some(Value::Array(mut a)) => {
                        a.push(json!(alias_id));
                        Value::Array(a)
                    }
                    Some(other) => json!([other, alias_id]),
                };
                r["DependsOn"] = depends;
            }
        }
    }
}

/// Replaces every occurrence of `from` inside `v` with `to`; whether any was found. Inside a
/// `Fn::Join` on "" (an invocation URI), the alias is spliced in as `…, ":", "provisioned", …`
/// rather than nested, as v3 writes it.
fn replace_value(v: &mut Value, from: &Value, to: &Value) -> bool {
    if v == from {
        *v = to.clone();
        return true;
    }
    if let Some(Value::Array(join)) = v.get_mut("Fn::Join") {
        if join.first() == Some(&json!("")) {
            if let Some(Value::Array(parts)) = join.get_mut(1) {
                if let Some(i) = parts.iter().position(|p| p == from) {
                    let suffix = to["Fn::Join"][1][1].clone();
                    parts.splice(i + 1..i + 1, [json!(":"), suffix]);
                    return true;
                }
            }
        }
    }
    // Every occurrence is replaced: no short-circuit.
    let mut found = false;
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                found |= replace_value(x, from, to);
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                found |= replace_value(x, from, to);
            }
        }
        _ => {}
    }
    found
}
