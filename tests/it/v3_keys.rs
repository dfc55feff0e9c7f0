//! Issue #10's rule, as a test: every key of v3's AWS configuration schema is compiled or refused
//! with a reason; nothing a v3 user writes is accepted and dropped.
//!
//! The keys, one sample each and whether v3's template changes with it, are data in
//! `tests/fixtures/v3-keys/keys.json` (see its README; generated from osls@3). For each entry the
//! sample service is packaged (`package --dry-run`) and so is the same service without the key:
//! - refused: exit 1 with an `error:`;
//! - compiled: the template differs from the one without the key;
//! - otherwise the template is the same, which is right only for the keys listed below in
//!   [`OUTSIDE_THE_TEMPLATE`] (each used somewhere else, with where), or in [`SLS_RS_DEFAULT`]
//!   (the sample is sls-rs's default; the other value must change the template) — and never
//!   for a key whose sample changes v3's template.
//!
//! No v3 key may ever be "unknown" to sls-rs, which would warn and ignore it.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::common;

/// Keys whose sample leaves the template as it is, with where sls-rs uses them instead. A key
/// listed here that the test finds compiled or refused is a stale entry and fails the test, so
/// this list stays true.
const OUTSIDE_THE_TEMPLATE: &[(&str, &str)] = &[
    (
        "configValidationMode",
        "validation: unknown properties become errors",
    ),
    (
        "console",
        "v3 stopped reading it in 3.24; sls-rs warns it has no effect",
    ),
    ("custom", "read by ${self:custom…} and by plugins"),
    (
        "deprecationNotificationMode",
        "v3's own deprecation output; sls-rs prints none",
    ),
    (
        "disabledDeprecations",
        "v3's own deprecation output; sls-rs prints none",
    ),
    (
        "frameworkVersion",
        "checked against the 3.x sls-rs answers for",
    ),
    ("params", "read by ${param:…}"),
    ("plugins", "loads the plugins (an empty list here)"),
    (
        "projectDir",
        "lets v3's ${file(…)} read above the service, which sls-rs's always may",
    ),
    ("useDotenv", "loads .env files into ${env:…}"),
    (
        "variablesResolutionMode",
        "v3's only resolution mode (20210326)",
    ),
    (
        "package.excludeDevDependencies",
        "the zip's node_modules (package stage)",
    ),
    (
        "package.path",
        "where `package` writes the package and `deploy` deploys it from",
    ),
    (
        "package.include",
        "the zip's file selection (package stage)",
    ),
    (
        "resources.AWSTemplateFormatVersion",
        "the sample is the template's own version",
    ),
    ("provider.name", "aws, the only provider"),
    ("provider.cfnRole", "the stack's RoleARN at deploy"),
    (
        "provider.ecr",
        "the images functions name (none does in the sample)",
    ),
    (
        "provider.ecr.scanOnPush",
        "the ECR repository built images are pushed to (package stage)",
    ),
    (
        "provider.ecr.maxImageCount",
        "that repository's lifecycle policy (package stage)",
    ),
    (
        "provider.deploymentBucket.maxPreviousDeploymentArtifacts",
        "pruning old deployments after deploy",
    ),
    (
        "provider.deploymentBucket.serverSideEncryption",
        "encryption headers on every upload",
    ),
    (
        "provider.deploymentBucket.sseCustomerAlgorithim",
        "encryption headers on every upload",
    ),
    (
        "provider.deploymentBucket.sseCustomerKey",
        "encryption headers on every upload",
    ),
    (
        "provider.deploymentBucket.sseCustomerKeyMD5",
        "encryption headers on every upload",
    ),
    (
        "provider.deploymentBucket.sseKMSKeyId",
        "encryption headers on every upload",
    ),
    (
        "provider.disableRollback",
        "the stack operation's DisableRollback at deploy",
    ),
    (
        "provider.eventBridge",
        "`useCloudFormation: true` is how sls-rs compiles eventBridge events; `false` is refused",
    ),
    (
        "provider.eventBridge.useCloudFormation",
        "`true` is how sls-rs compiles eventBridge events; `false` is refused",
    ),
    (
        "provider.httpApi.useProviderTags",
        "v3 and sls-rs always tag HTTP APIs; both warn it has no effect",
    ),
    (
        "provider.iam.deploymentRole",
        "the stack's RoleARN at deploy",
    ),
    (
        "provider.lambdaHashingVersion",
        "v3's only hashing since 3.0 (20201221)",
    ),
    (
        "provider.notificationArns",
        "the stack operation's NotificationARNs at deploy",
    ),
    ("provider.profile", "the AWS credentials used"),
    (
        "provider.region",
        "the stack's region at deploy (the template is region-neutral)",
    ),
    (
        "provider.rollbackConfiguration",
        "the stack operation's RollbackConfiguration at deploy",
    ),
    (
        "provider.rollbackConfiguration.RollbackTriggers",
        "the stack operation's RollbackConfiguration at deploy",
    ),
    (
        "provider.rollbackConfiguration.MonitoringTimeInMinutes",
        "the stack operation's RollbackConfiguration at deploy",
    ),
    (
        "provider.deploymentMethod",
        "change sets or direct stack updates at deploy",
    ),
    ("provider.stackName", "the stack's name at deploy"),
    (
        "provider.stackParameters",
        "the stack's Parameters at deploy",
    ),
    (
        "provider.stackPolicy",
        "the stack's StackPolicyBody at deploy",
    ),
    ("provider.stackTags", "the stack's Tags at deploy"),
    (
        "functions.*.awsKmsKeyArn",
        "v3 never reads it; sls-rs warns it has no effect (`kmsKeyArn` is the key)",
    ),
    (
        "functions.*.events.stream.type",
        "the sample is the type the ARN already says",
    ),
    (
        "functions.*.events.cloudFront.isDefaultOrigin",
        "the sample's one origin is the default anyway; with several it picks the default behavior's origin (golden case `cloudfront`)",
    ),
];

/// Keys whose sample asks for what sls-rs does anyway, with the other value (which must change
/// the template) and why sls-rs's default differs from v3's.
const SLS_RS_DEFAULT: &[(&str, &str, &str)] = &[
    (
        "provider.deploymentBucket.blockPublicAccess",
        "false",
        "the bucket sls-rs creates blocks public access unless told not to",
    ),
    (
        "provider.deploymentBucket.versioning",
        "false",
        "the bucket sls-rs creates is versioned unless told not to",
    ),
];

#[derive(Debug)]
enum Outcome {
    Refused,
    Compiled,
    Same,
    Broken(String),
}

#[test]
fn every_v3_key_is_compiled_or_refused_never_ignored() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v3-keys/keys.json");
    let entries: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(data).expect("keys.json")).expect("json");
    assert!(
        entries.len() >= 430,
        "keys.json has {} entries",
        entries.len()
    );

    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<BTreeMap<usize, Outcome>> = Default::default();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(e) = entries.get(i) else { break };
                let outcome = classify(e);
                results.lock().unwrap().insert(i, outcome);
            });
        }
    });
    let results = results.into_inner().unwrap();

    let outside: BTreeMap<&str, &str> = OUTSIDE_THE_TEMPLATE.iter().copied().collect();
    let defaults: BTreeMap<&str, (&str, &str)> = SLS_RS_DEFAULT
        .iter()
        .map(|(k, other, why)| (*k, (*other, *why)))
        .collect();
    let mut failures = Vec::new();
    let mut unchanged_listed = std::collections::BTreeSet::new();
    for (i, outcome) in &results {
        let e = &entries[*i];
        let key = e["path"].as_str().unwrap();
        let name = match e.get("form") {
            Some(f) => format!("{key} ({} form)", f.as_str().unwrap_or("?")),
            None => key.to_string(),
        };
        let v3_changes = e["v3TemplateChanges"].as_bool().unwrap_or(true);
        match outcome {
            Outcome::Broken(why) => failures.push(format!("{name}: {why}")),
            Outcome::Refused | Outcome::Compiled => {}
            Outcome::Same if outside.contains_key(key) && !v3_changes => {
                unchanged_listed.insert(key);
            }
            Outcome::Same if v3_changes && defaults.contains_key(key) => {
                let (other, _) = defaults[key];
                let mut e = e.clone();
                e["sample"] = serde_json::from_str(other).unwrap();
                if !matches!(classify(&e), Outcome::Compiled) {
                    failures.push(format!(
                        "{name}: listed in SLS_RS_DEFAULT, but `{other}` leaves the template as it is too"
                    ));
                }
            }
            Outcome::Same if v3_changes => failures.push(format!(
                "{name}: accepted and ignored (v3 changes its template with {})",
                e["sample"]
            )),
            Outcome::Same => failures.push(format!(
                "{name}: leaves the template as it is; if sls-rs uses it elsewhere, list it in OUTSIDE_THE_TEMPLATE with where"
            )),
        }
    }
    for key in outside.keys() {
        if !unchanged_listed.contains(key) {
            failures.push(format!(
                "{key}: listed in OUTSIDE_THE_TEMPLATE but not a key whose sample leaves the template as it is"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} v3 keys:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

/// Packages the entry's service with and without its key and says what sls-rs made of it.
fn classify(e: &Value) -> Outcome {
    let key = e["path"].as_str().unwrap();
    let last = key.rsplit('.').next().unwrap();
    let sample = match package(&service(e, Mode::Sample), e) {
        Ok(t) => t,
        Err((1, stderr)) => {
            return if !stderr.lines().any(|l| l.starts_with("error:")) {
                Outcome::Broken(format!("exit 1 without an error:\n{stderr}"))
            } else if stderr.contains(&format!("unknown property `{last}`")) {
                Outcome::Broken(format!("refused as unknown, not as unsupported:\n{stderr}"))
            } else {
                Outcome::Refused
            };
        }
        Err((code, stderr)) => return Outcome::Broken(format!("exit {code}:\n{stderr}")),
    };
    if let Some(line) = sample.1.lines().find(|l| l.contains("is ignored")) {
        return Outcome::Broken(format!("accepted with a warning that drops it: {line}"));
    }
    let reference =
        package(&service(e, Mode::Reference), e).or_else(|_| package(&service(e, Mode::Base), e));
    match reference {
        Ok((t, _)) if t == sample.0 => Outcome::Same,
        Ok(_) => Outcome::Compiled,
        Err((code, stderr)) => Outcome::Broken(format!(
            "the service without the key fails (exit {code}):\n{stderr}"
        )),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Sample,
    Reference,
    Base,
}

/// The service for an entry, built as `keys.json`'s README says.
fn service(e: &Value, mode: Mode) -> Value {
    let mut s = json!({
        "service": "keys",
        "provider": {"name": "aws", "runtime": "nodejs22.x", "region": "us-east-1"},
        "functions": {"hello": {"handler": "handler.hello"}},
    });
    if mode == Mode::Base {
        return s;
    }
    if let Some(with) = e.get("with") {
        merge(&mut s, with);
    }
    for r in e
        .get("remove")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let parts: Vec<&str> = r.as_str().unwrap().split('.').collect();
        let (last, parents) = parts.split_last().unwrap();
        if let Some(Value::Object(m)) = parents.iter().try_fold(&mut s, |o, k| o.get_mut(*k)) {
            m.remove(*last);
        }
    }
    if let Some(event) = e.get("event") {
        let key = e["path"].as_str().unwrap();
        let parts: Vec<&str> = key.split('.').collect();
        let mut event = event.clone();
        if mode == Mode::Reference {
            // `functions.*.events.<kind>` is the event itself; deeper, one property of it.
            match parts.get(4) {
                None => return s,
                Some(prop) => {
                    if let Some(Value::Object(m)) =
                        event.as_object_mut().unwrap().values_mut().next()
                    {
                        m.remove(*prop);
                    }
                }
            }
        }
        let hello = s["functions"]["hello"].as_object_mut().unwrap();
        let events = hello.entry("events").or_insert_with(|| json!([]));
        events.as_array_mut().unwrap().push(event);
    } else if mode == Mode::Sample {
        let path: Vec<&str> = e["setPath"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let (last, parents) = path.split_last().unwrap();
        let mut o = &mut s;
        for k in parents {
            let m = o.as_object_mut().unwrap();
            o = m
                .entry(k.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        o.as_object_mut()
            .unwrap()
            .insert(last.to_string(), e["sample"].clone());
    }
    s
}

/// Objects merge key by key; any other value replaces the old one.
fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(old) => merge(old, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// `package --dry-run` on the service (JSON is YAML) with the entry's files: the template and
/// stderr, or the exit code and stderr.
fn package(svc: &Value, e: &Value) -> Result<(Value, String), (i32, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("serverless.yml"),
        serde_json::to_string_pretty(svc).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("handler.js"), common::HANDLER).unwrap();
    for (name, content) in e
        .get("files")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        match content.as_str().unwrap() {
            "@zip" => write_zip(&p),
            text => std::fs::write(&p, text).unwrap(),
        }
    }
    let out = common::sls(
        dir.path(),
        &["package".into(), "--dry-run".into()],
        &[("SOURCE_DATE_EPOCH".into(), "1795700982".into())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stderr.contains("panicked") {
        return Err((101, stderr));
    }
    match out.status.code() {
        Some(0) => {
            // The dry run prints the template as JSON first, then a summary on stderr.
            let template = serde_json::from_slice(&out.stdout).map_err(|err| {
                (
                    0,
                    format!(
                        "stdout is not one template ({err}):\n{}",
                        String::from_utf8_lossy(&out.stdout)
                    ),
                )
            })?;
            Ok((template, stderr))
        }
        code => Err((code.unwrap_or(-1), stderr)),
    }
}

fn write_zip(path: &Path) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    z.start_file("handler.js", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(common::HANDLER.as_bytes()).unwrap();
    z.finish().unwrap();
}
