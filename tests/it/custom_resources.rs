//! The custom resources' inline handlers (`templates/*.py`), run with boto3 against moto: the
//! code CloudFormation would call, with only Lambda's `cfnresponse` module stood in for (it
//! records what the handler reports instead of sending it to CloudFormation).

use crate::common::Moto;

/// Runs `handler` (a template's source) for each `(request type, properties)` in `requests`, and
/// prints what it reported plus what `after` (Python, with `client(name)`) returns each time.
fn run(
    moto: &Moto,
    handler: &str,
    requests: &[(&str, serde_json::Value)],
    after: &str,
) -> serde_json::Value {
    let requests = serde_json::to_string(requests).unwrap();
    moto.py(&format!(
        r#"
import contextlib, os, sys, types
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
sent = []
cfn = types.ModuleType("cfnresponse")
cfn.SUCCESS, cfn.FAILED = "SUCCESS", "FAILED"
def send(event, context, status, data, physical, reason=None):
    sent.append({{"status": status, "physical": physical, "reason": reason}})
cfn.send = send
sys.modules["cfnresponse"] = cfn
code = {handler:?}
module = types.ModuleType("index")
exec(compile(code, "index.py", "exec"), module.__dict__)
class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-custom-resource"
    log_stream_name = "stream"
out = []
for kind, props in {requests}:
    with contextlib.redirect_stdout(sys.stderr):
        module.handler({{"RequestType": kind, "ResourceProperties": props, "PhysicalResourceId": "p"}}, Context())
    def check():
{after}
    out.append({{"sent": sent[-1], "after": check()}})
print(json.dumps(out))
"#
    ))
}

#[test]
fn the_api_gateway_cloudwatch_role_handler_sets_a_role_only_where_none_is() {
    // moto knows AWS's managed policies only when asked to.
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let handler = include_str!("../../templates/api-gateway-cloudwatch-role.py");
    let ours = "arn:aws:iam::123456789012:role/serverlessApiGatewayCloudWatchRole";
    let theirs = "arn:aws:iam::123456789012:role/team-logs";
    let out = run(
        &moto,
        handler,
        &[
            ("Create", serde_json::json!({})),
            ("Update", serde_json::json!({})),
            ("Update", serde_json::json!({ "RoleArn": theirs })),
            ("Update", serde_json::json!({})),
            ("Delete", serde_json::json!({ "RoleArn": theirs })),
        ],
        r#"        role = client("apigateway").get_account().get("cloudwatchRoleArn")
        try:
            policies = [p["PolicyArn"] for p in client("iam").list_attached_role_policies(RoleName="serverlessApiGatewayCloudWatchRole")["AttachedPolicies"]]
        except Exception:
            policies = None
        return {"role": role, "policies": policies}"#,
    );
    let steps = out.as_array().unwrap();
    for s in steps {
        assert_eq!(s["sent"]["status"], "SUCCESS", "{s}");
    }
    let managed = serde_json::json!([
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    ]);
    // An account without a role gets v3's, with AWS's managed policy.
    assert_eq!(steps[0]["after"]["role"], ours);
    assert_eq!(steps[0]["after"]["policies"], managed);
    // Run again: nothing changes.
    assert_eq!(steps[1]["after"]["role"], ours);
    // A configured role replaces it; without one, the account's role is kept.
    assert_eq!(steps[2]["after"]["role"], theirs);
    assert_eq!(steps[3]["after"]["role"], theirs);
    // Deleting the resource leaves the account's setting.
    assert_eq!(steps[4]["after"]["role"], theirs);
}
