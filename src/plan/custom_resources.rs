//! v3's custom resources: Lambda functions CloudFormation calls for what it cannot do itself
//! (notifications on a bucket made elsewhere, triggers on a user pool made elsewhere, the
//! account's API Gateway CloudWatch role). They
//! keep v3's logical IDs and names, so a v3 stack is taken over in place; v3 deploys them from a
//! Node.js `custom-resources.zip` it builds, sls-rs's are inline Python (`Code.ZipFile`, under the
//! 4 KB limit; ARCHITECTURE.md, "Custom resources"), so nothing is built outside sls-rs. They
//! share one role, to which each adds its statements.

use serde_json::{json, Value};

use super::Compiler;
use crate::naming::{self, CUSTOM_RESOURCES_ROLE_ID as ROLE_ID};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Handler {
    /// `s3` events with `existing: true`.
    ExistingS3,
    /// `provider.logs.restApi`.
    ApiGatewayCloudWatchRole,
    /// `cognitoUserPool` events with `existing: true`.
    ExistingCognitoUserPool,
}

impl Handler {
    /// v3's name for it, in its function's key (`custom-resource-<name>`) and name.
    fn name(self) -> &'static str {
        match self {
            Handler::ExistingS3 => "existing-s3",
            Handler::ApiGatewayCloudWatchRole => "apigw-cw-role",
            Handler::ExistingCognitoUserPool => "existing-cup",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Handler::ExistingS3 => include_str!("../../templates/existing-s3-notifications.py"),
            Handler::ApiGatewayCloudWatchRole => {
                include_str!("../../templates/api-gateway-cloudwatch-role.py")
            }
            Handler::ExistingCognitoUserPool => {
                include_str!("../../templates/existing-cognito-user-pool.py")
            }
        }
    }

    /// The handler function's logical ID, for the custom resources' `ServiceToken`.
    pub(crate) fn function_id(self) -> String {
        naming::custom_resource_function_id(self.name())
    }
}

/// Adds `handler`'s function, and the role the handlers share with `statements` added to it (a
/// statement already there is not repeated). With
/// `iam.deploymentRole` the function runs with that role instead, as v3 does.
pub(crate) fn add(c: &mut Compiler, handler: Handler, statements: Vec<Value>) {
    let service = c.service;
    let role = match &service.provider.stack.role_arn {
        Some(arn) => json!(arn),
        None => {
            if !c.t.resources.contains_key(ROLE_ID) {
                // sls-rs's handlers write their own logs (v3's only with `logs.frameworkLambda`).
                let logs = json!({ "Effect": "Allow", "Resource": { "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*:*" }, "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"] });
                c.add(
                    ROLE_ID,
                    json!({ "Type": "AWS::IAM::Role", "Properties": {
                        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": ["lambda.amazonaws.com"] }, "Action": ["sts:AssumeRole"] }] },
                        "Policies": [{
                            "PolicyName": { "Fn::Join": ["-", [service.stage, service.name, "custom-resources-lambda"]] },
                            "PolicyDocument": { "Version": "2012-10-17", "Statement": [logs] },
                        }],
                    }}),
                );
            }
            if let Some(Value::Array(granted)) =
                c.t.resources
                    .get_mut(ROLE_ID)
                    .and_then(|r| r.pointer_mut("/Properties/Policies/0/PolicyDocument/Statement"))
            {
                for st in statements {
                    // v3 drops a statement whose Resource string another has, even with
                    // other actions (two handlers both on `*`); only repeats are left out here.
                    if !granted.contains(&st) {
                        granted.push(st);
                    }
                }
            }
            json!({ "Fn::GetAtt": [ROLE_ID, "Arn"] })
        }
    };
    let fn_name =
        naming::custom_resource_function_name(&service.name, &service.stage, handler.name());
    let mut function = json!({ "Type": "AWS::Lambda::Function", "Properties": {
        "Code": { "ZipFile": handler.code() },
        "FunctionName": fn_name,
        "Handler": "index.handler",
        "MemorySize": 256,
        "Runtime": "python3.13",
        "Timeout": 180,
        "Role": role,
    }});
    // `logs.frameworkLambda`: the stack owns the function's log group (v3's ID, the provider's
    // retention and data protection), so it goes with the stack. The role already writes to it.
    if service.provider.framework_lambda_logs {
        let log_group =
            naming::log_group_logical_id(&format!("custom-resource-{}", handler.name()));
        let mut props = json!({ "LogGroupName": naming::log_group_name(&fn_name) });
        if let Some(days) = service.provider.log_retention_in_days {
            props["RetentionInDays"] = json!(days);
        }
        if let Some(policy) = &service.provider.log_data_protection_policy {
            props["DataProtectionPolicy"] = policy.clone();
        }
        c.add(
            log_group.clone(),
            json!({ "Type": "AWS::Logs::LogGroup", "Properties": props }),
        );
        function["DependsOn"] = json!([log_group]);
    }
    c.add(handler.function_id(), function);
}
