//! `sls-rs print`: the configuration with every variable resolved, like `serverless print`.

use serde_json::Value;

use super::Ctx;
use crate::cli::{Format, PrintArgs, Transform};
use crate::error::{Error, KeyPath, Result, Seg};

pub fn run(ctx: &Ctx, args: &PrintArgs) -> Result<()> {
    let loaded = ctx.load()?;
    // As v3's `print`: with the plugins loaded, their variable sources resolved and their
    // `initialize` run (serverless-lift's tokens become references there).
    let mut host =
        super::package::start_plugins(ctx, &loaded, "print").map_err(|e| loaded.locate(e))?;
    let loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    let mut value = &loaded.resolved;
    if let Some(p) = &args.path {
        for seg in KeyPath::parse_dotted(p).0 {
            let next = match (&seg, value) {
                (Seg::Key(k), Value::Object(m)) => m.get(k),
                (Seg::Index(i), Value::Array(a)) => a.get(*i),
                (Seg::Key(k), Value::Array(a)) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            value = next.ok_or_else(|| {
                Error::failed_with_hint(
                    format!("the configuration has nothing at `{p}`"),
                    "print without --path to see the whole configuration",
                )
            })?;
        }
    }
    let keys;
    if let Some(Transform::Keys) = args.transform {
        let Value::Object(m) = value else {
            return Err(Error::failed_with_hint(
                format!(
                    "`--transform keys` needs a map, and {} is {}",
                    args.path.as_deref().unwrap_or("the configuration"),
                    crate::manifest::checker::type_name(value)
                ),
                "point --path at a map, such as functions or provider.environment",
            ));
        };
        keys = Value::Array(m.keys().map(|k| Value::String(k.clone())).collect());
        value = &keys;
    }
    let out =
        match args.format {
            Format::Yaml => crate::yaml::to_string(value),
            Format::Json => serde_json::to_string_pretty(value).unwrap_or_default() + "\n",
            Format::Text => match value {
                Value::Object(_) => return Err(Error::failed_with_hint(
                    format!(
                        "{} is a map, which `--format text` cannot print",
                        args.path.as_deref().unwrap_or("the configuration")
                    ),
                    "use --format yaml or json, add --transform keys, or point --path at a value",
                )),
                Value::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::Object(_) | Value::Array(_) => i.to_string(),
                        other => crate::manifest::variables::stringify(other),
                    })
                    .map(|l| l + "\n")
                    .collect(),
                other => crate::manifest::variables::stringify(other) + "\n",
            },
        };
    super::stdout(&out)
}
