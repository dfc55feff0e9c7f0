//! `http` events: API Gateway REST API methods.

use serde_json::{Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

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
    pub key_path: KeyPath,
}

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

#[derive(Debug, Clone, PartialEq)]
pub enum Authorizer {
    AwsIam,
    Cognito {
        name: String,
        arn: Value,
        identity_source: String,
        scopes: Vec<String>,
    },
    Lambda {
        name: String,
        /// The function key when the authorizer is a function of this service.
        function: Option<String>,
        arn: Option<Value>,
        kind: String,
        identity_source: String,
        result_ttl: i64,
        identity_validation_expression: Option<String>,
    },
}

impl Authorizer {
    pub fn authorization_type(&self) -> &'static str {
        match self {
            Authorizer::AwsIam => "AWS_IAM",
            Authorizer::Cognito { .. } => "COGNITO_USER_POOLS",
            Authorizer::Lambda { .. } => "CUSTOM",
        }
    }
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Http> {
    let (method, raw_path, m) = match v {
        Value::String(s) => {
            let mut parts = s.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(method), Some(p), None) => (method.to_string(), p.to_string(), None),
                _ => {
                    c.error(
                        path,
                        format!("`{s}` is not an http event: expected `METHOD path`"),
                        "write it as `http: GET users/{id}` or as a map with `method` and `path`",
                    );
                    return None;
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
            (method, p, Some(m))
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
            return None;
        }
    };
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
        key_path: path.clone(),
    };
    if let Some(m) = m {
        http.private = c.opt_bool(m, "private", path).unwrap_or(false);
        http.cors = parse_cors(m.get("cors"), &path.key("cors"), c);
        if let Some(a) = m.get("authorizer") {
            http.authorizer = parse_authorizer(a, &path.key("authorizer"), c);
        }
        if let Some(Value::Object(req)) = m.get("request") {
            if let Some(Value::Object(params)) = req.get("parameters") {
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
                                Value::Object(o) => {
                                    o.get("required").and_then(Value::as_bool).unwrap_or(false)
                                }
                                _ => false,
                            };
                            http.request_parameters.insert(
                                format!("method.request.{prefix}.{name}"),
                                Value::Bool(req),
                            );
                        }
                    }
                }
            }
        }
    }
    Some(http)
}

fn parse_cors(v: Option<&Value>, path: &KeyPath, c: &mut Checker) -> Option<Cors> {
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

fn parse_authorizer(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Authorizer> {
    let lambda = |name: String, function: Option<String>, arn: Option<Value>| Authorizer::Lambda {
        name,
        function,
        arn,
        kind: "TOKEN".into(),
        identity_source: "method.request.header.Authorization".into(),
        result_ttl: 300,
        identity_validation_expression: None,
    };
    match v {
        Value::String(s) if s.eq_ignore_ascii_case("aws_iam") => Some(Authorizer::AwsIam),
        Value::String(s) if s.starts_with("arn:") && s.contains(":cognito-idp:") => {
            Some(Authorizer::Cognito {
                name: s.rsplit('/').next().unwrap_or(s).to_string(),
                arn: v.clone(),
                identity_source: "method.request.header.Authorization".into(),
                scopes: Vec::new(),
            })
        }
        Value::String(s) if s.starts_with("arn:") => {
            let name = s.rsplit(':').next().unwrap_or(s).to_string();
            Some(lambda(name, None, Some(v.clone())))
        }
        Value::String(s) => Some(lambda(s.clone(), Some(s.clone()), None)),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &[
                    "name",
                    "arn",
                    "type",
                    "identitySource",
                    "resultTtlInSeconds",
                    "identityValidationExpression",
                    "scopes",
                    "authorizerId",
                    "managedExternally",
                ],
                path,
            );
            let kind = c
                .opt_string(m, "type", path)
                .map(|t| t.to_ascii_uppercase());
            if kind.as_deref() == Some("AWS_IAM") {
                return Some(Authorizer::AwsIam);
            }
            let arn = m.get("arn").cloned();
            let name = c.opt_string(m, "name", path);
            let is_cognito = kind.as_deref() == Some("COGNITO_USER_POOLS")
                || arn
                    .as_ref()
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.contains(":cognito-idp:"));
            let identity_source = c
                .opt_string(m, "identitySource", path)
                .unwrap_or_else(|| "method.request.header.Authorization".into());
            let scopes = match m.get("scopes") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            if is_cognito {
                let Some(arn) = arn else {
                    c.error(
                        path,
                        "a Cognito authorizer needs the user pool `arn`",
                        "add `arn: arn:aws:cognito-idp:…:userpool/…`",
                    );
                    return None;
                };
                let name = name.unwrap_or_else(|| {
                    arn.as_str()
                        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
                        .unwrap_or_else(|| "CognitoAuthorizer".into())
                });
                return Some(Authorizer::Cognito {
                    name,
                    arn,
                    identity_source,
                    scopes,
                });
            }
            let kind = kind.unwrap_or_else(|| "TOKEN".into());
            if kind != "TOKEN" && kind != "REQUEST" {
                c.error(
                    &path.key("type"),
                    format!("authorizer type `{kind}` is not one API Gateway has"),
                    "use TOKEN, REQUEST, COGNITO_USER_POOLS or AWS_IAM",
                );
                return None;
            }
            let (name, function) = match (&name, &arn) {
                (Some(n), None) => (n.clone(), Some(n.clone())),
                (Some(n), Some(_)) => (n.clone(), None),
                (None, Some(Value::String(a))) => {
                    (a.rsplit(':').next().unwrap_or(a).to_string(), None)
                }
                _ => {
                    c.error(
                        path,
                        "an authorizer needs `name` (a function of this service) or `arn`",
                        "add `name: myAuthorizerFunction`",
                    );
                    return None;
                }
            };
            let ttl = c
                .opt_int(m, "resultTtlInSeconds", path, 0, 3600)
                .unwrap_or(300);
            Some(Authorizer::Lambda {
                name,
                function,
                arn,
                kind,
                identity_source,
                result_ttl: ttl,
                identity_validation_expression: c.opt_string(
                    m,
                    "identityValidationExpression",
                    path,
                ),
            })
        }
        other => {
            c.error(
                path,
                format!(
                    "`authorizer` must be a name, an ARN or a map, not {}",
                    show(other)
                ),
                "e.g. `authorizer: aws_iam` or `authorizer: { name: auth }`",
            );
            None
        }
    }
}
