//! `http` events: API Gateway REST API methods.

use serde_json::{Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

const VALIDATOR_ID: &str = "ApiGatewayRestRequestValidator";

pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "OPTIONS", "HEAD", "DELETE", "ANY",
];

#[derive(Debug, Clone)]
pub struct Http {
    /// Upper case: `GET`, …, `ANY`.
    pub method: String,
    /// Without leading or trailing `/`; empty for the root.
    pub path: String,
    pub cors: Option<Cors>,
    pub private: bool,
    pub authorizer: Option<Authorizer>,
    pub request_parameters: Map<String, Value>,
    pub key_path: KeyPath,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cors {
    pub origins: Vec<String>,
    pub headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age: Option<i64>,
    pub cache_control: Option<String>,
}

pub const DEFAULT_CORS_HEADERS: &[&str] = &[
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
    "X-Amz-User-Agent",
    "X-Amzn-Trace-Id",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Authorizer {
    AwsIam,
    Cognito {
        name: String,
        arn: Value,
        identity_source: String,
        scopes: Vec<String>,
    },
    Lambda {
        name: String,
        /// The function key when the authorizer is a function of this service.
        function: Option<String>,
        arn: Option<Value>,
        kind: String,
        identity_source: String,
        result_ttl: i64,
        identity_validation_expression: Option<String>,
    },
}

impl Authorizer {
    pub fn authorization_type(&self) -> &'static str {
        match self {
            Authorizer::AwsIam => "AWS_IAM",
            Authorizer::Cognito { .. } => "COGNITO_USER_POOLS",
            Authorizer::Lambda { .. } => "CUSTOM",
        }
    }
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Http> {
    let (method, raw_path, m) = match v {
        Value::String(s) => {
            let mut parts = s.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(method), Some(p), None) => (method.to_string(), p.to_string(), None),
                _ => {
                    c.error(
                        path,
                        format!("`{s}` is not an http event: expected `METHOD path`"),
                        "write it as `http: GET users/{id}` or as a map with `method` and `path`",
                    );
                    return None;
                }
            }
        }
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &[
                    "path",
                    "method",
                    "cors",
                    "private",
                    "authorizer",
                    "integration",
                    "request",
                    "response",
                    "async",
                    "operationId",
                    "summary",
                    "description",
                    "documentation",
                ],
                path,
            );
            let Some(p) = c.opt_string(m, "path", path) else {
                if !m.contains_key("path") {
                    c.error(
                        &path.key("path"),
                        "http event has no `path`",
                        "add `path: users/{id}` (the URL path this function answers)",
                    );
                }
                return None;
            };
            let Some(method) = c.opt_string(m, "method", path) else {
                if !m.contains_key("method") {
                    c.error(
                        &path.key("method"),
                        "http event has no `method`",
                        format!("add `method:` with one of {}", METHODS.join(", ")),
                    );
                }
                return None;
            };
            (method, p, Some(m))
        }
        other => {
            c.error(
                path,
                format!(
                    "an http event must be `METHOD path` or a map, not {}",
                    show(other)
                ),
                "write it as `http: GET users` or with `path:` and `method:`",
            );
            return None;
        }
    };
    let method_upper = method.to_ascii_uppercase();
    let method_path = if m.is_some() {
        path.key("method")
    } else {
        path.clone()
    };
    if !METHODS.contains(&method_upper.as_str()) {
        c.error(
            &method_path,
            format!("`{method}` is not an HTTP method API Gateway accepts"),
            format!("use one of {}", METHODS.join(", ")),
        );
        return None;
    }
    let clean = raw_path.trim_matches('/').to_string();
    if clean.contains("//") || clean.chars().any(|ch| ch.is_whitespace()) {
        c.error(
            &if m.is_some() {
                path.key("path")
            } else {
                path.clone()
            },
            format!("`{raw_path}` is not a valid URL path"),
            "path parts are separated by single slashes and contain no spaces",
        );
        return None;
    }
    let mut http = Http {
        method: method_upper,
        path: clean,
        cors: None,
        private: false,
        authorizer: None,
        request_parameters: Map::new(),
        key_path: path.clone(),
    };
    if let Some(m) = m {
        http.private = c.opt_bool(m, "private", path).unwrap_or(false);
        // Only Lambda proxy integrations are compiled; anything else would deploy as a proxy
        // integration and behave differently, so it is refused.
        if let Some(i) = c.opt_string(m, "integration", path) {
            let i = i.to_ascii_lowercase();
            if !["lambda-proxy", "lambda_proxy", "aws_proxy", "aws-proxy"].contains(&i.as_str()) {
                c.error(
                    &path.key("integration"),
                    format!("`integration: {i}` is not supported by sls-rs yet"),
                    "sls-rs compiles Lambda proxy integrations (the default); define other integrations under `resources:`",
                );
                return None;
            }
        }
        if c.opt_bool(m, "async", path) == Some(true) {
            c.error(&path.key("async"), "asynchronous http invocation (`async: true`) is not supported by sls-rs yet", "invoke the function from the handler of a proxy integration, or define the integration under `resources:`");
            return None;
        }
        for key in ["response"] {
            if m.contains_key(key) {
                c.warn(
                    &path.key(key),
                    format!("`{key}` applies to non-proxy integrations and is ignored"),
                    "Lambda proxy integrations return the response from the function",
                );
            }
        }
        if let Some(Value::Object(req)) = m.get("request") {
            for key in req.keys().filter(|k| *k != "parameters") {
                c.warn(
                    &path.key("request").key(key.clone()),
                    format!("`request.{key}` is not supported by sls-rs yet and is ignored"),
                    "only `request.parameters` is compiled",
                );
            }
        }
        http.cors = parse_cors(m.get("cors"), &path.key("cors"), c);
        if let Some(a) = m.get("authorizer") {
            http.authorizer = parse_authorizer(a, &path.key("authorizer"), c);
        }
        if let Some(Value::Object(req)) = m.get("request") {
            if let Some(Value::Object(params)) = req.get("parameters") {
                for (loc, names) in params {
                    let prefix = match loc.as_str() {
                        "querystrings" => "querystring",
                        "headers" => "header",
                        "paths" => "path",
                        other => other,
                    };
                    if let Value::Object(names) = names {
                        for (name, required) in names {
                            let req = match required {
                                Value::Bool(b) => *b,
                                Value::Object(o) => {
                                    o.get("required").and_then(Value::as_bool).unwrap_or(false)
                                }
                                _ => false,
                            };
                            http.request_parameters.insert(
                                format!("method.request.{prefix}.{name}"),
                                Value::Bool(req),
                            );
                        }
                    }
                }
            }
        }
    }
    Some(http)
}

fn parse_cors(v: Option<&Value>, path: &KeyPath, c: &mut Checker) -> Option<Cors> {
    let default = || Cors {
        origins: vec!["*".into()],
        headers: DEFAULT_CORS_HEADERS.iter().map(|s| s.to_string()).collect(),
        allow_credentials: false,
        max_age: None,
        cache_control: None,
    };
    match v? {
        Value::Bool(true) => Some(default()),
        Value::Bool(false) | Value::Null => None,
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &[
                    "origin",
                    "origins",
                    "headers",
                    "allowCredentials",
                    "maxAge",
                    "cacheControl",
                    "methods",
                ],
                path,
            );
            let mut cors = default();
            if let Some(o) = c.opt_string(m, "origin", path) {
                cors.origins = vec![o];
            }
            if let Some(Value::Array(list)) = m.get("origins") {
                cors.origins = list
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
            }
            if let Some(Value::Array(list)) = m.get("headers") {
                cors.headers = list
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
            }
            cors.allow_credentials = c.opt_bool(m, "allowCredentials", path).unwrap_or(false);
            cors.max_age = c.opt_int(m, "maxAge", path, 0, 86400);
            cors.cache_control = c.opt_string(m, "cacheControl", path);
            Some(cors)
        }
        other => {
            c.error(
                path,
                format!("`cors` must be true or a map, not {}", show(other)),
                "write `cors: true`, or a map with origin, headers, allowCredentials",
            );
            None
        }
    }
}

fn parse_authorizer(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Authorizer> {
    let lambda = |name: String, function: Option<String>, arn: Option<Value>| Authorizer::Lambda {
        name,
        function,
        arn,
        kind: "TOKEN".into(),
        identity_source: "method.request.header.Authorization".into(),
        result_ttl: 300,
        identity_validation_expression: None,
    };
    match v {
        Value::String(s) if s.eq_ignore_ascii_case("aws_iam") => Some(Authorizer::AwsIam),
        Value::String(s) if s.starts_with("arn:") && s.contains(":cognito-idp:") => {
            Some(Authorizer::Cognito {
                name: s.rsplit('/').next().unwrap_or(s).to_string(),
                arn: v.clone(),
                identity_source: "method.request.header.Authorization".into(),
                scopes: Vec::new(),
            })
        }
        Value::String(s) if s.starts_with("arn:") => {
            let name = s.rsplit(':').next().unwrap_or(s).to_string();
            Some(lambda(name, None, Some(v.clone())))
        }
        Value::String(s) => Some(lambda(s.clone(), Some(s.clone()), None)),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &[
                    "name",
                    "arn",
                    "type",
                    "identitySource",
                    "resultTtlInSeconds",
                    "identityValidationExpression",
                    "scopes",
                    "authorizerId",
                    "managedExternally",
                ],
                path,
            );
            let kind = c
                .opt_string(m, "type", path)
                .map(|t| t.to_ascii_uppercase());
            if kind.as_deref() == Some("AWS_IAM") {
                return Some(Authorizer::AwsIam);
            }
            let arn = m.get("arn").cloned();
            let name = c.opt_string(m, "name", path);
            let is_cognito = kind.as_deref() == Some("COGNITO_USER_POOLS")
                || arn
                    .as_ref()
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.contains(":cognito-idp:"));
            let identity_source = c
                .opt_string(m, "identitySource", path)
                .unwrap_or_else(|| "method.request.header.Authorization".into());
            let scopes = match m.get("scopes") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            if is_cognito {
                let Some(arn) = arn else {
                    c.error(
                        path,
                        "a Cognito authorizer needs the user pool `arn`",
                        "add `arn: arn:aws:cognito-idp:…:userpool/…`",
                    );
                    return None;
                };
                let name = name.unwrap_or_else(|| {
                    arn.as_str()
                        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
                        .unwrap_or_else(|| "CognitoAuthorizer".into())
                });
                return Some(Authorizer::Cognito {
                    name,
                    arn,
                    identity_source,
                    scopes,
                });
            }
            let kind = kind.unwrap_or_else(|| "TOKEN".into());
            if kind != "TOKEN" && kind != "REQUEST" {
                c.error(
                    &path.key("type"),
                    format!("authorizer type `{kind}` is not one API Gateway has"),
                    "use TOKEN, REQUEST, COGNITO_USER_POOLS or AWS_IAM",
                );
                return None;
            }
            let (name, function) = match (&name, &arn) {
                (Some(n), None) => (n.clone(), Some(n.clone())),
                (Some(n), Some(_)) => (n.clone(), None),
                (None, Some(Value::String(a))) => {
                    (a.rsplit(':').next().unwrap_or(a).to_string(), None)
                }
                _ => {
                    c.error(
                        path,
                        "an authorizer needs `name` (a function of this service) or `arn`",
                        "add `name: myAuthorizerFunction`",
                    );
                    return None;
                }
            };
            let ttl = c
                .opt_int(m, "resultTtlInSeconds", path, 0, 3600)
                .unwrap_or(300);
            Some(Authorizer::Lambda {
                name,
                function,
                arn,
                kind,
                identity_source,
                result_ttl: ttl,
                identity_validation_expression: c.opt_string(
                    m,
                    "identityValidationExpression",
                    path,
                ),
            })
        }
        other => {
            c.error(
                path,
                format!(
                    "`authorizer` must be a name, an ARN or a map, not {}",
                    show(other)
                ),
                "e.g. `authorizer: aws_iam` or `authorizer: { name: auth }`",
            );
            None
        }
    }
}

/// The REST API: the API itself (unless `restApiId` names one), one resource per path prefix,
/// CORS preflight methods, one method per event, authorizers, the deployment, API keys and
/// usage plan, and one invoke permission per function.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use crate::error::Diagnostic;
    use crate::naming::{self, normalize_name};
    use crate::plan::{join, permission, region, Compiler};
    use indexmap::IndexMap;
    use serde_json::json;

    let service = c.service;
    let events = super::of_kind(service, |e| match e {
        super::Event::Http(h) => Some(h),
        _ => None,
    });
    if events.is_empty() {
        return;
    }
    let ag = &service.provider.api_gateway;

    // Conflicts first: they make the rest meaningless.
    let mut routes: IndexMap<(String, String), (&str, &KeyPath)> = IndexMap::new();
    for (f, h) in &events {
        let key = (h.method.clone(), h.path.clone());
        if let Some((other, _)) = routes.get(&key) {
            c.diags.push(
                Diagnostic::error(format!("`{} /{}` is served by both `{other}` and `{}`", h.method, h.path, f.key))
                    .at(&h.key_path)
                    .hint("API Gateway sends a route to one function; remove one of the events or change its path or method"),
            );
        } else {
            routes.insert(key, (&f.key, &h.key_path));
        }
    }
    for (f, h) in &events {
        if h.cors.is_some() && routes.contains_key(&("OPTIONS".to_string(), h.path.clone())) {
            c.diags.push(
                Diagnostic::error(format!(
                    "`/{}` has `cors` and an explicit OPTIONS method (function `{}`)",
                    h.path, f.key
                ))
                .at(&h.key_path)
                .hint("`cors` generates the OPTIONS method; remove one of them"),
            );
        }
        if h.private && ag.api_keys.is_empty() && ag.usage_plan.is_none() {
            c.diags.push(
                Diagnostic::error(format!(
                    "`{} /{}` is private, but the service defines no API keys",
                    h.method, h.path
                ))
                .at(&h.key_path.key("private"))
                .hint("add `provider.apiGateway.apiKeys: [my-key]`, or remove `private: true`"),
            );
        }
        if let Some(Authorizer::Lambda {
            function: Some(name),
            ..
        }) = &h.authorizer
        {
            if !service.functions.contains_key(name) {
                c.diags.push(
                    Diagnostic::error(format!(
                        "authorizer `{name}` is not a function of this service"
                    ))
                    .at(&h.key_path.key("authorizer"))
                    .hint("name a function under `functions:`, or give the authorizer's `arn`"),
                );
            }
        }
    }

    let api_id = match &ag.rest_api_id {
        Some(id) => id.clone(),
        None => json!({ "Ref": naming::REST_API_ID }),
    };
    let root = match &ag.rest_api_root_resource_id {
        Some(id) => id.clone(),
        None => json!({ "Fn::GetAtt": [naming::REST_API_ID, "RootResourceId"] }),
    };
    if ag.rest_api_id.is_none() {
        let mut p = Map::new();
        p.insert(
            "Name".into(),
            json!(service
                .provider
                .api_name
                .clone()
                .unwrap_or_else(|| naming::api_name(
                    &service.name,
                    &service.stage,
                    ag.name_starts_with_service
                ))),
        );
        if let Some(d) = &ag.description {
            p.insert("Description".into(), json!(d));
        }
        if let Some(b) = &ag.binary_media_types {
            p.insert("BinaryMediaTypes".into(), b.clone());
        }
        if let Some(m) = ag.minimum_compression_size {
            p.insert("MinimumCompressionSize".into(), json!(m));
        }
        p.insert("EndpointConfiguration".into(), json!({ "Types": [service.provider.endpoint_type.clone().unwrap_or_else(|| "EDGE".into())] }));
        if !service.provider.tags.is_empty() {
            p.insert(
                "Tags".into(),
                Value::Array(
                    service
                        .provider
                        .tags
                        .iter()
                        .map(|(k, v)| json!({ "Key": k, "Value": v }))
                        .collect(),
                ),
            );
        }
        match &ag.resource_policy {
            Some(policy) => {
                p.insert(
                    "Policy".into(),
                    json!({ "Version": "2012-10-17", "Statement": policy }),
                );
            }
            None => {
                p.insert("Policy".into(), json!(""));
            }
        }
        if ag.disable_default_endpoint {
            p.insert("DisableExecuteApiEndpoint".into(), json!(true));
        }
        if let Some(s) = &ag.api_key_source_type {
            p.insert("ApiKeySourceType".into(), json!(s.to_ascii_uppercase()));
        }
        c.add(
            naming::REST_API_ID,
            json!({ "Type": "AWS::ApiGateway::RestApi", "Properties": p }),
        );
    }

    // Path resources: every prefix of every path, parents first, in order of appearance.
    let mut resource_refs: IndexMap<String, Value> = IndexMap::new();
    resource_refs.insert(String::new(), root.clone());
    for (prefix, id) in &ag.rest_api_resources {
        resource_refs.insert(prefix.clone(), id.clone());
    }
    for (_, h) in &events {
        let parts: Vec<&str> = h.path.split('/').filter(|p| !p.is_empty()).collect();
        for i in 0..parts.len() {
            let prefix = parts[..=i].join("/");
            if resource_refs.contains_key(&prefix) {
                continue;
            }
            let parent = resource_refs[&parts[..i].join("/")].clone();
            let id = naming::rest_api_resource_id(&prefix);
            c.add(id.clone(), json!({ "Type": "AWS::ApiGateway::Resource", "Properties": { "ParentId": parent, "PathPart": parts[i], "RestApiId": api_id } }));
            resource_refs.insert(prefix, json!({ "Ref": id }));
        }
    }

    let mut methods: Vec<String> = Vec::new();
    // CORS preflights, one per path, merging the settings of its methods.
    let mut cors_paths: IndexMap<&str, (Cors, Vec<&str>)> = IndexMap::new();
    for (_, h) in &events {
        if let Some(cors) = &h.cors {
            let entry = cors_paths
                .entry(h.path.as_str())
                .or_insert_with(|| (cors.clone(), Vec::new()));
            for o in &cors.origins {
                if !entry.0.origins.contains(o) {
                    entry.0.origins.push(o.clone());
                }
            }
            entry.0.allow_credentials |= cors.allow_credentials;
            entry.1.push(h.method.as_str());
        }
    }
    for (path, (cors, verbs)) in &cors_paths {
        let mut allowed: Vec<&str> = vec!["OPTIONS"];
        for v in verbs {
            if *v == "ANY" {
                for m in ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"] {
                    if !allowed.contains(&m) {
                        allowed.push(m);
                    }
                }
            } else if !allowed.contains(v) {
                allowed.push(v);
            }
        }
        let mut response_params = Map::new();
        let mut integration_params = Map::new();
        let mut header = |name: &str, value: String| {
            response_params.insert(format!("method.response.header.{name}"), json!(true));
            integration_params.insert(
                format!("method.response.header.{name}"),
                json!(format!("'{value}'")),
            );
        };
        header("Access-Control-Allow-Origin", cors.origins.join(","));
        header("Access-Control-Allow-Headers", cors.headers.join(","));
        header("Access-Control-Allow-Methods", allowed.join(","));
        if cors.allow_credentials {
            header("Access-Control-Allow-Credentials", "true".into());
        }
        if let Some(age) = cors.max_age {
            header("Access-Control-Max-Age", age.to_string());
        }
        let id = naming::rest_api_method_id(path, "OPTIONS");
        c.add(
            id.clone(),
            json!({ "Type": "AWS::ApiGateway::Method", "Properties": {
                "AuthorizationType": "NONE",
                "HttpMethod": "OPTIONS",
                "MethodResponses": [{ "StatusCode": "200", "ResponseParameters": response_params, "ResponseModels": {} }],
                "RequestParameters": {},
                "Integration": {
                    "Type": "MOCK",
                    "RequestTemplates": { "application/json": "{statusCode:200}" },
                    "ContentHandling": "CONVERT_TO_TEXT",
                    "IntegrationResponses": [{ "StatusCode": "200", "ResponseParameters": integration_params, "ResponseTemplates": { "application/json": "" } }],
                },
                "ResourceId": resource_refs[*path],
                "RestApiId": api_id,
            }}),
        );
        methods.push(id);
    }

    // Authorizers, one per name.
    let mut authorizers: IndexMap<String, Value> = IndexMap::new();
    let mut permitted: Vec<String> = Vec::new();
    for (f, h) in &events {
        if !permitted.contains(&f.key) {
            permitted.push(f.key.clone());
        }
        let Some(a) = &h.authorizer else { continue };
        let (name, props) = match a {
            Authorizer::AwsIam => continue,
            Authorizer::Cognito {
                name,
                arn,
                identity_source,
                ..
            } => (
                name.clone(),
                json!({ "AuthorizerResultTtlInSeconds": 300, "IdentitySource": identity_source, "Name": name, "RestApiId": api_id, "Type": "COGNITO_USER_POOLS", "ProviderARNs": [arn] }),
            ),
            Authorizer::Lambda {
                name,
                function,
                arn,
                kind,
                identity_source,
                result_ttl,
                identity_validation_expression,
            } => {
                let target = match (function, arn) {
                    (Some(fkey), _) => {
                        if service.functions.contains_key(fkey) && !permitted.contains(fkey) {
                            permitted.push(fkey.clone());
                        }
                        Compiler::function_arn(fkey)
                    }
                    (None, Some(arn)) => arn.clone(),
                    (None, None) => continue,
                };
                let mut p = Map::new();
                // v3 writes the TTL for Lambda authorizers only when it is not the default.
                if *result_ttl != 300 {
                    p.insert("AuthorizerResultTtlInSeconds".into(), json!(result_ttl));
                }
                p.insert("IdentitySource".into(), json!(identity_source));
                p.insert("Name".into(), json!(name));
                p.insert("RestApiId".into(), api_id.clone());
                p.insert("AuthorizerUri".into(), crate::plan::invoke_uri(target));
                p.insert("Type".into(), json!(kind));
                if let Some(e) = identity_validation_expression {
                    p.insert("IdentityValidationExpression".into(), json!(e));
                }
                (name.clone(), Value::Object(p))
            }
        };
        if let Some(existing) = authorizers.get(&name) {
            if existing != &props {
                c.diags.push(
                    Diagnostic::error(format!("authorizer `{name}` is configured differently on two events"))
                        .at(&h.key_path.key("authorizer"))
                        .hint("an authorizer is shared by name: give both events the same settings, or different names"),
                );
            }
            continue;
        }
        authorizers.insert(name, props);
    }
    for (name, props) in &authorizers {
        c.add(
            format!("{}ApiGatewayAuthorizer", normalize_name(name)),
            json!({ "Type": "AWS::ApiGateway::Authorizer", "Properties": props }),
        );
    }

    for (f, h) in &events {
        let id = naming::rest_api_method_id(&h.path, &h.method);
        if methods.contains(&id) || c.t.resources.contains_key(&id) {
            continue; // reported above as a conflict
        }
        let mut p = Map::new();
        p.insert("HttpMethod".into(), json!(h.method));
        p.insert(
            "RequestParameters".into(),
            Value::Object(h.request_parameters.clone()),
        );
        p.insert("ResourceId".into(), resource_refs[&h.path].clone());
        p.insert("RestApiId".into(), api_id.clone());
        p.insert("ApiKeyRequired".into(), json!(h.private));
        // Request parameters are validated by API Gateway (one validator per API, as in v3).
        if !h.request_parameters.is_empty() {
            if !c.t.resources.contains_key(VALIDATOR_ID) {
                c.add(
                    VALIDATOR_ID,
                    json!({ "Type": "AWS::ApiGateway::RequestValidator", "Properties": {
                        "RestApiId": api_id,
                        "ValidateRequestBody": true,
                        "ValidateRequestParameters": true,
                        "Name": format!("{}-{} | Validate request body and querystring parameters", service.name, service.stage),
                    }}),
                );
            }
            p.insert("RequestValidatorId".into(), json!({ "Ref": VALIDATOR_ID }));
        }
        let depends = vec![json!(crate::naming::lambda_permission_id(
            &f.key,
            "ApiGateway"
        ))];
        match &h.authorizer {
            None => {
                p.insert("AuthorizationType".into(), json!("NONE"));
            }
            Some(a) => {
                p.insert("AuthorizationType".into(), json!(a.authorization_type()));
                match a {
                    Authorizer::Cognito { name, scopes, .. } => {
                        let aid = format!("{}ApiGatewayAuthorizer", normalize_name(name));
                        p.insert("AuthorizerId".into(), json!({ "Ref": aid }));
                        if !scopes.is_empty() {
                            p.insert("AuthorizationScopes".into(), json!(scopes));
                        }
                    }
                    Authorizer::Lambda { name, .. } => {
                        let aid = format!("{}ApiGatewayAuthorizer", normalize_name(name));
                        p.insert("AuthorizerId".into(), json!({ "Ref": aid }));
                    }
                    Authorizer::AwsIam => {}
                }
            }
        }
        p.insert(
            "Integration".into(),
            json!({
                "IntegrationHttpMethod": "POST",
                "Type": "AWS_PROXY",
                "Uri": crate::plan::invoke_uri(Compiler::function_arn(&f.key)),
            }),
        );
        p.insert("MethodResponses".into(), json!([]));
        c.add(
            id.clone(),
            json!({ "Type": "AWS::ApiGateway::Method", "Properties": p, "DependsOn": depends }),
        );
        methods.push(id);
    }

    let deployment_id = format!("ApiGatewayDeployment{}", c.deployment.timestamp_ms);
    c.add(
        deployment_id.clone(),
        {
            let mut d = json!({ "Type": "AWS::ApiGateway::Deployment", "Properties": { "RestApiId": api_id, "StageName": service.stage }, "DependsOn": methods });
            if let Some(desc) = &ag.description {
                d["Properties"]["Description"] = json!(desc);
            }
            if service.provider.tracing_api_gateway {
                d["Properties"]["StageDescription"]["TracingEnabled"] = json!(true);
            }
            if ag.metrics {
                d["Properties"]["StageDescription"]["MetricsEnabled"] = json!(true);
            }
            d
        }
    );
    if !ag.api_keys.is_empty() {
        for (i, key) in ag.api_keys.iter().enumerate() {
            let mut p = Map::new();
            p.insert("Enabled".into(), json!(key.enabled));
            if let Some(n) = &key.name {
                p.insert("Name".into(), json!(n));
            }
            if let Some(v) = &key.value {
                p.insert("Value".into(), json!(v));
            }
            if let Some(d) = &key.description {
                p.insert("Description".into(), json!(d));
            }
            p.insert(
                "StageKeys".into(),
                json!([{ "RestApiId": api_id, "StageName": service.stage }]),
            );
            c.add(format!("ApiGatewayApiKey{}", i + 1), json!({ "Type": "AWS::ApiGateway::ApiKey", "Properties": p, "DependsOn": deployment_id }));
        }
        let mut p = Map::new();
        p.insert(
            "ApiStages".into(),
            json!([{ "ApiId": api_id, "Stage": service.stage }]),
        );
        p.insert(
            "Description".into(),
            json!(format!(
                "Usage plan for {} {} stage",
                service.name, service.stage
            )),
        );
        p.insert(
            "UsagePlanName".into(),
            json!(format!("{}-{}", service.name, service.stage)),
        );
        if let Some(Value::Object(up)) = &ag.usage_plan {
            if let Some(q) = up.get("quota") {
                p.insert(
                    "Quota".into(),
                    crate::plan::pick(
                        q,
                        &[
                            ("limit", "Limit"),
                            ("offset", "Offset"),
                            ("period", "Period"),
                        ],
                    ),
                );
            }
            if let Some(t) = up.get("throttle") {
                p.insert(
                    "Throttle".into(),
                    crate::plan::pick(
                        t,
                        &[("burstLimit", "BurstLimit"), ("rateLimit", "RateLimit")],
                    ),
                );
            }
        }
        c.add("ApiGatewayUsagePlan", json!({ "Type": "AWS::ApiGateway::UsagePlan", "DependsOn": deployment_id, "Properties": p }));
        for i in 0..ag.api_keys.len() {
            c.add(
                format!("ApiGatewayUsagePlanKey{}", i + 1),
                json!({ "Type": "AWS::ApiGateway::UsagePlanKey", "Properties": { "KeyId": { "Ref": format!("ApiGatewayApiKey{}", i + 1) }, "KeyType": "API_KEY", "UsagePlanId": { "Ref": "ApiGatewayUsagePlan" } } }),
            );
        }
    }
    for fkey in &permitted {
        c.add(
            crate::naming::lambda_permission_id(fkey, "ApiGateway"),
            permission(
                fkey,
                "apigateway.amazonaws.com",
                Some(crate::plan::execute_api_arn(api_id.clone(), "/*/*")),
            ),
        );
    }
    c.output(
        "ServiceEndpoint",
        Some("URL of the service endpoint"),
        join(vec![
            json!("https://"),
            api_id,
            json!(".execute-api."),
            region(),
            json!("."),
            json!({ "Ref": "AWS::URLSuffix" }),
            json!(format!("/{}", service.stage)),
        ]),
    );
}
