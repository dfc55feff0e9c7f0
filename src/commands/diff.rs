//! `sls-rs diff [--json] [--fail] [--method changeset|template]`: compiles the service as `package --dry-run` does, reads the
//! deployed template (`GetTemplate`) and each deployed function's `CodeSha256`, and prints what a
//! deploy would change (`crate::diff`): resources added, removed, modified with their changed
//! property paths, replaced, and the functions whose code changes. Nothing is written
//! locally; in AWS only a change set that is created, described and deleted unexecuted, for
//! CloudFormation's own answer on replacement (`--method template` writes nothing there).
//! Exit 0; with `--fail`, 2 when there are changes, so CI can ask for a review.

use serde_json::json;

use super::deploy::{connect_and_load, runtime};
use super::Ctx;
use crate::cli::{DiffArgs, DiffMethod};
use crate::error::Result;
use crate::package::Owner;
use crate::progress::Progress;

/// Returns whether a deploy would change anything.
pub fn run(ctx: &Ctx, args: &DiffArgs) -> Result<bool> {
    let rt = runtime()?;
    let (aws, loaded) = connect_and_load(ctx, &rt)?;
    let mut host =
        super::package::start_plugins(ctx, &loaded, "package").map_err(|e| loaded.locate(e))?;
    let loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    // Tags are read from ECR; images sls-rs would build are compared by their tag.
    let loaded = super::package::resolve_images(
        ctx,
        loaded,
        Some((&aws, &rt)),
        crate::package::images::Builds::ReadOnly,
        &Progress::quiet(),
    )?;
    // What the stack holds, nested stacks and all; a service deployed in nested stacks is
    // compiled into them as `deploy` would.
    let mut loaded = loaded;
    let stack = loaded.service.stack_name();
    let deployed = rt.block_on(crate::deploy::stack::deployed(&aws, &stack))?;
    crate::deploy::stack::keep_layout(&mut loaded.service, deployed.as_ref());
    let (service, plan, built) =
        super::package::build(&loaded, host.as_mut(), None, &Progress::quiet())?;
    drop(host);
    let lambda = aws_sdk_lambda::Client::new(&aws.config);
    // Each resource of a nested stack as `<stack>/<id>`.
    let deployed = deployed.map(|d| d.flat());
    let code = rt.block_on(async {
        // Code: each function's zip against what Lambda runs.
        let mut code = Vec::new();
        if deployed.is_some() {
            // An image's digest is in the template, so the resource diff shows it.
            let zipped = service.functions.values().filter(|f| f.image.is_none());
            let asks = zipped.filter_map(|f| {
                let zip = built
                    .iter()
                    .find(|b| b.spec.owner == Owner::Function(f.key.clone()))
                    .or_else(|| built.iter().find(|b| b.spec.owner == Owner::Service))?;
                let lambda = &lambda;
                Some(async move {
                    let live = lambda
                        .get_function_configuration()
                        .function_name(&f.name)
                        .send()
                        .await
                        .ok()
                        .and_then(|c| c.code_sha256().map(String::from));
                    (f.key.clone(), live, zip.artifact.sha256.clone())
                })
            });
            for (key, live, local) in crate::deploy::bounded(asks).await {
                if let Some(live) = live {
                    if live != local {
                        code.push(key);
                    }
                }
            }
        }
        code
    });
    let compiled = plan.flat();
    let mut report = crate::diff::diff(deployed.as_ref().unwrap_or(&json!({})), &compiled);
    // CloudFormation's own answer on replacement, from a change set it computes and sls-rs
    // deletes unexecuted.
    if deployed.is_some() && args.method == DiffMethod::Changeset && !report.is_empty() {
        let planned = rt.block_on(change_set(&aws, &service, &plan.update))?;
        report = crate::diff::with_change_set(report, &planned.unwrap_or_default());
        for r in report.resources.iter_mut().filter(|r| r.kind.is_empty()) {
            r.kind = compiled["Resources"][&r.id]["Type"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
    }
    let changes = !report.is_empty() || !code.is_empty();
    if args.json {
        let mut v = report.json();
        v["stack"] = json!(stack);
        v["deployed"] = json!(deployed.is_some());
        v["codeChanges"] = json!(code);
        v["changes"] = json!(changes);
        super::stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ))?;
        return Ok(changes);
    }
    let mut text = match &deployed {
        None => format!(
            "stack {stack} does not exist in {}: a deploy creates it\n",
            service.region
        ),
        Some(_) if !changes => format!("no changes to {stack}\n"),
        Some(_) => format!("changes to {stack}:\n"),
    };
    text.push_str(&report.styled(super::stdout_colour()));
    if !code.is_empty() {
        text.push_str(&format!("code changes: {}\n", code.join(", ")));
    }
    let count = |a: crate::diff::Action| report.resources.iter().filter(|r| r.action == a).count();
    let replaced = report
        .resources
        .iter()
        .filter(|r| !r.replaced_by.is_empty())
        .count();
    if changes {
        text.push_str(&format!(
            "{} to add, {} to change ({} replaced), {} to remove\n",
            count(crate::diff::Action::Add),
            count(crate::diff::Action::Modify),
            replaced,
            count(crate::diff::Action::Remove)
        ));
    }
    super::stdout(&text)?;
    Ok(changes)
}

/// CloudFormation's change set of `template` for the service's stack, computed and deleted
/// unexecuted. A template too large to send inline is put beside the deployments in the
/// deployment bucket for CloudFormation to read, and deleted after.
async fn change_set(
    aws: &crate::deploy::Aws,
    service: &crate::manifest::Service,
    template: &serde_json::Value,
) -> Result<Option<Vec<crate::deploy::stack::PlannedChange>>> {
    use crate::deploy::{bucket, stack, update};
    let stack_name = service.stack_name();
    let opts = stack::StackOptions::of(service);
    let text = crate::plan::render(template);
    if text.len() <= update::INLINE_TEMPLATE_BYTES {
        return stack::preview(aws, &stack_name, &stack::Body::Inline(text), &opts).await;
    }
    let bucket_name = bucket::of_service(aws, service).await?;
    // Outside the service's deployment directories, which `deploy list`, prune and rollback
    // read.
    let dir = format!(
        "sls-rs-diff/{}/{}/{}",
        service.name,
        service.stage,
        crate::clock::now_ms()
    );
    let file = bucket::Upload {
        name: update::TEMPLATE_OBJECT.to_string(),
        content: bucket::Content::Bytes(text.into_bytes()),
        sha256: String::new(),
        content_type: "application/json",
        copyable: false,
    };
    let sse = service.provider.upload_encryption();
    bucket::upload(aws, &bucket_name, &dir, vec![file], None, &sse).await?;
    let key = format!("{dir}/{}", update::TEMPLATE_OBJECT);
    let url = bucket::object_url(aws, &bucket_name, &key);
    let planned = stack::preview(aws, &stack_name, &stack::Body::Url(url), &opts).await;
    // Every version of it: the bucket sls-rs creates is versioned.
    let deleted = bucket::empty(aws, &bucket_name, &format!("{dir}/")).await;
    let planned = planned?;
    deleted?;
    Ok(planned)
}
