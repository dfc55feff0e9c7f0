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
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let n = e.file_name();
        let to = dir.path().join(&n);
        if n == "node_modules" {
            std::os::unix::fs::symlink(e.path(), &to).unwrap();
        } else if e.path().is_file() {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    dir
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
    let keys = |t: &Value| {
        t["Outputs"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(ours), keys(&theirs));
    theirs
}

/// Logical IDs and types, with the version hash cut off (it hashes the code).
fn ids_and_types(t: &Value) -> BTreeSet<(String, String)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            let id = match id.find("LambdaVersion") {
                Some(i) => id[..i + "LambdaVersion".len()].to_string(),
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
    let ours: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("cloudformation-template-update-stack.json")).unwrap(),
    )
    .unwrap();
    assert_same_ids_as_v3(&ours, "esbuild");
    // The bundle runs.
    let unzipped = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("unzip")
        .args(["-q", &out.join("esb-svc.zip").display().to_string(), "-d"])
        .arg(unzipped.path())
        .status()
        .unwrap();
    assert!(st.success());
    let run = std::process::Command::new("node")
        .args([
            "-e",
            "require('./handler').hello().then((r) => console.log(r.body))",
        ])
        .current_dir(unzipped.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
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
      'before:package:createDeploymentArtifacts': () => { console.log('plugin output goes to stderr'); log('logged'); },
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
