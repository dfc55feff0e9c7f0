//! Function settings that become types here, so the planner meets no shape it has to check:
//! `image`, `url`, `destinations`, `runtimeManagement`, `tracing` and `logs`.

use serde_json::{json, Map, Value};

use super::*;
use crate::error::KeyPath;
use crate::manifest::checker::{is_intrinsic, show, type_name, Checker};

/// `tracing: true | Active | PassThrough | false`.
pub(super) fn tracing(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<Tracing> {
    match v? {
        Value::Null | Value::Bool(false) => None,
        Value::Bool(true) => Some(Tracing::Active),
        Value::String(s) if s == "Active" => Some(Tracing::Active),
        Value::String(s) if s == "PassThrough" => Some(Tracing::PassThrough),
        other => {
            c.error(
                p,
                format!("tracing mode {} is not known", show(other)),
                "use true, Active or PassThrough",
            );
            None
        }
    }
}

/// `runtimeManagement: auto | onFunctionUpdate | { mode: manual, arn: … }`.
pub(super) fn runtime_management(
    v: Option<&Value>,
    p: &KeyPath,
    c: &mut Checker,
) -> Option<RuntimeManagement> {
    let hint = "use auto, onFunctionUpdate, or { mode: manual, arn: <runtime version ARN> }";
    match v? {
        Value::Null => None,
        Value::String(m) if m == "auto" => Some(RuntimeManagement::Auto),
        Value::String(m) if m == "onFunctionUpdate" => Some(RuntimeManagement::OnFunctionUpdate),
        Value::Object(m) => {
            c.unknown_keys(m, &["mode", "arn"], p);
            match (m.get("mode").and_then(Value::as_str), m.get("arn")) {
                (Some("auto"), _) => Some(RuntimeManagement::Auto),
                (Some("onFunctionUpdate"), _) => Some(RuntimeManagement::OnFunctionUpdate),
                (Some("manual"), Some(arn)) if arn.is_string() || is_intrinsic(arn) => {
                    Some(RuntimeManagement::Manual { arn: arn.clone() })
                }
                (Some("manual"), _) => {
                    c.error(
                        &p.key("arn"),
                        "runtimeManagement `manual` needs the runtime version's `arn`",
                        "add `arn: arn:aws:lambda:<region>::runtime:<hash>` (see the function's runtime settings in the console)",
                    );
                    None
                }
                _ => {
                    c.error(
                        p,
                        format!("runtimeManagement {} is not a mode Lambda has", show(v?)),
                        hint,
                    );
                    None
                }
            }
        }
        other => {
            c.error(
                p,
                format!("runtimeManagement {} is not a mode Lambda has", show(other)),
                hint,
            );
            None
        }
    }
}

/// `image: <uri>` or `image: { uri: … }`. (Images built from a `provider.ecr` name are not
/// supported; `provider.ecr` says so where it is read.)
pub(super) fn image(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<Image> {
    let hint = "write `image: <account>.dkr.ecr.<region>.amazonaws.com/repo@sha256:…`";
    match v? {
        Value::Null => None,
        uri @ Value::String(_) => Some(Image {
            uri: uri.clone(),
            config: Map::new(),
        }),
        v if is_intrinsic(v) => Some(Image {
            uri: v.clone(),
            config: Map::new(),
        }),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &["uri", "name", "command", "entryPoint", "workingDirectory"],
                p,
            );
            if m.contains_key("name") {
                c.error(
                    &p.key("name"),
                    "images built from `provider.ecr.images` are not supported by sls-rs yet",
                    "build and push the image yourself and give its `uri` (repo@sha256:…)",
                );
            }
            let mut config = Map::new();
            for (key, cfn) in [("command", "Command"), ("entryPoint", "EntryPoint")] {
                match m.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                        config.insert(cfn.into(), Value::Array(items.clone()));
                    }
                    Some(other) => c.error(
                        &p.key(key),
                        format!(
                            "image `{key}` must be a list of strings, not {}",
                            show(other)
                        ),
                        format!("write `{key}: [\"app.handler\"]`"),
                    ),
                }
            }
            if let Some(w) = c.opt_string(m, "workingDirectory", p) {
                config.insert("WorkingDirectory".into(), json!(w));
            }
            match m.get("uri") {
                Some(uri) if uri.is_string() || is_intrinsic(uri) => Some(Image {
                    uri: uri.clone(),
                    config,
                }),
                _ => {
                    c.error(&p.key("uri"), "the image has no `uri`", hint);
                    None
                }
            }
        }
        other => {
            c.error(
                p,
                format!("`image` must be a URI or a map, not {}", type_name(other)),
                hint,
            );
            None
        }
    }
}

/// `url: true` or `url: { authorizer, cors, invokeMode }`, with v3's CORS defaults.
pub(super) fn url(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<FunctionUrl> {
    match v? {
        Value::Null | Value::Bool(false) => None,
        Value::Bool(true) => Some(FunctionUrl {
            aws_iam: false,
            cors: None,
            invoke_mode: None,
        }),
        Value::Object(m) => {
            c.unknown_keys(m, &["authorizer", "cors", "invokeMode"], p);
            let aws_iam = match m.get("authorizer") {
                None | Some(Value::Null) => false,
                Some(Value::String(a)) if a.eq_ignore_ascii_case("aws_iam") => true,
                Some(other) => {
                    c.error(
                        &p.key("authorizer"),
                        format!("function URL authorizer {} is not known", show(other)),
                        "function URLs take `authorizer: aws_iam`, or no authorizer",
                    );
                    return None;
                }
            };
            let invoke_mode = match m.get("invokeMode") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s == "BUFFERED" || s == "RESPONSE_STREAM" => {
                    Some(json!(s))
                }
                Some(other) => {
                    c.error(
                        &p.key("invokeMode"),
                        format!("invoke mode {} is not one Lambda has", show(other)),
                        "use BUFFERED or RESPONSE_STREAM",
                    );
                    None
                }
            };
            let cors = match m.get("cors") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => None,
                Some(Value::Bool(true)) => Some(url_cors_defaults()),
                Some(Value::Object(cm)) => {
                    let cp = p.key("cors");
                    c.unknown_keys(
                        cm,
                        &URL_CORS_KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                        &cp,
                    );
                    let mut o = url_cors_defaults();
                    crate::cfn::copy_keys(&Value::Object(cm.clone()), URL_CORS_KEYS, &mut o);
                    Some(o)
                }
                Some(other) => {
                    c.error(
                        &p.key("cors"),
                        format!("`cors` must be true or a map, not {}", type_name(other)),
                        "write `cors: true`, or a map of allowedOrigins, allowedHeaders, …",
                    );
                    None
                }
            };
            Some(FunctionUrl {
                aws_iam,
                cors,
                invoke_mode,
            })
        }
        other => {
            c.error(
                p,
                format!("`url` must be true or a map, not {}", type_name(other)),
                "write `url: true`",
            );
            None
        }
    }
}

/// A function URL's CORS keys: v3's names → CloudFormation's.
const URL_CORS_KEYS: &[(&str, &str)] = &[
    ("allowedOrigins", "AllowOrigins"),
    ("allowedHeaders", "AllowHeaders"),
    ("allowedMethods", "AllowMethods"),
    ("allowCredentials", "AllowCredentials"),
    ("exposedResponseHeaders", "ExposeHeaders"),
    ("maxAge", "MaxAge"),
];

/// v3's CORS for a function URL, which a `cors:` map's keys override.
fn url_cors_defaults() -> Map<String, Value> {
    let mut o = Map::new();
    o.insert(
        "AllowHeaders".into(),
        json!([
            "Content-Type",
            "X-Amz-Date",
            "Authorization",
            "X-Api-Key",
            "X-Amz-Security-Token",
            "X-Amzn-Trace-Id"
        ]),
    );
    o.insert("AllowMethods".into(), json!(["*"]));
    o.insert("AllowOrigins".into(), json!(["*"]));
    o
}

/// `destinations: { onSuccess, onFailure }`. Function keys are checked against the service's
/// functions once all are read ([`check_destination_functions`]).
pub(super) fn destinations(
    v: Option<&Value>,
    p: &KeyPath,
    c: &mut Checker,
) -> Option<Destinations> {
    let m = match v? {
        Value::Null => return None,
        Value::Object(m) => m,
        other => {
            c.error(
                p,
                format!("`destinations` must be a map, not {}", type_name(other)),
                "write `destinations: { onFailure: arn:aws:sqs:… }`",
            );
            return None;
        }
    };
    c.unknown_keys(m, &["onSuccess", "onFailure"], p);
    let mut out = Destinations::default();
    for key in ["onSuccess", "onFailure"] {
        let Some(target) = m.get(key).filter(|t| !t.is_null()) else {
            continue;
        };
        let d = destination(target, &p.key(key), c);
        match key {
            "onSuccess" => out.on_success = d,
            _ => out.on_failure = d,
        }
    }
    Some(out)
}

fn destination(v: &Value, p: &KeyPath, c: &mut Checker) -> Option<Destination> {
    match v {
        Value::String(s) if s.starts_with("arn:") => {
            let service = s.split(':').nth(2).unwrap_or("");
            match kind_of(service) {
                Some(kind) => Some(Destination::Arn {
                    arn: json!(s),
                    kind,
                }),
                None => {
                    c.error(
                        p,
                        format!("a destination cannot be a `{service}` ARN"),
                        "use a Lambda function, SQS queue, SNS topic or EventBridge bus ARN",
                    );
                    None
                }
            }
        }
        Value::String(s) => Some(Destination::Function(s.clone())),
        Value::Object(m) if m.contains_key("arn") => {
            c.unknown_keys(m, &["arn", "type"], p);
            let kind = m.get("type").and_then(Value::as_str).and_then(kind_of);
            match kind {
                Some(kind) => Some(Destination::Arn {
                    arn: m["arn"].clone(),
                    kind,
                }),
                None => {
                    c.error(
                        p,
                        "cannot tell what kind of destination this is",
                        "give `type: sqs|sns|lambda|eventBus` beside an intrinsic `arn`",
                    );
                    None
                }
            }
        }
        other => {
            c.error(
                p,
                format!(
                    "destination {} is not an ARN or a function of this service",
                    show(other)
                ),
                "use an ARN (lambda, sqs, sns, events) or the key of a function in this file",
            );
            None
        }
    }
}

fn kind_of(name: &str) -> Option<DestinationKind> {
    match name {
        "lambda" | "function" => Some(DestinationKind::Lambda),
        "sqs" => Some(DestinationKind::Sqs),
        "sns" => Some(DestinationKind::Sns),
        "events" | "eventBus" => Some(DestinationKind::EventBus),
        _ => None,
    }
}

/// A destination naming a function must name one of this service's.
pub(super) fn check_destination_functions(s: &Service, c: &mut Checker) {
    for f in s.functions.values() {
        let Some(d) = &f.destinations else { continue };
        for (key, target) in [("onSuccess", &d.on_success), ("onFailure", &d.on_failure)] {
            if let Some(Destination::Function(name)) = target {
                if !s.functions.contains_key(name) {
                    c.error(
                        &KeyPath::root()
                            .key("functions")
                            .key(f.key.clone())
                            .key("destinations")
                            .key(key),
                        format!("destination `{name}` is not an ARN or a function of this service"),
                        "use an ARN (lambda, sqs, sns, events) or the key of a function in this file",
                    );
                }
            }
        }
    }
}

/// `logs:` on a function: format, levels and log group.
pub(super) fn logging(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<Logging> {
    const KEYS: &[(&str, &str)] = &[
        ("logFormat", "LogFormat"),
        ("applicationLogLevel", "ApplicationLogLevel"),
        ("systemLogLevel", "SystemLogLevel"),
        ("logGroup", "LogGroup"),
    ];
    let m = match v? {
        Value::Null => return None,
        Value::Object(m) => m,
        other => {
            c.error(
                p,
                format!("`logs` must be a map, not {}", type_name(other)),
                "write `logs: { logFormat: JSON }`",
            );
            return None;
        }
    };
    c.unknown_keys(m, &KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>(), p);
    let allowed: &[(&str, &[&str])] = &[
        ("logFormat", &["JSON", "Text"]),
        (
            "applicationLogLevel",
            &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"],
        ),
        ("systemLogLevel", &["DEBUG", "INFO", "WARN"]),
    ];
    for (key, values) in allowed {
        if let Some(Value::String(s)) = m.get(*key) {
            if !values.contains(&s.as_str()) {
                c.error(
                    &p.key(*key),
                    format!("`{s}` is not a {key} Lambda has"),
                    format!("use one of {}", values.join(", ")),
                );
            }
        }
    }
    let mut config = Map::new();
    crate::cfn::copy_keys(&Value::Object(m.clone()), KEYS, &mut config);
    (!config.is_empty()).then_some(Logging { config })
}

/// `vpc` (the provider's or a function's): its keys and their types. `~` (unset) and a
/// variable's intrinsic pass; the planner reads the values.
pub(super) fn check_vpc(v: Option<&Value>, p: &KeyPath, c: &mut Checker) {
    let Some(v) = v.filter(|v| !v.is_null() && !is_intrinsic(v)) else {
        return;
    };
    let Some(m) = c.map(v, p) else { return };
    c.unknown_keys(
        m,
        &["securityGroupIds", "subnetIds", "ipv6AllowedForDualStack"],
        p,
    );
    c.opt_bool(m, "ipv6AllowedForDualStack", p);
}

/// `logDataProtectionPolicy`: a CloudWatch Logs data protection policy document.
pub(super) fn log_data_protection_policy(
    v: Option<&Value>,
    p: &KeyPath,
    c: &mut Checker,
) -> Option<Value> {
    let v = v.filter(|v| !v.is_null())?;
    let m = c.map(v, p)?;
    c.unknown_keys(m, &["Name", "Description", "Version", "Statement"], p);
    if !m.contains_key("Statement") {
        c.error(
            &p.key("Statement"),
            "a data protection policy needs `Statement`",
            "add the audit and de-identify statements (see CloudWatch Logs data protection)",
        );
        return None;
    }
    Some(v.clone())
}

/// `recursiveLoop: Allow | Terminate`.
pub(super) fn recursive_loop(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<String> {
    let v = v.filter(|v| !v.is_null())?;
    match c.string(v, p)? {
        s if s == "Allow" || s == "Terminate" => Some(s),
        s => {
            c.error(
                p,
                format!("recursive loop setting `{s}` is not Allow or Terminate"),
                "write `recursiveLoop: Terminate` (Lambda's default) or `Allow`",
            );
            None
        }
    }
}

/// A request schema: `{schema, name, description}`, or the JSON schema itself (a map, or JSON
/// text).
pub(crate) fn request_schema(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<RequestSchema> {
    match v {
        Value::Object(m) if m.contains_key("schema") => {
            c.unknown_keys(m, &["schema", "name", "description"], path);
            Some(RequestSchema {
                schema: m["schema"].clone(),
                name: c.opt_string(m, "name", path),
                description: c.opt_string(m, "description", path),
            })
        }
        Value::Object(_) => Some(RequestSchema {
            schema: v.clone(),
            name: None,
            description: None,
        }),
        Value::String(s) if s.trim_start().starts_with('{') => Some(RequestSchema {
            schema: v.clone(),
            name: None,
            description: None,
        }),
        other => {
            c.error(
                path,
                format!(
                    "a request schema must be a JSON schema, not {}",
                    show(other)
                ),
                "write the schema as a map, or `${file(schema.json)}`",
            );
            None
        }
    }
}

/// `payload` of an HTTP API (the provider's or a function's): `1.0` or `2.0`.
pub(super) fn payload_version(
    m: &Map<String, Value>,
    p: &KeyPath,
    c: &mut Checker,
) -> Option<String> {
    let payload = c.opt_string(m, "payload", p)?;
    if payload != "1.0" && payload != "2.0" {
        c.error(
            &p.key("payload"),
            format!("payload format `{payload}` is not 1.0 or 2.0"),
            "write `payload: '2.0'` (quoted, so YAML keeps it a string)",
        );
        return None;
    }
    Some(payload)
}
