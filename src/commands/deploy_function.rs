//! `sls-rs deploy function -f NAME`: packages the one function (the zip `package` would make
//! for it) and updates the deployed function's code through the Lambda API, waiting until
//! Lambda has applied it. Unchanged code (its sha256 is the deployed `CodeSha256`) is not sent
//! unless `--force`. Then, as v3 does, the function's configuration: the settings that differ
//! from the deployed template and that Lambda's `UpdateFunctionConfiguration` takes (memory,
//! timeout, environment, layers, role, VPC…), where they are plain values and not already
//! what Lambda has. `--update-config` (`-u`) does only that part. A change only CloudFormation
//! can apply (a value it resolves, tags, concurrency…) is refused before anything is sent,
//! where v3 skips it without a word. As v3's `deploy function`, no version is published and the
//! stack is not touched: the next `sls-rs deploy` brings the stack in line.

use std::time::{Duration, Instant};

use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LastUpdateStatus;

use super::deploy::{connect_and_load, runtime};
use super::function_config as config;
use super::Ctx;
use crate::cli::FunctionArgs;
use crate::error::{Error, Result};
use crate::naming;
use crate::package::{self, Owner};
use crate::plan::{self, Deployment};
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
    let f = super::function(service, name)?;
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
    // What the stack holds, nested stacks and all; a service deployed in nested stacks is
    // compiled into them, as `deploy` does.
    let stack = service.stack_name();
    let deployed_stack = rt.block_on(crate::deploy::stack::deployed(&aws, &stack))?;
    let mut service = service.clone();
    crate::deploy::stack::keep_layout(&mut service, deployed_stack.as_ref());
    let service = &service;
    // The function's configuration as `package` compiles it.
    let compiled = plan::plan(
        service,
        &package::artifacts_named(&specs, &built),
        Deployment {
            timestamp_ms: crate::clock::deployment_ms()?,
        },
    )?;
    let id = naming::function_logical_id(&f.key);
    let local = compiled
        .resource(&id)
        .and_then(|r| r["Properties"].as_object())
        .cloned()
        .unwrap_or_default();
    let progress = Progress::new(ctx.global.quiet);
    let client = aws_sdk_lambda::Client::new(&aws.config);
    rt.block_on(async {
        let deployed = configuration(&client, &f.name, None, || {
            Error::failed_with_hint(
                format!("function {} is not deployed in {}", f.name, service.region),
                "deploy the service first with `sls-rs deploy`, or check --stage and --region",
            )
        })
        .await?;
        let template = deployed_stack.as_ref().ok_or_else(|| {
                Error::failed_with_hint(
                    format!(
                        "function {} exists, but its stack {stack} does not",
                        f.name
                    ),
                    "deploy the service with `sls-rs deploy`, which creates the stack",
                )
            })?;
        let was = template
            .resource(&id)
            .and_then(|r| r["Properties"].as_object())
            .cloned()
            .unwrap_or_default();
        let change = config::change(&local, &was, &config::remote(&deployed)).map_err(|why| {
            Error::failed_with_hint(
                format!(
                    "function `{name}` changed in a way only a stack update applies: {}",
                    why.join("; ")
                ),
                "deploy the service with `sls-rs deploy`; `deploy function` updates code and plain settings only",
            )
        })?;
        let mut done = Vec::new();
        if !args.update_config {
            if deployed.code_sha256() == Some(built.artifact.sha256.as_str()) && !args.force {
                done.push("code unchanged".to_string());
            } else {
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
                client
                    .update_function_code()
                    .function_name(&f.name)
                    .zip_file(Blob::new(bytes))
                    .send()
                    .await
                    .map_err(|e| crate::deploy::aws_error("UpdateFunctionCode", &e))?;
                settle(&client, &f.name, "the code").await?;
                done.push("code updated".to_string());
            }
        }
        if change.is_empty() {
            done.push("configuration unchanged".to_string());
        } else {
            let keys: Vec<&str> = change.keys().map(|k| k.as_str()).collect();
            let keys = keys.join(", ");
            config::request(&client, &f.name, &change)?
                .send()
                .await
                .map_err(|e| crate::deploy::aws_error("UpdateFunctionConfiguration", &e))?;
            settle(&client, &f.name, "the configuration").await?;
            done.push(format!("configuration updated ({keys})"));
        }
        progress.line(&format!(
            "function {name} ({}): {} in {} ms{}",
            f.name,
            done.join(", "),
            started.elapsed().as_millis(),
            if done.iter().any(|d| d == "code unchanged") {
                " (--force sends the code anyway)"
            } else {
                ""
            }
        ));
        Ok(())
    })
}

/// The deployed function's configuration (of version or alias `qualifier`, else `$LATEST`);
/// `missing` is the error when Lambda has no such function or version.
pub async fn configuration(
    client: &aws_sdk_lambda::Client,
    function: &str,
    qualifier: Option<&str>,
    missing: impl FnOnce() -> Error,
) -> Result<GetFunctionConfigurationOutput> {
    client
        .get_function_configuration()
        .function_name(function)
        .set_qualifier(qualifier.map(String::from))
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                missing()
            } else {
                crate::deploy::aws_error("GetFunctionConfiguration", &e)
            }
        })
}

/// Waits until Lambda has applied an update of `what` to `function` (`LastUpdateStatus`).
pub async fn settle(client: &aws_sdk_lambda::Client, function: &str, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let c = client
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|e| crate::deploy::aws_error("GetFunctionConfiguration", &e))?;
        match c.last_update_status() {
            Some(LastUpdateStatus::Failed) => {
                return Err(Error::failed(format!(
                    "Lambda could not apply {what} of {function}: {}",
                    c.last_update_status_reason().unwrap_or("no reason given")
                )))
            }
            Some(LastUpdateStatus::InProgress) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Some(LastUpdateStatus::InProgress) => {
                return Err(Error::failed(format!(
                    "Lambda was still applying {what} of {function} after 5 minutes"
                )))
            }
            _ => return Ok(()),
        }
    }
}
