//! Property tests of the loader: whatever the bytes, loading returns a value or a diagnostic —
//! never a panic, a hang or a runaway allocation. Bounded: a fixed number of cases per run.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use proptest::prelude::*;
use sls_rs::manifest::{self, Options};

fn options() -> Options {
    Options {
        options: BTreeMap::new(),
        params: BTreeMap::new(),
        env: HashMap::new(),
        instance_id: "1".into(),
        today: crate::common::TODAY.into(),
    }
}

fn load(text: &str) {
    let dir = std::env::temp_dir();
    let result = manifest::load_str(
        text,
        &dir,
        "serverless.yml",
        Path::new("serverless.yml"),
        &options(),
        None,
        None,
    );
    if let Err(e) = result {
        let rendered = e.render();
        assert!(
            rendered.starts_with("error:") || rendered.starts_with("warning:"),
            "{rendered}"
        );
    }
}

/// Fragments that exercise the interesting paths: variables, tags, anchors, events.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("service: s\n".to_string()),
        Just("provider:\n  name: aws\n".to_string()),
        Just("functions:\n  f:\n    handler: h.h\n".to_string()),
        Just("    events:\n      - http: GET /\n".to_string()),
        Just("      - schedule: rate(1 minute)\n".to_string()),
        Just("custom:\n  a: ${self:custom.b}\n".to_string()),
        Just("  b: ${self:custom.a, 'x'}\n".to_string()),
        Just("  c: ${env:X, opt:y, ${sls:stage}}\n".to_string()),
        Just("  d: &d {x: !Ref Y}\n".to_string()),
        Just("  e: *d\n".to_string()),
        Just("  f: ${file(./nope.json):a}\n".to_string()),
        Just("  g: ${self:${self:custom.g}}\n".to_string()),
        Just("  h: !GetAtt\n".to_string()),
        Just("<<: *d\n".to_string()),
        "[ -~]{0,40}\n",
        "[${}:,'\" a-z.()\\[\\]!&*<>|-]{0,30}",
        nesting(),
    ]
}

/// Flow or block collections nested up to 20,000 deep, closed, half closed or not at all:
/// refused by depth before the parsers see them, or loaded when shallow enough.
fn nesting() -> impl Strategy<Value = String> {
    let pair = prop_oneof![
        Just(("[", "]")),
        Just(("{", "}")),
        Just(("{a: ", "}")),
        Just(("[{http: ", "}]")),
        Just(("- ", "")),
    ];
    let depth = prop_oneof![0usize..200, 0usize..20_000];
    (pair, depth, 0usize..=2).prop_map(|((open, close), depth, closing)| {
        let closed = match closing {
            0 => 0,
            1 => depth / 2,
            _ => depth,
        };
        format!(
            "custom:\n  {}x{}\n",
            open.repeat(depth),
            close.repeat(closed)
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        load(&s);
    }

    #[test]
    fn deep_nesting_is_refused_or_loaded(prefix in fragment(), deep in nesting()) {
        load(&format!("{prefix}{deep}"));
    }

    #[test]
    fn configuration_like_text_never_panics(parts in proptest::collection::vec(fragment(), 0..12)) {
        load(&parts.concat());
    }
}
