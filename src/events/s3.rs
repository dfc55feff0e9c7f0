//! `s3` events: a bucket the stack creates with a notification (configured by `provider.s3`
//! when the event names one of its keys), or an existing bucket.

use serde_json::{Map, Value};

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct S3 {
    pub bucket: String,
    pub event: String,
    pub rules: Vec<(String, String)>,
    pub existing: bool,
    pub force_deploy: bool,
    /// `s3: my-bucket` rather than a map.
    pub short_form: bool,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<S3> {
    let mut s3 = S3 {
        bucket: String::new(),
        event: "s3:ObjectCreated:*".into(),
        rules: Vec::new(),
        existing: false,
        force_deploy: false,
        short_form: !v.is_object(),
        key_path: path.clone(),
    };
    match v {
        Value::String(b) => s3.bucket = b.clone(),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &["bucket", "event", "rules", "existing", "forceDeploy"],
                path,
            );
            match m.get("bucket") {
                Some(Value::String(b)) => s3.bucket = b.clone(),
                Some(other) => {
                    c.error(&path.key("bucket"), format!("`bucket` must be a bucket name, not {}", show(other)), "name the bucket; to use a bucket defined in resources, add `existing: true` with its name");
                    return None;
                }
                None => {
                    c.error(
                        &path.key("bucket"),
                        "s3 event has no `bucket`",
                        "add `bucket: my-bucket-name`",
                    );
                    return None;
                }
            }
            if let Some(e) = c.opt_string(m, "event", path) {
                if !e.starts_with("s3:") {
                    c.error(
                        &path.key("event"),
                        format!("`{e}` is not an S3 event type"),
                        "S3 events look like s3:ObjectCreated:* or s3:ObjectRemoved:Delete",
                    );
                    return None;
                }
                s3.event = e;
            }
            s3.existing = c.opt_bool(m, "existing", path).unwrap_or(false);
            s3.force_deploy = c.opt_bool(m, "forceDeploy", path).unwrap_or(false);
            if let Some(rules) = m.get("rules") {
                s3.rules = parse_rules(rules, &path.key("rules"), c)?;
            }
        }
        other => {
            c.error(
                path,
                format!(
                    "an s3 event must be a bucket name or a map, not {}",
                    show(other)
                ),
                "write `s3: my-bucket` or a map with `bucket` and `event`",
            );
            return None;
        }
    }
    // A created bucket may be named by a `provider.s3` key: its name is checked once known.
    if s3.existing && !valid_bucket_name(&s3.bucket) {
        c.error(
            &s3.bucket_path(),
            format!("`{}` is not a valid S3 bucket name", s3.bucket),
            BUCKET_NAME_RULE,
        );
        return None;
    }
    Some(s3)
}

const BUCKET_NAME_RULE: &str = "bucket names are 3–63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit";

impl S3 {
    /// Where the bucket is named: `…s3.bucket`, or `…s3` for the short form.
    fn bucket_path(&self) -> KeyPath {
        if self.short_form {
            self.key_path.clone()
        } else {
            self.key_path.key("bucket")
        }
    }
}

/// `provider.s3.<key>`: a bucket `s3` events name by `<key>`, its name (`name`, else the key)
/// and the `AWS::S3::Bucket` properties v3 passes through (each key with its first letter
/// raised: `versioningConfiguration` → `VersioningConfiguration`).
#[derive(Debug, Clone)]
pub struct BucketSettings {
    pub name: Option<String>,
    pub properties: Map<String, Value>,
    pub key_path: KeyPath,
}

/// v3's keys, with the JSON type of each.
const BUCKET_KEYS: &[(&str, &str)] = &[
    ("name", "string"),
    ("accelerateConfiguration", "object"),
    ("accessControl", "string"),
    ("analyticsConfigurations", "array"),
    ("bucketEncryption", "object"),
    ("bucketName", "string"),
    ("corsConfiguration", "object"),
    ("inventoryConfigurations", "array"),
    ("lifecycleConfiguration", "object"),
    ("loggingConfiguration", "object"),
    ("metricsConfigurations", "array"),
    ("notificationConfiguration", "object"),
    ("objectLockConfiguration", "object"),
    ("objectLockEnabled", "boolean"),
    ("publicAccessBlockConfiguration", "object"),
    ("replicationConfiguration", "object"),
    ("tags", "array"),
    ("versioningConfiguration", "object"),
    ("websiteConfiguration", "object"),
];

/// `provider.s3`.
pub fn parse_settings(
    v: &Value,
    p: &KeyPath,
    c: &mut Checker,
) -> indexmap::IndexMap<String, BucketSettings> {
    use crate::manifest::checker::{is_intrinsic, type_name};
    let mut out = indexmap::IndexMap::new();
    let Some(m) = c.map(v, p) else { return out };
    let known: Vec<&str> = BUCKET_KEYS.iter().map(|(k, _)| *k).collect();
    for (key, spec) in m {
        let bp = p.key(key.clone());
        let Some(bm) = c.map(spec, &bp) else { continue };
        c.unknown_keys(bm, &known, &bp);
        let mut bucket = BucketSettings {
            name: None,
            properties: Map::new(),
            key_path: bp.clone(),
        };
        let mut ok = true;
        for (k, value) in bm {
            let Some((_, ty)) = BUCKET_KEYS.iter().find(|(name, _)| name == k) else {
                continue;
            };
            let kp = bp.key(k.clone());
            let fits = match *ty {
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "array" => value.is_array(),
                _ => value.is_object(),
            } || (*k != "name" && *k != "bucketName" && is_intrinsic(value));
            if !fits {
                c.error(
                    &kp,
                    format!(
                        "`{kp}` must be a{} {ty}, not {}",
                        if *ty == "array" || *ty == "object" {
                            "n"
                        } else {
                            ""
                        },
                        type_name(value)
                    ),
                    "write it as the AWS::S3::Bucket property of the same name takes it",
                );
                ok = false;
                continue;
            }
            match k.as_str() {
                "name" => {
                    let name = value.as_str().unwrap_or_default();
                    if !valid_bucket_name(name) {
                        c.error(
                            &kp,
                            format!("`{name}` is not a valid S3 bucket name"),
                            BUCKET_NAME_RULE,
                        );
                        ok = false;
                    }
                    bucket.name = Some(name.to_string());
                }
                "bucketName" => {
                    c.error(
                        &kp,
                        "`bucketName` would name the bucket while its permission and notification used another name",
                        "write `name:` instead (v3 reads `name` for the bucket's name)",
                    );
                    ok = false;
                }
                "notificationConfiguration" if value.get("LambdaConfigurations").is_some() => {
                    c.error(
                        &kp.key("LambdaConfigurations"),
                        "the bucket's Lambda notifications come from the functions' `s3` events",
                        "add an `s3` event to each function instead (v3 would drop the events' notifications for these)",
                    );
                    ok = false;
                }
                _ => {
                    bucket
                        .properties
                        .insert(crate::naming::upper_first(k), value.clone());
                }
            }
        }
        if ok {
            out.insert(key.clone(), bucket);
        }
    }
    out
}

/// A `provider.s3` bucket no created-bucket event names would not be created (v3 skips it
/// without a word).
pub fn check_settings_used(service: &crate::manifest::Service, c: &mut Checker) {
    for (key, b) in &service.provider.s3 {
        let used = super::of_kind(service, |e| match e {
            super::Event::S3(s) if !s.existing && &s.bucket == key => Some(s),
            _ => None,
        });
        if used.is_empty() {
            c.warn(
                &b.key_path,
                format!("no `s3` event names bucket `{key}`, so it is not created"),
                format!("name it in a function's events (`- s3: {key}`), or define the bucket under `resources:`"),
            );
        }
    }
}

fn parse_rules(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Vec<(String, String)>> {
    let Value::Array(items) = v else {
        c.error(
            path,
            "`rules` must be a list such as `- prefix: uploads/`",
            "write one `- prefix:` or `- suffix:` per line",
        );
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = path.index(i);
        let m: Option<&Map<String, Value>> = item.as_object();
        match m.and_then(|m| m.iter().next().map(|(k, v)| (m.len(), k, v))) {
            Some((1, k, Value::String(val))) if k == "prefix" || k == "suffix" => {
                out.push((k.clone(), val.clone()))
            }
            _ => {
                c.error(
                    &ip,
                    format!("rule {} must be `prefix: …` or `suffix: …`", show(item)),
                    "S3 filters on key prefix and suffix only",
                );
                return None;
            }
        }
    }
    Some(out)
}

fn valid_bucket_name(b: &str) -> bool {
    let ok_chars = b
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-');
    let ends = b.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.bytes().last().is_some_and(|c| c.is_ascii_alphanumeric());
    (3..=63).contains(&b.len()) && ok_chars && ends
}

/// Buckets the stack creates get their notifications inline; buckets that exist already
/// (`existing: true`) get them from a `Custom::S3` resource backed by an inline Python function
/// (see ARCHITECTURE.md), with v3's logical IDs so a v3 stack is taken over in place.
pub(crate) fn compile(c: &mut crate::plan::Compiler) {
    use crate::error::Diagnostic;
    use crate::naming;
    use crate::plan::custom_resources::{self, Handler};
    use crate::plan::{join, partition, permission, Compiler};
    use indexmap::IndexMap;
    use serde_json::json;

    let service = c.service;
    let events = super::of_kind(service, |e| match e {
        super::Event::S3(s) => Some(s),
        _ => None,
    });
    // Created buckets, grouped by name in order of first appearance. A bucket named through
    // `provider.s3` keeps that key in its IDs, as in v3.
    type Uses<'a> = Vec<(&'a crate::manifest::service::Function, &'a S3)>;
    let mut created: IndexMap<&str, (&str, Uses)> = IndexMap::new();
    let mut existing: IndexMap<(&str, &str), Vec<&S3>> = IndexMap::new();
    for (f, s) in &events {
        if s.existing {
            existing
                .entry((f.key.as_str(), s.bucket.as_str()))
                .or_default()
                .push(s);
            continue;
        }
        let settings = service.provider.s3.get(&s.bucket);
        let name = settings
            .and_then(|b| b.name.as_deref())
            .unwrap_or(s.bucket.as_str());
        if !valid_bucket_name(name) {
            c.diags.push(
                Diagnostic::error(format!("`{name}` is not a valid S3 bucket name"))
                    .at(&s.bucket_path())
                    .hint(if settings.is_some() {
                        format!("{BUCKET_NAME_RULE} (set provider.s3.{}.name)", s.bucket)
                    } else {
                        BUCKET_NAME_RULE.to_string()
                    }),
            );
            continue;
        }
        let entry = created.entry(name).or_insert((name, Vec::new()));
        if settings.is_some() {
            entry.0 = s.bucket.as_str();
        }
        entry.1.push((f, s));
    }
    for (bucket, _) in &existing {
        if let Some((_, uses)) = created.get(bucket.1) {
            c.diags.push(
                Diagnostic::error(format!("bucket `{}` is used both with and without `existing: true`", bucket.1))
                    .at(&uses[0].1.key_path)
                    .hint("a bucket is either created by this stack or already exists; mark every event on it the same way"),
            );
        }
    }
    for (bucket, (id_key, uses)) in &created {
        let settings = service.provider.s3.get(*id_key);
        let mut configs = Vec::new();
        let mut depends: Vec<String> = Vec::new();
        for (f, s) in uses {
            let mut cfg = Map::new();
            cfg.insert("Event".into(), json!(s.event));
            cfg.insert("Function".into(), Compiler::function_arn(&f.key));
            if !s.rules.is_empty() {
                let rules: Vec<Value> = s
                    .rules
                    .iter()
                    .map(|(k, v)| json!({ "Name": k, "Value": v }))
                    .collect();
                cfg.insert("Filter".into(), json!({ "S3Key": { "Rules": rules } }));
            }
            configs.push(Value::Object(cfg));
            let perm = naming::s3_permission_id(&f.key, id_key);
            if !depends.contains(&perm) {
                depends.push(perm);
            }
        }
        let mut notifications = Map::new();
        notifications.insert("LambdaConfigurations".into(), Value::Array(configs));
        let mut props = Map::new();
        props.insert("BucketName".into(), json!(bucket));
        if let Some(b) = settings {
            for (k, v) in &b.properties {
                match (k.as_str(), v) {
                    ("NotificationConfiguration", Value::Object(more)) => {
                        notifications.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())))
                    }
                    _ => {
                        props.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        props.shift_insert(
            1,
            "NotificationConfiguration".into(),
            Value::Object(notifications),
        );
        c.add(
            naming::s3_bucket_id(id_key),
            json!({ "Type": "AWS::S3::Bucket", "Properties": props, "DependsOn": depends }),
        );
        let mut seen = Vec::new();
        for (f, _) in uses {
            if seen.contains(&f.key) {
                continue;
            }
            seen.push(f.key.clone());
            let mut p = permission(
                &f.key,
                "s3.amazonaws.com",
                Some(join(vec![
                    json!("arn:"),
                    partition(),
                    json!(format!(":s3:::{bucket}")),
                ])),
            );
            p["Properties"]["SourceAccount"] = json!({ "Ref": "AWS::AccountId" });
            c.add(naming::s3_permission_id(&f.key, id_key), p);
        }
    }
    if existing.is_empty() {
        return;
    }
    let mut per_function: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut buckets: Vec<&str> = Vec::new();
    for ((fkey, bucket), list) in &existing {
        let n = per_function.entry(fkey).or_insert(0);
        *n += 1;
        if !buckets.contains(bucket) {
            buckets.push(bucket);
        }
        let f = &service.functions[*fkey];
        let configs: Vec<Value> = list
            .iter()
            .map(|s| {
                let rules: Vec<Value> = s
                    .rules
                    .iter()
                    .map(|(k, v)| json!({ naming::upper_first(k): v }))
                    .collect();
                json!({ "Event": s.event, "Rules": rules })
            })
            .collect();
        let mut p = Map::new();
        p.insert(
            "ServiceToken".into(),
            json!({ "Fn::GetAtt": [Handler::ExistingS3.function_id(), "Arn"] }),
        );
        p.insert("FunctionName".into(), json!(f.name));
        p.insert("BucketName".into(), json!(bucket));
        p.insert("BucketConfigs".into(), Value::Array(configs));
        if list.iter().any(|s| s.force_deploy) {
            p.insert(
                "ForceDeploy".into(),
                json!(c.deployment.timestamp_ms.to_string()),
            );
        }
        c.add(
            naming::s3_existing_bucket_id(fkey, *n),
            // v3 also lists the handler function, which the ServiceToken's GetAtt already
            // implies (cfn-lint W3005).
            json!({ "Type": "Custom::S3", "DependsOn": [naming::function_logical_id(fkey)], "Properties": p }),
        );
    }
    let bucket_arns: Vec<Value> = buckets
        .iter()
        .map(
            |b| json!({ "Fn::Join": [":", ["arn", { "Ref": "AWS::Partition" }, "s3", "", "", b]] }),
        )
        .collect();
    custom_resources::add(
        c,
        Handler::ExistingS3,
        vec![
            json!({ "Effect": "Allow", "Resource": bucket_arns, "Action": ["s3:PutBucketNotification", "s3:GetBucketNotification"] }),
            json!({ "Effect": "Allow", "Resource": { "Fn::Join": [":", ["arn", { "Ref": "AWS::Partition" }, "lambda", { "Ref": "AWS::Region" }, { "Ref": "AWS::AccountId" }, "function", "*"]] }, "Action": ["lambda:AddPermission", "lambda:RemovePermission"] }),
        ],
    );
}
