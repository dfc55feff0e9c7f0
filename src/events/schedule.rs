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
    pub key_path: KeyPath,
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
                ],
                path,
            );
            if c.opt_string(m, "method", path)
                .is_some_and(|m| m == "scheduler")
                || m.contains_key("timezone")
            {
                c.error(
                    &path.key("method"),
                    "EventBridge Scheduler schedules (`method: scheduler`, `timezone`) are not supported by sls-rs yet",
                    "remove `method` and `timezone` to use an EventBridge rule (UTC)",
                );
                return None;
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

/// `<Fn>EventsRuleSchedule<N>` and its permission; N counts rules per function from 1.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use serde_json::json;
    let service = c.service;
    let mut counters: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (f, s) in super::of_kind(service, |e| match e {
        super::Event::Schedule(s) => Some(s),
        _ => None,
    }) {
        for rate in &s.rates {
            let n = counters.entry(f.key.as_str()).or_insert(0);
            *n += 1;
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
}
