//! `sls-rs invoke -f NAME` invokes the deployed function through the Lambda API and prints what
//! it returned (exit 1 with its error when it fails); `--log` adds the end of its log.
//!
//! `sls-rs invoke local -f NAME`: runs a function's handler on this machine with the runtime on
//! PATH (`node` for nodejs*, `python3` for python*, `ruby` for ruby*), as v3's `invoke local` does: the event from
//! `--data` or `--path`, the environment of the provider and the function (and `--env`) over
//! v3's `AWS_LAMBDA_*` variables, the function's timeout enforced, the result printed as JSON.
//! The runners are `templates/invoke-local.{js,py,rb}`. A `provided*`
//! function's `bootstrap` runs against a local Runtime API (`runtime_api.rs`), as in Lambda.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::{function, Ctx};
use crate::cli::{InvocationType, InvokeArgs, InvokeCmd, InvokePlace, RemoteInvokeArgs};
use crate::error::{Error, Result};
use crate::manifest::service::{Function, Service};
use crate::naming;

const NODE_RUNNER: &str = include_str!("../../templates/invoke-local.js");
const PYTHON_RUNNER: &str = include_str!("../../templates/invoke-local.py");
const RUBY_RUNNER: &str = include_str!("../../templates/invoke-local.rb");

/// v3's lifecycle events of `invoke local`: a plugin hooking them changes what runs.
const EVENTS: &[&str] = &["loadEnvVars", "invoke"];

pub fn run(ctx: &Ctx, cmd: &InvokeCmd) -> Result<()> {
    match &cmd.place {
        Some(InvokePlace::Local(args)) => local(ctx, args),
        None => remote(ctx, &cmd.args, &cmd.remote),
    }
}

fn remote(ctx: &Ctx, args: &InvokeArgs, how: &RemoteInvokeArgs) -> Result<()> {
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::{InvocationType as Kind, LogType};
    use base64::Engine;
    let Some(name) = &args.function else {
        return Err(Error::Usage(
            "invoke needs the function: --function NAME (-f NAME)".into(),
        ));
    };
    if !args.env.is_empty() {
        return Err(Error::Usage(
            "--env sets variables for `invoke local`; the deployed function has its own".into(),
        ));
    }
    let rt = super::deploy::runtime()?;
    let (aws, loaded) = super::deploy::connect_and_load(ctx, &rt)?;
    let service = &loaded.service;
    let f = function(service, name)?;
    let event = event(&service.dir, args)?;
    let user_context = user_context(&service.dir, args)?;
    let client = aws_sdk_lambda::Client::new(&aws.config);
    let mut req = client
        .invoke()
        .function_name(&f.name)
        .set_qualifier(how.qualifier.clone())
        .invocation_type(match how.invocation_type {
            InvocationType::RequestResponse => Kind::RequestResponse,
            InvocationType::Event => Kind::Event,
            InvocationType::DryRun => Kind::DryRun,
        })
        .payload(Blob::new(serde_json::to_vec(&event).unwrap_or_default()));
    if how.log {
        req = req.log_type(LogType::Tail);
    }
    if !user_context.is_null() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_context.to_string());
        req = req.client_context(encoded);
    }
    let out = rt
        .block_on(req.send())
        .map_err(|e| crate::deploy::aws_error("Invoke", &e))?;
    if how.invocation_type != InvocationType::RequestResponse {
        // Nothing comes back but the status: 202 queued, 204 allowed.
        if !ctx.global.quiet {
            eprintln!(
                "{} {name}: status {}",
                if how.invocation_type == InvocationType::Event {
                    "queued"
                } else {
                    "dry run of"
                },
                out.status_code()
            );
        }
        return Ok(());
    }
    let payload = out
        .payload()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(&payload).ok();
    let mut text = match &parsed {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default() + "\n",
        None if payload.is_empty() => String::new(),
        None => format!("{payload}\n"),
    };
    if let Some(log) = out.log_result() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        text.push_str(&format!("{}\n{decoded}", "-".repeat(60)));
        if !decoded.ends_with('\n') {
            text.push('\n');
        }
    }
    super::stdout(&text)?;
    match out.function_error() {
        None => Ok(()),
        Some(kind) => {
            let err = parsed.unwrap_or(Value::Null);
            Err(Error::failed(format!(
                "function `{name}` failed ({kind}){}",
                match (err["errorType"].as_str(), err["errorMessage"].as_str()) {
                    (Some(t), Some(m)) => format!(": {t}: {m}"),
                    (None, Some(m)) => format!(": {m}"),
                    _ => String::new(),
                }
            )))
        }
    }
}

fn local(ctx: &Ctx, args: &InvokeArgs) -> Result<()> {
    let Some(name) = &args.function else {
        return Err(Error::Usage(
            "invoke local needs the function: --function NAME (-f NAME)".into(),
        ));
    };
    let loaded = ctx.load()?;
    let mut host = super::package::start_plugins(ctx, &loaded, "invoke local")
        .map_err(|e| loaded.locate(e))?;
    let loaded = super::package::initialize(ctx, loaded, host.as_mut())?;
    super::package::refuse_unrun_hooks(
        host.as_ref(),
        "invoke:local",
        EVENTS,
        "to build or prepare the handler",
        "invoke it with the Serverless Framework v3 for now, or leave the plugin out with --skip-plugin NAME if the handler runs without it",
    )?;
    drop(host);
    let service = &loaded.service;
    let f = function(service, name)?;
    if f.image.is_some() {
        return Err(Error::failed_with_hint(
            format!("function `{name}` runs a container image, which invoke local does not run"),
            "run the image with docker, or invoke the deployed function",
        ));
    }
    let runtime = f
        .runtime
        .clone()
        .or_else(|| service.provider.runtime.clone())
        .unwrap_or_default();
    let Some(handler) = &f.handler else {
        return Err(Error::failed(format!("function `{name}` has no handler")));
    };
    let event = event(&service.dir, args)?;
    let user_context = user_context(&service.dir, args)?;
    let timeout = f.timeout.or(service.provider.timeout).unwrap_or(6).max(1) as u64;
    let memory = f
        .memory_size
        .or(service.provider.memory_size)
        .unwrap_or(1024);
    let request = json!({
        "event": event,
        "userContext": user_context,
        "context": {
            "functionName": f.name,
            "memoryLimitInMB": memory,
            "logGroupName": naming::log_group_name(&f.name),
            "logStreamName": LOG_STREAM,
            "region": service.region,
        },
    });
    let env = environment(service, f, memory, args)?;
    if runtime.starts_with("provided") {
        return custom_runtime(service, f, handler, &request, env, timeout);
    }
    // Ruby names `file.method` or `file.Module::Class.method`: the file ends at the first dot of
    // the last path segment. The others end it at the last dot.
    let split = if runtime.starts_with("ruby") {
        let (dir, last) = handler.rsplit_once('/').unwrap_or(("", handler));
        last.split_once('.').map(|(file, method)| {
            let file = if dir.is_empty() {
                file.to_string()
            } else {
                format!("{dir}/{file}")
            };
            (file, method.to_string())
        })
    } else {
        handler
            .rsplit_once('.')
            .map(|(m, e)| (m.to_string(), e.to_string()))
    };
    let Some((module, export)) = split else {
        return Err(Error::failed_with_hint(
            format!("handler `{handler}` has no function name"),
            "write it as <file without extension>.<exported function>, e.g. handler.hello",
        ));
    };
    let (module, export) = (module.as_str(), export.as_str());
    let (program, runner, suffix, argv): (&str, &str, &str, Vec<String>) = if runtime
        .starts_with("nodejs")
    {
        let base = service.dir.join(module);
        (
            "node",
            NODE_RUNNER,
            ".js",
            vec![
                base.to_string_lossy().into_owned(),
                export.into(),
                timeout.to_string(),
            ],
        )
    } else if runtime.starts_with("python") {
        (
            "python3",
            PYTHON_RUNNER,
            ".py",
            vec![
                service.dir.to_string_lossy().into_owned(),
                module.replace('/', "."),
                export.into(),
                timeout.to_string(),
            ],
        )
    } else if runtime.starts_with("ruby") {
        (
            "ruby",
            RUBY_RUNNER,
            ".rb",
            vec![
                service.dir.to_string_lossy().into_owned(),
                module.into(),
                export.into(),
                timeout.to_string(),
            ],
        )
    } else {
        return Err(Error::failed_with_hint(
            format!("invoke local runs Node.js, Python, Ruby and custom-runtime (provided) handlers; `{name}` runs on {runtime}"),
            "invoke the deployed function instead",
        ));
    };
    let mut script = tempfile::Builder::new()
        .prefix("sls-rs-invoke-")
        .suffix(suffix)
        .tempfile()
        .map_err(|e| Error::failed(format!("could not write the invoke runner: {e}")))?;
    script
        .write_all(runner.as_bytes())
        .map_err(|e| Error::failed(format!("could not write the invoke runner: {e}")))?;
    let mut child = Command::new(program)
        .arg(script.path())
        .args(&argv)
        .envs(&env)
        .current_dir(&service.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            Error::failed_with_hint(
                format!("`{program}` could not be started for {runtime}: {e}"),
                format!("install it, with `{program}` on PATH"),
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A handler that exits without reading is not an error of ours.
        let _ = stdin.write_all(request.to_string().as_bytes());
    }
    // The Node.js and Python runners time themselves out, printing Lambda's shape; Ruby's runner
    // is stopped here. One second more is the others' backstop.
    let limit = std::time::Duration::from_secs(timeout)
        + if program == "ruby" {
            std::time::Duration::ZERO
        } else {
            std::time::Duration::from_secs(1)
        };
    let Some(status) = wait_until(&mut child, limit)? else {
        super::stdout(&timed_out(timeout))?;
        return Err(Error::failed(format!(
            "function `{name}` failed (its error is printed above)"
        )));
    };
    if status.success() {
        Ok(())
    } else {
        Err(Error::failed(format!(
            "function `{name}` failed (its error is printed above)"
        )))
    }
}

/// A `provided*` function: its `bootstrap` (at the package root, where Lambda looks for it)
/// runs against a local Runtime API serving the one event. The result is printed as for the
/// other runtimes; an error document from the runtime is printed and the command fails.
fn custom_runtime(
    service: &Service,
    f: &Function,
    handler: &str,
    request: &Value,
    mut env: BTreeMap<String, String>,
    timeout: u64,
) -> Result<()> {
    use super::runtime_api::{Invocation, Outcome, RuntimeApi};
    let bootstrap = service.dir.join("bootstrap");
    if !bootstrap.is_file() {
        return Err(Error::failed_with_hint(
            format!(
                "function `{}` runs on a custom runtime, whose `bootstrap` is not at {}",
                f.key,
                bootstrap.display()
            ),
            "build the runtime's `bootstrap` executable into the service directory (a bootstrap from a layer is not run locally)",
        ));
    }
    let api = RuntimeApi::bind()?;
    env.insert("AWS_LAMBDA_RUNTIME_API".into(), api.address());
    env.insert("_HANDLER".into(), handler.to_string());
    env.insert("AWS_LAMBDA_FUNCTION_TIMEOUT".into(), timeout.to_string());
    let child = Command::new(&bootstrap)
        .envs(&env)
        .current_dir(&service.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            Error::failed_with_hint(
                format!("{} could not be started: {e}", bootstrap.display()),
                "make it executable (chmod +x bootstrap), with a #! line if it is a script",
            )
        })?;
    let id = {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(format!("{}-{}", crate::clock::now_ms(), std::process::id()));
        let h: String = d.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    };
    let user_context = &request["userContext"];
    let outcome = api.serve(
        Invocation {
            request_id: id,
            event: serde_json::to_vec(&request["event"]).unwrap_or_default(),
            function_arn: format!(
                "arn:aws:lambda:{}:000000000000:function:{}",
                service.region, f.name
            ),
            timeout: std::time::Duration::from_secs(timeout),
            client_context: (!user_context.is_null()).then(|| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(user_context.to_string())
            }),
        },
        child,
    )?;
    let show = |bytes: &[u8]| match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default() + "\n",
        Err(_) => format!("{}\n", String::from_utf8_lossy(bytes)),
    };
    match outcome {
        Outcome::Response(body) => super::stdout(&show(&body)),
        Outcome::Timeout => {
            super::stdout(&timed_out(timeout))?;
            Err(Error::failed(format!(
                "function `{}` failed (its error is printed above)",
                f.key
            )))
        }
        Outcome::Error(body) | Outcome::InitError(body) => {
            super::stdout(&show(&body))?;
            Err(Error::failed(format!(
                "function `{}` failed (its error is printed above)",
                f.key
            )))
        }
    }
}

/// Waits for `child` at most `limit`; `None` (the child stopped) when it ran longer.
fn wait_until(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> Result<Option<std::process::ExitStatus>> {
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if started.elapsed() < limit => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            Err(e) => return Err(Error::failed(format!("waiting for the handler: {e}"))),
        }
    }
}

/// Lambda's error shape for a timeout, as the runners print it.
fn timed_out(timeout: u64) -> String {
    serde_json::to_string_pretty(&json!({
        "errorType": "TimeoutError",
        "errorMessage": format!("Task timed out after {timeout}.00 seconds"),
        "stackTrace": [],
    }))
    .unwrap_or_default()
        + "\n"
}

const LOG_STREAM: &str = "2016/12/02/[$LATEST]f77ff5e4026c45bda9a9ebcec6bc9cad";

/// Standard input when it is a pipe or a file (`echo '{}' | sls-rs invoke …`, `< event.json`).
/// A terminal, `/dev/null` or a socket a CI runner leaves open is not read, so nothing waits
/// for input that never comes.
fn piped_stdin() -> Result<Option<String>> {
    use std::io::Read;
    // SAFETY: fstat on descriptor 0 writes only into the zeroed struct it is given.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(0, &mut st) } != 0 {
        return Ok(None);
    }
    let kind = st.st_mode & libc::S_IFMT;
    if kind != libc::S_IFIFO && kind != libc::S_IFREG {
        return Ok(None);
    }
    // Lambda takes at most 6 MB of event.
    const MAX: u64 = 6 * 1024 * 1024;
    let mut text = String::new();
    std::io::stdin()
        .take(MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::io("read", "standard input", e))?;
    if text.len() as u64 > MAX {
        return Err(Error::Usage(
            "the event on standard input is larger than the 6 MB Lambda takes".into(),
        ));
    }
    Ok(Some(text))
}

/// The event: `--data` (JSON, else the string itself; `--raw` keeps it a string), or the file
/// `--path` names (YAML for .yml/.yaml, else JSON, else its text), else what is piped to
/// standard input (as v3 reads it), else `{}`.
fn event(dir: &Path, args: &InvokeArgs) -> Result<Value> {
    if args.data.is_some() && args.path.is_some() {
        return Err(Error::Usage(
            "give the event with --data or --path, not both".into(),
        ));
    }
    if let Some(d) = &args.data {
        return Ok(parse_text(d, args.raw));
    }
    let Some(p) = &args.path else {
        return match piped_stdin()? {
            Some(text) if !text.trim().is_empty() => Ok(parse_text(&text, args.raw)),
            _ => Ok(json!({})),
        };
    };
    let (text, path) = read(dir, p)?;
    let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    if yaml {
        return crate::yaml::parse(&text).map_err(|d| {
            Error::failed_with_hint(
                format!("{} is not valid YAML: {}", path.display(), d.message),
                "fix the event file",
            )
        });
    }
    Ok(parse_text(&text, false))
}

fn user_context(dir: &Path, args: &InvokeArgs) -> Result<Value> {
    let v = match (&args.context, &args.context_path) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage(
                "give the context with --context or --contextPath, not both".into(),
            ))
        }
        (Some(c), None) => parse_text(c, args.raw),
        (None, Some(p)) => parse_text(&read(dir, p)?.0, false),
        (None, None) => return Ok(Value::Null),
    };
    if !v.is_object() {
        return Err(Error::Usage(
            "the context must be a JSON object of fields to add".into(),
        ));
    }
    Ok(v)
}

fn parse_text(text: &str, raw: bool) -> Value {
    if raw {
        return Value::String(text.to_string());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn read(dir: &Path, p: &Path) -> Result<(String, std::path::PathBuf)> {
    let path = if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
    Ok((text, path))
}

/// v3's Lambda variables, then the provider's and the function's environment, then `--env`.
/// A value only CloudFormation can resolve (`Ref`, `Fn::GetAtt`, …) needs `--env`.
fn environment(
    service: &Service,
    f: &Function,
    memory: i64,
    args: &InvokeArgs,
) -> Result<BTreeMap<String, String>> {
    let mut env: BTreeMap<String, String> = [
        ("LANG", "en_US.UTF-8".to_string()),
        (
            "LAMBDA_TASK_ROOT",
            service.dir.to_string_lossy().into_owned(),
        ),
        ("AWS_REGION", service.region.clone()),
        ("AWS_DEFAULT_REGION", service.region.clone()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", naming::log_group_name(&f.name)),
        ("AWS_LAMBDA_LOG_STREAM_NAME", LOG_STREAM.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", f.name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("IS_LOCAL", "true".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(p) = &service.provider.profile {
        env.insert("AWS_PROFILE".into(), p.clone());
    }
    let mut overrides = BTreeMap::new();
    for pair in &args.env {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(Error::Usage(format!("--env {pair}: write it as KEY=VALUE")));
        };
        overrides.insert(k.to_string(), v.to_string());
    }
    for (k, v) in service
        .provider
        .environment
        .iter()
        .chain(f.environment.iter())
    {
        let value = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            other if overrides.contains_key(k) => other.to_string(),
            other => {
                return Err(Error::failed_with_hint(
                    format!(
                        "environment variable {k} is {}, which only CloudFormation resolves",
                        crate::manifest::checker::show(other)
                    ),
                    format!("give its value for this run with --env {k}=VALUE"),
                ))
            }
        };
        env.insert(k.clone(), value);
    }
    env.extend(overrides);
    Ok(env)
}
