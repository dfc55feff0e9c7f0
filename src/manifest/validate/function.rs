//! `functions:` and `layers:` — each function's settings, events and handler module.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::*;
use crate::error::{did_you_mean, KeyPath};
use crate::manifest::checker::{type_name, Checker};
use crate::manifest::runtimes::{self, Language};
use crate::naming;

const FUNCTION_KEYS: &[&str] = &[
    "handler",
    "image",
    "runtime",
    "memorySize",
    "timeout",
    "description",
    "name",
    "environment",
    "role",
    "architecture",
    "ephemeralStorage",
    "ephemeralStorageSize",
    "reservedConcurrency",
    "provisionedConcurrency",
    "tracing",
    "vpc",
    "layers",
    "tags",
    "kmsKeyArn",
    "onError",
    "destinations",
    "url",
    "package",
    "events",
    "disableLogs",
    "logRetentionInDays",
    "maximumEventAge",
    "maximumRetryAttempts",
    "condition",
    "dependsOn",
    "snapStart",
    "fileSystemConfig",
    "runtimeManagement",
    "logs",
    "versionFunction",
    "awsKmsKeyArn",
    "recursiveLoop",
    "logDataProtectionPolicy",
    "httpApi",
];

pub(super) fn layers(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> IndexMap<String, Layer> {
    let mut out = IndexMap::new();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return out;
    };
    let Some(m) = c.map(v, p) else { return out };
    let mut ids: HashMap<String, String> = HashMap::new();
    for (key, spec) in m {
        let lp = p.key(key.clone());
        let Some(lm) = c.map(spec, &lp) else { continue };
        let id = naming::layer_logical_id(key);
        if let Some(other) = ids.insert(id.clone(), key.clone()) {
            c.error(
                &lp,
                format!("layers `{other}` and `{key}` both become logical ID `{id}`"),
                "rename one of them",
            );
        }
        c.unknown_keys(
            lm,
            &[
                "path",
                "name",
                "description",
                "compatibleRuntimes",
                "compatibleArchitectures",
                "licenseInfo",
                "retain",
                "allowedAccounts",
                "package",
            ],
            &lp,
        );
        let layer = Layer {
            key: key.clone(),
            path: c.opt_string(lm, "path", &lp),
            name: c.opt_string(lm, "name", &lp),
            description: c.opt_string(lm, "description", &lp),
            compatible_runtimes: lm.get("compatibleRuntimes").cloned(),
            compatible_architectures: lm.get("compatibleArchitectures").cloned(),
            license_info: c.opt_string(lm, "licenseInfo", &lp),
            retain: c.opt_bool(lm, "retain", &lp).unwrap_or(false),
            allowed_accounts: match lm.get("allowedAccounts") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            package: function_package(lm.get("package"), &lp.key("package"), c),
        };
        if layer.path.is_none() && layer.package.artifact.is_none() {
            c.error(
                &lp.key("path"),
                format!("layer `{key}` has no `path`"),
                "add `path: layer` (the directory whose contents become the layer)",
            );
        }
        if let Some(Value::Array(rts)) = &layer.compatible_runtimes {
            for (i, rt) in rts.iter().enumerate() {
                if let Some(rt) = rt.as_str() {
                    check_runtime(rt, &lp.key("compatibleRuntimes").index(i), c);
                }
            }
        }
        out.insert(key.clone(), layer);
    }
    out
}

pub(super) fn functions(
    v: Option<&Value>,
    s: &Service,
    inputs: &Inputs,
    c: &mut Checker,
) -> IndexMap<String, Function> {
    let p = KeyPath::root().key("functions");
    let mut out = IndexMap::new();
    let m = match v {
        None | Some(Value::Null) => return out,
        Some(Value::Object(m)) => m,
        Some(Value::Array(_)) => {
            c.error(
                &p,
                "`functions` must be a map of function names to settings, not a list",
                "write `functions:` then `  hello:` then `    handler: handler.hello` (no `-`)",
            );
            return out;
        }
        Some(other) => {
            c.error(
                &p,
                format!("`functions` must be a map, not {}", type_name(other)),
                "write `functions:` then `  hello:` then `    handler: handler.hello`",
            );
            return out;
        }
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    for (key, spec) in m {
        let fp = p.key(key.clone());
        if key.is_empty()
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            c.error(
                &fp,
                format!("function name `{key}` cannot become a CloudFormation logical ID"),
                "use letters, digits, `-` and `_` only",
            );
            continue;
        }
        let id = naming::function_logical_id(key);
        if let Some(other) = ids.insert(id.clone(), key.clone()) {
            c.error(&fp, format!("functions `{other}` and `{key}` both become logical ID `{id}`"), "CloudFormation IDs are case-sensitive only after the first letter; rename one of them");
            continue;
        }
        let Some(fm) = c.map(spec, &fp) else { continue };
        if let Some(f) = function(key, fm, &fp, s, inputs, c) {
            out.insert(key.clone(), f);
        }
    }
    out
}

fn function(
    key: &str,
    fm: &Map<String, Value>,
    fp: &KeyPath,
    s: &Service,
    inputs: &Inputs,
    c: &mut Checker,
) -> Option<Function> {
    c.unknown_keys_extensible(fm, FUNCTION_KEYS, fp);
    if fm.get("awsKmsKeyArn").is_some_and(|v| !v.is_null()) {
        c.warn(
            &fp.key("awsKmsKeyArn"),
            "`awsKmsKeyArn` has no effect: v3 accepts it but never reads it, and neither does sls-rs",
            "use `kmsKeyArn` to encrypt the function's environment with your key",
        );
    }
    let handler = c.opt_string(fm, "handler", fp);
    let image = settings::image(fm.get("image"), &fp.key("image"), &s.provider.ecr, c);
    if handler.is_none() && image.is_none() {
        c.error(&fp.key("handler"), format!("function `{key}` has no `handler`"), "add `handler: file.export` (e.g. `handler.hello` for export `hello` of handler.js), or `image:` for a container image");
    }
    if handler.is_some() && image.is_some() {
        c.error(
            fp,
            format!("function `{key}` has both `handler` and `image`"),
            "a function runs either code from a zip (`handler`) or a container image (`image`)",
        );
    }
    let name = c
        .opt_string(fm, "name", fp)
        .unwrap_or_else(|| naming::default_function_name(&s.name, &s.stage, key));
    if name.len() > 64 {
        let np = if fm.contains_key("name") {
            fp.key("name")
        } else {
            fp.clone()
        };
        c.error(
            &np,
            format!(
                "function name `{name}` is {} characters; Lambda allows 64",
                name.len()
            ),
            "shorten the service, stage or function key, or set a shorter `name:`",
        );
    }
    let own_runtime = c.opt_string(fm, "runtime", fp);
    if let Some(rt) = &own_runtime {
        check_runtime(rt, &fp.key("runtime"), c);
    }
    let runtime_set_at = if own_runtime.is_some() || s.provider.runtime.is_none() {
        fp.key("runtime")
    } else {
        KeyPath::root().key("provider").key("runtime")
    };
    let runtime = match (&image, own_runtime) {
        (Some(_), _) => None,
        (None, Some(rt)) => Some(rt),
        (None, None) => Some(
            s.provider
                .runtime
                .clone()
                .unwrap_or_else(|| runtimes::DEFAULT.to_string()),
        ),
    };
    let tracing = settings::tracing(fm.get("tracing"), &fp.key("tracing"), c);
    let events = match fm.get("events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, e)| crate::events::parse(e, &fp.key("events").index(i), c))
            .collect(),
        Some(other) => {
            c.error(
                &fp.key("events"),
                format!("`events` must be a list, not {}", type_name(other)),
                "write each event as `- http: GET /`",
            );
            Vec::new()
        }
    };
    let layers = match fm.get("layers") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(other) => {
            c.error(
                &fp.key("layers"),
                format!("`layers` must be a list, not {}", type_name(other)),
                "write one `- arn:aws:lambda:…:layer:name:1` or `- !Ref MyLambdaLayer` per line",
            );
            None
        }
    };
    let f = Function {
        key: key.to_string(),
        name,
        handler,
        image,
        runtime,
        runtime_set_at,
        memory_size: c.opt_int(fm, "memorySize", fp, 128, 10240),
        timeout: c.opt_int(fm, "timeout", fp, 1, 900),
        description: c.opt_string(fm, "description", fp),
        environment: c.string_map(fm, "environment", fp),
        role: fm.get("role").cloned(),
        architecture: architecture(fm, fp, c),
        // v3 calls it `ephemeralStorageSize`; `ephemeralStorage` is accepted too.
        ephemeral_storage: c
            .opt_int(fm, "ephemeralStorageSize", fp, 512, 10240)
            .or_else(|| c.opt_int(fm, "ephemeralStorage", fp, 512, 10240)),
        reserved_concurrency: c.opt_int(fm, "reservedConcurrency", fp, 0, 1_000_000),
        provisioned_concurrency: c.opt_int(fm, "provisionedConcurrency", fp, 0, 1_000_000),
        tracing,
        vpc: {
            settings::check_vpc(fm.get("vpc"), &fp.key("vpc"), c);
            fm.get("vpc").cloned()
        },
        layers,
        tags: c.string_map(fm, "tags", fp),
        kms_key_arn: fm.get("kmsKeyArn").cloned(),
        on_error: fm.get("onError").cloned(),
        destinations: settings::destinations(fm.get("destinations"), &fp.key("destinations"), c),
        url: settings::url(fm.get("url"), &fp.key("url"), c),
        package: function_package(fm.get("package"), &fp.key("package"), c),
        events,
        disable_logs: c.opt_bool(fm, "disableLogs", fp).unwrap_or(false),
        log_retention_in_days: log_retention(fm, fp, c),
        maximum_event_age: c.opt_int(fm, "maximumEventAge", fp, 60, 21600),
        maximum_retry_attempts: c.opt_int(fm, "maximumRetryAttempts", fp, 0, 2),
        condition: fm.get("condition").cloned(),
        depends_on: match fm.get("dependsOn") {
            Some(Value::Array(a)) => a.clone(),
            Some(v @ Value::String(_)) => vec![v.clone()],
            _ => Vec::new(),
        },
        snap_start: c.opt_bool(fm, "snapStart", fp).unwrap_or(false),
        file_system_config: fm.get("fileSystemConfig").cloned(),
        runtime_management: settings::runtime_management(
            fm.get("runtimeManagement"),
            &fp.key("runtimeManagement"),
            c,
        ),
        logging: settings::logging(fm.get("logs"), &fp.key("logs"), c)
            .or_else(|| s.provider.lambda_logging.clone()),
        log_data_protection_policy: settings::log_data_protection_policy(
            fm.get("logDataProtectionPolicy"),
            &fp.key("logDataProtectionPolicy"),
            c,
        )
        .or_else(|| s.provider.log_data_protection_policy.clone()),
        recursive_loop: settings::recursive_loop(
            fm.get("recursiveLoop"),
            &fp.key("recursiveLoop"),
            c,
        ),
        http_api_payload: http_api_payload(fm.get("httpApi"), &fp.key("httpApi"), c),
        version: c.opt_bool(fm, "versionFunction", fp),
    };
    check_handler_file(&f, fp, s, inputs, c);
    Some(f)
}

/// For interpreted runtimes, the handler's module must be in the service directory: a typo
/// here otherwise deploys fine and fails on the first invocation.
fn check_handler_file(f: &Function, fp: &KeyPath, s: &Service, inputs: &Inputs, c: &mut Checker) {
    let Some(handler) = &f.handler else { return };
    if f.package.artifact.is_some() || s.package.artifact.is_some() {
        return;
    }
    let Some(runtime) = &f.runtime else { return };
    let Some(rt) = runtimes::find(runtime) else {
        return;
    };
    let Some((module, _export)) = handler.rsplit_once('.') else {
        if matches!(
            rt.language,
            Language::Node | Language::Python | Language::Ruby
        ) {
            c.error(
                &fp.key("handler"),
                format!("handler `{handler}` does not name a module and an export"),
                "write `file.function`, e.g. `handler.hello` for the export `hello` of handler.js",
            );
        }
        return;
    };
    let candidates: Vec<String> = match rt.language {
        Language::Node => ["js", "mjs", "cjs", "ts"]
            .iter()
            .map(|e| format!("{module}.{e}"))
            .collect(),
        Language::Python => vec![format!("{}.py", module.replace('.', "/"))],
        Language::Ruby => {
            let file = handler.split('.').next().unwrap_or(handler);
            vec![format!("{file}.rb")]
        }
        _ => return,
    };
    if candidates
        .iter()
        .any(|cand| inputs.dir.join(cand).is_file())
    {
        return;
    }
    // A file with the same stem and another extension (`run.sh` for `run.handler`) may be a
    // wrapper or the input of a build step: say so, but do not refuse. No such file at all is a
    // typo.
    let module_path = inputs.dir.join(module.replace('.', "/"));
    let stem = module_path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let siblings: Vec<String> = module_path
        .parent()
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    let shown = candidates.first().cloned().unwrap_or_default();
    if let Some(other) = siblings
        .iter()
        .find(|n| n.rsplit_once('.').is_some_and(|(s, _)| s == stem))
    {
        c.warn(
            &fp.key("handler"),
            format!("handler `{handler}` needs `{shown}` for runtime {runtime}; the service has `{other}` instead"),
            "make sure a build step or a layer provides the module, or fix the handler",
        );
        return;
    }
    let stems: Vec<String> = siblings
        .iter()
        .filter_map(|n| n.rsplit_once('.').map(|(s, _)| s.to_string()))
        .collect();
    let stem_refs: Vec<&str> = stems.iter().map(String::as_str).collect();
    let hint = match did_you_mean(&stem, &stem_refs) {
        Some(s) => format!("did you mean `{}`?", handler.replacen(&stem, s, 1)),
        None => format!("check the handler path (relative to the directory of {}), or build the code before packaging", inputs.config_file),
    };
    c.error(
        &fp.key("handler"),
        format!("handler `{handler}` needs `{shown}`, which is not in the service directory"),
        hint,
    );
}

/// `httpApi: { payload }`: the function's HTTP API payload format version.
fn http_api_payload(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Option<String> {
    let m = c.map(v.filter(|v| !v.is_null())?, p)?;
    c.unknown_keys(m, &["payload"], p);
    settings::payload_version(m, p, c)
}
