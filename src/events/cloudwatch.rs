//! `cloudwatchEvent` (an EventBridge rule on the default bus, v3's older spelling) and
//! `cloudwatchLog` (a log group subscription filter), compiled with v3's logical IDs.

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, type_name, Checker};

#[derive(Debug, Clone)]
pub struct CloudwatchEvent {
    pub pattern: Value,
    pub enabled: bool,
    pub name: Option<String>,
    pub description: Option<String>,
    pub input: Option<Value>,
    pub input_path: Option<String>,
    pub input_transformer: Option<Map<String, Value>>,
}

pub fn parse_event(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<CloudwatchEvent> {
    let m = c.map(v, path)?;
    c.unknown_keys(
        m,
        &[
            "event",
            "input",
            "inputPath",
            "inputTransformer",
            "description",
            "name",
            "enabled",
        ],
        path,
    );
    let pattern = match m.get("event") {
        Some(p @ Value::Object(_)) => p.clone(),
        Some(other) => {
            c.error(
                &path.key("event"),
                format!(
                    "`event` must be a map (the event pattern), not {}",
                    type_name(other)
                ),
                "write `event: { source: [aws.ec2] }`",
            );
            return None;
        }
        None => {
            c.error(
                path,
                "a cloudwatchEvent needs `event`, the pattern it matches",
                "add `event: { source: [aws.ec2], detail-type: [...] }`",
            );
            return None;
        }
    };
    let e = CloudwatchEvent {
        pattern,
        enabled: c.opt_bool(m, "enabled", path).unwrap_or(true),
        name: c.opt_string(m, "name", path),
        description: c.opt_string(m, "description", path),
        input: m.get("input").filter(|v| !v.is_null()).cloned(),
        input_path: c.opt_string(m, "inputPath", path),
        input_transformer: match m.get("inputTransformer") {
            None | Some(Value::Null) => None,
            Some(t) => Some(c.map(t, &path.key("inputTransformer"))?.clone()),
        },
    };
    let given = [
        e.input.is_some(),
        e.input_path.is_some(),
        e.input_transformer.is_some(),
    ];
    if given.iter().filter(|x| **x).count() > 1 {
        c.error(
            path,
            "a cloudwatchEvent takes only one of `input`, `inputPath` and `inputTransformer`",
            "keep the one the function expects",
        );
        return None;
    }
    Some(e)
}

#[derive(Debug, Clone)]
pub struct CloudwatchLog {
    pub log_group: String,
    pub filter: String,
}

pub fn parse_log(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<CloudwatchLog> {
    let (group, filter) = match v {
        Value::String(s) => (s.clone(), String::new()),
        Value::Object(m) => {
            c.unknown_keys(m, &["logGroup", "filter"], path);
            let Some(group) = c.opt_string(m, "logGroup", path) else {
                c.error(
                    &path.key("logGroup"),
                    "a cloudwatchLog event needs `logGroup`",
                    "write `cloudwatchLog: /aws/lambda/other` or `logGroup: /aws/lambda/other`",
                );
                return None;
            };
            (group, c.opt_string(m, "filter", path).unwrap_or_default())
        }
        other => {
            c.error(
                path,
                format!(
                    "a cloudwatchLog event must be a log group name or a map, not {}",
                    show(other)
                ),
                "write `cloudwatchLog: /aws/lambda/other`",
            );
            return None;
        }
    };
    let one_line = |s: &str| s.replace("\r\n", "").replace('\n', "");
    Some(CloudwatchLog {
        log_group: one_line(&group),
        filter: unescape_quotes_once(&one_line(&filter)),
    })
}

/// A filter written with escaped quotes (`{$.a = \"b\"}`, common when it came through YAML
/// double quotes twice) loses one level of escaping, as v3 reads it.
fn unescape_quotes_once(f: &str) -> String {
    match (f.find('\\'), f.find('"')) {
        (Some(slash), Some(quote)) if quote > slash => {
            let mut out = String::with_capacity(f.len());
            let mut chars = f.chars().peekable();
            while let Some(ch) = chars.next() {
                if ch == '\\' && matches!(chars.peek(), Some('"' | '\\' | '\'')) {
                    out.extend(chars.next());
                } else {
                    out.push(ch);
                }
            }
            out
        }
        _ => f.to_string(),
    }
}

/// CloudWatch Logs takes two subscription filters per log group.
const FILTERS_PER_LOG_GROUP: usize = 2;

/// `<Fn>EventsRuleCloudWatchEvent<N>` rules with their permissions, and
/// `<Fn>LogsSubscriptionFilterCloudWatchLog<N>` filters with one permission per function
/// (its source: the log groups' longest common prefix).
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    let service = c.service;
    let mut events: std::collections::HashMap<&str, usize> = Default::default();
    for (f, e) in super::of_kind(service, |e| match e {
        super::Event::CloudwatchEvent(x) => Some(x),
        _ => None,
    }) {
        let n = events.entry(f.key.as_str()).or_insert(0);
        *n += 1;
        super::add_rule(
            c,
            &f.key,
            (
                crate::naming::cloudwatch_event_rule_id(&f.key, *n),
                crate::naming::cloudwatch_event_permission_id(&f.key, *n),
                crate::naming::cloudwatch_event_target_id(&f.key),
            ),
            super::Rule {
                trigger: ("EventPattern", e.pattern.clone()),
                enabled: e.enabled,
                name: e.name.as_ref(),
                description: e.description.as_ref(),
                input: e.input.as_ref(),
                input_path: e.input_path.as_ref(),
                input_transformer: e.input_transformer.as_ref(),
            },
        );
    }

    let mut per_group: std::collections::HashMap<&str, usize> = Default::default();
    let mut groups_of: indexmap::IndexMap<&str, Vec<&str>> = Default::default();
    let mut logs: std::collections::HashMap<&str, usize> = Default::default();
    for (f, l) in super::of_kind(service, |e| match e {
        super::Event::CloudwatchLog(x) => Some(x),
        _ => None,
    }) {
        let seen = per_group.entry(l.log_group.as_str()).or_insert(0);
        *seen += 1;
        if *seen > FILTERS_PER_LOG_GROUP {
            c.diags.push(
                crate::error::Diagnostic::error(format!(
                    "log group `{}` has more than {FILTERS_PER_LOG_GROUP} cloudwatchLog subscriptions; CloudWatch Logs allows {FILTERS_PER_LOG_GROUP} per log group",
                    l.log_group
                ))
                .at(&KeyPath::root().key("functions").key(f.key.clone()).key("events"))
                .hint("subscribe one function and fan out from it, or use fewer subscriptions"),
            );
            continue;
        }
        let n = logs.entry(f.key.as_str()).or_insert(0);
        *n += 1;
        let permission_id = crate::naming::cloudwatch_log_permission_id(&f.key);
        c.add(
            crate::naming::cloudwatch_log_filter_id(&f.key, *n),
            json!({
                "Type": "AWS::Logs::SubscriptionFilter",
                "DependsOn": [permission_id],
                "Properties": {
                    "LogGroupName": l.log_group,
                    "FilterPattern": l.filter,
                    "DestinationArn": crate::plan::Compiler::function_arn(&f.key),
                },
            }),
        );
        groups_of
            .entry(f.key.as_str())
            .or_default()
            .push(l.log_group.as_str());
    }
    for (key, groups) in groups_of {
        let mut permission = crate::plan::permission(key, "", None);
        permission["Properties"]["Principal"] =
            json!({ "Fn::Join": ["", ["logs.", { "Ref": "AWS::Region" }, ".amazonaws.com"]] });
        permission["Properties"]["SourceArn"] = json!({ "Fn::Join": ["", [
            "arn:", { "Ref": "AWS::Partition" }, ":logs:", { "Ref": "AWS::Region" }, ":",
            { "Ref": "AWS::AccountId" }, ":log-group:", source_groups(&groups), ":*"
        ]] });
        c.add(crate::naming::cloudwatch_log_permission_id(key), permission);
    }
}

/// The log groups one permission covers: the one group, or the longest common prefix of
/// several with `*`.
fn source_groups(groups: &[&str]) -> String {
    let first = groups[0];
    let mut common = first.len();
    for g in &groups[1..] {
        common = first
            .char_indices()
            .zip(g.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(common);
    }
    let mut out = first[..common].to_string();
    if groups.len() > 1 && !out.ends_with('*') {
        out.push('*');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_sources_are_the_groups_common_prefix() {
        assert_eq!(source_groups(&["/aws/lambda/a"]), "/aws/lambda/a");
        assert_eq!(
            source_groups(&["/aws/lambda/other", "/aws/lambda/third"]),
            "/aws/lambda/*"
        );
        assert_eq!(source_groups(&["/a/x", "/b/x"]), "/*");
    }

    #[test]
    fn escaped_quotes_lose_one_level() {
        assert_eq!(unescape_quotes_once(r#"{$.a = \"b\"}"#), r#"{$.a = "b"}"#);
        assert_eq!(unescape_quotes_once(r#"{$.a = "b\"}"#), r#"{$.a = "b\"}"#);
    }
}
