//! `sqs` events: event source mappings from SQS queues.

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::Checker;

#[derive(Debug, Clone)]
pub struct Sqs {
    pub arn: Value,
    pub batch_size: Option<i64>,
    pub maximum_batching_window: Option<i64>,
    pub function_response_type: Option<String>,
    pub enabled: Option<bool>,
    pub filter_patterns: Option<Value>,
    pub maximum_concurrency: Option<i64>,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Sqs> {
    match v {
        Value::Object(m) if !crate::manifest::checker::is_intrinsic(v) => {
            c.unknown_keys(
                m,
                &[
                    "arn",
                    "batchSize",
                    "maximumBatchingWindow",
                    "functionResponseType",
                    "enabled",
                    "filterPatterns",
                    "maximumConcurrency",
                ],
                path,
            );
            let Some(arn) = m.get("arn") else {
                c.error(
                    &path.key("arn"),
                    "sqs event has no `arn`",
                    "add `arn: arn:aws:sqs:…` or `arn: !GetAtt MyQueue.Arn`",
                );
                return None;
            };
            let arn = super::arn_value(arn, &path.key("arn"), c, "an SQS queue")?;
            let frt = c.opt_string(m, "functionResponseType", path);
            if let Some(t) = &frt {
                if t != "ReportBatchItemFailures" {
                    c.error(
                        &path.key("functionResponseType"),
                        format!("`{t}` is not a function response type"),
                        "the only value is ReportBatchItemFailures",
                    );
                    return None;
                }
            }
            Some(Sqs {
                arn,
                batch_size: c.opt_int(m, "batchSize", path, 1, 10000),
                maximum_batching_window: c.opt_int(m, "maximumBatchingWindow", path, 0, 300),
                function_response_type: frt,
                enabled: c.opt_bool(m, "enabled", path),
                filter_patterns: m.get("filterPatterns").cloned(),
                maximum_concurrency: c.opt_int(m, "maximumConcurrency", path, 2, 1000),
                key_path: path.clone(),
            })
        }
        other => {
            let arn = super::arn_value(other, path, c, "an SQS queue")?;
            Some(Sqs {
                arn,
                batch_size: None,
                maximum_batching_window: None,
                function_response_type: None,
                enabled: None,
                filter_patterns: None,
                maximum_concurrency: None,
                key_path: path.clone(),
            })
        }
    }
}

/// `<Fn>EventSourceMappingSQS<Queue>`, and the shared role's right to read the queues.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use serde_json::{json, Map};
    let service = c.service;
    for (f, q) in super::of_kind(service, |e| match e {
        super::Event::Sqs(q) => Some(q),
        _ => None,
    }) {
        let Some(queue) = super::source_name(&q.arn) else {
            c.diags.push(
                crate::error::Diagnostic::error("cannot name this queue from its ARN")
                    .at(&q.key_path)
                    .hint("use an ARN string or `!GetAtt Queue.Arn`"),
            );
            continue;
        };
        let mut p = Map::new();
        p.insert("BatchSize".into(), json!(q.batch_size.unwrap_or(10)));
        if let Some(w) = q.maximum_batching_window {
            p.insert("MaximumBatchingWindowInSeconds".into(), json!(w));
        }
        p.insert("EventSourceArn".into(), q.arn.clone());
        p.insert(
            "FunctionName".into(),
            crate::plan::Compiler::function_arn(&f.key),
        );
        p.insert("Enabled".into(), json!(q.enabled.unwrap_or(true)));
        if let Some(t) = &q.function_response_type {
            p.insert("FunctionResponseTypes".into(), json!([t]));
        }
        if let Some(fp) = &q.filter_patterns {
            p.insert("FilterCriteria".into(), super::stream::filter_criteria(fp));
        }
        if let Some(m) = q.maximum_concurrency {
            p.insert("ScalingConfig".into(), json!({ "MaximumConcurrency": m }));
        }
        let mut r = json!({ "Type": "AWS::Lambda::EventSourceMapping", "Properties": p });
        if c.uses_shared_role(f) {
            r["DependsOn"] = json!([crate::naming::ROLE_ID]);
            c.role_statement(
                "sqs",
                &[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                ],
                q.arn.clone(),
            );
        }
        c.add(
            crate::naming::sqs_event_source_mapping_id(&f.key, &queue),
            r,
        );
    }
}
