//! One `AWS::ApiGateway::Method` per event, with its Lambda proxy integration, and the
//! permission that lets API Gateway invoke each function.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::api::Api;
use super::{Authorizer, Events, Http};
use crate::naming;
use crate::plan::{permission, Compiler};

/// Adds the methods, appending their logical IDs to `methods` (which holds the CORS
/// preflights already, so a method the user also wrote is skipped: it was reported as a
/// conflict).
pub(super) fn compile(
    c: &mut Compiler,
    api: &Api,
    resources: &IndexMap<String, Value>,
    events: &Events,
    methods: &mut Vec<String>,
) {
    for (f, h) in events {
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
        p.insert("ResourceId".into(), resources[&h.path].clone());
        p.insert("RestApiId".into(), api.id.clone());
        p.insert("ApiKeyRequired".into(), json!(h.private));
        // Required parameters and request bodies with a schema are validated by API Gateway
        // (one validator per API, as in v3).
        let required = h.request_parameters.values().any(|r| r == &json!(true));
        if required || !h.request_models.is_empty() {
            request_validator(c, api);
            p.insert(
                "RequestValidatorId".into(),
                json!({ "Ref": naming::rest_api_request_validator_id(&c.service.name) }),
            );
        }
        if !h.request_models.is_empty() {
            let models = super::models::compile(c, &api.id, h);
            p.insert("RequestModels".into(), Value::Object(models));
        }
        let depends = vec![json!(naming::rest_api_permission_id(&f.key))];
        authorization(&mut p, h);
        if let Some(op) = &h.operation_id {
            p.insert("OperationName".into(), json!(op));
        }
        let timeout = h
            .timeout_in_millis
            .or(c.service.provider.api_gateway.timeout_in_millis);
        p.insert(
            "Integration".into(),
            super::integration::integration(h, Compiler::function_arn(&f.key), timeout),
        );
        p.insert(
            "MethodResponses".into(),
            super::integration::method_responses(h),
        );
        c.add(
            id.clone(),
            json!({ "Type": "AWS::ApiGateway::Method", "Properties": p, "DependsOn": depends }),
        );
        methods.push(id);
    }
}

/// The API's one request validator, added before the first method that needs it.
fn request_validator(c: &mut Compiler, api: &Api) {
    let service = c.service;
    let id = naming::rest_api_request_validator_id(&service.name);
    if c.t.resources.contains_key(&id) {
        return;
    }
    c.add(
        id,
        json!({ "Type": "AWS::ApiGateway::RequestValidator", "Properties": {
            "RestApiId": api.id,
            "ValidateRequestBody": true,
            "ValidateRequestParameters": true,
            "Name": format!("{}-{} | Validate request body and querystring parameters", service.name, service.stage),
        }}),
    );
}

/// `AuthorizationType`, and the authorizer and scopes a method uses.
fn authorization(p: &mut Map<String, Value>, h: &Http) {
    let Some(a) = &h.authorizer else {
        p.insert("AuthorizationType".into(), json!("NONE"));
        return;
    };
    p.insert("AuthorizationType".into(), json!(a.authorization_type()));
    if let Some(aid) = a.logical_id() {
        p.insert("AuthorizerId".into(), json!({ "Ref": aid }));
    }
    if let Authorizer::Cognito { scopes, .. } = a {
        if !scopes.is_empty() {
            p.insert("AuthorizationScopes".into(), json!(scopes));
        }
    }
}

/// One invoke permission per function the API calls: the functions of the events, and the
/// authorizer functions of this service, in order of first use.
pub(super) fn permissions(c: &mut Compiler, api: &Api, events: &Events) {
    for fkey in &invoked_functions(c, events) {
        c.add(
            naming::rest_api_permission_id(fkey),
            permission(
                fkey,
                "apigateway.amazonaws.com",
                Some(crate::plan::execute_api_arn(api.id.clone(), "/*/*")),
            ),
        );
    }
}

fn invoked_functions(c: &Compiler, events: &Events) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (f, h) in events {
        if !out.contains(&f.key) {
            out.push(f.key.clone());
        }
        if let Some(Authorizer::Lambda {
            function: Some(fkey),
            ..
        }) = &h.authorizer
        {
            if c.service.functions.contains_key(fkey) && !out.contains(fkey) {
                out.push(fkey.clone());
            }
        }
    }
    out
}
