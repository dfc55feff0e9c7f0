//! v3's lifecycle around sls-rs's own stages: for every event, sls-rs's core work first, then
//! the plugins' hooks (`before:E`, core `E`, plugins' `E`, `after:E`), as v3 orders core and
//! external plugins. Where v3's core work happens inside an event, sls-rs's stage runs there:
//! zips at `package:createDeploymentArtifacts`, the template at `compileLayers` …
//! `compileEvents`, `resources:` merged at `aws:package:finalize:mergeCustomProviderResources`.
//! The state plugins change comes back at each hand-over and is applied to the `Service`.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::{resolve_path, Host, State};
use crate::error::{Diagnostic, Error, KeyPath, Result};
use crate::manifest::Service;
use crate::package::{self, Built};
use crate::plan::{self, Deployment, Plan, Stage};
use crate::progress::Progress;

/// Every event of v3's `package` lifecycle sls-rs runs, each with its `before:` and `after:`.
pub const PACKAGE_EVENTS: &[&str] = &[
    "package:cleanup",
    "aws:common:validate:validate",
    "aws:common:cleanupTempDir:cleanup",
    "package:initialize",
    "package:setupProviderConfiguration",
    "package:createDeploymentArtifacts",
    "package:compileLayers",
    "package:compileFunctions",
    "package:compileEvents",
    "package:finalize",
    "aws:package:finalize:addExportNameForOutputs",
    "aws:package:finalize:mergeCustomProviderResources",
    "aws:package:finalize:stripNullPropsFromTemplateResources",
    "aws:package:finalize:saveServiceState",
];

/// `remove`: v3's core work (empty the bucket, delete the stack) is `remove:remove`.
pub const REMOVE_EVENTS: &[&str] = &["remove:remove"];

/// `info`: v3's core `info:info` runs [`INFO_STEPS`], then come the plugins' `info:info` hooks.
pub const INFO_EVENTS: &[&str] = &["info:info"];
pub const INFO_STEPS: &[&str] = &[
    "aws:info:validate",
    "aws:info:gatherData",
    "aws:info:displayServiceInfo",
    "aws:info:displayApiKeys",
    "aws:info:displayEndpoints",
    "aws:info:displayFunctions",
    "aws:info:displayLayers",
    "aws:info:displayStackOutputs",
];

/// The events of `deploy` after packaging that sls-rs runs.
pub const DEPLOY_EVENTS: &[&str] = &["deploy:deploy", "deploy:finalize"];

/// For `command`: the namespaces of its events (`package:`, `aws:package:` …) and every event
/// of them sls-rs runs, so that a plugin hooking one it does not run can be refused.
pub fn command_events(command: &str) -> (Vec<&'static str>, Vec<String>) {
    let mut runs: Vec<String> = vec!["initialize".into(), "finalize".into()];
    let namespaces = match command {
        "remove" => {
            runs.extend(around(REMOVE_EVENTS));
            vec!["remove:", "aws:remove:"]
        }
        "info" => {
            runs.extend(around(INFO_EVENTS));
            runs.extend(around(INFO_STEPS));
            vec!["info:", "aws:info:"]
        }
        "deploy" => {
            runs.extend(around(PACKAGE_EVENTS));
            runs.extend(around(DEPLOY_EVENTS));
            runs.extend(around(crate::deploy::update::STEPS));
            vec![
                "package:",
                "aws:package:",
                "aws:common:",
                "deploy:",
                "aws:deploy:",
            ]
        }
        _ => {
            runs.extend(around(PACKAGE_EVENTS));
            vec!["package:", "aws:package:", "aws:common:"]
        }
    };
    (namespaces, runs)
}

/// Runs the plugins' hooks of `events` on the service as it stands; nothing without plugins.
pub fn run_hooks(host: Option<&mut Host>, service: &Service, events: &[String]) -> Result<()> {
    match host {
        Some(h) => h.run(events, &state_of(service, Value::Null)).map(|_| ()),
        None => Ok(()),
    }
}

/// `before:E`, `E`, `after:E` for each of `events`.
pub fn around(events: &[&str]) -> Vec<String> {
    events
        .iter()
        .flat_map(|e| [format!("before:{e}"), e.to_string(), format!("after:{e}")])
        .collect()
}

/// The state plugins see: the service's packaging settings, functions and layers.
pub fn state_of(service: &Service, template: Value) -> State {
    let functions: Map<String, Value> = service
        .functions
        .values()
        .map(|f| {
            let mut package = Map::new();
            if let Some(a) = &f.package.artifact {
                package.insert("artifact".into(), json!(a));
            }
            if !f.package.patterns.is_empty() {
                package.insert("patterns".into(), json!(f.package.patterns));
            }
            if let Some(i) = f.package.individually {
                package.insert("individually".into(), json!(i));
            }
            let mut fm = Map::new();
            fm.insert("name".into(), json!(f.name));
            if let Some(h) = &f.handler {
                fm.insert("handler".into(), json!(h));
            }
            if let Some(r) = &f.runtime {
                fm.insert("runtime".into(), json!(r));
            }
            fm.insert("package".into(), Value::Object(package));
            (f.key.clone(), Value::Object(fm))
        })
        .collect();
    let layers: Map<String, Value> = service
        .layers
        .values()
        .map(|l| {
            let mut lm = Map::new();
            if let Some(p) = &l.path {
                lm.insert("path".into(), json!(p));
            }
            if let Some(a) = &l.package.artifact {
                lm.insert("package".into(), json!({ "artifact": a }));
            }
            (l.key.clone(), Value::Object(lm))
        })
        .collect();
    let mut package = Map::new();
    if let Some(a) = &service.package.artifact {
        package.insert("artifact".into(), json!(a));
    }
    if !service.package.patterns.is_empty() {
        package.insert("patterns".into(), json!(service.package.patterns));
    }
    package.insert("individually".into(), json!(service.package.individually));
    package.insert(
        "excludeDevDependencies".into(),
        json!(service.package.exclude_dev_dependencies),
    );
    State {
        service_dir: service.dir.clone(),
        service: json!({ "package": package, "functions": functions, "layers": layers }),
        template,
    }
}

/// `state` with `package.artifactDirectoryName`, the deployment's S3 directory, which v3 sets
/// while packaging (serverless-plugin-split-stacks points its nested stacks' URLs into it).
pub fn with_directory(mut state: State, directory: &str) -> State {
    state.service["package"]["artifactDirectoryName"] = json!(directory);
    state
}

/// Takes back what plugins changed in the packaging settings: artifacts they built, patterns,
/// the service directory. Anything else they changed about functions is refused, so nothing a
/// plugin does is silently dropped.
pub fn apply(service: &mut Service, state: &State) -> Result<()> {
    apply_dir(service, state)?;
    let s = &state.service;
    let pkg = &s["package"];
    service.package.artifact = non_empty(&pkg["artifact"]);
    if let Some(p) = patterns_of(pkg) {
        service.package.patterns = p;
    }
    if let Some(i) = pkg["individually"].as_bool() {
        service.package.individually = i;
    }
    adopt_functions(service, &s["functions"])?;
    for (key, f) in s["functions"].as_object().into_iter().flatten() {
        let Some(ours) = service.functions.get_mut(key) else {
            continue;
        };
        let pkg = &f["package"];
        ours.package.artifact = non_empty(&pkg["artifact"]);
        if let Some(p) = patterns_of(pkg) {
            ours.package.patterns = p;
        }
        if let Some(i) = pkg["individually"].as_bool() {
            ours.package.individually = Some(i);
        }
        if let Some(h) = f["handler"].as_str() {
            ours.handler = Some(h.to_string());
        }
    }
    for (key, l) in s["layers"].as_object().into_iter().flatten() {
        let Some(ours) = service.layers.get_mut(key) else {
            return Err(Error::failed(format!(
                "a plugin added layer `{key}`, and sls-rs does not take layers from plugins yet"
            )));
        };
        ours.package.artifact = non_empty(&l["package"]["artifact"]);
    }
    Ok(())
}

fn non_empty(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(String::from)
}

/// `exclude` (negated), `include`, then `patterns`, as v3 folds the legacy keys.
fn patterns_of(pkg: &Value) -> Option<Vec<String>> {
    let list = |k: &str| -> Vec<String> {
        pkg[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    };
    if pkg.get("patterns").is_none() && pkg.get("include").is_none() && pkg.get("exclude").is_none()
    {
        return None;
    }
    let mut out: Vec<String> = list("exclude")
        .into_iter()
        .map(|e| format!("!{e}"))
        .collect();
    out.extend(list("include"));
    out.extend(list("patterns"));
    Some(out)
}

/// What packaging produced.
pub struct Packaged {
    pub plan: Plan,
    pub built: Vec<Built>,
}

/// `package` with plugins: v3's lifecycle around sls-rs's stages. `out` is where the package
/// goes (`None` for a dry run, which writes no package). `.serverless/` is kept aside while
/// plugins run (some copy their zips into it) and put back unless this run replaces it, so a
/// failure — or a dry run — leaves the previous package as it was.
pub fn package(
    service: &mut Service,
    host: &mut Host,
    out: Option<&Path>,
    deployment: Deployment,
    progress: &Progress,
) -> Result<Packaged> {
    let guard = Aside::new(&service.dir.join(".serverless"))?;
    let result = package_inside(service, host, out, deployment, progress);
    let replaced = result.is_ok() && out.is_some_and(|o| o == guard.path);
    guard.finish(replaced);
    result
}

fn package_inside(
    service: &mut Service,
    host: &mut Host,
    out: Option<&Path>,
    deployment: Deployment,
    progress: &Progress,
) -> Result<Packaged> {
    let original_dir = service.dir.clone();
    let directory = deployment.directory(service);
    let stated = |service: &Service, template: Value| {
        with_directory(state_of(service, template), &directory)
    };
    let mut state = stated(service, Value::Null);
    // `initialize` ran when the plugins were loaded (`commands::package::initialize`).
    let mut events = vec!["before:package:cleanup".to_string()];
    events.extend(around(&[
        "aws:common:validate:validate",
        "aws:common:cleanupTempDir:cleanup",
    ]));
    events.extend(["package:cleanup", "after:package:cleanup"].map(String::from));
    events.extend(around(&[
        "package:initialize",
        "package:setupProviderConfiguration",
    ]));
    events.push("before:package:createDeploymentArtifacts".into());
    state = host.run(&events, &state)?;
    apply(service, &state)?;
    let statements = take_statements(service, host.added())?;

    // Core: the zips. A dry run builds them too, in a scratch directory: plugins' hooks after
    // this one read, move and rewrite them.
    let staging = match out {
        Some(o) => package::staging_dir(o)?,
        None => tempfile::tempdir().map_err(|e| Error::io("create", "a scratch directory", e))?,
    };
    let specs = package::specs(service, out)?;
    let mut built = package::build(&specs, Some(staging.path()), progress)?;

    // Plugins see where each zip is, may rewrite it (add files) or point elsewhere.
    let mut state = stated(service, Value::Null);
    hand_over(service, &original_dir, &built, &mut state)?;
    let events: Vec<String> = [
        "package:createDeploymentArtifacts",
        "after:package:createDeploymentArtifacts",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let after = host.run(&events, &state)?;
    refuse_late_additions(service, &after, &events, &["layers"])?;
    take_back_artifacts(&after, &mut built)?;
    adopt_layers(service, &after, &mut built, staging.path())?;
    // A plugin that moved the service directory for packaging moves it back here.
    apply_dir(service, &after)?;

    // Core: the template, with the plugins' hooks at each compile step.
    let svc: &Service = service;
    let mut merged = Value::Null;
    let mut hook = |stage: Stage, template: &mut Value| -> Result<()> {
        check_additions(host.added(), statements, None)?;
        if stage == Stage::Merged {
            // v3 merges what plugins added to `resources:` with the user's own here.
            merge_resources(template, &host.added()["resources"])?;
            merged = host.added()["resources"].clone();
        }
        let events: Vec<String> = match stage {
            Stage::Functions => {
                let mut e = around(&["package:compileLayers"]);
                e.extend(around(&["package:compileFunctions"]));
                e.push("before:package:compileEvents".into());
                e
            }
            Stage::Events => {
                let mut e = vec![
                    "package:compileEvents".to_string(),
                    "after:package:compileEvents".to_string(),
                    "before:package:finalize".to_string(),
                ];
                e.extend(around(&["aws:package:finalize:addExportNameForOutputs"]));
                e.push("before:aws:package:finalize:mergeCustomProviderResources".into());
                e
            }
            Stage::Merged => {
                let mut e = vec![
                    "aws:package:finalize:mergeCustomProviderResources".to_string(),
                    "after:aws:package:finalize:mergeCustomProviderResources".to_string(),
                ];
                e.extend(around(&[
                    "aws:package:finalize:stripNullPropsFromTemplateResources",
                ]));
                e.push("before:aws:package:finalize:saveServiceState".into());
                e
            }
        };
        if !host.hooks_any(&events) {
            return Ok(());
        }
        let back = host.run(&events, &stated(svc, template.clone()))?;
        refuse_late_additions(svc, &back, &events, &[])?;
        if back.template.is_object() {
            *template = back.template;
        }
        Ok(())
    };
    let plan = plan::plan_with(
        svc,
        &package::artifacts(&built),
        deployment,
        Some(&mut hook),
    )?;
    check_additions(host.added(), statements, Some(&merged))?;

    // The package is written; plugins' hooks after that see it but change nothing in it.
    match out {
        Some(o) => {
            carry_plugin_files(&svc.dir.join(".serverless"), staging.path())?;
            let state_json = package::state(service, &plan, &built);
            package::write_package(staging, o, &plan, &state_json)?;
            for b in &mut built {
                b.path = b.path.take().map(|_| o.join(&b.artifact.name));
            }
        }
        None => {
            for b in &mut built {
                b.path = None;
            }
        }
    }
    let events: Vec<String> = {
        let mut e = vec![
            "aws:package:finalize:saveServiceState".to_string(),
            "after:aws:package:finalize:saveServiceState".to_string(),
        ];
        e.extend(["package:finalize", "after:package:finalize"].map(String::from));
        e
    };
    let last = host.run(&events, &stated(service, plan.update.clone()))?;
    refuse_late_additions(service, &last, &events, &[])?;
    Ok(Packaged { plan, built })
}

/// Files plugins wrote into `.serverless/` during the run (serverless-plugin-split-stacks
/// writes its nested templates there) go into the new package, beside sls-rs's own.
fn carry_plugin_files(from: &Path, staging: &Path) -> Result<()> {
    let Ok(rd) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let to = staging.join(e.file_name());
        if to.exists() || !e.path().is_file() {
            continue;
        }
        std::fs::copy(e.path(), &to).map_err(|err| Error::io("copy", e.path(), err))?;
    }
    Ok(())
}

/// Where a zip's path is in the state plugins see: `package.artifact` of the service, a
/// function or a layer.
fn artifact_slot<'a>(service: &'a mut Value, owner: &package::Owner) -> &'a mut Value {
    let holder = match owner {
        package::Owner::Service => service,
        package::Owner::Function(f) => &mut service["functions"][f],
        package::Owner::Layer(l) => &mut service["layers"][l],
    };
    &mut holder["package"]["artifact"]
}

/// Tells plugins where each zip is. Where a plugin moved the service directory for packaging
/// (serverless-plugin-typescript compiles into `.build` and packages that), the zips are put
/// where v3 writes them, `<service directory>/.serverless/<zip>`, since such plugins take
/// them from there and move them back themselves.
fn hand_over(
    service: &Service,
    original_dir: &Path,
    built: &[Built],
    state: &mut State,
) -> Result<()> {
    let moved = (service.dir != original_dir).then(|| service.dir.join(".serverless"));
    if let Some(dir) = &moved {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    for b in built {
        let Some(path) = &b.path else { continue };
        let path = match &moved {
            Some(dir) => {
                let to = dir.join(&b.artifact.name);
                std::fs::copy(path, &to).map_err(|e| Error::io("copy", path, e))?;
                to
            }
            None => path.clone(),
        };
        *artifact_slot(&mut state.service, &b.spec.owner) = json!(path);
    }
    Ok(())
}

/// Functions plugins added before the zips are built (serverless-plugin-warmup's warmers,
/// serverless-lift's workers): checked as the user's own — handler, events, settings — then
/// packaged, compiled and deployed like them.
fn adopt_functions(service: &mut Service, functions: &Value) -> Result<()> {
    let added: Map<String, Value> = functions
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !service.functions.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    let new = crate::manifest::validate::plugin_functions(&added, service)?;
    service.functions.extend(new);
    Ok(())
}

/// Functions (and layers, unless `taken` here) a plugin added after sls-rs takes them — the
/// zips are built by then — would be left out of the package: refused, naming where.
fn refuse_late_additions(
    service: &Service,
    state: &State,
    events: &[String],
    taken: &[&str],
) -> Result<()> {
    let during = match events {
        [one] => format!("`{one}`"),
        [first, .., last] => format!("`{first}` … `{last}`"),
        [] => "a hook".to_string(),
    };
    for kind in ["functions", "layers"] {
        if taken.contains(&kind) {
            continue;
        }
        let late = state.service[kind]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .find(|k| match kind {
                "functions" => !service.functions.contains_key(*k),
                _ => !service.layers.contains_key(*k),
            });
        if let Some(key) = late {
            return Err(Error::config(
                Diagnostic::error(format!(
                    "a plugin added {} `{key}` during {during}, once the zips were built, so it would not be deployed",
                    &kind[..kind.len() - 1]
                ))
                .at(&KeyPath::root().key("plugins"))
                .hint("sls-rs takes functions plugins add until `before:package:createDeploymentArtifacts` and layers until `after:package:createDeploymentArtifacts`, as v3 packages them"),
            ));
        }
    }
    Ok(())
}

/// Layers plugins added by `after:package:createDeploymentArtifacts`
/// (serverless-python-requirements puts the requirements in one): checked as the user's own,
/// and their zip — `package.artifact`, or `.serverless/<key>.zip` where v3 looks (v3 ignores
/// a top-level `artifact` on a layer, and so does sls-rs) — copied beside sls-rs's zips and
/// hashed, so the layer is compiled, uploaded and versioned like any other.
fn adopt_layers(
    service: &mut Service,
    state: &State,
    built: &mut Vec<Built>,
    staging: &Path,
) -> Result<()> {
    let mut added = Map::new();
    for (key, layer) in state.service["layers"].as_object().into_iter().flatten() {
        if service.layers.contains_key(key) {
            continue;
        }
        let mut layer = layer.clone();
        if let Some(m) = layer.as_object_mut() {
            m.remove("artifact");
            let package = m.entry("package").or_insert_with(|| json!({}));
            if package["artifact"].as_str().is_none() {
                let default = state
                    .service_dir
                    .join(".serverless")
                    .join(format!("{key}.zip"));
                package["artifact"] = json!(default);
            }
        }
        added.insert(key.clone(), layer);
    }
    if added.is_empty() {
        return Ok(());
    }
    let layers = crate::manifest::validate::plugin_layers(&added)?;
    for (key, layer) in layers {
        let artifact = layer.package.artifact.clone().unwrap_or_default();
        let source = resolve_path(&state.service_dir, &artifact);
        if !source.is_file() {
            return Err(Error::failed(format!(
                "a plugin added layer `{key}` with its zip at {}, which does not exist",
                source.display()
            )));
        }
        let name = package::file_name(&artifact);
        if built.iter().any(|b| b.artifact.name == name) {
            return Err(Error::failed(format!(
                "a plugin added layer `{key}` whose zip is named {name}, like another artifact of the service"
            )));
        }
        built.push(package::build_one(
            &package::Spec {
                name,
                owner: package::Owner::Layer(key.clone()),
                source: package::Source::Prebuilt(source),
            },
            Some(staging),
        )?);
        service.layers.insert(key, layer);
    }
    Ok(())
}

/// IAM statements plugins added by `before:package:createDeploymentArtifacts` (serverless-lift
/// grants its constructs' permissions at `initialize`) go into the shared role, as v3 merges
/// them at `package:setupProviderConfiguration`. Returns how many.
fn take_statements(service: &mut Service, added: &Value) -> Result<usize> {
    let new: Vec<Value> = added["statements"].as_array().cloned().unwrap_or_default();
    if new.is_empty() {
        return Ok(0);
    }
    if service.provider.iam.existing_role.is_some() {
        return Err(Error::config(
            Diagnostic::error(format!(
                "a plugin added {} IAM statement(s) to the role, and the service uses an existing role (provider.iam.role), which sls-rs does not change",
                new.len()
            ))
            .at(&KeyPath::root().key("provider").key("iam").key("role"))
            .hint("grant the plugin's permissions in the existing role, or let sls-rs generate the role"),
        ));
    }
    let n = new.len();
    service.provider.iam.statements.extend(new);
    Ok(n)
}

/// Refuses what plugins did to `resources:` and the role's statements that sls-rs would
/// otherwise drop: changing or removing the user's own entries, statements added after the
/// role was compiled, resources added after they were merged (`merged`, once it happened).
fn check_additions(added: &Value, statements: usize, merged: Option<&Value>) -> Result<()> {
    let refuse = |what: String| {
        Err(Error::config(
            Diagnostic::error(what)
                .at(&KeyPath::root().key("plugins"))
                .hint("this is a plugin's doing; leave it out with --skip-plugin NAME if the service does not need it"),
        ))
    };
    if let Some(first) = added["changed"].as_array().and_then(|c| c.first()) {
        return refuse(format!(
            "a plugin changed `{}` of the configuration after sls-rs took it, so the change would not be deployed (sls-rs takes plugins' changes to the service's settings until `initialize` ends, and to `resources:` and IAM statements as additions)",
            first.as_str().unwrap_or_default()
        ));
    }
    let now = added["statements"].as_array().map_or(0, Vec::len);
    if now != statements {
        return refuse(format!(
            "a plugin added IAM statements after the role was compiled ({now} now, {statements} taken before `package:createDeploymentArtifacts`)"
        ));
    }
    if let Some(m) = merged {
        let empty = |v: &Value| v.as_object().is_none_or(|o| o.is_empty());
        if &added["resources"] != m && !(empty(&added["resources"]) && empty(m)) {
            return refuse(
                "a plugin added to `resources:` after v3 merges them (`aws:package:finalize:mergeCustomProviderResources`)".to_string(),
            );
        }
    }
    Ok(())
}

/// Adds the sections plugins added to `resources:` to the template; an ID the template
/// already has is a conflict, not an overwrite.
fn merge_resources(template: &mut Value, added: &Value) -> Result<()> {
    for (section, entries) in added.as_object().into_iter().flatten() {
        for (id, v) in entries.as_object().into_iter().flatten() {
            let slot = &mut template[section.as_str()];
            if slot.get(id).is_some() {
                return Err(Error::config(
                    Diagnostic::error(format!(
                        "a plugin added `{id}` to resources.{section}, which the template already has"
                    ))
                    .at(&KeyPath::root().key("resources").key(section.clone()))
                    .hint("rename the entry in `resources:` or in the plugin's configuration"),
                ));
            }
            if !slot.is_object() {
                *slot = json!({});
            }
            slot[id.as_str()] = v.clone();
        }
    }
    Ok(())
}

/// Only the service directory of what plugins hand back (the rest of their packaging
/// settings was taken with the artifacts).
fn apply_dir(service: &mut Service, state: &State) -> Result<()> {
    if state.service_dir != service.dir {
        if !state.service_dir.is_dir() {
            return Err(Error::failed(format!(
                "a plugin moved the service directory to {}, which does not exist",
                state.service_dir.display()
            )));
        }
        service.dir = state.service_dir.clone();
    }
    Ok(())
}

/// After `after:package:createDeploymentArtifacts`: a zip a plugin rewrote in place is hashed
/// again; one it points elsewhere (a copy it made) replaces ours.
fn take_back_artifacts(state: &State, built: &mut [Built]) -> Result<()> {
    let mut service = state.service.clone();
    for b in built.iter_mut() {
        let reported = artifact_slot(&mut service, &b.spec.owner).clone();
        let Some(reported) = reported.as_str().filter(|s| !s.is_empty()) else {
            continue;
        };
        let reported = resolve_path(&state.service_dir, reported);
        let ours = b.path.clone();
        let source = match &ours {
            Some(p) if same_file(p, &reported) => p.clone(),
            _ => {
                if !reported.is_file() {
                    return Err(Error::config(
                        Diagnostic::error(format!(
                            "a plugin set the artifact of {} to {}, which does not exist",
                            b.spec.name,
                            reported.display()
                        ))
                        .at(&KeyPath::root().key("plugins"))
                        .hint("this is the plugin's doing; check its configuration and output"),
                    ));
                }
                if let Some(p) = &ours {
                    std::fs::copy(&reported, p).map_err(|e| Error::io("copy", &reported, e))?;
                    p.clone()
                } else {
                    reported.clone()
                }
            }
        };
        let ((b64, hex), size) = package::archive::hash_file(&source)?;
        b.artifact.sha256 = b64;
        b.artifact.sha256_hex = hex;
        b.artifact.size = size;
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// `.serverless/` moved aside while plugins run, and put back unless replaced.
struct Aside {
    path: PathBuf,
    aside: Option<PathBuf>,
}

impl Aside {
    fn new(path: &Path) -> Result<Aside> {
        let aside = path.with_file_name(format!(
            "{}{}",
            package::select::ASIDE_PREFIX,
            std::process::id()
        ));
        let moved = if path.exists() {
            std::fs::rename(path, &aside).map_err(|e| Error::io("move aside", path, e))?;
            Some(aside)
        } else {
            None
        };
        Ok(Aside {
            path: path.to_path_buf(),
            aside: moved,
        })
    }

    /// `replaced`: this run wrote a new package at `path`; otherwise what plugins left there
    /// goes and the previous one comes back.
    fn finish(mut self, replaced: bool) {
        if !replaced {
            let _ = std::fs::remove_dir_all(&self.path);
        }
        if let Some(aside) = self.aside.take() {
            if replaced {
                let _ = std::fs::remove_dir_all(&aside);
            } else {
                let _ = std::fs::rename(&aside, &self.path);
            }
        }
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        if let Some(aside) = self.aside.take() {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = std::fs::rename(&aside, &self.path);
        }
    }
}
