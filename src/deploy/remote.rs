//! `${ssm:…}`, `${cf:…}`, `${s3:…}` and `${aws:accountId}`: variables resolved through AWS.
//!
//! Lazy: a configuration without such variables never connects, so `print` and `package` stay
//! offline for it. The first lookup starts a small runtime of its own and loads the SDK
//! configuration; the resolver is synchronous and blocks on each lookup.

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use std::cell::OnceCell;

use serde_json::Value;

use crate::manifest::RemoteSource;

/// Where to connect: the region and profile, worked out only when a variable needs AWS.
pub type Target = Box<dyn Fn() -> (String, Option<String>)>;

pub struct Remote {
    target: Target,
    connected: OnceCell<Result<(tokio::runtime::Runtime, aws_config::SdkConfig), String>>,
}

impl Remote {
    pub fn new(target: Target) -> Self {
        Remote {
            target,
            connected: OnceCell::new(),
        }
    }
}

impl RemoteSource for Remote {
    fn resolve(
        &self,
        source: &str,
        params: &[String],
        address: &str,
    ) -> Result<Option<Value>, String> {
        let connected = self.connected.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let (region, profile) = (self.target)();
            let aws = rt.block_on(super::Aws::connect(&region, profile.as_deref()));
            // A variable lookup that cannot reach AWS should say so soon, not after a deploy's
            // patient retries.
            let config = aws
                .config
                .to_builder()
                .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
                .build();
            Ok((rt, config))
        });
        let (rt, config) = connected.as_ref().map_err(|e| e.clone())?;
        let config = config.clone();
        let source = source.to_string();
        let address = address.to_string();
        rt.block_on(async move {
            match source.as_str() {
                "ssm" => {
                    // `ssm(eu-west-1, raw):name`: a region and/or `raw` (no list splitting, no
                    // JSON parsing of Secrets Manager values), as v3 reads them.
                    let raw = params.iter().any(|p| p == "raw");
                    let name = address.trim_end_matches("~true");
                    let mut builder = aws_sdk_ssm::config::Builder::from(&config);
                    if let Some(region) = params.iter().find(|p| *p != "raw") {
                        builder = builder.region(aws_config::Region::new(region.clone()));
                    }
                    let ssm = aws_sdk_ssm::Client::from_conf(builder.build());
                    match ssm
                        .get_parameter()
                        .name(name)
                        .with_decryption(true)
                        .send()
                        .await
                    {
                        Ok(out) => {
                            let Some(p) = out.parameter() else {
                                return Ok(None);
                            };
                            let value = p.value().unwrap_or_default().to_string();
                            if raw {
                                return Ok(Some(Value::String(value)));
                            }
                            if name.starts_with("/aws/reference/secretsmanager/") {
                                if let Ok(parsed) = serde_json::from_str::<Value>(&value) {
                                    return Ok(Some(parsed));
                                }
                            }
                            if p.r#type().map(|t| t.as_str()) == Some("StringList") {
                                Ok(Some(Value::Array(
                                    value
                                        .split(',')
                                        .map(|s| Value::String(s.to_string()))
                                        .collect(),
                                )))
                            } else {
                                Ok(Some(Value::String(value)))
                            }
                        }
                        Err(e) if e.code() == Some("ParameterNotFound") => Ok(None),
                        Err(e) => Err(super::describe(&e)),
                    }
                }
                "cf" => {
                    // `stack.Output`; `cf(region):stack.Output` reads another region.
                    let Some((stack, output)) = address.split_once('.') else {
                        return Err(format!("`{address}` must be <stack>.<output>"));
                    };
                    let mut builder = aws_sdk_cloudformation::config::Builder::from(&config);
                    if let Some(r) = params.first() {
                        builder = builder.region(aws_config::Region::new(r.clone()));
                    }
                    let cfn = aws_sdk_cloudformation::Client::from_conf(builder.build());
                    match cfn.describe_stacks().stack_name(stack).send().await {
                        Ok(out) => Ok(out
                            .stacks()
                            .first()
                            .and_then(|s| {
                                s.outputs().iter().find(|o| o.output_key() == Some(output))
                            })
                            .and_then(|o| o.output_value())
                            .map(|v| Value::String(v.to_string()))),
                        Err(e) if super::describe(&e).contains("does not exist") => Ok(None),
                        Err(e) => Err(super::describe(&e)),
                    }
                }
                "s3" => {
                    let Some((bucket, key)) = address.split_once('/') else {
                        return Err(format!("`{address}` must be <bucket>/<key>"));
                    };
                    let s3 = aws_sdk_s3::Client::from_conf(
                        aws_sdk_s3::config::Builder::from(&config)
                            .force_path_style(std::env::var("AWS_ENDPOINT_URL").is_ok())
                            .build(),
                    );
                    match s3.get_object().bucket(bucket).key(key).send().await {
                        Ok(out) => {
                            let bytes = out
                                .body
                                .collect()
                                .await
                                .map_err(|e| e.to_string())?
                                .into_bytes();
                            Ok(Some(Value::String(
                                String::from_utf8_lossy(&bytes).to_string(),
                            )))
                        }
                        Err(e)
                            if e.code() == Some("NoSuchKey")
                                || e.code() == Some("NoSuchBucket") =>
                        {
                            Ok(None)
                        }
                        Err(e) => Err(super::describe(&e)),
                    }
                }
                "aws" if address == "accountId" => {
                    let sts = aws_sdk_sts::Client::new(&config);
                    let out = sts
                        .get_caller_identity()
                        .send()
                        .await
                        .map_err(|e| super::describe(&e))?;
                    Ok(out.account().map(|a| Value::String(a.to_string())))
                }
                other => Err(format!(
                    "`{other}` is not a source sls-rs resolves through AWS"
                )),
            }
        })
    }
}
