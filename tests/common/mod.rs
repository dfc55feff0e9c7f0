//! The test harness: a service in a temporary directory, run through the real binary.
//!
//! ```ignore
//! Test::new().file("serverless.yml", "...").args(&["print"]).status(1).stderr_has("error:").run();
//! ```
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    status: i32,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    stdout_lacks: Vec<String>,
}

pub const HANDLER: &str = "module.exports.hello = async () => ({ statusCode: 200 });\n";

impl Test {
    pub fn new() -> Self {
        Test {
            dir: tempfile::tempdir().expect("temp dir"),
            args: Vec::new(),
            env: Vec::new(),
            status: 0,
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
            stdout_lacks: Vec::new(),
        }
    }

    /// A service with `handler.js` beside the given serverless.yml.
    pub fn service(yaml: &str) -> Self {
        Test::new()
            .file("serverless.yml", yaml)
            .file("handler.js", HANDLER)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(self, name: &str, content: &str) -> Self {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    pub fn stdout_has(mut self, s: &str) -> Self {
        self.stdout_has.push(s.into());
        self
    }

    pub fn stdout_lacks(mut self, s: &str) -> Self {
        self.stdout_lacks.push(s.into());
        self
    }

    pub fn stderr_has(mut self, s: &str) -> Self {
        self.stderr_has.push(s.into());
        self
    }

    pub fn run(self) -> (Output, tempfile::TempDir) {
        let out = sls(self.dir.path(), &self.args, &self.env);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(self.status),
            "exit status\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        for s in &self.stdout_has {
            assert!(
                stdout.contains(s.as_str()),
                "stdout lacks {s:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            );
        }
        for s in &self.stdout_lacks {
            assert!(
                !stdout.contains(s.as_str()),
                "stdout has {s:?}\n--- stdout\n{stdout}"
            );
        }
        for s in &self.stderr_has {
            assert!(
                stderr.contains(s.as_str()),
                "stderr lacks {s:?}\n--- stderr\n{stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
        (out, self.dir)
    }
}

/// Runs the binary in `dir` with a clean, predictable environment.
pub fn sls(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    let mut cmd = Command::cargo_bin("sls-rs").expect("binary");
    cmd.current_dir(dir).args(args);
    for k in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sls-rs")
}

/// The reference cases from the Serverless Framework v3 (`../shared/reference/cases`).
pub fn cases_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cand in [
        here.join("../shared/reference/cases"),
        here.join("shared/reference/cases"),
    ] {
        if cand.is_dir() {
            return cand;
        }
    }
    panic!("the reference cases (../shared/reference/cases) are missing");
}

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(cases_dir())
        .expect("cases")
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let dir = e.path();
        if !dir.join("serverless.yml").is_file() {
            continue;
        }
        let env = std::fs::read_to_string(dir.join("env.txt"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let args = std::fs::read_to_string(dir.join("args.txt"))
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect();
        out.push(Case {
            name: e.file_name().to_string_lossy().to_string(),
            dir,
            env,
            args,
        });
    }
    out
}

pub fn expected(case: &Case, file: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(case.dir.join("expected").join(file)).expect("expected file");
    serde_json::from_str(&text).expect("expected json")
}
