//! The manifest stage: variables, validation and how errors read.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::common::{Test, HANDLER};
use serde_json::{json, Value};
use sls_rs::error::Error;
use sls_rs::manifest::{self, Loaded, Options};

/// Loads `yaml` (with handler.js and `files` beside it) through the library.
fn load_with(
    yaml: &str,
    files: &[(&str, &str)],
    env: &[(&str, &str)],
    opts: &[(&str, &str)],
) -> Result<Loaded, Error> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("handler.js"), HANDLER).unwrap();
    for (name, content) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let options = Options {
        options: opts
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect::<BTreeMap<_, _>>(),
        params: BTreeMap::new(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        instance_id: "1234".into(),
        today: common::TODAY.into(),
    };
    manifest::load_str(
        yaml,
        dir.path(),
        "serverless.yml",
        Path::new("serverless.yml"),
        &options,
        None,
        None,
    )
}

fn load(yaml: &str) -> Result<Loaded, Error> {
    load_with(yaml, &[], &[], &[])
}

fn resolved(yaml: &str) -> Value {
    match load(yaml) {
        Ok(l) => l.resolved,
        Err(e) => panic!("{}", e.render()),
    }
}

/// The rendered errors of a configuration that must fail.
fn errors(yaml: &str) -> String {
    match load(yaml) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e.render(),
    }
}

const HEAD: &str = "service: svc\nprovider:\n  name: aws\n  runtime: nodejs22.x\n";

fn svc(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

// ---------------------------------------------------------------- variables

#[test]
fn self_references_resolve_through_other_variables() {
    let v = resolved(&svc("custom:\n  a: ${self:custom.b}-x\n  b: ${self:service}\n  n: 3\n  whole: ${self:custom.n}\n"));
    assert_eq!(v["custom"]["a"], "svc-x");
    assert_eq!(
        v["custom"]["whole"],
        json!(3),
        "a whole-string variable keeps its type"
    );
}

#[test]
fn opt_env_and_sls_sources() {
    let yaml = svc("custom:\n  o: ${opt:domain}\n  e: ${env:MY_VAR}\n  s: ${sls:stage}\n  i: ${sls:instanceId}\n  r: ${aws:region}\n");
    let l = load_with(
        &yaml,
        &[],
        &[("MY_VAR", "from-env")],
        &[
            ("domain", "example.com"),
            ("stage", "prod"),
            ("region", "eu-west-1"),
        ],
    )
    .unwrap();
    let c = &l.resolved["custom"];
    assert_eq!(c["o"], "example.com");
    assert_eq!(c["e"], "from-env");
    assert_eq!(c["s"], "prod");
    assert_eq!(c["i"], "1234");
    assert_eq!(c["r"], "eu-west-1");
    assert_eq!(l.service.stage, "prod");
    assert_eq!(l.service.region, "eu-west-1");
}

#[test]
fn stage_and_region_come_from_provider_then_defaults() {
    let v = load(&svc(
        "  stage: qa\ncustom:\n  s: ${sls:stage}\n  r: ${aws:region}\n",
    ))
    .unwrap();
    assert_eq!(v.resolved["custom"]["s"], "qa");
    assert_eq!(v.resolved["custom"]["r"], "us-east-1");
    let v = load_with(
        &svc("custom:\n  r: ${aws:region}\n"),
        &[],
        &[("AWS_REGION", "ap-south-1")],
        &[],
    )
    .unwrap();
    assert_eq!(v.resolved["custom"]["r"], "ap-south-1");
}

#[test]
fn file_sources_whole_and_sub_paths() {
    let yaml = svc("custom:\n  whole: ${file(./c.json)}\n  sub: ${file(./c.json):a.b}\n  idx: ${file(./c.json):list.1}\n  y: ${file(./e.yml):t}\n  ymap: ${file(./e.yml)}\n");
    let l = load_with(
        &yaml,
        &[
            ("c.json", r#"{"a": {"b": 7}, "list": ["x", "y"]}"#),
            ("e.yml", "t: tbl-${sls:stage}\nm: {k: !Ref X}\n"),
        ],
        &[],
        &[],
    )
    .unwrap();
    let c = &l.resolved["custom"];
    assert_eq!(c["whole"]["a"]["b"], json!(7));
    assert_eq!(c["sub"], json!(7));
    assert_eq!(c["idx"], "y");
    assert_eq!(c["y"], "tbl-dev", "variables inside the file resolve too");
    assert_eq!(c["ymap"]["m"]["k"], json!({"Ref": "X"}));
}

#[test]
fn str_to_bool_including_false_and_zero() {
    let v = resolved(&svc("custom:\n  t: ${strToBool(true)}\n  f: ${strToBool(false)}\n  z: ${strToBool(0)}\n  o: ${strToBool(1)}\n"));
    assert_eq!(v["custom"]["t"], json!(true));
    assert_eq!(v["custom"]["f"], json!(false));
    assert_eq!(v["custom"]["z"], json!(false));
    assert_eq!(v["custom"]["o"], json!(true));
    assert!(errors(&svc("custom:\n  x: ${strToBool(maybe)}\n")).contains("not a boolean"));
}

#[test]
fn fallbacks_chain_left_to_right() {
    let v = resolved(&svc("custom:\n  fb: from-custom\n  a: ${env:UNSET_A, env:UNSET_B, 'lit'}\n  b: ${opt:nope, self:custom.fb}\n  n: ${env:UNSET_A, 5}\n  d: ${env:UNSET_A, \"dq\"}\n"));
    assert_eq!(v["custom"]["a"], "lit");
    assert_eq!(v["custom"]["b"], "from-custom");
    assert_eq!(v["custom"]["n"], json!(5));
    assert_eq!(v["custom"]["d"], "dq");
}

#[test]
fn an_empty_environment_variable_is_a_value() {
    let l = load_with(
        &svc("custom:\n  e: ${env:EMPTY, 'fallback'}\n"),
        &[],
        &[("EMPTY", "")],
        &[],
    )
    .unwrap();
    assert_eq!(l.resolved["custom"]["e"], "");
}

#[test]
fn nesting_embedding_and_escapes() {
    let v = resolved(&svc("custom:\n  domains: {dev: dev.example.com}\n  d: ${self:custom.domains.${sls:stage}}\n  v: ${self:custom.${opt:variant, 'a'}Value}\n  aValue: A\n  port: 8080\n  e: port-${self:custom.port}\n  esc: \\${not:resolved}\n"));
    assert_eq!(v["custom"]["d"], "dev.example.com");
    assert_eq!(v["custom"]["v"], "A");
    assert_eq!(v["custom"]["e"], "port-8080");
    assert_eq!(v["custom"]["esc"], "${not:resolved}");
}

#[test]
fn cloudformation_sub_variables_are_left_alone() {
    let v = resolved(&svc(
        "custom:\n  s: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/${self:service}'\n",
    ));
    assert_eq!(
        v["custom"]["s"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/svc"})
    );
}

#[test]
fn cycles_are_detected_and_both_ends_named() {
    let e = errors(&svc(
        "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n",
    ));
    assert!(e.contains("circular reference"), "{e}");
    assert!(e.contains("custom.a") && e.contains("custom.b"), "{e}");
}

#[test]
fn every_unresolved_variable_is_reported_at_once() {
    let e = errors(&svc("custom:\n  a: ${env:MISSING_ONE}\n  b: ${self:custom.nope}\n  c: ${file(./absent.json):x}\n  d: ${opt:domain}\n"));
    assert!(
        e.contains("environment variable `MISSING_ONE` is not set"),
        "{e}"
    );
    assert!(e.contains("(custom.a)"), "{e}");
    assert!(e.contains("`custom.nope` does not exist"), "{e}");
    assert!(e.contains("file `./absent.json` does not exist"), "{e}");
    assert!(e.contains("option `--domain` was not given"), "{e}");
    assert!(e.contains("4 errors"), "{e}");
}

#[test]
fn sources_that_need_aws_are_a_clear_error_offline() {
    for src in [
        "${ssm:/my/param}",
        "${cf:other-stack.Output}",
        "${s3:bucket/key}",
        "${aws:accountId}",
    ] {
        let e = errors(&svc(&format!("custom:\n  x: {src}\n")));
        assert!(e.contains("needs AWS to resolve"), "{src}: {e}");
        assert!(e.contains(src), "{src}: {e}");
    }
}

#[test]
fn unknown_sources_suggest_the_right_one() {
    let e = errors(&svc("custom:\n  x: ${evn:HOME}\n"));
    assert!(
        e.contains("unknown variable source `evn:`") && e.contains("did you mean `env:`"),
        "{e}"
    );
}

#[test]
fn params_from_the_file_and_the_command_line() {
    let v = resolved(&svc("params:\n  default: {domain: d.example.com}\n  dev: {domain: dev.example.com}\ncustom:\n  p: ${param:domain}\n"));
    assert_eq!(v["custom"]["p"], "dev.example.com");
}

// ---------------------------------------------------------------- YAML

#[test]
fn anchors_merge_keys_and_short_tags() {
    let v = resolved(&svc("custom:\n  base: &base {memory: 256, t: 3}\n  fn:\n    <<: *base\n    t: 9\n  ref: !GetAtt Table.Arn\n  join: !Join ['-', [a, !Ref B]]\n"));
    assert_eq!(v["custom"]["fn"], json!({"memory": 256, "t": 9}));
    assert_eq!(v["custom"]["ref"], json!({"Fn::GetAtt": ["Table", "Arn"]}));
    assert_eq!(
        v["custom"]["join"],
        json!({"Fn::Join": ["-", ["a", {"Ref": "B"}]]})
    );
}

#[test]
fn json_configs_load() {
    let l = load(r#"{"service": "j", "provider": {"name": "aws", "runtime": "nodejs22.x"}, "functions": {"hello": {"handler": "handler.hello"}}}"#).unwrap();
    assert_eq!(l.service.name, "j");
    assert!(l.service.functions.contains_key("hello"));
}

// ---------------------------------------------------------------- validation

fn assert_error(yaml: &str, path: &str, needle: &str) {
    let e = errors(yaml);
    assert!(
        e.contains(&format!("({path})")),
        "expected key path {path} in:\n{e}"
    );
    assert!(e.contains(needle), "expected {needle:?} in:\n{e}");
    assert!(e.contains("hint:"), "expected a hint in:\n{e}");
}

/// Function settings the planner used to check become types while loading: each mistake is
/// reported by `print` and `package` alike, with its key path and a hint.
#[test]
fn function_settings_are_checked_while_loading() {
    let f = |rest: &str| {
        svc(&format!(
            "functions:\n  hello:\n    handler: handler.hello\n{rest}"
        ))
    };
    for (rest, path, needle) in [
        (
            "    url:\n      authorizer: cognito\n",
            "functions.hello.url.authorizer",
            "authorizer \"cognito\" is not known",
        ),
        (
            "    url:\n      invokeMode: FAST\n",
            "functions.hello.url.invokeMode",
            "\"FAST\"",
        ),
        (
            "    url: yes please\n",
            "functions.hello.url",
            "must be true or a map",
        ),
        (
            "    destinations:\n      onFailure: nosuch\n",
            "functions.hello.destinations.onFailure",
            "`nosuch` is not an ARN or a function",
        ),
        (
            "    destinations:\n      onSuccess: arn:aws:s3:::bucket\n",
            "functions.hello.destinations.onSuccess",
            "cannot be a `s3` ARN",
        ),
        (
            "    destinations:\n      onSuccess:\n        arn: !GetAtt Q.Arn\n",
            "functions.hello.destinations.onSuccess",
            "cannot tell what kind",
        ),
        (
            "    runtimeManagement: sometimes\n",
            "functions.hello.runtimeManagement",
            "not a mode Lambda has",
        ),
        (
            "    runtimeManagement:\n      mode: manual\n",
            "functions.hello.runtimeManagement.arn",
            "needs the runtime version's `arn`",
        ),
        (
            "    tracing: yes\n",
            "functions.hello.tracing",
            "tracing mode",
        ),
        (
            "    logs:\n      logFormat: XML\n",
            "functions.hello.logs.logFormat",
            "`XML` is not a logFormat",
        ),
    ] {
        assert_error(&f(rest), path, needle);
    }
    assert_error(
        &svc("functions:\n  hello:\n    image:\n      name: app\n"),
        "functions.hello.image.name",
        "image `app` is neither an ECR image URI nor one of `provider.ecr.images`",
    );
    // What is right loads, and reaches the template.
    let l = load(&f("    url:\n      authorizer: aws_iam\n      cors: true\n    destinations:\n      onFailure: other\n    tracing: PassThrough\n    logs:\n      logFormat: JSON\n  other:\n    handler: handler.hello\n")).unwrap();
    let hello = &l.service.functions["hello"];
    assert!(hello
        .url
        .as_ref()
        .is_some_and(|u| u.aws_iam && u.cors.is_some()));
    assert!(hello
        .destinations
        .as_ref()
        .is_some_and(|d| d.on_failure.is_some()));
}

#[test]
fn wrong_types_and_ranges() {
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    memorySize: lots\n"),
        "functions.hello.memorySize",
        "\"lots\"",
    );
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    memorySize: 64\n"),
        "functions.hello.memorySize",
        "64",
    );
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    memorySize: 20000\n"),
        "functions.hello.memorySize",
        "128 to 10240",
    );
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    timeout: 901\n"),
        "functions.hello.timeout",
        "1 to 900",
    );
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    timeout: 0\n"),
        "functions.hello.timeout",
        "0",
    );
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    ephemeralStorage: 256\n"),
        "functions.hello.ephemeralStorage",
        "512 to 10240",
    );
    assert_error(&svc("  memorySize: [1]\n"), "provider.memorySize", "a list");
    assert_error(
        &svc("  logRetentionInDays: 8\n"),
        "provider.logRetentionInDays",
        "8 days",
    );
}

#[test]
fn service_names_cloudformation_refuses() {
    assert_error(
        "service: my_service!\nprovider:\n  name: aws\n",
        "service",
        "my_service!",
    );
    assert_error(
        "service: 9lives\nprovider:\n  name: aws\n",
        "service",
        "9lives",
    );
    assert_error("provider:\n  name: aws\n", "service", "no `service`");
    let long = "a".repeat(130);
    assert_error(
        &format!("service: {long}\nprovider:\n  name: aws\n"),
        "service",
        "not a stack name",
    );
}

#[test]
fn provider_name_must_be_aws() {
    assert_error(
        "service: s\nprovider:\n  name: azure\n",
        "provider.name",
        "\"azure\"",
    );
    assert_error(
        "service: s\nprovider:\n  runtime: nodejs22.x\n",
        "provider.name",
        "missing",
    );
    assert_error("service: s\n", "provider", "no `provider`");
}

#[test]
fn functions_must_be_a_map_with_handlers() {
    assert_error(
        &svc("functions:\n  - hello:\n      handler: handler.hello\n"),
        "functions",
        "not a list",
    );
    assert_error(
        &svc("functions:\n  hello:\n    memorySize: 256\n"),
        "functions.hello.handler",
        "no `handler`",
    );
}

#[test]
fn unknown_and_malformed_events() {
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - htp: GET /\n"),
        "functions.hello.events[0].htp",
        "did you mean `http`",
    );
    assert_error(&svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - http:\n          method: get\n"), "functions.hello.events[0].http.path", "no `path`");
    assert_error(&svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - http:\n          path: users\n          method: fetch\n"), "functions.hello.events[0].http.method", "`fetch`");
    assert_error(&svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - schedule: every 5 minutes\n"), "functions.hello.events[0].schedule", "rate( or cron(");
    assert_error(&svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - schedule: rate(5 minute)\n"), "functions.hello.events[0].schedule", "minutes");
    assert_error(
        &svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - cloudFront: {}\n"),
        "functions.hello.events[0].cloudFront.eventType",
        "a cloudFront event needs `eventType`",
    );
}

#[test]
fn colliding_logical_ids_and_long_names() {
    assert_error(&svc("functions:\n  hello:\n    handler: handler.hello\n  Hello:\n    handler: handler.hello\n"), "functions.Hello", "HelloLambdaFunction");
    let key = "f".repeat(60);
    assert_error(
        &svc(&format!(
            "functions:\n  {key}:\n    handler: handler.hello\n"
        )),
        &format!("functions.{key}"),
        "Lambda allows 64",
    );
}

#[test]
fn missing_handler_modules_are_caught() {
    assert_error(
        &svc("functions:\n  hello:\n    handler: hander.hello\n"),
        "functions.hello.handler",
        "did you mean `handler.hello`",
    );
    // Compiled runtimes are not checked.
    assert!(load(&svc(
        "functions:\n  hello:\n    handler: bootstrap\n    runtime: provided.al2023\n"
    ))
    .is_ok());
    // Python modules are checked as paths.
    let l = load_with(
        &svc("functions:\n  py:\n    handler: pkg.mod.main\n    runtime: python3.13\n"),
        &[("pkg/mod.py", "def main(e, c): pass\n")],
        &[],
        &[],
    );
    assert!(
        l.is_ok(),
        "{}",
        l.err().map(|e| e.render()).unwrap_or_default()
    );
}

#[test]
fn unknown_properties_warn_with_did_you_mean() {
    let l = load(&svc(
        "functions:\n  hello:\n    handler: handler.hello\n    timout: 10\n",
    ))
    .unwrap();
    let w: Vec<String> = l.warnings.iter().map(|d| d.render()).collect();
    assert!(
        w.iter().any(
            |w| w.contains("unknown property `timout`") && w.contains("did you mean `timeout`")
        ),
        "{w:?}"
    );
    let e = errors(&format!(
        "configValidationMode: error\n{}",
        svc("functions:\n  hello:\n    handler: handler.hello\n    timout: 10\n")
    ));
    assert!(e.contains("error: unknown property `timout`"), "{e}");
}

#[test]
fn deprecated_runtimes_warn_with_a_replacement() {
    // Blocked since 2026-07-01: still loads offline, with a warning naming the successor.
    let l = load("service: s\nprovider:\n  name: aws\n  runtime: nodejs18.x\n").unwrap();
    let w: Vec<String> = l.warnings.iter().map(|d| d.render()).collect();
    assert!(
        w.iter().any(|w| w.contains("nodejs18.x")
            && w.contains("no longer accepted")
            && w.contains("nodejs24.x")),
        "{w:?}"
    );
    // Deprecated (2026-11-10) but not yet blocked (2027-01-11).
    let l = load("service: s\nprovider:\n  name: aws\n  runtime: dotnet8\n").unwrap();
    let w: Vec<String> = l.warnings.iter().map(|d| d.render()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("dotnet8") && w.contains("deprecated") && w.contains("dotnet10")),
        "{w:?}"
    );
    assert_error(
        "service: s\nprovider:\n  name: aws\n  runtime: nodejs22\n",
        "provider.runtime",
        "did you mean `nodejs22.x`",
    );
}

#[test]
fn today_comes_from_sls_rs_today() {
    let yaml = "service: s\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n";
    // On the suite's pinned day nodejs22.x is current: no word about it.
    let (out, _) = Test::service(yaml).args(&["package", "--dry-run"]).run();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("nodejs22.x"));
    // Years ahead it is retired: package warns, deploy refuses before connecting to AWS.
    Test::service(yaml)
        .env("SLS_RS_TODAY", "2031-01-01")
        .args(&["package", "--dry-run"])
        .stderr_has("runtime `nodejs22.x` is no longer accepted by AWS")
        .run();
    Test::service(yaml)
        .env("SLS_RS_TODAY", "2031-01-01")
        .args(&["deploy"])
        .status(1)
        .stderr_has("uses runtime `nodejs22.x`, which AWS stopped accepting")
        .stderr_has("provider.runtime")
        .run();
    // A date that is not one is a usage mistake, like a bad flag.
    Test::service(yaml)
        .env("SLS_RS_TODAY", "next year")
        .args(&["package", "--dry-run"])
        .status(2)
        .stderr_has("SLS_RS_TODAY")
        .run();
    Test::service(yaml)
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(&["package", "--dry-run"])
        .status(2)
        .stderr_has("SOURCE_DATE_EPOCH")
        .run();
}

// ---------------------------------------------------------------- the command line

#[test]
fn errors_name_file_line_key_path_and_hint() {
    let (out, _d) = Test::service(&svc("functions:\n  hello:\n    handler: handler.hello\n    events:\n      - http:\n          path: users\n          method: fetch\n"))
        .args(&["print"])
        .status(1)
        .stderr_has("error: `fetch` is not an HTTP method API Gateway accepts")
        .stderr_has("--> serverless.yml:11:11 (functions.hello.events[0].http.method)")
        .stderr_has("hint: use one of GET, POST")
        .run();
    assert!(out.stdout.is_empty());
}

#[test]
fn yaml_syntax_errors_have_line_and_column() {
    Test::service("service: s\nprovider:\n  name: aws\n   runtime: x\n")
        .args(&["print"])
        .status(1)
        .stderr_has("error: invalid YAML")
        .stderr_has("serverless.yml:4:")
        .run();
}

#[test]
fn command_line_misuse_exits_2() {
    Test::service(HEAD)
        .args(&["print", "--format", "xml"])
        .status(2)
        .run();
    Test::service(HEAD).args(&["launch"]).status(2).run();
    Test::service(HEAD)
        .args(&["print", "--param", "novalue"])
        .status(2)
        .stderr_has("key=value")
        .run();
    Test::service(HEAD)
        .args(&["print", "-c", "nope.yml"])
        .status(2)
        .stderr_has("does not exist")
        .run();
}

#[test]
fn config_file_discovery() {
    Test::new()
        .file("serverless.yaml", HEAD)
        .args(&["print"])
        .stdout_has("service: svc")
        .run();
    Test::new()
        .file(
            "serverless.json",
            r#"{"service": "js", "provider": {"name": "aws"}}"#,
        )
        .args(&["print", "--format", "json"])
        .stdout_has("\"service\": \"js\"")
        .run();
    Test::new()
        .args(&["print"])
        .status(1)
        .stderr_has("no serverless.yml")
        .run();
}

#[test]
fn print_resolves_custom_options_and_paths() {
    Test::service(&svc("custom:\n  domain: ${opt:domain}\n"))
        .args(&[
            "print",
            "--domain",
            "example.com",
            "--path",
            "custom.domain",
        ])
        .stdout_has("example.com")
        .run();
}

// ---------------------------------------------------------------- hostile input

#[test]
fn hostile_files_are_refused_quickly() {
    // A billion laughs.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(load(&bomb).is_err());
    // Deep nesting.
    let deep = format!("service: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(load(&deep).is_err());
    // A 50 MB file is refused before it is read.
    let t = Test::new();
    let big = "x: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n".repeat(520_000);
    let t = t.file("serverless.yml", &big);
    t.args(&["print"])
        .status(1)
        .stderr_has("more than the")
        .run();
    // A long chain of self references.
    let mut chain = svc("custom:\n");
    for i in 0..300 {
        chain.push_str(&format!("  k{i}: ${{self:custom.k{}}}\n", i + 1));
    }
    chain.push_str("  k300: end\n");
    assert!(load(&chain).is_err());
}

// ---------------------------------------------------------------- the reference cases

#[test]
fn print_succeeds_on_every_reference_case_with_v3_values() {
    for case in common::cases() {
        let mut args: Vec<String> = vec!["print".into(), "--format".into(), "json".into()];
        args.extend(case.args.iter().cloned());
        let out = common::sls(&case.dir, &args, &case.env);
        assert!(
            out.status.success(),
            "{}: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected = common::expected(&case, "update-stack.json");
        let funcs = printed["functions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let resources = expected["Resources"].as_object().unwrap();
        for (key, f) in &funcs {
            let id = sls_rs::naming::function_logical_id(key);
            let Some(props) = resources.get(&id).map(|r| &r["Properties"]) else {
                panic!("{}: {id} missing from v3 output", case.name)
            };
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| {
                    let stage = printed["provider"]["stage"]
                        .as_str()
                        .unwrap_or("dev")
                        .to_string();
                    let stage = case
                        .args
                        .windows(2)
                        .find(|w| w[0] == "--stage")
                        .map(|w| w[1].clone())
                        .unwrap_or(stage);
                    format!("{}-{}-{}", printed["service"].as_str().unwrap(), stage, key)
                });
            assert_eq!(
                props["FunctionName"],
                json!(name),
                "{}: {key} name",
                case.name
            );
            let mem = f
                .get("memorySize")
                .or_else(|| printed["provider"].get("memorySize"))
                .cloned()
                .unwrap_or(json!(1024));
            if case.name != "resources" {
                // resources overrides MemorySize through `resources:`, checked by the planner.
                assert_eq!(props["MemorySize"], mem, "{}: {key} memory", case.name);
            }
            let timeout = f
                .get("timeout")
                .or_else(|| printed["provider"].get("timeout"))
                .cloned()
                .unwrap_or(json!(6));
            assert_eq!(props["Timeout"], timeout, "{}: {key} timeout", case.name);
            if let Some(env) = props.get("Environment") {
                let mut merged = printed["provider"]
                    .get("environment")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (k, v) in f
                    .get("environment")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    merged.insert(k.clone(), v.clone());
                }
                for (k, v) in env["Variables"].as_object().unwrap() {
                    let ours = &merged[k];
                    if k == "SLS_INSTANCE" {
                        continue; // a per-run value
                    }
                    let ours = match ours {
                        Value::String(_) | Value::Object(_) => ours.clone(),
                        other => json!(other.to_string()),
                    };
                    assert_eq!(&ours, v, "{}: {key} environment {k}", case.name);
                }
            }
        }
    }
}

#[test]
fn a_closed_stdout_pipe_is_not_a_panic() {
    let mut yaml = svc("custom:\n");
    for i in 0..20_000 {
        yaml.push_str(&format!("  key{i}: value-{i}\n"));
    }
    let t = Test::service(&yaml);
    let mut child = common::sls_command(t.path())
        .arg("print")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `sls-rs print | head -0`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn use_dotenv_reads_env_files_without_overriding_the_environment() {
    let yaml = format!(
        "useDotenv: true\n{}",
        svc("custom:\n  a: ${env:FROM_DOTENV}\n  b: ${env:STAGED}\n  c: ${env:ALREADY}\n")
    );
    let l = load_with(
        &yaml,
        &[
            (".env", "FROM_DOTENV=plain\nSTAGED=base\nALREADY=file\n"),
            (".env.dev", "STAGED=\"from dev\"\n"),
        ],
        &[("ALREADY", "process")],
        &[],
    )
    .unwrap();
    assert_eq!(
        l.resolved["custom"],
        json!({"a": "plain", "b": "from dev", "c": "process"})
    );
    // Without useDotenv the files are not read.
    let e = errors(&svc("custom:\n  a: ${env:FROM_DOTENV_NOT_LOADED}\n"));
    assert!(e.contains("FROM_DOTENV_NOT_LOADED"));
}

#[test]
fn config_validation_mode_off_stays_quiet_about_unknown_keys() {
    let l = load(&format!(
        "configValidationMode: off\n{}",
        svc("functions:\n  hello:\n    handler: handler.hello\n    timout: 3\n")
    ))
    .unwrap();
    assert!(!l.warnings.iter().any(|w| w.message.contains("timout")));
}

/// `serverless.js` / `.cjs` / `.mjs` / `.ts` are evaluated with Node.js, as v3 does, and the
/// configuration they export goes through the same variables and validation as YAML.
#[test]
fn javascript_configurations_are_evaluated_with_node() {
    let (out, _) = Test::new()
        .file(
            "serverless.js",
            "module.exports = ({ options }) => ({ service: 'js-svc', provider: { name: 'aws', runtime: 'nodejs22.x', stage: options.stage || 'js' }, custom: { who: '${sls:stage}' }, functions: { hello: { handler: 'handler.hello' } } });\n",
        )
        .file("handler.js", HANDLER)
        .args(&["print", "--format", "json", "--stage", "qa"])
        .run();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["service"], "js-svc");
    assert_eq!(
        v["custom"]["who"], "qa",
        "variables resolve after evaluation"
    );
    // ES modules, and an async export.
    let (out, _) = Test::new()
        .file(
            "serverless.mjs",
            "export default async () => ({ service: 'esm', provider: { name: 'aws', runtime: 'nodejs22.x' }, functions: { hello: { handler: 'handler.hello', timeout: 3 } } });\n",
        )
        .file("handler.js", HANDLER)
        .args(&["package", "--dry-run"])
        .run();
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        t["Resources"]["HelloLambdaFunction"]["Properties"]["Timeout"],
        3
    );
    // Validation applies as to YAML.
    Test::new()
        .file(
            "serverless.js",
            "module.exports = { service: 'bad', provider: { name: 'aws', memorySize: 'lots' } };\n",
        )
        .args(&["print"])
        .status(1)
        .stderr_has("provider.memorySize")
        .run();
    // A file that throws, and TypeScript without a loader, say what to do.
    Test::new()
        .file("serverless.js", "throw new Error('config broke');\n")
        .args(&["print"])
        .status(1)
        .stderr_has("serverless.js failed when Node.js evaluated it: ")
        .run();
    Test::new()
        .file("serverless.ts", "export default {}")
        .args(&["print"])
        .status(1)
        .stderr_has("neither tsx nor ts-node is installed")
        .stderr_has("npm install --save-dev ts-node")
        .run();
}

// ---------------------------------------------------------------- hostile input, by shape
//
// Each shape at a size near the 4 MiB cap: refused with an error or loaded, and in either case
// the run ends (no timing is asserted; a shape that went quadratic would hang the suite).

/// `functions: {f: {handler: …, events: [{http: [[[[…` with `depth` unclosed brackets.
fn unterminated_flow_event(depth: usize) -> String {
    format!(
        "{HEAD}functions: {{f: {{handler: handler.hello, events: [{{http: {}\n",
        "[".repeat(depth)
    )
}

#[test]
fn deep_unterminated_flow_sequences_are_refused_where_they_nest_too_deep() {
    Test::service(&unterminated_flow_event(100_000))
        .args(&["print"])
        .status(1)
        .stderr_has("error: invalid YAML: collections nest more than 128 levels deep")
        .stderr_has("--> serverless.yml:5:")
        .stderr_has("hint: look for `[` or `{` that are never closed, from line 5 on")
        .run();
    // Under the limit, the missing `]` is the error.
    Test::service(&unterminated_flow_event(100))
        .args(&["print"])
        .status(1)
        .stderr_has("error: invalid YAML")
        .run();
}

#[test]
fn deep_flow_mappings_closed_or_not_are_refused() {
    let open = "{a: ".repeat(200_000);
    Test::service(&svc(&format!("custom: {open}\n")))
        .args(&["print"])
        .status(1)
        .stderr_has("nest more than 128 levels deep")
        .run();
    let closed = format!("custom: {}x{}\n", "[".repeat(500_000), "]".repeat(500_000));
    Test::service(&svc(&closed))
        .args(&["print"])
        .status(1)
        .stderr_has("nest more than 128 levels deep")
        .run();
}

#[test]
fn deep_block_mappings_and_sequences_are_refused() {
    let mut map = svc("custom:\n");
    for i in 1..2_000 {
        map.push_str(&format!("{}k:\n", " ".repeat(i)));
    }
    Test::service(&map)
        .args(&["print"])
        .status(1)
        .stderr_has("nest more than 128 levels deep")
        .stderr_has("hint: a service definition nests a few levels")
        .run();
    let seq = svc(&format!("custom:\n  {}x\n", "- ".repeat(1_000_000)));
    Test::service(&seq)
        .args(&["print"])
        .status(1)
        .stderr_has("nest more than 128 levels deep")
        .run();
}

#[test]
fn brackets_inside_scalars_comments_and_block_scalars_are_not_nesting() {
    let deep = "[".repeat(1_000);
    let yaml = svc(&format!(
        "custom:\n  plain: a{deep}\n  quoted: '{deep}'\n  double: \"{deep}\"\n  # {deep}\n  block: |\n    {deep}\n  folded: >-\n    {deep}\n  flow: ['{deep}', \"{deep}\"]\n"
    ));
    let v = resolved(&yaml);
    assert_eq!(v["custom"]["plain"], format!("a{deep}"));
    assert_eq!(v["custom"]["block"], format!("{deep}\n"));
    assert_eq!(v["custom"]["flow"][1], deep.as_str());
}

#[test]
fn a_long_flow_mapping_on_one_line_loads() {
    let entries: Vec<String> = (0..150_000).map(|i| format!("k{i}: v{i}")).collect();
    Test::service(&svc(&format!("custom: {{{}}}\n", entries.join(", "))))
        .args(&["print", "--path", "custom.k149999"])
        .stdout_has("v149999")
        .run();
}

#[test]
fn many_anchors_and_aliases_load() {
    let mut yaml = svc("custom:\n");
    for i in 0..50_000 {
        yaml.push_str(&format!("  a{i}: &a{i} {{v: {i}}}\n"));
    }
    for i in 0..50_000 {
        yaml.push_str(&format!("  b{i}: *a{i}\n"));
    }
    Test::service(&yaml)
        .args(&["print", "--path", "custom.b49999.v"])
        .stdout_has("49999")
        .run();
}

#[test]
fn a_scalar_of_nearly_four_mebibytes_loads_and_a_key_that_long_is_refused() {
    let long = "x".repeat(4 * 1024 * 1024 - 200);
    Test::service(&svc(&format!("custom:\n  k: {long}\n")))
        .args(&["print", "--path", "custom.k"])
        .stdout_has("xxxxxxxx")
        .run();
    Test::service(&svc(&format!("custom:\n  k: \"{long}\"\n")))
        .args(&["print", "--path", "custom.k"])
        .stdout_has("xxxxxxxx")
        .run();
    let key = "k".repeat(3 * 1024 * 1024);
    Test::service(&svc(&format!("custom:\n  {key}: v\n")))
        .args(&["print"])
        .status(1)
        .stderr_has("error: invalid YAML")
        .run();
}

#[test]
fn a_hundred_thousand_self_references_resolve() {
    let mut yaml = svc("custom:\n  base: v\n");
    for i in 0..100_000 {
        yaml.push_str(&format!("  k{i}: ${{self:custom.base}}-{i}\n"));
    }
    Test::service(&yaml)
        .args(&["print", "--path", "custom.k99999"])
        .stdout_has("v-99999")
        .run();
}

#[test]
fn deeply_nested_variables_in_one_string_are_refused() {
    let n = 100_000;
    let yaml = svc(&format!(
        "custom:\n  x: y\n  k: {}custom.x{}\n",
        "${self:".repeat(n),
        "}".repeat(n)
    ));
    Test::service(&yaml)
        .args(&["print"])
        .status(1)
        .stderr_has("error:")
        .run();
}

#[test]
fn fifty_thousand_unresolved_variables_are_all_reported() {
    let mut yaml = svc("custom:\n");
    for i in 0..50_000 {
        yaml.push_str(&format!("  k{i}: ${{self:custom.missing{i}}}\n"));
    }
    Test::service(&yaml)
        .args(&["print"])
        .status(1)
        .stderr_has("custom.missing49999")
        .run();
}

#[test]
fn aliases_of_a_large_anchor_used_thousands_of_times_are_refused() {
    let keys: Vec<String> = (0..20_000).map(|i| format!("k{i}: v")).collect();
    let mut yaml = svc(&format!("custom:\n  a: &a {{{}}}\n", keys.join(", ")));
    for i in 0..20_000 {
        yaml.push_str(&format!("  b{i}: *a\n  c{i}: {{<<: *a}}\n"));
    }
    Test::service(&yaml)
        .args(&["print"])
        .status(1)
        .stderr_has("error: invalid YAML: aliases expand to more than 1000000 values")
        .stderr_has("--> serverless.yml:")
        .run();
}

#[test]
fn print_text_and_keys_as_v3_prints_them() {
    let yaml = "service: s\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  environment:\n    A: one\n    B: two\nfunctions:\n  hello:\n    handler: handler.hello\n  bye:\n    handler: handler.bye\n";
    let text = |args: &[&str]| {
        let (out, _) = Test::service(yaml).args(args).run();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert_eq!(
        text(&["print", "--path", "service", "--format", "text"]),
        "s\n"
    );
    assert_eq!(
        text(&[
            "print",
            "--path",
            "functions",
            "--transform",
            "keys",
            "--format",
            "text"
        ]),
        "hello\nbye\n"
    );
    assert_eq!(
        text(&[
            "print",
            "--path",
            "provider.environment",
            "--transform",
            "keys",
            "--format",
            "json"
        ]),
        "[\n  \"A\",\n  \"B\"\n]\n"
    );
    Test::service(yaml)
        .args(&["print", "--path", "provider", "--format", "text"])
        .status(1)
        .stderr_has("provider is a map, which `--format text` cannot print")
        .run();
    Test::service(yaml)
        .args(&["print", "--path", "service", "--transform", "keys"])
        .status(1)
        .stderr_has("`--transform keys` needs a map")
        .run();
}
