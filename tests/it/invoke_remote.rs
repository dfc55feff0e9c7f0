//! `sls-rs invoke -f NAME` against moto's Lambda (which, without Docker, answers with the event
//! it was given), and a function error through the proxy's recorded answer (moto cannot fail).

use base64::Engine;
use serde_json::{json, Value};

use crate::common::proxy::{Proxy, Reply};
use crate::common::{self, Moto, Test};

const SERVICE: &str = "service: inv\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  region: us-east-1\nfunctions:\n  hello:\n    handler: handler.hello\n";

fn with_function() -> Moto {
    let moto = Moto::start();
    moto.py(
        "import io, os, urllib.request, zipfile
urllib.request.urlopen(urllib.request.Request(os.environ['AWS_ENDPOINT_URL'] + '/moto-api/config', data=b'{\"lambda\": {\"use_docker\": false}}', method='POST', headers={'Content-Type': 'application/json'}))
role = client('iam').create_role(RoleName='r', AssumeRolePolicyDocument='{}')['Role']['Arn']
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    z.writestr('handler.js', 'exports.hello = async (e) => e;')
client('lambda').create_function(FunctionName='inv-dev-hello', Runtime='nodejs22.x', Role=role, Handler='handler.hello', Code={'ZipFile': b.getvalue()})
print('null')",
    );
    moto
}

fn invoke(t: &Test, env: &[(String, String)], args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["invoke".to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    let out = common::sls(t.path(), &all, env);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn invoke_calls_the_deployed_function_and_reports_its_failure() {
    let moto = with_function();
    let proxy = Proxy::start(&moto.url);
    let env = common::aws_env(&proxy.url);
    let t = Test::service(SERVICE).file("handler.js", "exports.hello = async (e) => e;\n");

    let (code, out, err) = invoke(&t, &env, &["-f", "hello", "-d", r#"{"a": [1, 2]}"#]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({ "a": [1, 2] })
    );
    let (code, out, err) = invoke(&t, &env, &["-f", "hello", "--type", "Event"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim().is_empty(),
        "an queued invocation returns nothing: {out}"
    );
    let (code, _, err) = invoke(&t, &env, &["-f", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("the service has no function `nope`"), "{err}");

    // The function fails: its error is printed, with the end of its log, and the exit is 1.
    let log = base64::engine::general_purpose::STANDARD
        .encode("START RequestId: 1\nboom happened\nEND RequestId: 1\n");
    proxy.rule(
        "/2015-03-31/functions/inv-dev-hello/invocations",
        None,
        1,
        Reply::RespondJson(
            200,
            vec![
                ("X-Amz-Function-Error".into(), "Unhandled".into()),
                ("X-Amz-Log-Result".into(), log),
                ("X-Amz-Executed-Version".into(), "$LATEST".into()),
            ],
            r#"{"errorType":"TypeError","errorMessage":"boom","trace":["at x"]}"#.into(),
        ),
    );
    let (code, out, err) = invoke(&t, &env, &["-f", "hello", "--log"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("\"errorMessage\": \"boom\"") && out.contains("boom happened"),
        "{out}"
    );
    assert!(
        err.contains("function `hello` failed (Unhandled): TypeError: boom"),
        "{err}"
    );
}
