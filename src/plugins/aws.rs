//! What plugins ask of AWS through v3's provider: `provider.request(service, method, params)`
//! and `getServerlessDeploymentBucketName()`, answered with sls-rs's own clients in commands that
//! connect to AWS (`deploy`).
//!
//! v3 hands any call to the AWS SDK v2. sls-rs answers the calls plugins make around a deploy —
//! CloudFormation `describeStacks`, `describeStackResource`, `listStackResources`, STS
//! `getCallerIdentity`, S3 `listObjectsV2` — in the SDK v2's shape (PascalCase members, dates
//! as ISO 8601 strings, errors with the service's code and message). Any other call is an error
//! that names it, never a silent empty answer.

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::primitives::{DateTime, DateTimeFormat};
use serde_json::{json, Value};

use crate::deploy::Aws;

/// A failed call: the message and v2's error `code`.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: String,
}

impl Failure {
    fn unsupported(service: &str, method: &str) -> Failure {
        Failure {
            message: format!(
                "sls-rs does not answer {service}.{method} for plugins yet (it answers CloudFormation describeStacks, describeStackResource and listStackResources, STS getCallerIdentity and S3 listObjectsV2)"
            ),
            code: "SLS_RS_UNSUPPORTED_REQUEST".into(),
        }
    }

    fn bad_params(method: &str, what: &str) -> Failure {
        Failure {
            message: format!("{method} needs {what}"),
            code: "MissingParameter".into(),
        }
    }

    fn from_sdk<E: ProvideErrorMetadata + std::error::Error>(e: E) -> Failure {
        Failure {
            message: e.message().map(String::from).unwrap_or_else(|| {
                aws_sdk_cloudformation::error::DisplayErrorContext(&e).to_string()
            }),
            code: e.code().unwrap_or("UnknownError").to_string(),
        }
    }
}

/// The bridge one command lends the plugin host. Commands that deploy lend their connection;
/// others ([`Bridge::on_demand`]) connect only when a plugin first calls AWS, as v3's plugins
/// may in any command (serverless-plugin-split-stacks reads the stack while packaging).
pub struct Bridge {
    aws: std::cell::OnceCell<Aws>,
    /// Where to connect on demand: the service's region and profile.
    region: String,
    profile: Option<String>,
    rt: tokio::runtime::Handle,
    /// The runtime an on-demand bridge owns.
    _runtime: Option<tokio::runtime::Runtime>,
    stack: String,
    /// `provider.deploymentBucket` when the user names one.
    bucket: Option<String>,
}

impl Bridge {
    pub fn new(
        aws: Aws,
        rt: tokio::runtime::Handle,
        stack: String,
        bucket: Option<String>,
    ) -> Bridge {
        let region = aws.region.clone();
        Bridge {
            aws: std::cell::OnceCell::from(aws),
            region,
            profile: None,
            rt,
            _runtime: None,
            stack,
            bucket,
        }
    }

    /// A bridge that connects to the service's region (with its profile) on the first call.
    pub fn on_demand(
        service: &crate::manifest::Service,
        profile: Option<String>,
    ) -> Result<Bridge, Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Failure {
                message: format!("could not start the async runtime: {e}"),
                code: "SLS_RS".into(),
            })?;
        Ok(Bridge {
            aws: std::cell::OnceCell::new(),
            region: service.region.clone(),
            profile: profile.or_else(|| service.provider.profile.clone()),
            rt: runtime.handle().clone(),
            _runtime: Some(runtime),
            stack: service.stack_name(),
            bucket: service.provider.custom_bucket(),
        })
    }

    fn aws(&self) -> &Aws {
        self.aws
            .get_or_init(|| self.block(Aws::connect(&self.region, self.profile.as_deref())))
    }

    /// Runs `f` to completion, also from inside the command's own `block_on` (a hook that runs
    /// in the middle of a deploy).
    fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        tokio::task::block_in_place(|| self.rt.block_on(f))
    }

    /// The credentials sls-rs signs with, for plugins that make their own AWS clients (v3's
    /// `provider.getCredentials()` and `getAwsSdkV3Config()`).
    pub fn credentials(&self) -> Result<Value, Failure> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self
            .aws()
            .config
            .credentials_provider()
            .ok_or_else(|| Failure {
                message: "no AWS credentials are configured".into(),
                code: "CredentialsError".into(),
            })?;
        let c = self
            .block(provider.provide_credentials())
            .map_err(|e| Failure {
                message: format!("could not load AWS credentials: {e}"),
                code: "CredentialsError".into(),
            })?;
        Ok(clean(json!({
            "accessKeyId": c.access_key_id(),
            "secretAccessKey": c.secret_access_key(),
            "sessionToken": c.session_token(),
            "region": self.region,
        })))
    }

    /// The service's deployment bucket: the one the user names, or the stack's.
    pub fn deployment_bucket(&self) -> Result<Value, Failure> {
        if let Some(b) = &self.bucket {
            return Ok(json!(b));
        }
        let found = self.block(crate::deploy::stack::physical_id(
            self.aws(),
            &self.stack,
            crate::naming::BUCKET_ID,
        ));
        match found {
            Ok(Some(b)) => Ok(json!(b)),
            Ok(None) => Err(Failure {
                message: format!(
                    "stack {} has no deployment bucket yet (deploy the service first)",
                    self.stack
                ),
                code: "ValidationError".into(),
            }),
            Err(e) => Err(Failure {
                message: e.to_string(),
                code: "UnknownError".into(),
            }),
        }
    }

    pub fn request(&self, service: &str, method: &str, params: &Value) -> Result<Value, Failure> {
        let s = |k: &str| params[k].as_str().map(String::from);
        let need = |k: &str| s(k).ok_or_else(|| Failure::bad_params(method, k));
        match (service, method) {
            ("CloudFormation", "describeStacks") => self.block(async {
                let out = self
                    .aws()
                    .cfn
                    .describe_stacks()
                    .set_stack_name(s("StackName"))
                    .set_next_token(s("NextToken"))
                    .send()
                    .await
                    .map_err(Failure::from_sdk)?;
                let stacks: Vec<Value> = out.stacks().iter().map(stack_json).collect();
                Ok(clean(
                    json!({ "Stacks": stacks, "NextToken": out.next_token() }),
                ))
            }),
            ("CloudFormation", "describeStackResource") => {
                let (stack, logical) = (need("StackName")?, need("LogicalResourceId")?);
                self.block(async {
                    let out = self
                        .aws()
                        .cfn
                        .describe_stack_resource()
                        .stack_name(stack)
                        .logical_resource_id(logical)
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let d = out.stack_resource_detail();
                    Ok(json!({ "StackResourceDetail": d.map(|d| clean(json!({
                        "StackName": d.stack_name(),
                        "StackId": d.stack_id(),
                        "LogicalResourceId": d.logical_resource_id(),
                        "PhysicalResourceId": d.physical_resource_id(),
                        "ResourceType": d.resource_type(),
                        "ResourceStatus": d.resource_status().map(|s| s.as_str()),
                        "LastUpdatedTimestamp": date(d.last_updated_timestamp()),
                    }))) }))
                })
            }
            ("CloudFormation", "listStackResources") => {
                let stack = need("StackName")?;
                self.block(async {
                    let out = self
                        .aws()
                        .cfn
                        .list_stack_resources()
                        .stack_name(stack)
                        .set_next_token(s("NextToken"))
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let list: Vec<Value> = out
                        .stack_resource_summaries()
                        .iter()
                        .map(|r| {
                            clean(json!({
                                "LogicalResourceId": r.logical_resource_id(),
                                "PhysicalResourceId": r.physical_resource_id(),
                                "ResourceType": r.resource_type(),
                                "ResourceStatus": r.resource_status().map(|s| s.as_str()),
                                "LastUpdatedTimestamp": date(r.last_updated_timestamp()),
                            }))
                        })
                        .collect();
                    Ok(clean(json!({
                        "StackResourceSummaries": list,
                        "NextToken": out.next_token(),
                    })))
                })
            }
            ("STS", "getCallerIdentity") => self.block(async {
                let out = aws_sdk_sts::Client::new(&self.aws().config)
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(Failure::from_sdk)?;
                Ok(clean(json!({
                    "Account": out.account(),
                    "Arn": out.arn(),
                    "UserId": out.user_id(),
                })))
            }),
            ("S3", "listObjectsV2") => {
                let bucket = need("Bucket")?;
                self.block(async {
                    let out = self
                        .aws()
                        .s3
                        .list_objects_v2()
                        .bucket(bucket)
                        .set_prefix(s("Prefix"))
                        .set_continuation_token(s("ContinuationToken"))
                        .set_start_after(s("StartAfter"))
                        .set_max_keys(params["MaxKeys"].as_i64().map(|n| n as i32))
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let contents: Vec<Value> = out
                        .contents()
                        .iter()
                        .map(|o| {
                            clean(json!({
                                "Key": o.key(),
                                "Size": o.size(),
                                "ETag": o.e_tag(),
                                "LastModified": date(o.last_modified()),
                            }))
                        })
                        .collect();
                    Ok(clean(json!({
                        "Contents": contents,
                        "IsTruncated": out.is_truncated().unwrap_or(false),
                        "KeyCount": out.key_count(),
                        "NextContinuationToken": out.next_continuation_token(),
                        "Prefix": out.prefix(),
                    })))
                })
            }
            _ => Err(Failure::unsupported(service, method)),
        }
    }
}

fn date(d: Option<&DateTime>) -> Option<String> {
    d.and_then(|d| d.fmt(DateTimeFormat::DateTime).ok())
}

/// Members the service did not return are left out, as the SDK leaves them out.
fn clean(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, clean(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(clean).collect()),
        v => v,
    }
}

fn stack_json(st: &aws_sdk_cloudformation::types::Stack) -> Value {
    let outputs: Vec<Value> = st
        .outputs()
        .iter()
        .map(|o| {
            clean(json!({
                "OutputKey": o.output_key(),
                "OutputValue": o.output_value(),
                "Description": o.description(),
                "ExportName": o.export_name(),
            }))
        })
        .collect();
    let parameters: Vec<Value> = st
        .parameters()
        .iter()
        .map(|p| {
            clean(
                json!({ "ParameterKey": p.parameter_key(), "ParameterValue": p.parameter_value() }),
            )
        })
        .collect();
    let tags: Vec<Value> = st
        .tags()
        .iter()
        .map(|t| clean(json!({ "Key": t.key(), "Value": t.value() })))
        .collect();
    clean(json!({
        "StackId": st.stack_id(),
        "StackName": st.stack_name(),
        "Description": st.description(),
        "Parameters": parameters,
        "CreationTime": date(st.creation_time()),
        "LastUpdatedTime": date(st.last_updated_time()),
        "StackStatus": st.stack_status().map(|s| s.as_str()),
        "StackStatusReason": st.stack_status_reason(),
        "Outputs": outputs,
        "Tags": tags,
    }))
}
