//! `httpApi` events: API Gateway HTTP API (v2) routes.

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "OPTIONS", "HEAD", "DELETE", "ANY",
];

#[derive(Debug, Clone)]
pub struct HttpApi {
    /// `ANY` for `*`.
    pub method: String,
    /// With a leading `/`; `None` for the catch-all `*` route (`$default`).
    pub path: Option<String>,
    pub authorizer: Option<RouteAuthorizer>,
    pub key_path: KeyPath,
}

#[derive(Debug, Clone)]
pub struct RouteAuthorizer {
    /// A key of `provider.httpApi.authorizers`, or `aws_iam`.
    pub name: Option<String>,
    pub id: Option<Value>,
    pub scopes: Vec<String>,
    pub aws_iam: bool,
}

impl HttpApi {
    /// `GET /users/{id}`, or `$default` for `*`.
    pub fn route_key(&self) -> String {
        match &self.path {
            None => "$default".into(),
            Some(p) => format!("{} {}", self.method, p),
        }
    }
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<HttpApi> {
    let (method, route_path, m) = match v {
        Value::String(s) if s.trim() == "*" => ("*".to_string(), "*".to_string(), None),
        Value::String(s) => match s.split_whitespace().collect::<Vec<_>>().as_slice() {
            [m, p] => (m.to_string(), p.to_string(), None),
            _ => {
                c.error(
                    path,
                    format!("`{s}` is not an httpApi route: expected `METHOD /path` or `*`"),
                    "write it as `httpApi: 'GET /users/{id}'`",
                );
                return None;
            }
        },
        Value::Object(m) => {
            c.unknown_keys(m, &["method", "path", "authorizer"], path);
            let method = c
                .opt_string(m, "method", path)
                .unwrap_or_else(|| "*".into());
            let Some(p) = c.opt_string(m, "path", path) else {
                c.error(
                    &path.key("path"),
                    "httpApi event has no `path`",
                    "add `path: /users/{id}`, or `*` for every path",
                );
                return None;
            };
            (method, p, Some(m))
        }
        other => {
            c.error(
                path,
                format!(
                    "an httpApi event must be a route string or a map, not {}",
                    show(other)
                ),
                "write it as `httpApi: 'GET /users'`",
            );
            return None;
        }
    };
    // Where a problem with `key` is reported: the key in the map form, the event in the string form.
    let at = |key: &str| {
        if m.is_some() {
            path.key(key)
        } else {
            path.clone()
        }
    };
    let method = if method == "*" {
        "ANY".to_string()
    } else {
        method.to_ascii_uppercase()
    };
    if !METHODS.contains(&method.as_str()) {
        let p = at("method");
        c.error(
            &p,
            format!("`{method}` is not an HTTP method"),
            format!("use one of {} or *", METHODS.join(", ")),
        );
        return None;
    }
    let route_path = if route_path == "*" {
        if method != "ANY" {
            let p = at("path");
            c.error(
                &p,
                "the catch-all path `*` takes every method",
                "write `httpApi: '*'`, or name a path",
            );
            return None;
        }
        None
    } else {
        if !route_path.starts_with('/') {
            let p = at("path");
            c.error(
                &p,
                format!("httpApi path `{route_path}` must start with `/`"),
                format!("write `/{route_path}`"),
            );
            return None;
        }
        Some(route_path)
    };
    let mut authorizer = None;
    if let Some(a) = m.and_then(|m| m.get("authorizer")) {
        let ap = path.key("authorizer");
        authorizer = match a {
            Value::String(s) if s.eq_ignore_ascii_case("aws_iam") => Some(RouteAuthorizer {
                name: None,
                id: None,
                scopes: vec![],
                aws_iam: true,
            }),
            Value::String(s) => Some(RouteAuthorizer {
                name: Some(s.clone()),
                id: None,
                scopes: vec![],
                aws_iam: false,
            }),
            Value::Object(am) => {
                c.unknown_keys(am, &["name", "id", "scopes", "type"], &ap);
                let ty = c.opt_string(am, "type", &ap);
                let scopes = match am.get("scopes") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect(),
                    _ => vec![],
                };
                let aws_iam = ty.is_some_and(|t| t.eq_ignore_ascii_case("aws_iam"));
                let name = c.opt_string(am, "name", &ap);
                let id = am.get("id").cloned();
                if !aws_iam && name.is_none() && id.is_none() {
                    c.error(&ap, "an httpApi authorizer needs `name` (from provider.httpApi.authorizers), `id`, or `type: aws_iam`", "add `name: myJwtAuthorizer`");
                    return None;
                }
                Some(RouteAuthorizer {
                    name,
                    id,
                    scopes,
                    aws_iam,
                })
            }
            other => {
                c.error(
                    &ap,
                    format!("`authorizer` must be a name or a map, not {}", show(other)),
                    "e.g. `authorizer: { name: jwt, scopes: [user] }`",
                );
                return None;
            }
        };
    }
    Some(HttpApi {
        method,
        path: route_path,
        authorizer,
        key_path: path.clone(),
    })
}

use super::http::DEFAULT_CORS_HEADERS;

fn cors_configuration(v: &Value) -> Option<Value> {
    use serde_json::json;
    match v {
        Value::Bool(true) => Some(json!({
            "AllowHeaders": DEFAULT_CORS_HEADERS,
            "AllowMethods": ["OPTIONS", "GET", "POST", "PUT", "PATCH", "HEAD", "DELETE"],
            "AllowOrigins": ["*"],
        })),
        Value::Object(m) => {
            let mut o = serde_json::Map::new();
            let defaults: [(&str, &str, Value); 3] = [
                (
                    "allowedHeaders",
                    "AllowHeaders",
                    json!(DEFAULT_CORS_HEADERS),
                ),
                (
                    "allowedMethods",
                    "AllowMethods",
                    json!(["OPTIONS", "GET", "POST", "PUT", "PATCH", "HEAD", "DELETE"]),
                ),
                ("allowedOrigins", "AllowOrigins", json!(["*"])),
            ];
            for (from, to, default) in defaults {
                o.insert(to.into(), m.get(from).cloned().unwrap_or(default));
            }
            crate::plan::copy_keys(
                v,
                &[
                    ("allowCredentials", "AllowCredentials"),
                    ("exposedResponseHeaders", "ExposeHeaders"),
                    ("maxAge", "MaxAge"),
                ],
                &mut o,
            );
            Some(Value::Object(o))
        }
        _ => None,
    }
}

/// The HTTP API, its `$default` stage, one integration and permission per function, one route
/// per event, and the authorizers the routes use.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use crate::error::Diagnostic;
    use crate::naming::{self, normalize_name};
    use crate::plan::{join, permission, region, Compiler};
    use serde_json::{json, Map};

    let service = c.service;
    let events = super::of_kind(service, |e| match e {
        super::Event::HttpApi(h) => Some(h),
        _ => None,
    });
    if events.is_empty() {
        return;
    }
    let cfg = &service.provider.http_api;
    let api = match &cfg.id {
        Some(id) => id.clone(),
        None => json!({ "Ref": naming::HTTP_API_ID }),
    };
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (f, h) in &events {
        let rk = h.route_key();
        if let Some((_, other)) = seen.iter().find(|(k, _)| *k == rk) {
            c.diags.push(
                Diagnostic::error(format!("route `{rk}` is served by both `{other}` and `{}`", f.key))
                    .at(&h.key_path)
                    .hint("an HTTP API sends a route to one function; remove one of the events or change its path or method"),
            );
        } else {
            seen.push((rk, f.key.as_str()));
        }
        if let Some(a) = &h.authorizer {
            if let Some(name) = &a.name {
                match cfg.authorizers.get(name) {
                    None if a.id.is_none() => c.diags.push(
                        Diagnostic::error(format!("route `{}` uses authorizer `{name}`, which provider.httpApi.authorizers does not define", h.route_key()))
                            .at(&h.key_path.key("authorizer"))
                            .hint("define it under provider.httpApi.authorizers, or give the authorizer's `id`"),
                    ),
                    Some(spec) if !a.scopes.is_empty() && spec.get("type").and_then(Value::as_str).unwrap_or("jwt") != "jwt" => c.diags.push(
                        Diagnostic::error(format!("route `{}` asks for scopes, but authorizer `{name}` is a Lambda authorizer", h.route_key()))
                            .at(&h.key_path.key("authorizer").key("scopes"))
                            .hint("only JWT authorizers check scopes; remove `scopes`"),
                    ),
                    _ => {}
                }
            }
            if a.aws_iam && !a.scopes.is_empty() {
                c.diags.push(
                    Diagnostic::error(format!(
                        "route `{}` asks for scopes with `aws_iam`",
                        h.route_key()
                    ))
                    .at(&h.key_path.key("authorizer"))
                    .hint("IAM authorization has no scopes; remove `scopes`"),
                );
            }
        }
    }
    if cfg.id.is_none() {
        let mut p = Map::new();
        p.insert(
            "Name".into(),
            json!(cfg.name.clone().unwrap_or_else(|| naming::api_name(
                &service.name,
                &service.stage,
                cfg.name_starts_with_service
            ))),
        );
        p.insert("ProtocolType".into(), json!("HTTP"));
        if let Some(cors) = cfg.cors.as_ref().and_then(cors_configuration) {
            p.insert("CorsConfiguration".into(), cors);
        }
        if cfg.disable_default_endpoint {
            p.insert("DisableExecuteApiEndpoint".into(), json!(true));
        }
        // Provider tags go on the API and its stage (as osls, v3's maintained fork, does;
        // v3.40 did so with `useProviderTags`).
        let tags = (!service.provider.tags.is_empty()).then(|| json!(service.provider.tags));
        if let Some(t) = &tags {
            p.insert("Tags".into(), t.clone());
        }
        c.add(
            naming::HTTP_API_ID,
            json!({ "Type": "AWS::ApiGatewayV2::Api", "Properties": p }),
        );
        let mut stage = json!({ "Type": "AWS::ApiGatewayV2::Stage", "Properties": { "ApiId": api, "StageName": "$default", "AutoDeploy": true, "DefaultRouteSettings": { "DetailedMetricsEnabled": cfg.metrics } } });
        if let Some(t) = tags {
            stage["Properties"]["Tags"] = t;
        }
        c.add("HttpApiStage", stage);
    }
    // Authorizers the routes use, in order of first use.
    let mut used: Vec<&str> = Vec::new();
    for (_, h) in &events {
        if let Some(name) = h.authorizer.as_ref().and_then(|a| a.name.as_deref()) {
            if cfg.authorizers.contains_key(name) && !used.contains(&name) {
                used.push(name);
            }
        }
    }
    for name in &used {
        let spec = &cfg.authorizers[*name];
        let ty = spec.get("type").and_then(Value::as_str).unwrap_or("jwt");
        let id = format!("HttpApiAuthorizer{}", normalize_name(name));
        let identity =
            spec.get("identitySource")
                .cloned()
                .map(|v| if v.is_array() { v } else { json!([v]) });
        let p = if ty == "request" {
            let target = match (
                spec.get("functionName").and_then(Value::as_str),
                spec.get("functionArn"),
            ) {
                (Some(fname), _) => {
                    if !service.functions.contains_key(fname) {
                        c.diags.push(Diagnostic::error(format!("authorizer `{name}` names function `{fname}`, which this service does not have")).at(&crate::error::KeyPath::parse_dotted("provider.httpApi.authorizers").key(name.to_string()).key("functionName")).hint("name a function under `functions:`, or give `functionArn`"));
                        continue;
                    }
                    let perm = permission(
                        fname,
                        "apigateway.amazonaws.com",
                        Some(crate::plan::execute_api_arn(api.clone(), "/*")),
                    );
                    c.add(
                        format!("{}LambdaAuthorizerPermissionHttpApi", normalize_name(name)),
                        perm,
                    );
                    Compiler::function_arn(fname)
                }
                (None, Some(arn)) => arn.clone(),
                (None, None) => continue,
            };
            let mut p = Map::new();
            p.insert("ApiId".into(), api.clone());
            p.insert("AuthorizerType".into(), json!("REQUEST"));
            p.insert("AuthorizerUri".into(), crate::plan::invoke_uri(target));
            p.insert(
                "AuthorizerPayloadFormatVersion".into(),
                spec.get("payloadVersion").cloned().unwrap_or(json!("2.0")),
            );
            if let Some(s) = spec.get("enableSimpleResponses") {
                p.insert("EnableSimpleResponses".into(), s.clone());
            }
            if let Some(i) = identity {
                p.insert("IdentitySource".into(), i);
            }
            if let Some(ttl) = spec.get("resultTtlInSeconds") {
                p.insert("AuthorizerResultTtlInSeconds".into(), ttl.clone());
            }
            p.insert("Name".into(), json!(name));
            p
        } else {
            let audience = match spec.get("audience") {
                Some(Value::Array(a)) => Value::Array(a.clone()),
                Some(other) => json!([other]),
                None => json!([]),
            };
            let mut p = Map::new();
            p.insert("ApiId".into(), api.clone());
            p.insert("AuthorizerType".into(), json!("JWT"));
            p.insert(
                "IdentitySource".into(),
                identity.unwrap_or_else(|| json!(["$request.header.Authorization"])),
            );
            p.insert("JwtConfiguration".into(), json!({ "Audience": audience, "Issuer": spec.get("issuerUrl").cloned().unwrap_or(Value::Null) }));
            p.insert("Name".into(), json!(name));
            p
        };
        c.add(
            id,
            json!({ "Type": "AWS::ApiGatewayV2::Authorizer", "Properties": p }),
        );
    }

    let mut integrated: Vec<&str> = Vec::new();
    for (f, h) in &events {
        let fname = normalize_name(&f.key);
        let integration = format!("HttpApiIntegration{fname}");
        if !integrated.contains(&f.key.as_str()) {
            integrated.push(&f.key);
            c.add(
                format!("{fname}LambdaPermissionHttpApi"),
                permission(
                    &f.key,
                    "apigateway.amazonaws.com",
                    Some(crate::plan::execute_api_arn(api.clone(), "/*")),
                ),
            );
            c.add(
                integration.clone(),
                json!({ "Type": "AWS::ApiGatewayV2::Integration", "Properties": {
                    "ApiId": api,
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": Compiler::function_arn(&f.key),
                    "PayloadFormatVersion": cfg.payload.clone().unwrap_or_else(|| "2.0".into()),
                    "TimeoutInMillis": 30000,
                }}),
            );
        }
        let route_id = match &h.path {
            None => "HttpApiRouteDefault".to_string(),
            Some(p) => format!(
                "HttpApiRoute{}{}",
                naming::method_name(&h.method),
                naming::path_id(p)
            ),
        };
        if c.t.resources.contains_key(&route_id) {
            continue; // a conflict, reported above
        }
        let mut p = Map::new();
        p.insert("ApiId".into(), api.clone());
        p.insert("RouteKey".into(), json!(h.route_key()));
        p.insert(
            "Target".into(),
            json!({ "Fn::Join": ["/", ["integrations", { "Ref": integration }]] }),
        );
        if let Some(a) = &h.authorizer {
            if a.aws_iam {
                p.insert("AuthorizationType".into(), json!("AWS_IAM"));
            } else {
                let ty = a
                    .name
                    .as_ref()
                    .and_then(|n| cfg.authorizers.get(n))
                    .and_then(|s| s.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("jwt");
                p.insert(
                    "AuthorizationType".into(),
                    json!(if ty == "request" { "CUSTOM" } else { "JWT" }),
                );
                let aid = match (&a.id, &a.name) {
                    (Some(id), _) => id.clone(),
                    (None, Some(n)) => {
                        json!({ "Ref": format!("HttpApiAuthorizer{}", normalize_name(n)) })
                    }
                    (None, None) => Value::Null,
                };
                p.insert("AuthorizerId".into(), aid);
                if !a.scopes.is_empty() {
                    p.insert("AuthorizationScopes".into(), json!(a.scopes));
                }
            }
        }
        // v3 adds `DependsOn` the integration, which the Target's Ref already implies (W3005).
        c.add(
            route_id,
            json!({ "Type": "AWS::ApiGatewayV2::Route", "Properties": p }),
        );
    }
    if cfg.id.is_none() {
        c.output("HttpApiId", Some("Id of the HTTP API"), api.clone());
        c.output(
            "HttpApiUrl",
            Some("URL of the HTTP API"),
            join(vec![
                json!("https://"),
                api,
                json!(".execute-api."),
                region(),
                json!("."),
                json!({ "Ref": "AWS::URLSuffix" }),
            ]),
        );
    }
}
