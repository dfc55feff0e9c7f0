//! What moto cannot do, through a fault-injecting proxy on loopback (tests/it/common/proxy.rs)
//! serving recorded CloudFormation responses: a failed update that rolled back, throttling,
//! server faults, connections dropped midway, busy and broken stacks, Ctrl-C.

use crate::common;

use crate::common::proxy::{recorded, Proxy, Reply};
use crate::common::{Moto, Test};

const SERVICE: &str = "service: shop\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n  worker:\n    handler: handler.hello\n";

/// moto for S3 (and everything else), the proxy for CloudFormation.
fn env(moto: &Moto, proxy: &Proxy) -> Vec<(String, String)> {
    let mut e = moto.env();
    e.push(("AWS_ENDPOINT_URL_CLOUDFORMATION".into(), proxy.url.clone()));
    e
}

fn run(dir: &std::path::Path, env: &[(String, String)], args: &[&str]) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = common::sls(dir, &args, env);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn deployed() -> (Moto, Proxy, Test) {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let t = Test::service(SERVICE);
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        proxy.count("DescribeStacks") > 0,
        "CloudFormation goes through the proxy"
    );
    proxy.clear();
    (moto, proxy, t)
}

/// The update after ExecuteChangeSet fails and rolls back: the stack's events are `events`
/// (recorded), and it ends UPDATE_ROLLBACK_COMPLETE.
fn update_rolls_back(proxy: &Proxy, events: &str) {
    proxy.rule(
        "DescribeStackEvents",
        Some("ExecuteChangeSet"),
        usize::MAX,
        Reply::Respond(200, recorded(events, "shop-dev", "")),
    );
    proxy.rule(
        "DescribeStacks",
        Some("ExecuteChangeSet"),
        usize::MAX,
        Reply::Respond(
            200,
            recorded(
                "describe-stacks.xml",
                "shop-dev",
                "UPDATE_ROLLBACK_COMPLETE",
            ),
        ),
    );
}

fn change_code(t: &Test) {
    std::fs::write(
        t.path().join("handler.js"),
        format!(
            "module.exports.hello = async () => {};\n",
            std::process::id()
        ),
    )
    .unwrap();
}

#[test]
fn a_failed_update_names_the_resource_and_awss_reason() {
    let (moto, proxy, t) = deployed();
    change_code(&t);
    update_rolls_back(&proxy, "describe-stack-events-rollback.xml");
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("UPDATE_FAILED") && err.contains("AWS::Lambda::Function"),
        "each resource's progress is shown: {err}"
    );
    assert!(
        err.contains("error: Update of stack shop-dev failed: HelloLambdaFunction (AWS::Lambda::Function): Resource handler returned message: \"Unzipped size must be smaller than 262144000 bytes"),
        "the first failed resource and AWS's reason, not the cancelled one: {err}"
    );
    assert!(
        err.contains("the stack is now UPDATE_ROLLBACK_COMPLETE"),
        "{err}"
    );
    assert!(
        err.contains("rolled back to the previous deployment"),
        "{err}"
    );
}

#[test]
fn throttling_and_server_faults_are_retried() {
    let (moto, proxy, t) = deployed();
    change_code(&t);
    proxy.rule(
        "DescribeStacks",
        None,
        3,
        Reply::Respond(400, recorded("throttling.xml", "", "")),
    );
    proxy.rule(
        "CreateChangeSet",
        None,
        2,
        Reply::Respond(500, recorded("internal-failure.xml", "", "")),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        proxy.count("DescribeStacks") >= 4,
        "throttled requests were tried again"
    );
    assert!(
        proxy.count("CreateChangeSet") >= 3,
        "5xx answers were tried again"
    );
    assert!(err.contains("UPDATE_COMPLETE"), "{err}");
}

#[test]
fn dropped_connections_are_retried() {
    let (moto, proxy, t) = deployed();
    change_code(&t);
    // Before any answer, and halfway through one.
    proxy.rule("DescribeStacks", None, 1, Reply::Drop);
    proxy.rule("DescribeStackEvents", None, 1, Reply::Truncate);
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(proxy.count("DescribeStacks") >= 2 && proxy.count("DescribeStackEvents") >= 2);
}

#[test]
fn a_busy_stack_is_waited_for_until_the_timeout() {
    let (moto, proxy, t) = deployed();
    proxy.rule(
        "DescribeStacks",
        None,
        usize::MAX,
        Reply::Respond(
            200,
            recorded("describe-stacks.xml", "shop-dev", "UPDATE_IN_PROGRESS"),
        ),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy", "--timeout", "1"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("stack shop-dev is UPDATE_IN_PROGRESS; waiting for it to finish"),
        "{err}"
    );
    assert!(
        err.contains("stack shop-dev is still UPDATE_IN_PROGRESS after 1 s"),
        "{err}"
    );
    assert_eq!(proxy.count("CreateChangeSet"), 0, "nothing was changed");
}

#[test]
fn a_stack_whose_creation_rolled_back_is_deleted_and_created_again() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let t = Test::service(SERVICE);
    proxy.rule(
        "DescribeStacks",
        None,
        1,
        Reply::Respond(
            200,
            recorded("describe-stacks.xml", "shop-dev", "ROLLBACK_COMPLETE"),
        ),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("stack shop-dev is ROLLBACK_COMPLETE after a failed create; deleting it and creating it again"), "{err}");
    assert_eq!(proxy.count("DeleteStack"), 1);
    assert!(err.contains("creating stack shop-dev"), "{err}");
}

#[test]
fn an_empty_review_in_progress_stack_is_cleaned_up() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let t = Test::service(SERVICE);
    proxy.rule(
        "DescribeStacks",
        None,
        1,
        Reply::Respond(
            200,
            recorded("describe-stacks.xml", "shop-dev", "REVIEW_IN_PROGRESS"),
        ),
    );
    proxy.rule(
        "ListStackResources",
        None,
        1,
        Reply::Respond(
            200,
            recorded("list-stack-resources-empty.xml", "shop-dev", ""),
        ),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "empty REVIEW_IN_PROGRESS stack left by an unexecuted change set; removing it"
        ),
        "{err}"
    );
    assert_eq!(proxy.count("DeleteStack"), 1);
}

#[test]
fn an_empty_change_set_is_success() {
    let (moto, proxy, t) = deployed();
    proxy.rule(
        "DescribeChangeSet",
        None,
        1,
        Reply::Respond(
            200,
            recorded("describe-change-set-empty.xml", "shop-dev", ""),
        ),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("CloudFormation found nothing to change"),
        "{err}"
    );
    assert_eq!(proxy.count("ExecuteChangeSet"), 0);
    assert_eq!(
        proxy.count("DeleteChangeSet"),
        1,
        "the empty change set is deleted"
    );
}

#[test]
fn update_rollback_failed_names_the_way_out() {
    let (moto, proxy, t) = deployed();
    proxy.rule(
        "DescribeStacks",
        None,
        1,
        Reply::Respond(
            200,
            recorded("describe-stacks.xml", "shop-dev", "UPDATE_ROLLBACK_FAILED"),
        ),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("UPDATE_ROLLBACK_FAILED")
            && err.contains("aws cloudformation continue-update-rollback --stack-name shop-dev"),
        "{err}"
    );
}

#[test]
#[cfg(unix)]
fn ctrl_c_stops_following_and_says_what_cloudformation_is_doing() {
    let (moto, proxy, t) = deployed();
    change_code(&t);
    proxy.rule(
        "DescribeStacks",
        Some("ExecuteChangeSet"),
        usize::MAX,
        Reply::Respond(
            200,
            recorded("describe-stacks.xml", "shop-dev", "UPDATE_IN_PROGRESS"),
        ),
    );
    let mut cmd = common::sls_command(t.path());
    cmd.arg("deploy")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    for (k, v) in env(&moto, &proxy) {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !(proxy.count("ExecuteChangeSet") > 0 && proxy.count("DescribeStacks") >= 2) {
        assert!(
            std::time::Instant::now() < deadline,
            "the deploy never reached the update"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "interrupted: stopped following stack shop-dev, which is still UPDATE_IN_PROGRESS"
        ),
        "{err}"
    );
    assert!(
        err.contains("describe-stack-events --stack-name shop-dev"),
        "{err}"
    );
}

#[test]
fn stack_settings_reach_cloudformation() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    moto.py("client('sns').create_topic(Name='stack-events')\nprint(json.dumps(1))");
    let t = Test::service("service: shop\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  stackTags: {team: core}\n  notificationArns: ['arn:aws:sns:us-east-1:123456789012:stack-events']\n  cfnRole: arn:aws:iam::123456789012:role/cfn\n  disableRollback: true\n  stackPolicy:\n    - {Effect: Allow, Principal: '*', Action: 'Update:*', Resource: '*'}\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    let create = proxy.bodies("CreateStack").join("&");
    for part in [
        "Tags.member.1.Key=team",
        "NotificationARNs.member.1=arn",
        "RoleARN=arn",
        "DisableRollback=true",
        "StackPolicyBody=",
    ] {
        assert!(create.contains(part), "CreateStack lacks {part}: {create}");
    }
    let cs = proxy.bodies("CreateChangeSet").join("&");
    for part in [
        "Tags.member.1.Key=team",
        "NotificationARNs.member.1=arn",
        "RoleARN=arn",
    ] {
        assert!(cs.contains(part), "CreateChangeSet lacks {part}: {cs}");
    }
    assert!(proxy
        .bodies("ExecuteChangeSet")
        .join("&")
        .contains("DisableRollback=true"));
    assert_eq!(
        proxy.count("SetStackPolicy"),
        1,
        "the policy is set beside the change set"
    );
}

#[test]
fn an_answer_without_a_message_names_the_status_and_request_id() {
    let (moto, proxy, t) = deployed();
    change_code(&t);
    proxy.rule(
        "CreateChangeSet",
        None,
        1,
        Reply::Respond(400, String::new()),
    );
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error: CreateChangeSet failed: AWS answered HTTP 400 with no message"),
        "{err}"
    );
    assert!(!err.contains("AWS's message above"), "{err}");
    // The proxy's answers carry no request ID; an endpoint whose answers do.
    let mut e = env(&moto, &proxy);
    e.retain(|(k, _)| k != "AWS_ENDPOINT_URL_CLOUDFORMATION");
    e.push((
        "AWS_ENDPOINT_URL_CLOUDFORMATION".into(),
        empty_400_endpoint("abc-123"),
    ));
    let (code, err) = run(t.path(), &e, &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("failed: AWS answered HTTP 400 with no message (request ID abc-123)"),
        "{err}"
    );
}

/// An endpoint on loopback that answers every request with an empty HTTP 400 whose only
/// content is an `x-amzn-RequestId` header.
fn empty_400_endpoint(request_id: &'static str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let _ = reader.read_exact(&mut vec![0; len]);
            let _ = write!(
                conn,
                "HTTP/1.1 400 Bad Request\r\nx-amzn-RequestId: {request_id}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    url
}

#[test]
fn deployment_role_and_rollback_triggers_reach_cloudformation() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let t = Test::service("service: shop\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  iam:\n    deploymentRole: arn:aws:iam::123456789012:role/deployer\n  rollbackConfiguration:\n    MonitoringTimeInMinutes: 5\n    RollbackTriggers:\n      - Arn: arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors\n        Type: AWS::CloudWatch::Alarm\nfunctions:\n  hello:\n    handler: handler.hello\n");
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    for call in ["CreateStack", "CreateChangeSet"] {
        let body = proxy.bodies(call).join("&");
        for part in [
            "RoleARN=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeployer",
            "RollbackConfiguration.MonitoringTimeInMinutes=5",
            "RollbackConfiguration.RollbackTriggers.member.1.Type=AWS%3A%3ACloudWatch%3A%3AAlarm",
        ] {
            assert!(body.contains(part), "{call} lacks {part}: {body}");
        }
    }
    // The role is on the stack (as moto records it).
    let role = moto.py("print(json.dumps(client('cloudformation').describe_stacks(StackName='shop-dev')['Stacks'][0].get('RoleARN')))");
    assert_eq!(role, "arn:aws:iam::123456789012:role/deployer");
    // Two different roles are a mistake, not a choice.
    Test::service("service: shop\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  cfnRole: arn:aws:iam::123456789012:role/a\n  iam:\n    deploymentRole: arn:aws:iam::123456789012:role/b\nfunctions:\n  hello:\n    handler: handler.hello\n")
        .args(&["package", "--dry-run"])
        .status(1)
        .stderr_has("name different roles")
        .stderr_has("provider.iam.deploymentRole")
        .run();
}

#[test]
fn deploy_function_reports_an_update_lambda_could_not_apply() {
    let (moto, proxy, t) = deployed();
    // Lambda and everything else through the proxy, which forwards to moto.
    let env = common::aws_env(&proxy.url);
    change_code(&t);
    let config = moto.py(
        "print(json.dumps(client('lambda').get_function_configuration(FunctionName='shop-dev-hello')))",
    );
    let mut failed = config.clone();
    failed["LastUpdateStatus"] = "Failed".into();
    failed["LastUpdateStatusReason"] =
        "The function could not be updated: the security group sg-0abc no longer exists.".into();
    failed["LastUpdateStatusReasonCode"] = "InvalidSecurityGroup".into();
    proxy.rule(
        "/2015-03-31/functions/shop-dev-hello/configuration",
        Some("PUT /2015-03-31/functions/shop-dev-hello/code"),
        1,
        Reply::RespondJson(200, Vec::new(), failed.to_string()),
    );
    let (code, err) = run(t.path(), &env, &["deploy", "function", "-f", "hello"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Lambda could not apply the code of shop-dev-hello: The function could not be updated: the security group sg-0abc no longer exists."),
        "{err}"
    );
    assert_eq!(
        proxy.count("PUT /2015-03-31/functions/shop-dev-hello/code"),
        1
    );
}

#[test]
fn express_mode_reaches_cloudformation_and_info_says_what_is_settling() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let t = Test::service(&SERVICE.replace(
        "  runtime: nodejs22.x\n",
        "  runtime: nodejs22.x\n  deploymentMode: express\n",
    ));
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    // The stack is created and updated in EXPRESS mode, rollback left on.
    for action in ["CreateStack", "CreateChangeSet"] {
        let bodies = proxy.bodies(action);
        assert_eq!(bodies.len(), 1, "{action}");
        assert!(
            bodies[0].contains("DeploymentConfig.Mode=EXPRESS"),
            "{action}: {}",
            bodies[0]
        );
    }
    assert!(proxy.bodies("ExecuteChangeSet")[0].contains("DisableRollback=false"));

    // The same stack from a service without the key: a plain deploy is STANDARD, and
    // `deploy --express` asks for EXPRESS.
    let t = Test::service(SERVICE);
    proxy.clear();
    change_code(&t);
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(!proxy.bodies("CreateChangeSet")[0].contains("DeploymentConfig"));
    proxy.clear();
    std::fs::write(
        t.path().join("handler.js"),
        "module.exports.hello = async () => 'express';\n",
    )
    .unwrap();
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy", "--express"]);
    assert_eq!(code, 0, "{err}");
    assert!(proxy.bodies("CreateChangeSet")[0].contains("DeploymentConfig.Mode=EXPRESS"));

    // `info` on a stack whose resources are still settling says so.
    proxy.rule(
        "DescribeStacks",
        None,
        usize::MAX,
        Reply::Respond(
            200,
            recorded("describe-stacks-express.xml", "shop-dev", "UPDATE_COMPLETE"),
        ),
    );
    let out = common::sls(t.path(), &["info".into()], &env(&moto, &proxy));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("stack: shop-dev (UPDATE_COMPLETE, resources still settling)"),
        "{stdout}"
    );
    let out = common::sls(
        t.path(),
        &["info".into(), "--json".into()],
        &env(&moto, &proxy),
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["settling"], true);
}

/// The diff test's service: memory, environment, an IAM statement, a DynamoDB key, a security
/// group rule and the code each change between the two versions.
fn diffed_service(second: bool) -> String {
    let (memory, env, actions, key, port) = if second {
        (
            512,
            "b",
            "[dynamodb:GetItem, dynamodb:DeleteItem]",
            "pk",
            22,
        )
    } else {
        (256, "a", "[dynamodb:GetItem]", "id", 443)
    };
    format!(
        "service: shop
provider:
  name: aws
  runtime: nodejs22.x
  region: us-east-1
  environment:
    MODE: {env}
  iam:
    role:
      statements:
        - Effect: Allow
          Action: {actions}
          Resource: !GetAtt Table.Arn
functions:
  hello:
    handler: handler.hello
  worker:
    handler: handler.hello
    memorySize: {memory}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: shop-dev-items
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions:
          - AttributeName: {key}
            AttributeType: S
        KeySchema:
          - AttributeName: {key}
            KeyType: HASH
    Sg:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: shop workers
        SecurityGroupIngress:
          - IpProtocol: tcp
            FromPort: {port}
            ToPort: {port}
            CidrIp: 10.0.0.0/8
"
    )
}

#[test]
fn diff_shows_each_change_in_its_table_and_both_methods_agree_on_replacement() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let t = Test::service(&diffed_service(false));
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy", "--approve"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(t.path().join("serverless.yml"), diffed_service(true)).unwrap();
    change_code(&t);
    let diff = |args: &[&str]| {
        let mut all = vec!["diff".to_string()];
        all.extend(args.iter().map(|s| s.to_string()));
        let out = common::sls(t.path(), &all, &env(&moto, &proxy));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&diff(&all)).unwrap()
    };
    let replacement = |v: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["logicalId"].as_str().unwrap().to_string(),
                    r["replacement"].clone(),
                )
            })
            .collect()
    };

    // Template-only: nothing written to AWS.
    proxy.clear();
    let by_template = json(&["--method", "template"]);
    assert_eq!(proxy.count("CreateChangeSet"), 0);
    assert_eq!(by_template["method"], "template");
    // Exactly what changed, besides the new versions that follow.
    let mut changed: Vec<&str> = by_template["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["note"].is_null())
        .map(|r| r["logicalId"].as_str().unwrap())
        .collect();
    changed.sort_unstable();
    assert_eq!(
        changed,
        [
            "HelloLambdaFunction",
            "IamRoleLambdaExecution",
            "Sg",
            "Table",
            "WorkerLambdaFunction"
        ]
    );
    let find = |v: &serde_json::Value, id: &str| {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["logicalId"] == id)
            .unwrap()
            .clone()
    };
    let worker = find(&by_template, "WorkerLambdaFunction");
    let paths: Vec<&str> = worker["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "Properties.Environment.Variables.MODE",
            "Properties.MemorySize"
        ]
    );
    let table = find(&by_template, "Table");
    assert_eq!(table["replacement"], true);
    assert_eq!(table["replacedBy"], serde_json::json!(["KeySchema"]));
    assert_eq!(
        by_template["codeChanges"],
        serde_json::json!(["hello", "worker"])
    );
    assert_eq!(
        by_template["iam"],
        serde_json::json!([{
            "change": "added", "resource": "IamRoleLambdaExecution", "kind": "statement",
            "description": "allows [\"dynamodb:GetItem\",\"dynamodb:DeleteItem\"] on {\"Fn::GetAtt\":[\"Table\",\"Arn\"]}"
        }, {
            "change": "removed", "resource": "IamRoleLambdaExecution", "kind": "statement",
            "description": "allows [\"dynamodb:GetItem\"] on {\"Fn::GetAtt\":[\"Table\",\"Arn\"]}"
        }])
    );
    assert_eq!(
        by_template["network"],
        serde_json::json!([{
            "change": "added", "resource": "Sg", "kind": "ingress",
            "description": "allows in \"tcp\" port 22 \"10.0.0.0/8\""
        }, {
            "change": "removed", "resource": "Sg", "kind": "ingress",
            "description": "allows in \"tcp\" port 443 \"10.0.0.0/8\""
        }])
    );
    let text = diff(&["--method", "template"]);
    for line in [
        "! Table (AWS::DynamoDB::Table): replaced (KeySchema changes)",
        "    MemorySize: 256 → 512",
        "    Environment.Variables.MODE: \"a\" → \"b\"",
        "IAM:\n  + IamRoleLambdaExecution allows",
        "network:\n  + Sg allows in \"tcp\" port 22",
        "  - Sg allows in \"tcp\" port 443",
        "code changes: hello, worker",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }

    // The change set method against moto, which reports every change as `Add`: the template's
    // answer stands, and the change set is deleted unexecuted.
    proxy.clear();
    let by_moto = json(&[]);
    assert_eq!(by_moto["method"], "changeset");
    assert_eq!(proxy.count("CreateChangeSet"), 1);
    assert_eq!(proxy.count("DeleteChangeSet"), 1);
    assert_eq!(proxy.count("ExecuteChangeSet"), 0);
    assert_eq!(replacement(&by_moto), replacement(&by_template));

    // CloudFormation's own change set (recorded): the same replacements, from AWS.
    proxy.clear();
    proxy.rule(
        "DescribeChangeSet",
        Some("CreateChangeSet"),
        usize::MAX,
        Reply::Respond(
            200,
            recorded("describe-change-set-replacement.xml", "shop-dev", ""),
        ),
    );
    let by_change_set = json(&[]);
    assert_eq!(by_change_set["method"], "changeset");
    assert_eq!(proxy.count("DeleteChangeSet"), 1);
    assert_eq!(proxy.count("ExecuteChangeSet"), 0);
    assert_eq!(replacement(&by_change_set), replacement(&by_template));
    assert_eq!(
        find(&by_change_set, "Table")["replacedBy"],
        serde_json::json!(["KeySchema"])
    );
    // Nothing was deployed: the stack still has the first version.
    proxy.clear();
    assert!(diff(&["--method", "template"]).contains("! Table"));

    // On a terminal the report is coloured, unless NO_COLOR says not to; in a pipe it never is.
    let mut tty_env = env(&moto, &proxy);
    let (code, shown) = common::on_terminal(t.path(), &tty_env, &["diff"], "");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("\x1b[31m! Table (AWS::DynamoDB::Table)"),
        "{shown:?}"
    );
    assert!(shown.contains("\x1b[32m  + Sg allows in"), "{shown:?}");
    tty_env.push(("NO_COLOR".into(), "1".into()));
    let (_, plain) = common::on_terminal(t.path(), &tty_env, &["diff"], "");
    assert!(
        plain.contains("! Table") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    assert!(!diff(&[]).contains('\x1b'));

    // Replacing the table loses its items: refused in CI without --approve, asked on a terminal.
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Table (AWS::DynamoDB::Table) is replaced (KeySchema changes): the new one starts empty"),
        "{err}"
    );
    assert!(err.contains("--approve"), "{err}");
    let (code, shown) = common::on_terminal(t.path(), &env(&moto, &proxy), &["deploy"], "n");
    assert_eq!(code, 1, "{shown}");
    assert!(
        shown.contains("Table (AWS::DynamoDB::Table) is replaced"),
        "{shown}"
    );
    assert!(
        shown.contains("deploy cancelled: nothing was changed"),
        "{shown}"
    );
    assert_eq!(proxy.count("ExecuteChangeSet"), 0, "nothing was deployed");
}

/// A template over CloudFormation's inline limit is diffed through the deployment bucket: put
/// there for the change set, and every version of it deleted after.
#[test]
fn a_large_template_is_diffed_through_the_bucket_and_leaves_nothing() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let mut yaml =
        String::from("service: big\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n");
    for i in 0..60 {
        yaml.push_str(&format!(
            "  f{i}:\n    handler: handler.hello\n    description: {}\n",
            "a function with a long description ".repeat(6)
        ));
    }
    let t = Test::service(&yaml);
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(
        t.path().join("serverless.yml"),
        yaml.replacen(
            "  f0:\n    handler: handler.hello\n",
            "  f0:\n    handler: handler.hello\n    memorySize: 512\n",
            1,
        ),
    )
    .unwrap();
    proxy.clear();
    let out = common::sls(
        t.path(),
        &["diff".into(), "--json".into()],
        &env(&moto, &proxy),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "changeset");
    let bodies = proxy.bodies("CreateChangeSet");
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].contains("TemplateURL=") && !bodies[0].contains("TemplateBody="),
        "{}",
        &bodies[0][..200.min(bodies[0].len())]
    );
    assert_eq!(proxy.count("DeleteChangeSet"), 1);
    let left = moto.py("s3 = client('s3')\nb = [x['Name'] for x in s3.list_buckets()['Buckets'] if 'serverlessdeploymentbucket' in x['Name']][0]\nr = s3.list_object_versions(Bucket=b, Prefix='sls-rs-diff/')\nprint(json.dumps(len(r.get('Versions', [])) + len(r.get('DeleteMarkers', []))))");
    assert_eq!(left, serde_json::json!(0));
    let f0 = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["logicalId"] == "F0LambdaFunction")
        .unwrap();
    assert_eq!(f0["changes"][0]["path"], "Properties.MemorySize");
}

/// A failure inside a nested stack is reported with the resource in it that failed and AWS's
/// reason, not only CloudFormation's "Embedded stack … was not successfully updated"; the
/// progress shows the nested stack's resources as they happen.
#[test]
fn a_failure_inside_a_nested_stack_names_the_resource_there() {
    let (moto, proxy, t) = deployed();
    change_code(&t);
    // The nested stack's own events: asked for by its ARN.
    proxy.rule_with(
        "DescribeStackEvents",
        &["StackName=arn", "FunctionsNestedStack07"],
        usize::MAX,
        Reply::Respond(
            200,
            recorded("describe-stack-events-nested-inner.xml", "shop-dev", ""),
        ),
    );
    update_rolls_back(&proxy, "describe-stack-events-nested.xml");
    let (code, err) = run(t.path(), &env(&moto, &proxy), &["deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error: Update of stack shop-dev failed: FunctionsNestedStack07 › F3LambdaFunction (AWS::Lambda::Function): Resource handler returned message: \"'MemorySize' value failed to satisfy constraint"),
        "{err}"
    );
    assert!(!err.contains("an older operation's failure"), "{err}");
    // Progress from inside the nested stack, from when the root started it: each resource
    // line, and none of its own status lines (the root's line for it says those).
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(" › ")).collect();
    assert!(
        lines.iter().any(|l| l.contains("UPDATE_FAILED")
            && l.contains("AWS::Lambda::Function")
            && l.contains(
                "FunctionsNestedStack07 › F3LambdaFunction — Resource handler returned message"
            )),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l
            .contains("FunctionsNestedStack07 › F19LambdaFunction — Resource update cancelled")),
        "{err}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("1TQ3X9Z0ABCD")),
        "the nested stack's own events are the root's line: {err}"
    );
    let f3 = err.find("› F3LambdaFunction").unwrap();
    let f19 = err.find("› F19LambdaFunction").unwrap();
    assert!(f3 < f19, "oldest first: {err}");
    assert!(
        err.contains("the stack is now UPDATE_ROLLBACK_COMPLETE"),
        "{err}"
    );
}
