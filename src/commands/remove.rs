//! `sls-rs remove`: empty the deployment bucket (every object version), delete the stack, wait,
//! remove the ECR repository built images went to, report, with the plugins' hooks around it. A stack that does not exist is a clean message
//! and exit 0.

use std::time::Duration;

use super::Ctx;
use crate::cli::RemoveArgs;
use crate::deploy::{bucket, stack};
use crate::error::Result;
use crate::plugins::lifecycle;
use crate::progress::Progress;

pub fn run(ctx: &Ctx, args: &RemoveArgs) -> Result<()> {
    let rt = super::deploy::runtime()?;
    let (aws, loaded) = super::deploy::connect_and_load(ctx, &rt)?;
    // The plugins' hooks around v3's `remove:remove` (serverless-s3-remover empties buckets
    // before the stack goes).
    let mut host = super::deploy::start_connected(ctx, &loaded, "remove", &aws, &rt)?;
    let loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    let service = &loaded.service;
    let events = |e: &[&str]| e.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    lifecycle::run_hooks(host.as_mut(), service, &events(&["before:remove:remove"]))?;
    remove_stack(ctx, args, &aws, &rt, service)?;
    lifecycle::run_hooks(
        host.as_mut(),
        service,
        &events(&["remove:remove", "after:remove:remove", "finalize"]),
    )
}

/// v3's core `remove:remove`.
fn remove_stack(
    ctx: &Ctx,
    args: &RemoveArgs,
    aws: &crate::deploy::Aws,
    rt: &tokio::runtime::Runtime,
    service: &crate::manifest::Service,
) -> Result<()> {
    let progress = Progress::new(ctx.global.quiet);
    let timeout = args.timeout.map(Duration::from_secs);
    let name = service.stack_name();
    rt.block_on(async {
        let Some(_) = stack::wait_until_idle(aws, &name, timeout, &progress).await? else {
            progress.line(&format!(
                "stack {name} does not exist in {}; nothing to remove",
                service.region
            ));
            return Ok(());
        };
        match service
            .provider
            .deployment_bucket
            .as_ref()
            .and_then(|b| b.name.clone())
        {
            Some(b) => {
                // A bucket the stack does not own: only this service's deployments go.
                let prefix = service.deployment_prefix();
                let n = bucket::empty(aws, &b, &prefix).await?;
                progress.line(&format!(
                    "deleted {n} object version{} under s3://{b}/{prefix}",
                    if n == 1 { "" } else { "s" }
                ));
            }
            None => {
                if let Some(b) = stack::physical_id(aws, &name, crate::naming::BUCKET_ID).await? {
                    let n = bucket::empty(aws, &b, "").await?;
                    progress.line(&format!(
                        "emptied deployment bucket {b} ({n} object version{})",
                        if n == 1 { "" } else { "s" }
                    ));
                }
            }
        }
        let base = stack::latest_event(aws, &name).await?;
        progress.line(&format!("deleting stack {name}"));
        stack::delete(aws, &name).await?;
        let settled = stack::follow(aws, &name, base, timeout, &progress).await?;
        if !settled.ok {
            return Err(stack::failed(&name, "Deletion", &settled));
        }
        // The repository built images were pushed to, as v3 removes it.
        if crate::package::images::remove_repository(aws, service).await? {
            progress.line(&format!(
                "removed ECR repository {}",
                crate::naming::ecr_repository_name(&service.name, &service.stage)
            ));
        }
        progress.line(&format!("removed {} (stack {name})", service.name));
        Ok(())
    })
}
