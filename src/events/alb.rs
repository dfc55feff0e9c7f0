//! `alb` events: the function as the target of an Application Load Balancer listener rule, and
//! `provider.alb` (a prefix for generated target group names, and the cognito/oidc
//! authorizers a rule can run first).
//!
//! As v3: one target group per function and load balancer (and multi-value setting), one
//! listener rule per event, two permissions per function. Where v3 silently keeps the last of
//! two clashing events (one rule ID, or one target group with different settings) or compiles a
//! rule with no priority or no condition, sls-rs says so instead.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use crate::error::{Diagnostic, KeyPath};
use crate::manifest::checker::{is_intrinsic, show, type_name, Checker};
use crate::naming;
use crate::plan::Compiler;

const EVENT_KEYS: &[&str] = &[
    "listenerArn",
    "priority",
    "conditions",
    "authorizer",
    "healthCheck",
    "multiValueHeaders",
    "targetGroupName",
];
const CONDITION_KEYS: &[&str] = &["path", "host", "method", "header", "query", "ip"];
/// The conditions that are lists of strings of some characters: the key, the longest value, the
/// characters allowed (v3's schema) and how to say them.
type Chars = (&'static str, usize, fn(char) -> bool, &'static str);
const CHARS: &[Chars] = &[
    (
        "path",
        128,
        |ch| ch.is_ascii_alphanumeric() || "*?_.$/~\"'@:+-&".contains(ch),
        ", made of letters, digits and * ? _ . $ / ~ \" ' @ : + - &",
    ),
    (
        "host",
        128,
        |ch| ch.is_ascii_alphanumeric() || "*?.-".contains(ch),
        ", made of letters, digits and * ? . -",
    ),
    (
        "method",
        40,
        |ch| ch.is_ascii_uppercase() || ch == '_' || ch == '-',
        " in capitals (GET, POST, …)",
    ),
];
const HEALTH_KEYS: &[&str] = &[
    "path",
    "intervalSeconds",
    "timeoutSeconds",
    "healthyThresholdCount",
    "unhealthyThresholdCount",
    "matcher",
];

#[derive(Debug, Clone)]
pub struct Alb {
    /// The user's value: an ARN, or `{Ref: <listener>}`.
    pub listener_arn: Value,
    /// The load balancer's ID in the ARN (the listener's logical ID for `{Ref}`): target groups
    /// are named after it.
    pub alb_id: String,
    /// The listener's ID (its logical ID for `{Ref}`): priorities are unique per listener.
    pub listener_id: String,
    pub priority: i64,
    pub conditions: Conditions,
    pub authorizers: Vec<String>,
    /// `None`: health checks off.
    pub health_check: Option<HealthCheck>,
    pub multi_value_headers: bool,
    pub target_group_name: Option<String>,
    pub key_path: KeyPath,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    pub path: Vec<String>,
    pub host: Vec<String>,
    pub method: Vec<String>,
    pub headers: Vec<(String, Vec<String>)>,
    pub query: Vec<(String, String)>,
    pub ip: Vec<String>,
}

/// v3's defaults: `/`, every 35 s, 30 s timeout, 5 and 5, HTTP 200.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub path: String,
    pub interval: i64,
    pub timeout: i64,
    pub healthy: i64,
    pub unhealthy: i64,
    pub http_code: String,
}

/// `provider.alb`.
#[derive(Debug, Clone, Default)]
pub struct AlbSettings {
    pub target_group_prefix: String,
    pub authorizers: IndexMap<String, Authorizer>,
}

/// A listener rule's authentication action, less its `Order`.
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// `authenticate-cognito` or `authenticate-oidc`.
    pub action: &'static str,
    /// `AuthenticateCognitoConfig` or `AuthenticateOidcConfig`.
    pub config_key: &'static str,
    pub config: Map<String, Value>,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Alb> {
    let Value::Object(m) = v else {
        c.error(
            path,
            format!("an alb event must be a map, not {} ({})", type_name(v), show(v)),
            "write `alb: { listenerArn: arn:aws:elasticloadbalancing:…, priority: 1, conditions: { path: /hello } }`",
        );
        return None;
    };
    c.unknown_keys(m, EVENT_KEYS, path);
    let (listener_arn, alb_id, listener_id) =
        listener(m.get("listenerArn"), &path.key("listenerArn"), c)?;
    let priority = match m.get("priority") {
        None | Some(Value::Null) => {
            c.error(
                &path.key("priority"),
                "alb event has no `priority`",
                "add `priority:` (1 to 50000, unique on the listener): it orders the listener's rules",
            );
            None
        }
        Some(_) => c.opt_int(m, "priority", path, 1, 50000),
    };
    let conditions = conditions(m.get("conditions"), &path.key("conditions"), c);
    let authorizers = match m.get("authorizer") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v, &path.key("authorizer"), c, 0, |_| true, "")?,
    };
    let health_check = health_check(m.get("healthCheck"), &path.key("healthCheck"), c);
    let multi_value_headers = c.opt_bool(m, "multiValueHeaders", path).unwrap_or(false);
    let target_group_name = c.opt_string(m, "targetGroupName", path);
    if let Some(n) = &target_group_name {
        if n.is_empty()
            || n.len() > 32
            || !n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            c.error(
                &path.key("targetGroupName"),
                format!("`{n}` is not a target group name"),
                "use 1 to 32 letters, digits and hyphens",
            );
            return None;
        }
    }
    Some(Alb {
        listener_arn,
        alb_id,
        listener_id,
        priority: priority?,
        conditions: conditions?,
        authorizers,
        health_check: health_check?,
        multi_value_headers,
        target_group_name,
        key_path: path.clone(),
    })
}

/// The listener as written, the load balancer's ID and the listener's.
fn listener(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<(Value, String, String)> {
    const HINT: &str = "write the listener's ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>), or `{Ref: <listener>}` for one under `resources:`";
    match v {
        None | Some(Value::Null) => {
            c.error(p, "alb event has no `listenerArn`", HINT);
            None
        }
        Some(Value::String(s)) => match parse_listener_arn(s) {
            Some((alb, listener)) => Some((json!(s), alb, listener)),
            None => {
                c.error(
                    p,
                    format!("`{s}` is not the ARN of an Application Load Balancer listener"),
                    HINT,
                );
                None
            }
        },
        Some(Value::Object(o))
            if o.len() == 1
                && o.get("Ref")
                    .is_some_and(|r| r.as_str().is_some_and(|r| !r.is_empty())) =>
        {
            let r = o["Ref"].as_str().unwrap_or_default().to_string();
            Some((Value::Object(o.clone()), r.clone(), r))
        }
        Some(other) => {
            c.error(
                p,
                format!("`listenerArn` must be an ARN or `{{Ref: <listener>}}`, not {}", show(other)),
                format!("{HINT}; v3 names the target group after the load balancer's ID, so it must be known when packaging"),
            );
            None
        }
    }
}

/// `arn:aws[-…]:elasticloadbalancing:…:listener/app/<name>/<lb id>/<listener id>` →
/// `(lb id, listener id)`.
fn parse_listener_arn(arn: &str) -> Option<(String, String)> {
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    };
    let rest = arn.strip_prefix("arn:aws")?;
    let (partition_tail, rest) = rest.split_once(':')?;
    if !partition_tail.is_empty() && !word(partition_tail) {
        return None;
    }
    let rest = rest.strip_prefix("elasticloadbalancing:")?;
    let (middle, resource) = rest.rsplit_once(":listener/app/")?;
    if middle.is_empty() {
        return None;
    }
    let parts: Vec<&str> = resource.split('/').collect();
    match parts.as_slice() {
        [name, lb, listener] if word(name) && word(lb) && word(listener) => {
            Some((lb.to_string(), listener.to_string()))
        }
        _ => None,
    }
}

/// One string or a list of them, each at most `max` characters (0: any) and `ok`.
fn strings(
    v: &Value,
    p: &KeyPath,
    c: &mut Checker,
    max: usize,
    ok: impl Fn(&str) -> bool,
    allowed: &str,
) -> Option<Vec<String>> {
    let items: Vec<(KeyPath, &Value)> = match v {
        Value::Array(a) => a.iter().enumerate().map(|(i, x)| (p.index(i), x)).collect(),
        other => vec![(p.clone(), other)],
    };
    if items.is_empty() {
        c.error(
            p,
            format!("`{p}` is an empty list"),
            "give at least one value, or remove it",
        );
        return None;
    }
    let mut out = Vec::new();
    for (ip, x) in items {
        let s = match x {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                c.error(
                    &ip,
                    format!("`{ip}` must be a string, not {}", type_name(other)),
                    "write a plain value",
                );
                return None;
            }
        };
        if s.is_empty() || (max > 0 && s.len() > max) || !ok(&s) {
            let limit = if max > 0 {
                format!(" of up to {max} characters")
            } else {
                String::new()
            };
            c.error(
                &ip,
                format!("`{s}` is not a valid value here"),
                format!("use a value{limit}{allowed}"),
            );
            return None;
        }
        out.push(s);
    }
    Some(out)
}

fn conditions(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<Conditions> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        c.error(
            p,
            "alb event has no `conditions`",
            "add `conditions:` with at least one of path, host, method, header, query, ip",
        );
        return None;
    };
    let m = c.map(v, p)?;
    c.unknown_keys(m, CONDITION_KEYS, p);
    let mut out = Conditions::default();
    let mut any = false;
    for key in CONDITION_KEYS {
        let Some(v) = m.get(*key).filter(|v| !v.is_null()) else {
            continue;
        };
        any = true;
        let kp = p.key(*key);
        if let Some((_, max, ok, allowed)) = CHARS.iter().find(|(k, ..)| k == key) {
            let values = strings(v, &kp, c, *max, |s| s.chars().all(ok), allowed)?;
            match *key {
                "path" => out.path = values,
                "host" => out.host = values,
                _ => out.method = values,
            }
            continue;
        }
        match *key {
            "ip" => {
                out.ip = strings(
                    v,
                    &kp,
                    c,
                    0,
                    |s| s.contains('/') || s.contains(':') || s.contains('.'),
                    " such as 10.0.0.0/8 (a CIDR block)",
                )?
            }
            "header" => {
                let items: Vec<(KeyPath, &Value)> = match v {
                    Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (kp.index(i), x))
                        .collect(),
                    other => vec![(kp.clone(), other)],
                };
                for (hp, h) in items {
                    let hm = c.map(h, &hp)?;
                    c.unknown_keys(hm, &["name", "values"], &hp);
                    let Some(name) = c.opt_string(hm, "name", &hp) else {
                        c.error(
                            &hp.key("name"),
                            "a header condition has no `name`",
                            "add `name: X-Header-Name`",
                        );
                        return None;
                    };
                    if name.is_empty() || name.len() > 40 {
                        c.error(
                            &hp.key("name"),
                            format!("`{name}` is not a header name"),
                            "use a name of 1 to 40 characters",
                        );
                        return None;
                    }
                    let Some(values) = hm.get("values").filter(|v| !v.is_null()) else {
                        c.error(
                            &hp.key("values"),
                            "a header condition has no `values`",
                            "add `values: [value]`",
                        );
                        return None;
                    };
                    let values = strings(values, &hp.key("values"), c, 128, |_| true, "")?;
                    out.headers.push((name, values));
                }
            }
            "query" => {
                let qm = c.map(v, &kp)?;
                if qm.is_empty() {
                    c.error(
                        &kp,
                        "`query` has no parameters",
                        "add `name: value` pairs, or remove it",
                    );
                    return None;
                }
                for (k, x) in qm {
                    let value = c.string(x, &kp.key(k.clone()))?;
                    if k.len() > 128 || value.len() > 128 {
                        c.error(
                            &kp.key(k.clone()),
                            "a query condition's name and value are at most 128 characters",
                            "shorten them",
                        );
                        return None;
                    }
                    out.query.push((k.clone(), value));
                }
            }
            _ => unreachable!("every condition key is handled"),
        }
    }
    if !any {
        c.error(
            p,
            "alb event has no condition",
            "add at least one of path, host, method, header, query, ip",
        );
        return None;
    }
    Some(out)
}

/// `Some(None)`: off; `None`: an error was reported.
fn health_check(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<Option<HealthCheck>> {
    let mut h = HealthCheck {
        path: "/".into(),
        interval: 35,
        timeout: 30,
        healthy: 5,
        unhealthy: 5,
        http_code: "200".into(),
    };
    let m = match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Some(None),
        Some(Value::Bool(true)) => return Some(Some(h)),
        Some(other) => c.map(other, p)?,
    };
    c.unknown_keys(m, HEALTH_KEYS, p);
    if let Some(path) = c.opt_string(m, "path", p) {
        if path.is_empty() || path.len() > 1024 {
            c.error(
                &p.key("path"),
                "a health check path has 1 to 1024 characters",
                "write a path such as /health",
            );
            return None;
        }
        h.path = path;
    }
    let ints = [
        ("intervalSeconds", 5, 300),
        ("timeoutSeconds", 2, 120),
        ("healthyThresholdCount", 2, 10),
        ("unhealthyThresholdCount", 2, 10),
    ];
    for (key, lo, hi) in ints {
        let present = m.get(key).is_some_and(|v| !v.is_null());
        let n = c.opt_int(m, key, p, lo, hi);
        if present && n.is_none() {
            return None;
        }
        if let Some(n) = n {
            *match key {
                "intervalSeconds" => &mut h.interval,
                "timeoutSeconds" => &mut h.timeout,
                "healthyThresholdCount" => &mut h.healthy,
                _ => &mut h.unhealthy,
            } = n;
        }
    }
    if h.timeout >= h.interval {
        c.error(
            &p.key("timeoutSeconds"),
            format!(
                "the health check's timeout ({} s) must be shorter than its interval ({} s)",
                h.timeout, h.interval
            ),
            "lower timeoutSeconds or raise intervalSeconds (defaults: 30 and 35)",
        );
        return None;
    }
    if let Some(mv) = m.get("matcher").filter(|v| !v.is_null()) {
        let mp = p.key("matcher");
        let mm = c.map(mv, &mp)?;
        c.unknown_keys(mm, &["httpCode"], &mp);
        if let Some(code) = c.opt_string(mm, "httpCode", &mp) {
            if !http_codes(&code) {
                c.error(
                    &mp.key("httpCode"),
                    format!("`{code}` is not a list of HTTP codes"),
                    "write codes and ranges such as 200, 200,202 or 200-299",
                );
                return None;
            }
            h.http_code = code;
        }
    }
    Some(Some(h))
}

/// `200`, `200,202`, `200-299`: three digits, ranges, separated by commas.
fn http_codes(s: &str) -> bool {
    let code = |x: &str| x.len() == 3 && x.chars().all(|ch| ch.is_ascii_digit());
    s.split(',').all(|part| match part.split_once('-') {
        Some((a, b)) => code(a) && code(b),
        None => code(part),
    })
}

/// `provider.alb`.
pub fn parse_settings(v: &Value, p: &KeyPath, c: &mut Checker) -> AlbSettings {
    let mut out = AlbSettings::default();
    let Some(m) = c.map(v, p) else { return out };
    c.unknown_keys(m, &["targetGroupPrefix", "authorizers"], p);
    if let Some(prefix) = c.opt_string(m, "targetGroupPrefix", p) {
        if prefix.len() > 16
            || !prefix
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            c.error(
                &p.key("targetGroupPrefix"),
                format!("`{prefix}` is not a target group name prefix"),
                "use up to 16 letters, digits and hyphens (the name's other 16 or more characters are a hash)",
            );
        } else {
            out.target_group_prefix = prefix;
        }
    }
    if let Some(a) = m.get("authorizers").filter(|v| !v.is_null()) {
        let ap = p.key("authorizers");
        if let Some(am) = c.map(a, &ap) {
            for (name, spec) in am {
                if let Some(auth) = authorizer(spec, &ap.key(name.clone()), c) {
                    out.authorizers.insert(name.clone(), auth);
                }
            }
        }
    }
    out
}

const SHARED_AUTH_KEYS: &[&str] = &[
    "type",
    "onUnauthenticatedRequest",
    "requestExtraParams",
    "scope",
    "sessionCookieName",
    "sessionTimeout",
];

fn authorizer(v: &Value, p: &KeyPath, c: &mut Checker) -> Option<Authorizer> {
    let m = c.map(v, p)?;
    let kind = c.opt_string(m, "type", p);
    let (action, config_key, own): (&'static str, &'static str, &[(&str, &str, bool)]) =
        match kind.as_deref() {
            Some("cognito") => (
                "authenticate-cognito",
                "AuthenticateCognitoConfig",
                &[
                    ("userPoolArn", "UserPoolArn", true),
                    ("userPoolClientId", "UserPoolClientId", true),
                    ("userPoolDomain", "UserPoolDomain", true),
                ],
            ),
            Some("oidc") => (
                "authenticate-oidc",
                "AuthenticateOidcConfig",
                &[
                    ("authorizationEndpoint", "AuthorizationEndpoint", true),
                    ("clientId", "ClientId", true),
                    ("issuer", "Issuer", true),
                    ("tokenEndpoint", "TokenEndpoint", true),
                    ("userInfoEndpoint", "UserInfoEndpoint", true),
                    ("clientSecret", "ClientSecret", false),
                ],
            ),
            other => {
                c.error(
                    &p.key("type"),
                    match other {
                        Some(t) => format!("`{t}` is not an ALB authorizer type"),
                        None => "an ALB authorizer has no `type`".to_string(),
                    },
                    "use `type: cognito` or `type: oidc`",
                );
                return None;
            }
        };
    let mut known: Vec<&str> = SHARED_AUTH_KEYS.to_vec();
    known.extend(own.iter().map(|(k, _, _)| *k));
    c.unknown_keys(m, &known, p);
    let mut config = Map::new();
    for (key, cfn, required) in own.iter().filter(|(k, _, _)| *k != "clientSecret") {
        match m.get(*key).filter(|v| !v.is_null()) {
            Some(v) if v.is_string() || is_intrinsic(v) => {
                config.insert(cfn.to_string(), v.clone());
            }
            Some(other) => {
                c.error(
                    &p.key(*key),
                    format!(
                        "`{}` must be a string, not {}",
                        p.key(*key),
                        type_name(other)
                    ),
                    "write a plain value",
                );
                return None;
            }
            None if *required => {
                c.error(
                    &p.key(*key),
                    format!(
                        "this {} authorizer needs `{key}`",
                        kind.as_deref().unwrap_or_default()
                    ),
                    format!("add `{key}:`"),
                );
                return None;
            }
            None => {}
        }
    }
    let on_unauth = c
        .opt_string(m, "onUnauthenticatedRequest", p)
        .unwrap_or_else(|| "deny".into());
    if !["allow", "authenticate", "deny"].contains(&on_unauth.as_str()) {
        c.error(
            &p.key("onUnauthenticatedRequest"),
            format!("`{on_unauth}` is not a choice here"),
            "use allow, authenticate or deny",
        );
        return None;
    }
    config.insert("OnUnauthenticatedRequest".into(), json!(on_unauth));
    if let Some(extra) = m.get("requestExtraParams").filter(|v| !v.is_null()) {
        let params = c.string_map(m, "requestExtraParams", p);
        if params.len() > 10 {
            c.error(
                &p.key("requestExtraParams"),
                "at most 10 extra request parameters are allowed",
                "remove some",
            );
            return None;
        }
        if extra.is_object() {
            config.insert("AuthenticationRequestExtraParams".into(), json!(params));
        }
    }
    if let Some(s) = c.opt_string(m, "scope", p) {
        config.insert("Scope".into(), json!(s));
    }
    if let Some(s) = c.opt_string(m, "sessionCookieName", p) {
        config.insert("SessionCookieName".into(), json!(s));
    }
    if m.contains_key("sessionTimeout") {
        if let Some(t) = c.opt_int(m, "sessionTimeout", p, 0, 604800) {
            config.insert("SessionTimeout".into(), json!(t));
        }
    }
    if action == "authenticate-oidc" {
        match m.get("clientSecret").filter(|v| !v.is_null()) {
            Some(s) if s.is_string() || is_intrinsic(s) => {
                config.insert("ClientSecret".into(), s.clone());
            }
            Some(other) => {
                c.error(
                    &p.key("clientSecret"),
                    format!("`clientSecret` must be a string, not {}", type_name(other)),
                    "write a plain value",
                );
                return None;
            }
            // As v3: without a secret, the listener keeps the one it has.
            None => {
                config.insert("UseExistingClientSecret".into(), json!(true));
            }
        }
    }
    Some(Authorizer {
        action,
        config_key,
        config,
    })
}

/// The target groups, listener rules and permissions of every `alb` event.
pub(crate) fn compile(c: &mut Compiler) {
    let events = super::of_kind(c.service, |e| match e {
        super::Event::Alb(a) => Some(a),
        _ => None,
    });
    if events.is_empty() {
        return;
    }
    let svc = c.service;
    let settings = &svc.provider.alb;
    let (service, stage) = (svc.name.as_str(), svc.stage.as_str());
    let mut diags = Vec::new();
    // Target groups, in the order first named; with the event that named each.
    let mut groups: IndexMap<String, (Value, &Alb)> = IndexMap::new();
    let mut rules: IndexMap<String, Value> = IndexMap::new();
    // Per function: the target group of its last event (v3 scopes the permission to it).
    let mut last_group: IndexMap<&str, String> = IndexMap::new();
    let mut priorities: Vec<(&str, &str, i64)> = Vec::new();
    for (f, e) in &events {
        if let Some(other) = priorities
            .iter()
            .find(|(_, l, p)| *l == e.listener_id && *p == e.priority)
        {
            diags.push(
                Diagnostic::error(format!(
                    "priority {} is already used on this listener (by function `{}`)",
                    e.priority, other.0
                ))
                .at(&e.key_path.key("priority"))
                .hint("each rule of a listener needs its own priority"),
            );
        }
        let rule_id = naming::alb_listener_rule_id(&f.key, e.priority);
        if rules.contains_key(&rule_id) {
            diags.push(
                Diagnostic::error(format!("function `{}` has two alb events with priority {}", f.key, e.priority))
                    .at(&e.key_path.key("priority"))
                    .hint("give each of a function's alb events its own priority (v3 names the rule after the function and the priority, even on different listeners)"),
            );
            continue;
        }
        priorities.push((&f.key, &e.listener_id, e.priority));
        if e.target_group_name.is_some() && !settings.target_group_prefix.is_empty() {
            diags.push(
                Diagnostic::error("`targetGroupName` and `provider.alb.targetGroupPrefix` cannot both be set")
                    .at(&e.key_path.key("targetGroupName"))
                    .hint("keep one: the prefix names every generated target group, targetGroupName this one"),
            );
        }
        for name in &e.authorizers {
            if !settings.authorizers.contains_key(name) {
                let known: Vec<&str> = settings.authorizers.keys().map(|k| k.as_str()).collect();
                diags.push(
                    Diagnostic::error(format!("no ALB authorizer is named `{name}`"))
                        .at(&e.key_path.key("authorizer"))
                        .hint(if known.is_empty() {
                            "define it under provider.alb.authorizers".to_string()
                        } else {
                            format!("provider.alb.authorizers has {}", known.join(", "))
                        }),
                );
            }
        }
        let group_id = naming::alb_target_group_id(&f.key, &e.alb_id, e.multi_value_headers);
        match groups.get(&group_id) {
            Some((_, first))
                if first.health_check != e.health_check
                    || first.target_group_name != e.target_group_name =>
            {
                diags.push(
                    Diagnostic::error(format!(
                        "function `{}` has alb events on one load balancer with different target group settings",
                        f.key
                    ))
                    .at(&e.key_path)
                    .hint("they share one target group (v3 makes one per function and load balancer): give them the same healthCheck and targetGroupName"),
                );
            }
            Some(_) => {}
            None => {
                let group = target_group(c, &f.key, e, service, stage);
                groups.insert(group_id.clone(), (group, e));
            }
        }
        last_group.insert(&f.key, group_id.clone());
        rules.insert(rule_id, listener_rule(settings, e, &group_id));
    }
    c.diags.extend(diags);
    for (id, (group, _)) in groups {
        c.add(id, group);
    }
    for (id, rule) in rules {
        c.add(id, rule);
    }
    for (function, group) in last_group {
        c.add(
            naming::alb_permission_id(function),
            crate::plan::permission(
                function,
                "elasticloadbalancing.amazonaws.com",
                Some(json!({ "Ref": group })),
            ),
        );
        c.add(
            naming::alb_register_target_permission_id(function),
            crate::plan::permission(function, "elasticloadbalancing.amazonaws.com", None),
        );
    }
}

fn target_group(c: &Compiler, function: &str, e: &Alb, service: &str, stage: &str) -> Value {
    let name = e.target_group_name.clone().unwrap_or_else(|| {
        naming::alb_target_group_name(
            &c.service.provider.alb.target_group_prefix,
            service,
            stage,
            function,
            &e.alb_id,
            e.multi_value_headers,
        )
    });
    let mut p = Map::new();
    p.insert("TargetType".into(), json!("lambda"));
    p.insert(
        "Targets".into(),
        json!([{ "Id": Compiler::function_arn(function) }]),
    );
    p.insert("Name".into(), json!(name));
    p.insert(
        "Tags".into(),
        json!([{ "Key": "Name", "Value": naming::alb_target_group_tag(service, stage, function, &e.alb_id, false) }]),
    );
    p.insert(
        "TargetGroupAttributes".into(),
        json!([{ "Key": "lambda.multi_value_headers.enabled", "Value": e.multi_value_headers }]),
    );
    match &e.health_check {
        None => {
            p.insert("HealthCheckEnabled".into(), json!(false));
        }
        Some(h) => {
            p.insert("HealthCheckEnabled".into(), json!(true));
            p.insert("HealthCheckPath".into(), json!(h.path));
            p.insert("HealthCheckIntervalSeconds".into(), json!(h.interval));
            p.insert("HealthCheckTimeoutSeconds".into(), json!(h.timeout));
            p.insert("HealthyThresholdCount".into(), json!(h.healthy));
            p.insert("UnhealthyThresholdCount".into(), json!(h.unhealthy));
            p.insert("Matcher".into(), json!({ "HttpCode": h.http_code }));
        }
    }
    json!({
        "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Properties": p,
        "DependsOn": [naming::alb_register_target_permission_id(function)],
    })
}

fn listener_rule(settings: &AlbSettings, e: &Alb, group_id: &str) -> Value {
    let mut actions = Vec::new();
    for (i, name) in e.authorizers.iter().enumerate() {
        let Some(a) = settings.authorizers.get(name) else {
            continue;
        };
        let mut action = Map::new();
        action.insert("Type".into(), json!(a.action));
        action.insert("Order".into(), json!(i + 1));
        action.insert(a.config_key.into(), Value::Object(a.config.clone()));
        actions.push(Value::Object(action));
    }
    let mut forward = Map::new();
    forward.insert("Type".into(), json!("forward"));
    forward.insert("TargetGroupArn".into(), json!({ "Ref": group_id }));
    if !e.authorizers.is_empty() {
        forward.insert("Order".into(), json!(e.authorizers.len() + 1));
    }
    actions.push(Value::Object(forward));
    let k = &e.conditions;
    let mut conditions = Vec::new();
    if !k.path.is_empty() {
        conditions.push(json!({ "Field": "path-pattern", "Values": k.path }));
    }
    if !k.host.is_empty() {
        conditions
            .push(json!({ "Field": "host-header", "HostHeaderConfig": { "Values": k.host } }));
    }
    if !k.method.is_empty() {
        conditions.push(json!({ "Field": "http-request-method", "HttpRequestMethodConfig": { "Values": k.method } }));
    }
    for (name, values) in &k.headers {
        conditions.push(json!({ "Field": "http-header", "HttpHeaderConfig": { "HttpHeaderName": name, "Values": values } }));
    }
    if !k.query.is_empty() {
        let values: Vec<Value> = k
            .query
            .iter()
            .map(|(key, v)| json!({ "Key": key, "Value": v }))
            .collect();
        conditions
            .push(json!({ "Field": "query-string", "QueryStringConfig": { "Values": values } }));
    }
    if !k.ip.is_empty() {
        conditions.push(json!({ "Field": "source-ip", "SourceIpConfig": { "Values": k.ip } }));
    }
    json!({
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "Actions": actions,
            "Conditions": conditions,
            "ListenerArn": e.listener_arn,
            "Priority": e.priority,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_arns_give_the_load_balancer_and_listener() {
        assert_eq!(
            parse_listener_arn("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/my-lb/50dc6c495c0c9188/f2f7dc8efc522ab2"),
            Some(("50dc6c495c0c9188".into(), "f2f7dc8efc522ab2".into()))
        );
        assert!(parse_listener_arn(
            "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:1:listener/app/lb/abc/def"
        )
        .is_some());
        assert_eq!(
            parse_listener_arn("arn:aws:elasticloadbalancing:us-east-1:1:listener/net/lb/abc/def"),
            None
        );
        assert_eq!(
            parse_listener_arn("arn:aws:elasticloadbalancing:us-east-1:1:listener/app/lb/abc"),
            None
        );
        assert_eq!(parse_listener_arn("not-an-arn"), None);
    }

    #[test]
    fn http_codes_are_codes_and_ranges() {
        assert!(http_codes("200"));
        assert!(http_codes("200,202"));
        assert!(http_codes("200-299,302"));
        assert!(!http_codes("20"));
        assert!(!http_codes("200,"));
        assert!(!http_codes("ok"));
    }
}
