//! `cors`: its settings, and the OPTIONS method (a MOCK integration answering the preflight)
//! that API Gateway needs on each path that has it.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::api::Api;
use super::Events;
use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};
use crate::naming;
use crate::plan::Compiler;

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

pub(super) fn parse(v: Option<&Value>, path: &KeyPath, c: &mut Checker) -> Option<Cors> {
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

/// The CORS preflights, one OPTIONS method per path; returns their logical IDs.
pub(super) fn compile(
    c: &mut Compiler,
    api: &Api,
    resources: &IndexMap<String, Value>,
    events: &Events,
) -> Vec<String> {
    let mut methods = Vec::new();
    for (path, (cors, verbs)) in &per_path(events) {
        let (response_params, integration_params) = headers(cors, &allowed_methods(verbs));
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
                "ResourceId": resources[*path],
                "RestApiId": api.id,
            }}),
        );
        methods.push(id);
    }
    methods
}

/// The paths with `cors`, each with the settings of its methods merged (origins joined,
/// credentials allowed if any method allows them) and the methods themselves.
fn per_path<'e>(events: &'e Events) -> IndexMap<&'e str, (Cors, Vec<&'e str>)> {
    let mut paths: IndexMap<&str, (Cors, Vec<&str>)> = IndexMap::new();
    for (_, h) in events {
        if let Some(cors) = &h.cors {
            let entry = paths
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
    paths
}

/// `Access-Control-Allow-Methods`: OPTIONS, then the path's methods (`ANY` spelled out).
fn allowed_methods<'v>(verbs: &[&'v str]) -> Vec<&'v str> {
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
    allowed
}

/// The preflight's response headers: the method response declares each one, the integration
/// response gives its value.
fn headers(cors: &Cors, allowed: &[&str]) -> (Map<String, Value>, Map<String, Value>) {
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
    (response_params, integration_params)
}
