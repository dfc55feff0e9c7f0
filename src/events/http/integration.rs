//! How a method reaches its back end: v3's `integration` (`lambda-proxy`, the default; `lambda`;
//! `http`; `http-proxy`; `mock`), with `request`/`response` mapping for the non-proxy kinds,
//! `async: true` and VPC links. `parse` turns an event's settings into [`Integration`]; `compile`
//! gives the method's `Integration` and `MethodResponses` properties.

use serde_json::{json, Map, Value};

use super::Http;
use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

/// The request template of the `lambda` integration: the event v3's Lambda integration
/// handlers receive (body, method, principalId, stage, cognitoPoolClaims, enhancedAuthContext,
/// headers, query, path, identity, stageVariables, requestPath).
const LAMBDA_REQUEST: &str = include_str!("../../../templates/lambda-integration-request.vtl");

/// The request body of the `lambda` integration's default templates, by content type.
const BODY_JSON: &str = "$input.json('$')";
const BODY_FORM: &str = "{#foreach($pair in $input.path('$').split('&'))#set($kv = $pair.split('='))#if($kv.size() >= 1)\"$util.escapeJavaScript($util.urlDecode($kv[0]))\": \"#if($kv.size() >= 2)$util.escapeJavaScript($util.urlDecode($kv[1])).replaceAll(\"\\\\'\", \"'\")#end\"#if($foreach.hasNext),#end#end#end}";

/// v3's `response.statusCodes` of the `lambda` integration when none are given: the error
/// message's `[NNN]` picks the status.
const DEFAULT_STATUS_CODES: &[(&str, &str)] = &[
    ("200", ""),
    ("400", "[\\s\\S]*\\[400\\][\\s\\S]*"),
    ("401", "[\\s\\S]*\\[401\\][\\s\\S]*"),
    ("403", "[\\s\\S]*\\[403\\][\\s\\S]*"),
    ("404", "[\\s\\S]*\\[404\\][\\s\\S]*"),
    ("422", "[\\s\\S]*\\[422\\][\\s\\S]*"),
    (
        "500",
        "[\\s\\S]*(Process\\s?exited\\s?before\\s?completing\\s?request|\\[500\\])[\\s\\S]*",
    ),
    ("502", "[\\s\\S]*\\[502\\][\\s\\S]*"),
    (
        "504",
        "([\\s\\S]*\\[504\\][\\s\\S]*)|(.*Task timed out after \\d+\\.\\d+ seconds$)",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// `lambda-proxy` (`AWS_PROXY`), the default.
    #[default]
    LambdaProxy,
    /// `lambda` (`AWS`), and `async: true`.
    Lambda,
    Http,
    HttpProxy,
    Mock,
}

impl Kind {
    fn cfn(self) -> &'static str {
        match self {
            Kind::LambdaProxy => "AWS_PROXY",
            Kind::Lambda => "AWS",
            Kind::Http => "HTTP",
            Kind::HttpProxy => "HTTP_PROXY",
            Kind::Mock => "MOCK",
        }
    }

    /// Request and response mapping apply (templates, pass-through, status codes).
    fn maps(self) -> bool {
        matches!(self, Kind::Lambda | Kind::Http | Kind::Mock)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Integration {
    pub kind: Kind,
    /// `request.uri` of `http` and `http-proxy`.
    pub uri: Option<Value>,
    /// `request.method` of `http`: the back end's method when it differs from the route's.
    pub method: Option<String>,
    /// `connectionType: vpc-link` with its `connectionId`.
    pub vpc_link: Option<Value>,
    pub pass_through: Option<String>,
    pub content_handling: Option<String>,
    /// `request.template`: content type → template, `None` removing a default one.
    pub templates: Vec<(String, Option<String>)>,
    /// `request.parameters` with a `mappedValue`: method parameter → integration value.
    pub mapped: Map<String, Value>,
    pub is_async: bool,
    pub response: Option<Response>,
    /// `authorizer.claims` passed to a `lambda` integration's event.
    pub claims: Vec<String>,
    /// `response.transferMode: STREAM` of a proxy integration.
    pub transfer_mode: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Response {
    pub headers: Map<String, Value>,
    pub template: Option<String>,
    pub content_handling: Option<String>,
    pub status_codes: Vec<(String, StatusCode)>,
}

#[derive(Debug, Clone, Default)]
pub struct StatusCode {
    pub pattern: String,
    pub headers: Map<String, Value>,
    pub templates: Map<String, Value>,
}

/// The integration of an event written as a map.
pub(super) fn parse(
    m: &Map<String, Value>,
    path: &KeyPath,
    c: &mut Checker,
) -> Option<Integration> {
    let is_async = c.opt_bool(m, "async", path) == Some(true);
    let kind = match c.opt_string(m, "integration", path) {
        None if is_async => Kind::Lambda,
        None => Kind::LambdaProxy,
        Some(i) => match i.to_ascii_lowercase().replace('_', "-").as_str() {
            "lambda-proxy" | "aws-proxy" => Kind::LambdaProxy,
            "lambda" | "aws" => Kind::Lambda,
            "http" => Kind::Http,
            "http-proxy" => Kind::HttpProxy,
            "mock" => Kind::Mock,
            _ => {
                c.error(
                    &path.key("integration"),
                    format!("`{i}` is not an integration"),
                    "use lambda-proxy (the default), lambda, http, http-proxy or mock",
                );
                return None;
            }
        },
    };
    let mut out = Integration {
        kind,
        uri: None,
        method: None,
        vpc_link: None,
        pass_through: None,
        content_handling: None,
        templates: Vec::new(),
        mapped: Map::new(),
        is_async,
        response: None,
        claims: Vec::new(),
        transfer_mode: None,
    };
    let req = match m.get("request") {
        None | Some(Value::Null) => None,
        Some(v) => Some(c.map(v, &path.key("request"))?),
    };
    if let Some(req) = req {
        request(&mut out, req, &path.key("request"), c)?;
    }
    if matches!(kind, Kind::Http | Kind::HttpProxy) {
        if out.uri.is_none() {
            c.error(
                &path.key("request").key("uri"),
                format!("an `{}` integration needs `request.uri`", kind_name(kind)),
                "add `request: { uri: https://example.com/path }`",
            );
            return None;
        }
        if let Some(t) = c.opt_string(m, "connectionType", path) {
            if !t.eq_ignore_ascii_case("vpc-link") && !t.eq_ignore_ascii_case("vpc_link") {
                c.error(
                    &path.key("connectionType"),
                    format!("`{t}` is not a connection type"),
                    "the one connection type is vpc-link",
                );
                return None;
            }
            let Some(id) = m.get("connectionId").filter(|v| !v.is_null()) else {
                c.error(
                    &path.key("connectionId"),
                    "a VPC link connection needs `connectionId`",
                    "add `connectionId:` with the VPC link's ID",
                );
                return None;
            };
            out.vpc_link = Some(id.clone());
        }
    } else {
        for key in ["connectionType", "connectionId"] {
            if m.contains_key(key) {
                c.error(
                    &path.key(key),
                    format!("`{key}` applies to http and http-proxy integrations"),
                    "add `integration: http-proxy` and `request.uri`, or remove it",
                );
                return None;
            }
        }
    }
    if let Some(v) = m.get("response").filter(|v| !v.is_null()) {
        let rp = path.key("response");
        let rm = c.map(v, &rp)?;
        out.transfer_mode = transfer_mode(rm, &rp, kind, c)?;
        let rest: Vec<&String> = rm.keys().filter(|k| *k != "transferMode").collect();
        if kind.maps() {
            out.response = Some(response(rm, &rp, c)?);
        } else if !rest.is_empty() {
            c.warn(
                &rp,
                format!(
                    "`response` has no effect on an `{}` integration (v3 drops it too)",
                    kind_name(kind)
                ),
                "the back end's response is passed through; remove it",
            );
        }
    } else if kind == Kind::Lambda {
        out.response = Some(Response {
            status_codes: default_status_codes(),
            ..Response::default()
        });
    } else if kind == Kind::Http {
        // v3 fails here; the back end's answer passes through as a 200.
        out.response = Some(Response {
            status_codes: vec![("200".into(), StatusCode::default())],
            ..Response::default()
        });
    }
    if let Some(Value::Object(a)) = m.get("authorizer") {
        if let Some(list) = a.get("claims").filter(|v| !v.is_null()) {
            let cp = path.key("authorizer").key("claims");
            if kind != Kind::Lambda {
                c.error(
                    &cp,
                    "Cognito claims are passed to `lambda` integrations only",
                    "a proxy integration's event has every claim under requestContext.authorizer.claims; remove `claims`",
                );
                return None;
            }
            let Value::Array(items) = list else {
                c.error(
                    &cp,
                    format!("`claims` must be a list, not {}", show(list)),
                    "write `claims: [email]`",
                );
                return None;
            };
            for (n, item) in items.iter().enumerate() {
                out.claims.push(c.string(item, &cp.index(n))?);
            }
        }
    }
    Some(out)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::LambdaProxy => "lambda-proxy",
        Kind::Lambda => "lambda",
        Kind::Http => "http",
        Kind::HttpProxy => "http-proxy",
        Kind::Mock => "mock",
    }
}

/// `request.*` other than `parameters` (read with the method's parameters) and `schemas`.
fn request(
    out: &mut Integration,
    req: &Map<String, Value>,
    p: &KeyPath,
    c: &mut Checker,
) -> Option<()> {
    const PROXY_KEYS: &[&str] = &["parameters", "schemas", "uri"];
    for key in req.keys() {
        let applies = match key.as_str() {
            "parameters" | "schemas" => true,
            "uri" => matches!(out.kind, Kind::Http | Kind::HttpProxy),
            "method" => out.kind == Kind::Http,
            "template" | "passThrough" | "contentHandling" => out.kind.maps(),
            "schema" => {
                c.error(
                    &p.key(key.clone()),
                    "`request.schema` is v2's; v3 reads `request.schemas`",
                    "write `schemas: { application/json: <schema> }`",
                );
                return None;
            }
            _ => {
                c.error(
                    &p.key(key.clone()),
                    format!("unknown property `{key}`"),
                    "the request settings are parameters, template, passThrough, contentHandling, uri, method and schemas",
                );
                return None;
            }
        };
        if !applies {
            let hint = if out.kind == Kind::HttpProxy && key == "method" {
                "v3 calls the back end with the route's method and drops it too; remove it, or use `integration: http`".to_string()
            } else {
                format!(
                    "an `{}` integration takes {} (v3 drops the rest too); remove it",
                    kind_name(out.kind),
                    PROXY_KEYS
                        .iter()
                        .filter(|k| **k != "uri" || out.kind == Kind::HttpProxy)
                        .map(|k| format!("`request.{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            c.warn(
                &p.key(key.clone()),
                format!(
                    "`request.{key}` has no effect on an `{}` integration",
                    kind_name(out.kind)
                ),
                hint,
            );
        }
    }
    if matches!(out.kind, Kind::Http | Kind::HttpProxy) {
        out.uri = req.get("uri").filter(|v| !v.is_null()).cloned();
    }
    if out.kind == Kind::Http {
        out.method = c
            .opt_string(req, "method", p)
            .map(|m| m.to_ascii_uppercase());
    }
    if !out.kind.maps() {
        return Some(());
    }
    out.pass_through = c.opt_string(req, "passThrough", p);
    if let Some(pt) = &out.pass_through {
        if !["NEVER", "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES"].contains(&pt.as_str()) {
            c.error(
                &p.key("passThrough"),
                format!("`{pt}` is not a pass-through behaviour"),
                "use NEVER, WHEN_NO_MATCH or WHEN_NO_TEMPLATES",
            );
            return None;
        }
    }
    out.content_handling = content_handling(req, p, c)?;
    match req.get("template") {
        None | Some(Value::Null) => {}
        Some(Value::Object(t)) => {
            for (ty, tpl) in t {
                match tpl {
                    Value::Null => out.templates.push((ty.clone(), None)),
                    other => {
                        let s = c.string(other, &p.key("template").key(ty.clone()))?;
                        out.templates.push((ty.clone(), Some(s)));
                    }
                }
            }
        }
        Some(other) => {
            c.error(
                &p.key("template"),
                format!(
                    "`request.template` must be a map of content types, not {}",
                    show(other)
                ),
                "write `template: { application/json: '…' }`",
            );
            return None;
        }
    }
    Some(())
}

fn content_handling(
    m: &Map<String, Value>,
    p: &KeyPath,
    c: &mut Checker,
) -> Option<Option<String>> {
    let ch = c.opt_string(m, "contentHandling", p);
    if let Some(v) = &ch {
        if v != "CONVERT_TO_BINARY" && v != "CONVERT_TO_TEXT" {
            c.error(
                &p.key("contentHandling"),
                format!("`{v}` is not a content handling"),
                "use CONVERT_TO_BINARY or CONVERT_TO_TEXT",
            );
            return None;
        }
    }
    Some(ch)
}

fn transfer_mode(
    m: &Map<String, Value>,
    p: &KeyPath,
    kind: Kind,
    c: &mut Checker,
) -> Option<Option<String>> {
    let Some(t) = c.opt_string(m, "transferMode", p) else {
        return Some(None);
    };
    let t = t.to_ascii_uppercase();
    if t != "BUFFERED" && t != "STREAM" {
        c.error(
            &p.key("transferMode"),
            format!("`{t}` is not a transfer mode"),
            "use BUFFERED or STREAM",
        );
        return None;
    }
    if !matches!(kind, Kind::LambdaProxy | Kind::HttpProxy) {
        c.error(
            &p.key("transferMode"),
            "`transferMode` applies to lambda-proxy and http-proxy integrations",
            "remove it, or use a proxy integration",
        );
        return None;
    }
    Some(Some(t))
}

fn default_status_codes() -> Vec<(String, StatusCode)> {
    DEFAULT_STATUS_CODES
        .iter()
        .map(|(code, pattern)| {
            (
                code.to_string(),
                StatusCode {
                    pattern: pattern.to_string(),
                    ..StatusCode::default()
                },
            )
        })
        .collect()
}

/// `response` of a mapped integration; without `statusCodes`, v3's defaults, and a `200` for
/// anything no pattern catches when none has an empty pattern.
fn response(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Option<Response> {
    c.unknown_keys(
        m,
        &[
            "headers",
            "template",
            "statusCodes",
            "contentHandling",
            "transferMode",
        ],
        p,
    );
    let mut r = Response {
        headers: header_map(m.get("headers"), &p.key("headers"), c)?,
        template: c.opt_string(m, "template", p),
        content_handling: content_handling(m, p, c)?,
        status_codes: Vec::new(),
    };
    match m.get("statusCodes") {
        None | Some(Value::Null) => r.status_codes = default_status_codes(),
        Some(v) => {
            let sp = p.key("statusCodes");
            for (code, spec) in c.map(v, &sp)? {
                let cp = sp.key(code.clone());
                if !(code.len() == 3 && code.chars().all(|ch| ch.is_ascii_digit())) {
                    c.error(
                        &cp,
                        format!("`{code}` is not an HTTP status code"),
                        "use a code such as 200 or 404",
                    );
                    return None;
                }
                let sm = match spec {
                    Value::Null => Map::new(),
                    other => c.map(other, &cp)?.clone(),
                };
                c.unknown_keys(&sm, &["pattern", "headers", "template"], &cp);
                let templates = match sm.get("template") {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::String(s)) => {
                        let mut t = Map::new();
                        t.insert("application/json".into(), json!(s));
                        t
                    }
                    Some(Value::Object(t)) => t.clone(),
                    Some(other) => {
                        c.error(&cp.key("template"), format!("a response template must be text or a map of content types, not {}", show(other)), "write `template: '…'`");
                        return None;
                    }
                };
                r.status_codes.push((
                    code.clone(),
                    StatusCode {
                        pattern: c.opt_string(&sm, "pattern", &cp).unwrap_or_default(),
                        headers: header_map(sm.get("headers"), &cp.key("headers"), c)?,
                        templates,
                    },
                ));
            }
            if !r.status_codes.iter().any(|(_, s)| s.pattern.is_empty()) {
                r.status_codes.push(("200".into(), StatusCode::default()));
            }
        }
    }
    Some(r)
}

fn header_map(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<Map<String, Value>> {
    match v {
        None | Some(Value::Null) => Some(Map::new()),
        Some(v) => c.map(v, p).cloned(),
    }
}

/// The method's `Integration`.
pub(super) fn integration(h: &Http, function_arn: Value, timeout: Option<i64>) -> Value {
    let i = &h.integration;
    let mut out = Map::new();
    let http_method = match i.kind {
        Kind::Http => i.method.clone().unwrap_or_else(|| h.method.clone()),
        Kind::HttpProxy => h.method.clone(),
        _ => "POST".to_string(),
    };
    out.insert("IntegrationHttpMethod".into(), json!(http_method));
    out.insert("Type".into(), json!(i.kind.cfn()));
    if let Some(ms) = timeout {
        out.insert("TimeoutInMillis".into(), json!(ms));
    }
    match i.kind {
        Kind::LambdaProxy | Kind::Lambda => {
            let streaming =
                i.kind == Kind::LambdaProxy && i.transfer_mode.as_deref() == Some("STREAM");
            let uri = if streaming {
                crate::plan::join(vec![
                    json!("arn:"),
                    crate::plan::partition(),
                    json!(":apigateway:"),
                    crate::plan::region(),
                    json!(":lambda:path/2021-11-15/functions/"),
                    function_arn,
                    json!("/response-streaming-invocations"),
                ])
            } else {
                crate::plan::invoke_uri(function_arn)
            };
            out.insert("Uri".into(), uri);
        }
        Kind::Http | Kind::HttpProxy => {
            out.insert("Uri".into(), i.uri.clone().unwrap_or(Value::Null));
            if let Some(id) = &i.vpc_link {
                out.insert("ConnectionType".into(), json!("VPC_LINK"));
                out.insert("ConnectionId".into(), id.clone());
            }
        }
        Kind::Mock => {}
    }
    if i.kind.maps() {
        let pass_through = i
            .pass_through
            .clone()
            .or_else(|| (i.kind == Kind::Lambda).then(|| "NEVER".to_string()));
        if let Some(pt) = pass_through {
            out.insert("PassthroughBehavior".into(), json!(pt));
        }
        if let Some(ch) = &i.content_handling {
            out.insert("ContentHandling".into(), json!(ch));
        }
        let templates = request_templates(i);
        if !templates.is_empty() {
            out.insert("RequestTemplates".into(), Value::Object(templates));
        }
        out.insert("IntegrationResponses".into(), integration_responses(h));
    }
    let parameters = matches!(i.kind, Kind::Lambda | Kind::Http | Kind::HttpProxy)
        && !h.request_parameters.is_empty();
    if parameters || i.is_async {
        let mut p = Map::new();
        if parameters {
            for name in h.request_parameters.keys() {
                let target = format!("integration.{}", name.trim_start_matches("method."));
                let value = i.mapped.get(name).cloned().unwrap_or_else(|| json!(name));
                p.insert(target, value);
            }
        }
        if i.is_async {
            p.insert(
                "integration.request.header.X-Amz-Invocation-Type".into(),
                json!("'Event'"),
            );
        }
        out.insert("RequestParameters".into(), Value::Object(p));
    }
    if let Some(t) = &i.transfer_mode {
        out.insert("ResponseTransferMode".into(), json!(t));
    }
    Value::Object(out)
}

/// The `lambda` integration's default templates (with the authorizer's claims), then the
/// user's, which replace or (`~`) remove them.
fn request_templates(i: &Integration) -> Map<String, Value> {
    let mut t = Map::new();
    if i.kind == Kind::Lambda {
        let claims: String = i
            .claims
            .iter()
            .map(|claim| match claim.split_once(':') {
                Some((_, sub)) => format!("\"{sub}\": \"$context.authorizer.claims['{claim}']\", "),
                None => format!("\"{claim}\": \"$context.authorizer.claims.{claim}\", "),
            })
            .collect();
        for (ty, body) in [
            ("application/json", BODY_JSON),
            ("application/x-www-form-urlencoded", BODY_FORM),
        ] {
            let tpl = LAMBDA_REQUEST
                .replace("__BODY__", body)
                .replace("__CLAIMS__", &claims);
            t.insert(ty.into(), json!(tpl));
        }
    }
    for (ty, tpl) in &i.templates {
        match tpl {
            Some(s) => {
                t.insert(ty.clone(), json!(s));
            }
            None => {
                t.shift_remove(ty);
            }
        }
    }
    t
}

/// The headers every response of a mapped integration carries: CORS's origin, then the
/// response's own.
fn common_headers(h: &Http, r: &Response) -> Map<String, Value> {
    let mut headers = Map::new();
    if let Some(cors) = &h.cors {
        headers.insert(
            "Access-Control-Allow-Origin".into(),
            json!(format!("'{}'", cors.origins.join(","))),
        );
        if cors.allow_credentials {
            headers.insert("Access-Control-Allow-Credentials".into(), json!("true"));
        }
    }
    for (k, v) in &r.headers {
        headers.insert(k.clone(), v.clone());
    }
    headers
}

fn integration_responses(h: &Http) -> Value {
    let Some(r) = &h.integration.response else {
        return json!([]);
    };
    let common = common_headers(h, r);
    let mapped = |headers: &Map<String, Value>| -> Map<String, Value> {
        headers
            .iter()
            .map(|(k, v)| (format!("method.response.header.{k}"), v.clone()))
            .collect()
    };
    let list: Vec<Value> = r
        .status_codes
        .iter()
        .map(|(code, s)| {
            let mut params = mapped(&common);
            params.extend(mapped(&s.headers));
            let mut templates = Map::new();
            if let Some(t) = &r.template {
                templates.insert("application/json".into(), json!(t));
            }
            templates.extend(s.templates.clone());
            let mut out = json!({
                "StatusCode": code,
                "SelectionPattern": s.pattern,
                "ResponseParameters": params,
                "ResponseTemplates": templates,
            });
            if code.starts_with('2') {
                if let Some(ch) = &r.content_handling {
                    out["ContentHandling"] = json!(ch);
                }
            }
            out
        })
        .collect();
    Value::Array(list)
}

/// The method's `MethodResponses`: one per status code of a mapped integration, declaring its
/// headers.
pub(super) fn method_responses(h: &Http) -> Value {
    let Some(r) = h
        .integration
        .response
        .as_ref()
        .filter(|_| h.integration.kind.maps())
    else {
        return json!([]);
    };
    let common = common_headers(h, r);
    let declared = |headers: &Map<String, Value>| -> Map<String, Value> {
        headers
            .keys()
            .map(|k| (format!("method.response.header.{k}"), json!(true)))
            .collect()
    };
    Value::Array(
        r.status_codes
            .iter()
            .map(|(code, s)| {
                let mut params = declared(&common);
                params.extend(declared(&s.headers));
                json!({ "ResponseParameters": params, "ResponseModels": {}, "StatusCode": code })
            })
            .collect(),
    )
}
