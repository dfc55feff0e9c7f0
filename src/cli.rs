//! The command line: clap for the options sls-rs knows, plus the Serverless Framework's custom
//! options (`--domain example.com`), which any command accepts and `${opt:domain}` reads.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(
    name = "sls-rs",
    version,
    about = "Deploy Serverless Framework v3 services to AWS, fast",
    long_about = "Deploy Serverless Framework v3 services (serverless.yml) to AWS CloudFormation.\n\nAny other --name value option is passed to the configuration as ${opt:name}."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// Path to the configuration file (default: serverless.yml, .yaml or .json here)
    #[arg(short = 'c', long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Stage to deploy (default: provider.stage, else dev)
    #[arg(short = 's', long, global = true)]
    pub stage: Option<String>,
    /// AWS region (default: provider.region, else AWS_REGION, else us-east-1)
    #[arg(short = 'r', long, global = true)]
    pub region: Option<String>,
    /// AWS profile from the shared config files
    #[arg(long = "aws-profile", global = true, value_name = "PROFILE")]
    pub aws_profile: Option<String>,
    /// A parameter for ${param:key}, as key=value (repeatable)
    #[arg(long = "param", global = true, value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Say more about what is happening
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
    /// Print only errors and results
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Leave out a plugin the service lists, e.g. one only local development needs (repeatable)
    #[arg(long = "skip-plugin", global = true, value_name = "NAME")]
    pub skip_plugins: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Package and deploy the service; `deploy list` lists the deployments in the bucket
    Deploy(DeployCmd),
    /// Build the deployment artifacts into .serverless/ without deploying
    Package(PackageArgs),
    /// Remove the deployed stack and its deployment bucket contents
    Remove(RemoveArgs),
    /// Show the deployed service: status, endpoints, functions, outputs
    Info(InfoArgs),
    /// Print the configuration with every variable resolved
    Print(PrintArgs),
    /// Invoke a function: `invoke local -f NAME` runs its handler on this machine
    Invoke(Box<InvokeCmd>),
    /// Deploy an earlier deployment again (`--timestamp` from `deploy list`); `rollback function`
    /// puts one function's code back to an earlier version
    Rollback(RollbackCmd),
    /// Print a function's logs from CloudWatch Logs; `--tail` follows them
    Logs(LogsArgs),
    /// Invocations, errors, throttles and average duration from CloudWatch
    Metrics(MetricsArgs),
    /// What a deploy would change, per resource, against the deployed stack (nothing is written)
    Diff(DiffArgs),
    /// The services of serverless-compose.yml together, in dependency order (`deploy`,
    /// `remove`, `package`, `info` and `outputs` run where that file is do the same)
    Compose(ComposeArgs),
    /// A command a plugin of the service declares (`sls-rs offline`, `sls-rs prune -n 3`)
    #[command(external_subcommand)]
    Plugin(Vec<String>),
}

#[derive(Debug, Args, Clone)]
pub struct ComposeArgs {
    #[arg(value_enum)]
    pub action: ComposeAction,
    /// Only these services (comma-separated); the outputs of others are read from their stacks
    #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
    pub service: Vec<String>,
    /// How many services run at once
    #[arg(long = "max-concurrency", value_name = "N", default_value_t = 4)]
    pub max_concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ComposeAction {
    Deploy,
    Remove,
    Package,
    Info,
    Outputs,
}

#[derive(Debug, Args)]
pub struct DeployCmd {
    #[command(subcommand)]
    pub what: Option<DeployWhat>,
    #[command(flatten)]
    pub args: DeployArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeployWhat {
    /// The deployments in the deployment bucket, oldest first, with their files; `deploy list
    /// functions`: each function's published versions
    List(ListCmd),
    /// Package one function and update its code through the Lambda API, in seconds
    Function(FunctionArgs),
}

#[derive(Debug, Args, Clone)]
pub struct FunctionArgs {
    /// The function, by its key under `functions:`
    #[arg(short = 'f', long)]
    pub function: String,
    /// Update the code even when it is the deployed code
    #[arg(long)]
    pub force: bool,
    /// Update only the function's configuration (memory, timeout, environment, layers, role,
    /// VPC…), not its code
    #[arg(short = 'u', long = "update-config")]
    pub update_config: bool,
}

#[derive(Debug, Args)]
pub struct ListCmd {
    #[command(subcommand)]
    pub what: Option<ListWhat>,
    #[command(flatten)]
    pub args: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum ListWhat {
    /// Each function's published versions
    Functions(ListArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ListArgs {
    /// Print JSON for machines
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct DeployArgs {
    /// Deploy even when nothing changed
    #[arg(long)]
    pub force: bool,
    /// Deploy even when it deletes or replaces data, or broadens permissions, without asking
    #[arg(long)]
    pub approve: bool,
    /// Show what the deploy would change (as `sls-rs diff`) and deploy nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Finish when CloudFormation has applied the configuration, without waiting for resources
    /// to be ready (CloudFormation's EXPRESS mode; `provider.deploymentMode: express`)
    #[arg(long)]
    pub express: bool,
    /// Deploy a package already built by `sls-rs package --package DIR`
    #[arg(short = 'p', long, value_name = "DIR")]
    pub package: Option<PathBuf>,
    /// Stop waiting for CloudFormation after this many seconds
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// v3's flag to hide secrets in the summary: sls-rs never prints API key values
    #[arg(long)]
    pub conceal: bool,
}

#[derive(Debug, Args, Clone)]
pub struct PackageArgs {
    /// Print the update-stack template on stdout and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Where to write the package (default: .serverless in the service directory)
    #[arg(short = 'p', long, value_name = "DIR")]
    pub package: Option<PathBuf>,
    /// With --dry-run, print the nested stacks' templates too, as one JSON object of
    /// file name → template
    #[arg(long, requires = "dry_run")]
    pub nested: bool,
}

#[derive(Debug, Args, Clone)]
pub struct RemoveArgs {
    /// Stop waiting for CloudFormation after this many seconds
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// v3's flag to hide secrets in the summary: sls-rs never prints API key values
    #[arg(long)]
    pub conceal: bool,
}

#[derive(Debug, Args)]
pub struct InvokeCmd {
    #[command(subcommand)]
    pub place: Option<InvokePlace>,
    #[command(flatten)]
    pub args: InvokeArgs,
    #[command(flatten)]
    pub remote: RemoteInvokeArgs,
}

/// What only invoking the deployed function takes.
#[derive(Debug, Args, Clone, Default)]
pub struct RemoteInvokeArgs {
    /// RequestResponse (wait for the result), Event (queue it) or DryRun (check permissions)
    #[arg(short = 't', long = "type", value_enum, default_value_t = InvocationType::RequestResponse)]
    pub invocation_type: InvocationType,
    /// A version or alias to invoke
    #[arg(long)]
    pub qualifier: Option<String>,
    /// Print the end of the invocation's log (the last 4 KB) after the result
    #[arg(short = 'l', long)]
    pub log: bool,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
pub enum InvocationType {
    #[default]
    #[value(name = "RequestResponse")]
    RequestResponse,
    #[value(name = "Event")]
    Event,
    #[value(name = "DryRun")]
    DryRun,
}

#[derive(Debug, Subcommand)]
pub enum InvokePlace {
    /// Run the function's handler on this machine, with the runtime on PATH (node, python3)
    Local(InvokeArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct InvokeArgs {
    /// The function, by its key under `functions:`
    #[arg(short = 'f', long)]
    pub function: Option<String>,
    /// The event, as JSON (a plain string if it is not JSON, or with --raw)
    #[arg(short = 'd', long)]
    pub data: Option<String>,
    /// A file holding the event: JSON, or YAML for .yml/.yaml (relative to the service)
    #[arg(short = 'p', long, value_name = "FILE")]
    pub path: Option<PathBuf>,
    /// Fields to add to the context object, as JSON
    #[arg(long)]
    pub context: Option<String>,
    /// A JSON file of fields to add to the context object
    #[arg(short = 'x', long = "contextPath", value_name = "FILE")]
    pub context_path: Option<PathBuf>,
    /// An environment variable for the handler, overriding the configuration's (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Pass --data and --context as strings, without parsing them as JSON
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct RollbackCmd {
    #[command(subcommand)]
    pub what: Option<RollbackWhat>,
    #[command(flatten)]
    pub args: RollbackArgs,
}

#[derive(Debug, Subcommand)]
pub enum RollbackWhat {
    /// Put one function's code back to a published version (`deploy list functions` lists them)
    Function(RollbackFunctionArgs),
}

#[derive(Debug, Args, Clone)]
pub struct RollbackFunctionArgs {
    /// The function, by its key under `functions:`
    #[arg(short = 'f', long)]
    pub function: String,
    /// The published version whose code the function gets back
    #[arg(long = "function-version", value_name = "VERSION")]
    pub function_version: String,
}

#[derive(Debug, Args, Clone)]
pub struct LogsArgs {
    /// The function, by its key under `functions:`
    #[arg(short = 'f', long)]
    pub function: String,
    /// Keep printing new lines as they arrive, until Ctrl-C
    #[arg(short = 't', long)]
    pub tail: bool,
    /// From when: `30m`, `2h`, `1d` ago, or a UTC date such as 2026-11-27T09:00 (default: 10
    /// minutes ago; 10 seconds with --tail)
    #[arg(long = "startTime", value_name = "TIME")]
    pub start_time: Option<String>,
    /// A CloudWatch Logs filter pattern, e.g. ERROR or "\"request failed\""
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// How often --tail asks for new lines, in milliseconds
    #[arg(short = 'i', long, value_name = "MS", default_value_t = 1000)]
    pub interval: u64,
}

#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    /// Print JSON for machines
    #[arg(long)]
    pub json: bool,
    /// Exit with 2 when a deploy would change something (for CI to ask for review)
    #[arg(long)]
    pub fail: bool,
    /// Where replacement comes from: `changeset` (CloudFormation computes a change set, which
    /// is deleted unexecuted) or `template` (the resource schemas; nothing written to AWS)
    #[arg(long, value_enum, default_value = "changeset")]
    pub method: DiffMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffMethod {
    Changeset,
    Template,
}

#[derive(Debug, Args, Clone)]
pub struct MetricsArgs {
    /// One function, by its key under `functions:` (default: the whole service)
    #[arg(short = 'f', long)]
    pub function: Option<String>,
    /// From when: `30m`, `2h`, `1d` ago, or a UTC date (default: 24 hours ago)
    #[arg(long = "startTime", value_name = "TIME")]
    pub start_time: Option<String>,
    /// Until when, in the same forms (default: now)
    #[arg(long = "endTime", value_name = "TIME")]
    pub end_time: Option<String>,
    /// Print JSON for machines, with each function's figures
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct RollbackArgs {
    /// The deployment's timestamp, as `deploy list` prints it, or its position there (1 is the
    /// oldest, -1 the newest)
    #[arg(short = 't', long, allow_hyphen_values = true)]
    pub timestamp: Option<String>,
    /// Stop waiting for CloudFormation after this many seconds
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args, Clone)]
pub struct InfoArgs {
    /// Print JSON for machines
    #[arg(long)]
    pub json: bool,
    /// v3's flag to hide secrets: sls-rs never prints API key values
    #[arg(long)]
    pub conceal: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Format {
    #[default]
    Yaml,
    Json,
    /// A scalar as it is, a list one item per line (v3's `--format text`).
    Text,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Transform {
    /// The keys of the map printed, not the map.
    Keys,
}

#[derive(Debug, Args, Clone)]
pub struct PrintArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Print only the value at this dotted path (e.g. provider.environment)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Print the keys of the value (`--transform keys`)
    #[arg(long, value_enum)]
    pub transform: Option<Transform>,
}

/// Options of v3's own commands that sls-rs does not implement, with why: refused, rather than
/// passed on as custom options (`${opt:…}`) that change nothing.
pub const V3_FLAGS_NOT_SUPPORTED: &[(&str, &str)] = &[
    (
        "aws-s3-accelerate",
        "sls-rs does not upload through S3 Transfer Acceleration yet; deploy without it",
    ),
    (
        "no-aws-s3-accelerate",
        "sls-rs never uploads through S3 Transfer Acceleration; leave the flag out",
    ),
    (
        "enforce-hash-update",
        "it migrated v3 services to a newer function hashing, which sls-rs does not have: its version IDs hash the code and configuration one way; leave the flag out",
    ),
];

/// The parsed command line and the custom options clap does not know.
pub struct Invocation {
    pub cli: Cli,
    pub custom: BTreeMap<String, Value>,
}

/// Parses `args` (without the program name first? no: with it, as `std::env::args`). Unknown
/// `--name value` / `--name=value` / `--flag` options become custom options; everything else is
/// clap's, whose errors exit 2.
pub fn parse(args: Vec<String>) -> Result<Invocation, clap::Error> {
    let cmd = Cli::command();
    let mut known: Vec<String> = vec!["help".into(), "version".into()];
    collect_longs(&cmd, &mut known);
    let mut clap_args = Vec::new();
    let mut custom = BTreeMap::new();
    let mut iter = args.into_iter().peekable();
    if let Some(program) = iter.next() {
        clap_args.push(program);
    }
    while let Some(arg) = iter.next() {
        if arg == "--" {
            clap_args.push(arg);
            clap_args.extend(iter.by_ref());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            };
            if !name.is_empty() && !known.contains(&name) {
                let value = match inline {
                    Some(v) => Value::String(v),
                    None => match iter.peek() {
                        Some(next) if !next.starts_with('-') => {
                            Value::String(iter.next().unwrap_or_default())
                        }
                        _ => Value::Bool(true),
                    },
                };
                custom.insert(name, value);
                continue;
            }
        }
        clap_args.push(arg);
    }
    let cli = Cli::try_parse_from(clap_args)?;
    Ok(Invocation { cli, custom })
}

fn collect_longs(cmd: &clap::Command, out: &mut Vec<String>) {
    for a in cmd.get_arguments() {
        if let Some(l) = a.get_long() {
            out.push(l.to_string());
        }
    }
    for sub in cmd.get_subcommands() {
        collect_longs(sub, out);
    }
}

impl Global {
    /// The options `${opt:…}` sees: the known ones under their v3 names, then custom ones.
    pub fn options(&self, custom: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
        let mut m = custom.clone();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.to_string(), Value::String(v.clone()));
            }
        };
        put("stage", &self.stage);
        put("region", &self.region);
        put("aws-profile", &self.aws_profile);
        put(
            "config",
            &self.config.as_ref().map(|p| p.display().to_string()),
        );
        if self.verbose {
            m.insert("verbose".into(), Value::Bool(true));
        }
        m
    }

    /// `--param key=value` pairs; a pair without `=` is command-line misuse.
    pub fn param_map(&self) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        for p in &self.params {
            match p.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    out.insert(k.to_string(), v.to_string());
                }
                _ => return Err(format!("--param `{p}` must be key=value")),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        std::iter::once("sls-rs")
            .chain(s.split_whitespace())
            .map(String::from)
            .collect()
    }

    #[test]
    fn custom_options_are_collected() {
        let inv = parse(args(
            "package --dry-run --domain example.com --flag --x=1 -s prod",
        ))
        .unwrap();
        assert_eq!(inv.custom["domain"], Value::String("example.com".into()));
        assert_eq!(inv.custom["flag"], Value::Bool(true));
        assert_eq!(inv.custom["x"], Value::String("1".into()));
        assert_eq!(inv.cli.global.stage.as_deref(), Some("prod"));
        assert!(matches!(
            inv.cli.command,
            Command::Package(PackageArgs { dry_run: true, .. })
        ));
    }

    #[test]
    fn known_options_still_validate() {
        assert!(parse(args("print --format xml")).is_err());
        // Another word may be a plugin's command: the service's plugins decide (exit 2 if none
        // declares it, see commands::plugin).
        assert!(matches!(
            parse(args("offline start")).map(|i| i.cli.command),
            Ok(Command::Plugin(w)) if w == ["offline", "start"]
        ));
    }
}
