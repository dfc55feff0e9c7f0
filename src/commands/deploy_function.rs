//! `sls-rs deploy function -f NAME`: packages the one function (the zip `package` would make
//! for it) and updates the deployed function's code through the Lambda API, waiting until
//! Lambda has applied it. Unchanged code (its sha256 is the deployed `CodeSha256`) is not sent
//! unless `--force`. As v3's `deploy function`, no version is published and the stack is not
//! touched: the next `sls-rs deploy` brings the stack in line.

use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LastUpdateStatus;

use super::deploy::{connect_and_load, runtime};
use super::Ctx;
use crate::cli::FunctionArgs;
use crate::error::{Error, Result};
use crate::package::{self, Owner};
use crate::progress::Progress;

/// v3's lifecycle events of `deploy function`: a plugin hooking them changes what is deployed.
const EVENTS: &[&str] = &["initialize", "packageFunction", "deploy"];
/// What Lambda accepts as a zip in the request itself.
const MAX_DIRECT_ZIP: u64 = 50 * 1024 * 1024;

pub fn run(ctx: &Ctx, args: &FunctionArgs) -> Result<()> {
    let started = Instant::now();
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let mut host = super::package::start_plugins(ctx, &loaded, "deploy function")
        .map_err(|e| loaded.locate(e))?;
    let loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    super::package::refuse_unrun_hooks(
        host.as_ref(),
        "deploy:function",
        EVENTS,
        "to build the function",
        "deploy the whole service with `sls-rs deploy`, which runs the plugins' packaging",
    )?;
    drop(host);
    let service = &loaded.service;
    let name = &args.function;
    let Some(f) = service.functions.get(name.as_str()) else {
        let names: Vec<&str> = service.functions.keys().map(|k| k.as_str()).collect();
        return Err(Error::failed_with_hint(
            format!("the service has no function `{name}`"),
            format!("its functions are {}", names.join(", ")),
        ));
    };
    if f.image.is_some() {
        return Err(Error::failed_with_hint(
            format!("function `{name}` runs a container image, whose code is not a zip"),
            "push the image and deploy with `sls-rs deploy`",
        ));
    }
    let specs = package::specs(service, None)?;
    let spec = specs
        .iter()
        .find(|s| s.owner == Owner::Function(name.clone()))
        .or_else(|| specs.iter().find(|s| s.owner == Owner::Service))
        .ok_or_else(|| Error::failed(format!("function `{name}` has nothing to package")))?;
    let scratch = tempfile::tempdir().map_err(|e| Error::io("create", "a scratch directory", e))?;
    let built = package::build_one(spec, Some(scratch.path()))?;
    let progress = Progress::new(ctx.global.quiet);
    let client = aws_sdk_lambda::Client::new(&aws.config);
    let deployed = rt
        .block_on(
            client
                .get_function_configuration()
                .function_name(&f.name)
                .send(),
        )
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                Error::failed_with_hint(
                    format!("function {} is not deployed in {}", f.name, service.region),
                    "deploy the service first with `sls-rs deploy`, or check --stage and --region",
                )
            } else {
                crate::deploy::aws_error("GetFunctionConfiguration", &e)
            }
        })?;
    if deployed.code_sha256() == Some(built.artifact.sha256.as_str()) && !args.force {
        progress.line(&format!(
            "function {name} ({}): code unchanged, nothing deployed (--force deploys anyway)",
            f.name
        ));
        return Ok(());
    }
    if built.artifact.size > MAX_DIRECT_ZIP {
        return Err(Error::failed_with_hint(
            format!(
                "the zip of `{name}` is {} MB, more than the 50 MB Lambda takes in one request",
                built.artifact.size / (1024 * 1024)
            ),
            "deploy the service with `sls-rs deploy`, which uploads zips to S3",
        ));
    }
    let path = built.path.clone().unwrap_or_default();
    let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
    rt.block_on(
        client
            .update_function_code()
            .function_name(&f.name)
            .zip_file(Blob::new(bytes))
            .send(),
    )
    .map_err(|e| crate::deploy::aws_error("UpdateFunctionCode", &e))?;
    // Lambda applies the code in the background; the update is done when it says so.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let c = rt
            .block_on(
                client
                    .get_function_configuration()
                    .function_name(&f.name)
                    .send(),
            )
            .map_err(|e| crate::deploy::aws_error("GetFunctionConfiguration", &e))?;
        match c.last_update_status() {
            Some(LastUpdateStatus::Failed) => {
                return Err(Error::failed(format!(
                    "Lambda could not apply the code of {}: {}",
                    f.name,
                    c.last_update_status_reason().unwrap_or("no reason given")
                )))
            }
            Some(LastUpdateStatus::InProgress) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Some(LastUpdateStatus::InProgress) => {
                return Err(Error::failed(format!(
                    "Lambda was still applying the code of {} after 5 minutes",
                    f.name
                )))
            }
            _ => break,
        }
    }
    progress.line(&format!(
        "deployed function {name} ({}) in {} ms",
        f.name,
        started.elapsed().as_millis()
    ));
    Ok(())
}
