//! Zips from real `node_modules` trees, installed from npm by `scripts/node-fixtures` (npm,
//! Yarn classic, pnpm, an npm workspace; pinned lockfiles and package managers): the file
//! names are v3's (osls 3.77's listings, `tests/fixtures/node-trees/listings/*.v3.txt`) except
//! where v3 ships a broken or wrong zip, and every zip runs: `require('./handler')` succeeds
//! in the unzipped folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common;

fn trees() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/node-trees")
}

/// The service directory of a fixture, checked to be installed.
fn installed(dir: &str) -> PathBuf {
    let d = trees().join(dir);
    assert!(
        d.join("node_modules").is_dir() || d.join("../../node_modules").is_dir(),
        "{} is not installed: run scripts/node-fixtures (./scripts/test does)",
        d.display()
    );
    d
}

fn listing(name: &str) -> BTreeSet<String> {
    std::fs::read_to_string(trees().join("listings").join(name))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Packages `service` into a temporary directory; returns the zip's names and the directory.
fn package(service: &Path, zip: &str) -> (BTreeSet<String>, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let args: Vec<String> = vec![
        "package".into(),
        "--package".into(),
        out.path().display().to_string(),
    ];
    let o = common::sls(service, &args, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names = names(&out.path().join(zip));
    (names, out)
}

fn names(zip: &Path) -> BTreeSet<String> {
    let f = std::fs::File::open(zip).unwrap();
    let z = zip::ZipArchive::new(f).unwrap();
    z.file_names().map(|n| n.unwrap().to_string()).collect()
}

/// Unzips with Info-ZIP's `unzip` (which, like Lambda, restores symlinks) and loads the handler
/// with `node`.
fn runs(zip: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("unzip")
        .args([
            "-q",
            &zip.display().to_string(),
            "-d",
            &dir.path().display().to_string(),
        ])
        .status()
        .expect("unzip");
    assert!(st.success());
    let o = std::process::Command::new("node")
        .args(["-e", "require('./handler')"])
        .current_dir(dir.path())
        .output()
        .expect("node");
    assert!(
        o.status.success(),
        "the unzipped function cannot load its handler:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// v3 looks for a scoped dev dependency's commands in `node_modules/@scope/.bin/`, so it ships
/// `@antfu/ni`'s seven `.bin` entries; sls-rs leaves them out with the package.
const V3_SCOPED_BIN_LEAK: &[&str] = &[
    "node_modules/.bin/na",
    "node_modules/.bin/nci",
    "node_modules/.bin/ni",
    "node_modules/.bin/nlx",
    "node_modules/.bin/nr",
    "node_modules/.bin/nu",
    "node_modules/.bin/nun",
];

fn v3_without_scoped_bin_leak(name: &str) -> BTreeSet<String> {
    let mut want = listing(name);
    for leak in V3_SCOPED_BIN_LEAK {
        assert!(want.remove(*leak), "v3's listing lost {leak}");
    }
    want
}

#[test]
fn npm_trees_zip_what_v3_zips_and_run() {
    let (got, out) = package(&installed("npm"), "npm.zip");
    assert_eq!(got, v3_without_scoped_bin_leak("npm.v3.txt"));
    // Both a dev and a production dependency (`ms`, through `debug`): kept.
    assert!(got.contains("node_modules/ms/index.js"));
    assert!(!got.iter().any(|n| n.starts_with("node_modules/esprima/")));
    runs(&out.path().join("npm.zip"));
}

#[test]
fn yarn_classic_trees_zip_what_v3_zips_and_run() {
    let (got, out) = package(&installed("yarn"), "yarn.zip");
    assert_eq!(got, v3_without_scoped_bin_leak("yarn.v3.txt"));
    runs(&out.path().join("yarn.zip"));
}

/// v3 follows pnpm's links and drops the top-level `ms` link (a dev dependency `debug` also
/// needs), so its zip fails at `require('debug')`. sls-rs stores pnpm's links as links and the
/// real files once, without the dev-only packages: the reviewed listing is
/// `listings/pnpm.sls-rs.txt`.
#[test]
fn pnpm_trees_keep_their_links_and_run() {
    let (got, out) = package(&installed("pnpm"), "pnpm.zip");
    assert_eq!(got, listing("pnpm.sls-rs.txt"));
    let v3 = listing("pnpm.v3.txt");
    assert!(!v3.contains("node_modules/ms/index.js"), "v3 drops ms");
    // The links are links.
    let f = std::fs::File::open(out.path().join("pnpm.zip")).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let debug = z.by_name("node_modules/debug").unwrap();
    assert!(debug.is_symlink(), "node_modules/debug is stored as a link");
    drop(debug);
    runs(&out.path().join("pnpm.zip"));
}

/// A workspace hoists the service's dependencies to the repository root: v3 zips only
/// `handler.js` and `package.json`, a function that cannot start. sls-rs refuses, naming them.
#[test]
fn dependencies_hoisted_out_of_the_service_are_refused() {
    let service = installed("npm-workspace/services/api");
    assert_eq!(listing("npm-workspace.v3.txt").len(), 2);
    let out = tempfile::tempdir().unwrap();
    let args: Vec<String> = vec![
        "package".into(),
        "--package".into(),
        out.path().display().to_string(),
    ];
    let o = common::sls(&service, &args, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`debug`") && stderr.contains("outside the service directory"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!out.path().join("api.zip").exists(), "nothing written");
}
