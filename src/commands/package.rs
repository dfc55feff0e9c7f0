//! `sls-rs package [--dry-run] [--package DIR]`.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::cli::PackageArgs;
use serde_json::Value;

use crate::error::{Diagnostic, Error, KeyPath, Result, Seg};
use crate::manifest::variables::value_at;
use crate::manifest::{Loaded, Service};
use crate::package::{self, images, Built};
use crate::plan::{self, Deployment, Plan};
use crate::plugins::{lifecycle, Host};
use crate::progress::Progress;

/// Where the package goes: `--package DIR` (relative to the working directory), else
/// `package.path` (relative to the service directory), else `.serverless` there.
pub fn output_dir(service: &Service, explicit: Option<&PathBuf>) -> PathBuf {
    match (explicit, &service.package.path) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => service.dir.join(p),
        (None, None) => service.dir.join(".serverless"),
    }
}

/// The package `deploy` deploys instead of building one: `--package DIR`, else `package.path`
/// (v3 deploys a service with `package.path` from there, without packaging).
pub fn prebuilt_dir(service: &Service, explicit: Option<&PathBuf>) -> Option<PathBuf> {
    explicit
        .cloned()
        .or_else(|| service.package.path.as_ref().map(|p| service.dir.join(p)))
}

/// The deployment time: now, or `SOURCE_DATE_EPOCH` (seconds) for reproducible output.
pub fn deployment() -> Result<Deployment> {
    Ok(Deployment {
        timestamp_ms: crate::clock::deployment_ms()?,
    })
}

/// Pins the service's images to digests ([`crate::package::images`]), connecting to AWS only
/// when an image needs it: through `aws`, the command's connection, when it has one.
pub fn resolve_images(
    ctx: &Ctx,
    mut loaded: Loaded,
    aws: Option<(&crate::deploy::Aws, &tokio::runtime::Runtime)>,
    builds: images::Builds,
    progress: &Progress,
) -> Result<Loaded> {
    if !images::needs_aws(&loaded.service) {
        return Ok(loaded);
    }
    let service = loaded.service.clone();
    let resolved = match aws {
        Some((aws, rt)) => images::resolve(service, aws, rt, builds, progress),
        None => {
            let rt = super::deploy::runtime()?;
            let profile = ctx
                .global
                .aws_profile
                .clone()
                .or_else(|| service.provider.profile.clone());
            let aws = rt.block_on(crate::deploy::Aws::connect(
                &service.region,
                profile.as_deref(),
            ));
            images::resolve(service, &aws, &rt, builds, progress)
        }
    };
    loaded.service = resolved.map_err(|e| loaded.locate(e))?;
    Ok(loaded)
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

/// The service's plugins, started for `command` (`None` without plugins), with the unknown
/// properties none of them defines reported.
pub fn start_plugins(ctx: &Ctx, loaded: &Loaded, command: &str) -> Result<Option<Host>> {
    let options = ctx.global.options(&ctx.custom);
    let host = Host::start(loaded, &[command], &options, &ctx.global.skip_plugins)?;
    let undefined = match &host {
        Some(h) => h.undefined(&loaded.plugin_properties),
        None => loaded.plugin_properties.clone(),
    };
    if undefined.iter().any(Diagnostic::is_error) {
        return Err(Error::Config(undefined));
    }
    if !ctx.global.quiet {
        for w in &undefined {
            eprint!("{}", w.render());
        }
    }
    let mut host = host;
    if let Some(h) = host.as_mut() {
        // Plugins may call AWS in any command, as in v3; sls-rs connects when one first does.
        let bridge =
            crate::plugins::aws::Bridge::on_demand(&loaded.service, ctx.global.aws_profile.clone())
                .map_err(|f| Error::failed(f.message))?;
        h.connect(bridge);
    }
    if let Some(h) = &host {
        let (namespaces, runs) = lifecycle::command_events(command);
        h.check_events(&namespaces, &runs)?;
    }
    Ok(host)
}

/// Resolves what waited for the plugins' variable sources, then runs `initialize`: returns the
/// service as the plugins leave it. Values plugins rewrite at `initialize` (serverless-lift
/// turns its tokens into `Ref`s) are taken back and validated like the user's own.
pub fn initialize(ctx: &Ctx, loaded: Loaded, host: Option<&mut Host>) -> Result<Loaded> {
    let Some(host) = host else {
        if loaded.pending.is_empty() {
            return Ok(loaded);
        }
        // Every plugin was left out: the unknown sources are reported as they stand.
        return ctx.load_with(&mut NoPlugins).map(|_| loaded);
    };
    let pending = loaded.pending.clone();
    let mut loaded = if pending.is_empty() {
        loaded
    } else {
        let full = resolve_pending(ctx, &loaded, host)?;
        let values: Vec<(KeyPath, Value)> = pending
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    value_at(&full.resolved, p).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        host.set_values(&values)?;
        full
    };
    let state = host
        .run(
            &["initialize".to_string()],
            &lifecycle::state_of(&loaded.service, Value::Null),
        )
        .map_err(|e| loaded.locate(e))?;
    let back = host.read_back(&pending)?;
    let mut resolved = loaded.resolved.clone();
    let mut changed = false;
    // The values of plugins' sources as the plugins left them, and what they changed in the
    // service's settings by now, taken as the user's own.
    let values = pending
        .iter()
        .cloned()
        .zip(back.values.into_iter().map(Some));
    for (p, v) in values.chain(back.settings) {
        changed |= set_at(&mut resolved, &p, v);
    }
    if changed {
        loaded = loaded.revalidate(resolved)?;
    }
    lifecycle::apply(&mut loaded.service, &state).map_err(|e| loaded.locate(e))?;
    Ok(loaded)
}

/// Loads the service again with the plugins' sources resolving through `host`; shows the
/// warnings about values that were pending the first time.
pub fn resolve_pending(ctx: &Ctx, loaded: &Loaded, host: &mut Host) -> Result<Loaded> {
    let full = ctx.load_with(host)?;
    if !ctx.global.quiet {
        for w in &full.warnings {
            let waited = w
                .path
                .as_ref()
                .is_some_and(|p| loaded.pending.iter().any(|q| p.0.starts_with(&q.0)));
            if waited {
                eprint!("{}", w.render());
            }
        }
    }
    Ok(full)
}

/// No plugin sources: what a service whose plugins were all left out resolves with.
struct NoPlugins;

impl crate::manifest::PluginSource for NoPlugins {
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
    fn resolve(
        &mut self,
        _: &str,
        _: &str,
        _: &[String],
        _: &mut dyn FnMut(
            crate::manifest::variables::Ask,
        ) -> std::result::Result<Option<Value>, String>,
    ) -> std::result::Result<Option<Value>, String> {
        Ok(None)
    }
}

/// Sets (or with `None` removes) the value at `path`, making the maps on the way (list items
/// must exist); whether anything changed.
fn set_at(root: &mut Value, path: &KeyPath, value: Option<Value>) -> bool {
    let Some((last, parents)) = path.0.split_last() else {
        return false;
    };
    let mut cur = root;
    for seg in parents {
        let next = match (cur, seg) {
            (Value::Object(m), Seg::Key(k)) => Some(
                m.entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default())),
            ),
            (Value::Array(a), Seg::Index(i)) => a.get_mut(*i),
            _ => None,
        };
        let Some(n) = next else { return false };
        cur = n;
    }
    match (last, cur, value) {
        (Seg::Key(k), Value::Object(m), Some(v)) => {
            m.insert(k.clone(), v.clone()).as_ref() != Some(&v)
        }
        (Seg::Key(k), Value::Object(m), None) => m.remove(k).is_some(),
        (Seg::Index(i), Value::Array(a), Some(v)) => match a.get_mut(*i) {
            Some(slot) if *slot != v => {
                *slot = v;
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Packages the service, through its plugins' lifecycle when it has any: into `out`, or
/// nowhere (`None`, a dry run). Returns the service as plugins left it.
pub fn build(
    loaded: &Loaded,
    host: Option<&mut Host>,
    out: Option<&Path>,
    progress: &Progress,
) -> Result<(Service, Plan, Vec<Built>)> {
    let mut service = loaded.service.clone();
    // Warnings are shown in a dry run too.
    let shown = progress;
    // A dry run shows no progress, with plugins or without.
    let quiet = Progress::quiet();
    let progress = if out.is_some() { progress } else { &quiet };
    if let Some(host) = host {
        let p = lifecycle::package(&mut service, host, out, deployment()?, progress)
            .map_err(|e| loaded.locate(e))?;
        warn_headroom(&p.plan, shown);
        return Ok((service, p.plan, p.built));
    }
    let (plan, built) = match out {
        Some(o) => package_into(&service, o, progress).map_err(|e| loaded.locate(e))?,
        None => {
            let specs = package::specs(&service, None).map_err(|e| loaded.locate(e))?;
            let built = package::build(&specs, None, progress)?;
            let plan = plan::plan(&service, &package::artifacts(&built), deployment()?)
                .map_err(|e| loaded.locate(e))?;
            (plan, built)
        }
    };
    warn_headroom(&plan, shown);
    Ok((service, plan, built))
}

/// The plan's warnings (nested stacks with little room left), on standard error.
fn warn_headroom(plan: &Plan, progress: &Progress) {
    for w in &plan.warnings {
        progress.line(w.render().trim_end());
    }
}

pub fn run(ctx: &Ctx, args: &PackageArgs) -> Result<()> {
    let loaded = ctx.load()?;
    let mut host = start_plugins(ctx, &loaded, "package").map_err(|e| loaded.locate(e))?;
    let loaded = initialize(ctx, loaded, host.as_mut())?;
    let progress = Progress::new(ctx.global.quiet);
    if args.dry_run {
        let (_, plan, built) = build(&loaded, host.as_mut(), None, &progress)?;
        if !ctx.global.quiet {
            eprintln!(
                "dry run: would build {} artifact{} (nothing written):",
                built.len(),
                if built.len() == 1 { "" } else { "s" }
            );
            list(&built);
            if !plan.nested.is_empty() && !args.nested {
                eprintln!(
                    "the functions are in {} nested stack{} (--nested prints them)",
                    plan.nested.len(),
                    if plan.nested.len() == 1 { "" } else { "s" }
                );
            }
        }
        if args.nested {
            let mut all = serde_json::Map::new();
            all.insert(package::UPDATE_TEMPLATE.into(), plan.update.clone());
            for n in &plan.nested {
                all.insert(n.file.clone(), n.template.clone());
            }
            return super::stdout(&format!("{}\n", plan::render(&Value::Object(all))));
        }
        return super::stdout(&format!("{}\n", plan::render(&plan.update)));
    }
    let loaded = resolve_images(ctx, loaded, None, images::Builds::Push, &progress)?;
    let out = output_dir(&loaded.service, args.package.as_ref());
    let (service, plan, built) = build(&loaded, host.as_mut(), Some(&out), &progress)?;
    if let Some(h) = host.as_mut() {
        let state = lifecycle::state_of(&service, plan.update.clone());
        h.run(&["finalize".to_string()], &state)?;
    }
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

/// Refuses a command whose lifecycle events (`invoke:local`'s `loadEnvVars`, `invoke`) some
/// plugin hooks, since sls-rs does not run those hooks yet, naming the plugins.
pub fn refuse_unrun_hooks(
    host: Option<&Host>,
    command: &str,
    events: &[&str],
    purpose: &str,
    hint: &str,
) -> Result<()> {
    let Some(h) = host else { return Ok(()) };
    let events: Vec<String> = events
        .iter()
        .flat_map(|e| ["before:", "", "after:"].map(|w| format!("{w}{command}:{e}")))
        .collect();
    let hooking = h.hooking(&events);
    if hooking.is_empty() {
        return Ok(());
    }
    Err(Error::failed_with_hint(
        format!(
            "{} hooks `{}` ({purpose}), which sls-rs does not run yet",
            hooking.join(", "),
            command.replace(':', " ")
        ),
        hint,
    ))
}
