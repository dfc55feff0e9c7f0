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
