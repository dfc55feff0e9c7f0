//! `schedule` events: EventBridge rules with `rate(…)` or `cron(…)` expressions.

use serde_json::{Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct Schedule {
    /// One or more expressions; each becomes its own rule.
    pub rates: Vec<String>,
    pub enabled: bool,
    pub name: Option<String>,
    pub description: Option<String>,
    pub input: Option<Value>,
    pub input_path: Option<String>,
    pub input_transformer: Option<Map<String, Value>>,
    /// `method: scheduler`: EventBridge Scheduler schedules instead of rules.
    pub scheduler: Option<Scheduler>,
    pub key_path: KeyPath,
}

/// The settings of EventBridge Scheduler schedules (`method: scheduler`).
#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    /// The role the schedule invokes the function with; the function's own role by default.
    pub role_arn: Option<Value>,
    pub group_name: Option<String>,
    /// An IANA time zone for cron expressions (`Europe/Paris`).
    pub timezone: Option<String>,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Schedule> {
    let mut s = Schedule {
        rates: Vec::new(),
        enabled: true,
        name: None,
        description: None,
        input: None,
        input_path: None,
        input_transformer: None,
        scheduler: None,
        key_path: path.clone(),
    };
    let (rate_value, rate_path) = match v {
        Value::String(_) => (v, path.clone()),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &[
                    "rate",
                    "enabled",
                    "name",
                    "description",
                    "input",
                    "inputPath",
                    "inputTransformer",
                    "method",
                    "timezone",
                    "roleArn",
                    "groupName",
                ],
                path,
            );
            match c.opt_string(m, "method", path).as_deref() {
                None | Some("eventBus") => {
                    for key in ["timezone", "roleArn", "groupName"] {
                        if m.get(key).is_some_and(|v| !v.is_null()) {
                            c.error(
                                &path.key(key),
                                format!("`{key}` applies to EventBridge Scheduler schedules"),
                                "add `method: scheduler`, or remove it",
                            );
                            return None;
                        }
                    }
                }
                Some("scheduler") => {
                    for key in ["inputPath", "inputTransformer"] {
                        if m.contains_key(key) {
                            c.error(
                                &path.key(key),
                                format!("EventBridge Scheduler schedules do not take `{key}`"),
                                "pass a fixed `input`, or leave out `method: scheduler`",
                            );
                            return None;
                        }
                    }
                    s.scheduler = Some(Scheduler {
                        role_arn: m.get("roleArn").filter(|v| !v.is_null()).cloned(),
                        group_name: c.opt_string(m, "groupName", path),
                        timezone: c.opt_string(m, "timezone", path),
                    });
                }
                Some(other) => {
                    c.error(
                        &path.key("method"),
                        format!("`{other}` is not a schedule method"),
                        "use eventBus (an EventBridge rule, the default) or scheduler (EventBridge Scheduler)",
                    );
                    return None;
                }
            }
            s.enabled = c.opt_bool(m, "enabled", path).unwrap_or(true);
            s.name = c.opt_string(m, "name", path);
            s.description = c.opt_string(m, "description", path);
            s.input = m.get("input").cloned();
            s.input_path = c.opt_string(m, "inputPath", path);
            s.input_transformer = m
                .get("inputTransformer")
                .and_then(|v| v.as_object().cloned());
            let exclusive = [
                s.input.is_some(),
                s.input_path.is_some(),
                s.input_transformer.is_some(),
            ];
            if exclusive.iter().filter(|x| **x).count() > 1 {
                c.error(
                    path,
                    "a schedule takes only one of `input`, `inputPath` and `inputTransformer`",
                    "keep the one the function expects",
                );
                return None;
            }
            match m.get("rate") {
                Some(r) => (r, path.key("rate")),
                None => {
                    c.error(
                        &path.key("rate"),
                        "schedule has no `rate`",
                        "add `rate: rate(10 minutes)` or `rate: cron(0 12 * * ? *)`",
                    );
                    return None;
                }
            }
        }
        other => {
            c.error(
                path,
                format!(
                    "a schedule must be an expression or a map, not {}",
                    show(other)
                ),
                "write `schedule: rate(10 minutes)`",
            );
            return None;
        }
    };
    let items: Vec<(KeyPath, &Value)> = match rate_value {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (rate_path.index(i), v))
            .collect(),
        v => vec![(rate_path.clone(), v)],
    };
    for (p, item) in items {
        let Some(expr) = item.as_str() else {
            c.error(
                &p,
                format!("a schedule expression must be a string, not {}", show(item)),
                "write rate(5 minutes) or cron(0 12 * * ? *)",
            );
            return None;
        };
        if let Err(why) = check_expression(expr) {
            c.error(&p, format!("`{expr}` is not a schedule expression: {why}"), "write rate(<n> minutes|hours|days) or cron(<min> <hour> <day> <month> <weekday> <year>)");
            return None;
        }
        s.rates.push(expr.to_string());
    }
    if s.name.is_some() && s.rates.len() > 1 {
        c.error(
            &path.key("name"),
            "a named schedule can have only one rate: rule names are unique",
            "remove `name`, or split the rates into separate events",
        );
        return None;
    }
    Some(s)
}

fn check_expression(e: &str) -> Result<(), String> {
    if let Some(inner) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let parts: Vec<_> = inner.split_whitespace().collect();
        let [n, unit] = parts.as_slice() else {
            return Err("rate takes a number and a unit".into());
        };
        let n: u64 = n
            .parse()
            .map_err(|_| format!("`{n}` is not a whole number"))?;
        if n == 0 {
            return Err("the rate must be at least 1".into());
        }
        let units = if n == 1 {
            ["minute", "hour", "day"]
        } else {
            ["minutes", "hours", "days"]
        };
        if !units.contains(unit) {
            return Err(format!("the unit must be one of {}", units.join(", ")));
        }
        return Ok(());
    }
    if let Some(inner) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let n = inner.split_whitespace().count();
        if n != 6 {
            return Err(format!("cron takes 6 fields, found {n}"));
        }
        return Ok(());
    }
    if e.starts_with("at(") && e.ends_with(')') {
        return Ok(());
    }
    Err("it must start with rate( or cron(".into())
}

/// `<Fn>EventsRuleSchedule<N>` and its permission, or `<Fn>SchedulerSchedule<N>`; N counts
/// the function's schedule expressions from 1.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use serde_json::json;
    let service = c.service;
    let mut counters: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut scheduled: Vec<&str> = Vec::new();
    for (f, s) in super::of_kind(service, |e| match e {
        super::Event::Schedule(s) => Some(s),
        _ => None,
    }) {
        for rate in &s.rates {
            let n = counters.entry(f.key.as_str()).or_insert(0);
            *n += 1;
            if let Some(sch) = &s.scheduler {
                schedule(c, f, s, sch, rate, *n);
                if !scheduled.contains(&f.name.as_str()) {
                    scheduled.push(&f.name);
                }
                continue;
            }
            super::add_rule(
                c,
                &f.key,
                (
                    crate::naming::schedule_rule_id(&f.key, *n),
                    crate::naming::schedule_permission_id(&f.key, *n),
                    crate::naming::schedule_target_id(&f.key),
                ),
                super::Rule {
                    trigger: ("ScheduleExpression", json!(rate)),
                    enabled: s.enabled,
                    name: s.name.as_ref(),
                    description: s.description.as_ref(),
                    input: s.input.as_ref(),
                    input_path: s.input_path.as_ref(),
                    input_transformer: s.input_transformer.as_ref(),
                },
            );
        }
    }
    // The schedules invoke their functions through the shared role, which the scheduler may
    // assume (v3's way; a `roleArn` of its own needs its own trust).
    if !scheduled.is_empty() && c.has_role {
        c.role_principals.push("scheduler.amazonaws.com");
        for name in scheduled {
            let arn = format!("arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}");
            c.role_statement(
                "scheduler",
                &["lambda:InvokeFunction"],
                json!({ "Fn::Sub": arn }),
            );
            c.role_statement(
                "scheduler",
                &["lambda:InvokeFunction"],
                json!({ "Fn::Sub": format!("{arn}:*") }),
            );
        }
    }
}

/// One EventBridge Scheduler schedule invoking the function.
fn schedule(
    c: &mut crate::plan::Compiler,
    f: &crate::manifest::service::Function,
    s: &Schedule,
    sch: &Scheduler,
    rate: &str,
    n: usize,
) {
    use serde_json::json;
    let function = crate::plan::Compiler::function_arn(&f.key);
    let role = sch.role_arn.clone().or_else(|| {
        c.t.resources
            .get(&crate::naming::function_logical_id(&f.key))
            .and_then(|r| r["Properties"].get("Role").cloned())
    });
    let mut target = Map::new();
    target.insert("Arn".into(), function);
    target.insert("RoleArn".into(), role.unwrap_or(Value::Null));
    super::rule_input(&mut target, s.input.as_ref(), None, None);
    let mut p = Map::new();
    p.insert("ScheduleExpression".into(), json!(rate));
    p.insert(
        "State".into(),
        json!(if s.enabled { "ENABLED" } else { "DISABLED" }),
    );
    p.insert("Target".into(), Value::Object(target));
    p.insert("FlexibleTimeWindow".into(), json!({ "Mode": "OFF" }));
    for (key, v) in [
        ("Name", &s.name),
        ("GroupName", &sch.group_name),
        ("Description", &s.description),
        ("ScheduleExpressionTimezone", &sch.timezone),
    ] {
        if let Some(v) = v {
            p.insert(key.into(), json!(v));
        }
    }
    c.add(
        crate::naming::scheduler_schedule_id(&f.key, n),
        json!({ "Type": "AWS::Scheduler::Schedule", "Properties": p }),
    );
}
