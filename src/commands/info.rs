//! `sls-rs info [--json]`: the deployed service — status, endpoints per route, functions,
//! layers and outputs — like `serverless info`, read from the stack and its nested stacks.

use serde_json::{json, Value};

use super::Ctx;
use crate::cli::InfoArgs;
use crate::deploy::partition::execute_api_url;
use crate::deploy::{stack, Aws};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::manifest::Service;
use crate::naming;
use crate::plugins::lifecycle;

pub struct Summary {
    pub service: String,
    pub stage: String,
    pub region: String,
    pub stack: String,
    pub status: String,
    /// The last operation ran in EXPRESS mode and its resources are still becoming ready
    /// (`DetailedStatus: CONFIGURATION_COMPLETE`).
    pub settling: bool,
    pub endpoints: Vec<String>,
    pub functions: Vec<(String, String)>,
    pub layers: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
}

pub async fn gather(aws: &Aws, service: &Service) -> Result<Summary> {
    let name = service.stack_name();
    let Some(s) = stack::describe_stack(aws, &name).await? else {
        return Err(Error::failed_with_hint(
            format!("stack {name} does not exist in {}", service.region),
            "deploy it first with `sls-rs deploy`, or check --stage and --region",
        ));
    };
    let mut outputs = stack::outputs(&s);
    let mut resources = stack::resources(aws, &name).await.unwrap_or_default();
    // Nested stacks of functions: their resources, and the outputs that moved into them with
    // their export names (functions' versions); the outputs that only carry references between
    // stacks are left out.
    let nested: Vec<String> = stack::nested_stacks(&resources)
        .map(|(_, physical)| physical.to_string())
        .collect();
    let reads = nested.iter().map(|arn| async move {
        let (described, held) =
            futures::future::join(stack::describe_stack(aws, arn), stack::resources(aws, arn))
                .await;
        (described.ok().flatten(), held.unwrap_or_default())
    });
    for (described, held) in crate::deploy::bounded(reads).await {
        if let Some(n) = described {
            outputs.extend(stack::exported_outputs(&n));
        }
        resources.extend(held);
    }
    // The endpoint outputs, or (where an API exists but its output does not, as on endpoints
    // that do not refresh outputs after a change set) the URL made from the API's ID.
    let physical = |logical: &str| {
        resources
            .iter()
            .find(|(l, _, _)| l == logical)
            .map(|(_, p, _)| p.clone())
    };
    let derived = |key: &str| -> Option<String> {
        match key {
            naming::REST_API_ENDPOINT_OUTPUT => physical(naming::REST_API_ID).map(|id| {
                format!(
                    "{}/{}",
                    execute_api_url(&id, &service.region),
                    service.stage
                )
            }),
            naming::HTTP_API_URL_OUTPUT => {
                physical(naming::HTTP_API_ID).map(|id| execute_api_url(&id, &service.region))
            }
            _ => None,
        }
    };
    let get = |k: &str| {
        outputs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .or_else(|| derived(k))
    };
    let mut endpoints = Vec::new();
    if let Some(base) = get(naming::REST_API_ENDPOINT_OUTPUT) {
        for f in service.functions.values() {
            for e in &f.events {
                if let Event::Http(h) = e {
                    endpoints.push(format!("{} - {base}/{}", h.method, h.path));
                }
            }
        }
    }
    if let Some(base) = get(naming::HTTP_API_URL_OUTPUT) {
        for f in service.functions.values() {
            for e in &f.events {
                if let Event::HttpApi(h) = e {
                    match &h.path {
                        Some(p) => endpoints.push(format!("{} - {base}{p}", h.method)),
                        None => endpoints.push(format!("ANY - {base}")),
                    }
                }
            }
        }
    }
    if let Some(ws) = get(naming::WEBSOCKETS_ENDPOINT_OUTPUT) {
        endpoints.push(ws);
    }
    for (k, v) in &outputs {
        if naming::is_function_url_id(k) {
            endpoints.push(format!("{} (function URL)", v));
        }
    }
    let functions = service
        .functions
        .values()
        .map(|f| {
            let id = naming::function_logical_id(&f.key);
            let physical = resources
                .iter()
                .find(|(l, _, _)| *l == id)
                .map(|(_, p, _)| p.clone())
                .unwrap_or_else(|| f.name.clone());
            (f.key.clone(), physical)
        })
        .collect();
    let layers = service
        .layers
        .keys()
        .filter_map(|k| get(&naming::layer_qualified_arn_output(k)).map(|arn| (k.clone(), arn)))
        .collect();
    Ok(Summary {
        service: service.name.clone(),
        stage: service.stage.clone(),
        region: service.region.clone(),
        stack: name,
        status: stack::status(&s),
        settling: s.detailed_status()
            == Some(&aws_sdk_cloudformation::types::DetailedStatus::ConfigurationComplete),
        endpoints,
        functions,
        layers,
        outputs,
    })
}

pub fn render(s: &Summary) -> String {
    let settling = if s.settling {
        ", resources still settling"
    } else {
        ""
    };
    let mut out = format!(
        "service: {}\nstage: {}\nregion: {}\nstack: {} ({}{settling})\n",
        s.service, s.stage, s.region, s.stack, s.status
    );
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            out.push_str(&format!("{title}:\n"));
            for l in lines {
                out.push_str(&format!("  {l}\n"));
            }
        }
    };
    section("endpoints", s.endpoints.clone());
    section(
        "functions",
        s.functions
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect(),
    );
    section(
        "layers",
        s.layers.iter().map(|(k, a)| format!("{k}: {a}")).collect(),
    );
    section(
        "outputs",
        s.outputs.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
    );
    out
}

pub fn to_json(s: &Summary) -> Value {
    json!({
        "service": s.service,
        "stage": s.stage,
        "region": s.region,
        "stack": s.stack,
        "status": s.status,
        "settling": s.settling,
        "endpoints": s.endpoints,
        "functions": s.functions.iter().map(|(k, n)| json!({ "key": k, "name": n })).collect::<Vec<_>>(),
        "layers": s.layers.iter().map(|(k, a)| json!({ "key": k, "arn": a })).collect::<Vec<_>>(),
        "outputs": s.outputs.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
    })
}

pub fn run(ctx: &Ctx, args: &InfoArgs) -> Result<()> {
    let rt = super::deploy::runtime()?;
    let (aws, loaded) = super::deploy::connect_and_load(ctx, &rt)?;
    let mut host = super::deploy::start_connected(ctx, &loaded, "info", &aws, &rt)?;
    let loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    // v3's `info:info` gathers, then displays: the plugins' hooks of its steps run around
    // sls-rs's summary (which is printed whole), then their own `info:info`.
    let mut steps = vec!["before:info:info".to_string()];
    steps.extend(lifecycle::around(lifecycle::INFO_STEPS));
    let gather_at = steps
        .iter()
        .position(|e| e == "aws:info:gatherData")
        .unwrap_or(steps.len());
    let (before, after) = steps.split_at(gather_at);
    lifecycle::run_hooks(host.as_mut(), &loaded.service, before)?;
    let summary = rt.block_on(gather(&aws, &loaded.service))?;
    if args.json {
        super::stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&to_json(&summary)).unwrap_or_default()
        ))?;
    } else {
        super::stdout(&render(&summary))?;
    }
    let mut rest = after.to_vec();
    rest.extend(["info:info", "after:info:info", "finalize"].map(String::from));
    lifecycle::run_hooks(host.as_mut(), &loaded.service, &rest)
}
