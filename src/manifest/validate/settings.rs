//! Function settings that become types here, so the planner meets no shape it has to check:
//! `image` (and `provider.ecr`, the images it names), `url`, `destinations`, `runtimeManagement`, `tracing` and `logs`.

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

/// Whether `s` is an image URI rather than the name of one of `provider.ecr.images`: an ECR
/// repository (`<account>.dkr.ecr.<region>.<suffix>/repo…`) or anything pinned by digest. A
/// name is what v3 takes any other string for.
pub fn is_image_uri(s: &str) -> bool {
    let ecr = s.split_once('/').is_some_and(|(host, repo)| {
        let parts: Vec<&str> = host.split('.').collect();
        parts.len() >= 5
            && !parts[0].is_empty()
            && parts[0].bytes().all(|b| b.is_ascii_digit())
            && parts[1] == "dkr"
            && parts[2] == "ecr"
            && !repo.is_empty()
    });
    ecr || s
        .split_once("@sha256:")
        .is_some_and(|(_, d)| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `image: <uri> | <name>` or `image: { uri | name, command, entryPoint, workingDirectory }`.
/// A name must be one of `provider.ecr.images` (`ecr`).
pub(super) fn image(v: Option<&Value>, p: &KeyPath, ecr: &Ecr, c: &mut Checker) -> Option<Image> {
    let hint = "write `image: <account>.dkr.ecr.<region>.amazonaws.com/repo@sha256:…`, or the name of one of `provider.ecr.images`";
    let named = |name: &str, at: &KeyPath, c: &mut Checker| {
        if !ecr.images.contains_key(name) {
            let known: Vec<&str> = ecr.images.keys().map(String::as_str).collect();
            c.error(
                at,
                format!("image `{name}` is neither an ECR image URI nor one of `provider.ecr.images`"),
                if known.is_empty() {
                    format!("define it under `provider.ecr.images.{name}` (`path:` to a directory with a Dockerfile, or `uri:`), or give the image's URI")
                } else {
                    format!("the images defined are {}; or give the image's URI", known.join(", "))
                },
            );
        }
        ImageSource::Named(name.to_string())
    };
    match v? {
        Value::Null => None,
        Value::String(s) if is_image_uri(s) => Some(Image {
            source: ImageSource::Uri(json!(s)),
            config: Map::new(),
        }),
        Value::String(s) => Some(Image {
            source: named(s, p, c),
            config: Map::new(),
        }),
        v if is_intrinsic(v) => Some(Image {
            source: ImageSource::Uri(v.clone()),
            config: Map::new(),
        }),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &["uri", "name", "command", "entryPoint", "workingDirectory"],
                p,
            );
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
            let uri = m.get("uri").filter(|v| !v.is_null());
            let name = m.get("name").filter(|v| !v.is_null());
            match (uri, name) {
                (Some(_), Some(_)) => {
                    c.error(
                        p,
                        "the image has both `uri` and `name`",
                        "give one: `uri` for an image pushed elsewhere, `name` for one of `provider.ecr.images`",
                    );
                    None
                }
                (Some(uri), None) if uri.is_string() || is_intrinsic(uri) => Some(Image {
                    source: ImageSource::Uri(uri.clone()),
                    config,
                }),
                (None, Some(Value::String(n))) => Some(Image {
                    source: named(n, &p.key("name"), c),
                    config,
                }),
                (Some(other), None) | (None, Some(other)) => {
                    let key = if uri.is_some() { "uri" } else { "name" };
                    c.error(
                        &p.key(key),
                        format!("image `{key}` must be a string, not {}", show(other)),
                        hint,
                    );
                    None
                }
                (None, None) => {
                    c.error(p, "the image has neither `uri` nor `name`", hint);
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

/// `provider.ecr: { scanOnPush, maxImageCount, images: { name: <path or uri> | {…} } }`, with
/// v3's rules: an image has a `uri` or a `path`, and build settings only with a `path`.
pub(super) fn ecr(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Ecr {
    let mut out = Ecr::default();
    let Some(m) = v.filter(|v| !v.is_null()).and_then(|v| c.map(v, p)) else {
        return out;
    };
    c.unknown_keys(m, &["scanOnPush", "maxImageCount", "images"], p);
    out.scan_on_push = c.opt_bool(m, "scanOnPush", p).unwrap_or(false);
    out.max_image_count = c.opt_int(m, "maxImageCount", p, 1, 10_000);
    let ip = p.key("images");
    let Some(images) = m.get("images").and_then(|v| c.map(v, &ip)) else {
        c.error(
            &ip,
            "`provider.ecr` has no `images`",
            "name each image: `images: { app: { path: ./ } }` builds ./Dockerfile",
        );
        return out;
    };
    const BUILD: &[&str] = &[
        "buildArgs",
        "buildOptions",
        "cacheFrom",
        "platform",
        "provenance",
        "file",
    ];
    for (name, v) in images {
        let np = ip.key(name.clone());
        let valid_name = !name.is_empty()
            && name.len() <= 128
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && name.as_bytes()[0].is_ascii_alphanumeric();
        if !valid_name {
            c.error(
                &np,
                format!("image name `{name}` cannot be a Docker tag"),
                "use letters, digits, `-`, `_` and `.`, starting with a letter or digit (the name tags the image)",
            );
            continue;
        }
        let image = match v {
            Value::String(s) if is_image_uri(s) => Some(EcrImage::Uri(s.clone())),
            Value::String(s) => Some(EcrImage::Build(ImageBuild {
                path: s.clone(),
                file: "Dockerfile".into(),
                build_args: IndexMap::new(),
                build_options: Vec::new(),
                cache_from: Vec::new(),
                platform: None,
                provenance: None,
            })),
            Value::Object(im) => {
                let mut keys = vec!["uri", "path"];
                keys.extend_from_slice(BUILD);
                c.unknown_keys(im, &keys, &np);
                let uri = c.opt_string(im, "uri", &np);
                let path = c.opt_string(im, "path", &np);
                match (uri, path) {
                    (Some(_), Some(_)) => {
                        c.error(
                            &np,
                            format!("image `{name}` has both `uri` and `path`"),
                            "give `path` to build it here, or `uri` for an image pushed elsewhere",
                        );
                        None
                    }
                    (None, None) => {
                        c.error(
                            &np,
                            format!("image `{name}` has neither `uri` nor `path`"),
                            "give `path` (a directory with a Dockerfile) to build it, or `uri`",
                        );
                        None
                    }
                    (Some(uri), None) => {
                        for key in BUILD
                            .iter()
                            .filter(|k| im.get(**k).is_some_and(|v| !v.is_null()))
                        {
                            c.error(
                                &np.key(*key),
                                format!("image `{name}` has `{key}` and a `uri`; an image given by URI is not built"),
                                format!("remove `{key}`, or build the image here with `path` instead of `uri`"),
                            );
                        }
                        if !is_image_uri(&uri) {
                            c.error(
                                &np.key("uri"),
                                format!("`{uri}` is not an ECR image URI"),
                                "write `<account>.dkr.ecr.<region>.amazonaws.com/repo:tag` or `…/repo@sha256:…`",
                            );
                        }
                        Some(EcrImage::Uri(uri))
                    }
                    (None, Some(path)) => {
                        let build_args = string_entries(im, "buildArgs", &np, c);
                        Some(EcrImage::Build(ImageBuild {
                            path,
                            file: c
                                .opt_string(im, "file", &np)
                                .unwrap_or_else(|| "Dockerfile".into()),
                            build_args,
                            build_options: string_list(im, "buildOptions", &np, c),
                            cache_from: string_list(im, "cacheFrom", &np, c),
                            platform: c.opt_string(im, "platform", &np),
                            provenance: c.opt_string(im, "provenance", &np),
                        }))
                    }
                }
            }
            other => {
                c.error(
                    &np,
                    format!(
                        "image `{name}` must be a path, a URI or a map, not {}",
                        type_name(other)
                    ),
                    "write `path: ./` to build ./Dockerfile, or `uri: …`",
                );
                None
            }
        };
        if let Some(image) = image {
            out.images.insert(name.clone(), image);
        }
    }
    out
}

/// A list of strings (`buildOptions`, `cacheFrom`).
fn string_list(m: &Map<String, Value>, key: &str, p: &KeyPath, c: &mut Checker) -> Vec<String> {
    match m.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| c.string(v, &p.key(key).index(i)))
            .collect(),
        Some(other) => {
            c.error(
                &p.key(key),
                format!("`{key}` must be a list of strings, not {}", show(other)),
                format!("write `{key}: [\"…\"]`"),
            );
            Vec::new()
        }
    }
}

/// A map of names to strings (`buildArgs`).
fn string_entries(
    m: &Map<String, Value>,
    key: &str,
    p: &KeyPath,
    c: &mut Checker,
) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    match m.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (k, v) in entries {
                if let Some(s) = c.string(v, &p.key(key).key(k.clone())) {
                    out.insert(k.clone(), s);
                }
            }
        }
        Some(other) => c.error(
            &p.key(key),
            format!(
                "`{key}` must be a map of names to values, not {}",
                show(other)
            ),
            format!("write `{key}: {{ NAME: value }}`"),
        ),
    }
    out
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
