//! `sls-rs invoke local`: handlers run with the real `node` and `python3`.

use serde_json::{json, Value};

use crate::common::Test;

const YAML: &str = "service: il
provider:
  name: aws
  runtime: nodejs22.x
  region: eu-west-1
  environment:
    FROM_PROVIDER: provider
    SHARED: provider
    FROM_STACK: !Ref SomeResource
functions:
  env:
    handler: src/handler.env
    memorySize: 256
    environment:
      SHARED: function
  callback:
    handler: src/handler.callback
  succeed:
    handler: src/handler.succeed
  esm:
    handler: esm.hello
  slow:
    handler: src/handler.slow
    timeout: 1
  boom:
    handler: src/handler.boom
  py:
    handler: py/main.handler
    runtime: python3.12
  pyboom:
    handler: py/main.boom
    runtime: python3.12
  pyslow:
    handler: py/main.slow
    runtime: python3.12
    timeout: 1
";

const HANDLER: &str = "
exports.env = async (event, context) => ({
  event,
  env: ['FROM_PROVIDER', 'SHARED', 'FROM_STACK', 'CLI', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_REGION'].map((k) => process.env[k]),
  name: context.functionName,
  remaining: context.getRemainingTimeInMillis() > 5000 && context.getRemainingTimeInMillis() <= 6000,
  extra: context.extra,
});
exports.callback = (event, context, callback) => setTimeout(() => callback(null, { n: event.n + 1 }), 10);
exports.succeed = (event, context) => { context.succeed('done'); };
exports.slow = () => new Promise((resolve) => setTimeout(resolve, 5000));
exports.boom = async () => { throw new TypeError('bad input'); };
";

const PY: &str = "import os
def handler(event, context):
    return {'event': event, 'name': context.function_name, 'shared': os.environ['SHARED'], 'left': context.get_remaining_time_in_millis() > 0}
def boom(event, context):
    raise ValueError('no good')
def slow(event, context):
    # Busy, not asleep: CI's second pass runs under faketime, which breaks Python's sleep.
    while True:
        pass
";

fn service() -> Test {
    files(Test::service(YAML))
}

fn files(t: Test) -> Test {
    t.file("src/handler.js", HANDLER)
        .file(
            "esm.mjs",
            "export const hello = async (event) => ({ esm: true, event });\n",
        )
        .file("py/__init__.py", "")
        .file("py/main.py", PY)
        .file("event.yml", "greeting: hello\nlist: [1, 2]\n")
}

fn invoke(args: &[&str], status: i32) -> (Value, String) {
    let mut all = vec!["invoke", "local"];
    all.extend_from_slice(args);
    let (out, _dir) = service().args(&all).status(status).run();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (v, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn node_handlers_of_each_style_run_with_the_services_environment() {
    let (v, _) = invoke(
        &[
            "-f",
            "env",
            "-d",
            r#"{"a": 1}"#,
            "-e",
            "CLI=cli",
            "-e",
            "FROM_STACK=given",
            "--context",
            r#"{"extra": "x"}"#,
        ],
        0,
    );
    assert_eq!(v["event"], json!({ "a": 1 }));
    assert_eq!(
        v["env"],
        json!([
            "provider",
            "function",
            "given",
            "cli",
            "il-dev-env",
            "256",
            "eu-west-1"
        ])
    );
    assert_eq!(v["name"], "il-dev-env");
    assert_eq!(v["remaining"], true, "the default timeout is 6 s");
    assert_eq!(v["extra"], "x");
    let (v, _) = invoke(&["-f", "env", "-e", "FROM_STACK=1", "-p", "event.yml"], 0);
    assert_eq!(v["event"], json!({ "greeting": "hello", "list": [1, 2] }));
    let (v, _) = invoke(
        &["-f", "callback", "-e", "FROM_STACK=1", "-d", r#"{"n": 41}"#],
        0,
    );
    assert_eq!(v, json!({ "n": 42 }));
    // The event piped to standard input, as v3 reads it.
    let t = service();
    let mut child = crate::common::sls_command(t.path())
        .args(["invoke", "local", "-f", "callback", "-e", "FROM_STACK=1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(br#"{"n": 1}"#).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({ "n": 2 })
    );
    let (v, _) = invoke(&["-f", "succeed", "-e", "FROM_STACK=1"], 0);
    assert_eq!(v, json!("done"));
    let (v, _) = invoke(&["-f", "esm", "-e", "FROM_STACK=1", "-d", "plain text"], 0);
    assert_eq!(v, json!({ "esm": true, "event": "plain text" }));
}

#[test]
fn errors_and_timeouts_fail_with_lambdas_error_shape() {
    let (v, e) = invoke(&["-f", "boom", "-e", "FROM_STACK=1"], 1);
    assert_eq!(v["errorType"], "TypeError");
    assert_eq!(v["errorMessage"], "bad input");
    assert!(
        v["stackTrace"][0].as_str().unwrap().contains("handler.js"),
        "{v}"
    );
    assert!(e.contains("error: function `boom` failed"), "{e}");
    let (v, _) = invoke(&["-f", "slow", "-e", "FROM_STACK=1"], 1);
    assert_eq!(v["errorMessage"], "Task timed out after 1.00 seconds");
    // A value only CloudFormation resolves needs --env.
    let (_, e) = invoke(&["-f", "env"], 1);
    assert!(e.contains("environment variable FROM_STACK is"), "{e}");
    assert!(e.contains("--env FROM_STACK=VALUE"), "{e}");
    let (_, e) = invoke(&["-f", "nope"], 1);
    assert!(e.contains("the service has no function `nope`"), "{e}");
    let (_, e) = invoke(&["-d", "{}"], 2);
    assert!(e.contains("--function NAME"), "{e}");
}

#[test]
fn python_handlers_run_with_python3() {
    let (v, _) = invoke(
        &["-f", "py", "-e", "FROM_STACK=1", "-d", r#"{"x": [1]}"#],
        0,
    );
    assert_eq!(
        v,
        json!({ "event": { "x": [1] }, "name": "il-dev-py", "shared": "provider", "left": true })
    );
    let (v, _) = invoke(&["-f", "pyboom", "-e", "FROM_STACK=1"], 1);
    assert_eq!(v["errorType"], "ValueError");
    assert_eq!(v["errorMessage"], "no good");
    let (v, _) = invoke(&["-f", "pyslow", "-e", "FROM_STACK=1"], 1);
    assert_eq!(v["errorMessage"], "Task timed out after 1.00 seconds");
}

#[test]
fn a_plugin_hooking_invoke_local_is_not_silently_skipped() {
    let plugin = "module.exports = class { constructor() { this.hooks = { 'before:invoke:local:invoke': () => {} }; } };\n";
    let with_plugin = || {
        files(Test::service(&format!(
            "{YAML}plugins:\n  localPath: ./plugins\n  modules: [builder]\n"
        )))
        .file("plugins/builder.js", plugin)
    };
    let args = [
        "invoke",
        "local",
        "-f",
        "callback",
        "-e",
        "FROM_STACK=1",
        "-d",
        r#"{"n": 1}"#,
    ];
    let (out, _dir) = with_plugin().args(&args).status(1).run();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("hooks `invoke local`"), "{e}");
    // Left out, the handler runs.
    let skip = [&args[..], &["--skip-plugin", "builder"]].concat();
    let (out, _dir) = with_plugin().args(&skip).run();
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({ "n": 2 })
    );
}

/// `invoke local ARGS` in `t`'s service: the printed result, and standard error.
fn invoke_in(t: &Test, args: &[&str], status: i32) -> (Value, String) {
    let mut all = vec!["invoke".to_string(), "local".to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    let out = crate::common::sls(t.path(), &all, &[]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(status), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, err)
}

const PROVIDED: &str = "service: cr
provider:
  name: aws
  runtime: provided.al2023
  environment:
    SHARED: provider
functions:
  ok:
    handler: greet
  fail:
    handler: fail
  init:
    handler: init
  hang:
    handler: hang
    timeout: 1
";

/// A custom runtime as Lambda runs one: it asks the Runtime API for the next event and posts
/// the result, then asks again (and is stopped).
const BOOTSTRAP: &str = r#"#!/usr/bin/env python3
import json, os, urllib.request
base = 'http://' + os.environ['AWS_LAMBDA_RUNTIME_API'] + '/2018-06-01/runtime'
handler = os.environ['_HANDLER']
def post(path, body):
    urllib.request.urlopen(urllib.request.Request(base + path, data=json.dumps(body).encode(), method='POST'))
if handler == 'init':
    post('/init/error', {'errorType': 'Runtime.Init', 'errorMessage': 'cannot start'})
    raise SystemExit(1)
with urllib.request.urlopen(base + '/invocation/next') as r:
    rid = r.headers['Lambda-Runtime-Aws-Request-Id']
    headers = dict(r.headers)
    event = json.loads(r.read())
if handler == 'fail':
    post('/invocation/' + rid + '/error', {'errorType': 'Custom', 'errorMessage': 'nope'})
elif handler == 'hang':
    while True:
        pass
else:
    post('/invocation/' + rid + '/response', {
        'event': event, 'handler': handler, 'shared': os.environ['SHARED'],
        'deadline': int(headers['Lambda-Runtime-Deadline-Ms']) > 0,
        'arn': headers['Lambda-Runtime-Invoked-Function-Arn'],
        'context': headers.get('Lambda-Runtime-Client-Context')})
urllib.request.urlopen(base + '/invocation/next')
"#;

#[test]
fn custom_runtimes_run_bootstrap_against_a_local_runtime_api() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::service(PROVIDED).file("bootstrap", BOOTSTRAP);
    let path = t.path().join("bootstrap");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |args: &[&str], status: i32| invoke_in(&t, args, status);
    let (v, _) = run(
        &["-f", "ok", "-d", r#"{"x": 1}"#, "--context", r#"{"c": 2}"#],
        0,
    );
    assert_eq!(v["event"], json!({ "x": 1 }));
    assert_eq!(v["handler"], "greet");
    assert_eq!(v["shared"], "provider");
    assert_eq!(v["deadline"], true);
    assert_eq!(
        v["arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:cr-dev-ok"
    );
    assert!(v["context"].is_string(), "{v}");
    let (v, e) = run(&["-f", "fail"], 1);
    assert_eq!(v, json!({ "errorType": "Custom", "errorMessage": "nope" }));
    assert!(e.contains("function `fail` failed"), "{e}");
    let (v, _) = run(&["-f", "init"], 1);
    assert_eq!(v["errorMessage"], "cannot start");
    let (v, _) = run(&["-f", "hang"], 1);
    assert_eq!(v["errorMessage"], "Task timed out after 1.00 seconds");
    std::fs::remove_file(&path).unwrap();
    let (_, e) = run(&["-f", "ok"], 1);
    assert!(e.contains("whose `bootstrap` is not at"), "{e}");
}

const RUBY: &str = "require 'json'
def hello(event:, context:)
  { 'event' => event, 'name' => context.function_name, 'shared' => ENV['SHARED'],
    'left' => context.get_remaining_time_in_millis > 0,
    'extra' => (context.respond_to?(:extra) ? context.extra : nil) }
end
module Shop
  class Orders
    def self.process(event:, context:)
      'processed'
    end
  end
end
def boom(event:, context:)
  raise ArgumentError, 'no good'
end
def slow(event:, context:)
  loop {}
end
";

#[test]
fn ruby_handlers_run_with_ruby() {
    let yaml = "service: rb
provider:
  name: aws
  runtime: ruby3.3
  environment:
    SHARED: provider
functions:
  hello:
    handler: app/handler.hello
  orders:
    handler: app/handler.Shop::Orders.process
  boom:
    handler: app/handler.boom
  slow:
    handler: app/handler.slow
    timeout: 1
  missing:
    handler: app/handler.nothing
";
    let t = Test::service(yaml).file("app/handler.rb", RUBY);
    let run = |args: &[&str], status: i32| invoke_in(&t, args, status);
    let (v, _) = run(
        &[
            "-f",
            "hello",
            "-d",
            r#"{"x": [1]}"#,
            "--context",
            r#"{"extra": "e"}"#,
        ],
        0,
    );
    assert_eq!(
        v,
        json!({ "event": { "x": [1] }, "name": "rb-dev-hello", "shared": "provider", "left": true, "extra": "e" })
    );
    let (v, _) = run(&["-f", "orders"], 0);
    assert_eq!(v, json!("processed"));
    let (v, e) = run(&["-f", "boom"], 1);
    assert_eq!(v["errorType"], "ArgumentError");
    assert_eq!(v["errorMessage"], "no good");
    assert!(
        v["stackTrace"][0].as_str().unwrap().contains("handler.rb"),
        "{v}"
    );
    assert!(e.contains("function `boom` failed"), "{e}");
    let (v, _) = run(&["-f", "slow"], 1);
    assert_eq!(v["errorMessage"], "Task timed out after 1.00 seconds");
    let (v, _) = run(&["-f", "missing"], 1);
    assert_eq!(v["errorType"], "Runtime.HandlerNotFound");
}
