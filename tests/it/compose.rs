//! `serverless-compose.yml` against moto: dependency order, outputs passed as parameters,
//! deploying only what changed, a subset, reverse removal, and the refusals.

use std::path::Path;

use serde_json::json;

use crate::common::proxy::Proxy;
use crate::common::{self, Moto};

const COMPOSE: &str = "services:\n  queue:\n    path: queue\n  api:\n    path: api\n    params:\n      queueUrl: ${queue.QueueUrl}\n  jobs:\n    path: jobs\n";

const HANDLER: &str = "module.exports.hello = async () => 1;\n";

/// The three services: `queue` makes a queue and outputs its URL, `api` gets it as a
/// parameter, `jobs` is on its own.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("serverless-compose.yml", COMPOSE);
    // Direct updates: moto refreshes a stack's outputs after UpdateStack, not after a change set.
    write("queue/serverless.yml", "service: queue\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  deploymentMethod: direct\nfunctions:\n  hello:\n    handler: handler.hello\nresources:\n  Resources:\n    Jobs:\n      Type: AWS::SQS::Queue\n  Outputs:\n    QueueUrl:\n      Value: !Ref Jobs\n");
    write("api/serverless.yml", "service: api\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  environment:\n    QUEUE_URL: ${param:queueUrl}\nfunctions:\n  hello:\n    handler: handler.hello\n");
    write("jobs/serverless.yml", "service: jobs\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n");
    for s in ["queue", "api", "jobs"] {
        write(&format!("{s}/handler.js"), HANDLER);
    }
    dir
}

fn run(dir: &Path, env: &[(String, String)], args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = common::sls(dir, &args, env);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The positions of `service`'s lines in `text` (each prefixed `service › `).
fn lines_of(text: &str, service: &str) -> Vec<usize> {
    let prefix = format!("{service} › ");
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with(&prefix))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn compose_deploys_in_dependency_order_and_only_what_changed() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let mut env = moto.env();
    env.push(("AWS_ENDPOINT_URL_CLOUDFORMATION".into(), proxy.url.clone()));
    let p = project();
    let dir = p.path();

    // Nothing deployed yet: packaging api needs queue's output, which no stack has.
    let (code, _, err) = run(dir, &env, &["compose", "package"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("api needs queue.QueueUrl, which is not deployed"),
        "{err}"
    );

    // `deploy` where the compose file is deploys all three: queue before api.
    let (code, out, err) = run(dir, &env, &["deploy"]);
    assert_eq!(code, 0, "{err}");
    let all = format!("{err}{out}");
    let (q, a, j) = (
        lines_of(&err, "queue"),
        lines_of(&err, "api"),
        lines_of(&err, "jobs"),
    );
    assert!(!q.is_empty() && !a.is_empty() && !j.is_empty(), "{all}");
    assert!(
        q.last() < a.first(),
        "api starts after queue is deployed:\n{err}"
    );
    let url = moto.py("o = client('cloudformation').describe_stacks(StackName='queue-dev')['Stacks'][0]['Outputs']\nprint(json.dumps([x['OutputValue'] for x in o if x['OutputKey'] == 'QueueUrl'][0]))");
    let env_of = moto.py("print(json.dumps(client('lambda').get_function(FunctionName='api-dev-hello')['Configuration']['Environment']['Variables']['QUEUE_URL']))");
    assert_eq!(env_of, url, "api got queue's output as its parameter");

    // Only api changes: only api's stack is touched.
    std::fs::write(
        dir.join("api/handler.js"),
        "module.exports.hello = async () => 2;\n",
    )
    .unwrap();
    proxy.clear();
    let (code, _, err) = run(dir, &env, &["compose", "deploy"]);
    assert_eq!(code, 0, "{err}");
    let changes = proxy.bodies("CreateChangeSet");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].contains("StackName=api-dev"), "{}", changes[0]);
    assert_eq!(proxy.count("CreateStack") + proxy.count("UpdateStack"), 0);

    // One service, v3's way; its dependency's outputs come from its stack.
    let (code, _, err) = run(dir, &env, &["api:deploy"]);
    assert_eq!(code, 0, "{err}");
    assert!(lines_of(&err, "queue").is_empty(), "{err}");
    assert!(!lines_of(&err, "api").is_empty(), "{err}");

    let (code, out, err) = run(dir, &env, &["compose", "outputs", "--service", "queue"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("queue:\n")
            && out.contains(&format!("  QueueUrl: {}", url.as_str().unwrap())),
        "{out}"
    );

    // remove: api before queue, which it depends on.
    let (code, _, err) = run(dir, &env, &["remove"]);
    assert_eq!(code, 0, "{err}");
    let (q, a) = (lines_of(&err, "queue"), lines_of(&err, "api"));
    assert!(a.last() < q.first(), "queue is removed after api:\n{err}");
    let stacks = moto.py("print(json.dumps([s['StackName'] for s in client('cloudformation').list_stacks()['StackSummaries'] if s['StackStatus'] != 'DELETE_COMPLETE']))");
    assert_eq!(stacks, json!([]));
}

#[test]
fn compose_refuses_cycles_and_unknown_services() {
    let p = project();
    let dir = p.path();
    std::fs::write(
        dir.join("serverless-compose.yml"),
        format!("{COMPOSE}    dependsOn: api\n").replace(
            "  queue:\n    path: queue\n",
            "  queue:\n    path: queue\n    dependsOn: jobs\n",
        ),
    )
    .unwrap();
    let (code, _, err) = run(dir, &[], &["compose", "deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("in a cycle: api → queue → jobs → api")
            || err.contains("in a cycle: queue → jobs → api → queue")
            || err.contains("in a cycle: jobs → api → queue → jobs"),
        "{err}"
    );
    std::fs::write(dir.join("serverless-compose.yml"), COMPOSE).unwrap();
    let (code, _, err) = run(dir, &[], &["compose", "deploy", "--service", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no service `nope`"), "{err}");
    std::fs::write(
        dir.join("serverless-compose.yml"),
        COMPOSE.replace("${queue.QueueUrl}", "${queue.QueueUrl"),
    )
    .unwrap();
    let (code, _, err) = run(dir, &[], &["compose", "deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("without its `}`"), "{err}");
    assert!(err.contains("services.api.params.queueUrl"), "{err}");
}
