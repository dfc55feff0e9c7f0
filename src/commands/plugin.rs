//! `sls-rs <command>` for a command a plugin declares (`sls-rs offline start`,
//! `sls-rs prune -n 3`): the plugins are loaded, the words name the command (nested commands
//! are further words), its options are read with the shortcuts and types the plugin declares,
//! and its lifecycle events run as v3 runs them (`before:`, the event, `after:`).

use serde_json::{json, Map, Value};

use super::Ctx;
use crate::error::{Error, Result};
use crate::plugins::lifecycle;

/// sls-rs's own commands, for messages about words that are none of them.
const BUILT_IN: &[&str] = &["deploy", "package", "remove", "info", "print"];

pub fn run(ctx: &Ctx, words: &[String]) -> Result<()> {
    let (path, rest) = split(words);
    let mut global = ctx.global.clone();
    let mut tokens = Vec::new();
    let mut i = 0;
    // The options every command takes may follow the command's words too.
    while i < rest.len() {
        let t = rest[i].as_str();
        let value = rest.get(i + 1).cloned();
        match t {
            "-s" | "--stage" => global.stage = value,
            "-r" | "--region" => global.region = value,
            "-c" | "--config" => global.config = value.map(Into::into),
            _ => {
                tokens.push(rest[i].clone());
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    let ctx = Ctx {
        global,
        custom: ctx.custom.clone(),
    };
    let name = path.join(" ");
    let not_ours = |why: &str| {
        let first = path.first().map(String::as_str).unwrap_or_default();
        let close = crate::error::did_you_mean(first, BUILT_IN)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        Error::Usage(format!(
            "`{name}` is not a command of sls-rs ({}), and {why}{close}",
            BUILT_IN.join(", ")
        ))
    };
    if ctx.config_path().is_err() {
        return Err(not_ours(
            "there is no service here whose plugins could declare it",
        ));
    }
    let loaded = ctx.load()?;
    if loaded.service.plugins.modules.is_empty() {
        return Err(not_ours(
            "the service lists no plugins that could declare it",
        ));
    }
    let mut host = super::package::start_plugins(&ctx, &loaded, &path.join(":"))
        .map_err(|e| loaded.locate(e))?
        .ok_or_else(|| {
            Error::Usage(format!(
                "`{name}`: every plugin was left out with --skip-plugin"
            ))
        })?;
    let command = find(&host.commands, &path).cloned().ok_or_else(|| {
        Error::Usage(format!(
            "no plugin of this service declares the command `{name}` (plugin commands: {})",
            list(&host.commands, "").join(", ")
        ))
    })?;
    if matches!(command["type"].as_str(), Some("entrypoint" | "container")) {
        return Err(Error::Usage(format!(
            "`{name}` is not a command to run directly (the plugin marks it `{}`)",
            command["type"].as_str().unwrap_or_default()
        )));
    }
    if command["lifecycleEvents"]
        .as_array()
        .is_none_or(|events| events.is_empty())
    {
        // A plugin that only adds options to a command of the Serverless Framework
        // (serverless-plugin-typescript's `--watch` for `invoke local`) declares it without
        // events: there is nothing here to run.
        let by = command["plugin"].as_str().unwrap_or("a plugin");
        return Err(Error::Usage(format!(
            "`{name}` is a Serverless Framework command sls-rs does not have yet; `{by}` only adds options to it"
        )));
    }
    let declares_help = command["options"].get("help").is_some();
    if !declares_help && tokens.iter().any(|t| t == "--help" || t == "-h") {
        return super::stdout(&help(&name, &command));
    }
    let options = parse_options(&name, &command, &tokens, &ctx.custom)?;
    host.set_options(&options)?;
    let events: Vec<String> = command["lifecycleEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|e| format!("{}:{e}", name.replace(' ', ":")))
        .collect();
    let loaded = super::package::initialize(&ctx, loaded, Some(&mut host))?;
    let mut all = lifecycle::around(&events.iter().map(String::as_str).collect::<Vec<_>>());
    all.push("finalize".into());
    lifecycle::run_hooks(Some(&mut host), &loaded.service, &all)
}

/// `--help` for a plugin's command: its usage, options and subcommands, as declared (the
/// command does not run).
fn help(name: &str, command: &Value) -> String {
    let mut out = format!("sls-rs {name}");
    if let Some(u) = command["usage"].as_str() {
        out.push_str(&format!(" — {u}"));
    }
    if let Some(p) = command["plugin"].as_str() {
        out.push_str(&format!("\n(a command of the plugin {p})"));
    }
    out.push('\n');
    let options = command["options"].as_object().cloned().unwrap_or_default();
    if !options.is_empty() {
        out.push_str("\nOptions:\n");
        for (key, o) in &options {
            let mut flag = format!("--{key}");
            if let Some(s) = o["shortcut"].as_str() {
                flag.push_str(&format!(" / -{s}"));
            }
            let mut line = format!("  {flag:<28} {}", o["usage"].as_str().unwrap_or_default());
            if o["required"] == json!(true) {
                line.push_str(" [required]");
            }
            if let Some(d) = o.get("default").filter(|d| !d.is_null()) {
                line.push_str(&format!(" (default: {d})"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let subs = list(&command["commands"], name);
    if !subs.is_empty() {
        out.push_str(&format!("\nCommands: {}\n", subs.join(", ")));
    }
    out
}

/// The command's words and the options after them.
fn split(words: &[String]) -> (Vec<String>, Vec<String>) {
    let n = words.iter().take_while(|w| !w.starts_with('-')).count();
    (words[..n].to_vec(), words[n..].to_vec())
}

/// The declared command at `path` (`["offline", "start"]`).
fn find<'a>(commands: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut level = commands;
    let mut found = None;
    for p in path {
        let c = level.get(p)?;
        found = Some(c);
        level = &c["commands"];
    }
    found
}

fn list(commands: &Value, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, c) in commands.as_object().into_iter().flatten() {
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix} {name}")
        };
        if !matches!(c["type"].as_str(), Some("entrypoint" | "container")) {
            out.push(full.clone());
        }
        out.extend(list(&c["commands"], &full));
    }
    out
}

/// The command's options from `tokens` (`-n 3`, `-d`) and the long ones already collected as
/// custom options, with the declared shortcuts, types and defaults; a required option that is
/// missing, or an unknown shortcut, is a usage error.
fn parse_options(
    name: &str,
    command: &Value,
    tokens: &[String],
    custom: &std::collections::BTreeMap<String, Value>,
) -> Result<Map<String, Value>> {
    let declared = command["options"].as_object().cloned().unwrap_or_default();
    let mut out = Map::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let (key, inline) = if let Some(long) = t.strip_prefix("--") {
            match long.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = t.strip_prefix('-') {
            let found = declared
                .iter()
                .find(|(_, o)| o["shortcut"].as_str() == Some(short))
                .map(|(k, _)| k.clone());
            match found {
                Some(k) => (k, None),
                None => return Err(Error::Usage(format!("`{name}` has no option `-{short}`"))),
            }
        } else {
            return Err(Error::Usage(format!(
                "`{name}` takes no argument `{t}`; options are written --name value"
            )));
        };
        let boolean = declared
            .get(&key)
            .is_some_and(|o| o["type"].as_str() == Some("boolean"));
        let value = match inline {
            Some(v) => json!(v),
            None if boolean => json!(true),
            None => match tokens.get(i + 1) {
                Some(v) if !v.starts_with('-') => {
                    i += 1;
                    json!(v)
                }
                _ => json!(true),
            },
        };
        out.insert(key, value);
        i += 1;
    }
    for (k, v) in custom {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, o) in &declared {
        if out.contains_key(k) {
            continue;
        }
        if let Some(d) = o.get("default") {
            out.insert(k.clone(), d.clone());
        } else if o["required"] == true {
            return Err(Error::Usage(format!(
                "`{name}` needs --{k}{}",
                o["usage"]
                    .as_str()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            )));
        }
    }
    Ok(out)
}
