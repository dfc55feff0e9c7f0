//! The test harness: a service in a temporary directory, run through the real binary.
//!
//! ```ignore
//! Test::new().file("serverless.yml", "...").args(&["print"]).status(1).stderr_has("error:").run();
//! ```
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub mod proxy;

pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    status: i32,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    stdout_lacks: Vec<String>,
}

/// The date every run of sls-rs in the suite takes as today (`SLS_RS_TODAY`), so runtime
/// lifecycle checks give the same answers in any year. A test that needs another day sets
/// `SLS_RS_TODAY` itself.
pub const TODAY: &str = "2026-11-26";

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
    let mut cmd = Command::from_std(sls_command(dir));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sls-rs")
}

/// The binary, to run in `dir`, with no region, profile or endpoint from the environment the
/// tests run in, and today pinned to [`TODAY`].
pub fn sls_command(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("sls-rs"));
    cmd.current_dir(dir);
    for k in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "SOURCE_DATE_EPOCH",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("SLS_RS_TODAY", TODAY);
    // Each test's service is new: the plugin host's module cache would only be written, never
    // read (the cache's own test turns it on).
    cmd.env("SLS_RS_PLUGIN_CACHE", "0");
    cmd
}

/// The reference cases from the Serverless Framework v3, copied into the repository from
/// `shared/reference/cases` (refresh with `scripts/refresh-v3-reference`).
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v3/cases")
}

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

pub fn cases() -> Vec<Case> {
    cases_in(&cases_dir())
}

/// The services under `tests/fixtures/v3-extra`, with v3's (osls 3.x's) output beside them.
pub fn extra_cases() -> Vec<Case> {
    cases_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v3-extra"))
}

fn cases_in(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(root)
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

/// Copies a reference case into a temporary directory, leaving out what was added beside v3's
/// input after v3 ran (`expected/`, `env.txt`, `args.txt`), so packaging sees what v3 saw.
pub fn copy_case(case: &Case) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&case.dir, dir.path(), true);
    dir
}

pub fn copy_tree(from: &Path, to: &Path, top: bool) {
    for e in std::fs::read_dir(from).expect("read case") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().to_string();
        if top && (name == "expected" || name == "env.txt" || name == "args.txt") {
            continue;
        }
        let target = to.join(&name);
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&e.path(), &target, false);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
            // The reference files are read-only; the copies must be writable to be touched.
            let mut perms = std::fs::metadata(&target).expect("meta").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).expect("chmod");
        }
    }
}

/// The Python tool `name` from PATH or the repository's `.venv`.
pub fn python_tool(name: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    if venv.is_file() {
        return venv;
    }
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("{name} is not installed: run ./scripts/test, which installs it into .venv");
}

/// Runs cfn-lint once over `templates`. Any error fails, and so does any warning on a resource
/// sls-rs generated (warnings on the user's own `resources:` are the user's business).
/// `ignore` lists rule IDs the caller explains.
pub fn cfn_lint(
    templates: &[(String, serde_json::Value)],
    user_resources: &[String],
    ignore: &[&str],
) {
    if templates.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for (name, t) in templates {
        let p = dir.path().join(format!("{}.json", name.replace('/', "_")));
        std::fs::write(&p, serde_json::to_string_pretty(t).unwrap()).unwrap();
        files.push(p);
    }
    let mut cmd = std::process::Command::new(python_tool("cfn-lint"));
    cmd.arg("--format").arg("json");
    // cfn-lint judges runtimes against the wall clock (E2531, W2531, E2533), so its verdict on
    // a fixture's runtime changes with the year; sls-rs's own lifecycle checks, tested against
    // the pinned TODAY, cover runtimes instead.
    cmd.arg("--ignore-checks")
        .args(["E2531", "W2531", "E2533"])
        .args(ignore);
    cmd.arg("--").args(&files);
    let out = cmd.output().expect("run cfn-lint");
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "cfn-lint failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut bad = Vec::new();
    for f in findings.as_array().cloned().unwrap_or_default() {
        let level = f["Level"].as_str().unwrap_or("");
        let path: Vec<String> = f["Location"]["Path"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| p.to_string().trim_matches('"').to_string())
            .collect();
        let on_user_resource =
            path.len() > 1 && path[0] == "Resources" && user_resources.contains(&path[1]);
        let on_user_section = path
            .first()
            .is_some_and(|p| p == "Outputs" || p == "Conditions")
            && path.get(1).is_some_and(|k| user_resources.contains(k));
        if level == "Error" || (level == "Warning" && !on_user_resource && !on_user_section) {
            bad.push(format!(
                "{} {} {} at {}",
                f["Filename"].as_str().unwrap_or(""),
                f["Rule"]["Id"].as_str().unwrap_or(""),
                f["Message"].as_str().unwrap_or(""),
                path.join("/")
            ));
        }
    }
    assert!(bad.is_empty(), "cfn-lint findings:\n{}", bad.join("\n"));
}

/// `package --dry-run` in `dir`: the update-stack template.
pub fn dry_run(dir: &Path, args: &[String], env: &[(String, String)]) -> serde_json::Value {
    let mut all = vec![
        "package".to_string(),
        "--dry-run".to_string(),
        "--quiet".to_string(),
    ];
    all.extend(args.iter().cloned());
    let mut env = env.to_vec();
    env.push(("SOURCE_DATE_EPOCH".into(), "1795700982".into()));
    let out = sls(dir, &all, &env);
    assert!(
        out.status.success(),
        "dry run failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON template: {e}\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// With moto's own settings in its environment (`MOTO_…`).
    pub fn start_with(settings: &[(&str, &str)]) -> Moto {
        // The port is free when asked, but another test may take it before moto does; then
        // moto exits (and the port answers for someone else's server), so start again.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = std::process::Command::new(python_tool("moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .envs(settings.iter().copied())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start moto_server");
            let url = format!("http://127.0.0.1:{port}");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
                && child.try_wait().ok().flatten().is_none()
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "moto_server did not start"
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            // Still running a moment later: the server answering is this one.
            std::thread::sleep(std::time::Duration::from_millis(150));
            if child.try_wait().ok().flatten().is_none() {
                return Moto { child, url };
            }
        }
        panic!("moto_server could not get a port in 5 tries");
    }

    /// The environment that points sls-rs (and boto3) at this server, isolated from the
    /// machine's own AWS configuration.
    pub fn env(&self) -> Vec<(String, String)> {
        aws_env(&self.url)
    }

    /// Runs Python with boto3 against this server; the script prints one JSON value.
    pub fn py(&self, script: &str) -> serde_json::Value {
        let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
        let python = if python.is_file() {
            python
        } else {
            PathBuf::from("python3")
        };
        let mut cmd = std::process::Command::new(python);
        cmd.arg("-c").arg(format!("import boto3, json\nfrom botocore.config import Config\ndef client(n): return boto3.client(n, endpoint_url='{}', region_name='us-east-1')\n{script}", self.url));
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("python");
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "python printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Runs sls-rs in `dir` on a pseudo-terminal (Python's `pty`), answering its question with
/// `answer` when it asks `[y/N]`: the exit code and everything the terminal showed.
pub fn on_terminal(
    dir: &Path,
    env: &[(String, String)],
    args: &[&str],
    answer: &str,
) -> (i32, String) {
    const SCRIPT: &str = r#"
import json, os, pty, sys
argv, answer = json.loads(sys.argv[1]), sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, answered = b"", False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not answered and b"[y/N]" in out:
        os.write(fd, answer.encode() + b"\n")
        answered = True
_, status = os.waitpid(pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "shown": out.decode("utf-8", "replace")}))
"#;
    let cmd = sls_command(dir);
    let mut argv = vec![cmd.get_program().to_string_lossy().to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let mut py = std::process::Command::new("python3");
    py.current_dir(dir)
        .arg("-c")
        .arg(SCRIPT)
        .arg(serde_json::to_string(&argv).unwrap())
        .arg(answer);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => py.env(k, v),
            None => py.env_remove(k),
        };
    }
    py.envs(env.iter().map(|(k, v)| (k, v)));
    let out = py.output().expect("python3");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (
        v["code"].as_i64().unwrap() as i32,
        v["shown"].as_str().unwrap().to_string(),
    )
}
