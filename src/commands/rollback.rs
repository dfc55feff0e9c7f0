//! `sls-rs rollback --timestamp T`: deploys an earlier deployment (one `deploy list` shows) again.
//!
//! v3 points the stack at the old directory's template. sls-rs makes the old deployment the
//! newest one: its files go into a new deployment directory (zips copied inside S3, the
//! template and state with the directory and time renamed, so a REST API is redeployed too),
//! and the stack is updated from there through the normal path, with progress and failure
//! reasons. So the next `deploy` compares with what is deployed, not with what was rolled back
//! from (after v3's rollback, deploying the newer code again says "no changes").
//!
//! `sls-rs rollback function -f NAME --function-version V` gives the function the code of its
//! published version V again, through `UpdateFunctionCode`, as v3 does. The code comes from the
//! deployment in the bucket that uploaded it (matched by Lambda's `CodeSha256`), so no zip is
//! downloaded and no size limit applies; a version whose deployment was pruned is refused with
//! the way out.

use std::collections::BTreeMap;
use std::time::Duration;

use super::deploy::{connect_and_load, runtime};
use super::deploy_function::configuration;
use super::Ctx;
use crate::cli::{RollbackArgs, RollbackFunctionArgs};
use crate::deploy::bucket::{self, Content, Upload};
use crate::deploy::stack::{self, Body, StackOptions};
use crate::deploy::update::{normalized_sha, INLINE_TEMPLATE_BYTES, TEMPLATE_OBJECT};
use crate::error::{Error, Result};
use crate::plan::Deployment;
use crate::progress::Progress;

pub fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let Some(ts) = &args.timestamp else {
        return Err(Error::Usage(
            "rollback needs the deployment: --timestamp T (see `sls-rs deploy list`)".into(),
        ));
    };
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let progress = Progress::new(ctx.global.quiet);
    let name = service.stack_name();
    let timeout = args.timeout.map(Duration::from_secs);
    let sse = service.provider.upload_encryption();
    if sse.customer() {
        return Err(Error::failed_with_hint(
            "rollback copies the deployment's files inside S3, which customer-provided encryption keys (SSE-C) do not allow",
            "deploy the earlier code with `sls-rs deploy` instead",
        ));
    }
    rt.block_on(async {
        if stack::wait_until_idle(&aws, &name, timeout, &progress)
            .await?
            .is_none()
        {
            return Err(Error::failed_with_hint(
                format!("stack {name} does not exist in {}", service.region),
                "there is nothing to roll back; deploy it with `sls-rs deploy`",
            ));
        }
        let bucket = bucket::of_service(&aws, service).await?;
        let prefix = service.deployment_prefix();
        let dirs = bucket::deployment_dirs(&aws, &bucket, &prefix).await?;
        let stamp_of = |d: &str| {
            d.rsplit('/')
                .next()
                .unwrap_or_default()
                .split('-')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        // A timestamp as `deploy list` prints it, or a position in that list: 1 is the oldest,
        // -1 the newest (timestamps have 13 digits, positions a few).
        let by_position = || {
            let n: i64 = ts.parse().ok()?;
            let k = usize::try_from(n.unsigned_abs()).ok()?;
            if n == 0 || k > dirs.len() {
                return None;
            }
            dirs.get(if n > 0 { k - 1 } else { dirs.len() - k })
        };
        let found = dirs
            .iter()
            .find(|d| &stamp_of(d) == ts)
            .or_else(by_position);
        let Some(old) = found else {
            let known: Vec<String> = dirs.iter().map(|d| stamp_of(d)).collect();
            return Err(Error::failed_with_hint(
                format!("no deployment with timestamp {ts} (or at that position) is in the bucket"),
                if known.is_empty() {
                    "the bucket has no deployments".to_string()
                } else {
                    format!(
                        "its deployments are {} (`sls-rs deploy list` shows them)",
                        known.join(", ")
                    )
                },
            ));
        };
        let ts = &stamp_of(old);
        let now = crate::clock::now_ms();
        let new = Deployment { timestamp_ms: now }.directory(service);
        let renamed = |text: String| {
            text.replace(old.as_str(), &new)
                .replace(&stamp_of(old), &now.to_string())
        };
        let template =
            renamed(bucket::read_text(&aws, &bucket, &format!("{old}/{TEMPLATE_OBJECT}")).await?);
        let hashes: BTreeMap<String, String> = bucket::hashes(&aws, &bucket, old).await?;
        let mut uploads = Vec::new();
        for (file, sha) in &hashes {
            if file == TEMPLATE_OBJECT {
                continue;
            }
            if file == crate::package::STATE_FILE {
                let state =
                    renamed(bucket::read_text(&aws, &bucket, &format!("{old}/{file}")).await?);
                uploads.push(Upload {
                    name: file.clone(),
                    sha256: normalized_sha(&state, &new),
                    content: Content::Bytes(state.into_bytes()),
                    content_type: "application/json",
                    copyable: false,
                });
                continue;
            }
            // Zips and plugins' files: the same bytes, copied inside S3.
            uploads.push(Upload {
                name: file.clone(),
                sha256: sha.clone(),
                content: Content::Bytes(Vec::new()),
                content_type: "application/octet-stream",
                copyable: true,
            });
        }
        uploads.push(Upload {
            name: TEMPLATE_OBJECT.into(),
            sha256: normalized_sha(&template, &new),
            content: Content::Bytes(template.clone().into_bytes()),
            content_type: "application/json",
            copyable: false,
        });
        bucket::upload(
            &aws,
            &bucket,
            &new,
            uploads,
            Some((old.as_str(), &hashes)),
            &sse,
        )
        .await?;
        progress.line(&format!(
            "rolling back {name} to the deployment of {ts} (as {new})"
        ));
        let body = if template.len() <= INLINE_TEMPLATE_BYTES {
            Body::Inline(template)
        } else {
            Body::Url(bucket::object_url(
                &aws,
                &bucket,
                &format!("{new}/{TEMPLATE_OBJECT}"),
            ))
        };
        let opts = StackOptions::of(service);
        let base = stack::latest_event(&aws, &name).await?;
        let changed = stack::update_with_change_set(&aws, &name, &body, &opts).await?;
        if changed {
            let settled = stack::follow(&aws, &name, base, timeout, &progress).await?;
            if !settled.ok {
                return Err(stack::failed(&name, "Rollback", &settled));
            }
        }
        progress.line(&format!("rolled back {name} to the deployment of {ts}"));
        bucket::prune(&aws, &bucket, &prefix, bucket::kept(service)).await?;
        Ok(())
    })
}

pub fn function(ctx: &Ctx, args: &RollbackFunctionArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let f = super::function(service, &args.function)?;
    let version = &args.function_version;
    let progress = Progress::new(ctx.global.quiet);
    let lambda = aws_sdk_lambda::Client::new(&aws.config);
    rt.block_on(async {
        let wanted = configuration(&lambda, &f.name, Some(version), || {
            Error::failed_with_hint(
                format!(
                    "function `{}` ({}) has no version {version:?}",
                    args.function, f.name
                ),
                "`sls-rs deploy list functions` lists its published versions",
            )
        })
        .await?;
        let sha = wanted.code_sha256().unwrap_or_default().to_string();
        // The bucket's metadata holds the hex digest; Lambda gives base64.
        let sha_hex: String = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(&sha)
                .unwrap_or_default()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let current = configuration(&lambda, &f.name, None, || {
            Error::failed_with_hint(
                format!("function {} is not deployed in {}", f.name, service.region),
                "deploy the service first with `sls-rs deploy`, or check --stage and --region",
            )
        })
        .await?;
        if current.code_sha256() == Some(sha.as_str()) {
            progress.line(&format!(
                "function {} ({}) already runs the code of version {version}; nothing changed",
                args.function, f.name
            ));
            return Ok(());
        }
        let bucket = bucket::of_service(&aws, service).await?;
        let prefix = service.deployment_prefix();
        let mut found = None;
        for dir in bucket::deployment_dirs(&aws, &bucket, &prefix).await?.iter().rev() {
            let hashes = bucket::hashes(&aws, &bucket, dir).await?;
            if let Some((file, _)) = hashes
                .iter()
                .find(|(file, h)| **h == sha_hex && file.ends_with(".zip"))
            {
                found = Some(format!("{dir}/{file}"));
                break;
            }
        }
        let Some(key) = found else {
            return Err(Error::failed_with_hint(
                format!(
                    "the code of version {version} of `{}` is in none of the deployments kept in bucket {bucket}",
                    args.function
                ),
                format!(
                    "sls-rs keeps the last {} deployments (`deploymentBucket.maxPreviousDeploymentArtifacts`); deploy that code again from its source with `sls-rs deploy function -f {}`",
                    bucket::kept(service),
                    args.function
                ),
            ));
        };
        progress.line(&format!(
            "rolling back function {} ({}) to version {version} (s3://{bucket}/{key})",
            args.function, f.name
        ));
        lambda
            .update_function_code()
            .function_name(&f.name)
            .s3_bucket(&bucket)
            .s3_key(&key)
            .send()
            .await
            .map_err(|e| crate::deploy::aws_error("UpdateFunctionCode", &e))?;
        super::deploy_function::settle(&lambda, &f.name, "the code").await?;
        progress.line(&format!(
            "rolled back function {} to version {version} in {} ms",
            args.function,
            started.elapsed().as_millis()
        ));
        Ok(())
    })
}
