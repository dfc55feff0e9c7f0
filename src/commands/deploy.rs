//! `sls-rs deploy`: v3's sequence (COMPILE-RULES.md, "Deploy sequence"), with what hurts v3's
//! users fixed: blocked runtimes refused before anything is uploaded, "no changes" detected
//! with the timestamps normalised away, unchanged zips copied inside S3 rather than sent again,
//! and a failed update reported as the resource that failed and AWS's reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{info, Ctx};
use crate::cli::DeployArgs;
use crate::deploy::bucket::{self, Content, Upload};
use crate::deploy::stack::{self, Body};
use crate::deploy::Aws;
use crate::error::{Error, Result};
use crate::manifest::runtimes::{self, Status};
use crate::manifest::service::DeploymentMethod;
use crate::manifest::{Loaded, Service};
use crate::package;
use crate::plan::{self, Plan};
use crate::progress::Progress;

/// CloudFormation takes templates up to this size inline; larger ones go by S3 URL.
const INLINE_TEMPLATE_BYTES: usize = 51_200;
pub const TEMPLATE_OBJECT: &str = "compiled-cloudformation-template.json";

/// A package ready to deploy: built now, or read from `--package DIR`.
pub struct Prepared {
    pub plan: Plan,
    pub state: Value,
    /// Zip name, path, hex sha256.
    pub zips: Vec<(String, PathBuf, String)>,
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::failed(format!("could not start the async runtime: {e}")))
}

/// Loads the service (variables that need AWS resolve through it) and connects to the
/// service's region with its profile.
pub fn connect_and_load(ctx: &Ctx, rt: &tokio::runtime::Runtime) -> Result<(Aws, Loaded)> {
    let loaded = ctx.load()?;
    let profile = ctx
        .global
        .aws_profile
        .clone()
        .or_else(|| loaded.service.provider.profile.clone());
    let aws = rt.block_on(Aws::connect(&loaded.service.region, profile.as_deref()));
    Ok((aws, loaded))
}

/// Runtimes AWS no longer accepts, refused before anything is uploaded.
pub fn check_runtimes(service: &Service) -> Result<()> {
    let today = runtimes::today();
    let mut diags = Vec::new();
    for f in service.functions.values() {
        if f.image.is_some() {
            continue;
        }
        let (rt, path) = match &f.runtime {
            Some(r) => (
                r.clone(),
                crate::error::KeyPath::root()
                    .key("functions")
                    .key(f.key.clone())
                    .key("runtime"),
            ),
            None => (
                service
                    .provider
                    .runtime
                    .clone()
                    .unwrap_or_else(|| runtimes::DEFAULT.into()),
                crate::error::KeyPath::parse_dotted("provider.runtime"),
            ),
        };
        if let Some(r) = runtimes::find(&rt) {
            if r.status(&today) == Status::Blocked {
                diags.push(
                    crate::error::Diagnostic::error(format!(
                        "function `{}` uses runtime `{rt}`, which AWS stopped accepting on {}",
                        f.key, r.update_block
                    ))
                    .at(&path)
                    .hint(format!("move to `{}`; nothing was uploaded", r.successor)),
                );
            }
        }
    }
    diags.dedup_by(|a, b| {
        a.path == b.path
            && a.path
                .as_ref()
                .is_some_and(|p| p.to_string() == "provider.runtime")
    });
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(diags))
    }
}

pub fn run(ctx: &Ctx, args: &DeployArgs) -> Result<()> {
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    check_runtimes(service).map_err(|e| loaded.locate(e))?;
    let progress = Progress::new(ctx.global.quiet);
    let started = Instant::now();
    let prepared = match &args.package {
        Some(dir) => from_dir(service, dir)?,
        None => {
            let out = service.dir.join(".serverless");
            let (plan, built) = super::package::package_into(service, &out, &progress)
                .map_err(|e| loaded.locate(e))?;
            let state = package::state(service, &plan, &built);
            let zips = built
                .iter()
                .filter_map(|b| {
                    b.path
                        .clone()
                        .map(|p| (b.artifact.name.clone(), p, b.artifact.sha256_hex.clone()))
                })
                .collect();
            Prepared { plan, state, zips }
        }
    };
    let deployed = rt.block_on(deploy(&aws, service, &prepared, args, &progress))?;
    if deployed {
        progress.line(&format!(
            "deployed {} to stack {} in {:.1} s",
            service.name,
            service.stack_name(),
            started.elapsed().as_secs_f64()
        ));
    }
    if !ctx.global.quiet {
        let summary = rt.block_on(info::gather(&aws, service))?;
        eprint!("{}", info::render(&summary));
    }
    Ok(())
}

/// Reads a package written by `sls-rs package --package DIR`.
pub fn from_dir(service: &Service, dir: &Path) -> Result<Prepared> {
    let read = |name: &str| -> Result<Value> {
        let p = dir.join(name);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::failed(format!("{} is not valid JSON: {e}", p.display())))
    };
    let state = read(package::STATE_FILE)?;
    let packaged_for = (
        state["service"]["service"].as_str(),
        state["service"]["provider"]["stage"].as_str(),
    );
    if packaged_for != (Some(service.name.as_str()), Some(service.stage.as_str())) {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for {:?} stage {:?}, not {} stage {}",
                dir.display(),
                packaged_for.0.unwrap_or("?"),
                packaged_for.1.unwrap_or("?"),
                service.name,
                service.stage
            ),
            "package again with the same --stage, or deploy without --package",
        ));
    }
    let update = read(package::UPDATE_TEMPLATE)?;
    let create = if dir.join(package::CREATE_TEMPLATE).is_file() {
        Some(read(package::CREATE_TEMPLATE)?)
    } else {
        None
    };
    let directory = state["package"]["artifactDirectoryName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut zips = Vec::new();
    for a in state["artifacts"].as_array().into_iter().flatten() {
        let name = a["name"].as_str().unwrap_or_default().to_string();
        let path = dir.join(&name);
        if !path.is_file() {
            return Err(Error::failed_with_hint(
                format!("{} lists {name}, which is missing", dir.display()),
                "package again",
            ));
        }
        zips.push((
            name,
            path,
            a["sha256"].as_str().unwrap_or_default().to_string(),
        ));
    }
    Ok(Prepared {
        plan: Plan {
            create,
            update,
            directory,
        },
        state,
        zips,
    })
}

/// A template or state with this deployment's timestamps taken out, so two deployments of the
/// same service and code compare equal (v3 fails at this for services with API keys).
pub fn normalized_sha(text: &str, directory: &str) -> String {
    let stamp = directory
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split('-')
        .next()
        .unwrap_or("");
    let mut t = text.replace(directory, "<deployment>");
    if stamp.len() >= 10 {
        t = t.replace(stamp, "<timestamp>");
    }
    package::archive::sha256(t.as_bytes())
        .map(|(_, hex)| hex)
        .unwrap_or_default()
}

/// Deploys; `Ok(false)` when there was nothing to deploy.
async fn deploy(
    aws: &Aws,
    service: &Service,
    p: &Prepared,
    args: &DeployArgs,
    progress: &Progress,
) -> Result<bool> {
    let name = service.stack_name();
    let timeout = args.timeout.map(Duration::from_secs);
    let opts = stack::StackOptions::of(service);

    let mut existing = stack::wait_until_idle(aws, &name, timeout, progress).await?;
    if let Some(s) = &existing {
        match stack::status(s).as_str() {
            "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
                progress.line(&format!(
                    "stack {name} is {} after a failed create; deleting it and creating it again",
                    stack::status(s)
                ));
                let base = stack::latest_event(aws, &name).await?;
                stack::delete(aws, &name).await?;
                let settled = stack::follow(aws, &name, base, timeout, progress).await?;
                if !settled.ok {
                    return Err(stack::failed(&name, "Deletion", &settled));
                }
                existing = None;
            }
            "REVIEW_IN_PROGRESS"
                if s.creation_time().is_some()
                    && stack::resources(aws, &name).await?.is_empty() =>
            {
                progress.line(&format!("stack {name} is an empty REVIEW_IN_PROGRESS stack left by an unexecuted change set; removing it"));
                stack::delete(aws, &name).await?;
                existing = None;
            }
            "UPDATE_ROLLBACK_FAILED" => {
                return Err(Error::failed_with_hint(
                    format!("stack {name} is UPDATE_ROLLBACK_FAILED: a rollback could not finish, and CloudFormation accepts no update until it does"),
                    format!("fix what the rollback tripped on (see `aws cloudformation describe-stack-events --stack-name {name}`), then run `aws cloudformation continue-update-rollback --stack-name {name}` and deploy again"),
                ));
            }
            st @ ("DELETE_FAILED" | "CREATE_FAILED") => {
                return Err(Error::failed_with_hint(format!("stack {name} is {st}"), format!("inspect it with `aws cloudformation describe-stack-events --stack-name {name}`, then remove it (sls-rs remove) and deploy again")));
            }
            _ => {}
        }
    }
    let created_now = existing.is_none();
    let custom_bucket = service
        .provider
        .deployment_bucket
        .as_ref()
        .and_then(|b| b.name.clone());
    let mut create_full_stack = false;
    if existing.is_none() {
        match &p.plan.create {
            Some(create) => {
                progress.line(&format!("creating stack {name}"));
                stack::create(aws, &name, &Body::Inline(plan::render(create)), &opts).await?;
                let settled = stack::follow(aws, &name, None, timeout, progress).await?;
                if !settled.ok {
                    return Err(stack::failed(&name, "Creation", &settled));
                }
            }
            None => create_full_stack = true,
        }
    }
    let bucket = match &custom_bucket {
        Some(b) => b.clone(),
        None => stack::physical_id(aws, &name, crate::naming::BUCKET_ID)
            .await?
            .ok_or_else(|| Error::failed_with_hint(format!("stack {name} has no deployment bucket"), "the stack was not created by sls-rs or v3; remove it or name a bucket with provider.deploymentBucket"))?,
    };
    let prefix = format!(
        "{}/{}/{}/",
        service.provider.deployment_prefix, service.name, service.stage
    );
    let template_text = plan::render(&p.plan.update);
    let state_text = plan::render(&p.state);
    let mut local: BTreeMap<String, String> = BTreeMap::new();
    local.insert(
        TEMPLATE_OBJECT.into(),
        normalized_sha(&template_text, &p.plan.directory),
    );
    local.insert(
        package::STATE_FILE.into(),
        normalized_sha(&state_text, &p.plan.directory),
    );
    for (n, _, sha) in &p.zips {
        local.insert(n.clone(), sha.clone());
    }
    let dirs = bucket::deployment_dirs(aws, &bucket, &prefix).await?;
    let previous = match dirs.last() {
        Some(d) => Some((d.clone(), bucket::hashes(aws, &bucket, d).await?)),
        None => None,
    };
    if !args.force && !created_now {
        if let Some((_, prev)) = &previous {
            if prev == &local {
                progress.line("No changes to deploy: the template and every artifact equal the last deployment (use --force to deploy anyway)");
                return Ok(false);
            }
        }
    }
    let mut uploads = vec![
        Upload {
            name: TEMPLATE_OBJECT.into(),
            content: Content::Bytes(template_text.clone().into_bytes()),
            sha256: local[TEMPLATE_OBJECT].clone(),
            content_type: "application/json",
        },
        Upload {
            name: package::STATE_FILE.into(),
            content: Content::Bytes(state_text.into_bytes()),
            sha256: local[package::STATE_FILE].clone(),
            content_type: "application/json",
        },
    ];
    for (n, path, sha) in &p.zips {
        uploads.push(Upload {
            name: n.clone(),
            content: Content::File(path.clone()),
            sha256: sha.clone(),
            content_type: "application/zip",
        });
    }
    let (sent, copied) = bucket::upload(
        aws,
        &bucket,
        &p.plan.directory,
        uploads,
        previous.as_ref().map(|(d, h)| (d.as_str(), h)),
    )
    .await?;
    progress.line(&format!(
        "uploaded {sent} file{} to s3://{bucket}/{}{}",
        if sent == 1 { "" } else { "s" },
        p.plan.directory,
        if copied > 0 {
            format!(" ({copied} unchanged, copied in S3)")
        } else {
            String::new()
        }
    ));

    let body = if template_text.len() <= INLINE_TEMPLATE_BYTES {
        Body::Inline(template_text.clone())
    } else {
        Body::Url(bucket::object_url(
            aws,
            &bucket,
            &format!("{}/{TEMPLATE_OBJECT}", p.plan.directory),
        ))
    };
    let base = stack::latest_event(aws, &name).await?;
    let changed = if create_full_stack {
        progress.line(&format!("creating stack {name}"));
        stack::create(aws, &name, &body, &opts).await?;
        true
    } else {
        progress.line(&format!("updating stack {name}"));
        match service.provider.deployment_method {
            DeploymentMethod::ChangeSets => {
                stack::update_with_change_set(aws, &name, &body, &opts).await?
            }
            DeploymentMethod::Direct => stack::update_direct(aws, &name, &body, &opts).await?,
        }
    };
    if changed {
        let settled = stack::follow(aws, &name, base, timeout, progress).await?;
        if !settled.ok {
            return Err(stack::failed(
                &name,
                if create_full_stack {
                    "Creation"
                } else {
                    "Update"
                },
                &settled,
            ));
        }
    } else {
        progress.line("CloudFormation found nothing to change in the stack");
    }
    let removed = bucket::prune(aws, &bucket, &prefix).await?;
    if removed > 0 {
        progress.line(&format!(
            "removed {removed} old deployment{} from the bucket (keeping {})",
            if removed == 1 { "" } else { "s" },
            bucket::KEEP
        ));
    }
    Ok(true)
}
