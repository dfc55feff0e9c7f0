//! `sns` events: a topic the stack creates (by name) or a subscription to an existing topic (by
//! ARN).

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct Sns {
    /// The topic's ARN when subscribing to an existing topic.
    pub arn: Option<Value>,
    /// The topic name: created by the stack when `arn` is absent.
    pub topic_name: String,
    pub display_name: Option<String>,
    pub filter_policy: Option<Value>,
    pub filter_policy_scope: Option<String>,
    pub redrive_policy: Option<Value>,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Sns> {
    let mut s = Sns {
        arn: None,
        topic_name: String::new(),
        display_name: None,
        filter_policy: None,
        filter_policy_scope: None,
        redrive_policy: None,
        key_path: path.clone(),
    };
    match v {
        Value::String(t) if t.starts_with("arn:") => {
            s.topic_name = super::arn_name(t).to_string();
            s.arn = Some(v.clone());
        }
        Value::String(t) => s.topic_name = t.clone(),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &[
                    "arn",
                    "topicName",
                    "displayName",
                    "filterPolicy",
                    "filterPolicyScope",
                    "redrivePolicy",
                ],
                path,
            );
            s.display_name = c.opt_string(m, "displayName", path);
            s.filter_policy = m.get("filterPolicy").cloned();
            s.filter_policy_scope = c.opt_string(m, "filterPolicyScope", path);
            s.redrive_policy = m.get("redrivePolicy").cloned();
            let topic_name = c.opt_string(m, "topicName", path);
            match m.get("arn") {
                Some(arn) => {
                    let arn = super::arn_value(arn, &path.key("arn"), c, "an SNS topic")?;
                    s.topic_name = match (&topic_name, arn.as_str()) {
                        (Some(n), _) => n.clone(),
                        (None, Some(a)) => super::arn_name(a).to_string(),
                        (None, None) => {
                            c.error(
                                &path.key("topicName"),
                                "an sns event with an intrinsic `arn` needs `topicName`",
                                "add `topicName:` (it names the subscription's logical ID)",
                            );
                            return None;
                        }
                    };
                    s.arn = Some(arn);
                }
                None => match topic_name {
                    Some(n) => s.topic_name = n,
                    None => {
                        c.error(path, "sns event needs `topicName` or `arn`", "add `topicName: my-topic` to create a topic, or `arn:` to subscribe to one");
                        return None;
                    }
                },
            }
        }
        other => {
            c.error(
                path,
                format!(
                    "an sns event must be a topic name, an ARN or a map, not {}",
                    show(other)
                ),
                "write `sns: my-topic`",
            );
            return None;
        }
    }
    if s.arn.is_none()
        && (s.topic_name.is_empty()
            || s.topic_name.len() > 256
            || !s
                .topic_name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'))
    {
        c.error(
            path,
            format!("`{}` is not a valid SNS topic name", s.topic_name),
            "topic names are 1–256 letters, digits, hyphens and underscores",
        );
        return None;
    }
    Some(s)
}

/// A topic created by name (`SNSTopic<Name>`, subscriptions inline) or a subscription to an
/// existing topic (`<Fn>SnsSubscription<Name>`), each with its permission.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use crate::naming;
    use crate::plan::{account, join, partition, permission, region, Compiler};
    use serde_json::{json, Map};
    let service = c.service;
    for (f, s) in super::of_kind(service, |e| match e {
        super::Event::Sns(s) => Some(s),
        _ => None,
    }) {
        let endpoint = Compiler::function_arn(&f.key);
        let needs_subscription_resource =
            s.arn.is_some() || s.filter_policy.is_some() || s.redrive_policy.is_some();
        let (topic_arn, source_arn) = match &s.arn {
            Some(arn) => (arn.clone(), arn.clone()),
            None => {
                let id = naming::sns_topic_id(&s.topic_name);
                let exists = c.t.resources.contains_key(&id);
                if !exists {
                    let mut p = Map::new();
                    p.insert("TopicName".into(), json!(s.topic_name));
                    if let Some(d) = &s.display_name {
                        p.insert("DisplayName".into(), json!(d));
                    }
                    c.add(
                        id.clone(),
                        json!({ "Type": "AWS::SNS::Topic", "Properties": p }),
                    );
                }
                if !needs_subscription_resource {
                    // Subscriptions inline, as v3 writes them (an empty list is left out).
                    if let Some(p) = c
                        .resource_mut(&id)
                        .and_then(|r| r.get_mut("Properties"))
                        .and_then(Value::as_object_mut)
                    {
                        let subs = p.entry("Subscription").or_insert_with(|| json!([]));
                        if let Some(list) = subs.as_array_mut() {
                            list.push(
                                json!({ "Endpoint": endpoint.clone(), "Protocol": "lambda" }),
                            );
                        }
                    }
                }
                let arn = join(vec![
                    json!("arn:"),
                    partition(),
                    json!(":sns:"),
                    region(),
                    json!(":"),
                    account(),
                    json!(":"),
                    json!(s.topic_name),
                ]);
                (json!({ "Ref": id }), arn)
            }
        };
        if needs_subscription_resource {
            let mut p = Map::new();
            p.insert("TopicArn".into(), topic_arn);
            p.insert("Protocol".into(), json!("lambda"));
            p.insert("Endpoint".into(), endpoint);
            if let Some(fp) = &s.filter_policy {
                p.insert("FilterPolicy".into(), fp.clone());
            }
            if let Some(scope) = &s.filter_policy_scope {
                p.insert("FilterPolicyScope".into(), json!(scope));
            }
            if let Some(r) = &s.redrive_policy {
                p.insert("RedrivePolicy".into(), r.clone());
            }
            c.add(
                naming::sns_subscription_id(&f.key, &s.topic_name),
                json!({ "Type": "AWS::SNS::Subscription", "Properties": p }),
            );
        }
        c.add(
            naming::sns_permission_id(&f.key, &s.topic_name),
            permission(&f.key, "sns.amazonaws.com", Some(source_arn)),
        );
    }
}
