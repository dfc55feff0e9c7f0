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
    let (code, err) = sls(t.path(), &moto, &["deploy"]);
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
        err.contains("the service no longer fits one stack, and")
            && err.contains("stack many-dev holds would move into nested stacks")
            && err.contains("deleted and created again"),
        "{err}"
    );
    assert!(err.contains("serverless-compose.yml"), "{err}");
    let stacks =
        moto.py("print(json.dumps(len(client('cloudformation').describe_stacks()['Stacks'])))");
    assert_eq!(stacks, json!(1), "nothing was deployed");
}
