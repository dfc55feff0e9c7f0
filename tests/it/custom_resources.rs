//! The custom resources' inline handlers (`templates/*.py`), run with boto3 against moto: the
//! code CloudFormation would call, with only Lambda's `cfnresponse` module stood in for (it
//! records what the handler reports instead of sending it to CloudFormation).

use crate::common::Moto;

/// Runs `handler` (a template's source) for each `(request type, properties)` in `requests` (an
/// update also gets the previous request's properties as its old ones), and prints what it
/// reported plus what `after` (Python, with `client(name)`) returns each time.
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
old = None
for kind, props in {requests}:
    event = {{"RequestType": kind, "ResourceProperties": props, "PhysicalResourceId": "p"}}
    if kind == "Update":
        # What CloudFormation sends: the properties of the previous request.
        event["OldResourceProperties"] = old
    old = props
    with contextlib.redirect_stdout(sys.stderr):
        module.handler(event, Context())
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

#[test]
fn the_existing_user_pool_handler_sets_only_its_own_triggers_and_keeps_the_pools_settings() {
    let moto = Moto::start();
    let setup = moto.py(
        r#"idp = client("cognito-idp")
ids = {}
for name in ["Customers", "Staff"]:
    ids[name] = idp.create_user_pool(PoolName=name, MfaConfiguration="OFF", AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": False}},
        LambdaConfig={"CustomMessage": "arn:aws:lambda:us-east-1:123456789012:function:someone-else"})["UserPool"]["Id"]
role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
import io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr("handler.js", "exports.t = async (e) => e;")
client("lambda").create_function(FunctionName="svc-dev-signup", Runtime="nodejs22.x", Role=role, Handler="handler.t", Code={"ZipFile": b.getvalue()})
print(json.dumps(ids))"#,
    );
    let handler = include_str!("../../templates/existing-cognito-user-pool.py");
    let props = |pool: &str, triggers: &[&str]| {
        let configs: Vec<serde_json::Value> = triggers
            .iter()
            .map(|t| serde_json::json!({ "Trigger": t }))
            .collect();
        serde_json::json!({ "FunctionName": "svc-dev-signup", "UserPoolName": pool, "UserPoolConfigs": configs })
    };
    let after = format!(
        r#"        idp = client("cognito-idp")
        pools = {{}}
        for name, pid in {setup}.items():
            p = idp.describe_user_pool(UserPoolId=pid)["UserPool"]
            pools[name] = {{"triggers": p.get("LambdaConfig", {{}}), "min": p["Policies"]["PasswordPolicy"]["MinimumLength"], "verified": p.get("AutoVerifiedAttributes")}}
        try:
            policy = json.loads(client("lambda").get_policy(FunctionName="svc-dev-signup")["Policy"])
            sids = [s["Sid"] for s in policy["Statement"]]
        except Exception:
            sids = []
        return {{"pools": pools, "sids": sids}}"#
    );
    let out = run(
        &moto,
        handler,
        &[
            (
                "Create",
                props("Customers", &["PreSignUp", "PostConfirmation"]),
            ),
            ("Update", props("Customers", &["PreSignUp"])),
            ("Update", props("Staff", &["PreSignUp"])),
            ("Delete", props("Staff", &["PreSignUp"])),
            ("Create", props("Nope", &["PreSignUp"])),
        ],
        &after,
    );
    let steps = out.as_array().unwrap();
    let ours = "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-signup";
    let theirs = "arn:aws:lambda:us-east-1:123456789012:function:someone-else";
    for s in &steps[..4] {
        assert_eq!(s["sent"]["status"], "SUCCESS", "{s}");
        // The pools' other settings and the other trigger are kept at every step.
        for pool in ["Customers", "Staff"] {
            let p = &s["after"]["pools"][pool];
            assert_eq!(p["min"], 12, "{s}");
            assert_eq!(p["verified"], serde_json::json!(["email"]), "{s}");
            assert_eq!(p["triggers"]["CustomMessage"], theirs, "{s}");
        }
    }
    let triggers = |i: usize, pool: &str| steps[i]["after"]["pools"][pool]["triggers"].clone();
    assert_eq!(triggers(0, "Customers")["PreSignUp"], ours);
    assert_eq!(triggers(0, "Customers")["PostConfirmation"], ours);
    assert_eq!(
        steps[0]["after"]["sids"],
        serde_json::json!(["svc-dev-signup-customers"])
    );
    assert!(
        triggers(1, "Customers").get("PostConfirmation").is_none(),
        "{}",
        steps[1]
    );
    assert_eq!(triggers(1, "Customers")["PreSignUp"], ours);
    // Moved to another pool: the first pool loses its trigger and permission.
    assert!(
        triggers(2, "Customers").get("PreSignUp").is_none(),
        "{}",
        steps[2]
    );
    assert_eq!(triggers(2, "Staff")["PreSignUp"], ours);
    assert_eq!(
        steps[2]["after"]["sids"],
        serde_json::json!(["svc-dev-signup-staff"]),
        "{out}"
    );
    assert!(
        triggers(3, "Staff").get("PreSignUp").is_none(),
        "{}",
        steps[3]
    );
    assert_eq!(steps[3]["after"]["sids"], serde_json::json!([]));
    assert_eq!(steps[4]["sent"]["status"], "FAILED");
    assert_eq!(
        steps[4]["sent"]["reason"],
        "Could not find Cognito User Pool \"Nope\""
    );
}
