//! `httpApi` events: API Gateway HTTP API (v2) routes.
//!
//! This file holds the typed event, its `parse` (validation) and the `compile` that sequences
//! the HTTP API's parts; each part lives in the file named for its concern. The order of the
//! steps in `compile` is v3's resource order, which keeps diffs against v3's templates readable.

mod api;
mod authorizers;
mod cors;
mod routes;

use serde_json::{Map, Value};

use crate::error::{Diagnostic, KeyPath};
use crate::manifest::checker::{show, Checker};
use crate::manifest::service::Function;
use crate::plan::Compiler;

pub use authorizers::RouteAuthorizer;

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

impl HttpApi {
    /// `GET /users/{id}`, or `$default` for `*`.
    pub fn route_key(&self) -> String {
        match &self.path {
            None => "$default".into(),
            Some(p) => format!("{} {}", self.method, p),
        }
    }
}

/// The `httpApi` events of the service, with their functions, in configuration order.
type Events<'s> = [(&'s Function, &'s HttpApi)];

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<HttpApi> {
    let (method, route_path, m) = parse_head(v, path, c)?;
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
        authorizer = Some(authorizers::parse(a, &path.key("authorizer"), c)?);
    }
    Some(HttpApi {
        method,
        path: route_path,
        authorizer,
        key_path: path.clone(),
    })
}

/// The method and path as written, and the map of settings when the event is a map.
type Head<'v> = (String, String, Option<&'v Map<String, Value>>);

/// The method and path of `GET /users`, of `*`, or of a map with `method:` (default `*`) and
/// `path:`.
fn parse_head<'v>(v: &'v Value, path: &KeyPath, c: &mut Checker) -> Option<Head<'v>> {
    match v {
        Value::String(s) if s.trim() == "*" => Some(("*".to_string(), "*".to_string(), None)),
        Value::String(s) => match s.split_whitespace().collect::<Vec<_>>().as_slice() {
            [m, p] => Some((m.to_string(), p.to_string(), None)),
            _ => {
                c.error(
                    path,
                    format!("`{s}` is not an httpApi route: expected `METHOD /path` or `*`"),
                    "write it as `httpApi: 'GET /users/{id}'`",
                );
                None
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
            Some((method, p, Some(m)))
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
            None
        }
    }
}

/// The HTTP API, its `$default` stage, one integration and permission per function, one route
/// per event, and the authorizers the routes use.
pub(crate) fn compile(c: &mut Compiler) {
    let service = c.service;
    let events = super::of_kind(service, |e| match e {
        super::Event::HttpApi(h) => Some(h),
        _ => None,
    });
    if events.is_empty() {
        return;
    }
    check(c, &events);
    let api = api::compile(c);
    authorizers::compile(c, &api, &events);
    routes::compile(c, &api, &events);
    api::outputs(c, &api);
}

/// What the events ask for together that an HTTP API cannot give: two functions on one route,
/// and authorizers the provider does not define or that cannot check what a route asks.
fn check(c: &mut Compiler, events: &Events) {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (f, h) in events {
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
        authorizers::check(c, h);
    }
}
