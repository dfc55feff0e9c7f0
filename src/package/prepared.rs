//! A package ready to deploy: built just now, or read back from `sls-rs package --package DIR`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Built;
use crate::error::{Error, Result};
use crate::manifest::Service;
use crate::plan::Plan;

/// A package ready to deploy: built now, or read from `--package DIR`.
pub struct Prepared {
    pub plan: Plan,
    pub state: Value,
    /// Zip name, path, hex sha256.
    pub zips: Vec<(String, PathBuf, String)>,
    /// Files plugins wrote into the package (serverless-plugin-split-stacks' nested templates):
    /// name, path, hex sha256 with the deployment's directory and time taken out.
    pub plugin_files: Vec<(String, PathBuf, String)>,
}

impl Prepared {
    /// What `package` just built and wrote into `dir`.
    pub fn built(service: &Service, plan: Plan, built: &[Built], dir: &Path) -> Result<Prepared> {
        let state = super::state(service, &plan, built);
        let zips = built
            .iter()
            .filter_map(|b| {
                b.path
                    .clone()
                    .map(|p| (b.artifact.name.clone(), p, b.artifact.sha256_hex.clone()))
            })
            .collect::<Vec<_>>();
        let plugin_files = plugin_files(dir, &zips, &plan.directory)?;
        Ok(Prepared {
            plan,
            state,
            zips,
            plugin_files,
        })
    }
}

/// Reads a package written by `sls-rs package --package DIR`.
pub fn read(service: &Service, dir: &Path) -> Result<Prepared> {
    let read = |name: &str| -> Result<Value> {
        let p = dir.join(name);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::failed(format!("{} is not valid JSON: {e}", p.display())))
    };
    let state = read(super::STATE_FILE)?;
    let packaged_for = (
        state["service"]["service"].as_str(),
        state["service"]["provider"]["stage"].as_str(),
    );
    if packaged_for.0 != Some(service.name.as_str()) {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for service {:?}, not {}",
                dir.display(),
                packaged_for.0.unwrap_or("?"),
                service.name,
            ),
            "deploy the package from its own service's directory, or deploy without --package",
        ));
    }
    if packaged_for.1 != Some(service.stage.as_str()) {
        return for_stage(service, dir, &state, packaged_for.1.unwrap_or("?"));
    }
    let update = read(super::UPDATE_TEMPLATE)?;
    let create = if dir.join(super::CREATE_TEMPLATE).is_file() {
        Some(read(super::CREATE_TEMPLATE)?)
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
    let plugin_files = plugin_files(dir, &zips, &directory)?;
    Ok(Prepared {
        plan: Plan {
            create,
            update,
            directory,
            nested: nested_in(dir)?,
            warnings: Vec::new(),
        },
        state,
        zips,
        plugin_files,
    })
}

/// A package built for stage `packaged` deployed to `service`'s stage: the zips as they are, the
/// templates compiled for this stage. Only where the two stages decide the same zips
/// ([`super::code_settings`]); plugins, which shape both the zips and the template while
/// packaging, need a package per stage.
fn for_stage(service: &Service, dir: &Path, state: &Value, packaged: &str) -> Result<Prepared> {
    let hint_again = format!("package for stage {} (`sls-rs package --stage {} --package DIR`), or deploy without --package", service.stage, service.stage);
    if !service.plugins.modules.is_empty() {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for stage {packaged}, and this service's plugins run while packaging, shaping the zips and the template for a stage",
                dir.display()
            ),
            hint_again,
        ));
    }
    if super::images::needs_aws(service) {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for stage {packaged}, and this service's images are pinned (and built, into the stage's own repository) while packaging",
                dir.display()
            ),
            hint_again,
        ));
    }
    let Some(then) = state["code"].as_object() else {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for stage {packaged} by a version of sls-rs that did not record what decides its zips",
                dir.display()
            ),
            hint_again,
        ));
    };
    let now = super::code_settings(service);
    let now = now.as_object().cloned().unwrap_or_default();
    let mut keys: Vec<&String> = then.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    let differs: Vec<String> = keys
        .into_iter()
        .filter(|k| then.get(*k) != now.get(*k))
        .map(|k| {
            let show = |v: Option<&Value>| crate::diff::short(&v.cloned(), 60);
            format!(
                "{k}: {} for {packaged}, {} for {}",
                show(then.get(k)),
                show(now.get(k)),
                service.stage
            )
        })
        .collect();
    if !differs.is_empty() {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for stage {packaged}, and what decides its code differs for stage {}:\n  {}",
                dir.display(),
                service.stage,
                differs.join("\n  ")
            ),
            hint_again,
        ));
    }
    let mut built = Vec::new();
    for a in state["artifacts"].as_array().into_iter().flatten() {
        let name = a["name"].as_str().unwrap_or_default().to_string();
        let path = dir.join(&name);
        let owner = a["owner"].as_str().and_then(super::owner_from_name);
        let (Some(owner), true) = (owner, path.is_file()) else {
            return Err(Error::failed_with_hint(
                format!(
                    "{} lists {name}, which is missing or has no owner",
                    dir.display()
                ),
                hint_again,
            ));
        };
        // The zip's own hash and size: the template names what is uploaded.
        let ((sha256, sha256_hex), size) = super::archive::hash_file(&path)?;
        built.push(Built {
            spec: super::Spec {
                name: name.clone(),
                owner,
                source: super::Source::Prebuilt(path.clone()),
            },
            artifact: crate::plan::Artifact {
                name,
                sha256,
                sha256_hex,
                size,
            },
            path: Some(path),
        });
    }
    let deployment = crate::plan::Deployment {
        timestamp_ms: crate::clock::deployment_ms()?,
    };
    let plan = crate::plan::plan(service, &super::artifacts(&built), deployment)?;
    Prepared::built(service, plan, &built, dir)
}

/// The nested stacks' templates in the package at `dir` (uploaded with the other files there).
fn nested_in(dir: &Path) -> Result<Vec<crate::plan::split::Nested>> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in rd.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(id) = file
            .strip_prefix(crate::naming::NESTED_TEMPLATE_PREFIX)
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        let p = e.path();
        let text = std::fs::read_to_string(&p).map_err(|err| Error::io("read", &p, err))?;
        let template = serde_json::from_str(&text)
            .map_err(|err| Error::failed(format!("{} is not valid JSON: {err}", p.display())))?;
        out.push(crate::plan::split::Nested {
            id: id.to_string(),
            file,
            template,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The files in the package at `dir` that are neither sls-rs's templates and state nor `zips`.
fn plugin_files(
    dir: &Path,
    zips: &[(String, PathBuf, String)],
    directory: &str,
) -> Result<Vec<(String, PathBuf, String)>> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let ours = [
        super::CREATE_TEMPLATE,
        super::UPDATE_TEMPLATE,
        super::STATE_FILE,
    ];
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if !path.is_file() || ours.contains(&name.as_str()) || zips.iter().any(|z| z.0 == name) {
            continue;
        }
        // Templates name the deployment's directory (split-stacks' nested stack URLs), which
        // changes every time; other files are hashed as they are.
        let sha = if name.ends_with(".json") {
            let text =
                std::fs::read_to_string(&path).map_err(|err| Error::io("read", &path, err))?;
            crate::deploy::update::normalized_sha(&text, directory)
        } else {
            super::archive::hash_file(&path)?.0 .1
        };
        out.push((name, path, sha));
    }
    out.sort();
    Ok(out)
}
