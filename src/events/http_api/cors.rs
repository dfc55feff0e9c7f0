//! `provider.httpApi.cors`: the API's `CorsConfiguration` (API Gateway answers the preflight
//! itself, so no OPTIONS routes are generated).

use serde_json::{json, Map, Value};

use crate::events::http::DEFAULT_CORS_HEADERS;

const DEFAULT_METHODS: &[&str] = &["OPTIONS", "GET", "POST", "PUT", "PATCH", "HEAD", "DELETE"];

/// `true` gives v3's defaults; a map overrides them key by key. `None` for anything else.
pub(super) fn configuration(v: &Value) -> Option<Value> {
    match v {
        Value::Bool(true) => Some(json!({
            "AllowHeaders": DEFAULT_CORS_HEADERS,
            "AllowMethods": DEFAULT_METHODS,
            "AllowOrigins": ["*"],
        })),
        Value::Object(m) => {
            let mut o = Map::new();
            let defaults: [(&str, &str, Value); 3] = [
                (
                    "allowedHeaders",
                    "AllowHeaders",
                    json!(DEFAULT_CORS_HEADERS),
                ),
                ("allowedMethods", "AllowMethods", json!(DEFAULT_METHODS)),
                ("allowedOrigins", "AllowOrigins", json!(["*"])),
            ];
            for (from, to, default) in defaults {
                o.insert(to.into(), m.get(from).cloned().unwrap_or(default));
            }
            crate::plan::copy_keys(
                v,
                &[
                    ("allowCredentials", "AllowCredentials"),
                    ("exposedResponseHeaders", "ExposeHeaders"),
                    ("maxAge", "MaxAge"),
                ],
                &mut o,
            );
            Some(Value::Object(o))
        }
        _ => None,
    }
}
