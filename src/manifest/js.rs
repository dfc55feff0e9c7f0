//! `${file(./values.js):key}`: JavaScript variable files, as v3 runs them.
//!
//! sls-rs does not embed a JavaScript engine. When a configuration names a `.js` file, it runs
//! the file with the `node` on PATH through a small runner that speaks one JSON object per line:
//! the runner asks `{"resolve": "sls:stage"}` whenever the file calls `resolveVariable`, and
//! sls-rs answers from its own resolver, so the file sees exactly the values sls-rs uses. A file
//! that takes longer than [`TIMEOUT`] is stopped. Services without JavaScript files never start
//! Node.js.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{Diagnostic, KeyPath};

const TIMEOUT: Duration = Duration::from_secs(30);

/// What the runner may ask of the resolver.
pub(crate) trait Host {
    fn options(&self) -> &BTreeMap<String, Value>;
    fn dir(&self) -> &Path;
    fn resolve_variable(&mut self, path: &KeyPath, expr: &str) -> Option<Value>;
    fn report(&mut self, d: Diagnostic);
}

pub(crate) fn is_js(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("js" | "cjs" | "mjs")
    )
}

const RUNNER: &str = r#"
const path = require('path');
const readline = require('readline');
const [file, address, optionsJson] = process.argv.slice(1);
const options = JSON.parse(optionsJson);
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const waiting = [];
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  const next = waiting.shift();
  if (next) next(JSON.parse(l));
});
const resolveVariable = (expr) => new Promise((ok, fail) => {
  waiting.push((a) => (a.error ? fail(new Error(a.error)) : ok(a.value)));
  send({ resolve: String(expr) });
});
const resolveConfigurationProperty = (keys) => resolveVariable('self:' + keys.join('.'));
const call = async (v) =>
  typeof v === 'function' ? v({ options, resolveVariable, resolveConfigurationProperty }) : v;
(async () => {
  let mod;
  try { mod = require(path.resolve(file)); }
  catch (e) { if (e.code === 'ERR_REQUIRE_ESM') mod = await import(require('url').pathToFileURL(path.resolve(file))); else throw e; }
  if (mod && mod.__esModule === undefined && mod.default !== undefined && Object.keys(mod).length === 1) mod = mod.default;
  let v = address ? mod : await call(mod);
  for (const key of address ? address.split('.') : []) {
    if (v === undefined || v === null) break;
    v = await call(v[key]);
  }
  send(v === undefined ? { missing: true } : { result: v });
  process.exit(0);
})().catch((e) => { send({ error: String(e && e.stack ? e.stack.split('\n')[0] : e) }); process.exit(0); });
"#;

enum Msg {
    Line(String),
    Eof,
}

pub(crate) fn evaluate(
    host: &mut dyn Host,
    path: &KeyPath,
    file: &str,
    full: &Path,
    address: &str,
) -> Result<Option<Value>, super::variables::Reported> {
    if !full.exists() {
        return Ok(None);
    }
    let fail = |host: &mut dyn Host, msg: String, hint: &str| {
        host.report(Diagnostic::error(msg).at(path).hint(hint.to_string()));
        Err(super::variables::Reported)
    };
    let options = Value::Object(
        host.options()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    let child = Command::new("node")
        .arg("-e")
        .arg(RUNNER)
        .arg(full)
        .arg(address)
        .arg(options.to_string())
        .current_dir(host.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            return fail(
                host,
                format!(
                    "`{file}` is a JavaScript variable file, and Node.js (`node`) is not on PATH"
                ),
                "install Node.js to run it, or move its values into a .json or .yml file",
            )
        }
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return fail(
            host,
            format!("could not talk to node for `{file}`"),
            "try again",
        );
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(Msg::Line(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(Msg::Eof);
    });
    let deadline = std::time::Instant::now() + TIMEOUT;
    let outcome = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let msg = match rx.recv_timeout(left) {
            Ok(Msg::Line(l)) => l,
            Ok(Msg::Eof) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(format!("`{file}` ended without giving a value"))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                break Err(format!(
                    "`{file}` did not finish within {} seconds",
                    TIMEOUT.as_secs()
                ))
            }
        };
        let Ok(msg) = serde_json::from_str::<Value>(&msg) else {
            // A stray console.log from the user's file: not part of the protocol.
            continue;
        };
        if let Some(expr) = msg.get("resolve").and_then(Value::as_str) {
            let answer = match host.resolve_variable(path, expr) {
                Some(v) => json!({ "value": v }),
                None => json!({ "error": format!("could not resolve ${{{expr}}}") }),
            };
            if writeln!(stdin, "{answer}").is_err() {
                break Err(format!("`{file}` stopped while resolving `{expr}`"));
            }
        } else if let Some(v) = msg.get("result") {
            break Ok(Some(v.clone()));
        } else if msg.get("missing").is_some() {
            break Ok(None);
        } else if let Some(e) = msg.get("error").and_then(Value::as_str) {
            break Err(format!("`{file}` failed: {e}"));
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    match outcome {
        Ok(v) => Ok(v),
        Err(msg) => fail(
            host,
            msg,
            "run the file with node yourself to see its error; it must export the value or a function that returns it",
        ),
    }
}
