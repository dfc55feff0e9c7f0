//! `sls-rs compose deploy|remove|package|info|outputs [--service a,b] [--max-concurrency N]`,
//! and the same commands run where `serverless-compose.yml` is (v3's compose; `sls-rs
//! api:deploy` runs one service).
//!
//! Each service runs as its own `sls-rs` process in its directory, so a service deploys exactly
//! as it would alone (its "no changes" skip included), with `--param` for each parameter. A
//! service starts once those it depends on have deployed, up to `--max-concurrency` at a time;
//! their outputs are read from their stacks (`info --json`), never from local files, so two
//! machines see the same. `remove` goes in reverse order. A failure stops the services that
//! wait for it; the others finish.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use super::Ctx;
use crate::cli::{ComposeAction, ComposeArgs};
use crate::compose::{self, Compose};
use crate::error::{Error, Result};

/// A service's stack outputs, by key.
type Outputs = BTreeMap<String, String>;
/// `--param` pairs.
type Params = Vec<(String, String)>;
/// The outputs read so far in this run, by service (`None`: not deployed).
type Known = BTreeMap<String, Option<Outputs>>;

pub fn run(ctx: &Ctx, args: &ComposeArgs) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
    let file = compose::find(&cwd).ok_or_else(|| {
        Error::failed_with_hint(
            format!("there is no serverless-compose.yml in {}", cwd.display()),
            "run compose where serverless-compose.yml is",
        )
    })?;
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io("read", &file, e))?;
    let stage = ctx.global.stage.clone().unwrap_or_else(|| "dev".into());
    let c = compose::parse(
        &text,
        Path::new(file.file_name().unwrap_or_default()),
        &cwd,
        &stage,
    )?;
    let selected = c.select(&args.service)?;
    let runner = Runner {
        ctx,
        compose: &c,
        max: args.max_concurrency.max(1),
    };
    match args.action {
        ComposeAction::Deploy => runner.in_order(&selected, "deploy", false),
        ComposeAction::Remove => runner.in_order(&selected, "remove", true),
        ComposeAction::Package => runner.package(&selected),
        ComposeAction::Info => runner.report(&selected, false),
        ComposeAction::Outputs => runner.report(&selected, true),
    }
}

struct Runner<'a> {
    ctx: &'a Ctx,
    compose: &'a Compose,
    max: usize,
}

/// How one service's run ended.
struct Done {
    name: String,
    ok: bool,
    stdout: String,
}

impl Runner<'_> {
    /// `sls-rs ARGS` in `service`'s directory, with the compose run's stage, region and profile.
    fn command(&self, service: &str, args: &[String], params: &[(String, String)]) -> Command {
        let s = &self.compose.services[service];
        let exe = std::env::current_exe().unwrap_or_else(|_| "sls-rs".into());
        let mut cmd = Command::new(exe);
        cmd.current_dir(&s.path).args(args);
        let g = &self.ctx.global;
        if let Some(c) = &s.config {
            cmd.args(["--config", c]);
        }
        for (flag, v) in [
            ("--stage", &g.stage),
            ("--region", &g.region),
            ("--aws-profile", &g.aws_profile),
        ] {
            if let Some(v) = v {
                cmd.args([flag, v]);
            }
        }
        if g.quiet {
            cmd.arg("--quiet");
        }
        if g.verbose {
            cmd.arg("--verbose");
        }
        for (k, v) in params {
            cmd.arg("--param").arg(format!("{k}={v}"));
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs `sls-rs ARGS` for `service`, its standard error streamed with the service's name in
    /// front of each line; returns whether it succeeded and its standard output.
    fn run_one(&self, service: &str, args: &[String], params: &[(String, String)]) -> Done {
        let mut cmd = self.command(service, args, params);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let fail = |msg: String| Done {
            name: service.to_string(),
            ok: false,
            stdout: msg,
        };
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return fail(format!("could not start sls-rs: {e}")),
        };
        let stderr = child.stderr.take();
        let name = service.to_string();
        let echo = std::thread::spawn(move || {
            if let Some(err) = stderr {
                for line in BufReader::new(err)
                    .lines()
                    .map_while(std::result::Result::ok)
                {
                    eprintln!("{name} › {line}");
                }
            }
        });
        let out = child.wait_with_output();
        let _ = echo.join();
        match out {
            Ok(o) => Done {
                name: service.to_string(),
                ok: o.status.success(),
                stdout: String::from_utf8_lossy(&o.stdout).to_string(),
            },
            Err(e) => fail(format!("sls-rs did not finish: {e}")),
        }
    }

    /// The deployed outputs of `service` (`info --json`, with its own parameters); `None` when
    /// its stack does not exist. Read once per run.
    fn outputs(&self, service: &str, known: &mut Known) -> Result<Option<Outputs>> {
        if let Some(o) = known.get(service) {
            return Ok(o.clone());
        }
        let params = self.params_lenient(service, known)?;
        let args = ["info".to_string(), "--json".to_string()];
        let out = self
            .command(service, &args, &params)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| Error::failed(format!("could not start sls-rs: {e}")))?;
        let found = if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
                Error::failed(format!("{service}'s `info --json` is not JSON: {e}"))
            })?;
            Some(
                v["outputs"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect(),
            )
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.contains("does not exist") {
                return Err(Error::failed(format!(
                    "reading the outputs of {service} failed:\n{}",
                    err.trim_end()
                )));
            }
            None
        };
        known.insert(service.to_string(), found.clone());
        Ok(found)
    }

    /// `service`'s parameters and the references no deployed stack answers.
    fn params(&self, service: &str, known: &mut Known) -> Result<(Params, Vec<String>)> {
        let mut deployed = BTreeMap::new();
        for dep in &self.compose.services[service].depends_on {
            if let Some(o) = self.outputs(dep, known)? {
                deployed.insert(dep.clone(), o);
            }
        }
        Ok(self.compose.params(service, &deployed))
    }

    /// The parameters `service` deploys or packages with: every reference answered.
    fn params_of(&self, service: &str, known: &mut Known) -> Result<Vec<(String, String)>> {
        let (params, missing) = self.params(service, known)?;
        if missing.is_empty() {
            return Ok(params);
        }
        let services: BTreeSet<&str> = missing
            .iter()
            .filter_map(|m| m.split_once('.').map(|(s, _)| s))
            .collect();
        let list = services.iter().copied().collect::<Vec<_>>();
        Err(Error::failed_with_hint(
            format!(
                "{service} needs {}, which {} not deployed",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
            format!(
                "deploy {} first (`sls-rs compose deploy --service {}`), or check the output names",
                list.join(", "),
                list.join(",")
            ),
        ))
    }

    /// The parameters for reading or removing `service`: what its dependencies' stacks still
    /// answer (a reference none does is empty; it names nothing `info` or `remove` needs).
    fn params_lenient(&self, service: &str, known: &mut Known) -> Result<Vec<(String, String)>> {
        Ok(self.params(service, known)?.0)
    }

    /// `deploy` (dependencies first) or `remove` (dependents first) of `selected`, in parallel
    /// where the order allows.
    fn in_order(&self, selected: &[String], verb: &str, reverse: bool) -> Result<()> {
        let waits_for = |name: &str| -> BTreeSet<String> {
            let all = if reverse {
                self.compose.dependents(name)
            } else {
                self.compose.services[name].depends_on.clone()
            };
            all.into_iter().filter(|d| selected.contains(d)).collect()
        };
        let mut pending: Vec<String> = selected.to_vec();
        let mut succeeded: BTreeSet<String> = BTreeSet::new();
        let mut failed: Vec<String> = Vec::new();
        let mut skipped: Vec<String> = Vec::new();
        let mut known: Known = BTreeMap::new();
        // Services whose outputs were read after they deployed in this run.
        let mut fresh: BTreeSet<String> = BTreeSet::new();
        let mut running = 0usize;
        let (tx, rx) = mpsc::channel::<Done>();
        std::thread::scope(|scope| -> Result<()> {
            loop {
                // Those waiting on a failure will not run.
                let mut i = 0;
                while i < pending.len() {
                    let blocked = waits_for(&pending[i])
                        .iter()
                        .any(|d| failed.contains(d) || skipped.contains(d));
                    if blocked {
                        let s = pending.remove(i);
                        eprintln!("{s} › skipped: it waits for a service that failed");
                        skipped.push(s);
                    } else {
                        i += 1;
                    }
                }
                // Start what is ready, up to the limit.
                let mut i = 0;
                while i < pending.len() && running < self.max {
                    if !waits_for(&pending[i]).iter().all(|d| succeeded.contains(d)) {
                        i += 1;
                        continue;
                    }
                    let name = pending.remove(i);
                    let params = if reverse {
                        // Removed in reverse order, a service's dependencies are still there.
                        self.params_lenient(&name, &mut known).unwrap_or_default()
                    } else {
                        // A service deployed in this run has new outputs.
                        for dep in &self.compose.services[&name].depends_on {
                            if succeeded.contains(dep) && fresh.insert(dep.clone()) {
                                known.remove(dep);
                            }
                        }
                        match self.params_of(&name, &mut known) {
                            Ok(p) => p,
                            Err(e) => {
                                eprintln!(
                                    "{name} › {}",
                                    e.to_string().replace('\n', &format!("\n{name} › "))
                                );
                                failed.push(name);
                                continue;
                            }
                        }
                    };
                    let tx = tx.clone();
                    let args = vec![verb.to_string()];
                    running += 1;
                    scope.spawn(move || {
                        let _ = tx.send(self.run_one(&name, &args, &params));
                    });
                }
                if running == 0 {
                    break;
                }
                let done = rx
                    .recv()
                    .map_err(|_| Error::failed("a compose service's run was lost"))?;
                running -= 1;
                if !done.stdout.is_empty() {
                    for line in done.stdout.lines() {
                        println!("{} › {line}", done.name);
                    }
                }
                if done.ok {
                    succeeded.insert(done.name);
                } else {
                    failed.push(done.name);
                }
            }
            Ok(())
        })?;
        if failed.is_empty() && skipped.is_empty() {
            return Ok(());
        }
        let mut msg = format!("compose {verb}: {} failed", failed.join(", "));
        if !skipped.is_empty() {
            msg.push_str(&format!("; {} did not run", skipped.join(", ")));
        }
        Err(Error::failed(msg))
    }

    /// `package` of `selected`: every service at once, parameters from the deployed outputs.
    fn package(&self, selected: &[String]) -> Result<()> {
        let mut known = Known::new();
        let mut runs = Vec::new();
        for name in selected {
            runs.push((name.clone(), self.params_of(name, &mut known)?));
        }
        self.all(runs, &["package".to_string()])
    }

    /// `info` (or the outputs only) of each selected service, in the compose file's order.
    fn report(&self, selected: &[String], outputs_only: bool) -> Result<()> {
        let mut known = Known::new();
        if outputs_only {
            let mut text = String::new();
            for name in selected {
                text.push_str(&format!("{name}:\n"));
                match self.outputs(name, &mut known)? {
                    None => text.push_str("  (not deployed)\n"),
                    Some(o) => {
                        for (k, v) in o {
                            text.push_str(&format!("  {k}: {v}\n"));
                        }
                    }
                }
            }
            return super::stdout(&text);
        }
        let mut runs = Vec::new();
        for name in selected {
            runs.push((name.clone(), self.params_lenient(name, &mut known)?));
        }
        self.all(runs, &["info".to_string()])
    }

    /// Runs `args` for each service, up to the limit at a time; prints each one's standard
    /// output under its name, in order.
    fn all(&self, runs: Vec<(String, Vec<(String, String)>)>, args: &[String]) -> Result<()> {
        let mut results: BTreeMap<usize, Done> = BTreeMap::new();
        let queue = std::sync::Mutex::new(runs.iter().enumerate().collect::<Vec<_>>());
        let (tx, rx) = mpsc::channel::<(usize, Done)>();
        std::thread::scope(|scope| {
            for _ in 0..self.max.min(runs.len()) {
                let tx = tx.clone();
                let queue = &queue;
                scope.spawn(move || loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop());
                    let Some((i, (name, params))) = next else {
                        break;
                    };
                    let _ = tx.send((i, self.run_one(name, args, params)));
                });
            }
        });
        drop(tx);
        for (i, d) in rx {
            results.insert(i, d);
        }
        let mut text = String::new();
        let mut failed = Vec::new();
        for d in results.values() {
            text.push_str(&format!("== {} ==\n{}", d.name, d.stdout));
            if !d.ok {
                failed.push(d.name.clone());
            }
        }
        super::stdout(&text)?;
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Error::failed(format!(
                "compose {}: {} failed",
                args[0],
                failed.join(", ")
            )))
        }
    }
}
