//! Route authorizers: a route's `authorizer` setting, and the JWT and Lambda (request)
//! authorizers of `provider.httpApi.authorizers` that the routes use.

use serde_json::{json, Map, Value};

use super::{Events, HttpApi};
use crate::error::{Diagnostic, KeyPath};
use crate::manifest::checker::{show, Checker};
use crate::naming;
use crate::plan::{execute_api_arn, invoke_uri, permission, Compiler};

#[derive(Debug, Clone)]
pub struct RouteAuthorizer {
    /// A key of `provider.httpApi.authorizers`, or `aws_iam`.
    pub name: Option<String>,
    pub id: Option<Value>,
    pub scopes: Vec<String>,
    pub aws_iam: bool,
}

/// A route's `authorizer`: a name, `aws_iam`, or a map with `name`, `id`, `scopes`, `type`.
pub(super) fn parse(a: &Value, ap: &KeyPath, c: &mut Checker) -> Option<RouteAuthorizer> {
    match a {
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
            c.unknown_keys(am, &["name", "id", "scopes", "type"], ap);
            let ty = c.opt_string(am, "type", ap);
            let scopes = match am.get("scopes") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect(),
                _ => vec![],
            };
            let aws_iam = ty.is_some_and(|t| t.eq_ignore_ascii_case("aws_iam"));
            let name = c.opt_string(am, "name", ap);
            let id = am.get("id").cloned();
            if !aws_iam && name.is_none() && id.is_none() {
                c.error(ap, "an httpApi authorizer needs `name` (from provider.httpApi.authorizers), `id`, or `type: aws_iam`", "add `name: myJwtAuthorizer`");
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
                ap,
                format!("`authorizer` must be a name or a map, not {}", show(other)),
                "e.g. `authorizer: { name: jwt, scopes: [user] }`",
            );
            None
        }
    }
}

/// The authorizer a route names must be defined, and only JWT authorizers check scopes.
pub(super) fn check(c: &mut Compiler, h: &HttpApi) {
    let Some(a) = &h.authorizer else { return };
    let service = c.service;
    let cfg = &service.provider.http_api;
    if let Some(name) = &a.name {
        match cfg.authorizers.get(name) {
            None if a.id.is_none() => c.diags.push(
                Diagnostic::error(format!("route `{}` uses authorizer `{name}`, which provider.httpApi.authorizers does not define", h.route_key()))
                    .at(&h.key_path.key("authorizer"))
                    .hint("define it under provider.httpApi.authorizers, or give the authorizer's `id`"),
            ),
            Some(spec) if !a.scopes.is_empty() && kind(spec) != "jwt" => c.diags.push(
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

/// An authorizer's `type`: `jwt` (the default) or `request`.
pub(super) fn kind(spec: &Value) -> &str {
    spec.get("type").and_then(Value::as_str).unwrap_or("jwt")
}

/// One `AWS::ApiGatewayV2::Authorizer` per authorizer the routes use, in order of first use.
pub(super) fn compile(c: &mut Compiler, api: &Value, events: &Events) {
    let service = c.service;
    let cfg = &service.provider.http_api;
    let mut used: Vec<&str> = Vec::new();
    for (_, h) in events {
        if let Some(name) = h.authorizer.as_ref().and_then(|a| a.name.as_deref()) {
            if cfg.authorizers.contains_key(name) && !used.contains(&name) {
                used.push(name);
            }
        }
    }
    for name in used {
        let spec = &cfg.authorizers[name];
        let p = if kind(spec) == "request" {
            let Some(p) = request_properties(c, api, name, spec) else {
                continue;
            };
            p
        } else {
            jwt_properties(api, name, spec)
        };
        c.add(
            naming::http_api_authorizer_id(name),
            json!({ "Type": "AWS::ApiGatewayV2::Authorizer", "Properties": p }),
        );
    }
}

/// `identitySource`, always a list.
fn identity_source(spec: &Value) -> Option<Value> {
    spec.get("identitySource")
        .cloned()
        .map(|v| if v.is_array() { v } else { json!([v]) })
}

/// A Lambda (request) authorizer; when it is a function of this service, also the permission
/// for the API to invoke it. `None` when it names no function it can call.
fn request_properties(
    c: &mut Compiler,
    api: &Value,
    name: &str,
    spec: &Value,
) -> Option<Map<String, Value>> {
    let target = match (
        spec.get("functionName").and_then(Value::as_str),
        spec.get("functionArn"),
    ) {
        (Some(fname), _) => {
            if !c.service.functions.contains_key(fname) {
                c.diags.push(Diagnostic::error(format!("authorizer `{name}` names function `{fname}`, which this service does not have")).at(&KeyPath::parse_dotted("provider.httpApi.authorizers").key(name.to_string()).key("functionName")).hint("name a function under `functions:`, or give `functionArn`"));
                return None;
            }
            let perm = permission(
                fname,
                "apigateway.amazonaws.com",
                Some(execute_api_arn(api.clone(), "/*")),
            );
            c.add(naming::http_api_authorizer_permission_id(name), perm);
            Compiler::function_arn(fname)
        }
        (None, Some(arn)) => arn.clone(),
        (None, None) => return None,
    };
    let mut p = Map::new();
    p.insert("ApiId".into(), api.clone());
    p.insert("AuthorizerType".into(), json!("REQUEST"));
    p.insert("AuthorizerUri".into(), invoke_uri(target));
    p.insert(
        "AuthorizerPayloadFormatVersion".into(),
        spec.get("payloadVersion").cloned().unwrap_or(json!("2.0")),
    );
    if let Some(s) = spec.get("enableSimpleResponses") {
        p.insert("EnableSimpleResponses".into(), s.clone());
    }
    if let Some(i) = identity_source(spec) {
        p.insert("IdentitySource".into(), i);
    }
    if let Some(ttl) = spec.get("resultTtlInSeconds") {
        p.insert("AuthorizerResultTtlInSeconds".into(), ttl.clone());
    }
    p.insert("Name".into(), json!(name));
    Some(p)
}

/// A JWT authorizer: the issuer and audience tokens must match.
fn jwt_properties(api: &Value, name: &str, spec: &Value) -> Map<String, Value> {
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
        identity_source(spec).unwrap_or_else(|| json!(["$request.header.Authorization"])),
    );
    p.insert("JwtConfiguration".into(), json!({ "Audience": audience, "Issuer": spec.get("issuerUrl").cloned().unwrap_or(Value::Null) }));
    p.insert("Name".into(), json!(name));
    p
}

/// How a route is authorized: `AuthorizationType`, and `AuthorizerId` and
/// `AuthorizationScopes` for JWT and Lambda authorizers.
pub(super) fn route_properties(c: &Compiler, a: &RouteAuthorizer, p: &mut Map<String, Value>) {
    if a.aws_iam {
        p.insert("AuthorizationType".into(), json!("AWS_IAM"));
        return;
    }
    let ty = a
        .name
        .as_ref()
        .and_then(|n| c.service.provider.http_api.authorizers.get(n))
        .map(kind)
        .unwrap_or("jwt");
    p.insert(
        "AuthorizationType".into(),
        json!(if ty == "request" { "CUSTOM" } else { "JWT" }),
    );
    let aid = match (&a.id, &a.name) {
        (Some(id), _) => id.clone(),
        (None, Some(n)) => json!({ "Ref": naming::http_api_authorizer_id(n) }),
        (None, None) => Value::Null,
    };
    p.insert("AuthorizerId".into(), aid);
    if !a.scopes.is_empty() {
        p.insert("AuthorizationScopes".into(), json!(a.scopes));
    }
}
