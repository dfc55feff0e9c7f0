//! `sls-rs rollback --timestamp T`: deploys an earlier deployment (one `deploy list` shows) again.
//!
//! v3 points the stack at the old directory's template. sls-rs makes the old deployment the
//! newest one: its files go into a new deployment directory (zips copied inside S3, the
//! template and state with the directory and time renamed, so a REST API is redeployed too),
//! and the stack is updated from there through the normal path, with progress and failure
//! reasons. So the next `deploy` compares with what is deployed, not with what was rolled back
//! from (after v3's rollback, deploying the newer code again says "no changes").

use std::collections::BTreeMap;
use std::time::Duration;

use super::deploy::{connect_and_load, runtime};
use super::Ctx;
use crate::cli::RollbackArgs;
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
    let sse = service
        .provider
        .deployment_bucket
        .as_ref()
        .map(|b| b.encryption.clone())
        .unwrap_or_default();
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
        let bucket = match service.provider.custom_bucket() {
            Some(b) => b,
            None => stack::physical_id(&aws, &name, crate::naming::BUCKET_ID)
                .await?
                .ok_or_else(|| Error::failed(format!("stack {name} has no deployment bucket")))?,
        };
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
        let Some(old) = dirs.iter().find(|d| &stamp_of(d) == ts) else {
            let known: Vec<String> = dirs.iter().map(|d| stamp_of(d)).collect();
            return Err(Error::failed_with_hint(
                format!("no deployment with timestamp {ts} is in the bucket"),
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
