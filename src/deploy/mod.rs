//! The last stage: a package → AWS. The only module that talks to the network.
//!
//! `Aws` holds the SDK clients, built from the SDK's standard chain (environment, shared
//! profiles, `--aws-profile`, SSO, instance roles). `AWS_ENDPOINT_URL` (and the per-service
//! `AWS_ENDPOINT_URL_S3`, …) is honoured by the SDK itself; with an endpoint set, S3 uses
//! path-style addressing, which local endpoints need. Throttling and transient errors are
//! retried with exponential backoff by the SDK's standard retry strategy.

pub mod bucket;
pub mod partition;
pub mod remote;
pub mod stack;
pub mod update;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;

use crate::error::Error;

/// How many requests of one kind are in flight at once: enough to hide the latency, few enough
/// to stay under an account's API rate limits (CloudFormation throttles its Describe calls per
/// account and region, and other tools share them).
pub const IN_FLIGHT: usize = 8;

/// Runs `tasks` with at most [`IN_FLIGHT`] at once; the results in their order.
pub async fn bounded<F: std::future::Future>(tasks: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    use futures::stream::StreamExt;
    futures::stream::iter(tasks)
        .buffered(IN_FLIGHT)
        .collect()
        .await
}

/// How many attempts a throttled or failed request gets, with exponential backoff between them.
const MAX_ATTEMPTS: u32 = 8;

#[derive(Clone)]
pub struct Aws {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub config: aws_config::SdkConfig,
    pub region: String,
    /// Set when a custom endpoint is used (local AWS in tests).
    pub endpoint: Option<String>,
}

/// Whether an endpoint override is in the environment.
fn endpoint_from_env() -> Option<String> {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

impl Aws {
    pub async fn connect(region: &str, profile: Option<&str>) -> Aws {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(20)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .read_timeout(Duration::from_secs(120))
                    .build(),
            );
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        let config = loader.load().await;
        let endpoint = endpoint_from_env();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(endpoint.is_some())
            .build();
        Aws {
            cfn: aws_sdk_cloudformation::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            region: region.to_string(),
            endpoint,
            config,
        }
    }
}

/// An SDK error as a message a user can act on: AWS's code and message, never a debug dump.
/// When AWS gave no message, the answer's HTTP status, error code and request ID are what there
/// is to go on, so they are named.
pub fn describe<E>(e: &aws_sdk_cloudformation::error::SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_cloudformation::error::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message().filter(|m| !m.trim().is_empty())) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (None, Some(m)) => m.to_string(),
                (code, None) => {
                    let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
                    format!(
                        "AWS answered HTTP {}{code} with no message{}",
                        s.raw().status().as_u16(),
                        request_id(e)
                    )
                }
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".into(),
        SdkError::DispatchFailure(d) => {
            if d.is_io() {
                "could not reach AWS (connection failed)".into()
            } else if d.is_timeout() {
                "could not reach AWS (timed out)".into()
            } else {
                let mut msg = String::from("could not send the request");
                let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
                while let Some(s) = src {
                    msg = format!("{msg}: {s}");
                    src = s.source();
                }
                msg
            }
        }
        SdkError::ResponseError(r) => format!(
            "AWS sent a response sls-rs could not read (HTTP {}){}",
            r.raw().status().as_u16(),
            request_id(e)
        ),
        SdkError::ConstructionFailure(_) => {
            "could not build the request (check credentials and region)".into()
        }
        _ => e.to_string(),
    }
}

/// ` (request ID …)` from the answer's `x-amzn-RequestId` (or S3's `x-amz-request-id`)
/// header, or nothing when AWS sent none.
fn request_id<E>(e: &aws_sdk_cloudformation::error::SdkError<E>) -> String {
    use aws_sdk_cloudformation::operation::RequestId;
    e.request_id()
        .filter(|id| !id.is_empty())
        .map(|id| format!(" (request ID {id})"))
        .unwrap_or_default()
}

/// The `code` of an SDK error, for deciding what to do about it.
pub fn code<E: ProvideErrorMetadata>(
    e: &aws_sdk_cloudformation::error::SdkError<E>,
) -> Option<String> {
    e.as_service_error()
        .and_then(|s| s.code())
        .map(String::from)
}

pub fn aws_error<E>(action: &str, e: &aws_sdk_cloudformation::error::SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let msg = describe(e);
    let hint = if msg.contains("credentials")
        || msg.contains("ExpiredToken")
        || msg.contains("InvalidClientTokenId")
        || msg.contains("could not build")
    {
        "check your AWS credentials (AWS_PROFILE / --aws-profile, or aws sso login) and region"
    } else if msg.contains("AccessDenied") {
        "your credentials are not allowed to do this; check the IAM policy of the deploying role"
    } else if msg.contains("could not reach") {
        "check your network connection and AWS_ENDPOINT_URL if you set one"
    } else if msg.contains("with no message") || msg.contains("could not read") {
        "AWS gave no reason; try again, and if it persists, look the request up in CloudTrail or give its ID to AWS Support"
    } else {
        "see AWS's message above"
    };
    Error::failed_with_hint(format!("{action} failed: {msg}"), hint)
}
