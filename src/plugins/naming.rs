//! `provider.naming.*` for plugins: v3's naming functions, answered from [`crate::naming`] so a
//! plugin and sls-rs never disagree on an ID. A function sls-rs does not know is an error the
//! plugin sees, naming the function.

use serde_json::{json, Value};

use crate::manifest::Service;
use crate::naming;

/// What the answers depend on.
pub(super) struct Context {
    service: String,
    stage: String,
    stack: String,
    api_starts_with_service: bool,
    alb_prefix: String,
}

impl Context {
    pub(super) fn of(s: &Service) -> Context {
        Context {
            service: s.name.clone(),
            stage: s.stage.clone(),
            stack: s.stack_name(),
            api_starts_with_service: s.provider.api_gateway.name_starts_with_service,
            alb_prefix: s.provider.alb.target_group_prefix.clone(),
        }
    }

    pub(super) fn answer(&self, function: &str, args: &[Value]) -> Result<Value, String> {
        let arg = |i: usize| -> Result<String, String> {
            match args.get(i) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Ok(other.to_string()),
                None => Err(format!("naming.{function} needs an argument")),
            }
        };
        // JavaScript's truthiness, for flags.
        let flag = |i: usize| match args.get(i) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(_) => true,
        };
        let v = match function {
            "normalizeName" => json!(naming::upper_first(&arg(0)?)),
            "normalizeNameToAlphaNumericOnly" => json!(naming::normalize_alnum(&arg(0)?)),
            "getNormalizedFunctionName" => json!(naming::normalize_name(&arg(0)?)),
            "getLambdaLogicalId" => json!(naming::function_logical_id(&arg(0)?)),
            "getLogGroupLogicalId" => json!(naming::log_group_logical_id(&arg(0)?)),
            "getLogGroupName" => json!(naming::log_group_name(&arg(0)?)),
            "getLambdaLayerLogicalId" => json!(naming::layer_logical_id(&arg(0)?)),
            "getRoleLogicalId" => json!(naming::ROLE_ID),
            "getRoleName" => naming::role_name(&self.service, &self.stage),
            "getStackName" => json!(self.stack),
            // Not v3's: the host's `service.setFunctionNames()` asks for the default name.
            "sls-rs:defaultFunctionName" => {
                json!(naming::default_function_name(
                    &self.service,
                    &self.stage,
                    &arg(0)?
                ))
            }
            "getDeploymentBucketLogicalId" => json!(naming::BUCKET_ID),
            "getDeploymentBucketOutputLogicalId" => json!(naming::DEPLOYMENT_BUCKET_NAME_OUTPUT),
            "getRestApiLogicalId" => json!(naming::REST_API_ID),
            "getApiGatewayName" => json!(naming::api_name(
                &self.service,
                &self.stage,
                self.api_starts_with_service
            )),
            "normalizePath" => json!(naming::path_id(&arg(0)?)),
            "normalizePathPart" => json!(naming::path_part(&arg(0)?)),
            "normalizeMethodName" => json!(naming::method_name(&arg(0)?)),
            "getMethodLogicalId" => json!(naming::method_id_for_resource(&arg(0)?, &arg(1)?)),
            "getResourceLogicalId" => json!(naming::rest_api_resource_id(&arg(0)?)),
            "getAuthorizerLogicalId" => json!(naming::rest_api_authorizer_id(&arg(0)?)),
            "getValidatorLogicalId" => json!(naming::rest_api_request_validator_id(&self.service)),
            "getUsagePlanLogicalId" => {
                json!(naming::rest_api_usage_plan_id(arg(0).ok().as_deref()))
            }
            "getHttpApiLogicalId" => json!(naming::HTTP_API_ID),
            "getQueueLogicalId" => json!(naming::sqs_event_source_mapping_id(&arg(0)?, &arg(1)?)),
            "getTopicLogicalId" => json!(naming::sns_topic_id(&arg(0)?)),
            "getBucketLogicalId" => json!(naming::s3_bucket_id(&arg(0)?)),
            "getLambdaApiGatewayPermissionLogicalId" => {
                json!(naming::rest_api_permission_id(&arg(0)?))
            }
            "getServiceEndpointOutputLogicalId" => json!(naming::REST_API_ENDPOINT_OUTPUT),
            // A RegExp in v3; the host makes one of `$regexp`.
            "getServiceEndpointRegex" => {
                json!({ "$regexp": format!("^{}", naming::REST_API_ENDPOINT_OUTPUT) })
            }
            "getLambdaQualifiedArnOutputLogicalId" => {
                json!(naming::function_qualified_arn_output(&arg(0)?))
            }
            "getLambdaProvisionedConcurrencyAliasLogicalId" => {
                json!(naming::provisioned_alias_id(&arg(0)?))
            }
            "getLambdaProvisionedConcurrencyAliasName" => json!(naming::PROVISIONED_ALIAS),
            "getLambdaSnapStartAliasLogicalId" => json!(naming::snap_start_alias_id(&arg(0)?)),
            "getLambdaSnapStartEnabledAliasName" => json!(naming::SNAP_START_ALIAS),
            "getAlbTargetGroupLogicalId" => {
                json!(naming::alb_target_group_id(&arg(0)?, &arg(1)?, flag(2)))
            }
            "getAlbTargetGroupNameTagValue" => json!(naming::alb_target_group_tag(
                &self.service,
                &self.stage,
                &arg(0)?,
                &arg(1)?,
                flag(2)
            )),
            "generateAlbTargetGroupName" => json!(naming::alb_target_group_name(
                &self.alb_prefix,
                &self.service,
                &self.stage,
                &arg(0)?,
                &arg(1)?,
                flag(2)
            )),
            "getAlbListenerRuleLogicalId" => {
                json!(naming::alb_listener_rule_id(&arg(0)?, arg(1)?))
            }
            "getLambdaAlbPermissionLogicalId" => json!(naming::alb_permission_id(&arg(0)?)),
            "getLambdaRegisterTargetPermissionLogicalId" => {
                json!(naming::alb_register_target_permission_id(&arg(0)?))
            }
            other => {
                return Err(format!(
                    "sls-rs does not answer provider.naming.{other} yet; the plugin needs it"
                ))
            }
        };
        Ok(v)
    }
}
