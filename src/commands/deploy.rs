//! `sls-rs deploy`: v3's sequence (`tests/fixtures/v3/COMPILE-RULES.md`, "Deploy sequence"), with what hurts v3's
//! users fixed: blocked runtimes refused before anything is uploaded, "no changes" detected
//! with the timestamps normalised away, unchanged zips copied inside S3 rather than sent again,
//! and a failed update reported as the resource that failed and AWS's reason.

use std::time::{Duration, Instant};

use super::{info, Ctx};
use crate::cli::DeployArgs;
use crate::deploy::update::{self, Outcome};
use crate::deploy::Aws;
use crate::error::{Diagnostic, Error, Result};
use crate::manifest::{Loaded, Service};
use crate::package::prepared::{self, Prepared};
use crate::plugins::lifecycle;
use crate::progress::Progress;

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

/// Runtimes AWS no longer accepts (found while loading), refused before anything is uploaded.
pub fn check_runtimes(service: &Service) -> Result<()> {
    let mut diags: Vec<Diagnostic> = Vec::new();
    for r in &service.retired_runtimes {
        // One error for a provider-wide runtime, however many functions inherit it.
        if diags.iter().any(|d| d.path.as_ref() == Some(&r.set_at)) {
            continue;
        }
        diags.push(
            Diagnostic::error(format!(
                "function `{}` uses runtime `{}`, which AWS stopped accepting on {}",
                r.function, r.runtime, r.blocked_since
            ))
            .at(&r.set_at)
            .hint(format!("move to `{}`; nothing was uploaded", r.successor)),
        );
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(diags))
    }
}

/// The service's plugins for `command`, calling AWS through this command's connection.
pub fn start_connected(
    ctx: &Ctx,
    loaded: &Loaded,
    command: &str,
    aws: &Aws,
    rt: &tokio::runtime::Runtime,
) -> Result<Option<crate::plugins::Host>> {
    let mut host =
        super::package::start_plugins(ctx, loaded, command).map_err(|e| loaded.locate(e))?;
    if let Some(h) = host.as_mut() {
        h.connect(crate::plugins::aws::Bridge::new(
            aws.clone(),
            rt.handle().clone(),
            loaded.service.stack_name(),
            loaded.service.provider.custom_bucket(),
        ));
    }
    Ok(host)
}

pub fn run(ctx: &Ctx, args: &DeployArgs) -> Result<()> {
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    check_runtimes(&loaded.service).map_err(|e| loaded.locate(e))?;
    let mut host = start_connected(ctx, &loaded, "deploy", &aws, &rt)?;
    let mut loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    let progress = Progress::new(ctx.global.quiet);
    let started = Instant::now();
    // What the stack holds now, nested stacks and all, read once: a service deployed in nested
    // stacks stays in them, nothing moves between stacks, and what the deploy would lose or
    // grant is approved first. A prepared package is read first: its mistakes are local.
    let stack = loaded.service.stack_name();
    let deployed_now = || rt.block_on(crate::deploy::stack::deployed(&aws, &stack));
    let (service, prepared, deployed) =
        match super::package::prebuilt_dir(&loaded.service, args.package.as_ref()) {
            Some(dir) => {
                let mut service = loaded.service.clone();
                let read = |s: &Service| prepared::read(s, &dir).map_err(|e| loaded.locate(e));
                let prepared = read(&service)?;
                let deployed = deployed_now()?;
                // Compiled again for another stage: into the deployed nested stacks.
                let nested = service.provider.stack.nested;
                crate::deploy::stack::keep_layout(&mut service, deployed.as_ref());
                let prepared = if service.provider.stack.nested != nested {
                    read(&service)?
                } else {
                    prepared
                };
                (service, prepared, deployed)
            }
            None => {
                let deployed = deployed_now()?;
                crate::deploy::stack::keep_layout(&mut loaded.service, deployed.as_ref());
                let loaded = super::package::resolve_images(
                    ctx,
                    loaded,
                    Some((&aws, &rt)),
                    crate::package::images::Builds::Push,
                    &progress,
                )?;
                let out = loaded.service.dir.join(".serverless");
                let (service, plan, built) =
                    super::package::build(&loaded, host.as_mut(), Some(&out), &progress)?;
                let prepared = Prepared::built(&service, plan, &built, &out)?;
                (service, prepared, deployed)
            }
        };
    let mut service = service;
    service.provider.stack.express |= args.express;
    let service = &service;
    // A stack not created yet asks nothing.
    if let Some(deployed) = &deployed {
        crate::deploy::stack::refuse_moves(&stack, deployed, &prepared.plan)?;
        if !args.approve && !service.provider.deployment_approval_never {
            approve(&stack, &deployed.flat(), &prepared.plan.flat(), &progress)?;
        }
    }
    if let Some(h) = host.as_mut() {
        let state = lifecycle::state_of(service, prepared.plan.update.clone());
        h.run(&["before:deploy:deploy".to_string()], &state)?;
    }
    let settings = update::Settings {
        force: args.force,
        timeout: args.timeout.map(Duration::from_secs),
    };
    // The plugins' hooks of v3's deploy steps. The template is deployed as packaged: a hook
    // that changes it here is refused, as its change would not be deployed.
    let directory = prepared.plan.directory.clone();
    let mut steps = |events: &[String]| -> crate::error::Result<()> {
        let Some(h) = host.as_mut() else {
            return Ok(());
        };
        let state = lifecycle::with_directory(
            lifecycle::state_of(service, prepared.plan.update.clone()),
            &directory,
        );
        let back = h.run(events, &state)?;
        if back.template.is_object() && back.template != prepared.plan.update {
            return Err(Error::failed_with_hint(
                format!(
                    "a plugin changed the compiled template in {}, after it was packaged and uploaded, so the change would not be deployed",
                    events.join(", ")
                ),
                "plugins change the template while packaging (package:compileEvents, aws:package:finalize:*); leave this one out with --skip-plugin NAME",
            ));
        }
        Ok(())
    };
    let outcome = rt.block_on(update::deploy(
        &aws, service, &prepared, settings, &progress, &mut steps,
    ))?;
    match outcome {
        Outcome::NoChanges => progress.line("No changes to deploy: the template and every artifact equal the last deployment (use --force to deploy anyway)"),
        Outcome::StackUnchanged | Outcome::Deployed => {
            if outcome == Outcome::StackUnchanged {
                progress.line("CloudFormation found nothing to change in the stack");
            }
            progress.line(&format!(
                "deployed {} to stack {} in {:.1} s",
                service.name,
                service.stack_name(),
                started.elapsed().as_secs_f64()
            ));
        }
    }
    if !ctx.global.quiet {
        let summary = rt.block_on(info::gather(&aws, service))?;
        eprint!("{}", info::render(&summary));
    }
    if let Some(h) = host.as_mut() {
        let mut events: Vec<String> = ["deploy:deploy", "after:deploy:deploy"]
            .map(String::from)
            .to_vec();
        events.extend(lifecycle::around(&["deploy:finalize"]));
        events.push("finalize".into());
        h.run(
            &events,
            &lifecycle::state_of(service, prepared.plan.update.clone()),
        )?;
    }
    Ok(())
}

/// Stops before anything is uploaded when the deploy would delete or replace data, or broaden
/// permissions (`crate::diff::risks`): on a terminal it asks, elsewhere it refuses unless
/// `--approve` or `provider.deploymentApproval: never`. A stack not yet created asks nothing.
/// Stateful resources the stack lets go of but keeps (DeletionPolicy) are named.
fn approve(
    stack: &str,
    deployed: &serde_json::Value,
    template: &serde_json::Value,
    progress: &Progress,
) -> Result<()> {
    use std::io::IsTerminal;
    let report = crate::diff::diff(deployed, template);
    let risks = crate::diff::risks(deployed, template, &report);
    for kept in &risks.left_behind {
        progress.line(&format!("note: {kept} (DeletionPolicy)"));
    }
    if !risks.need_approval() {
        return Ok(());
    }
    let mut text = format!(
        "this deploy of {stack} needs approval:
"
    );
    for l in risks.lost.iter().chain(&risks.broadened) {
        text.push_str(&format!(
            "  - {l}
"
        ));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive {
        eprint!("{text}deploy anyway? [y/N] ");
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Error::io("read", "standard input", e))?;
        if matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(());
        }
        return Err(Error::failed("deploy cancelled: nothing was changed"));
    }
    Err(Error::failed_with_hint(
        format!("{}nothing was deployed", text),
        "review it with `sls-rs diff`, then deploy with --approve (or set provider.deploymentApproval: never)",
    ))
}

/// `sls-rs deploy list`: the deployments in the bucket (`<epoch ms>-<ISO 8601>/` under the
/// service's prefix), oldest first, each with its files, as v3 prints them.
pub fn list(ctx: &Ctx, args: &crate::cli::ListArgs) -> Result<()> {
    use crate::deploy::bucket;
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let deployments = rt.block_on(async {
        let bucket = bucket::of_service(&aws, service).await?;
        let prefix = service.deployment_prefix();
        let mut out = Vec::new();
        for dir in bucket::deployment_dirs(&aws, &bucket, &prefix).await? {
            let files: Vec<String> = bucket::hashes(&aws, &bucket, &dir).await?.into_keys().collect();
            let stamp = dir.rsplit('/').next().unwrap_or_default().to_string();
            let (ms, iso) = stamp.split_once('-').unwrap_or((stamp.as_str(), ""));
            out.push(serde_json::json!({ "timestamp": ms, "datetime": iso, "directory": dir, "files": files }));
        }
        Ok::<_, Error>(out)
    })?;
    if args.json {
        return super::stdout(
            &(serde_json::to_string_pretty(&deployments).unwrap_or_default() + "\n"),
        );
    }
    if deployments.is_empty() {
        return super::stdout(&format!(
            "No deployments of {} on stage {} in the bucket\n",
            service.name, service.stage
        ));
    }
    let mut text = format!(
        "Deployments of {} on stage {}\n",
        service.name, service.stage
    );
    for d in &deployments {
        text.push_str(&format!(
            "\nTimestamp: {}\nDatetime: {}\nFiles:\n",
            d["timestamp"].as_str().unwrap_or_default(),
            d["datetime"].as_str().unwrap_or_default()
        ));
        for f in d["files"].as_array().into_iter().flatten() {
            text.push_str(&format!("- {}\n", f.as_str().unwrap_or_default()));
        }
    }
    super::stdout(&text)
}

/// `sls-rs deploy list functions`: each function's published versions (`$LATEST` left out), as
/// v3 lists them.
pub fn list_functions(ctx: &Ctx, args: &crate::cli::ListArgs) -> Result<()> {
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let client = aws_sdk_lambda::Client::new(&aws.config);
    let mut all = serde_json::Map::new();
    for f in service.functions.values() {
        let mut versions = Vec::new();
        let mut marker = None;
        loop {
            let page = rt
                .block_on(
                    client
                        .list_versions_by_function()
                        .function_name(&f.name)
                        .set_marker(marker)
                        .send(),
                )
                .map_err(|e| {
                    if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) {
                        Error::failed_with_hint(
                            format!("function {} is not deployed in {}", f.name, service.region),
                            "deploy the service first with `sls-rs deploy`, or check --stage and --region",
                        )
                    } else {
                        crate::deploy::aws_error("ListVersionsByFunction", &e)
                    }
                })?;
            versions.extend(
                page.versions()
                    .iter()
                    .filter_map(|v| v.version())
                    .filter(|v| *v != "$LATEST")
                    .map(String::from),
            );
            marker = page.next_marker().map(String::from);
            if marker.is_none() {
                break;
            }
        }
        all.insert(f.name.clone(), serde_json::json!(versions));
    }
    if args.json {
        return super::stdout(&(serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"));
    }
    let mut text = format!(
        "Published versions of {} on stage {}\n",
        service.name, service.stage
    );
    for (name, versions) in &all {
        let list: Vec<&str> = versions
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        text.push_str(&format!(
            "{name}: {}\n",
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        ));
    }
    super::stdout(&text)
}
