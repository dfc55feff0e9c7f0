//! `stream` events: event source mappings from DynamoDB and Kinesis streams.

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamType {
    Dynamodb,
    Kinesis,
}

#[derive(Debug, Clone)]
pub struct Stream {
    pub arn: Value,
    pub kind: StreamType,
    pub batch_size: i64,
    pub starting_position: String,
    pub enabled: Option<bool>,
    pub filter_patterns: Option<Value>,
    pub batch_window: Option<i64>,
    pub parallelization_factor: Option<i64>,
    pub maximum_retry_attempts: Option<i64>,
    pub bisect_batch_on_function_error: Option<bool>,
    pub function_response_type: Option<String>,
    pub starting_position_timestamp: Option<i64>,
    pub maximum_record_age: Option<i64>,
    pub tumbling_window: Option<i64>,
    /// `destinations.onFailure`: an SQS queue or SNS topic ARN for records that failed.
    pub on_failure: Option<Value>,
    /// `consumer`: read a Kinesis stream through an enhanced fan-out consumer.
    pub consumer: Option<Consumer>,
    pub key_path: KeyPath,
}

#[derive(Debug, Clone)]
pub enum Consumer {
    /// `consumer: true`: the stack registers one for the function.
    Created,
    /// `consumer: <ARN>`: one registered elsewhere.
    Arn(Value),
}

fn infer_type(arn: &Value) -> Option<StreamType> {
    // `!GetAtt Table.StreamArn`: only DynamoDB tables have a StreamArn attribute.
    if let Some(Value::Array(a)) = arn.get("Fn::GetAtt") {
        if a.get(1).and_then(Value::as_str) == Some("StreamArn") {
            return Some(StreamType::Dynamodb);
        }
    }
    let s = arn.as_str()?;
    if s.contains(":dynamodb:") {
        Some(StreamType::Dynamodb)
    } else if s.contains(":kinesis:") {
        Some(StreamType::Kinesis)
    } else {
        None
    }
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Stream> {
    let mut s = Stream {
        arn: Value::Null,
        kind: StreamType::Dynamodb,
        batch_size: 10,
        starting_position: "TRIM_HORIZON".into(),
        enabled: None,
        filter_patterns: None,
        batch_window: None,
        parallelization_factor: None,
        maximum_retry_attempts: None,
        bisect_batch_on_function_error: None,
        function_response_type: None,
        starting_position_timestamp: None,
        maximum_record_age: None,
        tumbling_window: None,
        on_failure: None,
        consumer: None,
        key_path: path.clone(),
    };
    let mut explicit_type = None;
    match v {
        Value::Object(m) if !crate::manifest::checker::is_intrinsic(v) => {
            c.unknown_keys(
                m,
                &[
                    "arn",
                    "type",
                    "batchSize",
                    "startingPosition",
                    "enabled",
                    "filterPatterns",
                    "batchWindow",
                    "maximumBatchingWindow",
                    "parallelizationFactor",
                    "maximumRetryAttempts",
                    "bisectBatchOnFunctionError",
                    "functionResponseType",
                    "startingPositionTimestamp",
                    "maximumRecordAgeInSeconds",
                    "destinations",
                    "tumblingWindowInSeconds",
                    "consumer",
                ],
                path,
            );
            let Some(arn) = m.get("arn") else {
                c.error(
                    &path.key("arn"),
                    "stream event has no `arn`",
                    "add `arn: !GetAtt MyTable.StreamArn`",
                );
                return None;
            };
            s.arn = super::arn_value(arn, &path.key("arn"), c, "a stream")?;
            if let Some(t) = c.opt_string(m, "type", path) {
                explicit_type = match t.as_str() {
                    "dynamodb" => Some(StreamType::Dynamodb),
                    "kinesis" => Some(StreamType::Kinesis),
                    other => {
                        c.error(
                            &path.key("type"),
                            format!("stream type `{other}` is not dynamodb or kinesis"),
                            "use `type: dynamodb` or `type: kinesis`",
                        );
                        return None;
                    }
                };
            }
            if let Some(b) = c.opt_int(m, "batchSize", path, 1, 10000) {
                s.batch_size = b;
            }
            if let Some(p) = c.opt_string(m, "startingPosition", path) {
                if !["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"].contains(&p.as_str()) {
                    c.error(
                        &path.key("startingPosition"),
                        format!("`{p}` is not a starting position"),
                        "use TRIM_HORIZON, LATEST or AT_TIMESTAMP",
                    );
                    return None;
                }
                s.starting_position = p;
            }
            s.enabled = c.opt_bool(m, "enabled", path);
            s.filter_patterns = m.get("filterPatterns").cloned();
            s.batch_window = c
                .opt_int(m, "batchWindow", path, 0, 300)
                .or_else(|| c.opt_int(m, "maximumBatchingWindow", path, 0, 300));
            s.parallelization_factor = c.opt_int(m, "parallelizationFactor", path, 1, 10);
            s.maximum_retry_attempts = c.opt_int(m, "maximumRetryAttempts", path, -1, 10000);
            s.bisect_batch_on_function_error = c.opt_bool(m, "bisectBatchOnFunctionError", path);
            s.function_response_type = c.opt_string(m, "functionResponseType", path);
            s.starting_position_timestamp =
                c.opt_int(m, "startingPositionTimestamp", path, 0, i64::MAX);
            s.maximum_record_age = c.opt_int(m, "maximumRecordAgeInSeconds", path, -1, 604_800);
            s.tumbling_window = c.opt_int(m, "tumblingWindowInSeconds", path, 0, 900);
            s.on_failure = m
                .get("destinations")
                .and_then(|d| d.get("onFailure"))
                .map(|f| f.get("arn").cloned().unwrap_or_else(|| f.clone()));
            s.consumer = match m.get("consumer") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => None,
                Some(Value::Bool(true)) => Some(Consumer::Created),
                Some(v) => Some(Consumer::Arn(super::arn_value(
                    v,
                    &path.key("consumer"),
                    c,
                    "a Kinesis stream consumer",
                )?)),
            };
        }
        other => {
            s.arn = super::arn_value(other, path, c, "a stream")?;
        }
    }
    s.kind = match explicit_type.or_else(|| infer_type(&s.arn)) {
        Some(k) => k,
        None => {
            c.error(
                path,
                format!(
                    "cannot tell whether {} is a DynamoDB or a Kinesis stream",
                    show(&s.arn)
                ),
                "add `type: dynamodb` or `type: kinesis`",
            );
            return None;
        }
    };
    if s.consumer.is_some() && s.kind == StreamType::Dynamodb {
        c.error(
            &path.key("consumer"),
            "enhanced fan-out consumers read Kinesis streams, not DynamoDB streams",
            "remove `consumer`",
        );
        return None;
    }
    Some(s)
}

/// `filterPatterns: [{…}]` as Lambda's `FilterCriteria`.
pub(crate) fn filter_criteria(patterns: &Value) -> Value {
    let list = match patterns {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    serde_json::json!({ "Filters": list.iter().map(|p| serde_json::json!({ "Pattern": match p { Value::String(s) => s.clone(), other => other.to_string() } })).collect::<Vec<_>>() })
}

/// The table or stream name in an event source ARN: `table/Users/stream/…` → `Users`,
/// `stream/clicks` → `clicks`.
fn stream_name(v: &Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        let resource = s.splitn(6, ':').nth(5).unwrap_or(s);
        let parts: Vec<&str> = resource.split('/').collect();
        return match parts.as_slice() {
            ["table", table, ..] => Some(table.to_string()),
            ["stream", name, ..] => Some(name.to_string()),
            _ => Some(super::arn_name(s).to_string()),
        };
    }
    super::source_name(v)
}

/// `<Fn>EventSourceMapping<Dynamodb|Kinesis><Name>`, and the shared role's right to read.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use serde_json::{json, Map};
    let service = c.service;
    for (f, s) in super::of_kind(service, |e| match e {
        super::Event::Stream(s) => Some(s),
        _ => None,
    }) {
        let Some(name) = stream_name(&s.arn) else {
            c.diags.push(
                crate::error::Diagnostic::error("cannot name this stream from its ARN")
                    .at(&s.key_path)
                    .hint("use an ARN string or `!GetAtt Table.StreamArn`"),
            );
            continue;
        };
        let (kind, actions): (&str, &[&'static str]) = match s.kind {
            StreamType::Dynamodb => (
                "Dynamodb",
                &[
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:DescribeStream",
                    "dynamodb:ListStreams",
                ],
            ),
            StreamType::Kinesis => (
                "Kinesis",
                &[
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:DescribeStream",
                    "kinesis:ListStreams",
                ],
            ),
        };
        let mut p = Map::new();
        p.insert("BatchSize".into(), json!(s.batch_size));
        if let Some(w) = s.batch_window {
            p.insert("MaximumBatchingWindowInSeconds".into(), json!(w));
        }
        p.insert("Enabled".into(), json!(s.enabled.unwrap_or(true)));
        // Through a consumer, the mapping reads the consumer and the role may subscribe to it.
        let consumer = match &s.consumer {
            None => None,
            Some(Consumer::Arn(arn)) => Some(arn.clone()),
            Some(Consumer::Created) => {
                let consumer_name = if service.provider.kinesis_consumer_service_specific {
                    format!("{}{name}{}{}Consumer", f.key, service.name, service.stage)
                } else {
                    format!("{}{name}Consumer", f.key)
                };
                let id = crate::naming::stream_consumer_id(&consumer_name);
                c.add(
                    id.clone(),
                    json!({ "Type": "AWS::Kinesis::StreamConsumer", "Properties": { "StreamARN": s.arn, "ConsumerName": consumer_name } }),
                );
                Some(json!({ "Ref": id }))
            }
        };
        p.insert(
            "EventSourceArn".into(),
            consumer.clone().unwrap_or_else(|| s.arn.clone()),
        );
        p.insert(
            "FunctionName".into(),
            crate::plan::Compiler::function_arn(&f.key),
        );
        p.insert("StartingPosition".into(), json!(s.starting_position));
        if let Some(n) = s.parallelization_factor {
            p.insert("ParallelizationFactor".into(), json!(n));
        }
        if let Some(n) = s.maximum_retry_attempts {
            p.insert("MaximumRetryAttempts".into(), json!(n));
        }
        if let Some(b) = s.bisect_batch_on_function_error {
            p.insert("BisectBatchOnFunctionError".into(), json!(b));
        }
        if let Some(t) = &s.function_response_type {
            p.insert("FunctionResponseTypes".into(), json!([t]));
        }
        if let Some(fp) = &s.filter_patterns {
            p.insert("FilterCriteria".into(), filter_criteria(fp));
        }
        if let Some(t) = s.starting_position_timestamp {
            p.insert("StartingPositionTimestamp".into(), json!(t));
        }
        if let Some(a) = s.maximum_record_age {
            p.insert("MaximumRecordAgeInSeconds".into(), json!(a));
        }
        if let Some(w) = s.tumbling_window {
            p.insert("TumblingWindowInSeconds".into(), json!(w));
        }
        if let Some(dest) = &s.on_failure {
            p.insert(
                "DestinationConfig".into(),
                json!({ "OnFailure": { "Destination": dest } }),
            );
            if c.uses_shared_role(f) {
                match dest.as_str() {
                    Some(a) if a.contains(":sns:") => {
                        c.role_statement("streamFailureSns", &["sns:Publish"], dest.clone())
                    }
                    Some(a) if a.contains(":sqs:") => c.role_statement(
                        "streamFailureSqs",
                        &["sqs:ListQueues", "sqs:SendMessage"],
                        dest.clone(),
                    ),
                    _ => {}
                }
            }
        }
        let mut r = json!({ "Type": "AWS::Lambda::EventSourceMapping", "Properties": p });
        if c.uses_shared_role(f) {
            r["DependsOn"] = json!([crate::naming::ROLE_ID]);
            match &consumer {
                None => {
                    let key = if s.kind == StreamType::Dynamodb {
                        "dynamodb"
                    } else {
                        "kinesis"
                    };
                    c.role_statement(key, actions, s.arn.clone());
                }
                Some(arn) => {
                    c.role_statement(
                        "kinesisWithConsumer",
                        &[
                            "kinesis:GetRecords",
                            "kinesis:GetShardIterator",
                            "kinesis:DescribeStreamSummary",
                            "kinesis:ListShards",
                        ],
                        s.arn.clone(),
                    );
                    c.role_statement(
                        "kinesisConsumer",
                        &["kinesis:SubscribeToShard"],
                        arn.clone(),
                    );
                }
            }
        }
        // (v3 also lists a created consumer in DependsOn, which the Ref implies: W3005.)
        c.add(
            crate::naming::stream_event_source_mapping_id(&f.key, kind, &name),
            r,
        );
    }
}
