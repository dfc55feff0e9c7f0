//! v3 configuration keys sls-rs does not compile yet, in one table.
//!
//! A key v3's schema knows must never meet sls-rs's "unknown property … is ignored": the user
//! wrote something v3 would deploy. Validation consults this table wherever it meets a key it
//! does not compile ([`crate::manifest::checker::Checker`]'s unknown-key report), and refuses
//! the key with why and what to do instead. `tests/it/v3_keys.rs` checks every key of v3's
//! schema against the compiler and this table.

use crate::error::{KeyPath, Seg};

/// `(schema path, hint)`. In a schema path, a function, layer or `provider.s3` bucket name is
/// `*`, and an event is named by its kind (`functions.*.events.http.operationId`).
const NOT_YET: &[(&str, &str)] = &[(
    "provider.apiGateway.stage",
    "remove it; the REST API's stage is the service's stage",
)];

/// The hint for a v3 key sls-rs refuses, when `path` is one.
pub fn hint(path: &KeyPath) -> Option<&'static str> {
    let schema = schema_path(path);
    NOT_YET
        .iter()
        .find(|(key, _)| *key == schema)
        .map(|(_, hint)| *hint)
}

/// `functions.hello.events[0].http.async` → `functions.*.events.http.async`.
fn schema_path(path: &KeyPath) -> String {
    let mut out: Vec<&str> = Vec::new();
    for (i, seg) in path.0.iter().enumerate() {
        let Seg::Key(k) = seg else { continue };
        let named = i == 1 && matches!(out.first(), Some(&"functions" | &"layers"))
            || i == 2 && out.first() == Some(&"provider") && out.get(1) == Some(&"s3");
        out.push(if named { "*" } else { k });
    }
    out.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_stars_and_event_positions_go() {
        let p = KeyPath::parse_dotted("functions.hello.events[3].http.connectionId");
        assert_eq!(schema_path(&p), "functions.*.events.http.connectionId");
        let p = KeyPath::parse_dotted("provider.s3.photos.bucketName");
        assert_eq!(schema_path(&p), "provider.s3.*.bucketName");
        let p = KeyPath::parse_dotted("provider.apiGateway.stage");
        assert_eq!(schema_path(&p), "provider.apiGateway.stage");
        assert!(hint(&KeyPath::parse_dotted("provider.apiGateway.stage")).is_some());
        assert!(hint(&KeyPath::parse_dotted("functions.f.stage")).is_none());
    }
}
