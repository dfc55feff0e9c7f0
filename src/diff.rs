//! What a deploy would change: the deployed template against the one sls-rs compiled, per
//! resource — added, removed, or modified with the property paths that change (old → new) and
//! whether CloudFormation replaces it (a changed type, or a property the resource type's
//! registry schema marks create-only: `templates/create-only-properties.json`, refreshed by
//! `scripts/refresh-replacement-data`).
//!
//! Noise a deploy always makes is folded: the artifacts' S3 keys (a new deployment directory
//! each time), a function's new version (its ID carries a hash; reported as "new version"), the
//! REST API's new deployment (its ID carries the time; "redeploys the API"), a retained layer's
//! new version. Whether a function's code changes comes from the caller (the zip's hash against
//! the deployed `CodeSha256`), not from the template.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

const CREATE_ONLY: &str = include_str!("../templates/create-only-properties.json");

fn create_only() -> &'static BTreeMap<String, Vec<String>> {
    static DATA: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(CREATE_ONLY).unwrap_or_default())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Modify,
    Remove,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Modify => "modify",
            Action::Remove => "remove",
        }
    }
}

/// One property path that changes; `None` where the side has no value.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDiff {
    pub id: String,
    pub kind: String,
    pub action: Action,
    /// What CloudFormation does about it, where the template alone does not say it with paths:
    /// "new version", "redeploys the API", "retained" (a removed resource kept by its policy).
    pub note: Option<String>,
    /// The create-only properties (or `Type`) whose change replaces the resource.
    pub replaced_by: Vec<String>,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub resources: Vec<ResourceDiff>,
    pub outputs: Vec<Change>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty()
    }
}

/// The stem of a logical ID whose suffix changes with each deployment or code hash.
fn stem(id: &str) -> &str {
    for marker in ["LambdaVersion", "LambdaLayer"] {
        if let Some(i) = id.find(marker) {
            let rest = &id[i + marker.len()..];
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()) {
                return &id[..i + marker.len()];
            }
        }
    }
    if let Some(rest) = id.strip_prefix("ApiGatewayDeployment") {
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
            return "ApiGatewayDeployment";
        }
    }
    id
}

/// Compares the deployed template `old` with `new`.
pub fn diff(old: &Value, new: &Value) -> Report {
    let empty = Map::new();
    let old_r = old["Resources"].as_object().unwrap_or(&empty);
    let new_r = new["Resources"].as_object().unwrap_or(&empty);
    let mut report = Report::default();
    // Renamed by a hash or time: paired by stem when each side has exactly one.
    let mut paired: BTreeMap<&str, &str> = BTreeMap::new();
    for id in new_r.keys().filter(|id| !old_r.contains_key(*id)) {
        let s = stem(id);
        if s == id {
            continue;
        }
        let olds: Vec<&String> = old_r
            .keys()
            .filter(|o| stem(o) == s && !new_r.contains_key(*o))
            .collect();
        let news = new_r
            .keys()
            .filter(|n| stem(n) == s && !old_r.contains_key(*n))
            .count();
        if olds.len() == 1 && news == 1 {
            paired.insert(id.as_str(), olds[0].as_str());
        }
    }
    let renamed_from: std::collections::HashSet<&str> = paired.values().copied().collect();
    for (id, r) in new_r {
        let kind = r["Type"].as_str().unwrap_or("").to_string();
        let before = old_r
            .get(id)
            .or_else(|| paired.get(id.as_str()).and_then(|o| old_r.get(*o)));
        let Some(before) = before else {
            report.resources.push(ResourceDiff {
                id: id.clone(),
                kind,
                action: Action::Add,
                note: None,
                replaced_by: Vec::new(),
                changes: Vec::new(),
            });
            continue;
        };
        let mut changes = Vec::new();
        compare("", &normalize(before), &normalize(r), &mut changes);
        let renamed = paired.contains_key(id.as_str());
        if changes.is_empty() && !renamed {
            continue;
        }
        let old_kind = before["Type"].as_str().unwrap_or("");
        let mut replaced_by = Vec::new();
        if old_kind != kind {
            replaced_by.push("Type".to_string());
        } else if !renamed {
            let fixed = create_only().get(&kind).cloned().unwrap_or_default();
            for c in &changes {
                let Some(p) = c.path.strip_prefix("Properties.") else {
                    continue;
                };
                if let Some(f) = fixed.iter().find(|f| path_under(p, f)) {
                    if !replaced_by.contains(f) {
                        replaced_by.push(f.clone());
                    }
                }
            }
        }
        let note = renamed.then(|| {
            match kind.as_str() {
                "AWS::Lambda::Version" => "new version",
                "AWS::ApiGateway::Deployment" => "redeploys the API",
                "AWS::Lambda::LayerVersion" => "new layer version",
                _ => "renamed",
            }
            .to_string()
        });
        // A new version's ID, code hash and description say the same as its note.
        if renamed {
            changes.retain(|c| c.path != "Properties.CodeSha256");
        }
        report.resources.push(ResourceDiff {
            id: id.clone(),
            kind,
            action: Action::Modify,
            note,
            replaced_by,
            changes,
        });
    }
    for (id, r) in old_r {
        if new_r.contains_key(id) || renamed_from.contains(id.as_str()) {
            continue;
        }
        report.resources.push(ResourceDiff {
            id: id.clone(),
            kind: r["Type"].as_str().unwrap_or("").to_string(),
            action: Action::Remove,
            note: (r["DeletionPolicy"] == "Retain").then(|| "retained".to_string()),
            replaced_by: Vec::new(),
            changes: Vec::new(),
        });
    }
    // A new REST API deployment alone (its ID carries the deployment time) changes nothing.
    if report.resources.iter().all(|r| {
        r.kind == "AWS::ApiGateway::Deployment" && r.note.is_some() && r.changes.is_empty()
    }) {
        report.resources.clear();
    }
    let old_o = old["Outputs"].as_object().unwrap_or(&empty);
    let new_o = new["Outputs"].as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old_o.keys().chain(new_o.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (a, b) = (old_o.get(k), new_o.get(k));
        let same = match (a, b) {
            (Some(a), Some(b)) => normalize(a) == normalize(b),
            _ => false,
        };
        if !same {
            report.outputs.push(Change {
                path: k.clone(),
                old: a.map(|v| v["Value"].clone()),
                new: b.map(|v| v["Value"].clone()),
            });
        }
    }
    report
}

/// A resource without what changes on every deploy: artifact keys' deployment directory, and
/// references to IDs renamed by a hash or time.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = match (k.as_str(), x) {
                        ("S3Key", Value::String(s)) => {
                            json!(s.rsplit('/').next().unwrap_or(s))
                        }
                        ("Ref", Value::String(s)) => json!(stem(s)),
                        ("Fn::GetAtt", Value::Array(a)) => Value::Array(
                            a.iter()
                                .enumerate()
                                .map(|(i, e)| match (i, e) {
                                    (0, Value::String(s)) => json!(stem(s)),
                                    _ => normalize(e),
                                })
                                .collect(),
                        ),
                        _ => normalize(x),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        _ => v.clone(),
    }
}

/// Whether the changed `path` (`A.0.B`) is the create-only `fixed` (`A.*.B`) or under it.
fn path_under(path: &str, fixed: &str) -> bool {
    let p: Vec<&str> = path.split('.').collect();
    let f: Vec<&str> = fixed.split('.').collect();
    f.len() <= p.len()
        && f.iter()
            .zip(&p)
            .all(|(a, b)| *a == "*" && b.chars().all(|c| c.is_ascii_digit()) || a == b)
}

/// The paths where `a` and `b` differ, maps key by key; lists of different lengths, or of
/// scalars, are one change.
fn compare(prefix: &str, a: &Value, b: &Value, out: &mut Vec<Change>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if !is_intrinsic(x) && !is_intrinsic(y) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => compare(&join(k), p, q, out),
                    (p, q) => out.push(Change {
                        path: join(k),
                        old: p.cloned(),
                        new: q.cloned(),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y))
            if x.len() == y.len() && x.iter().chain(y).any(|v| v.is_object()) =>
        {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                compare(&join(&i.to_string()), p, q, out);
            }
        }
        _ if a == b => {}
        _ => out.push(Change {
            path: prefix.to_string(),
            old: Some(a.clone()),
            new: Some(b.clone()),
        }),
    }
}

fn is_intrinsic(m: &Map<String, Value>) -> bool {
    m.len() == 1 && m.keys().any(|k| k == "Ref" || k.starts_with("Fn::"))
}

/// A value for one line: JSON, cut at `max` characters.
pub fn short(v: &Option<Value>, max: usize) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > max {
                format!("{}…", s.chars().take(max - 1).collect::<String>())
            } else {
                s
            }
        }
    }
}

impl Report {
    /// The report for machines: stable keys, documented in ARCHITECTURE.md ("diff").
    pub fn json(&self) -> Value {
        let change = |c: &Change| json!({ "path": c.path, "old": c.old, "new": c.new });
        json!({
            "resources": self.resources.iter().map(|r| json!({
                "logicalId": r.id,
                "type": r.kind,
                "action": r.action.as_str(),
                "replacement": !r.replaced_by.is_empty(),
                "replacedBy": r.replaced_by,
                "note": r.note,
                "changes": r.changes.iter().map(change).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "outputs": self.outputs.iter().map(change).collect::<Vec<_>>(),
        })
    }

    /// The report for people: `+` add, `-` remove, `~` modify, `!` replace.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for r in &self.resources {
            let mark = match r.action {
                Action::Add => '+',
                Action::Remove => '-',
                Action::Modify if !r.replaced_by.is_empty() => '!',
                Action::Modify => '~',
            };
            out.push_str(&format!("{mark} {} ({})", r.id, r.kind));
            if !r.replaced_by.is_empty() {
                out.push_str(&format!(
                    ": replaced ({} changes)",
                    r.replaced_by.join(", ")
                ));
            } else if let Some(n) = &r.note {
                out.push_str(&format!(": {n}"));
            }
            out.push('\n');
            for c in &r.changes {
                out.push_str(&format!(
                    "    {}: {} → {}\n",
                    c.path.strip_prefix("Properties.").unwrap_or(&c.path),
                    short(&c.old, 60),
                    short(&c.new, 60)
                ));
            }
        }
        if !self.outputs.is_empty() {
            out.push_str("outputs:\n");
            for c in &self.outputs {
                out.push_str(&format!(
                    "    {}: {} → {}\n",
                    c.path,
                    short(&c.old, 60),
                    short(&c.new, 60)
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_added_removed_modified_and_replaced() {
        let old = json!({ "Resources": {
            "HelloLambdaFunction": { "Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "a", "MemorySize": 1024,
                "Code": { "S3Key": "serverless/s/dev/1-x/s.zip" } } },
            "HelloLambdaVersionAbc": { "Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain",
                "Properties": { "FunctionName": { "Ref": "HelloLambdaFunction" }, "CodeSha256": "x" } },
            "ApiGatewayDeployment1": { "Type": "AWS::ApiGateway::Deployment", "Properties": {} },
            "Gone": { "Type": "AWS::SQS::Queue" },
            "Kept": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain" },
        }, "Outputs": { "V": { "Value": { "Ref": "HelloLambdaVersionAbc" } } } });
        let new = json!({ "Resources": {
            "HelloLambdaFunction": { "Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "b", "MemorySize": 512,
                "Code": { "S3Key": "serverless/s/dev/2-y/s.zip" } } },
            "HelloLambdaVersionDef": { "Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain",
                "Properties": { "FunctionName": { "Ref": "HelloLambdaFunction" }, "CodeSha256": "y" } },
            "ApiGatewayDeployment2": { "Type": "AWS::ApiGateway::Deployment", "Properties": {} },
            "New": { "Type": "AWS::SNS::Topic" },
        }, "Outputs": { "V": { "Value": { "Ref": "HelloLambdaVersionDef" } } } });
        let r = diff(&old, &new);
        let find = |id: &str| r.resources.iter().find(|x| x.id == id).unwrap();
        let f = find("HelloLambdaFunction");
        assert_eq!(f.action, Action::Modify);
        assert_eq!(f.replaced_by, vec!["FunctionName"]);
        assert_eq!(
            f.changes
                .iter()
                .map(|c| c.path.as_str())
                .collect::<Vec<_>>(),
            ["Properties.FunctionName", "Properties.MemorySize"],
            "the artifact's new directory is not a change"
        );
        assert_eq!(
            find("HelloLambdaVersionDef").note.as_deref(),
            Some("new version")
        );
        assert!(find("HelloLambdaVersionDef").changes.is_empty());
        assert_eq!(
            find("ApiGatewayDeployment2").note.as_deref(),
            Some("redeploys the API")
        );
        assert_eq!(find("New").action, Action::Add);
        assert_eq!(find("Gone").action, Action::Remove);
        assert_eq!(find("Kept").note.as_deref(), Some("retained"));
        assert!(r
            .resources
            .iter()
            .all(|x| x.id != "HelloLambdaVersionAbc" && x.id != "ApiGatewayDeployment1"));
        assert!(
            r.outputs.is_empty(),
            "a version output follows its version: {:?}",
            r.outputs
        );
        assert!(r.text().contains(
            "! HelloLambdaFunction (AWS::Lambda::Function): replaced (FunctionName changes)"
        ));
        assert!(r.text().contains("    MemorySize: 1024 → 512"));
        assert_eq!(diff(&old, &old), Report::default());
    }

    #[test]
    fn create_only_paths_match_list_items() {
        assert!(path_under("Tags.3.Key", "Tags.*.Key"));
        assert!(path_under("KeySchema.0.AttributeName", "KeySchema"));
        assert!(!path_under("TableClass", "TableName"));
        assert!(!path_under("Tags", "Tags.*.Key"));
    }
}

/// Resource types whose replacement or deletion loses data.
const STATEFUL: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::Cognito::UserPool",
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::KMS::Key",
    "AWS::EFS::FileSystem",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::CacheCluster",
    "AWS::OpenSearchService::Domain",
    "AWS::Elasticsearch::Domain",
    "AWS::SecretsManager::Secret",
    "AWS::Backup::BackupVault",
    "AWS::Timestream::Table",
    "AWS::Neptune::DBCluster",
    "AWS::DocDB::DBCluster",
];

/// What a deploy would do that asks for approval first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Risks {
    /// Stateful resources replaced or deleted, with their data.
    pub lost: Vec<String>,
    /// Stateful resources the stack lets go of, kept by their DeletionPolicy.
    pub left_behind: Vec<String>,
    /// Permissions the deploy adds: IAM statements, managed policies, trust, invoke permissions.
    pub broadened: Vec<String>,
}

impl Risks {
    pub fn need_approval(&self) -> bool {
        !self.lost.is_empty() || !self.broadened.is_empty()
    }
}

/// The risks of going from `old` to `new` (the report of the two).
pub fn risks(old: &Value, new: &Value, report: &Report) -> Risks {
    let mut out = Risks::default();
    for r in &report.resources {
        let was = &old["Resources"][&r.id];
        let stateful = STATEFUL.contains(&r.kind.as_str())
            || (r.kind == "AWS::Logs::LogGroup" && !was["Properties"]["RetentionInDays"].is_null());
        let kept = matches!(
            was["DeletionPolicy"].as_str(),
            Some("Retain" | "RetainExceptOnCreate" | "Snapshot")
        );
        match r.action {
            Action::Remove if stateful && kept => out.left_behind.push(format!(
                "{} ({}) leaves the stack and is kept",
                r.id, r.kind
            )),
            Action::Remove if stateful => out
                .lost
                .push(format!("{} ({}) is deleted, with its data", r.id, r.kind)),
            Action::Modify if stateful && !r.replaced_by.is_empty() => out.lost.push(format!(
                "{} ({}) is replaced ({} changes): the new one starts empty",
                r.id,
                r.kind,
                r.replaced_by.join(", ")
            )),
            _ => {}
        }
    }
    out.broadened = broadened(old, new);
    out
}

/// Permissions in `new` that `old` does not grant.
fn broadened(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let empty = Map::new();
    let new_r = new["Resources"].as_object().unwrap_or(&empty);
    for (id, r) in new_r {
        let was = &old["Resources"][id];
        let kind = r["Type"].as_str().unwrap_or("");
        let p = &r["Properties"];
        let wp = &was["Properties"];
        let mut documents: Vec<(&Value, &Value)> = Vec::new();
        match kind {
            "AWS::IAM::Role" => {
                documents.push((
                    &p["AssumeRolePolicyDocument"],
                    &wp["AssumeRolePolicyDocument"],
                ));
                for (i, policy) in p["Policies"].as_array().into_iter().flatten().enumerate() {
                    let before = wp["Policies"]
                        .as_array()
                        .and_then(|ps| ps.iter().find(|q| q["PolicyName"] == policy["PolicyName"]))
                        .or_else(|| wp["Policies"].get(i))
                        .map(|q| &q["PolicyDocument"])
                        .unwrap_or(&Value::Null);
                    documents.push((&policy["PolicyDocument"], before));
                }
                let arns = |v: &Value| -> Vec<String> {
                    v["ManagedPolicyArns"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| normalize(a).to_string())
                        .collect()
                };
                let had = arns(wp);
                for a in arns(p) {
                    if !had.contains(&a) {
                        out.push(format!("{id} gets the managed policy {a}"));
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                documents.push((&p["PolicyDocument"], &wp["PolicyDocument"]));
            }
            "AWS::Lambda::Permission" if normalize(p) != normalize(wp) => {
                out.push(format!(
                    "{id}: {} may invoke {}",
                    short(&Some(p["Principal"].clone()), 60),
                    short(&Some(p["FunctionName"].clone()), 60)
                ));
            }
            _ => {}
        }
        for (doc, before) in documents {
            let had: Vec<Value> = before["Statement"]
                .as_array()
                .into_iter()
                .flatten()
                .map(normalize)
                .collect();
            for st in doc["Statement"].as_array().into_iter().flatten() {
                let st = normalize(st);
                if st["Effect"] == "Deny" || had.contains(&st) {
                    continue;
                }
                let what = if !st["Principal"].is_null() {
                    format!("trusts {}", short(&Some(st["Principal"].clone()), 80))
                } else {
                    format!(
                        "allows {} on {}",
                        short(&Some(st["Action"].clone()), 80),
                        short(&Some(st["Resource"].clone()), 80)
                    )
                };
                out.push(format!("{id} {what}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod risk_tests {
    use super::*;

    #[test]
    fn data_loss_and_new_permissions_are_risks() {
        let old = json!({ "Resources": {
            "T": { "Type": "AWS::DynamoDB::Table", "Properties": { "TableName": "a" } },
            "Kept": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain" },
            "Q": { "Type": "AWS::SQS::Queue" },
            "L": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 7 } },
            "Role": { "Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": { "Statement": [{ "Effect": "Allow", "Principal": { "Service": ["lambda.amazonaws.com"] }, "Action": ["sts:AssumeRole"] }] },
                "Policies": [{ "PolicyName": "p", "PolicyDocument": { "Statement": [{ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*" }] } }] } },
        }});
        let new = json!({ "Resources": {
            "T": { "Type": "AWS::DynamoDB::Table", "Properties": { "TableName": "b" } },
            "Role": { "Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": { "Statement": [{ "Effect": "Allow", "Principal": { "Service": ["lambda.amazonaws.com"] }, "Action": ["sts:AssumeRole"] }] },
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                "Policies": [{ "PolicyName": "p", "PolicyDocument": { "Statement": [
                    { "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*" },
                    { "Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": "*" }] } }] } },
            "P": { "Type": "AWS::Lambda::Permission", "Properties": { "Principal": "*", "FunctionName": "f" } },
        }});
        let r = risks(&old, &new, &diff(&old, &new));
        assert!(r.need_approval());
        assert_eq!(r.lost.len(), 3, "{:?}", r.lost);
        assert!(
            r.lost[0].starts_with("L (AWS::Logs::LogGroup) is deleted")
                || r.lost
                    .iter()
                    .any(|l| l
                        .starts_with("T (AWS::DynamoDB::Table) is replaced (TableName changes)")),
            "{:?}",
            r.lost
        );
        assert_eq!(
            r.left_behind,
            vec!["Kept (AWS::S3::Bucket) leaves the stack and is kept"]
        );
        assert_eq!(r.broadened.len(), 3, "{:?}", r.broadened);
        assert!(r
            .broadened
            .iter()
            .any(|b| b.contains("AdministratorAccess")));
        assert!(r.broadened.iter().any(|b| b.contains("s3:DeleteObject")));
        assert!(r
            .broadened
            .iter()
            .any(|b| b.starts_with("P: \"*\" may invoke")));
        assert!(!risks(&old, &old, &diff(&old, &old)).need_approval());
    }
}
