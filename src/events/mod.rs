//! Function events, one file per kind. Each file holds the typed event, `parse` (validation of
//! the user's YAML, with diagnostics) and `compile` (the CloudFormation resources it becomes).
//! Adding an event kind touches one new file and the match arms below.

pub mod alb;
pub mod api_logs;
pub mod cloudfront;
pub mod cloudwatch;
pub mod cognito;
pub mod event_bridge;
pub mod http;
pub mod http_api;
pub mod iot;
pub mod mq;
pub mod s3;
pub mod schedule;
pub mod sns;
pub mod sqs;
pub mod stream;
pub mod websocket;

use serde_json::Value;

use crate::error::{did_you_mean, KeyPath};
use crate::manifest::checker::{show, type_name, Checker};

#[derive(Debug, Clone)]
pub enum Event {
    CloudFront(cloudfront::CloudFront),
    Http(http::Http),
    HttpApi(http_api::HttpApi),
    S3(s3::S3),
    Schedule(schedule::Schedule),
    Sqs(sqs::Sqs),
    Sns(sns::Sns),
    Stream(stream::Stream),
    EventBridge(event_bridge::EventBridge),
    Websocket(websocket::Websocket),
    CloudwatchEvent(cloudwatch::CloudwatchEvent),
    CloudwatchLog(cloudwatch::CloudwatchLog),
    Iot(iot::Iot),
    AlexaSkill(iot::Alexa),
    AlexaSmartHome(iot::Alexa),
    Kafka(mq::Kafka),
    Msk(mq::Msk),
    ActiveMq(mq::Broker),
    RabbitMq(mq::Broker),
    CognitoUserPool(cognito::CognitoUserPool),
    IotFleetProvisioning(iot::FleetProvisioning),
    Alb(alb::Alb),
}

/// The event kinds sls-rs compiles.
pub const KINDS: &[&str] = &[
    "http",
    "httpApi",
    "s3",
    "schedule",
    "sqs",
    "sns",
    "stream",
    "eventBridge",
    "websocket",
    "cloudwatchEvent",
    "cloudwatchLog",
    "iot",
    "alexaSkill",
    "alexaSmartHome",
    "kafka",
    "msk",
    "activemq",
    "rabbitmq",
    "cognitoUserPool",
    "iotFleetProvisioning",
    "alb",
    "cloudFront",
];

/// Parses one item of `functions.<f>.events`.
pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Event> {
    if let Value::String(kind) = v {
        if KINDS.contains(&kind.as_str()) {
            let hint = if kind == "alexaSkill" {
                "without the skill's ID any Alexa skill could invoke the function (and osls compiles nothing for it); write `- alexaSkill: amzn1.ask.skill.…`".to_string()
            } else {
                format!("write `- {kind}: <settings>`")
            };
            c.error(path, format!("the `{kind}` event needs its settings"), hint);
            return None;
        }
    }
    let Value::Object(m) = v else {
        c.error(
            path,
            format!(
                "an event must be a map such as `- http: GET /`, not {} ({})",
                type_name(v),
                show(v)
            ),
            "write each event as `- <kind>: <settings>`",
        );
        return None;
    };
    if m.len() != 1 {
        let keys: Vec<_> = m.keys().map(|k| k.as_str()).collect();
        c.error(
            path,
            format!(
                "an event must have exactly one kind, found {} ({})",
                m.len(),
                keys.join(", ")
            ),
            "start each event with its own `-`; settings go indented under the kind",
        );
        return None;
    }
    let (kind, spec) = m.iter().next()?;
    let p = path.key(kind.clone());
    Some(match kind.as_str() {
        "http" => Event::Http(http::parse(spec, &p, c)?),
        "httpApi" => Event::HttpApi(http_api::parse(spec, &p, c)?),
        "s3" => Event::S3(s3::parse(spec, &p, c)?),
        "schedule" => Event::Schedule(schedule::parse(spec, &p, c)?),
        "sqs" => Event::Sqs(sqs::parse(spec, &p, c)?),
        "sns" => Event::Sns(sns::parse(spec, &p, c)?),
        "stream" => Event::Stream(stream::parse(spec, &p, c)?),
        "eventBridge" => Event::EventBridge(event_bridge::parse(spec, &p, c)?),
        "websocket" => Event::Websocket(websocket::parse(spec, &p, c)?),
        "cloudwatchEvent" => Event::CloudwatchEvent(cloudwatch::parse_event(spec, &p, c)?),
        "cloudwatchLog" => Event::CloudwatchLog(cloudwatch::parse_log(spec, &p, c)?),
        "iot" => Event::Iot(iot::parse_iot(spec, &p, c)?),
        "alexaSkill" => Event::AlexaSkill(iot::parse_alexa(kind, spec, &p, c)?),
        "alexaSmartHome" => Event::AlexaSmartHome(iot::parse_alexa(kind, spec, &p, c)?),
        "kafka" => Event::Kafka(mq::parse_kafka(spec, &p, c)?),
        "msk" => Event::Msk(mq::parse_msk(spec, &p, c)?),
        "activemq" => Event::ActiveMq(mq::parse_broker(kind, spec, &p, c)?),
        "rabbitmq" => Event::RabbitMq(mq::parse_broker(kind, spec, &p, c)?),
        "cognitoUserPool" => Event::CognitoUserPool(cognito::parse(spec, &p, c)?),
        "iotFleetProvisioning" => {
            Event::IotFleetProvisioning(iot::parse_fleet_provisioning(spec, &p, c)?)
        }
        "alb" => Event::Alb(alb::parse(spec, &p, c)?),
        "cloudFront" => Event::CloudFront(cloudfront::parse(spec, &p, c)?),
        other => {
            let hint = match did_you_mean(other, KINDS) {
                Some(k) => format!("did you mean `{k}`?"),
                None => format!("the event kinds are {}", KINDS.join(", ")),
            };
            c.error(&p, format!("unknown event type `{other}`"), hint);
            return None;
        }
    })
}

/// What a rule on the default bus that invokes the function carries (schedule, cloudwatchEvent).
pub(crate) struct Rule<'a> {
    /// `("ScheduleExpression", rate)` or `("EventPattern", pattern)`.
    pub trigger: (&'static str, Value),
    pub enabled: bool,
    pub name: Option<&'a String>,
    pub description: Option<&'a String>,
    pub input: Option<&'a Value>,
    pub input_path: Option<&'a String>,
    pub input_transformer: Option<&'a serde_json::Map<String, Value>>,
}

/// `rule` as `rule_id` (an `AWS::Events::Rule` with the function as its one target, `target_id`)
/// and `permission_id`, the permission EventBridge invokes it with.
pub(crate) fn add_rule(
    c: &mut crate::plan::Compiler,
    function: &str,
    (rule_id, permission_id, target_id): (String, String, String),
    rule: Rule,
) {
    use serde_json::json;
    let mut target = serde_json::Map::new();
    rule_input(
        &mut target,
        rule.input,
        rule.input_path,
        rule.input_transformer,
    );
    target.insert("Arn".into(), crate::plan::Compiler::function_arn(function));
    target.insert("Id".into(), json!(target_id));
    let mut p = serde_json::Map::new();
    p.insert(rule.trigger.0.into(), rule.trigger.1);
    p.insert(
        "State".into(),
        json!(if rule.enabled { "ENABLED" } else { "DISABLED" }),
    );
    if let Some(name) = rule.name {
        p.insert("Name".into(), json!(name));
    }
    if let Some(d) = rule.description {
        p.insert("Description".into(), json!(d));
    }
    p.insert("Targets".into(), json!([target]));
    c.add(
        rule_id.clone(),
        json!({ "Type": "AWS::Events::Rule", "Properties": p }),
    );
    c.add(
        permission_id,
        crate::plan::permission(
            function,
            "events.amazonaws.com",
            Some(json!({ "Fn::GetAtt": [rule_id, "Arn"] })),
        ),
    );
}

/// `input`, `inputPath` or `inputTransformer` of a schedule or EventBridge rule, onto its target.
pub(crate) fn rule_input(
    target: &mut serde_json::Map<String, Value>,
    input: Option<&Value>,
    input_path: Option<&String>,
    transformer: Option<&serde_json::Map<String, Value>>,
) {
    if let Some(i) = input {
        let text = match i {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        target.insert("Input".into(), Value::String(text));
    }
    if let Some(p) = input_path {
        target.insert("InputPath".into(), Value::String(p.clone()));
    }
    if let Some(t) = transformer {
        let t = Value::Object(t.clone());
        target.insert(
            "InputTransformer".into(),
            crate::plan::pick(
                &t,
                &[
                    ("inputTemplate", "InputTemplate"),
                    ("inputPathsMap", "InputPathsMap"),
                ],
            ),
        );
    }
}

/// An event's 1-based position among its function's events (`…events[3]…` → 4).
pub(crate) fn position(path: &KeyPath) -> usize {
    path.0
        .iter()
        .find_map(|s| match s {
            crate::error::Seg::Index(i) => Some(i + 1),
            _ => None,
        })
        .unwrap_or(1)
}

/// The events of one kind, with their functions, in configuration order.
pub(crate) fn of_kind<'s, T>(
    s: &'s crate::manifest::Service,
    pick: impl Fn(&'s Event) -> Option<&'s T>,
) -> Vec<(&'s crate::manifest::service::Function, &'s T)> {
    let mut out = Vec::new();
    for f in s.functions.values() {
        for e in &f.events {
            if let Some(x) = pick(e) {
                out.push((f, x));
            }
        }
    }
    out
}

/// The name an event source gets in logical IDs: the last part of an ARN, or the logical ID
/// of a `!GetAtt`/`!Ref`.
pub(crate) fn source_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(arn_name(s).to_string()),
        Value::Object(m) => match (m.get("Fn::GetAtt"), m.get("Ref"), m.get("Fn::ImportValue")) {
            (Some(Value::Array(a)), _, _) => a.first().and_then(Value::as_str).map(String::from),
            (Some(Value::String(s)), _, _) => s.split('.').next().map(String::from),
            (_, Some(Value::String(r)), _) => Some(r.clone()),
            (_, _, Some(Value::String(i))) => Some(i.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// An ARN-or-intrinsic value: a string that starts with `arn:`, or `{Ref}` / `{Fn::GetAtt}` /
/// `{Fn::ImportValue}` / `{Fn::Join}` / `{Fn::Sub}`.
pub(crate) fn arn_value(v: &Value, path: &KeyPath, c: &mut Checker, what: &str) -> Option<Value> {
    match v {
        Value::String(s) if s.starts_with("arn:") => Some(v.clone()),
        v if crate::manifest::checker::is_intrinsic(v) => Some(v.clone()),
        other => {
            c.error(
                path,
                format!(
                    "`{path}` must be {what} ARN (arn:…) or a !GetAtt/!Ref, not {}",
                    show(other)
                ),
                format!(
                    "for example `arn:aws:{}:us-east-1:123456789012:name`",
                    what.trim_start_matches("an ")
                        .trim_start_matches("a ")
                        .to_lowercase()
                ),
            );
            None
        }
    }
}

/// The last `:`- or `/`-separated part of an ARN (a queue, topic or stream name).
pub(crate) fn arn_name(arn: &str) -> &str {
    let last = arn.rsplit(':').next().unwrap_or(arn);
    last.rsplit('/').next().unwrap_or(last)
}
