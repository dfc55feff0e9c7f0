//! `package.excludeDevDependencies`: node_modules packages that only devDependencies need, read
//! from the lockfile (or package.json) without running npm.

use std::path::Path;

use serde_json::Value;

/// Patterns (without `!`) for the dev-only packages under `dir/node_modules`.
pub fn dev_only_patterns(dir: &Path) -> Vec<String> {
    if !dir.join("node_modules").is_dir() {
        return Vec::new();
    }
    // npm's lockfile v2/v3 marks every package only devDependencies need with `"dev": true`,
    // at every depth of the tree.
    if let Some(lock) = read_json(&dir.join("package-lock.json")) {
        if let Some(Value::Object(packages)) = lock.get("packages") {
            let mut out: Vec<String> = packages
                .iter()
                .filter(|(path, meta)| {
                    !path.is_empty() && meta.get("dev").and_then(Value::as_bool) == Some(true)
                })
                .map(|(path, _)| format!("{path}/**"))
                .collect();
            out.sort();
            return out;
        }
    }
    // Without a lockfile: the direct devDependencies that are not also dependencies.
    let Some(pkg) = read_json(&dir.join("package.json")) else {
        return Vec::new();
    };
    let deps = |key: &str| -> Vec<String> {
        pkg.get(key)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let prod = deps("dependencies");
    let mut out: Vec<String> = deps("devDependencies")
        .into_iter()
        .filter(|d| !prod.contains(d))
        .map(|d| format!("node_modules/{d}/**"))
        .collect();
    out.sort();
    out
}

fn read_json(p: &Path) -> Option<Value> {
    let meta = std::fs::metadata(p).ok()?;
    if meta.len() > 64 * 1024 * 1024 {
        return None;
    }
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}
