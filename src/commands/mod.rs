//! One module per command. Each takes the parsed command line and does its one job; what they
//! share (finding and loading the service, showing warnings) is here.

pub mod compose;
pub mod deploy;
pub mod deploy_function;
pub mod diff;
pub mod function_config;
pub mod info;
pub mod invoke;
pub mod logs;
pub mod metrics;
pub mod package;
pub mod plugin;
pub mod print;
pub mod remove;
pub mod rollback;
pub mod runtime_api;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::{Command, Global, Invocation};
use crate::error::{Error, Result};
use crate::manifest::{self, Loaded, RemoteSource};

pub fn run(inv: Invocation) -> Result<()> {
    let Invocation { cli, custom } = inv;
    for (flag, why) in crate::cli::V3_FLAGS_NOT_SUPPORTED {
        if custom.contains_key(*flag) {
            return Err(Error::Usage(format!("--{flag}: {why}")));
        }
    }
    let ctx = Ctx {
        global: cli.global,
        custom,
    };
    if let Some(args) = compose_instead(&ctx, &cli.command) {
        return compose::run(&ctx, &args);
    }
    match cli.command {
        Command::Print(args) => print::run(&ctx, &args),
        Command::Package(args) => package::run(&ctx, &args),
        Command::Deploy(cmd) => match &cmd.what {
            None if cmd.args.dry_run => {
                let args = crate::cli::DiffArgs {
                    json: false,
                    fail: false,
                    method: crate::cli::DiffMethod::Changeset,
                };
                diff::run(&ctx, &args).map(|_| ())
            }
            None => deploy::run(&ctx, &cmd.args),
            Some(crate::cli::DeployWhat::List(list)) => match &list.what {
                None => deploy::list(&ctx, &list.args),
                Some(crate::cli::ListWhat::Functions(args)) => deploy::list_functions(&ctx, args),
            },
            Some(crate::cli::DeployWhat::Function(args)) => deploy_function::run(&ctx, args),
        },
        Command::Remove(args) => remove::run(&ctx, &args),
        Command::Rollback(cmd) => match &cmd.what {
            None => rollback::run(&ctx, &cmd.args),
            Some(crate::cli::RollbackWhat::Function(args)) => rollback::function(&ctx, args),
        },
        Command::Logs(args) => logs::run(&ctx, &args),
        Command::Metrics(args) => metrics::run(&ctx, &args),
        Command::Diff(args) => {
            let changes = diff::run(&ctx, &args)?;
            if changes && args.fail {
                std::process::exit(2);
            }
            Ok(())
        }
        Command::Info(args) => info::run(&ctx, &args),
        Command::Invoke(cmd) => invoke::run(&ctx, &cmd),
        Command::Compose(args) => compose::run(&ctx, &args),
        Command::Plugin(words) => plugin::run(&ctx, &words),
    }
}

/// Writes a command's result to stdout. A closed pipe (`sls-rs print | head`) is not an error
/// worth a panic: the reader has what it wanted.
pub fn stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("write", "standard output", e)),
    }
}

/// The function under `functions:` called `name`, or an error listing the service's functions.
pub fn function<'a>(
    service: &'a manifest::service::Service,
    name: &str,
) -> Result<&'a manifest::service::Function> {
    service.functions.get(name).ok_or_else(|| {
        let names: Vec<&str> = service.functions.keys().map(|k| k.as_str()).collect();
        Error::failed_with_hint(
            format!("the service has no function `{name}`"),
            if names.is_empty() {
                "it has no functions".to_string()
            } else {
                format!("its functions are {}", names.join(", "))
            },
        )
    })
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
            instance_id: crate::clock::now_ms().to_string(),
            today: crate::clock::today()?,
        })
    }

    pub fn config_path(&self) -> Result<PathBuf> {
        let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
        manifest::find_config(&cwd, self.global.config.as_deref())
    }

    /// The region and profile to start from, before variables are resolved: the options, else
    /// the file's literal `provider.region` / `provider.profile`, else the environment. Only a
    /// configuration with variables that need AWS asks, so the file is read a second time only
    /// then, and only within the size sls-rs reads at all.
    fn region_and_profile(
        path: &std::path::Path,
        region: Option<String>,
        aws_profile: Option<String>,
    ) -> (String, Option<String>) {
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= crate::yaml::MAX_FILE_BYTES);
        let raw = small
            .then(|| std::fs::read_to_string(path).ok())
            .flatten()
            .and_then(|t| crate::yaml::parse(&t).ok())
            .unwrap_or(Value::Null);
        let literal = |key: &str| {
            raw["provider"][key]
                .as_str()
                .filter(|s| !s.contains("${"))
                .map(String::from)
        };
        let region =
            manifest::defaults::region(region, literal("region"), |k| std::env::var(k).ok());
        let profile = aws_profile.or_else(|| literal("profile"));
        (region, profile)
    }

    /// Finds, loads and validates the service, printing its warnings on stderr. Variables that
    /// need AWS are resolved through it, connecting only if there are any. Values from the
    /// plugins' variable sources wait ([`Loaded::pending`]) for [`Ctx::load_with`].
    pub fn load(&self) -> Result<Loaded> {
        self.load_from(None, true)
    }

    /// Loads the service again with every variable resolved, the plugins' sources through
    /// `plugins` (its warnings were shown by [`Ctx::load`]).
    pub fn load_with(&self, plugins: &mut dyn manifest::PluginSource) -> Result<Loaded> {
        self.load_from(Some(plugins), false)
    }

    fn load_from(
        &self,
        plugins: Option<&mut dyn manifest::PluginSource>,
        warn: bool,
    ) -> Result<Loaded> {
        let path = self.config_path()?;
        let (at, region, profile) = (
            path.clone(),
            self.global.region.clone(),
            self.global.aws_profile.clone(),
        );
        let remote: Box<dyn RemoteSource> =
            Box::new(crate::deploy::remote::Remote::new(Box::new(move || {
                Self::region_and_profile(&at, region.clone(), profile.clone())
            })));
        let loaded = manifest::load(&path, &self.options()?, Some(remote), plugins)?;
        if warn && !self.global.quiet {
            for w in &loaded.warnings {
                eprint!("{}", w.render());
            }
        }
        Ok(loaded)
    }
}

/// Whether stdout gets colour: a terminal, and `NO_COLOR` not set (no-color.org).
pub fn stdout_colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The compose run a command means where `serverless-compose.yml` is and no service
/// configuration (v3's compose): `deploy`, `remove`, `package`, `info`, and `api:deploy` for one
/// service.
fn compose_instead(ctx: &Ctx, command: &Command) -> Option<crate::cli::ComposeArgs> {
    use crate::cli::{ComposeAction, ComposeArgs};
    let dir = std::env::current_dir().ok()?;
    if ctx.global.config.is_some() || crate::compose::find(&dir).is_none() {
        return None;
    }
    if manifest::find_config(&dir, None).is_ok() {
        return None;
    }
    let whole = |action| ComposeArgs {
        action,
        service: Vec::new(),
        max_concurrency: 4,
    };
    match command {
        Command::Deploy(cmd) if cmd.what.is_none() && !cmd.args.dry_run => {
            Some(whole(ComposeAction::Deploy))
        }
        Command::Remove(_) => Some(whole(ComposeAction::Remove)),
        Command::Package(args) if !args.dry_run => Some(whole(ComposeAction::Package)),
        Command::Info(_) => Some(whole(ComposeAction::Info)),
        Command::Plugin(words) => {
            let (service, verb) = words.first()?.split_once(':')?;
            let action = match verb {
                "deploy" => ComposeAction::Deploy,
                "remove" => ComposeAction::Remove,
                "package" => ComposeAction::Package,
                "info" => ComposeAction::Info,
                "outputs" => ComposeAction::Outputs,
                _ => return None,
            };
            Some(ComposeArgs {
                action,
                service: vec![service.to_string()],
                max_concurrency: 1,
            })
        }
        _ => None,
    }
}
