//! `serverless.js`, `.cjs`, `.mjs` and `.ts` configurations, evaluated with the `node` on PATH
//! as v3 does: the module's export (an object, or a function or promise giving one) becomes the
//! configuration, which then goes through the same variables and validation as YAML. TypeScript
//! runs through the project's own `tsx` or `ts-node` (v3 needs `ts-node`), or Node's type
//! stripping where the installed Node has it.

use std::path::Path;
use std::process::Command;

use crate::error::{Error, Result};

/// The names looked for after the YAML and JSON ones.
pub const NAMES: &[&str] = &[
    "serverless.ts",
    "serverless.js",
    "serverless.cjs",
    "serverless.mjs",
];

const RUNNER: &str = r#"
const path = require('path');
const { pathToFileURL } = require('url');
const file = path.resolve(process.argv[1]);
const options = JSON.parse(process.argv[2]);
(async () => {
  let mod;
  try { mod = require(file); }
  catch (e) {
    if (e.code !== 'ERR_REQUIRE_ESM' && !/\.mjs$/.test(file)) throw e;
    mod = await import(pathToFileURL(file).href);
  }
  if (mod && mod.__esModule !== false && mod.default !== undefined) mod = mod.default;
  const resolveVariable = () => { throw new Error('resolveVariable is not available to a configuration file in sls-rs; write ${…} variables in the values instead'); };
  let config = typeof mod === 'function' ? mod({ options, resolveVariable }) : mod;
  config = await config;
  if (!config || typeof config !== 'object') throw new Error('the module does not export a configuration object');
  process.stdout.write(JSON.stringify(config));
})().catch((e) => { process.stderr.write(String(e && e.stack ? e.stack : e) + '\n'); process.exit(1); });
"#;

/// The configuration `path` exports, as JSON text.
pub fn evaluate(path: &Path, options: &serde_json::Value) -> Result<String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut cmd = Command::new("node");
    if name.ends_with(".ts") {
        let installed = |m: &str| dir.join("node_modules").join(m).is_dir();
        if installed("tsx") {
            cmd.args(["--import", "tsx"]);
        } else if installed("ts-node") {
            cmd.args(["--require", "ts-node/register"]);
        } else {
            return Err(Error::failed_with_hint(
                format!("{name} is TypeScript, and neither tsx nor ts-node is installed in {}", dir.display()),
                "install one as v3 requires (`npm install --save-dev ts-node`, or tsx), or write the configuration as serverless.yml",
            ));
        }
    }
    let out = cmd
        .arg("-e")
        .arg(RUNNER)
        .arg(path)
        .arg(options.to_string())
        .current_dir(dir)
        .output()
        .map_err(|e| {
            Error::failed_with_hint(
                format!(
                    "{name} is a JavaScript configuration, and `node` could not be started: {e}"
                ),
                "install Node.js (node on PATH), or write the configuration as serverless.yml",
            )
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(Error::failed_with_hint(
            format!("{name} failed when Node.js evaluated it: {first}"),
            format!(
                "run `node -e \"require('./{name}')\"` in {} to see the whole error",
                dir.display()
            ),
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| Error::failed(format!("{name} exported text that is not UTF-8")))
}
