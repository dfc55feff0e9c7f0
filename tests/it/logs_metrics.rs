//! `sls-rs logs` against moto's CloudWatch Logs (the test writes the lines Lambda writes), and
//! `sls-rs metrics` through the proxy: CloudWatch's SDK speaks its CBOR protocol, which moto
//! does not, so the proxy answers with GetMetricStatistics responses encoded by botocore from
//! CloudWatch's own service model.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::proxy::{Proxy, Reply};
use crate::common::{self, Moto, Test};

const SERVICE: &str = "service: inv\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  region: us-east-1\nfunctions:\n  hello:\n    handler: handler.hello\n  worker:\n    handler: handler.hello\n    logs:\n      logGroup: /team/worker\n";

/// Lambda's lines for one invocation, `ago_ms` before now, into `group`.
fn write_invocation(moto: &Moto, group: &str, id: &str, ago_ms: u64, message: &str) {
    moto.py(&format!(
        r#"import time
logs = client('logs')
try:
    logs.create_log_group(logGroupName='{group}')
except logs.exceptions.ResourceAlreadyExistsException:
    pass
stream = '2031/01/01/[$LATEST]{id}'
logs.create_log_stream(logGroupName='{group}', logStreamName=stream)
t = int(time.time() * 1000) - {ago_ms}
stamp = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t / 1000)) + '.%03dZ' % (t % 1000)
lines = ['START RequestId: {id} Version: $LATEST\n',
         stamp + '\t{id}\tINFO\t{message}\n',
         'END RequestId: {id}\n',
         'REPORT RequestId: {id}\tDuration: 2.51 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 64 MB\tInit Duration: 150.00 ms\t\n']
logs.put_log_events(logGroupName='{group}', logStreamName=stream,
    logEvents=[{{'timestamp': t + i, 'message': m}} for i, m in enumerate(lines)])
print('null')"#
    ));
}

fn sls(t: &Test, env: &[(String, String)], args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = common::sls(t.path(), &args, env);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn logs_print_lambdas_lines_filter_them_and_follow_them() {
    let moto = Moto::start();
    let env = moto.env();
    let t = Test::service(SERVICE);
    write_invocation(
        &moto,
        "/aws/lambda/inv-dev-hello",
        "req-old",
        3_600_000,
        "an hour ago",
    );
    write_invocation(
        &moto,
        "/aws/lambda/inv-dev-hello",
        "req-1",
        60_000,
        "first call",
    );
    write_invocation(
        &moto,
        "/aws/lambda/inv-dev-hello",
        "req-2",
        30_000,
        "second boom",
    );

    // The last 10 minutes by default, shaped as v3 shapes them.
    let (code, out, err) = sls(&t, &env, &["logs", "-f", "hello"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(lines[0], "START req-1");
    assert!(
        lines[1].ends_with("\tINFO\tfirst call")
            && lines[1].len() == "2031-01-01 00:00:00.000\tINFO\tfirst call".len(),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "END Duration: 2.51 ms (init: 150.00 ms) Memory Used: 64 MB"
    );
    assert_eq!(lines[3], "START req-2");
    assert!(
        !out.contains("an hour ago") && !out.contains("END RequestId"),
        "{out}"
    );

    // --startTime reaches further back; --filter keeps the matching lines.
    let (code, out, _) = sls(&t, &env, &["logs", "-f", "hello", "--startTime", "2h"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("an hour ago") && out.contains("START req-old"),
        "{out}"
    );
    let (code, out, _) = sls(&t, &env, &["logs", "-f", "hello", "--filter", "boom"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("second boom"), "{out}");

    // A function's own log group (`logs.logGroup`) is where its lines are read.
    write_invocation(&moto, "/team/worker", "req-w", 1000, "from the worker");
    let (code, out, err) = sls(&t, &env, &["logs", "-f", "worker"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("from the worker"), "{out}");

    // Mistakes: no such function (1), a function with no log yet (1), a bad time (2).
    let (code, _, err) = sls(&t, &env, &["logs", "-f", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("the service has no function `nope`"), "{err}");
    moto.py("client('logs').delete_log_group(logGroupName='/team/worker')\nprint('null')");
    let (code, _, err) = sls(&t, &env, &["logs", "-f", "worker"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("function `worker` has no log group /team/worker in us-east-1")
            && err.contains("Lambda writes its log when it first runs"),
        "{err}"
    );
    let (code, _, err) = sls(
        &t,
        &env,
        &["logs", "-f", "hello", "--startTime", "yesterday"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--startTime \"yesterday\""), "{err}");

    // --tail prints what arrives until Ctrl-C, which ends it cleanly.
    let mut cmd = common::sls_command(t.path());
    cmd.args(["logs", "-f", "hello", "--tail", "--interval", "100"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut got = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                if line.contains(needle) {
                    return got;
                }
                got.push(line);
            }
        }
        panic!("--tail never printed {needle:?}; it printed {got:?}");
    };
    write_invocation(
        &moto,
        "/aws/lambda/inv-dev-hello",
        "req-3",
        0,
        "while following",
    );
    let before = wait_for("while following");
    assert!(
        !before.iter().any(|l| l.contains("first call")),
        "--tail starts 10 seconds back: {before:?}"
    );
    write_invocation(&moto, "/aws/lambda/inv-dev-hello", "req-4", 0, "and again");
    let between = wait_for("and again");
    assert_eq!(
        between
            .iter()
            .filter(|l| l.contains("while following"))
            .count(),
        0,
        "no line is printed twice: {between:?}"
    );
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "--tail did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "Ctrl-C ends --tail with success: {status:?}"
    );
}

/// GetMetricStatistics' answer for `label` with these datapoints, in CloudWatch's CBOR, encoded
/// by botocore from the service model.
fn metric_answer(moto: &Moto, label: &str, points: &str) -> Reply {
    let hex = moto.py(&format!(
        r#"import botocore.session, datetime
from botocore.serialize import RpcV2CBORSerializer
model = botocore.session.get_session().get_service_model('cloudwatch')
shape = model.operation_model('GetMetricStatistics').output_shape
points = {points}
for p in points:
    p['Timestamp'] = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
body = bytearray()
RpcV2CBORSerializer()._serialize_data_item(body, {{'Label': '{label}', 'Datapoints': points}}, shape)
print(json.dumps(body.hex()))"#
    ));
    let hex = hex.as_str().unwrap();
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    Reply::RespondBytes(
        200,
        vec![
            ("Content-Type".into(), "application/cbor".into()),
            ("smithy-protocol".into(), "rpc-v2-cbor".into()),
        ],
        bytes,
    )
}

#[test]
fn metrics_sum_cloudwatchs_datapoints_per_function_and_for_the_service() {
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url);
    let env = common::aws_env(&proxy.url);
    let t = Test::service(SERVICE);
    const PATH: &str = "/service/GraniteServiceVersion20100801/operation/GetMetricStatistics";
    let hello = [
        ("Invocations", "[{'Sum': 3.0, 'Unit': 'Count'}, {'Sum': 7.0, 'Unit': 'Count'}]"),
        ("Throttles", "[{'Sum': 1.0, 'Unit': 'Count'}]"),
        ("Errors", "[{'Sum': 2.0, 'Unit': 'Count'}]"),
        (
            "Duration",
            "[{'Average': 100.0, 'SampleCount': 1.0, 'Unit': 'Milliseconds'}, {'Average': 10.0, 'SampleCount': 9.0, 'Unit': 'Milliseconds'}]",
        ),
    ];
    let answer_hello = |times: usize| {
        for (metric, points) in hello {
            proxy.rule_with(
                PATH,
                &["inv-dev-hello", metric],
                times,
                metric_answer(&moto, metric, points),
            );
        }
    };
    answer_hello(1);
    let (code, out, err) = sls(
        &t,
        &env,
        &[
            "metrics",
            "-f",
            "hello",
            "--startTime",
            "2030-12-31",
            "--endTime",
            "2031-01-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "hello\nDecember 31, 2030 12:00 AM UTC - January 1, 2031 12:00 AM UTC\n\ninvocations: 10\nthrottles: 1\nerrors: 2\nduration (avg.): 19ms\n"
    );
    // What was asked: the function's four metrics, by its deployed name.
    for metric in ["Invocations", "Throttles", "Errors", "Duration"] {
        assert!(
            proxy
                .bodies(&format!("POST {PATH}"))
                .iter()
                .any(|b| b.contains(metric)
                    && b.contains("FunctionName")
                    && b.contains("AWS/Lambda")),
            "{metric} was not asked for"
        );
    }

    // The whole service, as JSON: the worker had no invocations.
    proxy.clear();
    answer_hello(1);
    for metric in ["Invocations", "Throttles", "Errors", "Duration"] {
        proxy.rule_with(
            PATH,
            &["inv-dev-worker", metric],
            1,
            metric_answer(&moto, metric, "[]"),
        );
    }
    let (code, out, err) = sls(&t, &env, &["metrics", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["invocations"], 10);
    assert_eq!(v["durationAverageMs"], 19.0);
    assert_eq!(v["periodSeconds"], 3600);
    assert_eq!(v["functions"]["worker"]["invocations"], 0);
    assert_eq!(v["functions"]["worker"]["name"], "inv-dev-worker");
    assert_eq!(v["functions"]["hello"]["errors"], 2);

    let (code, _, err) = sls(
        &t,
        &env,
        &["metrics", "--startTime", "1d", "--endTime", "2d"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--endTime"), "{err}");
}
