//! Services past one stack's limits: functions in nested stacks chosen by a hash of their key,
//! deployed to moto, a function added without moving any other, a single stack never split
//! under a deployed service, and removal.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

use crate::common::{self, Moto, Test};

/// `n` functions (from `from`) with a schedule each: five resources per function.
fn functions(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("  f{i}:\n    handler: handler.hello\n    events:\n      - schedule: rate(1 hour)\n"))
        .collect()
}

const HEAD: &str = "service: many\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n";

fn sls(dir: &Path, moto: &Moto, args: &[&str]) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = common::sls(dir, &args, &moto.env());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The nested templates in the package at `dir`: file name → resource IDs.
fn nested_ids(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    std::fs::read_dir(dir.join(".serverless"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("cloudformation-template-nested-")
        })
        .map(|e| {
            let t: Value =
                serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                t["Resources"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn past_500_resources_functions_go_to_nested_stacks_that_never_move() {
    let yaml = format!("{HEAD}{}", functions(0, 300));
    let t = Test::service(&yaml);
    // The dry run: the root, and every template with --nested; each within the limits.
    let out = common::sls(
        t.path(),
        &["package".into(), "--dry-run".into(), "--nested".into()],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_object().unwrap();
    let root = &all["cloudformation-template-update-stack.json"];
    let stacks: Vec<&String> = root["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudFormation::Stack")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(all.len(), stacks.len() + 1);
    assert!(stacks.len() > 20, "{}", stacks.len());
    let mut lambdas = 0;
    for (name, tpl) in all {
        let n = tpl["Resources"].as_object().unwrap().len();
        assert!(n <= 500, "{name}: {n} resources");
        assert!(
            tpl.get("Outputs")
                .and_then(Value::as_object)
                .map_or(0, |o| o.len())
                <= 200
        );
        lambdas += tpl["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::Lambda::Function")
            .count();
    }
    assert_eq!(lambdas, 300);
    assert!(root["Resources"]
        .as_object()
        .unwrap()
        .values()
        .all(|r| r["Type"] != "AWS::Lambda::Function"));
    let templates: Vec<(String, Value)> = all.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    common::cfn_lint(&templates, &[], &[]);
    let plain = common::sls(t.path(), &["package".into(), "--dry-run".into()], &[]);
    assert!(String::from_utf8_lossy(&plain.stderr).contains(&format!(
        "the functions are in {} nested stacks (--nested prints them)",
        stacks.len()
    )));

    // Deployed to moto: the root and its nested stacks, every function.
    let moto = Moto::start();
    let (code, err) = sls(t.path(), &moto, &["deploy"]);
    assert_eq!(code, 0, "{err}");
    let counts = moto.py("cf = client('cloudformation')\nss = cf.describe_stacks()['Stacks']\nl = client('lambda')\nn, m = 0, None\nwhile True:\n    r = l.list_functions(**({'Marker': m} if m else {}))\n    n += len(r['Functions'])\n    m = r.get('NextMarker')\n    if not m: break\nprint(json.dumps([len(ss), n]))");
    assert_eq!(counts, json!([stacks.len() + 1, 300]));
    let before = nested_ids(t.path());

    // A function added: it joins its stack; nothing else moves.
    std::fs::write(
        t.path().join("serverless.yml"),
        format!("{yaml}{}", functions(300, 1)),
    )
    .unwrap();
    // `diff` sees inside the nested stacks: exactly the new function's resources, in its stack.
    let out = common::sls(
        t.path(),
        &[
            "diff".into(),
            "--json".into(),
            "--method".into(),
            "template".into(),
        ],
        &moto.env(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stack = sls_rs::naming::nested_stack_id(sls_rs::plan::split::slot("f300"));
    let changed: Vec<(String, String)> = d["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["logicalId"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(changed.len(), 5, "{changed:?}");
    for (id, action) in &changed {
        assert!(
            id.starts_with(&format!("{stack}/F300")) && action == "add",
            "{changed:?}"
        );
    }
    // Approval looks inside the nested stacks too: the new function's invoke permission is a
    // grant a deploy adds, named in its stack, and nothing is deployed without --approve.
    let (code, err) = sls(t.path(), &moto, &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("needs approval")
            && err.contains(&format!("{stack}/F300LambdaPermissionEventsRuleSchedule1: \"events.amazonaws.com\" may invoke")),
        "{err}"
    );
    let (code, err) = sls(t.path(), &moto, &["deploy", "--approve"]);
    assert_eq!(code, 0, "{err}");
    let after = nested_ids(t.path());
    let mut added = BTreeSet::new();
    for (file, ids) in &before {
        let now = &after[file];
        assert!(ids.is_subset(now), "{file} lost resources");
        added.extend(now.difference(ids).cloned());
    }
    assert!(
        added.iter().all(|id| id.starts_with("F300")) && added.contains("F300LambdaFunction"),
        "{added:?}"
    );
    let f300 = moto.py("print(json.dumps(client('lambda').get_function(FunctionName='many-dev-f300')['Configuration']['FunctionName']))");
    assert_eq!(f300, json!("many-dev-f300"));
    // `info` reads the nested stacks: each function, and the version outputs that moved into
    // them (exported), but none of the outputs that only carry references between stacks.
    let out = common::sls(t.path(), &["info".into(), "--json".into()], &moto.env());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["functions"].as_array().unwrap().len(), 301);
    let outputs = info["outputs"].as_object().unwrap();
    // (moto resolves a version's `Ref` to its logical ID, where AWS gives its ARN.)
    let version = outputs["F300LambdaFunctionQualifiedArn"].as_str().unwrap();
    assert!(version.starts_with("F300LambdaVersion"), "{version}");
    assert_eq!(
        outputs
            .keys()
            .filter(|k| k.ends_with("LambdaFunctionQualifiedArn"))
            .count(),
        301
    );
    assert!(
        outputs.keys().all(|k| !k.contains("Attr")),
        "{:?}",
        outputs.keys().collect::<Vec<_>>()
    );

    // Shrunk under one stack's limits, it stays in its nested stacks: nothing moves back into
    // the root. A package built without reading the stack would move them, and is refused.
    std::fs::write(
        t.path().join("serverless.yml"),
        format!("{HEAD}{}", functions(0, 50)),
    )
    .unwrap();
    let (code, err) = sls(t.path(), &moto, &["package"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        nested_ids(t.path()).is_empty(),
        "one stack when packaged alone"
    );
    let (code, err) = sls(t.path(), &moto, &["deploy", "--package", ".serverless"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("resources stack many-dev holds would move to another stack (")
            && err.contains(" → the root stack")
            && err.contains("deploy without --package"),
        "{err}"
    );
    let (code, err) = sls(t.path(), &moto, &["deploy"]);
    assert_eq!(code, 0, "{err}");
    let shrunk = nested_ids(t.path());
    assert!(!shrunk.is_empty());
    for (file, ids) in &shrunk {
        assert!(ids.is_subset(&after[file]), "{file} gained resources");
    }
    let kept: usize = shrunk
        .values()
        .map(|ids| {
            ids.iter()
                .filter(|id| id.ends_with("LambdaFunction"))
                .count()
        })
        .sum();
    assert_eq!(kept, 50);
    let lambdas = moto.py("l = client('lambda')\nn, m = 0, None\nwhile True:\n    r = l.list_functions(**({'Marker': m} if m else {}))\n    n += len(r['Functions'])\n    m = r.get('NextMarker')\n    if not m: break\nprint(json.dumps(n))");
    assert_eq!(lambdas, json!(50));
    // `deploy function` finds the function's configuration in its nested stack: a memory
    // change reaches Lambda.
    std::fs::write(
        t.path().join("serverless.yml"),
        format!("{HEAD}{}", functions(0, 50)).replacen(
            "  f7:\n    handler: handler.hello\n",
            "  f7:\n    handler: handler.hello\n    memorySize: 512\n",
            1,
        ),
    )
    .unwrap();
    let (code, err) = sls(t.path(), &moto, &["deploy", "function", "-f", "f7"]);
    assert_eq!(code, 0, "{err}");
    let memory = moto.py("print(json.dumps(client('lambda').get_function_configuration(FunctionName='many-dev-f7')['MemorySize']))");
    assert_eq!(memory, json!(512), "{err}");

    let (code, err) = sls(t.path(), &moto, &["remove"]);
    assert_eq!(code, 0, "{err}");
    let left = moto.py("print(json.dumps([s['StackName'] for s in client('cloudformation').list_stacks()['StackSummaries'] if s['StackStatus'] != 'DELETE_COMPLETE']))");
    assert_eq!(left, json!([]));
}

#[test]
fn a_deployed_single_stack_is_never_split_under_it() {
    // 90 functions: 453 resources, one stack.
    let yaml = format!("{HEAD}{}", functions(0, 90));
    let t = Test::service(&yaml);
    let moto = Moto::start();
    let (code, err) = sls(t.path(), &moto, &["deploy"]);
    assert_eq!(code, 0, "{err}");
    // Ten more need nested stacks, which would move the deployed functions: refused.
    std::fs::write(
        t.path().join("serverless.yml"),
        format!("{yaml}{}", functions(90, 10)),
    )
    .unwrap();
    let (code, err) = sls(t.path(), &moto, &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("resources stack many-dev holds would move to another stack (")
            && err.contains(": the root stack → FunctionsNestedStack")
            && err.contains("deleted and created again"),
        "{err}"
    );
    assert!(err.contains("serverless-compose.yml"), "{err}");
    let stacks =
        moto.py("print(json.dumps(len(client('cloudformation').describe_stacks()['Stacks'])))");
    assert_eq!(stacks, json!(1), "nothing was deployed");
}

/// A nested stack past 80% of a limit is warned about while it still deploys: its functions'
/// stack never changes, so functions added to it later may not fit.
#[test]
fn a_nested_stack_near_a_limit_is_warned_about() {
    // 81 functions that all hash to one nested stack: 405 of its 500 resources.
    let names: Vec<String> = (0..)
        .map(|i| format!("f{i}"))
        .filter(|n| sls_rs::plan::split::slot(n) == 5)
        .take(81)
        .collect();
    let mut yaml = String::from(HEAD);
    for n in &names {
        yaml.push_str(&format!(
            "  {n}:\n    handler: handler.hello\n    events:\n      - schedule: rate(1 hour)\n"
        ));
    }
    // And 30 elsewhere, which puts the service past one stack.
    for n in (0..)
        .map(|i| format!("g{i}"))
        .filter(|n| sls_rs::plan::split::slot(n) != 5)
        .take(30)
    {
        yaml.push_str(&format!(
            "  {n}:\n    handler: handler.hello\n    events:\n      - schedule: rate(1 hour)\n"
        ));
    }
    let t = Test::service(&yaml);
    let out = common::sls(t.path(), &["package".into(), "--dry-run".into()], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: nested stack FunctionsNestedStack05 uses 405 of CloudFormation's 500 resources (81%)"),
        "{err}"
    );
    assert!(err.contains("may not fit"), "{err}");
    // One function less there, 400 resources: no warning.
    let fewer = yaml.replacen(
        &format!(
            "  {}:\n    handler: handler.hello\n    events:\n      - schedule: rate(1 hour)\n",
            names[80]
        ),
        "",
        1,
    );
    std::fs::write(t.path().join("serverless.yml"), fewer).unwrap();
    let out = common::sls(t.path(), &["package".into(), "--dry-run".into()], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("warning: nested stack"), "{err}");
}
