//! One module per command. Each takes the parsed command line and does its one job; what they
//! share (finding and loading the service, showing warnings) is here.

pub mod package;
pub mod print;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::{Command, Global, Invocation};
use crate::error::{Error, Result};
use crate::manifest::{self, Loaded, RemoteSource};

pub fn run(inv: Invocation) -> Result<()> {
    let Invocation { cli, custom } = inv;
    let ctx = Ctx {
        global: cli.global,
        custom,
    };
    match cli.command {
        Command::Print(args) => print::run(&ctx, &args),
        Command::Package(args) => package::run(&ctx, &args),
        Command::Deploy(_) => Err(Error::Usage(
            "`deploy` is not available yet in this build of sls-rs".into(),
        )),
        Command::Remove(_) => Err(Error::Usage(
            "`remove` is not available yet in this build of sls-rs".into(),
        )),
        Command::Info(_) => Err(Error::Usage(
            "`info` is not available yet in this build of sls-rs".into(),
        )),
    }
}

/// What every command gets: the global options and the custom ones.
pub struct Ctx {
    pub global: Global,
    pub custom: BTreeMap<String, Value>,
}

impl Ctx {
    pub fn options(&self) -> Result<manifest::Options> {
        let params = self.global.param_map().map_err(Error::Usage)?;
        Ok(manifest::Options {
            options: self.global.options(&self.custom),
            params,
            env: std::env::vars().collect::<HashMap<_, _>>(),
            instance_id: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis().to_string())
                .unwrap_or_default(),
            today: None,
        })
    }

    pub fn config_path(&self) -> Result<PathBuf> {
        let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
        manifest::find_config(&cwd, self.global.config.as_deref())
    }

    /// Finds, loads and validates the service, printing its warnings on stderr.
    pub fn load(&self, remote: Option<Box<dyn RemoteSource>>) -> Result<Loaded> {
        let path = self.config_path()?;
        let loaded = manifest::load(&path, &self.options()?, remote)?;
        if !self.global.quiet {
            for w in &loaded.warnings {
                eprint!("{}", w.render());
            }
        }
        Ok(loaded)
    }
}
