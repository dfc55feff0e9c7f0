//! `http` events: API Gateway REST API methods.
//!
//! This file holds the typed event, its `parse` (validation) and the `compile` that sequences
//! the REST API's parts; each part lives in the file named for its concern. The order of the
//! steps in `compile` is v3's resource order, which keeps diffs against v3's templates readable.

mod api;
mod authorizers;
mod cors;
mod deployment;
mod integration;
mod methods;
mod models;
mod paths;
mod usage_plans;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::error::{Diagnostic, KeyPath};
use crate::manifest::checker::{show, Checker};
use crate::manifest::service::Function;
use crate::plan::Compiler;

pub use authorizers::Authorizer;
pub use cors::{Cors, DEFAULT_CORS_HEADERS};

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
    /// `operationId`: the method's OperationName.
    pub operation_id: Option<String>,
    /// `timeoutInMillis`: the integration's timeout, over `provider.apiGateway`'s.
    pub timeout_in_millis: Option<i64>,
    pub integration: Box<integration::Integration>,
    /// `request.schemas`: the request body's model by content type.
    pub request_models: Vec<(String, models::Model)>,
    pub key_path: KeyPath,
}

/// The `http` events of the service, with their functions, in configuration order.
type Events<'s> = [(&'s Function, &'s Http)];

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Http> {
    let (method, raw_path, m) = parse_head(v, path, c)?;
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
        operation_id: None,
        timeout_in_millis: None,
        integration: Box::default(),
        request_models: Vec::new(),
        key_path: path.clone(),
    };
    if let Some(m) = m {
        parse_settings(&mut http, m, path, c)?;
    }
    Some(http)
}

/// The method and path as written, and the map of settings when the event is a map.
type Head<'v> = (String, String, Option<&'v Map<String, Value>>);

/// The method and path of `GET users` or of a map with `method:` and `path:` (with the map,
/// whose other settings are read by [`parse_settings`]).
fn parse_head<'v>(v: &'v Value, path: &KeyPath, c: &mut Checker) -> Option<Head<'v>> {
    match v {
        Value::String(s) => {
            let mut parts = s.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(method), Some(p), None) => Some((method.to_string(), p.to_string(), None)),
                _ => {
                    c.error(
                        path,
                        format!("`{s}` is not an http event: expected `METHOD path`"),
                        "write it as `http: GET users/{id}` or as a map with `method` and `path`",
                    );
                    None
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
                    "timeoutInMillis",
                    "connectionType",
                    "connectionId",
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
            Some((method, p, Some(m)))
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
            None
        }
    }
}

/// The settings of an event written as a map; `None` when one of them is refused.
fn parse_settings(
    http: &mut Http,
    m: &Map<String, Value>,
    path: &KeyPath,
    c: &mut Checker,
) -> Option<()> {
    http.private = c.opt_bool(m, "private", path).unwrap_or(false);
    http.operation_id = c.opt_string(m, "operationId", path);
    http.timeout_in_millis = c.opt_int(m, "timeoutInMillis", path, 50, 300_000);
    *http.integration = integration::parse(m, path, c)?;
    http.cors = cors::parse(m.get("cors"), &path.key("cors"), c);
    if let Some(a) = m.get("authorizer") {
        http.authorizer = authorizers::parse(a, &path.key("authorizer"), c);
    }
    if let Some(Value::Object(req)) = m.get("request") {
        if let Some(schemas) = req.get("schemas").filter(|v| !v.is_null()) {
            http.request_models = models::parse(schemas, &path.key("request").key("schemas"), c)?;
        }
        if let Some(Value::Object(params)) = req.get("parameters") {
            let (declared, mapped) = request_parameters(params);
            http.request_parameters = declared;
            http.integration.mapped = mapped;
        }
    }
    Some(())
}

/// `request.parameters` as API Gateway's `RequestParameters`:
/// `{querystrings: {page: true}}` → `{"method.request.querystring.page": true}`; a parameter
/// written as a map is required unless it says `required: false`, and its `mappedValue` is what
/// an integration that maps parameters sends on.
fn request_parameters(params: &Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
    let mut out = Map::new();
    let mut mapped = Map::new();
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
                    Value::Object(o) => o.get("required").and_then(Value::as_bool).unwrap_or(true),
                    _ => false,
                };
                let key = format!("method.request.{prefix}.{name}");
                if let Some(v) = required.get("mappedValue").filter(|v| !v.is_null()) {
                    mapped.insert(key.clone(), v.clone());
                }
                out.insert(key, Value::Bool(req));
            }
        }
    }
    (out, mapped)
}

/// The REST API: the API itself (unless `restApiId` names one), one resource per path prefix,
/// CORS preflight methods, authorizers, one method per event, the deployment, API keys and
/// usage plan, and one invoke permission per function.
pub(crate) fn compile(c: &mut Compiler) {
    let service = c.service;
    let events = super::of_kind(service, |e| match e {
        super::Event::Http(h) => Some(h),
        _ => None,
    });
    if events.is_empty() {
        return;
    }
    // Conflicts first: they make the rest meaningless.
    check(c, &events);
    let api = api::compile(c);
    let resources = paths::compile(c, &api, &events);
    let mut methods = cors::compile(c, &api, &resources, &events);
    authorizers::compile(c, &api, &events);
    methods::compile(c, &api, &resources, &events, &mut methods);
    let deployment = deployment::compile(c, &api, &methods);
    usage_plans::compile(c, &api, &deployment);
    methods::permissions(c, &api, &events);
    deployment::endpoint_output(c, &api);
}

/// What the events ask for together that API Gateway cannot give: two functions on one route,
/// `cors` beside an explicit OPTIONS method, private methods without API keys, authorizer
/// functions the service does not have.
fn check(c: &mut Compiler, events: &Events) {
    let service = c.service;
    let ag = &service.provider.api_gateway;
    let mut routes: IndexMap<(String, String), (&str, &KeyPath)> = IndexMap::new();
    for (f, h) in events {
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
    for (f, h) in events {
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
        if h.private && ag.api_keys.is_empty() && ag.usage_plans.is_empty() {
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
}
