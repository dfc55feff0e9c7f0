//! `websocket` events: routes of an API Gateway WebSocket API.

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct Websocket {
    pub route: String,
    pub route_response_selection_expression: Option<String>,
    pub authorizer: Option<Authorizer>,
    pub key_path: KeyPath,
}

/// A Lambda REQUEST authorizer of a route (only `$connect` routes are authorized by API
/// Gateway, but v3 accepts it on any route and so does sls-rs).
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// The authorizer's name: the function's key, or the last part of the ARN.
    pub name: String,
    pub target: AuthorizerTarget,
    pub identity_source: Value,
}

#[derive(Debug, Clone)]
pub enum AuthorizerTarget {
    /// A function of this service, by key.
    Function(String),
    /// A function elsewhere, by ARN (a string or an intrinsic).
    Arn(Value),
}

/// `authorizer: auth`, `authorizer: arn:…`, or `{ name | arn, identitySource }`.
fn parse_authorizer(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Authorizer> {
    let default_source = || serde_json::json!(["route.request.header.Auth"]);
    let last_part = |arn: &str| arn.rsplit(':').next().unwrap_or(arn).to_string();
    match v {
        Value::String(s) if s.contains(':') => Some(Authorizer {
            name: last_part(s),
            target: AuthorizerTarget::Arn(v.clone()),
            identity_source: default_source(),
        }),
        Value::String(s) => Some(Authorizer {
            name: s.clone(),
            target: AuthorizerTarget::Function(s.clone()),
            identity_source: default_source(),
        }),
        Value::Object(m) => {
            c.unknown_keys(m, &["name", "arn", "identitySource"], path);
            let name = c.opt_string(m, "name", path);
            let identity_source = match m.get("identitySource") {
                None | Some(Value::Null) => default_source(),
                Some(s @ Value::String(_)) => serde_json::json!([s]),
                Some(list @ Value::Array(_)) => list.clone(),
                Some(other) => {
                    c.error(
                        &path.key("identitySource"),
                        format!("`identitySource` must be a list, not {}", show(other)),
                        "write `identitySource: [route.request.header.Auth]`",
                    );
                    return None;
                }
            };
            let (name, target) = match (m.get("arn").filter(|a| !a.is_null()), name) {
                (Some(Value::String(arn)), name) => (
                    name.unwrap_or_else(|| last_part(arn)),
                    AuthorizerTarget::Arn(m["arn"].clone()),
                ),
                (Some(arn), Some(name)) => (name, AuthorizerTarget::Arn(arn.clone())),
                (Some(_), None) => {
                    c.error(
                        &path.key("name"),
                        "an authorizer given by an intrinsic `arn` needs a `name`",
                        "add `name: myAuthorizer`",
                    );
                    return None;
                }
                (None, Some(name)) => (name.clone(), AuthorizerTarget::Function(name)),
                (None, None) => {
                    c.error(
                        path,
                        "a websocket authorizer needs `name` (a function of this service) or `arn`",
                        "write `authorizer: { name: auth }` or `authorizer: { arn: arn:aws:lambda:… }`",
                    );
                    return None;
                }
            };
            Some(Authorizer {
                name,
                target,
                identity_source,
            })
        }
        other => {
            c.error(
                path,
                format!(
                    "a websocket authorizer must be a function name, an ARN or a map, not {}",
                    show(other)
                ),
                "write `authorizer: auth` (a function of this service)",
            );
            None
        }
    }
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Websocket> {
    let mut authorizer = None;
    let (route, rrse) = match v {
        Value::String(r) => (r.clone(), None),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &["route", "routeResponseSelectionExpression", "authorizer"],
                path,
            );
            if let Some(a) = m.get("authorizer").filter(|a| !a.is_null()) {
                authorizer = Some(parse_authorizer(a, &path.key("authorizer"), c)?);
            }
            let Some(r) = c.opt_string(m, "route", path) else {
                c.error(
                    &path.key("route"),
                    "websocket event has no `route`",
                    "add `route: $connect`, `$disconnect`, `$default` or an action name",
                );
                return None;
            };
            (r, c.opt_string(m, "routeResponseSelectionExpression", path))
        }
        other => {
            c.error(
                path,
                format!(
                    "a websocket event must be a route or a map, not {}",
                    show(other)
                ),
                "write `websocket: $connect`",
            );
            return None;
        }
    };
    if route.is_empty()
        || (route.starts_with('$')
            && !["$connect", "$disconnect", "$default"].contains(&route.as_str()))
    {
        c.error(
            path,
            format!("`{route}` is not a websocket route"),
            "the special routes are $connect, $disconnect and $default; others are action names",
        );
        return None;
    }
    if authorizer.is_some() && route != "$connect" {
        c.error(
            &path.key("authorizer"),
            format!("API Gateway authorizes WebSocket connections, not the `{route}` route"),
            "move the authorizer to the `$connect` route",
        );
        return None;
    }
    Some(Websocket {
        route,
        route_response_selection_expression: rrse,
        authorizer,
        key_path: path.clone(),
    })
}

/// The WebSocket API, one integration and permission per function, one route per event.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use crate::error::Diagnostic;
    use crate::naming;
    use crate::plan::{join, permission, region, Compiler};
    use serde_json::{json, Map};
    let service = c.service;
    let events = super::of_kind(service, |e| match e {
        super::Event::Websocket(w) => Some(w),
        _ => None,
    });
    if events.is_empty() {
        return;
    }
    // `provider.apiGateway.websocketApiId`: routes go on an API made elsewhere, whose stage the
    // deployment creates (as in v3).
    let external = service.provider.api_gateway.websocket_api_id.clone();
    let api = external
        .clone()
        .unwrap_or_else(|| json!({ "Ref": naming::WEBSOCKETS_API_ID }));
    let mut api_resource = json!({ "Type": "AWS::ApiGatewayV2::Api", "Properties": {
        "Name": service.provider.websockets_api_name.clone().unwrap_or_else(|| naming::websockets_api_name(&service.name, &service.stage)),
        "RouteSelectionExpression": service.provider.websockets_route_selection.clone().unwrap_or_else(|| "$request.body.action".into()),
        "Description": service.provider.websockets_description.clone().unwrap_or_else(|| "Serverless Websockets".into()),
        "ProtocolType": "WEBSOCKET",
    }});
    if service.provider.websocket_tags && !service.provider.tags.is_empty() {
        api_resource["Properties"]["Tags"] = json!(service.provider.tags);
    }
    if external.is_none() {
        c.add(naming::WEBSOCKETS_API_ID, api_resource);
    }
    // Handlers answer through the connections API (v3 grants the same).
    if c.has_role {
        c.role_statement(
            "websockets",
            &["execute-api:ManageConnections"],
            json!({ "Fn::Sub": "arn:${AWS::Partition}:execute-api:*:*:*/@connections/*" }),
        );
    }
    let mut routes: Vec<(String, String)> = Vec::new();
    let mut authorized: Vec<String> = Vec::new();
    let mut integrated: Vec<&str> = Vec::new();
    for (f, w) in &events {
        let integration = naming::websockets_integration_id(&f.key);
        if !integrated.contains(&f.key.as_str()) {
            integrated.push(&f.key);
            c.add(
                integration.clone(),
                json!({ "Type": "AWS::ApiGatewayV2::Integration", "Properties": {
                    "ApiId": api,
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": crate::plan::invoke_uri(Compiler::function_arn(&f.key)),
                }}),
            );
            // An authorizer of an earlier route may have added it already.
            let permission_id = naming::websockets_permission_id(&f.key);
            if !c.t.resources.contains_key(&permission_id) {
                c.add(
                    permission_id,
                    permission(
                        &f.key,
                        "apigateway.amazonaws.com",
                        Some(crate::plan::execute_api_arn(api.clone(), "/*")),
                    ),
                );
            }
        }
        if let Some((_, other)) = routes.iter().find(|(r, _)| r == &w.route) {
            c.diags.push(
                Diagnostic::error(format!(
                    "websocket route `{}` is taken by functions `{other}` and `{}`",
                    w.route, f.key
                ))
                .at(&w.key_path)
                .hint("each route goes to one function"),
            );
            continue;
        }
        routes.push((w.route.clone(), f.key.clone()));
        if let Some(a) = &w.authorizer {
            // An authorizer change redeploys the API too.
            authorized.push(format!("{}@{}", w.route, a.name));
            authorizer(c, &api, a);
        }
        let route_id = naming::websockets_route_id(&w.route);
        let mut p = Map::new();
        p.insert("ApiId".into(), api.clone());
        p.insert("RouteKey".into(), json!(w.route));
        match &w.authorizer {
            None => {
                p.insert("AuthorizationType".into(), json!("NONE"));
            }
            Some(a) => {
                p.insert("AuthorizationType".into(), json!("CUSTOM"));
                p.insert(
                    "AuthorizerId".into(),
                    json!({ "Ref": naming::websockets_authorizer_id(&a.name) }),
                );
            }
        }
        p.insert(
            "Target".into(),
            json!({ "Fn::Join": ["/", ["integrations", { "Ref": integration }]] }),
        );
        if let Some(e) = &w.route_response_selection_expression {
            p.insert("RouteResponseSelectionExpression".into(), json!(e));
        }
        c.add(
            route_id.clone(),
            json!({ "Type": "AWS::ApiGatewayV2::Route", "Properties": p }),
        );
        if w.route_response_selection_expression.is_some() {
            c.add(
                naming::websockets_route_response_id(&w.route),
                json!({ "Type": "AWS::ApiGatewayV2::RouteResponse", "Properties": { "ApiId": api, "RouteId": { "Ref": route_id }, "RouteResponseKey": "$default" } }),
            );
        }
    }
    // Named by a hash of the routes, as v3 does: a new deployment only when they change.
    let route_list: Vec<String> = routes
        .iter()
        .map(|(r, f)| format!("{r}={f}"))
        .chain(authorized)
        .collect();
    let digest = crate::package::archive::sha256(route_list.join("\n").as_bytes())
        .map(|(b64, _)| b64)
        .unwrap_or_default();
    let deployment_id = naming::websockets_deployment_id(&digest);
    // The deployment waits for every route and route response.
    let route_ids: Vec<Value> = events
        .iter()
        .filter(|(_, w)| w.route_response_selection_expression.is_some())
        .map(|(_, w)| json!(naming::websockets_route_response_id(&w.route)))
        .chain(
            routes
                .iter()
                .map(|(r, _)| json!(naming::websockets_route_id(r))),
        )
        .collect();
    let mut deployment = json!({ "Type": "AWS::ApiGatewayV2::Deployment", "DependsOn": route_ids, "Properties": { "ApiId": api, "Description": "Serverless Websockets" } });
    if external.is_some() {
        deployment["Properties"]["StageName"] = json!(service.stage);
    } else {
        let mut stage = json!({ "ApiId": api, "StageName": service.stage, "Description": "Serverless Websockets", "DeploymentId": { "Ref": deployment_id } });
        let waits = crate::events::api_logs::websocket_stage(c, stage.as_object_mut().unwrap());
        let mut resource = json!({ "Type": "AWS::ApiGatewayV2::Stage", "Properties": stage });
        if !waits.is_empty() {
            resource["DependsOn"] = json!(waits);
        }
        c.add(naming::WEBSOCKETS_STAGE_ID, resource);
    }
    c.add(deployment_id, deployment);
    c.output(
        naming::WEBSOCKETS_ENDPOINT_OUTPUT,
        Some("URL of the service endpoint"),
        join(vec![
            json!("wss://"),
            api,
            json!(".execute-api."),
            region(),
            json!("."),
            json!({ "Ref": "AWS::URLSuffix" }),
            json!(format!("/{}", service.stage)),
        ]),
    );
}

/// The authorizer (once per name, as v3) and API Gateway's permission to invoke its function.
fn authorizer(c: &mut crate::plan::Compiler, api: &Value, a: &Authorizer) {
    use crate::naming;
    use crate::plan::{execute_api_arn, invoke_uri, permission, Compiler};
    use serde_json::json;
    let id = naming::websockets_authorizer_id(&a.name);
    if c.t.resources.contains_key(&id) {
        return;
    }
    let function = match &a.target {
        AuthorizerTarget::Function(key) => {
            if !c.service.functions.contains_key(key) {
                c.diags.push(
                    crate::error::Diagnostic::error(format!(
                        "websocket authorizer `{key}` is not a function of this service"
                    ))
                    .hint("name a function under `functions:`, or give the authorizer's `arn`"),
                );
                return;
            }
            Compiler::function_arn(key)
        }
        AuthorizerTarget::Arn(arn) => arn.clone(),
    };
    c.add(
        id,
        json!({ "Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
            "ApiId": api,
            "Name": a.name,
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": invoke_uri(function.clone()),
            "IdentitySource": a.identity_source,
        }}),
    );
    let permission_id = naming::websockets_permission_id(&a.name);
    // The same permission as a route's (one ID per function): the API may invoke it.
    if !c.t.resources.contains_key(&permission_id) {
        let mut p = permission(
            &a.name,
            "apigateway.amazonaws.com",
            Some(execute_api_arn(api.clone(), "/*")),
        );
        p["Properties"]["FunctionName"] = function;
        c.add(permission_id, p);
    }
}
