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
}

impl Prepared {
    /// What `package` just built and wrote.
    pub fn built(service: &Service, plan: Plan, built: &[Built]) -> Prepared {
        let state = super::state(service, &plan, built);
        let zips = built
            .iter()
            .filter_map(|b| {
                b.path
                    .clone()
                    .map(|p| (b.artifact.name.clone(), p, b.artifact.sha256_hex.clone()))
            })
            .collect();
        Prepared { plan, state, zips }
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
    if packaged_for != (Some(service.name.as_str()), Some(service.stage.as_str())) {
        return Err(Error::failed_with_hint(
            format!(
                "{} was packaged for {:?} stage {:?}, not {} stage {}",
                dir.display(),
                packaged_for.0.unwrap_or("?"),
                packaged_for.1.unwrap_or("?"),
                service.name,
                service.stage
            ),
            "package again with the same --stage, or deploy without --package",
        ));
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
    Ok(Prepared {
        plan: Plan {
            create,
            update,
            directory,
        },
        state,
        zips,
    })
}
