//! What plugins ask of AWS through v3's provider: `provider.request(service, method, params)`
//! and `getServerlessDeploymentBucketName()`, answered with sls-rs's own clients in commands that
//! connect to AWS (`deploy`).
//!
//! v3 hands any call to the AWS SDK v2. sls-rs answers the calls plugins make around a deploy —
//! CloudFormation `describeStacks`, `describeStackResource`, `listStackResources`, STS
//! `getCallerIdentity`, S3 `listObjectsV2` — in the SDK v2's shape (PascalCase members, dates
//! as ISO 8601 strings, errors with the service's code and message). Any other call is an error
//! that names it, never a silent empty answer.

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::{DateTime, DateTimeFormat};
use serde_json::{json, Value};

use crate::deploy::Aws;

/// A failed call: the message, v2's error `code`, and the HTTP status when AWS answered
/// (plugins read it as `providerError.statusCode`: serverless-prune-plugin treats 404 as
/// "nothing deployed yet").
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: String,
    pub status: Option<u16>,
}

impl Failure {
    fn unsupported(service: &str, method: &str) -> Failure {
        Failure {
            message: format!(
                "sls-rs does not answer {service}.{method} for plugins yet (it answers CloudFormation describeStacks, describeStackResource and listStackResources, STS getCallerIdentity, S3 listObjectsV2, and Lambda listVersionsByFunction, listAliases, deleteFunction, listLayerVersions and deleteLayerVersion)"
            ),
            code: "SLS_RS_UNSUPPORTED_REQUEST".into(),
            status: None,
        }
    }

    fn bad_params(method: &str, what: &str) -> Failure {
        Failure {
            message: format!("{method} needs {what}"),
            code: "MissingParameter".into(),
            status: None,
        }
    }

    fn from_sdk<E: ProvideErrorMetadata + std::error::Error + 'static>(e: SdkError<E>) -> Failure {
        Failure {
            message: e.message().map(String::from).unwrap_or_else(|| {
                aws_sdk_cloudformation::error::DisplayErrorContext(&e).to_string()
            }),
            code: e.code().unwrap_or("UnknownError").to_string(),
            status: e.raw_response().map(|r| r.status().as_u16()),
        }
    }

    pub fn other(message: String, code: &str) -> Failure {
        Failure {
            message,
            code: code.into(),
            status: None,
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
            .map_err(|e| {
                Failure::other(format!("could not start the async runtime: {e}"), "SLS_RS")
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
        let provider = self.aws().config.credentials_provider().ok_or_else(|| {
            Failure::other(
                "no AWS credentials are configured".into(),
                "CredentialsError",
            )
        })?;
        let c = self.block(provider.provide_credentials()).map_err(|e| {
            Failure::other(
                format!("could not load AWS credentials: {e}"),
                "CredentialsError",
            )
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
            Ok(None) => Err(Failure::other(
                format!(
                    "stack {} has no deployment bucket yet (deploy the service first)",
                    self.stack
                ),
                "ValidationError",
            )),
            Err(e) => Err(Failure::other(e.to_string(), "UnknownError")),
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
            ("Lambda", _) => self.lambda(method, params),
            _ => Err(Failure::unsupported(service, method)),
        }
    }
}

impl Bridge {
    /// The Lambda calls plugins make after a deploy (serverless-prune-plugin): versions,
    /// aliases and layer versions listed one page at a time (`Marker`/`NextMarker`), and
    /// deleted.
    fn lambda(&self, method: &str, params: &Value) -> Result<Value, Failure> {
        let s = |k: &str| params[k].as_str().map(String::from);
        let need = |k: &str| s(k).ok_or_else(|| Failure::bad_params(method, k));
        let max = params["MaxItems"].as_i64().map(|n| n as i32);
        let client = aws_sdk_lambda::Client::new(&self.aws().config);
        match method {
            "listVersionsByFunction" => {
                let name = need("FunctionName")?;
                self.block(async {
                    let out = client
                        .list_versions_by_function()
                        .function_name(name)
                        .set_marker(s("Marker"))
                        .set_max_items(max)
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let versions: Vec<Value> = out
                        .versions()
                        .iter()
                        .map(|v| {
                            clean(json!({
                                "FunctionName": v.function_name(),
                                "FunctionArn": v.function_arn(),
                                "Version": v.version(),
                                "LastModified": v.last_modified(),
                                "CodeSha256": v.code_sha256(),
                                "Description": v.description(),
                            }))
                        })
                        .collect();
                    Ok(clean(
                        json!({ "Versions": versions, "NextMarker": out.next_marker() }),
                    ))
                })
            }
            "listAliases" => {
                let name = need("FunctionName")?;
                self.block(async {
                    let out = client
                        .list_aliases()
                        .function_name(name)
                        .set_function_version(s("FunctionVersion"))
                        .set_marker(s("Marker"))
                        .set_max_items(max)
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let aliases: Vec<Value> = out
                        .aliases()
                        .iter()
                        .map(|a| {
                            clean(json!({
                                "AliasArn": a.alias_arn(),
                                "Name": a.name(),
                                "FunctionVersion": a.function_version(),
                                "Description": a.description(),
                                "RevisionId": a.revision_id(),
                            }))
                        })
                        .collect();
                    Ok(clean(
                        json!({ "Aliases": aliases, "NextMarker": out.next_marker() }),
                    ))
                })
            }
            "deleteFunction" => {
                let name = need("FunctionName")?;
                self.block(async {
                    client
                        .delete_function()
                        .function_name(name)
                        .set_qualifier(s("Qualifier"))
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    Ok(json!({}))
                })
            }
            "listLayerVersions" => {
                let name = need("LayerName")?;
                self.block(async {
                    let out = client
                        .list_layer_versions()
                        .layer_name(name)
                        .set_marker(s("Marker"))
                        .set_max_items(max)
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let versions: Vec<Value> = out
                        .layer_versions()
                        .iter()
                        .map(|v| {
                            clean(json!({
                                "LayerVersionArn": v.layer_version_arn(),
                                "Version": v.version(),
                                "Description": v.description(),
                                "CreatedDate": v.created_date(),
                            }))
                        })
                        .collect();
                    Ok(clean(
                        json!({ "LayerVersions": versions, "NextMarker": out.next_marker() }),
                    ))
                })
            }
            "deleteLayerVersion" => {
                let name = need("LayerName")?;
                let version = params["VersionNumber"]
                    .as_i64()
                    .ok_or_else(|| Failure::bad_params(method, "VersionNumber"))?;
                self.block(async {
                    client
                        .delete_layer_version()
                        .layer_name(name)
                        .version_number(version)
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    Ok(json!({}))
                })
            }
            _ => Err(Failure::unsupported("Lambda", method)),
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
