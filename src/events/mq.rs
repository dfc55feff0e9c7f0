//! `kafka` (self-managed Apache Kafka), `msk` (Amazon MSK), `activemq` and `rabbitmq` (Amazon
//! MQ) events: Lambda event source mappings, with the permissions Lambda's poller needs on the
//! function's role (secrets, the broker or cluster, and the network interfaces it creates).

use serde_json::{json, Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{is_intrinsic, show, Checker};
use crate::naming;
use crate::plan::Compiler;

/// The network actions of a poller in the cluster's or broker's VPC.
const EC2_ACTIONS: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
];

/// What the mappings of all four kinds share.
#[derive(Debug, Clone, Default)]
pub struct Common {
    pub batch_size: Option<i64>,
    pub maximum_batching_window: Option<i64>,
    pub enabled: Option<bool>,
    pub filter_patterns: Option<Value>,
    pub key_path: KeyPath,
}

/// Where a Kafka consumer starts.
#[derive(Debug, Clone)]
pub struct Start {
    pub position: String,
    pub timestamp: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Kafka {
    pub topic: String,
    pub bootstrap_servers: Vec<String>,
    /// `(SourceAccessConfiguration type, URI, a secret the poller reads)`, in the order written.
    pub access: Vec<(&'static str, String, bool)>,
    pub start: Start,
    pub consumer_group_id: Option<String>,
    pub on_failure: Option<Value>,
    pub pollers: Option<Map<String, Value>>,
    pub common: Common,
}

#[derive(Debug, Clone)]
pub struct Msk {
    pub arn: Value,
    pub topic: String,
    pub start: Start,
    pub sasl_scram_512: Option<Value>,
    pub consumer_group_id: Option<String>,
    pub pollers: Option<Map<String, Value>>,
    pub common: Common,
}

/// An Amazon MQ broker's queue (`activemq` or `rabbitmq`).
#[derive(Debug, Clone)]
pub struct Broker {
    pub arn: Value,
    pub basic_auth_arn: Value,
    pub queue: String,
    /// RabbitMQ's virtual host.
    pub virtual_host: Option<String>,
    pub common: Common,
}

fn common(m: &Map<String, Value>, path: &KeyPath, c: &mut Checker) -> Common {
    Common {
        batch_size: c.opt_int(m, "batchSize", path, 1, 10_000),
        maximum_batching_window: c.opt_int(m, "maximumBatchingWindow", path, 0, 300),
        enabled: c.opt_bool(m, "enabled", path),
        filter_patterns: match m.get("filterPatterns") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Array(_)) => Some(v.clone()),
            Some(other) => {
                c.error(
                    &path.key("filterPatterns"),
                    format!(
                        "`filterPatterns` must be a list of patterns, not {}",
                        show(other)
                    ),
                    "write `filterPatterns: [{ value: { color: [red] } }]`",
                );
                None
            }
        },
        key_path: path.clone(),
    }
}

/// The event's settings as a map, or an error naming the kind.
fn settings<'a>(
    kind: &str,
    v: &'a Value,
    path: &KeyPath,
    c: &mut Checker,
) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        other => {
            c.error(
                path,
                format!("a {kind} event must be a map, not {}", show(other)),
                format!("write `{kind}:` with its settings indented under it"),
            );
            None
        }
    }
}

fn required<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    kind: &str,
    path: &KeyPath,
    c: &mut Checker,
) -> Option<&'a Value> {
    match m.get(key).filter(|v| !v.is_null()) {
        Some(v) => Some(v),
        None => {
            c.error(
                &path.key(key),
                format!("{kind} event has no `{key}`"),
                format!("add `{key}:`"),
            );
            None
        }
    }
}

fn required_string(
    m: &Map<String, Value>,
    key: &str,
    kind: &str,
    path: &KeyPath,
    c: &mut Checker,
) -> Option<String> {
    let v = required(m, key, kind, path, c)?;
    c.string(v, &path.key(key))
}

fn start(m: &Map<String, Value>, path: &KeyPath, c: &mut Checker) -> Option<Start> {
    let position = c
        .opt_string(m, "startingPosition", path)
        .unwrap_or_else(|| "TRIM_HORIZON".into());
    if !["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"].contains(&position.as_str()) {
        c.error(
            &path.key("startingPosition"),
            format!("`{position}` is not a starting position"),
            "use LATEST, TRIM_HORIZON or AT_TIMESTAMP",
        );
        return None;
    }
    let timestamp = m
        .get("startingPositionTimestamp")
        .filter(|v| !v.is_null())
        .cloned();
    if position == "AT_TIMESTAMP" && timestamp.is_none() {
        c.error(
            &path.key("startingPositionTimestamp"),
            "`startingPosition: AT_TIMESTAMP` needs `startingPositionTimestamp`",
            "add the time to start from, in seconds since the epoch",
        );
        return None;
    }
    Some(Start {
        position,
        timestamp,
    })
}

fn pollers(m: &Map<String, Value>, path: &KeyPath, c: &mut Checker) -> Option<Map<String, Value>> {
    let v = m.get("provisionedPollerConfig").filter(|v| !v.is_null())?;
    let p = path.key("provisionedPollerConfig");
    let pm = c.map(v, &p)?;
    c.unknown_keys(pm, &["minimumPollers", "maximumPollers"], &p);
    let mut out = Map::new();
    if let Some(n) = c.opt_int(pm, "minimumPollers", &p, 1, 200) {
        out.insert("MinimumPollers".into(), json!(n));
    }
    if let Some(n) = c.opt_int(pm, "maximumPollers", &p, 1, 2000) {
        out.insert("MaximumPollers".into(), json!(n));
    }
    Some(out)
}

fn string_list(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Vec<String>> {
    let Value::Array(items) = v else {
        c.error(
            path,
            format!("`{path}` must be a list, not {}", show(v)),
            "write one `- value` per line",
        );
        return None;
    };
    if items.is_empty() {
        c.error(
            path,
            format!("`{path}` is empty"),
            "give at least one value",
        );
        return None;
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| c.string(item, &path.index(i)))
        .collect()
}

pub fn parse_kafka(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Kafka> {
    let m = settings("kafka", v, path, c)?;
    c.unknown_keys(
        m,
        &[
            "accessConfigurations",
            "batchSize",
            "maximumBatchingWindow",
            "enabled",
            "bootstrapServers",
            "startingPosition",
            "startingPositionTimestamp",
            "topic",
            "onFailureDestination",
            "consumerGroupId",
            "filterPatterns",
            "provisionedPollerConfig",
        ],
        path,
    );
    let topic = required_string(m, "topic", "kafka", path, c)?;
    let servers = string_list(
        required(m, "bootstrapServers", "kafka", path, c)?,
        &path.key("bootstrapServers"),
        c,
    )?;
    let ap = path.key("accessConfigurations");
    let access_value = required(m, "accessConfigurations", "kafka", path, c)?;
    let am = c.map(access_value, &ap)?;
    const ACCESS: &[(&str, &str, &str, bool)] = &[
        ("vpcSubnet", "VPC_SUBNET", "subnet:", false),
        (
            "vpcSecurityGroup",
            "VPC_SECURITY_GROUP",
            "security_group:",
            false,
        ),
        ("saslPlainAuth", "BASIC_AUTH", "", true),
        ("saslScram256Auth", "SASL_SCRAM_256_AUTH", "", true),
        ("saslScram512Auth", "SASL_SCRAM_512_AUTH", "", true),
        (
            "clientCertificateTlsAuth",
            "CLIENT_CERTIFICATE_TLS_AUTH",
            "",
            true,
        ),
        (
            "serverRootCaCertificate",
            "SERVER_ROOT_CA_CERTIFICATE",
            "",
            true,
        ),
    ];
    c.unknown_keys(am, &ACCESS.iter().map(|a| a.0).collect::<Vec<_>>(), &ap);
    if am.is_empty() {
        c.error(&ap, "`accessConfigurations` is empty", "give the brokers' authentication or VPC, e.g. `saslScram512Auth: [arn:aws:secretsmanager:…]`");
        return None;
    }
    if am.contains_key("vpcSubnet") != am.contains_key("vpcSecurityGroup") {
        let missing = if am.contains_key("vpcSubnet") {
            "vpcSecurityGroup"
        } else {
            "vpcSubnet"
        };
        c.error(
            &ap.key(missing),
            format!("a VPC access configuration needs `{missing}` too"),
            "give both the subnets and the security groups the poller uses",
        );
        return None;
    }
    let mut access = Vec::new();
    for (key, values) in am {
        let Some((_, ty, prefix, secret)) = ACCESS.iter().find(|a| a.0 == key) else {
            continue;
        };
        for value in string_list(values, &ap.key(key.clone()), c)? {
            access.push((*ty, format!("{prefix}{value}"), *secret));
        }
    }
    Some(Kafka {
        topic,
        bootstrap_servers: servers,
        access,
        start: start(m, path, c)?,
        consumer_group_id: c.opt_string(m, "consumerGroupId", path),
        on_failure: m
            .get("onFailureDestination")
            .filter(|v| !v.is_null())
            .cloned(),
        pollers: pollers(m, path, c),
        common: common(m, path, c),
    })
}

pub fn parse_msk(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Msk> {
    let m = settings("msk", v, path, c)?;
    c.unknown_keys(
        m,
        &[
            "arn",
            "batchSize",
            "maximumBatchingWindow",
            "enabled",
            "startingPosition",
            "startingPositionTimestamp",
            "topic",
            "saslScram512",
            "consumerGroupId",
            "filterPatterns",
            "provisionedPollerConfig",
        ],
        path,
    );
    let arn = super::arn_value(
        required(m, "arn", "msk", path, c)?,
        &path.key("arn"),
        c,
        "an MSK cluster",
    )?;
    if cluster_name(&arn).is_none() {
        c.error(
            &path.key("arn"),
            "cannot name the MSK cluster from this `arn`",
            "write the cluster's ARN (arn:aws:kafka:…:cluster/NAME/…), a `Ref` or an `Fn::ImportValue`",
        );
        return None;
    }
    Some(Msk {
        arn,
        topic: required_string(m, "topic", "msk", path, c)?,
        start: start(m, path, c)?,
        sasl_scram_512: m.get("saslScram512").filter(|v| !v.is_null()).cloned(),
        consumer_group_id: c.opt_string(m, "consumerGroupId", path),
        pollers: pollers(m, path, c),
        common: common(m, path, c),
    })
}

/// `activemq` and `rabbitmq` (which alone has `virtualHost`).
pub fn parse_broker(kind: &str, v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Broker> {
    let m = settings(kind, v, path, c)?;
    let mut known = vec![
        "arn",
        "basicAuthArn",
        "batchSize",
        "maximumBatchingWindow",
        "enabled",
        "queue",
        "filterPatterns",
    ];
    if kind == "rabbitmq" {
        known.push("virtualHost");
    }
    c.unknown_keys(m, &known, path);
    let arn = required(m, "arn", kind, path, c)?;
    if !(arn.as_str().is_some_and(|s| s.starts_with("arn:")) || is_intrinsic(arn)) {
        c.error(
            &path.key("arn"),
            format!("`arn` must be the broker's ARN, not {}", show(arn)),
            "write `arn: arn:aws:mq:…:broker:NAME:b-…`",
        );
        return None;
    }
    let auth = required(m, "basicAuthArn", kind, path, c)?;
    Some(Broker {
        arn: arn.clone(),
        basic_auth_arn: auth.clone(),
        queue: required_string(m, "queue", kind, path, c)?,
        virtual_host: c.opt_string(m, "virtualHost", path),
        common: common(m, path, c),
    })
}

/// The cluster part of an MSK mapping's logical ID: `cluster/NAME/…` of the ARN, or the
/// `Ref`'s or `Fn::ImportValue`'s value.
fn cluster_name(arn: &Value) -> Option<String> {
    match arn {
        Value::String(s) => s.split('/').nth(1).map(String::from),
        Value::Object(m) => m
            .get("Fn::ImportValue")
            .or_else(|| m.get("Ref"))
            .and_then(Value::as_str)
            .map(String::from),
        _ => None,
    }
}

/// The mapping's properties so far: its function.
fn mapping(f: &crate::manifest::service::Function) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("FunctionName".into(), Compiler::function_arn(&f.key));
    p
}

fn finish(p: &mut Map<String, Value>, common: &Common) {
    if let Some(n) = common.batch_size {
        p.insert("BatchSize".into(), json!(n));
    }
    if let Some(n) = common.maximum_batching_window.filter(|n| *n > 0) {
        p.insert("MaximumBatchingWindowInSeconds".into(), json!(n));
    }
    if let Some(e) = common.enabled {
        p.insert("Enabled".into(), json!(e));
    }
    if let Some(fp) = &common.filter_patterns {
        p.insert("FilterCriteria".into(), super::stream::filter_criteria(fp));
    }
}

/// The mapping, waiting for the shared role that lets its poller run (when the function uses it).
fn add(
    c: &mut Compiler,
    f: &crate::manifest::service::Function,
    id: String,
    p: Map<String, Value>,
) {
    let mut r = json!({ "Type": "AWS::Lambda::EventSourceMapping", "Properties": p });
    if c.uses_shared_role(f) {
        r["DependsOn"] = json!([naming::ROLE_ID]);
    }
    c.add(id, r);
}

/// One function's events of one kind: v3 adds each function's role statements after its
/// mappings.
fn of_function<'s, T>(
    f: &'s crate::manifest::service::Function,
    pick: impl Fn(&'s super::Event) -> Option<&'s T>,
) -> Vec<&'s T> {
    f.events.iter().filter_map(pick).collect()
}

/// The four kinds, in v3's order (each function's statements follow its mappings).
pub(crate) fn compile(c: &mut Compiler) {
    kafka(c);
    brokers(c, "activemq");
    brokers(c, "rabbitmq");
    msk(c);
}

fn kafka(c: &mut Compiler) {
    let service = c.service;
    for f in service.functions.values() {
        let events = of_function(f, |e| match e {
            super::Event::Kafka(k) => Some(k),
            _ => None,
        });
        if events.is_empty() {
            continue;
        }
        let (mut secrets, mut vpc) = (Vec::new(), false);
        for k in &events {
            let mut p = mapping(f);
            p.insert("StartingPosition".into(), json!(k.start.position));
            p.insert(
                "SelfManagedEventSource".into(),
                json!({ "Endpoints": { "KafkaBootstrapServers": k.bootstrap_servers } }),
            );
            p.insert("Topics".into(), json!([k.topic]));
            let access: Vec<Value> = k
                .access
                .iter()
                .map(|(ty, uri, _)| json!({ "Type": ty, "URI": uri }))
                .collect();
            p.insert("SourceAccessConfigurations".into(), Value::Array(access));
            for (ty, uri, secret) in &k.access {
                if *secret {
                    secrets.push(json!(uri));
                } else if ty.starts_with("VPC_") {
                    vpc = true;
                }
            }
            finish(&mut p, &k.common);
            if let Some(g) = &k.consumer_group_id {
                p.insert(
                    "SelfManagedKafkaEventSourceConfig".into(),
                    json!({ "ConsumerGroupId": g }),
                );
            }
            if let Some(t) = &k.start.timestamp {
                p.insert("StartingPositionTimestamp".into(), t.clone());
            }
            if let Some(d) = &k.on_failure {
                p.insert(
                    "DestinationConfig".into(),
                    json!({ "OnFailure": { "Destination": d } }),
                );
            }
            if let Some(pc) = &k.pollers {
                p.insert("ProvisionedPollerConfig".into(), Value::Object(pc.clone()));
            }
            add(
                c,
                f,
                naming::kafka_event_source_mapping_id(&f.key, &k.topic),
                p,
            );
        }
        if c.uses_shared_role(f) {
            for s in secrets {
                c.role_statement("kafka-secrets", &["secretsmanager:GetSecretValue"], s);
            }
            if vpc {
                c.role_statement("kafka-ec2", EC2_ACTIONS, json!("*"));
            }
        }
    }
}

fn brokers(c: &mut Compiler, kind: &'static str) {
    let service = c.service;
    for f in service.functions.values() {
        let events = of_function(f, |e| match (e, kind) {
            (super::Event::ActiveMq(b), "activemq") => Some(b),
            (super::Event::RabbitMq(b), "rabbitmq") => Some(b),
            _ => None,
        });
        if events.is_empty() {
            continue;
        }
        for b in &events {
            let mut p = mapping(f);
            p.insert("EventSourceArn".into(), b.arn.clone());
            p.insert("Queues".into(), json!([b.queue]));
            let mut access = vec![json!({ "Type": "BASIC_AUTH", "URI": b.basic_auth_arn })];
            if let Some(vh) = &b.virtual_host {
                access.push(json!({ "Type": "VIRTUAL_HOST", "URI": vh }));
            }
            p.insert("SourceAccessConfigurations".into(), Value::Array(access));
            finish(&mut p, &b.common);
            let id = if kind == "activemq" {
                naming::activemq_event_source_mapping_id(&f.key, &b.queue)
            } else {
                naming::rabbitmq_event_source_mapping_id(&f.key, &b.queue)
            };
            add(c, f, id, p);
        }
        if c.uses_shared_role(f) {
            let (secrets, broker, ec2) = if kind == "activemq" {
                ("activemq-secrets", "activemq-broker", "activemq-ec2")
            } else {
                ("rabbitmq-secrets", "rabbitmq-broker", "rabbitmq-ec2")
            };
            for b in &events {
                c.role_statement(
                    secrets,
                    &["secretsmanager:GetSecretValue"],
                    b.basic_auth_arn.clone(),
                );
            }
            for b in &events {
                c.role_statement(broker, &["mq:DescribeBroker"], b.arn.clone());
            }
            c.role_statement(ec2, EC2_ACTIONS, json!("*"));
        }
    }
}

fn msk(c: &mut Compiler) {
    let service = c.service;
    for f in service.functions.values() {
        let events = of_function(f, |e| match e {
            super::Event::Msk(k) => Some(k),
            _ => None,
        });
        if events.is_empty() {
            continue;
        }
        for k in &events {
            let mut p = mapping(f);
            p.insert("EventSourceArn".into(), k.arn.clone());
            p.insert("StartingPosition".into(), json!(k.start.position));
            p.insert("Topics".into(), json!([k.topic]));
            if let Some(t) = &k.start.timestamp {
                p.insert("StartingPositionTimestamp".into(), t.clone());
            }
            finish(&mut p, &k.common);
            if let Some(g) = &k.consumer_group_id {
                p.insert(
                    "AmazonManagedKafkaEventSourceConfig".into(),
                    json!({ "ConsumerGroupId": g }),
                );
            }
            if let Some(s) = &k.sasl_scram_512 {
                p.insert(
                    "SourceAccessConfigurations".into(),
                    json!([{ "Type": "SASL_SCRAM_512_AUTH", "URI": s }]),
                );
            }
            if let Some(pc) = &k.pollers {
                p.insert("ProvisionedPollerConfig".into(), Value::Object(pc.clone()));
            }
            let cluster = cluster_name(&k.arn).unwrap_or_default();
            add(
                c,
                f,
                naming::msk_event_source_mapping_id(&f.key, &cluster, &k.topic),
                p,
            );
        }
        if c.uses_shared_role(f) {
            for k in &events {
                c.role_statement(
                    "msk-cluster",
                    &["kafka:DescribeCluster", "kafka:GetBootstrapBrokers"],
                    k.arn.clone(),
                );
            }
            c.role_statement("msk-ec2", EC2_ACTIONS, json!("*"));
        }
    }
}
