//! `sls-rs package [--dry-run] [--package DIR]`.

use std::path::PathBuf;

use super::Ctx;
use crate::cli::PackageArgs;
use crate::error::Result;
use crate::manifest::Service;
use crate::package::{self, Built};
use crate::plan::{self, Deployment, Plan};
use crate::progress::Progress;

/// Where the package goes: `--package DIR` (relative to the working directory), else
/// `.serverless` in the service directory.
pub fn output_dir(service: &Service, explicit: Option<&PathBuf>) -> PathBuf {
    match explicit {
        Some(p) => p.clone(),
        None => service.dir.join(".serverless"),
    }
}

/// The deployment time: now, or `SOURCE_DATE_EPOCH` (seconds) for reproducible output.
pub fn deployment() -> Result<Deployment> {
    Ok(Deployment {
        timestamp_ms: crate::clock::deployment_ms()?,
    })
}

/// Packages into `out`: zips, templates, state. Returns the plan and what was built.
pub fn package_into(
    service: &Service,
    out: &std::path::Path,
    progress: &Progress,
) -> Result<(Plan, Vec<Built>)> {
    let specs = package::specs(service, Some(out))?;
    let staging = package::staging_dir(out)?;
    let built = package::build(&specs, Some(staging.path()), progress)?;
    let plan = plan::plan(service, &package::artifacts(&built), deployment()?)?;
    let state = package::state(service, &plan, &built);
    package::write_package(staging, out, &plan, &state)?;
    // The zips now live in `out`.
    let built = built
        .into_iter()
        .map(|mut b| {
            b.path = b.path.map(|_| out.join(&b.artifact.name));
            b
        })
        .collect();
    Ok((plan, built))
}

pub fn run(ctx: &Ctx, args: &PackageArgs) -> Result<()> {
    let loaded = ctx.load()?;
    run_loaded(ctx, args, &loaded).map_err(|e| loaded.locate(e))
}

fn run_loaded(ctx: &Ctx, args: &PackageArgs, loaded: &crate::manifest::Loaded) -> Result<()> {
    let service = &loaded.service;
    let progress = Progress::new(ctx.global.quiet);
    if args.dry_run {
        let specs = package::specs(service, None)?;
        let built = package::build(&specs, None, &Progress::quiet())?;
        let plan = plan::plan(service, &package::artifacts(&built), deployment()?)?;
        if !ctx.global.quiet {
            eprintln!(
                "dry run: would build {} artifact{} (nothing written):",
                built.len(),
                if built.len() == 1 { "" } else { "s" }
            );
            list(&built);
        }
        return super::stdout(&format!("{}\n", plan::render(&plan.update)));
    }
    let out = output_dir(service, args.package.as_ref());
    let (_, built) = package_into(service, &out, &progress)?;
    if ctx.global.verbose {
        list(&built);
    }
    progress.line(&format!("packaged {} into {}", service.name, out.display()));
    Ok(())
}

fn list(built: &[Built]) {
    for b in built {
        eprintln!(
            "  {:<32} {:>10}  {:>6} file{}  sha256 {}",
            b.artifact.name,
            package::mb(b.artifact.size),
            b.spec.file_count(),
            if b.spec.file_count() == 1 { " " } else { "s" },
            &b.artifact.sha256
        );
    }
}
