//! `websocket` events: routes of an API Gateway WebSocket API.

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct Websocket {
    pub route: String,
    pub route_response_selection_expression: Option<String>,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Websocket> {
    let (route, rrse) = match v {
        Value::String(r) => (r.clone(), None),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &["route", "routeResponseSelectionExpression", "authorizer"],
                path,
            );
            if m.contains_key("authorizer") {
                c.error(
                    &path.key("authorizer"),
                    "websocket authorizers are not supported by sls-rs yet",
                    "authorize in the $connect handler, or define the authorizer under `resources:`",
                );
                return None;
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
    Some(Websocket {
        route,
        route_response_selection_expression: rrse,
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
    let api = json!({ "Ref": naming::WEBSOCKETS_API_ID });
    let mut api_resource = json!({ "Type": "AWS::ApiGatewayV2::Api", "Properties": {
        "Name": service.provider.websockets_api_name.clone().unwrap_or_else(|| naming::websockets_api_name(&service.name, &service.stage)),
        "RouteSelectionExpression": service.provider.websockets_route_selection.clone().unwrap_or_else(|| "$request.body.action".into()),
        "Description": service.provider.websockets_description.clone().unwrap_or_else(|| "Serverless Websockets".into()),
        "ProtocolType": "WEBSOCKET",
    }});
    if service.provider.websocket_tags && !service.provider.tags.is_empty() {
        api_resource["Properties"]["Tags"] = json!(service.provider.tags);
    }
    c.add(naming::WEBSOCKETS_API_ID, api_resource);
    // Handlers answer through the connections API (v3 grants the same).
    if c.has_role {
        c.role_statement(
            "websockets",
            &["execute-api:ManageConnections"],
            json!({ "Fn::Sub": "arn:${AWS::Partition}:execute-api:*:*:*/@connections/*" }),
        );
    }
    let mut routes: Vec<(String, String)> = Vec::new();
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
            c.add(
                naming::websockets_permission_id(&f.key),
                permission(
                    &f.key,
                    "apigateway.amazonaws.com",
                    Some(crate::plan::execute_api_arn(api.clone(), "/*")),
                ),
            );
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
        let route_id = naming::websockets_route_id(&w.route);
        let mut p = Map::new();
        p.insert("ApiId".into(), api.clone());
        p.insert("RouteKey".into(), json!(w.route));
        p.insert("AuthorizationType".into(), json!("NONE"));
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
    let route_list: Vec<String> = routes.iter().map(|(r, f)| format!("{r}={f}")).collect();
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
    c.add(
        naming::WEBSOCKETS_STAGE_ID,
        json!({ "Type": "AWS::ApiGatewayV2::Stage", "Properties": { "ApiId": api, "StageName": service.stage, "Description": "Serverless Websockets", "DeploymentId": { "Ref": deployment_id } } }),
    );
    c.add(
        deployment_id,
        json!({ "Type": "AWS::ApiGatewayV2::Deployment", "DependsOn": route_ids, "Properties": { "ApiId": api, "Description": "Serverless Websockets" } }),
    );
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
