//! The deploy sequence against AWS, after the package is ready: stack state, upload, create
//! or update, follow, prune. It returns what happened as an [`Outcome`]; the command says it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::bucket::{self, Content, Upload};
use super::stack::{self, Body};
use super::Aws;
use crate::error::{Error, Result};
use crate::manifest::service::DeploymentMethod;
use crate::manifest::Service;
use crate::package::{self, prepared::Prepared};
use crate::plan;
use crate::progress::Progress;

/// CloudFormation takes templates up to this size inline; larger ones go by S3 URL.
pub const INLINE_TEMPLATE_BYTES: usize = 51_200;
pub const TEMPLATE_OBJECT: &str = "compiled-cloudformation-template.json";

/// What a deploy did, for the command to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The template and every artifact equal the last deployment's: nothing was uploaded.
    NoChanges,
    /// Uploaded, and CloudFormation created or updated the stack.
    Deployed,
    /// Uploaded, but CloudFormation found nothing to change in the stack.
    StackUnchanged,
}

/// How a deploy runs: `--force`, `--timeout`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    pub force: bool,
    pub timeout: Option<Duration>,
}

/// v3's steps of a deploy (`aws:deploy:deploy:*`), around which plugins' hooks run.
pub const STEPS: &[&str] = &[
    "aws:deploy:deploy:createStack",
    "aws:deploy:deploy:checkForChanges",
    "aws:deploy:deploy:uploadArtifacts",
    "aws:deploy:deploy:validateTemplate",
    "aws:deploy:deploy:updateStack",
];

/// Runs the plugins' hooks of these events (`before:`/`after:` prefixed as given); the deploy
/// goes on when it returns `Ok`.
pub type Hook<'h> = &'h mut dyn FnMut(&[String]) -> Result<()>;

/// `E` and `after:E` for the step `E`, then `before:` the next one.
fn step_events(done: Option<&str>, next: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = done {
        out.push(d.to_string());
        out.push(format!("after:{d}"));
    }
    if let Some(n) = next {
        out.push(format!("before:{n}"));
    }
    out
}

/// Deploys a prepared package: v3's sequence (create the stack with its bucket if needed,
/// upload, update, prune), skipping everything when nothing changed. `hook` runs the plugins'
/// hooks of v3's steps (`aws:deploy:deploy:*`) where v3 runs them, after sls-rs's own work of
/// each step; when nothing changed the steps after `checkForChanges` do not happen.
pub async fn deploy(
    aws: &Aws,
    service: &Service,
    p: &Prepared,
    settings: Settings,
    progress: &Progress,
    hook: Hook<'_>,
) -> Result<Outcome> {
    let name = service.stack_name();
    let timeout = settings.timeout;
    let opts = stack::StackOptions::of(service);
    hook(&step_events(None, Some(STEPS[0])))?;

    let existing = stack::ready_for_deploy(aws, &name, timeout, progress).await?;
    let created_now = existing.is_none();
    let custom_bucket = service.provider.custom_bucket();
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
    hook(&step_events(Some(STEPS[0]), Some(STEPS[1])))?;
    let prefix = service.deployment_prefix();
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
    for (n, _, sha) in p.zips.iter().chain(&p.plugin_files) {
        local.insert(n.clone(), sha.clone());
    }
    let dirs = bucket::deployment_dirs(aws, &bucket, &prefix).await?;
    let previous = match dirs.last() {
        Some(d) => Some((d.clone(), bucket::hashes(aws, &bucket, d).await?)),
        None => None,
    };
    if !settings.force && !created_now {
        if let Some((_, prev)) = &previous {
            if prev == &local {
                hook(&step_events(Some(STEPS[1]), None))?;
                return Ok(Outcome::NoChanges);
            }
        }
    }
    hook(&step_events(Some(STEPS[1]), Some(STEPS[2])))?;
    let mut uploads = vec![
        Upload {
            name: TEMPLATE_OBJECT.into(),
            content: Content::Bytes(template_text.clone().into_bytes()),
            sha256: local[TEMPLATE_OBJECT].clone(),
            content_type: "application/json",
            copyable: false,
        },
        Upload {
            name: package::STATE_FILE.into(),
            content: Content::Bytes(state_text.into_bytes()),
            sha256: local[package::STATE_FILE].clone(),
            content_type: "application/json",
            copyable: false,
        },
    ];
    for (n, path, sha) in &p.zips {
        uploads.push(Upload {
            name: n.clone(),
            content: Content::File(path.clone()),
            sha256: sha.clone(),
            content_type: "application/zip",
            copyable: true,
        });
    }
    // Files plugins wrote into the package go beside it (split-stacks' nested templates, where
    // their stacks' URLs point).
    for (n, path, sha) in &p.plugin_files {
        uploads.push(Upload {
            name: n.clone(),
            content: Content::File(path.clone()),
            sha256: sha.clone(),
            content_type: if n.ends_with(".json") {
                "application/json"
            } else {
                "application/octet-stream"
            },
            copyable: false,
        });
    }
    let (sent, copied) = bucket::upload(
        aws,
        &bucket,
        &p.plan.directory,
        uploads,
        previous.as_ref().map(|(d, h)| (d.as_str(), h)),
        &service.provider.upload_encryption(),
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

    let mut validate = step_events(Some(STEPS[2]), Some(STEPS[3]));
    validate.extend(step_events(Some(STEPS[3]), Some(STEPS[4])));
    hook(&validate)?;
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
    }
    hook(&step_events(Some(STEPS[4]), None))?;
    let keep = bucket::kept(service);
    let removed = bucket::prune(aws, &bucket, &prefix, keep).await?;
    if removed > 0 {
        progress.line(&format!(
            "removed {removed} old deployment{} from the bucket (keeping {keep})",
            if removed == 1 { "" } else { "s" },
        ));
    }
    Ok(if changed {
        Outcome::Deployed
    } else {
        Outcome::StackUnchanged
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
