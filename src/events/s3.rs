//! `s3` events: a bucket the stack creates with a notification, or an existing bucket.

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
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<S3> {
    let mut s3 = S3 {
        bucket: String::new(),
        event: "s3:ObjectCreated:*".into(),
        rules: Vec::new(),
        existing: false,
        force_deploy: false,
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
    if !valid_bucket_name(&s3.bucket) {
        c.error(
            &if matches!(v, Value::Object(_)) { path.key("bucket") } else { path.clone() },
            format!("`{}` is not a valid S3 bucket name", s3.bucket),
            "bucket names are 3–63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit",
        );
        return None;
    }
    Some(s3)
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
