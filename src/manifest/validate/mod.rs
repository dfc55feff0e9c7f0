//! From the resolved configuration (JSON) to a typed [`Service`], with a diagnostic for everything
//! that would give a broken template or a failed deploy.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::checker::{is_intrinsic, show, type_name, Checker};
use super::defaults;
use super::runtimes::{self, Status};
use super::service::*;
use crate::error::{did_you_mean, KeyPath};

mod function;
mod provider;
mod resources;
mod settings;

pub(crate) use settings::request_schema;

use function::{functions, layers};
use provider::provider;
use resources::{package, plugins, resources};

const TOP_LEVEL: &[&str] = &[
    "service",
    "frameworkVersion",
    "provider",
    "functions",
    "layers",
    "package",
    "custom",
    "resources",
    "plugins",
    "params",
    "configValidationMode",
    "useDotenv",
    "variablesResolutionMode",
    "deprecationNotificationMode",
    "disabledDeprecations",
    "org",
    "app",
    "console",
    "stages",
    "outputs",
    // Lets v3's `${file(…)}` reach above the service; sls-rs's always may.
    "projectDir",
];

pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// What validation needs besides the configuration.
pub struct Inputs<'a> {
    pub dir: &'a Path,
    pub config_file: &'a str,
    pub stage_option: Option<String>,
    pub region_option: Option<String>,
    pub env: &'a HashMap<String, String>,
}

pub fn validate(root: &Value, inputs: &Inputs, c: &mut Checker) -> Option<Service> {
    let root_path = KeyPath::root();
    let m = match root {
        Value::Object(m) => m,
        other => {
            c.error(
                &root_path,
                format!(
                    "the configuration must be a map of settings, not {}",
                    type_name(other)
                ),
                "start with `service: my-service` and `provider: { name: aws }`",
            );
            return None;
        }
    };
    c.plugins_extend = m.get("plugins").is_some_and(|p| !p.is_null());
    c.unknown_keys_extensible(m, TOP_LEVEL, &root_path);
    if m.get("console").is_some_and(|v| !v.is_null()) {
        c.warn(
            &root_path.key("console"),
            "`console` has no effect: the Serverless Framework stopped reading it in v3.24",
            "remove it",
        );
    }

    let name = service_name(m, c);
    let provider_value = m.get("provider");
    let pm = match provider_value {
        Some(Value::Object(pm)) => pm.clone(),
        Some(other) => {
            c.error(
                &root_path.key("provider"),
                format!("`provider` must be a map, not {}", type_name(other)),
                "write `provider:` with `name: aws` indented under it",
            );
            Map::new()
        }
        None => {
            c.error(
                &root_path.key("provider"),
                "the configuration has no `provider`",
                "add `provider:` with `name: aws` and a `runtime`",
            );
            Map::new()
        }
    };
    let pp = root_path.key("provider");
    if provider_value.is_some_and(Value::is_object) {
        match pm.get("name") {
            Some(Value::String(n)) if n == "aws" => {}
            Some(other) => c.error(
                &pp.key("name"),
                format!("provider {} is not supported", show(other)),
                "sls-rs deploys to AWS: write `name: aws`",
            ),
            None => c.error(
                &pp.key("name"),
                "`provider.name` is missing",
                "add `name: aws` under provider",
            ),
        }
    }
    let stage = defaults::stage(inputs.stage_option.clone(), c.opt_string(&pm, "stage", &pp));
    let region = defaults::region(
        inputs.region_option.clone(),
        c.opt_string(&pm, "region", &pp),
        |k| inputs.env.get(k).cloned(),
    );
    check_stage(&stage, &pp, c);
    let provider = provider(&pm, &pp, c);

    let mut service = Service {
        dir: inputs.dir.to_path_buf(),
        config_file: inputs.config_file.to_string(),
        name: name.clone().unwrap_or_default(),
        framework_version: m
            .get("frameworkVersion")
            .and_then(|v| c.string(v, &root_path.key("frameworkVersion"))),
        stage,
        region,
        provider,
        functions: IndexMap::new(),
        layers: IndexMap::new(),
        package: package(m.get("package"), &root_path.key("package"), c),
        custom: m.get("custom").cloned().unwrap_or(Value::Null),
        resources: resources(m.get("resources"), &root_path.key("resources"), c),
        plugins: plugins(m.get("plugins"), &root_path.key("plugins"), c),
        retired_runtimes: Vec::new(),
    };
    if name.is_some() {
        check_stack_name(&service, c);
    }
    service.layers = layers(m.get("layers"), &root_path.key("layers"), c);
    service.functions = functions(m.get("functions"), &service, inputs, c);
    settings::check_destination_functions(&service, c);
    crate::events::s3::check_settings_used(&service, c);
    crate::events::api_logs::check_used(&service, c);
    service.retired_runtimes = retired_runtimes(&service, &c.today);
    Some(service)
}

/// The functions whose runtime AWS stopped accepting by `today`.
fn retired_runtimes(s: &Service, today: &str) -> Vec<RetiredRuntime> {
    let mut out = Vec::new();
    for f in s.functions.values() {
        let Some(name) = &f.runtime else { continue };
        let Some(rt) = runtimes::find(name) else {
            continue;
        };
        if rt.status(today) != Status::Blocked {
            continue;
        }
        out.push(RetiredRuntime {
            function: f.key.clone(),
            runtime: name.clone(),
            set_at: f.runtime_set_at.clone(),
            blocked_since: rt.update_block,
            successor: rt.successor,
        });
    }
    out
}

fn service_name(m: &Map<String, Value>, c: &mut Checker) -> Option<String> {
    let p = KeyPath::root().key("service");
    let name = match m.get("service") {
        None | Some(Value::Null) => {
            c.error(
                &p,
                "the configuration has no `service` name",
                "add `service: my-service` at the top of the file",
            );
            return None;
        }
        Some(Value::Object(sm)) => sm.get("name").and_then(|v| v.as_str()).map(String::from),
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            c.error(
                &p,
                format!("`service` must be a name, not {}", show(other)),
                "write `service: my-service`",
            );
            return None;
        }
    };
    let Some(name) = name else {
        c.error(&p, "`service` has no name", "write `service: my-service`");
        return None;
    };
    if name.is_empty()
        || !name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        c.error(
            &p,
            format!("service name `{name}` cannot be part of a CloudFormation stack name"),
            "start with a letter and use only letters, digits and hyphens, e.g. `my-service`",
        );
        return None;
    }
    Some(name)
}

fn check_stage(stage: &str, pp: &KeyPath, c: &mut Checker) {
    if stage.is_empty()
        || !stage
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(
            &pp.key("stage"),
            format!("stage `{stage}` cannot be part of a stack name"),
            "use letters, digits, hyphens and underscores, e.g. `dev` or `prod`",
        );
    }
}

fn check_stack_name(s: &Service, c: &mut Checker) {
    let stack = s.stack_name();
    let valid = stack.len() <= 128
        && stack.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && stack
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    if !valid {
        let p = if s.provider.stack_name.is_some() {
            KeyPath::parse_dotted("provider.stackName")
        } else {
            KeyPath::root().key("service")
        };
        c.error(&p, format!("`{stack}` is not a stack name CloudFormation accepts"), "a stack name starts with a letter, has only letters, digits and hyphens, and is at most 128 characters");
    }
}

pub(super) fn architecture(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Option<String> {
    let a = c.opt_string(m, "architecture", p)?;
    if a != "x86_64" && a != "arm64" {
        c.error(
            &p.key("architecture"),
            format!("architecture `{a}` is not one Lambda runs"),
            "use x86_64 or arm64",
        );
        return None;
    }
    Some(a)
}

pub(super) fn log_retention(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Option<i64> {
    let days = c.opt_int(m, "logRetentionInDays", p, 1, 3653)?;
    if !LOG_RETENTION_DAYS.contains(&days) {
        let nearest = LOG_RETENTION_DAYS
            .iter()
            .min_by_key(|d| (**d - days).abs())
            .copied()
            .unwrap_or(14);
        c.error(&p.key("logRetentionInDays"), format!("CloudWatch Logs cannot keep logs for {days} days"), format!("the nearest allowed value is {nearest}; allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"));
        return None;
    }
    Some(days)
}

pub fn check_runtime(rt: &str, p: &KeyPath, c: &mut Checker) {
    match runtimes::find(rt) {
        None => {
            let names = runtimes::names();
            let hint = match did_you_mean(rt, &names) {
                Some(n) => format!("did you mean `{n}`?"),
                None => "current runtimes include nodejs22.x, nodejs24.x, python3.13, java21, provided.al2023".into(),
            };
            c.error(p, format!("`{rt}` is not a Lambda runtime"), hint);
        }
        Some(r) => match r.status(&c.today) {
            Status::Current => {}
            Status::Deprecated => c.warn(
                p,
                format!("runtime `{rt}` was deprecated by AWS on {} and gets no security updates; updates are refused from {}", r.deprecated, r.update_block),
                format!("move to `{}`", r.successor),
            ),
            Status::Blocked => c.warn(
                p,
                format!("runtime `{rt}` is no longer accepted by AWS (updates refused since {}): a deploy will be refused", r.update_block),
                format!("move to `{}`", r.successor),
            ),
        },
    }
}

pub(super) fn string_list(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> Vec<Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) if is_intrinsic(other) || other.is_string() => vec![other.clone()],
        Some(other) => {
            c.error(
                p,
                format!("`{p}` must be a list, not {}", type_name(other)),
                "write one `- item` per line",
            );
            Vec::new()
        }
    }
}

pub(super) fn patterns(m: &Map<String, Value>, p: &KeyPath, c: &mut Checker) -> Vec<String> {
    let mut out = Vec::new();
    // The legacy keys: excludes first (as negations), then includes, then patterns.
    for (key, negate) in [("exclude", true), ("include", false), ("patterns", false)] {
        match m.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for (i, item) in a.iter().enumerate() {
                    match item {
                        Value::String(s) if negate => out.push(format!("!{s}")),
                        Value::String(s) => out.push(s.clone()),
                        other => c.error(
                            &p.key(key).index(i),
                            format!("a pattern must be a string, not {}", type_name(other)),
                            "quote patterns that start with ! or *: `- '!tests/**'`",
                        ),
                    }
                }
            }
            Some(other) => c.error(
                &p.key(key),
                format!(
                    "`{key}` must be a list of patterns, not {}",
                    type_name(other)
                ),
                "write one `- 'pattern'` per line",
            ),
        }
    }
    out
}

pub(super) fn function_package(v: Option<&Value>, p: &KeyPath, c: &mut Checker) -> FunctionPackage {
    let mut pkg = FunctionPackage::default();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return pkg;
    };
    let Some(m) = c.map(v, p) else { return pkg };
    c.unknown_keys(
        m,
        &["patterns", "include", "exclude", "individually", "artifact"],
        p,
    );
    pkg.patterns = patterns(m, p, c);
    pkg.individually = c.opt_bool(m, "individually", p);
    pkg.artifact = c.opt_string(m, "artifact", p);
    pkg
}

/// Checks what a plugin added (`what`: "function", "layer") as the user's own is checked; the
/// plugin's mistakes are errors at their key path, with a hint naming the plugin as the source.
fn added_by_plugin<T>(
    what: &str,
    check: impl FnOnce(&mut Checker) -> T,
) -> crate::error::Result<T> {
    let mut c = Checker::new(true, crate::clock::today()?);
    let out = check(&mut c);
    if !c.diags.iter().any(|d| d.is_error()) {
        return Ok(out);
    }
    let hint = format!("a plugin added this {what}; check the plugin's configuration");
    Err(crate::error::Error::Config(
        c.diags
            .into_iter()
            .map(|d| {
                if d.hint.is_none() {
                    d.hint(hint.clone())
                } else {
                    d
                }
            })
            .collect(),
    ))
}

/// Layers a plugin added to `service.layers` (serverless-python-requirements' `layer: true`).
pub fn plugin_layers(added: &Map<String, Value>) -> crate::error::Result<IndexMap<String, Layer>> {
    added_by_plugin("layer", |c| {
        layers(
            Some(&Value::Object(added.clone())),
            &KeyPath::root().key("layers"),
            c,
        )
    })
}

/// Functions a plugin added to `service.functions` (serverless-plugin-warmup's warmers).
pub fn plugin_functions(
    added: &Map<String, Value>,
    service: &Service,
) -> crate::error::Result<IndexMap<String, Function>> {
    let env = HashMap::new();
    let inputs = Inputs {
        dir: &service.dir,
        config_file: &service.config_file,
        stage_option: None,
        region_option: None,
        env: &env,
    };
    added_by_plugin("function", |c| {
        functions(Some(&Value::Object(added.clone())), service, &inputs, c)
    })
}
