//! v3 plugins run unchanged through the plugin host: real ones from npm (installed by
//! `scripts/node-fixtures` into `tests/fixtures/plugins/`, compared with osls 3.77's output
//! under `tests/fixtures/plugins/expected/`), and small local ones for each rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{self, Test, HANDLER};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plugins")
        .join(name)
}

/// A copy of a plugin fixture in a temporary directory, its installed `node_modules` linked.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let src = fixture(name);
    assert!(
        src.join("node_modules").is_dir(),
        "{} is not installed: run scripts/node-fixtures (./scripts/test does)",
        src.display()
    );
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&src, dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let n = e.file_name();
        let dest = to.join(&n);
        if n == "node_modules" {
            std::os::unix::fs::symlink(e.path(), &dest).unwrap();
        } else if e.path().is_dir() {
            std::fs::create_dir(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn expected_listing(path: &str) -> BTreeSet<String> {
    std::fs::read_to_string(fixture("expected").join(path))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// `sls-rs package` in `dir`, which must succeed; returns the package directory.
fn package_ok(dir: &Path) -> PathBuf {
    let o = common::sls(dir, &["package".to_string()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir.join(".serverless")
}

/// The update template of the package in `out`.
fn template(out: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(out.join("cloudformation-template-update-stack.json")).unwrap(),
    )
    .unwrap()
}

/// Zip entry names without Python bytecode (it depends on the python3 that ran pip).
fn no_bytecode(names: BTreeSet<String>) -> BTreeSet<String> {
    names
        .into_iter()
        .filter(|n| !n.contains("__pycache__"))
        .collect()
}

fn unzip(zip: &Path) -> tempfile::TempDir {
    let unzipped = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("unzip")
        .args(["-q", &zip.display().to_string(), "-d"])
        .arg(unzipped.path())
        .status()
        .unwrap();
    assert!(st.success());
    unzipped
}

/// Unzips `zip` and runs `script` with node inside it; returns what it printed.
fn run_in_zip(zip: &Path, script: &str) -> String {
    let unzipped = unzip(zip);
    let run = std::process::Command::new("node")
        .args(["-e", script])
        .current_dir(unzipped.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).trim().to_string()
}

fn zip_names(zip: &Path) -> BTreeSet<String> {
    let z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    z.file_names().map(|n| n.unwrap().to_string()).collect()
}

/// The template osls@3 compiled for a fixture (`expected/<name>/update-stack.json`).
fn v3_template(name: &str) -> Value {
    let path = fixture("expected").join(name).join("update-stack.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The same logical IDs, types and output keys as osls@3's template; returns that template.
fn assert_same_ids_as_v3(ours: &Value, name: &str) -> Value {
    let theirs = v3_template(name);
    assert_eq!(ids_and_types(ours), ids_and_types(&theirs));
    // The outputs' order means nothing to CloudFormation (v3's follows its compile steps).
    let keys = |t: &Value| {
        t["Outputs"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(keys(ours), keys(&theirs));
    theirs
}

/// Logical IDs and types, with the suffixes that change from run to run cut off.
fn ids_and_types(t: &Value) -> BTreeSet<(String, String)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            // The version hash hashes the code; the API deployment's suffix is the time.
            let id = match ["LambdaVersion", "ApiGatewayDeployment"]
                .iter()
                .find_map(|p| id.find(p).map(|i| i + p.len()))
            {
                Some(end) => id[..end].to_string(),
                None => id.clone(),
            };
            (id, r["Type"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn serverless_esbuild_bundles_typescript_as_under_v3() {
    let dir = copy_fixture("esbuild");
    let out = dir.path().join("build");
    let args: Vec<String> = vec!["package".into(), "--package".into(), "build".into()];
    let o = common::sls(dir.path(), &args, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // The zip osls@3 builds with the same plugin: one bundled handler.js.
    let expected: BTreeSet<String> =
        std::fs::read_to_string(fixture("expected/esbuild/zip-listing.txt"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
    assert_eq!(zip_names(&out.join("esb-svc.zip")), expected);
    // The same logical IDs, types and outputs as osls@3's template.
    let ours = template(&out);
    assert_same_ids_as_v3(&ours, "esbuild");
    // The bundle runs.
    assert_eq!(
        run_in_zip(
            &out.join("esb-svc.zip"),
            "require('./handler').hello().then((r) => console.log(r.body))"
        ),
        r#"{"message":"hello world"}"#
    );
    // The plugin's build folder is gone, and `.serverless/` was never left behind.
    assert!(!dir.path().join(".esbuild").exists());
    assert!(!dir.path().join(".serverless").exists());
}

#[test]
fn a_typescript_handler_without_a_bundler_is_refused() {
    let dir = copy_fixture("esbuild");
    Test::new()
        .file(
            "serverless.yml",
            &std::fs::read_to_string(dir.path().join("serverless.yml"))
                .unwrap()
                .replace("plugins:\n  - serverless-esbuild\n", ""),
        )
        .file("handler.ts", "export const hello = async () => 1;\n")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("handler `handler.hello` is TypeScript (handler.ts)")
        .stderr_has("functions.hello.handler")
        .stderr_has("serverless-esbuild")
        .run();
}

const HEAD: &str = "service: pt\nprovider:\n  name: aws\n  runtime: nodejs22.x\n";

/// A plugin in `.serverless_plugins/`, where v3 looks first.
const LOCAL: &str = r#"
class Local {
  constructor(serverless, options, { log }) {
    serverless.configSchemaHandler.defineFunctionProperties('aws', { properties: { greeting: { type: 'string' } } });
    serverless.configSchemaHandler.defineTopLevelProperty('extras', { type: 'object' });
    const naming = serverless.getProvider('aws').naming;
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => { console.log('plugin output goes to stderr'); log('logged'); log.info('info only with verbose'); },
      'package:compileFunctions': () => {
        const t = serverless.service.provider.compiledCloudFormationTemplate;
        if (!t.Resources[naming.getLambdaLogicalId('hello')]) throw new Error('core compiled no function before this hook');
        t.Resources.ExtraTopic = { Type: 'AWS::SNS::Topic', Properties: { DisplayName: naming.getLambdaLogicalId('hello') } };
      },
      'before:package:finalize': () => {
        if (process.env.FAIL_IN_FINALIZE) throw new Error('the plugin broke');
      },
      'after:aws:package:finalize:mergeCustomProviderResources': () => {
        const file = require('path').join(serverless.config.servicePath, '.serverless', 'Extra.json');
        serverless.utils.writeFileSync(file, { written: 'by the plugin' });
      },
    };
  }
}
module.exports = Local;
"#;

fn local_service(extra: &str) -> Test {
    Test::new()
        .file(
            "serverless.yml",
            &format!("{HEAD}plugins:\n  - local\n{extra}functions:\n  hello:\n    handler: handler.hello\n    greeting: hi\n"),
        )
        .file("handler.js", HANDLER)
        .file(".serverless_plugins/local.js", LOCAL)
}

#[test]
fn plugins_change_the_template_and_define_properties() {
    let (out, _) = local_service("extras:\n  a: 1\n")
        .args(&["package", "--dry-run"])
        .stderr_has("plugin output goes to stderr")
        .run();
    let t: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the template");
    assert_eq!(
        t["Resources"]["ExtraTopic"]["Properties"]["DisplayName"], "HelloLambdaFunction",
        "naming answered by sls-rs"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("info only with verbose"),
        "v3 shows log.info with --verbose only: {stderr}"
    );
    assert!(
        !stderr.contains("greeting") && !stderr.contains("extras"),
        "defined by the plugin: {stderr}"
    );
    // What no plugin defines is still reported.
    let (out, _) = local_service("extraz: 1\n")
        .args(&["package", "--dry-run"])
        .run();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown property `extraz`"));
    // A dry run writes nothing.
    let t = local_service("");
    let (_, dir) = t.args(&["package", "--dry-run"]).run();
    assert!(!dir.path().join(".serverless").exists());
    // A package keeps what plugins wrote into it.
    let (_, dir) = local_service("").args(&["package"]).run();
    let extra = std::fs::read_to_string(dir.path().join(".serverless/Extra.json")).unwrap();
    assert!(extra.contains("by the plugin"));
    assert!(dir.path().join(".serverless/pt.zip").is_file());
}

#[test]
fn a_failing_hook_names_the_plugin_and_keeps_the_previous_package() {
    let t = local_service("");
    let dir = t.path().to_path_buf();
    let (_, keep) = t.args(&["package"]).run();
    let before = std::fs::read(dir.join(".serverless/pt.zip")).unwrap();
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 2;\n",
    )
    .unwrap();
    let out = common::sls(
        &dir,
        &["package".to_string()],
        &[("FAIL_IN_FINALIZE".into(), "1".into())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plugin `local` failed in `before:package:finalize`: the plugin broke"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.join(".serverless/pt.zip")).unwrap(),
        before
    );
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            n.starts_with(".serverless") && n != ".serverless" && n != ".serverless_plugins"
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(keep);
}

#[test]
fn a_missing_plugin_is_an_error_naming_it() {
    Test::service(&format!(
        "{HEAD}plugins:\n  - serverless-nope\nfunctions:\n  hello:\n    handler: handler.hello\n"
    ))
    .args(&["package", "--dry-run"])
    .status(1)
    .stderr_has("plugin `serverless-nope` is not installed")
    .stderr_has("(plugins[0])")
    .stderr_has("npm install --save-dev serverless-nope")
    .run();
}

#[test]
fn skip_plugin_leaves_a_plugin_out() {
    Test::service(&format!("{HEAD}plugins:\n  - serverless-offline\nfunctions:\n  hello:\n    handler: handler.hello\n"))
        .args(&["package", "--dry-run", "--skip-plugin", "serverless-offline"])
        .run();
    Test::service(&format!("{HEAD}plugins:\n  - serverless-offline\nfunctions:\n  hello:\n    handler: handler.hello\n"))
        .args(&["package", "--dry-run", "--skip-plugin", "serverless-ofline"])
        .status(2)
        .stderr_has("the service lists no such plugin (it lists: serverless-offline)")
        .run();
}

#[test]
fn plugins_without_node_are_an_error() {
    local_service("")
        .env("PATH", "/nonexistent")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("which run on Node.js, and `node` could not be started")
        .stderr_has("--skip-plugin")
        .run();
}

#[test]
fn a_hook_sls_rs_does_not_run_is_refused_not_ignored() {
    Test::service(&format!("{HEAD}plugins:\n  - odd\nfunctions:\n  hello:\n    handler: handler.hello\n"))
        .file(
            ".serverless_plugins/odd.js",
            "module.exports = class { constructor() { this.hooks = { 'after:package:somethingNew': () => {} }; } };\n",
        )
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("plugin `odd` hooks `after:package:somethingNew`, which sls-rs does not run yet")
        .run();
}

#[test]
fn services_without_plugins_never_start_node() {
    // With no node on PATH, a service without plugins packages as before.
    Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ))
    .env("PATH", "/nonexistent")
    .args(&["package", "--dry-run"])
    .run();
}

/// serverless-step-functions (state machines at `package:compileFunctions`) and
/// serverless-iam-roles-per-function (a role per function at `before:package:finalize`)
/// together: the template osls@3 compiles with the same plugins.
#[test]
fn step_functions_and_roles_per_function_compile_as_under_v3() {
    let dir = copy_fixture("stepf-iam");
    let args: Vec<String> = vec!["package".into(), "--dry-run".into()];
    let o = common::sls(dir.path(), &args, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours: Value = serde_json::from_slice(&o.stdout).unwrap();
    let theirs = assert_same_ids_as_v3(&ours, "stepf-iam");
    let plugin_made = [
        "Sm1StepFunctionsStateMachine",
        "Sm1StepFunctionsStateMachineRole",
        "HelloIamRoleLambdaExecution",
    ];
    for id in plugin_made {
        assert_eq!(ours["Resources"][id], theirs["Resources"][id], "{id}");
    }
    // The function now runs with its own role, as the plugin arranges.
    assert_eq!(
        ours["Resources"]["HelloLambdaFunction"]["Properties"]["Role"],
        serde_json::json!({ "Fn::GetAtt": ["HelloIamRoleLambdaExecution", "Arn"] })
    );
    // The roles plugin lists the role in DependsOn beside the GetAtt (W3005), as under v3.
    let user: Vec<String> = plugin_made.iter().map(|s| s.to_string()).collect();
    common::cfn_lint(&[("stepf-iam".to_string(), ours)], &user, &["W3005"]);
}

/// A command a plugin declares runs as v3 runs it: its options with their shortcuts and
/// types, `before:`, the event and `after:` for each lifecycle event.
#[test]
fn plugin_commands_run_with_their_options() {
    const GREETER: &str = r#"
const fs = require('fs');
module.exports = class {
  constructor(serverless, options) {
    this.commands = { greet: {
      usage: 'Greets', lifecycleEvents: ['hello', 'bye'],
      options: { name: { usage: 'Whom', shortcut: 'n', required: true, type: 'string' },
                 loud: { usage: 'Shout', shortcut: 'l', type: 'boolean' },
                 times: { usage: 'How often', type: 'string', default: '1' } },
      commands: { quietly: { lifecycleEvents: ['whisper'], options: {} } },
    } };
    const log = (e) => fs.appendFileSync('greet.log', `${e} ${options.name} ${options.loud} ${options.times} ${serverless.getProvider('aws').getStage()}\n`);
    this.hooks = {
      'before:greet:hello': () => log('before:hello'),
      'greet:hello': () => log('hello'),
      'after:greet:bye': () => log('after:bye'),
      'greet:quietly:whisper': () => log('whisper'),
    };
  }
};
"#;
    let service = || {
        Test::service(&format!(
            "{HEAD}plugins:\n  - greeter\nfunctions:\n  hello:\n    handler: handler.hello\n"
        ))
        .file(".serverless_plugins/greeter.js", GREETER)
    };
    let (_, dir) = service()
        .args(&["greet", "-n", "Ada", "-l", "--stage", "prod"])
        .run();
    let log = std::fs::read_to_string(dir.path().join("greet.log")).unwrap();
    assert_eq!(
        log,
        "before:hello Ada true 1 prod\nhello Ada true 1 prod\nafter:bye Ada true 1 prod\n"
    );
    let (_, dir) = service().args(&["greet", "quietly", "--name", "Bo"]).run();
    let log = std::fs::read_to_string(dir.path().join("greet.log")).unwrap();
    assert_eq!(log, "whisper Bo undefined undefined dev\n");
    service()
        .args(&["greet", "-l"])
        .status(2)
        .stderr_has("`greet` needs --name (Whom)")
        .run();
    // --help shows the declared usage and runs nothing (serverless-offline's `offline --help`
    // started its servers before).
    let (_, dir) = service()
        .args(&["greet", "--help"])
        .stdout_has("sls-rs greet — Greets")
        .stdout_has("--name / -n")
        .stdout_has("Whom [required]")
        .stdout_has("(default: \"1\")")
        .stdout_has("Commands: greet quietly")
        .run();
    assert!(!dir.path().join("greet.log").exists());
    service()
        .args(&["greet", "-x", "1"])
        .status(2)
        .stderr_has("`greet` has no option `-x`")
        .run();
    service()
        .args(&["offline"])
        .status(2)
        .stderr_has("no plugin of this service declares the command `offline` (plugin commands: greet, greet quietly)")
        .run();
    // Without plugins, an unknown word is clap's usage error, as before.
    Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ))
    .args(&["offline"])
    .status(2)
    .run();
}

#[test]
fn serverless_plugin_typescript_packages_its_build_folder_as_under_v3() {
    // The plugin compiles into `.build`, points the service directory there, lets the core
    // package it, then moves the zips back from `.build/.serverless` and deletes `.build`.
    let dir = copy_fixture("typescript");
    let out = package_ok(dir.path());
    let zip = out.join("tsdemo.zip");
    assert_eq!(
        zip_names(&zip),
        expected_listing("typescript/zip-listing.txt")
    );
    let ours = template(&out);
    assert_same_ids_as_v3(&ours, "typescript");
    common::cfn_lint(&[("typescript".to_string(), ours.clone())], &[], &[]);
    // The compiled handlers run, with their production dependency and local imports.
    assert_eq!(
        run_in_zip(
            &zip,
            "Promise.all([require('./src/handler').hello(), require('./src/other').main({name: 'ts'})]).then(([a, b]) => console.log(a.statusCode, b.message))"
        ),
        "200 TS!"
    );
    assert!(!dir.path().join(".build").exists());
    // The template points at the zip sls-rs hashed, with the S3 key v3 uses.
    let code = &ours["Resources"]["HelloLambdaFunction"]["Properties"]["Code"];
    assert!(
        code["S3Key"].as_str().unwrap().ends_with("/tsdemo.zip"),
        "{code}"
    );

    // Individually: one zip per function, each the same compiled tree, as osls makes them.
    let yml = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace("plugins:", "package:\n  individually: true\n\nplugins:"),
    )
    .unwrap();
    package_ok(dir.path());
    for f in ["hello", "other"] {
        assert_eq!(
            zip_names(&out.join(format!("{f}.zip"))),
            expected_listing("typescript/individually-zip-listing.txt"),
            "{f}.zip"
        );
    }
    assert!(!out.join("tsdemo.zip").exists());
    assert!(!dir.path().join(".build").exists());

    // A dry run goes through the same hooks, and leaves the package as it was.
    let before = std::fs::read(out.join("hello.zip")).unwrap();
    let o = common::sls(
        dir.path(),
        &["package".to_string(), "--dry-run".to_string()],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("HelloLambdaFunction"));
    assert_eq!(std::fs::read(out.join("hello.zip")).unwrap(), before);
    assert!(!dir.path().join(".build").exists());
}

#[test]
fn invoke_local_with_a_plugin_that_builds_for_it_is_refused() {
    // serverless-plugin-typescript compiles the handler in `before:invoke:local:invoke`.
    let dir = copy_fixture("typescript");
    let o = common::sls(
        dir.path(),
        &[
            "invoke".to_string(),
            "local".to_string(),
            "-f".to_string(),
            "hello".to_string(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("serverless-plugin-typescript hooks `invoke local`"),
        "{err}"
    );
}

/// A plugin asking AWS after a deploy, as serverless-step-functions and others do.
const ASKS_AWS: &str = r#"
module.exports = class {
  constructor(serverless) {
    const provider = serverless.getProvider('aws');
    this.hooks = {
      'after:deploy:deploy': async () => {
        const name = provider.naming.getStackName();
        const stacks = await provider.request('CloudFormation', 'describeStacks', { StackName: name });
        // (moto answers describeStackResource for a bucket, and fails for a function)
        const resource = await provider.request('CloudFormation', 'describeStackResource', { StackName: name, LogicalResourceId: 'ServerlessDeploymentBucket' });
        const listed = await provider.request('CloudFormation', 'listStackResources', { StackName: name });
        const bucket = await provider.getServerlessDeploymentBucketName();
        const objects = await provider.request('S3', 'listObjectsV2', { Bucket: bucket, Prefix: 'serverless/' });
        const me = await provider.request('STS', 'getCallerIdentity', {});
        let missing;
        try { await provider.request('CloudFormation', 'describeStacks', { StackName: 'no-such-stack' }); } catch (e) { missing = e.code; }
        let unsupported;
        try { await provider.request('Lambda', 'invoke', {}); } catch (e) { unsupported = e.message; }
        console.log('ASKED ' + JSON.stringify({
          status: stacks.Stacks[0].StackStatus,
          keys: stacks.Stacks[0].Outputs.map((o) => o.OutputKey),
          endpointRegex: String(provider.naming.getServiceEndpointRegex()),
          regexIsRegExp: provider.naming.getServiceEndpointRegex() instanceof RegExp,
          physical: resource.StackResourceDetail.PhysicalResourceId === bucket,
          listed: listed.StackResourceSummaries.some((r) => r.LogicalResourceId === 'ServerlessDeploymentBucket'),
          zips: objects.Contents.filter((o) => o.Key.endsWith('.zip')).length,
          account: me.Account,
          missing,
          unsupported,
        }));
      },
    };
  }
};
"#;

#[test]
fn plugins_call_aws_through_the_provider_after_a_deploy() {
    let moto = common::Moto::start();
    let t = Test::service(&format!(
        "{HEAD}  region: us-east-1\nplugins:\n  - asks\nfunctions:\n  hello:\n    handler: handler.hello\n    events:\n      - http: GET hi\n"
    ))
    .file(".serverless_plugins/asks.js", ASKS_AWS);
    let o = common::sls(t.path(), &["deploy".to_string()], &moto.env());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("ASKED "))
        .unwrap_or_else(|| panic!("the hook ran: {stderr}"));
    let asked: Value = serde_json::from_str(line).unwrap();
    assert_eq!(asked["status"], "UPDATE_COMPLETE");
    // (moto leaves the ServiceEndpoint output out of the stack it deploys)
    assert!(
        asked["keys"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ServerlessDeploymentBucketName")),
        "{asked}"
    );
    assert_eq!(asked["endpointRegex"], "/^ServiceEndpoint/");
    assert_eq!(asked["regexIsRegExp"], true);
    assert_eq!(asked["physical"], true);
    assert_eq!(asked["listed"], true);
    assert_eq!(asked["zips"], 1);
    assert_eq!(asked["account"], "123456789012");
    assert_eq!(asked["missing"], "ValidationError");
    assert!(
        asked["unsupported"]
            .as_str()
            .unwrap()
            .contains("does not answer Lambda.invoke"),
        "{asked}"
    );
}

#[test]
fn step_functions_deploys_and_reads_its_outputs() {
    // serverless-step-functions asks CloudFormation for the stack's outputs after the deploy.
    let moto = common::Moto::start();
    let dir = copy_fixture("stepf-iam");
    let o = common::sls(dir.path(), &["deploy".to_string()], &moto.env());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let machines = moto.py("print(json.dumps([m['name'] for m in client('stepfunctions').list_state_machines()['stateMachines']]))");
    assert_eq!(machines.as_array().map(Vec::len), Some(1), "{machines}");
}

#[test]
fn file_work_a_hook_does_not_await_still_finishes() {
    // serverless-webpack removes its output folder, and serverless-python-requirements links
    // its layer zip, without awaiting: the work finishes between hooks, as under v3.
    let unawaited = r#"
const fs = require('fs');
const path = require('path');
module.exports = class {
  constructor(serverless) {
    const dir = serverless.config.servicePath;
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => {
        fs.promises.mkdir(path.join(dir, 'tmp-out'), { recursive: true })
          .then(() => fs.promises.writeFile(path.join(dir, 'tmp-out', 'x.txt'), 'x'))
          .then(() => fs.promises.writeFile(path.join(dir, 'early.txt'), 'written'));
      },
      'package:createDeploymentArtifacts': () => {
        if (!fs.existsSync(path.join(dir, 'early.txt'))) throw new Error('early.txt is not there yet');
      },
      'after:package:finalize': () => {
        fs.promises.rm(path.join(dir, 'tmp-out'), { recursive: true, force: true })
          .then(() => fs.promises.writeFile(path.join(dir, 'late.txt'), 'written'));
      },
    };
  }
};
"#;
    let (_, dir) = Test::service(&format!(
        "{HEAD}plugins:\n  - unawaited\nfunctions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file(".serverless_plugins/unawaited.js", unawaited)
    .args(&["package"])
    .run();
    assert!(dir.path().join("late.txt").is_file());
    assert!(!dir.path().join("tmp-out").exists());
}

#[test]
fn serverless_python_requirements_adds_its_layer_as_under_v3() {
    // With `layer: true` the plugin installs requirements.txt with pip and adds a layer
    // (`service.layers.pythonRequirements`, its zip in `.serverless/`) that the function
    // references: sls-rs compiles, uploads and versions it like the user's own layers.
    let dir = copy_fixture("python-requirements");
    let out = package_ok(dir.path());
    assert_eq!(
        zip_names(&out.join("pyreq-demo.zip")),
        expected_listing("python-requirements/zip-listing.txt")
    );
    // The layer zip is the plugin's own; its bytecode depends on the python3 that ran pip.
    assert_eq!(
        no_bytecode(zip_names(&out.join("pythonRequirements.zip"))),
        no_bytecode(expected_listing(
            "python-requirements/layer-zip-listing.txt"
        ))
    );
    let ours = template(&out);
    let theirs = assert_same_ids_as_v3(&ours, "python-requirements");
    let layer = |t: &Value| {
        let mut l = t["Resources"]["PythonRequirementsLambdaLayer"]["Properties"].clone();
        l["Content"]["S3Key"] = Value::Null; // the deployment directory's time
        l
    };
    assert_eq!(layer(&ours), layer(&theirs));
    assert!(
        ours["Resources"]["PythonRequirementsLambdaLayer"]["Properties"]["Content"]["S3Key"]
            .as_str()
            .unwrap()
            .ends_with("/pythonRequirements.zip")
    );
    common::cfn_lint(&[("python-requirements".to_string(), ours)], &[], &[]);
}

/// What serverless-lift does with its constructs: permissions pushed onto the role's statements
/// at `initialize`, CloudFormation merged into `resources:` at `after:package:compileEvents`.
const ADDS_RESOURCES: &str = r#"
module.exports = class {
  constructor(serverless) {
    const service = serverless.service;
    const when = process.env.ADD_AT || 'after:package:compileEvents';
    this.hooks = {
      initialize: () => {
        const iam = (service.provider.iam = service.provider.iam || {});
        iam.role = iam.role || {};
        (iam.role.statements = iam.role.statements || []).push({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' });
      },
      [when]: () => {
        service.resources = service.resources || {};
        service.resources.Resources = service.resources.Resources || {};
        service.resources.Outputs = service.resources.Outputs || {};
        service.resources.Resources.PluginQueue = { Type: 'AWS::SQS::Queue' };
        service.resources.Outputs.PluginQueueUrl = { Value: { Ref: 'PluginQueue' } };
        if (process.env.CHANGE_USER) service.resources.Resources.UserTopic.Properties = { TopicName: 'changed' };
      },
    };
  }
};
"#;

fn adds_resources() -> Test {
    Test::service(&format!(
        "{HEAD}plugins:\n  - adds\nfunctions:\n  hello:\n    handler: handler.hello\nresources:\n  Resources:\n    UserTopic:\n      Type: AWS::SNS::Topic\n      Properties:\n        TopicName: mine\n"
    ))
    .file(".serverless_plugins/adds.js", ADDS_RESOURCES)
}

#[test]
fn resources_and_permissions_plugins_add_are_merged_as_under_v3() {
    let (out, _) = adds_resources().args(&["package", "--dry-run"]).run();
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["Resources"]["PluginQueue"]["Type"], "AWS::SQS::Queue");
    assert_eq!(
        t["Outputs"]["PluginQueueUrl"]["Value"]["Ref"],
        "PluginQueue"
    );
    assert_eq!(
        t["Resources"]["UserTopic"]["Properties"]["TopicName"],
        "mine"
    );
    let statements = &t["Resources"]["IamRoleLambdaExecution"]["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"];
    assert!(
        statements
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Action"][0] == "sqs:SendMessage"),
        "{statements}"
    );
    common::cfn_lint(
        &[("adds-resources".to_string(), t)],
        &["UserTopic".to_string()],
        &[],
    );
}

#[test]
fn what_plugins_do_to_resources_that_sls_rs_would_drop_is_refused() {
    // Changing the user's own resource is not an addition.
    adds_resources()
        .env("CHANGE_USER", "1")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("a plugin changed `resources.Resources.UserTopic`")
        .run();
    // Resources added after v3 merges `resources:` would never reach the template.
    adds_resources()
        .env(
            "ADD_AT",
            "after:aws:package:finalize:mergeCustomProviderResources",
        )
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("a plugin added to `resources:` after v3 merges them")
        .run();
}

/// What serverless-plugin-warmup does: writes a function's code into a folder of its own and
/// adds the function (with a schedule, packaged individually) at `after:package:initialize`.
const ADDS_FUNCTION: &str = r#"
const fs = require('fs');
const path = require('path');
module.exports = class {
  constructor(serverless) {
    const service = serverless.service;
    this.hooks = {
      [process.env.ADD_AT || 'after:package:initialize']: () => {
        const dir = path.join(serverless.config.servicePath, '.warm');
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => "warm";\n');
        service.functions.warmer = {
          handler: process.env.BAD_HANDLER ? '.warm/missing.handler' : '.warm/index.handler',
          memorySize: 128,
          events: [{ schedule: 'rate(5 minutes)' }],
          package: { individually: true, patterns: ['!**', '.warm/**'] },
        };
        service.setFunctionNames();
      },
    };
  }
};
"#;

fn adds_function() -> Test {
    Test::service(&format!(
        "{HEAD}plugins:\n  - adds\nfunctions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file(".serverless_plugins/adds.js", ADDS_FUNCTION)
}

#[test]
fn functions_plugins_add_are_packaged_and_compiled_as_the_users_own() {
    let (_, dir) = adds_function().args(&["package"]).run();
    let out = dir.path().join(".serverless");
    assert_eq!(
        zip_names(&out.join("warmer.zip")),
        BTreeSet::from([".warm/index.js".to_string()])
    );
    let t = template(&out);
    let f = &t["Resources"]["WarmerLambdaFunction"]["Properties"];
    assert_eq!(
        f["FunctionName"], "pt-dev-warmer",
        "named by setFunctionNames"
    );
    assert_eq!(f["Handler"], ".warm/index.handler");
    assert_eq!(f["MemorySize"], 128);
    assert!(f["Code"]["S3Key"]
        .as_str()
        .unwrap()
        .ends_with("/warmer.zip"));
    assert_eq!(
        t["Resources"]["WarmerEventsRuleSchedule1"]["Properties"]["ScheduleExpression"],
        "rate(5 minutes)"
    );
    common::cfn_lint(&[("adds-function".to_string(), t)], &[], &[]);

    // A plugin's function is checked like the user's: a handler that is not there is an error.
    adds_function()
        .env("BAD_HANDLER", "1")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("functions.warmer.handler")
        .run();

    // Added once the zips are built, it would not be deployed: refused, naming when.
    adds_function()
    .env("ADD_AT", "package:compileFunctions")
    .args(&["package", "--dry-run"])
    .status(1)
    .stderr_has("a plugin added function `warmer` during `before:package:compileLayers` … `before:package:compileEvents`")
    .run();
}

#[test]
fn serverless_plugin_warmup_adds_its_warmers_as_under_v3() {
    // serverless-plugin-warmup 8.4.1 writes each warmer's code into `.warmup/`, adds the
    // warmers as functions (schedules, packaged individually) and their role to `resources:`.
    let dir = copy_fixture("warmup");
    let out = package_ok(dir.path());
    for zip in [
        "warmup-svc",
        "warmUpPluginOfficeHoursWarmer",
        "warmUpPluginOutOfOfficeHoursWarmer",
    ] {
        assert_eq!(
            zip_names(&out.join(format!("{zip}.zip"))),
            expected_listing(&format!("warmup/{zip}-listing.txt")),
            "{zip}.zip"
        );
    }
    let ours = template(&out);
    let theirs = assert_same_ids_as_v3(&ours, "warmup");
    let props = |t: &Value, id: &str| {
        let mut p = t["Resources"][id]["Properties"].clone();
        p["Code"] = Value::Null; // the S3 key holds the deployment time
        p
    };
    for id in [
        "WarmUpPluginOfficeHoursWarmerLambdaFunction",
        "WarmUpPluginOfficeHoursWarmerEventsRuleSchedule1",
        "WarmUpPluginOfficeHoursWarmerRole",
    ] {
        assert_eq!(props(&ours, id), props(&theirs, id), "{id}");
    }
    // The plugin removed its build folder after packaging.
    assert!(!dir.path().join(".warmup").exists());
    common::cfn_lint(&[("warmup".to_string(), ours)], &[], &[]);
}

#[test]
fn serverless_python_requirements_injects_requirements_into_the_zip() {
    // The default: the plugin adds the installed requirements to sls-rs's zip after
    // `package:createDeploymentArtifacts`; the zip is hashed again, and the function runs.
    let dir = copy_fixture("python-requirements");
    let yml = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace(
            "    layers:\n      - Ref: PythonRequirementsLambdaLayer\n",
            "",
        )
        .replace("    layer: true\n", ""),
    )
    .unwrap();
    let out = package_ok(dir.path());
    let zip = out.join("pyreq-demo.zip");
    assert_eq!(
        no_bytecode(zip_names(&zip)),
        no_bytecode(expected_listing(
            "python-requirements/default-zip-listing.txt"
        ))
    );
    let t = template(&out);
    let version = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("HelloLambdaVersion"))
        .map(|(_, v)| v["Properties"]["CodeSha256"].as_str().unwrap().to_string())
        .unwrap();
    let (b64, _) = sls_rs::package::archive::sha256(std::fs::File::open(&zip).unwrap()).unwrap();
    assert_eq!(version, b64, "the zip the plugin rewrote is the one hashed");
    let unzipped = unzip(&zip);
    let run = std::process::Command::new("python3")
        .args([
            "-c",
            "import handler; print(handler.hello({}, None)['body'])",
        ])
        .current_dir(unzipped.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        r#"{"six": "1.16.0"}"#,
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// A plugin declaring a variable source as serverless-lift declares `construct:`: values
/// through `resolve({address, params, resolveVariable})`, a token it rewrites into a `Ref` at
/// `initialize`, as lift does with its CDK tokens.
const SOURCE: &str = r#"
class Source {
  constructor(serverless) {
    this.configurationVariablesSources = {
      demo: {
        async resolve({ address, params, resolveVariable, resolveConfigurationProperty }) {
          if (process.env.FAIL_RESOLVE) throw new Error('no value for ' + address);
          if (address === 'table') return { value: 'tbl-' + (await resolveVariable('sls:stage')) };
          if (address === 'memory') return { value: 256 };
          if (address === 'token') return { value: '${Token[T.1]}' };
          if (address === 'name') return { value: await resolveConfigurationProperty(['custom', 'name']) };
          if (address === 'none') return {};
          const v = 'queue-' + address;
          return { value: params.includes('upper') ? v.toUpperCase() : v };
        },
      },
    };
    this.hooks = {
      initialize: () => {
        const swap = (o) => {
          for (const [k, v] of Object.entries(o || {})) {
            if (v === '${Token[T.1]}') o[k] = { Ref: 'Topic' };
            else if (v && typeof v === 'object') swap(v);
          }
        };
        serverless.service.resources = JSON.parse(JSON.stringify(serverless.service.resources));
        swap(serverless.service.resources);
        swap(serverless.service.functions);
      },
    };
  }
}
module.exports = Source;
"#;

fn source_service(provider_extra: &str) -> Test {
    Test::new()
        .file(
            "serverless.yml",
            &format!(
                "service: vs
provider:
  name: aws
  runtime: nodejs22.x
{provider_extra}  environment:
    TABLE: ${{demo:table}}
    QUEUE: ${{self:custom.queue}}
plugins:
  - demo
custom:
  name: jobs
  queue: ${{demo(upper):${{self:custom.name}}.url}}
functions:
  hello:
    handler: handler.hello
    memorySize: ${{demo:memory}}
    environment:
      IN_TEXT: \"q=${{demo:table}}!\"
      TOPIC: ${{demo:token}}
      NAME: ${{demo:name}}
      FALLBACK: ${{demo:none, 'fallback'}}
resources:
  Resources:
    Topic:
      Type: AWS::SNS::Topic
    TopicName:
      Type: AWS::SSM::Parameter
      Properties:
        Type: String
        Value: ${{demo:token}}
"
            ),
        )
        .file("handler.js", HANDLER)
        .file(".serverless_plugins/demo.js", SOURCE)
}

#[test]
fn plugin_variable_sources_resolve_through_the_plugins() {
    let (out, _) = source_service("")
        .args(&["package", "--dry-run", "--stage", "prod"])
        .run();
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &t["Resources"]["HelloLambdaFunction"]["Properties"];
    assert_eq!(
        f["MemorySize"], 256,
        "a number, validated as the user's own"
    );
    let vars = &f["Environment"]["Variables"];
    assert_eq!(
        vars["TABLE"], "tbl-prod",
        "the plugin asked sls-rs for ${{sls:stage}}"
    );
    assert_eq!(
        vars["QUEUE"], "QUEUE-JOBS.URL",
        "params, nested ${{self:}}, through another key"
    );
    assert_eq!(vars["IN_TEXT"], "q=tbl-prod!");
    assert_eq!(vars["NAME"], "jobs");
    assert_eq!(
        vars["FALLBACK"], "fallback",
        "no value from the plugin: the fallback"
    );
    // Tokens the plugin turns into references at `initialize` arrive as references.
    assert_eq!(vars["TOPIC"], serde_json::json!({"Ref": "Topic"}));
    assert_eq!(
        t["Resources"]["TopicName"]["Properties"]["Value"],
        serde_json::json!({"Ref": "Topic"})
    );
    common::cfn_lint(&[("sources".to_string(), t.clone())], &[], &[]);
    // `print` shows the values the plugins gave.
    source_service("")
        .args(&["print", "--path", "provider.environment"])
        .stdout_has("TABLE: tbl-dev")
        .stdout_has("QUEUE: QUEUE-JOBS.URL")
        .run();
    // … after `initialize`, as v3 prints them: the token is a reference by then.
    source_service("")
        .args(&["print", "--path", "functions.hello.environment.TOPIC"])
        .stdout_has("Ref: Topic")
        .run();
}

#[test]
fn plugin_variable_sources_are_strict() {
    // What v3 needs before it loads plugins cannot come from them.
    source_service("  region: ${demo:region}\n")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("`provider.region` takes a value from a source sls-rs does not know")
        .stderr_has("(provider.region)")
        .run();
    // A source no plugin declares is an error naming what there is.
    source_service("  tags:\n    a: ${demi:x}\n")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("unknown variable source `demi:`")
        .stderr_has("did you mean `demo:`?")
        .stderr_has("(provider.tags.a)")
        .run();
    // The plugin's own failure, at the key path.
    source_service("")
        .env("FAIL_RESOLVE", "1")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("could not resolve `${demo:memory}`: plugin `demo` failed: no value for memory")
        .stderr_has("(functions.hello.memorySize)")
        .run();
    // With the plugin left out, its values cannot be had.
    source_service("")
        .args(&["package", "--dry-run", "--skip-plugin", "demo"])
        .status(1)
        .stderr_has("unknown variable source `demo:`")
        .run();
}

/// serverless-webpack 5.16.2 (webpack 5.113.0) compiles `slsw.lib.entries` into `.webpack/`,
/// zips each function itself (`package.individually`) and hands the zips to the core: the
/// zips and template IDs osls 3.77.1 makes with the same plugin.
#[test]
fn serverless_webpack_bundles_each_function_as_under_v3() {
    let dir = copy_fixture("webpack");
    let out = package_ok(dir.path());
    for f in ["hello", "other"] {
        assert_eq!(
            zip_names(&out.join(format!("{f}.zip"))),
            expected_listing(&format!("webpack/{f}-listing.txt")),
            "{f}.zip"
        );
    }
    let ours = template(&out);
    assert_same_ids_as_v3(&ours, "webpack");
    common::cfn_lint(&[("webpack".to_string(), ours.clone())], &[], &[]);
    // The bundles run: `ms` and the local module are inside them, with no node_modules.
    assert_eq!(
        run_in_zip(
            &out.join("hello.zip"),
            "require('./handler').hello().then((r) => console.log(r.body))"
        ),
        r#"{"message":"hello world","timeout":"2m"}"#
    );
    assert_eq!(
        run_in_zip(
            &out.join("other.zip"),
            "require('./src/other').main({ name: 'wp' }).then((r) => console.log(r.message))"
        ),
        "HELLO WP"
    );
    let code = &ours["Resources"]["HelloLambdaFunction"]["Properties"]["Code"];
    assert!(
        code["S3Key"].as_str().unwrap().ends_with("/hello.zip"),
        "{code}"
    );
    assert!(
        !dir.path().join(".webpack").exists(),
        "the plugin's build folder is gone"
    );

    // Without `individually`: one service zip with both bundles, as osls makes it.
    let yml = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(&yml, text.replace("package:\n  individually: true\n\n", "")).unwrap();
    package_ok(dir.path());
    assert_eq!(
        zip_names(&out.join("webpack-svc.zip")),
        expected_listing("webpack/webpack-svc-listing.txt")
    );
    assert!(!out.join("hello.zip").exists());
    assert_same_ids_as_v3(&template(&out), "webpack");
    assert_eq!(
        run_in_zip(
            &out.join("webpack-svc.zip"),
            "Promise.all([require('./handler').hello(), require('./src/other').main({name: 'wp'})]).then(([a, b]) => console.log(a.statusCode, b.message))"
        ),
        "200 HELLO WP"
    );
}

#[test]
fn the_previous_package_set_aside_while_plugins_run_is_never_zipped() {
    let t = local_service("package:\n  patterns:\n    - '**'\n");
    let dir = t.path().to_path_buf();
    let (_, keep) = t.args(&["package"]).run();
    let first = zip_names(&dir.join(".serverless/pt.zip"));
    let out = common::sls(&dir, &["package".to_string()], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = zip_names(&dir.join(".serverless/pt.zip"));
    assert_eq!(
        first, second,
        "the second zip holds what the first did, and no earlier package"
    );
    drop(keep);
}

/// The nested templates serverless-plugin-split-stacks writes into a package, by file name.
fn nested_templates(dir: &Path) -> std::collections::BTreeMap<String, Value> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with("-nested-stack.json"))
        .map(|n| {
            let t = serde_json::from_str(&std::fs::read_to_string(dir.join(&n)).unwrap()).unwrap();
            (n, t)
        })
        .collect()
}

/// serverless-plugin-split-stacks 1.15.0 moves resources into nested stacks after
/// `mergeCustomProviderResources`, reading the deployed stack first with its own AWS SDK client
/// (credentials from `provider.getCredentials()`, here moto): the root and nested templates
/// osls 3.77.1 writes with the same plugin, per type (its default) and per function.
#[test]
fn split_stacks_splits_the_template_as_under_v3() {
    let moto = common::Moto::start();
    let dir = copy_fixture("split-stacks");
    let run = |dir: &Path| {
        let o = common::sls(dir, &["package".to_string()], &moto.env());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        dir.join(".serverless")
    };
    for (variant, expected) in [
        ("per type", "split-stacks"),
        ("per function", "split-stacks/per-function"),
    ] {
        if variant == "per function" {
            let yml = dir.path().join("serverless.yml");
            let text = std::fs::read_to_string(&yml).unwrap();
            std::fs::write(
                &yml,
                text.replace("perFunction: false", "perFunction: true")
                    .replace("perType: true", "perType: false"),
            )
            .unwrap();
        }
        let out = run(dir.path());
        let root = template(&out);
        assert_same_ids_as_v3(&root, expected);
        let ours = nested_templates(&out);
        let theirs = nested_templates(&fixture("expected").join(expected));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{variant}: the nested templates"
        );
        for (name, t) in &ours {
            assert_eq!(
                ids_and_types(t),
                ids_and_types(&theirs[name]),
                "{variant}: {name}"
            );
            let params = |t: &Value| {
                t["Parameters"]
                    .as_object()
                    .map(|m| m.keys().cloned().collect::<BTreeSet<_>>())
            };
            assert_eq!(
                params(t),
                params(&theirs[name]),
                "{variant}: {name} parameters"
            );
        }
        // Each nested stack's URL points into this deployment's directory in the bucket.
        let stacks: Vec<&Value> = root["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::CloudFormation::Stack")
            .collect();
        assert_eq!(stacks.len(), ours.len());
        let state: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("serverless-state.json")).unwrap(),
        )
        .unwrap();
        let directory = state["package"]["artifactDirectoryName"]
            .as_str()
            .unwrap()
            .to_string();
        for s in stacks {
            let parts = &s["Properties"]["TemplateURL"]["Fn::Join"][1];
            assert_eq!(parts[2], directory.as_str(), "{variant}: {s}");
        }
        let mut lint: Vec<(String, Value)> = vec![("root".into(), root.clone())];
        lint.extend(ours.iter().map(|(n, t)| (n.clone(), t.clone())));
        // W3005: the plugin adds DependsOn that its references already imply (osls's too).
        common::cfn_lint(&lint, &[], &["W3005"]);
    }
    assert_eq!(
        zip_names(&dir.path().join(".serverless/split-svc.zip")),
        expected_listing("split-stacks/split-svc-listing.txt")
    );
}

/// serverless-plugin-split-stacks uploads its nested templates at
/// `aws:deploy:deploy:uploadArtifacts` with its own S3 client; sls-rs uploads them too, beside
/// the package, and the nested stack deploys (to moto, with a stack map that moves the queue,
/// as moto cannot read a nested stack's outputs).
#[test]
fn split_stacks_deploys_its_nested_stacks() {
    let moto = common::Moto::start();
    let dir = copy_fixture("split-stacks");
    let yml = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace("perType: true", "perType: false\n    custom: stacks-map.js"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stacks-map.js"),
        "module.exports = { 'AWS::SQS::Queue': { destination: 'Queues' } };\n",
    )
    .unwrap();
    let o = common::sls(dir.path(), &["deploy".to_string()], &moto.env());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let found = moto.py(
        "cf = client('cloudformation')
stacks = {s['StackName']: s['StackStatus'] for s in cf.list_stacks()['StackSummaries']}
s3 = client('s3')
keys = [o['Key'] for b in s3.list_buckets()['Buckets'] for o in s3.list_objects_v2(Bucket=b['Name']).get('Contents', [])]
print(json.dumps({'stacks': stacks, 'keys': keys}))",
    );
    let nested: Vec<(&String, &Value)> = found["stacks"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(n, _)| n.starts_with("split-svc-dev-QueuesNestedStack"))
        .collect();
    assert_eq!(nested.len(), 1, "{found}");
    assert_eq!(nested[0].1, "CREATE_COMPLETE");
    assert!(
        found["keys"].as_array().unwrap().iter().any(|k| k
            .as_str()
            .unwrap()
            .ends_with("/cloudformation-template-Queues-nested-stack.json")),
        "{found}"
    );
}

/// A local plugin hooking v3's deploy steps: they run in v3's order, each after sls-rs's work
/// of the step (the zip is in the bucket when `uploadArtifacts` hooks run); with nothing to
/// deploy the steps after `checkForChanges` do not happen; a hook changing the template after
/// it was uploaded is refused.
const STEPS: &str = r#"
const fs = require('fs');
class Steps {
  constructor(serverless) {
    const provider = serverless.getProvider('aws');
    const record = (e) => async () => {
      let note = e;
      if (e === 'aws:deploy:deploy:uploadArtifacts') {
        const bucket = await provider.getServerlessDeploymentBucketName();
        const listed = await provider.request('S3', 'listObjectsV2', { Bucket: bucket, Prefix: serverless.service.package.artifactDirectoryName });
        note += ' ' + listed.Contents.filter((o) => o.Key.endsWith('.zip')).length;
      }
      if (e === 'before:aws:deploy:deploy:updateStack' && process.env.CHANGE_TEMPLATE) {
        serverless.service.provider.compiledCloudFormationTemplate.Resources.Late = { Type: 'AWS::SNS::Topic' };
      }
      fs.appendFileSync('steps.log', note + '\n');
    };
    this.hooks = {};
    for (const s of ['createStack', 'checkForChanges', 'uploadArtifacts', 'validateTemplate', 'updateStack']) {
      for (const p of ['before:', '', 'after:']) this.hooks[`${p}aws:deploy:deploy:${s}`] = record(`${p}aws:deploy:deploy:${s}`);
    }
  }
}
module.exports = Steps;
"#;

#[test]
fn deploy_steps_run_their_hooks_in_v3_order() {
    let moto = common::Moto::start();
    let t = Test::service(&format!(
        "{HEAD}  region: us-east-1\nplugins:\n  - steps\nfunctions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file(".serverless_plugins/steps.js", STEPS);
    let dir = t.path().to_path_buf();
    let deploy = |env: &[(String, String)]| {
        let mut all = moto.env();
        all.extend_from_slice(env);
        let _ = std::fs::remove_file(dir.join("steps.log"));
        let o = common::sls(&dir, &["deploy".to_string()], &all);
        let log = std::fs::read_to_string(dir.join("steps.log")).unwrap_or_default();
        (o, log)
    };
    let (o, log) = deploy(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut expected = Vec::new();
    for s in [
        "createStack",
        "checkForChanges",
        "uploadArtifacts",
        "validateTemplate",
        "updateStack",
    ] {
        for p in ["before:", "", "after:"] {
            let e = format!("{p}aws:deploy:deploy:{s}");
            expected.push(if s == "uploadArtifacts" && p.is_empty() {
                format!("{e} 1")
            } else {
                e
            });
        }
    }
    assert_eq!(log.lines().collect::<Vec<_>>(), expected);
    // Nothing changed: no upload, no update, and no hooks of those steps.
    let (o, log) = deploy(&[]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("No changes to deploy"));
    assert_eq!(log.lines().collect::<Vec<_>>(), &expected[..6]);
    // A template changed after upload would not be deployed: refused.
    std::fs::write(
        dir.join("handler.js"),
        "module.exports.hello = async () => 3;\n",
    )
    .unwrap();
    let (o, _) = deploy(&[("CHANGE_TEMPLATE".into(), "1".into())]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a plugin changed the compiled template in"),
        "{stderr}"
    );
}

/// serverless-prune-plugin 2.1.0 deletes old function versions through `provider.request`
/// (Lambda listVersionsByFunction, listAliases, deleteFunction) after each deploy and as its
/// own `prune` command: against moto, the versions left are the ones it keeps.
#[test]
fn prune_plugin_prunes_versions_after_deploy_and_as_a_command() {
    let moto = common::Moto::start();
    let dir = copy_fixture("prune");
    let versions = |f: &str| -> Vec<String> {
        let v = moto.py(&format!(
            "print(json.dumps([v['Version'] for v in client('lambda').list_versions_by_function(FunctionName='prune-svc-dev-{f}')['Versions']]))"
        ));
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    // Before any deploy the functions do not exist: the plugin reads AWS's 404 from
    // `providerError.statusCode`, as under v3, and has nothing to prune.
    let args: Vec<String> = ["prune", "-n", "1"].map(String::from).to_vec();
    let o = common::sls(dir.path(), &args, &moto.env());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // (moto publishes a stack's new version one deploy late: four deploys leave it three)
    for n in 1..=4 {
        std::fs::write(
            dir.path().join("handler.js"),
            format!("module.exports.hello = async () => {n};\nmodule.exports.other = async () => -{n};\n"),
        )
        .unwrap();
        let o = common::sls(dir.path(), &["deploy".to_string()], &moto.env());
        assert!(
            o.status.success(),
            "deploy {n}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // custom.prune {automatic: true, number: 2}: the two newest versions stay, version 1 is gone.
    let kept = |f: &str| -> Vec<u32> {
        let v = versions(f);
        assert_eq!(v[0], "$LATEST");
        v[1..].iter().map(|x| x.parse().unwrap()).collect()
    };
    let hello = kept("hello");
    assert_eq!(hello.len(), 2, "{hello:?}");
    assert!(hello[0] > 1 && hello[1] == hello[0] + 1, "{hello:?}");
    assert_eq!(kept("other"), hello);
    // `sls-rs prune -n 1 -f hello`: the plugin's command, with its options.
    let args: Vec<String> = ["prune", "-n", "1", "-f", "hello"]
        .map(String::from)
        .to_vec();
    let o = common::sls(dir.path(), &args, &moto.env());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(kept("hello"), [hello[1]]);
    assert_eq!(kept("other"), hello);
}

/// A plugin changing the service's settings, as serverless-dotenv-plugin fills
/// `provider.environment` in its constructor: taken, and validated like the user's own, until
/// `initialize` ends; a change after that would not be deployed and is refused.
const SETTINGS: &str = r#"
class Settings {
  constructor(serverless) {
    serverless.service.provider.environment = Object.assign({}, serverless.service.provider.environment, { FROM_DOTENV: 'yes' });
    this.hooks = {
      initialize: () => {
        serverless.service.functions.hello.memorySize = 512;
        delete serverless.service.functions.hello.description;
      },
      'before:package:compileFunctions': () => {
        if (process.env.LATE) serverless.service.functions.hello.timeout = 9;
      },
    };
  }
}
module.exports = Settings;
"#;

#[test]
fn settings_plugins_change_are_taken_until_initialize_ends() {
    let service = || {
        Test::service(&format!(
            "{HEAD}  environment:\n    KEPT: k\nplugins:\n  - settings\nfunctions:\n  hello:\n    handler: handler.hello\n    description: gone\n"
        ))
        .file(".serverless_plugins/settings.js", SETTINGS)
    };
    let (out, _) = service().args(&["package", "--dry-run"]).run();
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &t["Resources"]["HelloLambdaFunction"]["Properties"];
    assert_eq!(
        f["Environment"]["Variables"],
        serde_json::json!({"KEPT": "k", "FROM_DOTENV": "yes"})
    );
    assert_eq!(f["MemorySize"], 512);
    assert!(f.get("Description").is_none(), "{f}");
    service()
        .env("LATE", "1")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has(
            "a plugin changed `functions.hello.timeout` of the configuration after sls-rs took it",
        )
        .run();
}

/// A plugin hooking `info` and `remove`: its hooks run in v3's order around sls-rs's own work
/// (the stack still exists in `before:remove:remove`, and is gone by `after:remove:remove`).
const INFO_AND_REMOVE: &str = r#"
const fs = require('fs');
class Rec {
  constructor(serverless) {
    const provider = serverless.getProvider('aws');
    const rec = (e) => async () => {
      let note = e;
      if (e.endsWith('remove:remove')) {
        const stacks = await provider.request('CloudFormation', 'describeStacks', {}).then((r) => r.Stacks.filter((s) => s.StackName === 'pt-dev' && s.StackStatus !== 'DELETE_COMPLETE').length);
        note += ' ' + stacks;
      }
      fs.appendFileSync('events.log', note + '\n');
    };
    this.hooks = {};
    for (const e of ['before:info:info', 'after:aws:info:displayStackOutputs', 'info:info', 'after:info:info', 'before:remove:remove', 'remove:remove', 'after:remove:remove']) this.hooks[e] = rec(e);
  }
}
module.exports = Rec;
"#;

#[test]
fn info_and_remove_run_their_hooks_in_v3_order() {
    let moto = common::Moto::start();
    let t = Test::service(&format!(
        "{HEAD}  region: us-east-1\nplugins:\n  - rec\nfunctions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file(".serverless_plugins/rec.js", INFO_AND_REMOVE);
    let dir = t.path().to_path_buf();
    let run = |cmd: &str| {
        let _ = std::fs::remove_file(dir.join("events.log"));
        let o = common::sls(&dir, &[cmd.to_string()], &moto.env());
        assert!(
            o.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::read_to_string(dir.join("events.log")).unwrap_or_default()
    };
    assert_eq!(run("deploy"), "", "no deploy hooks");
    assert_eq!(
        run("info").lines().collect::<Vec<_>>(),
        [
            "before:info:info",
            "after:aws:info:displayStackOutputs",
            "info:info",
            "after:info:info"
        ]
    );
    assert_eq!(
        run("remove").lines().collect::<Vec<_>>(),
        [
            "before:remove:remove 1",
            "remove:remove 0",
            "after:remove:remove 0"
        ]
    );
}

/// A plugin with a dependency tree in node_modules: what each module sees of itself, written
/// by the plugin so two runs can be compared.
fn cached_plugin_service() -> Test {
    Test::new()
        .file(
            "serverless.yml",
            &format!("{HEAD}plugins:\n  - cached\nfunctions:\n  hello:\n    handler: handler.hello\n"),
        )
        .file("handler.js", HANDLER)
        .file("package-lock.json", "{}\n")
        .file(
            "node_modules/cached/index.js",
            r#"'use strict';
const dep = require('dep');
const data = require('dep/data.json');
class Cached {
  constructor(serverless) {
    this.hooks = {
      'after:package:finalize': () => {
        if (process.env.CACHED_FAIL) dep.fail();
        const seen = { self: [__filename, __dirname], dep: dep.where(), data, resolved: require.resolve('dep'), strict: this === undefined };
        require('fs').writeFileSync(require('path').join(serverless.serviceDir, 'seen.json'), JSON.stringify(seen));
      },
    };
  }
}
module.exports = Cached;
"#,
        )
        .file("node_modules/dep/package.json", r#"{"name": "dep", "main": "lib.js"}"#)
        .file("node_modules/dep/data.json", "{\"answer\": 42}\n")
        .file(
            "node_modules/dep/lib.js",
            "#!/usr/bin/env node\n'use strict';\nexports.where = () => [__filename, __dirname, typeof require.resolve, module.id === __filename, 'v1'];\n\nexports.fail = () => {\n  throw new Error('dep failed');\n};\n",
        )
}

#[test]
fn plugin_modules_are_served_from_a_cache_on_later_runs() {
    let t = cached_plugin_service();
    let dir = t.path().to_path_buf();
    let cache = tempfile::tempdir().unwrap();
    let env = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut e = vec![
            ("SLS_RS_PLUGIN_CACHE".to_string(), "1".to_string()),
            ("SLS_RS_PLUGIN_CACHE_DEBUG".into(), "1".into()),
            ("XDG_CACHE_HOME".into(), cache.path().display().to_string()),
        ];
        e.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        e
    };
    let run = |args: &[&str], extra: &[(&str, &str)]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = common::sls(&dir, &args, &env(extra));
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.code(), stderr)
    };
    let seen = || std::fs::read_to_string(dir.join("seen.json")).unwrap();

    // The first run loads from node_modules and writes the cache; the second runs from it and
    // adds V8's code cache; the third only reads. Every module sees the same of itself.
    let (code, stderr) = run(&["package"], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr
            .contains("plugin module cache: 0 from the cache, 3 from node_modules, wrote modules"),
        "{stderr}"
    );
    let first = seen();
    assert!(
        first.contains("node_modules/dep/lib.js") && first.contains("\"answer\":42"),
        "{first}"
    );
    let (_, stderr) = run(&["package"], &[]);
    assert!(
        stderr.contains("3 from the cache, 0 from node_modules, wrote code cache"),
        "{stderr}"
    );
    assert_eq!(seen(), first);
    let (_, stderr) = run(&["package"], &[]);
    assert!(
        stderr.contains("3 from the cache, 0 from node_modules, wrote -"),
        "{stderr}"
    );
    assert_eq!(seen(), first);

    // A changed module is read from node_modules again, and the cache rebuilt.
    let lib = dir.join("node_modules/dep/lib.js");
    let text = std::fs::read_to_string(&lib)
        .unwrap()
        .replace("'v1'", "'v2!'");
    std::fs::write(&lib, text).unwrap();
    let (_, stderr) = run(&["package"], &[]);
    assert!(
        stderr.contains("2 from the cache, 1 from node_modules, wrote modules"),
        "{stderr}"
    );
    assert_eq!(seen(), first.replace("\"v1\"", "\"v2!\""));

    // A plugin's stack trace names the module's own file and line, not the cache's.
    let (_, _) = run(&["package"], &[]);
    let (code, stderr) = run(&["package", "--verbose"], &[("CACHED_FAIL", "1")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("dep failed"), "{stderr}");
    assert!(stderr.contains("node_modules/dep/lib.js:6:"), "{stderr}");
    assert!(!stderr.contains(".0.js:"), "{stderr}");

    // SLS_RS_PLUGIN_CACHE=0 leaves the cache alone.
    let (code, stderr) = run(&["package"], &[("SLS_RS_PLUGIN_CACHE", "0")]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("plugin module cache"), "{stderr}");
}

/// A plugin's HTTPS request trusts the certificates `NODE_EXTRA_CA_CERTS` names, as under Node
/// (the host adds them when the first TLS context is made, not as Node starts).
#[test]
fn plugins_trust_the_extra_ca_certificates_node_would() {
    const TLS_PLUGIN: &str = r#"
const fs = require('fs');
const https = require('https');
class Tls {
  constructor(serverless) {
    const dir = serverless.config.servicePath;
    this.hooks = {
      'package:initialize': () => new Promise((resolve, reject) => {
        const server = https.createServer({ key: fs.readFileSync(dir + '/key.pem'), cert: fs.readFileSync(dir + '/cert.pem') },
          (req, res) => res.end('trusted'));
        server.listen(0, '127.0.0.1', () => {
          https.get({ host: '127.0.0.1', port: server.address().port, path: '/' }, (res) => {
            let body = '';
            res.on('data', (d) => { body += d; });
            res.on('end', () => { server.close(); console.log('answer: ' + body); resolve(); });
          }).on('error', (e) => { server.close(); reject(new Error('TLS failed: ' + e.message)); });
        });
      }),
    };
  }
}
module.exports = Tls;
"#;
    let tls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let service = || {
        Test::new()
            .file(
                "serverless.yml",
                &format!(
                    "{HEAD}plugins:\n  - tls\nfunctions:\n  hello:\n    handler: handler.hello\n"
                ),
            )
            .file("handler.js", HANDLER)
            .file(".serverless_plugins/tls.js", TLS_PLUGIN)
            .file(
                "key.pem",
                &std::fs::read_to_string(tls.join("key.pem")).unwrap(),
            )
            .file(
                "cert.pem",
                &std::fs::read_to_string(tls.join("cert.pem")).unwrap(),
            )
    };
    let cert = tls.join("cert.pem");
    service()
        .env("NODE_EXTRA_CA_CERTS", cert.to_str().unwrap())
        .args(&["package", "--dry-run"])
        .stderr_has("answer: trusted")
        .run();
    // Without it the certificate is not trusted: the test can fail.
    service()
        .env("NODE_EXTRA_CA_CERTS", "")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("TLS failed: self-signed certificate")
        .run();
}
