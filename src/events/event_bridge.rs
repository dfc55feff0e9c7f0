//! `eventBridge` events: EventBridge rules on the default or a custom event bus.

use serde_json::{Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct EventBridge {
    /// A bus name or ARN; `None` for the default bus.
    pub event_bus: Option<Value>,
    pub pattern: Option<Value>,
    pub schedule: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub input: Option<Value>,
    pub input_path: Option<String>,
    pub input_transformer: Option<Map<String, Value>>,
    pub retry_policy: Option<Value>,
    pub dead_letter_arn: Option<Value>,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<EventBridge> {
    let Value::Object(m) = v else {
        c.error(
            path,
            format!("an eventBridge event must be a map, not {}", show(v)),
            "give it a `pattern:` or a `schedule:`",
        );
        return None;
    };
    c.unknown_keys(
        m,
        &[
            "eventBus",
            "pattern",
            "schedule",
            "name",
            "description",
            "enabled",
            "input",
            "inputPath",
            "inputTransformer",
            "retryPolicy",
            "deadLetterQueueArn",
        ],
        path,
    );
    let e = EventBridge {
        event_bus: m.get("eventBus").cloned(),
        pattern: m.get("pattern").cloned(),
        schedule: c.opt_string(m, "schedule", path),
        name: c.opt_string(m, "name", path),
        description: c.opt_string(m, "description", path),
        enabled: c.opt_bool(m, "enabled", path).unwrap_or(true),
        input: m.get("input").cloned(),
        input_path: c.opt_string(m, "inputPath", path),
        input_transformer: m
            .get("inputTransformer")
            .and_then(|v| v.as_object().cloned()),
        retry_policy: m.get("retryPolicy").cloned(),
        dead_letter_arn: m.get("deadLetterQueueArn").cloned(),
        key_path: path.clone(),
    };
    if e.pattern.is_none() && e.schedule.is_none() {
        c.error(
            path,
            "an eventBridge event needs a `pattern` or a `schedule`",
            "add `pattern: { source: [my.app] }`",
        );
        return None;
    }
    if let Some(p) = &e.pattern {
        if !p.is_object() {
            c.error(
                &path.key("pattern"),
                format!("`pattern` must be a map, not {}", show(p)),
                "an event pattern matches fields, e.g. `source: [aws.ec2]`",
            );
            return None;
        }
    }
    Some(e)
}

/// v3's native (useCloudFormation) rules: `<Alnum(ruleName)>EventBridgeRule` named
/// `<service>-<stage>-<function>-rule-<n>` (n: the event's 1-based position among the
/// function's events; `name` renames the rule, not the ID), `<Fn>EventBridgeLambdaPermission<n>`, and
/// `<Bus>EventBridgeEventBus` for a bus given by name, which the stack creates.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use crate::naming;
    use crate::plan::{permission, Compiler};
    use serde_json::json;
    let service = c.service;
    for (f, e) in super::of_kind(service, |ev| match ev {
        super::Event::EventBridge(e) => Some(e),
        _ => None,
    }) {
        let n = super::position(&e.key_path);
        // The ID comes from the default name even when `name` is given (as in v3).
        let rule_id = naming::event_bridge_rule_id(&service.name, &service.stage, &f.key, n);
        let rule_name = e.name.clone().unwrap_or_else(|| {
            naming::event_bridge_rule_name(&service.name, &service.stage, &f.key, n)
        });
        let mut p = Map::new();
        let mut depends = None;
        let mut bus_for_arn: Option<Value> = None;
        match &e.event_bus {
            None => {}
            Some(Value::String(b)) if b == "default" => {}
            Some(Value::String(b)) if b.starts_with("arn:") => {
                p.insert("EventBusName".into(), json!(b));
                bus_for_arn = Some(json!(b.rsplit('/').next().unwrap_or(b)));
            }
            Some(Value::String(b)) => {
                let bus_id = naming::event_bridge_bus_id(b);
                if !c.t.resources.contains_key(&bus_id) {
                    c.add(
                        bus_id.clone(),
                        json!({ "Type": "AWS::Events::EventBus", "Properties": { "Name": b } }),
                    );
                }
                p.insert("EventBusName".into(), json!(b));
                depends = Some(bus_id);
                bus_for_arn = Some(json!(b));
            }
            Some(other) => {
                p.insert("EventBusName".into(), other.clone());
            }
        }
        if let Some(pattern) = &e.pattern {
            p.insert("EventPattern".into(), pattern.clone());
        }
        if let Some(s) = &e.schedule {
            p.insert("ScheduleExpression".into(), json!(s));
        }
        p.insert("Name".into(), json!(rule_name));
        if let Some(d) = &e.description {
            p.insert("Description".into(), json!(d));
        }
        p.insert(
            "State".into(),
            json!(if e.enabled { "ENABLED" } else { "DISABLED" }),
        );
        let mut target = Map::new();
        target.insert("Arn".into(), Compiler::function_arn(&f.key));
        target.insert(
            "Id".into(),
            json!(naming::event_bridge_target_id(&rule_name)),
        );
        super::rule_input(
            &mut target,
            e.input.as_ref(),
            e.input_path.as_ref(),
            e.input_transformer.as_ref(),
        );
        if let Some(r @ Value::Object(_)) = &e.retry_policy {
            target.insert(
                "RetryPolicy".into(),
                crate::plan::pick(
                    r,
                    &[
                        ("maximumEventAge", "MaximumEventAgeInSeconds"),
                        ("maximumRetryAttempts", "MaximumRetryAttempts"),
                    ],
                ),
            );
        }
        if let Some(dlq) = &e.dead_letter_arn {
            target.insert("DeadLetterConfig".into(), json!({ "Arn": dlq }));
        }
        p.insert("Targets".into(), json!([target]));
        let mut rule = json!({ "Type": "AWS::Events::Rule", "Properties": p });
        if let Some(d) = depends {
            rule["DependsOn"] = json!(d);
        }
        c.add(rule_id, rule);
        let mut path = vec![json!("rule")];
        path.extend(bus_for_arn);
        path.push(json!(rule_name));
        let source = json!({ "Fn::Join": [":", ["arn", { "Ref": "AWS::Partition" }, "events", { "Ref": "AWS::Region" }, { "Ref": "AWS::AccountId" }, { "Fn::Join": ["/", path] }]] });
        c.add(
            naming::event_bridge_permission_id(&f.key, n),
            permission(&f.key, "events.amazonaws.com", Some(source)),
        );
    }
}
