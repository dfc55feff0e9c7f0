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
    pub key_path: KeyPath,
}

fn infer_type(arn: &Value) -> Option<StreamType> {
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
    Some(s)
}
