//! Small helpers for CloudFormation JSON, shared by manifest validation (which builds typed
//! settings in CloudFormation's names) and the planner.

use serde_json::{Map, Value};

/// Copies the keys of `from` that are present into `into`, renamed from the configuration's
/// spelling to CloudFormation's (`limit` → `Limit`).
pub fn copy_keys(from: &Value, keys: &[(&str, &str)], into: &mut Map<String, Value>) {
    for (k, to) in keys {
        if let Some(v) = from.get(*k) {
            into.insert(to.to_string(), v.clone());
        }
    }
}

/// [`copy_keys`] into a new object.
pub fn pick(from: &Value, keys: &[(&str, &str)]) -> Value {
    let mut out = Map::new();
    copy_keys(from, keys, &mut out);
    Value::Object(out)
}
