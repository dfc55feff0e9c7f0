//! What a deploy would change: the deployed template against the one sls-rs compiled, per
//! resource — added, removed, or modified with the property paths that change (old → new) and
//! whether CloudFormation replaces it (a changed type, or a property the resource type's
//! registry schema marks create-only or the resource specification "Update requires:
//! Replacement"; "may be replaced" where it says that depends on the values:
//! `templates/replacement-properties.json`, refreshed by `scripts/refresh-replacement-data`).
//! A change set CloudFormation computes overrides that guess ([`with_change_set`]).
//!
//! Noise a deploy always makes is folded: the artifacts' S3 keys (a new deployment directory
//! each time), a function's new version (its ID carries a hash; reported as "new version"), the
//! REST API's new deployment (its ID carries the time; "redeploys the API"), a retained layer's
//! new version. Whether a function's code changes comes from the caller (the zip's hash against
//! the deployed `CodeSha256`), not from the template.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

const REPLACEMENT: &str = include_str!("../templates/replacement-properties.json");

/// Per resource type, the properties whose change replaces it (`replacement`) and those whose
/// change may (`conditional`), from `templates/replacement-properties.json`.
#[derive(Default, serde::Deserialize)]
struct ReplacementData {
    replacement: BTreeMap<String, Vec<String>>,
    conditional: BTreeMap<String, Vec<String>>,
}

fn replacement_data() -> &'static ReplacementData {
    static DATA: OnceLock<ReplacementData> = OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(REPLACEMENT).unwrap_or_default())
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

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
    /// The change set says replacement depends on values known only while deploying.
    pub conditional: bool,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub resources: Vec<ResourceDiff>,
    pub outputs: Vec<Change>,
    /// IAM statements, managed policies, trust and invoke permissions added and removed.
    pub iam: Vec<Row>,
    /// Security group rules and functions' VPC placement added and removed.
    pub network: Vec<Row>,
    /// Where replacement comes from: `template` (the registry schemas' create-only
    /// properties) or `changeset` (CloudFormation's own answer, [`with_change_set`]).
    pub method: &'static str,
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

/// `root` with the resources of its nested stacks (logical ID, template) beside its own, each
/// as `<stack>/<id>`, so a diff sees inside them.
pub fn flatten<'a>(root: &Value, nested: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Value {
    let mut out = root.clone();
    if let Some(Value::Object(rs)) = out.get_mut("Resources") {
        for (stack, t) in nested {
            for (id, r) in t["Resources"].as_object().into_iter().flatten() {
                rs.insert(format!("{stack}/{id}"), r.clone());
            }
        }
    }
    out
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
                conditional: false,
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
        let mut conditional = false;
        if old_kind != kind {
            replaced_by.push("Type".to_string());
        } else if !renamed {
            let data = replacement_data();
            let fixed = data.replacement.get(&kind).cloned().unwrap_or_default();
            let maybe = data.conditional.get(&kind).cloned().unwrap_or_default();
            let mut conditionally = Vec::new();
            for c in &changes {
                let Some(p) = c.path.strip_prefix("Properties.") else {
                    continue;
                };
                if let Some(f) = fixed.iter().find(|f| path_under(p, f)) {
                    if !replaced_by.contains(f) {
                        replaced_by.push(f.clone());
                    }
                } else if let Some(f) = maybe.iter().find(|f| path_under(p, f)) {
                    if !conditionally.contains(f) {
                        conditionally.push(f.clone());
                    }
                }
            }
            if replaced_by.is_empty() && !conditionally.is_empty() {
                replaced_by = conditionally;
                conditional = true;
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
            conditional,
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
            conditional: false,
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
    (report.iam, report.network) = tables(old, new);
    report.method = "template";
    report
}

/// The report with replacement as CloudFormation computed it in a change set: where the change
/// set modifies a resource, its `Replacement` (and the properties whose change requires
/// recreation) replace the template's guess; resources it modifies only because others change
/// (a reference to a replaced resource) are added. A change set that calls a modified resource
/// something else (moto reports every change as `Add`) leaves the template's answer.
pub fn with_change_set(
    mut report: Report,
    planned: &[crate::deploy::stack::PlannedChange],
) -> Report {
    report.method = "changeset";
    for p in planned.iter().filter(|p| p.action == "Modify") {
        let names = |how: &str| -> Vec<String> {
            let mut v: Vec<String> = p
                .recreated_by
                .iter()
                .filter(|(_, h)| h == how)
                .map(|(n, _)| n.clone())
                .collect();
            v.dedup();
            v
        };
        let existing = report.resources.iter_mut().find(|r| r.id == p.logical_id);
        let r = match existing {
            Some(r) if r.action == Action::Modify => r,
            Some(_) => continue,
            None => {
                report.resources.push(ResourceDiff {
                    id: p.logical_id.clone(),
                    kind: String::new(),
                    action: Action::Modify,
                    note: Some("follows other changes".into()),
                    replaced_by: Vec::new(),
                    conditional: false,
                    changes: Vec::new(),
                });
                report.resources.last_mut().unwrap()
            }
        };
        let (how, conditional) = match p.replacement.as_deref() {
            Some("True") => ("Always", false),
            Some("Conditional") => ("Conditionally", true),
            Some("False") => {
                r.replaced_by.clear();
                r.conditional = false;
                continue;
            }
            _ => continue,
        };
        let named = names(how);
        if !named.is_empty() {
            r.replaced_by = named;
        } else if r.replaced_by.is_empty() {
            r.replaced_by = vec!["(CloudFormation)".into()];
        }
        r.conditional = conditional;
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
                        // A nested stack's template, in this deployment's directory: its file.
                        ("TemplateURL", Value::Object(j)) => j
                            .get("Fn::Join")
                            .and_then(|p| p.get(1))
                            .and_then(Value::as_array)
                            .and_then(|parts| parts.last())
                            .cloned()
                            .unwrap_or_else(|| normalize(x)),
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
                "replacement": match (r.replaced_by.is_empty(), r.conditional) {
                    (true, _) => json!(false),
                    (false, false) => json!(true),
                    (false, true) => json!("conditional"),
                },
                "replacedBy": r.replaced_by,
                "note": r.note,
                "changes": r.changes.iter().map(change).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "outputs": self.outputs.iter().map(change).collect::<Vec<_>>(),
            "method": self.method,
            "iam": table_json(&self.iam),
            "network": table_json(&self.network),
        })
    }

    /// The report for people: `+` add, `-` remove, `~` modify, `!` replace.
    pub fn text(&self) -> String {
        self.styled(false)
    }

    /// The report for people, its resource and table lines coloured (ANSI) when `colour`:
    /// green added, red removed or replaced, yellow modified.
    pub fn styled(&self, colour: bool) -> String {
        let mut out = String::new();
        for r in &self.resources {
            let (mark, style) = match r.action {
                Action::Add => ('+', GREEN),
                Action::Remove => ('-', RED),
                Action::Modify if !r.replaced_by.is_empty() => ('!', RED),
                Action::Modify => ('~', YELLOW),
            };
            if colour {
                out.push_str(style);
            }
            out.push_str(&format!("{mark} {} ({})", r.id, r.kind));
            if !r.replaced_by.is_empty() {
                out.push_str(&format!(
                    ": {} ({} changes)",
                    if r.conditional {
                        "may be replaced"
                    } else {
                        "replaced"
                    },
                    r.replaced_by.join(", ")
                ));
            } else if let Some(n) = &r.note {
                out.push_str(&format!(": {n}"));
            }
            if colour {
                out.push_str(RESET);
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
        out.push_str(&table_text("IAM", &self.iam, colour));
        out.push_str(&table_text("network", &self.network, colour));
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
        assert!(diff(&old, &old).is_empty());
        assert!(diff(&old, &old).iam.is_empty());
    }

    #[test]
    fn a_nested_stacks_new_deployment_directory_is_not_a_change() {
        let stack = |dir: &str| {
            json!({ "Resources": { "FunctionsNestedStack07": { "Type": "AWS::CloudFormation::Stack",
                "Properties": { "TemplateURL": { "Fn::Join": ["", ["https://", { "Ref": "ServerlessDeploymentBucket" },
                    ".s3.", { "Ref": "AWS::URLSuffix" }, "/", dir, "/", "cloudformation-template-nested-FunctionsNestedStack07.json"]] } } } } })
        };
        assert!(diff(
            &stack("serverless/s/dev/1-a"),
            &stack("serverless/s/dev/2-b")
        )
        .is_empty());
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

/// Permissions in `new` that `old` does not grant (Deny statements narrow, so they are not).
fn broadened(old: &Value, new: &Value) -> Vec<String> {
    table(&grants(old), &grants(new))
        .into_iter()
        .filter(|r| r.added && !r.narrows)
        .map(|r| r.text())
        .collect()
}

/// One line of the IAM or network table: a grant or rule a deploy adds or takes away.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub added: bool,
    /// The resource that holds it.
    pub resource: String,
    /// `statement`, `managed policy`, `trust`, `invoke permission`; `ingress`, `egress`,
    /// `vpc`.
    pub kind: &'static str,
    pub description: String,
    /// A Deny statement: adding one takes permissions away.
    narrows: bool,
}

impl Row {
    fn text(&self) -> String {
        match self.kind {
            "invoke permission" => format!("{}: {}", self.resource, self.description),
            _ => format!("{} {}", self.resource, self.description),
        }
    }

    fn json(&self) -> Value {
        json!({
            "change": if self.added { "added" } else { "removed" },
            "resource": self.resource,
            "kind": self.kind,
            "description": self.description,
        })
    }
}

/// The rows in `new` and not `old` (added), then those in `old` and not `new` (removed).
fn table(old: &[Row], new: &[Row]) -> Vec<Row> {
    let same = |a: &Row, b: &Row| {
        a.resource == b.resource && a.kind == b.kind && a.description == b.description
    };
    let mut out: Vec<Row> = new
        .iter()
        .filter(|r| !old.iter().any(|o| same(o, r)))
        .cloned()
        .collect();
    out.extend(
        old.iter()
            .filter(|r| !new.iter().any(|n| same(n, r)))
            .map(|r| Row {
                added: false,
                ..r.clone()
            }),
    );
    out
}

fn row(resource: &str, kind: &'static str, description: String) -> Row {
    Row {
        added: true,
        resource: resource.to_string(),
        kind,
        description,
        narrows: false,
    }
}

/// What a template grants: IAM statements, managed policies and trust of roles and policies,
/// and who may invoke its functions.
fn grants(template: &Value) -> Vec<Row> {
    let mut out = Vec::new();
    let empty = Map::new();
    for (id, r) in template["Resources"].as_object().unwrap_or(&empty) {
        let p = &r["Properties"];
        let mut documents: Vec<(&'static str, &Value)> = Vec::new();
        match r["Type"].as_str().unwrap_or("") {
            "AWS::IAM::Role" => {
                documents.push(("trust", &p["AssumeRolePolicyDocument"]));
                for policy in p["Policies"].as_array().into_iter().flatten() {
                    documents.push(("statement", &policy["PolicyDocument"]));
                }
                for a in p["ManagedPolicyArns"].as_array().into_iter().flatten() {
                    out.push(row(
                        id,
                        "managed policy",
                        format!("gets the managed policy {}", normalize(a)),
                    ));
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                documents.push(("statement", &p["PolicyDocument"]));
            }
            "AWS::Lambda::Permission" => {
                let mut d = format!(
                    "{} may invoke {}",
                    short(&Some(p["Principal"].clone()), 60),
                    short(&Some(p["FunctionName"].clone()), 60)
                );
                if !p["SourceArn"].is_null() {
                    d.push_str(&format!(
                        " from {}",
                        short(&Some(p["SourceArn"].clone()), 60)
                    ));
                }
                out.push(row(id, "invoke permission", d));
            }
            _ => {}
        }
        for (kind, doc) in documents {
            let statements = match &doc["Statement"] {
                Value::Array(list) => list.clone(),
                Value::Null => Vec::new(),
                one => vec![one.clone()],
            };
            for st in statements {
                let st = normalize(&st);
                let deny = st["Effect"] == "Deny";
                let verb = if deny { "denies" } else { "allows" };
                let description = if kind == "trust" {
                    format!("trusts {}", short(&Some(st["Principal"].clone()), 80))
                } else {
                    format!(
                        "{verb} {} on {}",
                        short(&Some(st["Action"].clone()), 80),
                        short(&Some(st["Resource"].clone()), 80)
                    )
                };
                let mut r = row(id, kind, description);
                r.narrows = deny;
                out.push(r);
            }
        }
    }
    out
}

/// What a template opens on the network: security groups' rules (inline and as their own
/// resources) and the VPC placement of functions.
fn network(template: &Value) -> Vec<Row> {
    let mut out = Vec::new();
    let empty = Map::new();
    let rule = |r: &Value| {
        let r = normalize(r);
        let peer = [
            "CidrIp",
            "CidrIpv6",
            "SourceSecurityGroupId",
            "DestinationSecurityGroupId",
            "SourcePrefixListId",
            "DestinationPrefixListId",
        ]
        .iter()
        .find(|k| !r[**k].is_null())
        .map(|k| short(&Some(r[*k].clone()), 60))
        .unwrap_or_else(|| "anywhere in the group".into());
        let ports = match (&r["FromPort"], &r["ToPort"]) {
            (Value::Null, Value::Null) => "all ports".to_string(),
            (a, b) if a == b => format!("port {}", short(&Some(a.clone()), 20)),
            (a, b) => format!(
                "ports {}-{}",
                short(&Some(a.clone()), 20),
                short(&Some(b.clone()), 20)
            ),
        };
        let proto = match &r["IpProtocol"] {
            Value::String(p) if p == "-1" => "all protocols".to_string(),
            other => short(&Some(other.clone()), 20),
        };
        format!("{proto} {ports} {peer}")
    };
    for (id, r) in template["Resources"].as_object().unwrap_or(&empty) {
        let p = &r["Properties"];
        match r["Type"].as_str().unwrap_or("") {
            "AWS::EC2::SecurityGroup" => {
                for (key, kind, dir) in [
                    ("SecurityGroupIngress", "ingress", "allows in"),
                    ("SecurityGroupEgress", "egress", "allows out"),
                ] {
                    for r in p[key].as_array().into_iter().flatten() {
                        out.push(row(id, kind, format!("{dir} {}", rule(r))));
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" => out.push(row(
                id,
                "ingress",
                format!(
                    "allows into {} {}",
                    short(&Some(p["GroupId"].clone()), 60),
                    rule(p)
                ),
            )),
            "AWS::EC2::SecurityGroupEgress" => out.push(row(
                id,
                "egress",
                format!(
                    "allows out of {} {}",
                    short(&Some(p["GroupId"].clone()), 60),
                    rule(p)
                ),
            )),
            "AWS::Lambda::Function" => {
                let vpc = &p["VpcConfig"];
                for (key, what) in [
                    ("SecurityGroupIds", "security group"),
                    ("SubnetIds", "subnet"),
                ] {
                    for v in vpc[key].as_array().into_iter().flatten() {
                        out.push(row(
                            id,
                            "vpc",
                            format!("runs in {what} {}", short(&Some(normalize(v)), 60)),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The IAM table (`iam`) and the network table (`network`) of going from `old` to `new`.
pub fn tables(old: &Value, new: &Value) -> (Vec<Row>, Vec<Row>) {
    (
        table(&grants(old), &grants(new)),
        table(&network(old), &network(new)),
    )
}

/// The text of a table: `+` added, `-` removed.
pub fn table_text(title: &str, rows: &[Row], colour: bool) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = format!("{title}:\n");
    for r in rows {
        let (mark, style) = if r.added { ('+', GREEN) } else { ('-', RED) };
        let line = format!("  {mark} {}", r.text());
        if colour {
            out.push_str(&format!("{style}{line}{RESET}\n"));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

/// A table for machines.
pub fn table_json(rows: &[Row]) -> Value {
    Value::Array(rows.iter().map(Row::json).collect())
}

#[cfg(test)]
mod risk_tests {
    use super::*;

    #[test]
    fn the_iam_and_network_tables_show_what_is_added_and_removed() {
        let old = json!({ "Resources": {
            "Role": { "Type": "AWS::IAM::Role", "Properties": {
                "Policies": [{ "PolicyName": "p", "PolicyDocument": { "Statement": [
                    { "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*" }] } }] } },
            "Sg": { "Type": "AWS::EC2::SecurityGroup", "Properties": {
                "SecurityGroupIngress": [{ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8" }] } },
            "F": { "Type": "AWS::Lambda::Function", "Properties": {
                "VpcConfig": { "SecurityGroupIds": ["sg-1"], "SubnetIds": ["subnet-1"] } } },
        }});
        let new = json!({ "Resources": {
            "Role": { "Type": "AWS::IAM::Role", "Properties": {
                "Policies": [{ "PolicyName": "p", "PolicyDocument": { "Statement": [
                    { "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "*" },
                    { "Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": "*" }] } }] } },
            "Sg": { "Type": "AWS::EC2::SecurityGroup", "Properties": {
                "SecurityGroupIngress": [{ "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0" }] } },
            "F": { "Type": "AWS::Lambda::Function", "Properties": {
                "VpcConfig": { "SecurityGroupIds": ["sg-1"], "SubnetIds": ["subnet-2"] } } },
        }});
        let r = diff(&old, &new);
        let text = r.text();
        assert!(text.contains("IAM:\n  + Role allows [\"s3:PutObject\"] on \"*\"\n  + Role denies [\"s3:DeleteObject\"] on \"*\"\n  - Role allows [\"s3:GetObject\"] on \"*\"\n"), "{text}");
        assert!(text.contains("network:\n"), "{text}");
        assert!(
            text.contains("  + Sg allows in \"tcp\" port 22 \"0.0.0.0/0\""),
            "{text}"
        );
        assert!(
            text.contains("  - Sg allows in \"tcp\" port 443 \"10.0.0.0/8\""),
            "{text}"
        );
        assert!(text.contains("  + F runs in subnet \"subnet-2\""), "{text}");
        assert!(text.contains("  - F runs in subnet \"subnet-1\""), "{text}");
        assert!(
            !text.contains("sg-1"),
            "an unchanged group is not a row: {text}"
        );
        let j = r.json();
        assert_eq!(
            j["iam"][0],
            json!({"change": "added", "resource": "Role", "kind": "statement", "description": "allows [\"s3:PutObject\"] on \"*\""})
        );
        assert_eq!(j["network"].as_array().unwrap().len(), 4);
        // A Deny added narrows; only the Allow broadens.
        let b = risks(&old, &new, &r).broadened;
        assert_eq!(b, vec!["Role allows [\"s3:PutObject\"] on \"*\""]);
    }

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
