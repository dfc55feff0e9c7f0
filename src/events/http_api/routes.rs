//! One integration and invoke permission per function, and one route per event.

use serde_json::{json, Map, Value};

use super::{authorizers, Events, HttpApi};
use crate::manifest::service::Function;
use crate::naming;
use crate::plan::{execute_api_arn, permission, Compiler};

/// The functions' integrations and permissions (each before its function's first route) and
/// the routes; a route generated twice was reported as a conflict by `check`.
pub(super) fn compile(c: &mut Compiler, api: &Value, events: &Events) {
    let mut integrated: Vec<&str> = Vec::new();
    for (f, h) in events {
        if !integrated.contains(&f.key.as_str()) {
            integrated.push(&f.key);
            integration(c, api, f);
        }
        let route_id = naming::http_api_route_id(&h.method, h.path.as_deref());
        if c.t.resources.contains_key(&route_id) {
            continue; // a conflict, reported above
        }
        let p = route_properties(c, api, f, h);
        // v3 adds `DependsOn` the integration, which the Target's Ref already implies (W3005).
        c.add(
            route_id,
            json!({ "Type": "AWS::ApiGatewayV2::Route", "Properties": p }),
        );
    }
}

/// The permission for the API to invoke the function, and its Lambda proxy integration.
fn integration(c: &mut Compiler, api: &Value, f: &Function) {
    c.add(
        naming::http_api_permission_id(&f.key),
        permission(
            &f.key,
            "apigateway.amazonaws.com",
            Some(execute_api_arn(api.clone(), "/*")),
        ),
    );
    let payload = f
        .http_api_payload
        .clone()
        .or_else(|| c.service.provider.http_api.payload.clone());
    c.add(
        naming::http_api_integration_id(&f.key),
        json!({ "Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": api,
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": Compiler::function_arn(&f.key),
            "PayloadFormatVersion": payload.unwrap_or_else(|| "2.0".into()),
            "TimeoutInMillis": 30000,
        }}),
    );
}

fn route_properties(c: &Compiler, api: &Value, f: &Function, h: &HttpApi) -> Map<String, Value> {
    let integration = naming::http_api_integration_id(&f.key);
    let mut p = Map::new();
    p.insert("ApiId".into(), api.clone());
    p.insert("RouteKey".into(), json!(h.route_key()));
    p.insert(
        "Target".into(),
        json!({ "Fn::Join": ["/", ["integrations", { "Ref": integration }]] }),
    );
    if let Some(a) = &h.authorizer {
        authorizers::route_properties(c, a, &mut p);
    }
    p
}
