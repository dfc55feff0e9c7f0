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
    let method = if method == "*" {
        "ANY".to_string()
    } else {
        method.to_ascii_uppercase()
    };
    if !METHODS.contains(&method.as_str()) {
        let p = if m.is_some() {
            path.key("method")
        } else {
            path.clone()
        };
        c.error(
            &p,
            format!("`{method}` is not an HTTP method"),
            format!("use one of {} or *", METHODS.join(", ")),
        );
        return None;
    }
    let route_path = if route_path == "*" {
        if method != "ANY" {
            let p = if m.is_some() {
                path.key("path")
            } else {
                path.clone()
            };
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
            let p = if m.is_some() {
                path.key("path")
            } else {
                path.clone()
            };
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
