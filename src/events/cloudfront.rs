//! `cloudFront` events (Lambda@Edge) and `provider.cloudFront.cachePolicies`: one CloudFront
//! distribution for the service, with an origin per distinct origin, a cache behavior per path
//! pattern (the one without a pattern, or a copy of the first, is the default), and each
//! function's published version associated with its behavior's event type, as v3 compiles them.
//!
//! What v3 does to the functions is done in `plan::function`: a version is always published
//! (Lambda@Edge runs versions only) and kept, the function is retained when the stack is deleted
//! (CloudFront replicas outlive it), memory and timeout default to 128 MB and 5 s. Lambda@Edge
//! has no environment variables and no VPC: v3 drops them without a word; sls-rs refuses them
//! on the function and says the provider's do not apply.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use crate::error::{Diagnostic, KeyPath};
use crate::manifest::checker::{show, Checker};
use crate::manifest::service::Function;
use crate::naming;
use crate::plan::Compiler;

const EVENT_TYPES: &[&str] = &[
    "viewer-request",
    "origin-request",
    "origin-response",
    "viewer-response",
];

const ORIGIN_KEYS: &[&str] = &[
    "ConnectionAttempts",
    "ConnectionTimeout",
    "CustomOriginConfig",
    "DomainName",
    "OriginAccessControlId",
    "OriginCustomHeaders",
    "OriginPath",
    "S3OriginConfig",
];

const BEHAVIOR_KEYS: &[&str] = &[
    "AllowedMethods",
    "CachedMethods",
    "CachePolicyId",
    "Compress",
    "FieldLevelEncryptionId",
    "OriginRequestPolicyId",
    "ResponseHeadersPolicyId",
    "SmoothStreaming",
    "TrustedSigners",
    "ViewerProtocolPolicy",
    "TrustedKeyGroups",
    "MaxTTL",
    "MinTTL",
    "DefaultTTL",
    "ForwardedValues",
];

/// AWS's managed "CachingOptimized" policy, v3's default for a behavior that names none.
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

#[derive(Debug, Clone)]
pub enum CachePolicy {
    /// A policy ID (or a value resolving to one).
    Id(Value),
    /// One of `provider.cloudFront.cachePolicies`.
    Name(String),
}

#[derive(Debug, Clone)]
pub struct CloudFront {
    pub event_type: String,
    pub path_pattern: Option<String>,
    /// The origin as the distribution lists it, without its `Id`.
    pub origin: Map<String, Value>,
    pub is_default_origin: bool,
    pub include_body: Option<bool>,
    pub behavior: Map<String, Value>,
    pub cache_policy: Option<CachePolicy>,
    pub key_path: KeyPath,
}

/// Lambda@Edge's limits for an event type: (memory MB, timeout s).
pub fn limits(event_type: &str) -> (i64, i64) {
    if event_type.starts_with("origin-") {
        (10_240, 30)
    } else {
        (128, 5)
    }
}

/// Whether the function runs at the edge (has a `cloudFront` event).
pub fn is_edge(f: &Function) -> bool {
    f.events
        .iter()
        .any(|e| matches!(e, super::Event::CloudFront(_)))
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<CloudFront> {
    let m = c.map(v, path)?;
    c.unknown_keys(
        m,
        &[
            "behavior",
            "cachePolicy",
            "eventType",
            "isDefaultOrigin",
            "includeBody",
            "origin",
            "pathPattern",
        ],
        path,
    );
    let Some(event_type) = c.opt_string(m, "eventType", path) else {
        c.error(
            &path.key("eventType"),
            "a cloudFront event needs `eventType` (v3 compiles an association without one, which CloudFront rejects)",
            format!("add `eventType:` with one of {}", EVENT_TYPES.join(", ")),
        );
        return None;
    };
    if !EVENT_TYPES.contains(&event_type.as_str()) {
        c.error(
            &path.key("eventType"),
            format!("`{event_type}` is not a Lambda@Edge event type"),
            format!("use one of {}", EVENT_TYPES.join(", ")),
        );
        return None;
    }
    let path_pattern = c.opt_string(m, "pathPattern", path);
    if let Some(p) = &path_pattern {
        let ok = !p.is_empty()
            && p.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "_.*?$/~\"'@:+-&;".contains(ch));
        if !ok {
            c.error(
                &path.key("pathPattern"),
                format!("`{p}` is not a CloudFront path pattern"),
                "use letters, digits and _ . * ? $ / ~ \" ' @ : + - &",
            );
            return None;
        }
    }
    let origin = match m.get("origin") {
        None | Some(Value::Null) => {
            c.error(
                &path.key("origin"),
                "a cloudFront event needs its `origin`",
                "add `origin: https://example.com` or `origin: s3://bucket.s3.amazonaws.com/path`, or an origin object with DomainName",
            );
            return None;
        }
        Some(Value::String(u)) => origin_from_url(u, &path.key("origin"), c)?,
        Some(Value::Object(o)) => {
            let op = path.key("origin");
            c.unknown_keys(o, ORIGIN_KEYS, &op);
            if !o.contains_key("DomainName") {
                c.error(
                    &op.key("DomainName"),
                    "the origin has no DomainName",
                    "add `DomainName:` with the origin's host name",
                );
                return None;
            }
            if o.contains_key("CustomOriginConfig") == o.contains_key("S3OriginConfig") {
                c.error(
                    &op,
                    "an origin needs exactly one of CustomOriginConfig and S3OriginConfig",
                    "add `S3OriginConfig: {}` for a bucket, or `CustomOriginConfig: { OriginProtocolPolicy: match-viewer }`",
                );
                return None;
            }
            o.clone()
        }
        Some(other) => {
            c.error(
                &path.key("origin"),
                format!(
                    "`origin` must be a URL or an origin object, not {}",
                    show(other)
                ),
                "write `origin: https://example.com`",
            );
            return None;
        }
    };
    let behavior = match m.get("behavior") {
        None | Some(Value::Null) => Map::new(),
        Some(b) => {
            let bp = path.key("behavior");
            let bm = c.map(b, &bp)?;
            c.unknown_keys(bm, BEHAVIOR_KEYS, &bp);
            if let Some(v) = bm.get("ViewerProtocolPolicy") {
                if !matches!(
                    v.as_str(),
                    Some("allow-all" | "redirect-to-https" | "https-only")
                ) {
                    c.error(
                        &bp.key("ViewerProtocolPolicy"),
                        format!("{} is not a viewer protocol policy", show(v)),
                        "use allow-all, redirect-to-https or https-only",
                    );
                }
            }
            bm.clone()
        }
    };
    let cache_policy = match m.get("cachePolicy") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let cp = path.key("cachePolicy");
            let cm = c.map(v, &cp)?;
            c.unknown_keys(cm, &["id", "name"], &cp);
            match (cm.get("id"), c.opt_string(cm, "name", &cp)) {
                (Some(id), None) => Some(CachePolicy::Id(id.clone())),
                (None, Some(name)) if !name.is_empty() => Some(CachePolicy::Name(name)),
                _ => {
                    c.error(
                        &cp,
                        "`cachePolicy` needs either `id` or `name`",
                        "name a policy of provider.cloudFront.cachePolicies with `name:`, or give a policy's `id:`",
                    );
                    return None;
                }
            }
        }
    };
    Some(CloudFront {
        event_type,
        path_pattern,
        origin,
        is_default_origin: c.opt_bool(m, "isDefaultOrigin", path).unwrap_or(false),
        include_body: c.opt_bool(m, "includeBody", path),
        behavior,
        cache_policy,
        key_path: path.clone(),
    })
}

/// `s3://bucket.s3.amazonaws.com/path` → an S3 origin; any other URL → a custom origin that
/// matches the viewer's protocol; the path (beyond `/`) is the origin path.
fn origin_from_url(u: &str, path: &KeyPath, c: &mut Checker) -> Option<Map<String, Value>> {
    let parsed = u.split_once("://").and_then(|(scheme, rest)| {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let host = authority.rsplit('@').next().unwrap_or(authority);
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        let after = &rest[end..];
        let p = after.split(['?', '#']).next().unwrap_or("");
        (!scheme.is_empty() && !host.is_empty()).then(|| (scheme.to_ascii_lowercase(), host, p))
    });
    let Some((scheme, host, p)) = parsed else {
        c.error(
            path,
            format!("`{u}` is not a URL"),
            "write the origin as https://example.com/path or s3://bucket.s3.amazonaws.com",
        );
        return None;
    };
    let mut o = Map::new();
    o.insert("DomainName".into(), json!(host));
    if p.len() > 1 {
        o.insert("OriginPath".into(), json!(p));
    }
    if scheme == "s3" {
        o.insert("S3OriginConfig".into(), json!({}));
    } else {
        o.insert(
            "CustomOriginConfig".into(),
            json!({ "OriginProtocolPolicy": "match-viewer" }),
        );
    }
    Some(o)
}

/// `provider.cloudFront`: `cachePolicies`, by name, each a CachePolicyConfig without its Name.
pub fn parse_settings(v: &Value, p: &KeyPath, c: &mut Checker) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    let Some(m) = c.map(v, p) else { return out };
    c.unknown_keys(m, &["cachePolicies"], p);
    let Some(policies) = m.get("cachePolicies").filter(|v| !v.is_null()) else {
        return out;
    };
    let pp = p.key("cachePolicies");
    let Some(pm) = c.map(policies, &pp) else {
        return out;
    };
    for (name, cfg) in pm {
        let np = pp.key(name.clone());
        let Some(cm) = c.map(cfg, &np) else { continue };
        c.unknown_keys(
            cm,
            &[
                "Comment",
                "DefaultTTL",
                "MaxTTL",
                "MinTTL",
                "ParametersInCacheKeyAndForwardedToOrigin",
            ],
            &np,
        );
        let missing: Vec<&str> = [
            "DefaultTTL",
            "MaxTTL",
            "MinTTL",
            "ParametersInCacheKeyAndForwardedToOrigin",
        ]
        .into_iter()
        .filter(|k| !cm.contains_key(*k))
        .collect();
        if !missing.is_empty() {
            c.error(
                &np,
                format!("cache policy `{name}` has no {}", missing.join(", ")),
                "CloudFront needs DefaultTTL, MaxTTL, MinTTL and ParametersInCacheKeyAndForwardedToOrigin",
            );
            continue;
        }
        out.insert(name.clone(), cfg.clone());
    }
    out
}

pub(crate) fn compile(c: &mut Compiler) {
    let service = c.service;
    let mut used: Vec<&str> = Vec::new();
    for (name, cfg) in &service.provider.cloudfront_cache_policies {
        let mut config = cfg.as_object().cloned().unwrap_or_default();
        config.insert(
            "Name".into(),
            json!(naming::cloudfront_cache_policy_name(
                &service.name,
                &service.stage,
                name
            )),
        );
        c.add(
            naming::cloudfront_cache_policy_id(name),
            json!({ "Type": "AWS::CloudFront::CachePolicy", "Properties": { "CachePolicyConfig": config } }),
        );
    }
    let events = super::of_kind(service, |e| match e {
        super::Event::CloudFront(x) => Some(x),
        _ => None,
    });
    let mut origins: Vec<Map<String, Value>> = Vec::new();
    let mut behaviors: Vec<Map<String, Value>> = Vec::new();
    let mut default_origin: Option<String> = None;
    let mut edge: Vec<(&Function, String)> = Vec::new();
    for (f, e) in &events {
        let fp = KeyPath::root().key("functions").key(f.key.clone());
        let (max_memory, max_timeout) = limits(&e.event_type);
        if let Some(mem) = f.memory_size.filter(|m| *m > max_memory) {
            c.diags.push(
                Diagnostic::error(format!(
                    "function `{}` has {mem} MB, more than Lambda@Edge allows for {} ({max_memory} MB)",
                    f.key, e.event_type
                ))
                .at(&fp.key("memorySize"))
                .hint(format!("set memorySize to {max_memory} or less")),
            );
        }
        if let Some(t) = f.timeout.filter(|t| *t > max_timeout) {
            c.diags.push(
                Diagnostic::error(format!(
                    "function `{}` times out after {t} s, more than Lambda@Edge allows for {} ({max_timeout} s)",
                    f.key, e.event_type
                ))
                .at(&fp.key("timeout"))
                .hint(format!("set timeout to {max_timeout} or less")),
            );
        }
        let mut origin = e.origin.clone();
        let id = naming::cloudfront_origin_id(&origin);
        origin.insert("Id".into(), json!(id));
        match origins.iter_mut().find(|o| o["Id"] == json!(id)) {
            Some(existing) => extend_deep(existing, &origin),
            None => origins.push(origin),
        }
        if e.is_default_origin {
            if default_origin.as_ref().is_some_and(|d| *d != id) {
                c.diags.push(
                    Diagnostic::error("two cloudFront events set `isDefaultOrigin` for different origins")
                        .at(&e.key_path.key("isDefaultOrigin"))
                        .hint("one origin serves the default behavior; keep `isDefaultOrigin` on one of them"),
                );
            }
            default_origin = Some(id.clone());
        }
        let mut behavior = Map::new();
        behavior.insert("ViewerProtocolPolicy".into(), json!("allow-all"));
        for (k, v) in &e.behavior {
            behavior.insert(k.clone(), v.clone());
        }
        let legacy_cache = ["ForwardedValues", "MaxTTL", "MinTTL", "DefaultTTL"]
            .iter()
            .any(|k| e.behavior.get(*k).is_some_and(|v| !v.is_null()));
        match &e.cache_policy {
            Some(CachePolicy::Id(id)) => {
                behavior.insert("CachePolicyId".into(), id.clone());
            }
            Some(CachePolicy::Name(name)) => {
                if !service
                    .provider
                    .cloudfront_cache_policies
                    .contains_key(name)
                {
                    c.diags.push(
                        Diagnostic::error(format!("cache policy `{name}` is not defined"))
                            .at(&e.key_path.key("cachePolicy").key("name"))
                            .hint("define it under provider.cloudFront.cachePolicies, or give the policy's `id`"),
                    );
                }
                used.push(name);
                behavior.insert(
                    "CachePolicyId".into(),
                    json!({ "Ref": naming::cloudfront_cache_policy_id(name) }),
                );
            }
            None if !e.behavior.contains_key("CachePolicyId") && !legacy_cache => {
                behavior.insert("CachePolicyId".into(), json!(CACHING_OPTIMIZED));
            }
            None => {}
        }
        if legacy_cache && behavior.contains_key("CachePolicyId") {
            c.diags.push(
                Diagnostic::error("a cloudFront behavior has both a cache policy and the legacy cache settings (ForwardedValues, MinTTL, MaxTTL, DefaultTTL)")
                    .at(&e.key_path.key("behavior"))
                    .hint("CloudFront takes one or the other: remove the cache policy, or the legacy settings"),
            );
        }
        let fid = naming::function_logical_id(&f.key);
        let Some(version) = version_of(c, &fid) else {
            continue;
        };
        let mut association = Map::new();
        association.insert("EventType".into(), json!(e.event_type));
        association.insert("LambdaFunctionARN".into(), json!({ "Ref": version }));
        if let Some(b) = e.include_body {
            association.insert("IncludeBody".into(), json!(b));
        }
        behavior.insert("TargetOriginId".into(), json!(id));
        behavior.insert(
            "LambdaFunctionAssociations".into(),
            json!([Value::Object(association)]),
        );
        if let Some(p) = &e.path_pattern {
            behavior.insert("PathPattern".into(), json!(p));
        }
        match behaviors.iter_mut().find(|b| {
            b.get("PathPattern") == behavior.get("PathPattern") && b["TargetOriginId"] == json!(id)
        }) {
            Some(existing) => extend_deep(existing, &behavior),
            None => behaviors.push(behavior),
        }
        if !edge.iter().any(|(g, _)| g.key == f.key) {
            edge.push((f, version));
        }
    }
    for name in service.provider.cloudfront_cache_policies.keys() {
        if !used.contains(&name.as_str()) {
            c.diags.push(
                Diagnostic::warning(format!(
                    "cache policy `{name}` is not used by any cloudFront event"
                ))
                .at(&KeyPath::root()
                    .key("provider")
                    .key("cloudFront")
                    .key("cachePolicies")
                    .key(name.clone()))
                .hint("name it in an event's `cachePolicy: { name: … }`, or remove it"),
            );
        }
    }
    if edge.is_empty() {
        return;
    }
    if service.region != "us-east-1" {
        c.diags.push(
            Diagnostic::error(format!(
                "Lambda@Edge functions are deployed to us-east-1, and this service deploys to {}",
                service.region
            ))
            .at(&events[0].1.key_path)
            .hint("deploy the service with --region us-east-1 (or provider.region), or move the cloudFront functions to a service there"),
        );
    }
    for (f, _) in &edge {
        let fp = KeyPath::root().key("functions").key(f.key.clone());
        if f.version == Some(false) {
            c.diags.push(
                Diagnostic::error(format!(
                    "function `{}` runs at the edge, which runs published versions only",
                    f.key
                ))
                .at(&fp.key("versionFunction"))
                .hint("remove `versionFunction: false` (v3 publishes a version anyway)"),
            );
        }
        if !f.environment.is_empty() {
            c.diags.push(
                Diagnostic::error(format!(
                    "function `{}` runs at the edge, where Lambda has no environment variables",
                    f.key
                ))
                .at(&fp.key("environment"))
                .hint("remove its `environment` (v3 drops it without a word); read settings from SSM or build them into the code"),
            );
        }
        if f.vpc.as_ref().is_some_and(|v| !v.is_null()) {
            c.diags.push(
                Diagnostic::error(format!(
                    "function `{}` runs at the edge, where Lambda has no VPC",
                    f.key
                ))
                .at(&fp.key("vpc"))
                .hint("remove its `vpc` (v3 drops it without a word)"),
            );
        }
        if !service.provider.environment.is_empty() || service.provider.vpc.is_some() {
            c.diags.push(
                Diagnostic::warning(format!(
                    "the provider's environment and VPC do not apply to `{}`, which runs at the edge",
                    f.key
                ))
                .at(&fp)
                .hint("Lambda@Edge has neither; the function is deployed without them"),
            );
        }
    }
    // Duplicate path patterns, or two associations of one event type on a behavior.
    let mut patterns: Vec<Option<&Value>> = Vec::new();
    for b in &behaviors {
        if patterns.contains(&b.get("PathPattern")) {
            c.diags.push(
                Diagnostic::error(format!(
                    "two cloudFront behaviors have the path pattern {}",
                    b.get("PathPattern").map(show).unwrap_or_else(|| "(none)".into())
                ))
                .at(&events[0].1.key_path)
                .hint("one origin serves each path pattern: give the events on the other origin another pathPattern"),
            );
            return;
        }
        patterns.push(b.get("PathPattern"));
        let types: Vec<&Value> = b["LambdaFunctionAssociations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| &a["EventType"])
            .collect();
        let mut seen = Vec::new();
        for t in types {
            if seen.contains(&t) {
                c.diags.push(
                    Diagnostic::error(format!(
                        "two functions handle {} of the same cloudFront behavior",
                        show(t)
                    ))
                    .at(&events[0].1.key_path)
                    .hint("a behavior runs one function per event type"),
                );
                return;
            }
            seen.push(t);
        }
    }
    // The behavior without a pattern is the default one; without one, the first behavior's
    // settings on the default origin are.
    behaviors.sort_by_key(|b| b.contains_key("PathPattern"));
    if behaviors[0].contains_key("PathPattern") {
        let origin = match &default_origin {
            Some(o) => o.clone(),
            None if origins.len() > 1 => {
                c.diags.push(
                    Diagnostic::error("the cloudFront events have several origins and none is the default")
                        .at(&events[0].1.key_path)
                        .hint("add `isDefaultOrigin: true` to the event whose origin serves the paths no pattern matches"),
                );
                return;
            }
            None => origins[0]["Id"].as_str().unwrap_or_default().to_string(),
        };
        let mut default: Map<String, Value> = behaviors[0]
            .iter()
            .filter(|(k, _)| *k != "PathPattern" && *k != "LambdaFunctionAssociations")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        default.insert("TargetOriginId".into(), json!(origin));
        behaviors.insert(0, default);
    }
    let distribution = naming::CLOUDFRONT_DISTRIBUTION_ID;
    for (f, version) in &edge {
        c.add(
            naming::lambda_at_edge_permission_id(&f.key),
            json!({ "Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": { "Ref": version },
                "Action": "lambda:InvokeFunction",
                "Principal": "edgelambda.amazonaws.com",
                "SourceArn": { "Fn::Join": ["", ["", "arn:", { "Ref": "AWS::Partition" }, ":cloudfront::", { "Ref": "AWS::AccountId" }, ":distribution/", { "Ref": distribution }]] },
            }}),
        );
    }
    if edge.iter().any(|(f, _)| c.uses_shared_role(f)) {
        // Replicas log to the region they run in, as /aws/lambda/us-east-1.NAME.
        c.role_principals.push("edgelambda.amazonaws.com");
        c.role_statement(
            "lambdaAtEdgeLogs",
            &[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:TagResource",
            ],
            json!({ "Fn::Sub": "arn:${AWS::Partition}:logs:*:*:*" }),
        );
    }
    let mut config = Map::new();
    config.insert(
        "Comment".into(),
        json!(format!("{} {}", service.name, service.stage)),
    );
    config.insert("Enabled".into(), json!(true));
    config.insert(
        "DefaultCacheBehavior".into(),
        Value::Object(behaviors[0].clone()),
    );
    config.insert(
        "Origins".into(),
        Value::Array(origins.into_iter().map(Value::Object).collect()),
    );
    if behaviors.len() > 1 {
        config.insert(
            "CacheBehaviors".into(),
            Value::Array(behaviors[1..].iter().cloned().map(Value::Object).collect()),
        );
    }
    c.add(
        distribution,
        json!({ "Type": "AWS::CloudFront::Distribution", "Properties": { "DistributionConfig": config } }),
    );
    c.output(
        distribution,
        Some("CloudFront Distribution Id"),
        json!({ "Ref": distribution }),
    );
    c.output(
        naming::CLOUDFRONT_DOMAIN_NAME_OUTPUT,
        Some("CloudFront Distribution Domain Name"),
        json!({ "Fn::GetAtt": [distribution, "DomainName"] }),
    );
}

/// The logical ID of the version published for the function `function_id`.
fn version_of(c: &Compiler, function_id: &str) -> Option<String> {
    c.t.resources.iter().find_map(|(id, r)| {
        (r["Type"] == "AWS::Lambda::Version"
            && r["Properties"]["FunctionName"]["Ref"] == json!(function_id))
        .then(|| id.clone())
    })
}

/// v3's merge of two events' origins or behaviors: maps merged key by key, lists joined without
/// repeats, and a value already there kept.
fn extend_deep(target: &mut Map<String, Value>, source: &Map<String, Value>) {
    for (k, v) in source {
        match (target.get_mut(k), v) {
            (Some(Value::Array(t)), Value::Array(s)) => {
                for x in s {
                    if !t.contains(x) {
                        t.push(x.clone());
                    }
                }
            }
            (Some(Value::Object(t)), Value::Object(s)) => extend_deep(t, s),
            (Some(_), _) => {}
            (None, _) => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}
