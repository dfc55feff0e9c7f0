//! The packager: v3's file selection, deterministic zips, the `.serverless/` layout, atomic
//! replacement, and the limits it checks.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::Test;
use serde_json::Value;

const HEAD: &str = "service: svc\nprovider:\n  name: aws\n  runtime: nodejs22.x\n";

/// The entry names and unix modes of a zip.
fn listing(zip: &Path) -> Vec<(String, u32)> {
    let f = std::fs::File::open(zip).unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
    let mut a = zip::ZipArchive::new(f).unwrap();
    (0..a.len())
        .map(|i| {
            let e = a.by_index(i).unwrap();
            (
                e.name().unwrap().to_string(),
                e.unix_mode().unwrap_or(0) & 0o777,
            )
        })
        .collect()
}

fn names(zip: &Path) -> Vec<String> {
    listing(zip).into_iter().map(|(n, _)| n).collect()
}

/// v3's zip listings: file name → entry names.
fn expected_listing(case: &common::Case) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(case.dir.join("expected/zip-listing.txt")).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("== ") {
            let name = rest.split_whitespace().next().unwrap().to_string();
            out.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if let Some(c) = &current {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() == 4
                && cols[0].chars().all(|ch| ch.is_ascii_digit())
                && cols[1].contains('-')
            {
                out.get_mut(c).unwrap().push(cols[3].to_string());
            }
        }
    }
    out
}

fn package(dir: &Path, args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let mut all = vec!["package".to_string(), "--quiet".to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    common::sls(dir, &all, env)
}

#[test]
fn every_reference_case_packages_the_files_v3_packaged() {
    for case in common::cases() {
        let dir = common::copy_case(&case);
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let out = package(dir.path(), &args, &case.env);
        assert!(
            out.status.success(),
            "{}: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let sls = dir.path().join(".serverless");
        for (zip, files) in expected_listing(&case) {
            if zip == "custom-resources.zip" {
                continue; // v3's Node.js custom resources; sls-rs's handler is inline
            }
            let got = names(&sls.join(&zip));
            let mut want = files.clone();
            want.sort();
            assert_eq!(got, want, "{}: {zip}", case.name);
        }
        for f in [
            "cloudformation-template-update-stack.json",
            "serverless-state.json",
        ] {
            assert!(sls.join(f).is_file(), "{}: {f}", case.name);
        }
    }
}

#[test]
fn zips_are_deterministic_and_modes_normalised() {
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file("lib/a.js", "a\n")
    .file("lib/b.js", "b\n")
    .file("bin/tool", "#!/bin/sh\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            t.path().join("bin/tool"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        std::fs::set_permissions(
            t.path().join("lib/a.js"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let dir = t.path().to_path_buf();
    assert!(package(&dir, &[], &[]).status.success());
    let zip = dir.join(".serverless/svc.zip");
    let first = std::fs::read(&zip).unwrap();
    let l = listing(&zip);
    assert_eq!(
        l.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        vec!["bin/tool", "handler.js", "lib/a.js", "lib/b.js"],
        "sorted, no directory entries"
    );
    assert_eq!(l[0].1, 0o755);
    assert_eq!(l[2].1, 0o644);
    let mut a = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let e = a.by_index(0).unwrap();
    let when = e.last_modified().unwrap();
    assert_eq!(
        (
            when.year(),
            when.month(),
            when.day(),
            when.hour(),
            when.minute()
        ),
        (1980, 1, 1, 0, 0)
    );
    assert_eq!(e.compression(), zip::CompressionMethod::Deflated);
    drop(e);
    // Touch every file (new mtimes), package again: the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for f in ["handler.js", "lib/a.js", "lib/b.js", "bin/tool"] {
        let p = dir.join(f);
        let content = std::fs::read(&p).unwrap();
        std::fs::write(&p, content).unwrap();
    }
    assert!(package(&dir, &[], &[]).status.success());
    assert_eq!(
        std::fs::read(&zip).unwrap(),
        first,
        "unchanged content gives the same zip"
    );
}

#[test]
fn code_sha256_is_the_zips_hash() {
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ));
    let dir = t.path().to_path_buf();
    assert!(package(&dir, &[], &[]).status.success());
    let zip = std::fs::read(dir.join(".serverless/svc.zip")).unwrap();
    use base64::Engine;
    use sha2::Digest;
    let sha = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&zip));
    let tpl: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".serverless/cloudformation-template-update-stack.json"))
            .unwrap(),
    )
    .unwrap();
    let (_, version) = tpl["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("HelloLambdaVersion"))
        .unwrap();
    assert_eq!(version["Properties"]["CodeSha256"], Value::String(sha));
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".serverless/serverless-state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["service"]["service"], "svc");
    assert!(state["package"]["artifactDirectoryName"]
        .as_str()
        .unwrap()
        .starts_with("serverless/svc/dev/"));
}

#[test]
fn patterns_default_excludes_and_legacy_keys() {
    let t = Test::service(&format!("{HEAD}package:\n  patterns:\n    - '!docs/**'\n    - 'docs/keep.md'\n    - '!**/*.test.js'\n    - '.gitignore'\nfunctions:\n  hello:\n    handler: handler.hello\n"))
        .file("docs/a.md", "a")
        .file("docs/keep.md", "k")
        .file("src/x.js", "x")
        .file("src/x.test.js", "t")
        .file(".gitignore", "node_modules\n")
        .file(".git/HEAD", "ref")
        .file(".DS_Store", "")
        .file("npm-debug.log", "")
        .file(".env", "A=1");
    let dir = t.path().to_path_buf();
    assert!(package(&dir, &[], &[]).status.success());
    assert_eq!(
        names(&dir.join(".serverless/svc.zip")),
        vec![
            ".env",
            ".gitignore",
            "docs/keep.md",
            "handler.js",
            "src/x.js"
        ],
        "defaults out (a pattern brings .gitignore back), later patterns win"
    );
    let legacy = Test::service(&format!("{HEAD}package:\n  exclude: ['src/**']\n  include: ['src/keep.js']\nfunctions:\n  hello:\n    handler: handler.hello\n"))
        .file("src/keep.js", "k")
        .file("src/drop.js", "d");
    assert!(package(legacy.path(), &[], &[]).status.success());
    assert_eq!(
        names(&legacy.path().join(".serverless/svc.zip")),
        vec!["handler.js", "src/keep.js"]
    );
}

#[test]
fn no_matching_file_is_an_error_naming_the_patterns() {
    Test::service(&format!(
        "{HEAD}package:\n  patterns: ['!**']\nfunctions:\n  hello:\n    handler: handler.hello\n"
    ))
    .args(&["package"])
    .status(1)
    .stderr_has("no files to package for the service: the patterns `!**` exclude everything")
    .stderr_has("(package.patterns)")
    .run();
}

#[test]
fn individually_artifacts_and_layers() {
    let t = Test::service(&format!(
        "{HEAD}package:\n  individually: true\n  patterns: ['!src/**']\nlayers:\n  deps:\n    path: layer\nfunctions:\n  a:\n    handler: src/a.handler\n    package:\n      patterns: [src/a.js]\n  b:\n    handler: handler.hello\n  pre:\n    handler: handler.hello\n    package:\n      artifact: prebuilt/pre.zip\n"
    ))
    .file("src/a.js", "a")
    .file("src/b.js", "b")
    .file("layer/nodejs/node_modules/dep/index.js", "d")
    .file("prebuilt/pre.zip", "not really a zip but bytes");
    let dir = t.path().to_path_buf();
    let out = package(&dir, &["--verbose"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sls = dir.join(".serverless");
    assert_eq!(
        names(&sls.join("a.zip")),
        vec!["handler.js", "prebuilt/pre.zip", "src/a.js"]
    );
    assert_eq!(
        names(&sls.join("b.zip")),
        vec!["handler.js", "prebuilt/pre.zip"]
    );
    assert_eq!(
        names(&sls.join("deps.zip")),
        vec!["nodejs/node_modules/dep/index.js"],
        "layer paths are relative to the layer"
    );
    assert_eq!(
        std::fs::read(sls.join("pre.zip")).unwrap(),
        b"not really a zip but bytes"
    );
    assert!(
        !sls.join("svc.zip").exists(),
        "no shared zip when every function is individual"
    );
    let tpl: Value = serde_json::from_str(
        &std::fs::read_to_string(sls.join("cloudformation-template-update-stack.json")).unwrap(),
    )
    .unwrap();
    assert!(
        tpl["Resources"]["ALambdaFunction"]["Properties"]["Code"]["S3Key"]
            .as_str()
            .unwrap()
            .ends_with("/a.zip")
    );
    assert!(
        tpl["Resources"]["PreLambdaFunction"]["Properties"]["Code"]["S3Key"]
            .as_str()
            .unwrap()
            .ends_with("/pre.zip")
    );
    assert!(
        tpl["Resources"]["DepsLambdaLayer"]["Properties"]["Content"]["S3Key"]
            .as_str()
            .unwrap()
            .ends_with("/deps.zip")
    );
}

#[test]
fn dev_dependencies_are_left_out() {
    // What Node would load from the installed tree decides, not the lockfile.
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file(
        "package.json",
        r#"{"dependencies": {"prod": "1"}, "devDependencies": {"jest": "1", "@types/node": "1"}}"#,
    )
    .file(
        "node_modules/prod/package.json",
        r#"{"name": "prod", "dependencies": {"inner": "1"}}"#,
    )
    .file("node_modules/prod/index.js", "p")
    .file("node_modules/prod/node_modules/inner/index.js", "i")
    .file("node_modules/jest/index.js", "j")
    .file("node_modules/@types/node/index.d.ts", "t");
    assert!(package(t.path(), &[], &[]).status.success());
    let got = names(&t.path().join(".serverless/svc.zip"));
    assert!(
        got.contains(&"node_modules/prod/index.js".to_string())
            && got.contains(&"node_modules/prod/node_modules/inner/index.js".to_string()),
        "{got:?}"
    );
    assert!(
        !got.iter()
            .any(|n| n.contains("jest") || n.contains("@types")),
        "{got:?}"
    );
    // Without a lockfile, package.json's devDependencies.
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ))
    .file(
        "package.json",
        r#"{"dependencies": {"prod": "1"}, "devDependencies": {"jest": "1"}}"#,
    )
    .file("node_modules/prod/index.js", "p")
    .file("node_modules/jest/index.js", "j");
    assert!(package(t.path(), &[], &[]).status.success());
    assert!(!names(&t.path().join(".serverless/svc.zip"))
        .iter()
        .any(|n| n.contains("jest")));
    // excludeDevDependencies: false keeps them.
    let t = Test::service(&format!("{HEAD}package:\n  excludeDevDependencies: false\nfunctions:\n  hello:\n    handler: handler.hello\n"))
        .file("package.json", r#"{"devDependencies": {"jest": "1"}}"#)
        .file("node_modules/jest/index.js", "j");
    assert!(package(t.path(), &[], &[]).status.success());
    assert!(names(&t.path().join(".serverless/svc.zip"))
        .iter()
        .any(|n| n.contains("jest")));
}

#[test]
fn functions_over_250_mb_unzipped_are_refused_naming_the_largest_directories() {
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ));
    // Sparse files: large on paper, nothing on disk; the check runs before compression.
    std::fs::create_dir_all(t.path().join("node_modules/huge")).unwrap();
    std::fs::File::create(t.path().join("node_modules/huge/blob.bin"))
        .unwrap()
        .set_len(210_000_000)
        .unwrap();
    std::fs::create_dir_all(t.path().join("assets")).unwrap();
    std::fs::File::create(t.path().join("assets/video.bin"))
        .unwrap()
        .set_len(60_000_000)
        .unwrap();
    t.args(&["package"])
        .status(1)
        .stderr_has("function `hello` is 270.0 MB unzipped with its layers; Lambda allows 262.1 MB")
        .stderr_has("svc.zip:node_modules/huge (210.0 MB)")
        .stderr_has("svc.zip:assets (60.0 MB)")
        .run();
}

#[test]
fn a_failed_package_keeps_the_previous_one() {
    let ok = format!("{HEAD}functions:\n  hello:\n    handler: handler.hello\n");
    let t = Test::service(&ok);
    let dir = t.path().to_path_buf();
    assert!(package(&dir, &[], &[]).status.success());
    let sls = dir.join(".serverless");
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&sls)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    // The zips build, then planning fails (a reference to nothing): midway.
    std::fs::write(dir.join("handler.js"), "changed").unwrap();
    std::fs::write(
        dir.join("serverless.yml"),
        format!("{ok}    environment: {{T: !Ref Nothing}}\n"),
    )
    .unwrap();
    let out = package(&dir, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let after: Vec<(String, Vec<u8>)> = std::fs::read_dir(&sls)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    assert_eq!(before, after, "the previous package is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".sls-rs-staging"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no staging directory left behind: {leftovers:?}"
    );
}

#[test]
fn package_dir_option_and_progress_output() {
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ));
    let dir = t.path().to_path_buf();
    let out = common::sls(
        &dir,
        &[
            "package".into(),
            "--package".into(),
            "out/pkg".into(),
            "--verbose".into(),
        ],
        &[],
    );
    assert!(out.status.success());
    assert!(dir.join("out/pkg/svc.zip").is_file());
    assert!(
        !names(&dir.join("out/pkg/svc.zip"))
            .iter()
            .any(|n| n.starts_with("out/")),
        "the output is not packaged into itself"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("packaging 1 artifact"),
        "plain progress lines when not a terminal: {stderr}"
    );
    assert!(
        stderr.contains("svc.zip") && stderr.contains("1 file"),
        "--verbose lists artifacts: {stderr}"
    );
    let quiet = common::sls(&dir, &["package".into(), "--quiet".into()], &[]);
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "--quiet prints nothing: {}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

#[test]
fn broken_symlinks_are_named() {
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ));
    #[cfg(unix)]
    std::os::unix::fs::symlink("/nonexistent/target", t.path().join("dangling")).unwrap();
    t.args(&["package"])
        .status(1)
        .stderr_has("`dangling` is a symbolic link to something that does not exist")
        .run();
}

#[test]
fn symlinks_are_followed_into_their_targets() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("pkg")).unwrap();
    std::fs::write(outside.path().join("pkg/index.js"), "shared").unwrap();
    let t = Test::service(&format!(
        "{HEAD}functions:\n  hello:\n    handler: handler.hello\n"
    ));
    std::fs::create_dir_all(t.path().join("node_modules")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            outside.path().join("pkg"),
            t.path().join("node_modules/shared"),
        )
        .unwrap();
        // A link back to an ancestor is not followed forever.
        std::os::unix::fs::symlink(t.path(), t.path().join("node_modules/loop")).unwrap();
    }
    assert!(package(t.path(), &[], &[]).status.success());
    let got = names(&t.path().join(".serverless/svc.zip"));
    assert!(
        got.contains(&"node_modules/shared/index.js".to_string()),
        "{got:?}"
    );
}

#[test]
fn a_layer_change_alone_publishes_a_new_function_version() {
    // The version's logical ID hashes the code and configuration of the function and of the
    // layers it uses: only the layer's content changes here, and the function must get a new
    // version pointing at the new layer version (v3 hashes layers in too).
    let t = Test::service(&format!(
        "{HEAD}layers:\n  deps:\n    path: layer\nfunctions:\n  hello:\n    handler: handler.hello\n    layers:\n      - Ref: DepsLambdaLayer\n  plain:\n    handler: handler.hello\n"
    ))
    .file("layer/nodejs/node_modules/dep/index.js", "module.exports = 1;\n");
    let versions = |dir: &Path| -> BTreeMap<String, String> {
        let o = package(dir, &["--dry-run"], &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let t: Value = serde_json::from_slice(&o.stdout).unwrap();
        t["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|k| {
                let i = k.find("LambdaVersion")?;
                Some((k[..i].to_string(), k.clone()))
            })
            .collect()
    };
    let before = versions(t.path());
    assert_eq!(versions(t.path()), before, "nothing changed, nothing new");
    std::fs::write(
        t.path().join("layer/nodejs/node_modules/dep/index.js"),
        "module.exports = 2;\n",
    )
    .unwrap();
    let after = versions(t.path());
    assert_ne!(after["Hello"], before["Hello"], "uses the layer");
    assert_eq!(after["Plain"], before["Plain"], "does not use it");
}

#[test]
fn v3_flags_sls_rs_does_not_implement_are_refused_not_taken_as_custom_options() {
    for (flag, says) in [
        ("--aws-s3-accelerate", "Transfer Acceleration"),
        ("--enforce-hash-update", "hashing"),
    ] {
        Test::service("service: f\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n")
            .args(&["deploy", flag])
            .status(2)
            .stderr_has(&format!("error: {flag}: "))
            .stderr_has(says)
            .run();
    }
    // A custom option of the user's own is still an `${opt:…}` value.
    let (out, _) = Test::service("service: f\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  environment:\n    X: ${opt:domain}\nfunctions:\n  hello:\n    handler: handler.hello\n")
        .args(&["print", "--path", "provider.environment.X", "--domain", "example.com"])
        .run();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "example.com");
}

#[test]
fn package_and_deploy_take_v3s_short_p_for_the_package_directory() {
    let (_, dir) = Test::service("service: f\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n")
        .args(&["package", "-p", "build"])
        .run();
    assert!(dir.path().join("build/f.zip").is_file());
    assert!(!dir.path().join(".serverless").exists());
    // `deploy -p DIR` reads that directory (here missing: an error naming it, not a usage error).
    Test::service("service: f\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .args(&["deploy", "-p", "no-such-package"])
        .status(1)
        .stderr_has("no-such-package")
        .run();
}
