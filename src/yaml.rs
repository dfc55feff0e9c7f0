//! All YAML access lives here, so the archived `serde_yaml` can be swapped for a maintained fork
//! by changing this one file.
//!
//! [`parse`] turns YAML (or JSON, a subset of it) into a `serde_json::Value`: anchors, aliases and
//! `<<` merge keys applied, CloudFormation short-form tags (`!Ref`, `!GetAtt A.B`, …) turned into
//! their long `Fn::` forms. [`locate`] finds the line and column of a key path; it is only called
//! when an error is rendered, so the happy path parses once.

use serde_json::{Map, Number, Value};

use crate::error::{Diagnostic, KeyPath, Location, Seg};

/// Larger configuration files are refused before they are read: real ones are kilobytes, and a
/// bound keeps a hostile file from costing memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// CloudFormation's short-form intrinsic functions and their long names.
const CFN_TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("Base64", "Fn::Base64"),
    ("GetAZs", "Fn::GetAZs"),
    ("ImportValue", "Fn::ImportValue"),
    ("FindInMap", "Fn::FindInMap"),
    ("Cidr", "Fn::Cidr"),
    ("Transform", "Fn::Transform"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Length", "Fn::Length"),
];

/// Parses one YAML or JSON document. Errors carry line and column.
pub fn parse(text: &str) -> Result<Value, Diagnostic> {
    let mut doc: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let location = e.location().map(|l| Location {
                line: l.line(),
                col: l.column(),
            });
            let msg = e.to_string();
            // serde_yaml appends " at line X column Y"; the location is rendered separately.
            let msg = match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            let hint = if msg.contains("recursion limit") || msg.contains("repetition limit") {
                "the document nests or repeats aliases too deeply to be a service definition"
            } else {
                "check the indentation and quoting around this position"
            };
            return Err(Diagnostic::error(format!("invalid YAML: {msg}"))
                .located(location)
                .hint(hint));
        }
    };
    if let Err(e) = doc.apply_merge() {
        return Err(Diagnostic::error(format!("invalid YAML merge key (<<): {e}"))
            .hint("a `<<` key takes a mapping or a list of mappings, usually an alias like `<<: *defaults`"));
    }
    convert(doc, &KeyPath::root())
}

fn convert(v: serde_yaml::Value, path: &KeyPath) -> Result<Value, Diagnostic> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => Value::String(n.to_string()),
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| convert(item, &path.index(i)))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key =
                    match k {
                        Y::String(s) => s,
                        Y::Number(n) => n.to_string(),
                        Y::Bool(b) => b.to_string(),
                        Y::Null => "null".to_string(),
                        _ => return Err(Diagnostic::error("a mapping key must be a plain value")
                            .at(path)
                            .hint(
                                "keys are names such as `handler`; lists and maps cannot be keys",
                            )),
                    };
                let child = path.key(key.clone());
                out.insert(key, convert(v, &child)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let Some((_, long)) = CFN_TAGS.iter().find(|(short, _)| *short == name) else {
                return Err(Diagnostic::error(format!("unknown YAML tag `{tag}`"))
                    .at(path)
                    .hint("sls-rs understands CloudFormation's short forms such as !Ref, !GetAtt, !Sub, !Join, !If"));
            };
            let inner = convert(t.value, path)?;
            let inner = match (*long, inner) {
                ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
                    Some((res, attr)) => Value::Array(vec![res.into(), attr.into()]),
                    None => return Err(Diagnostic::error(format!(
                        "`!GetAtt {s}` needs a resource and an attribute"
                    ))
                    .at(path)
                    .hint(
                        "write it as `!GetAtt Resource.Attribute`, e.g. `!GetAtt UsersTable.Arn`",
                    )),
                },
                (_, inner) => inner,
            };
            let mut m = Map::new();
            m.insert(long.to_string(), inner);
            Value::Object(m)
        }
    })
}

/// Renders a value as YAML (for `sls-rs print`).
pub fn to_string(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap_or_else(|e| format!("# could not render as YAML: {e}\n"))
}

/// The line and column of `path` in `text`, or of its nearest ancestor that can be found (a key
/// reached through an alias or a merge has no position of its own).
pub fn locate(text: &str, path: &KeyPath) -> Option<Location> {
    let mut builder = TreeBuilder::default();
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    parser.load(&mut builder, false).ok()?;
    let mut node = builder.root?;
    let mut found = node.mark;
    for seg in &path.0 {
        let next = match (&node.kind, seg) {
            (Kind::Map(entries), Seg::Key(k)) => entries
                .iter()
                .find(|(key, _, _)| key == k)
                .map(|(_, kmark, child)| (kmark, child)),
            (Kind::Seq(items), Seg::Index(i)) => items.get(*i).map(|c| (&c.mark, c)),
            _ => None,
        };
        match next {
            Some((mark, child)) => {
                found = *mark;
                node = child.clone();
            }
            None => break,
        }
    }
    Some(found)
}

#[derive(Clone, Debug)]
struct Node {
    mark: Location,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Location, Node)>),
    Other,
}

/// Builds a position-annotated tree from parser events. Only used by [`locate`].
#[derive(Default)]
struct TreeBuilder {
    stack: Vec<(Node, Option<(String, Location)>)>,
    root: Option<Node>,
    events: usize,
}

impl TreeBuilder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some((parent, pending_key)) => match &mut parent.kind {
                Kind::Seq(items) => items.push(node),
                Kind::Map(entries) => match pending_key.take() {
                    None => {
                        let key = match &node.kind {
                            Kind::Scalar(s) => s.clone(),
                            _ => String::new(),
                        };
                        *pending_key = Some((key, node.mark));
                    }
                    Some((key, kmark)) => entries.push((key, kmark, node)),
                },
                _ => {}
            },
        }
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event as E;
        // Positions are only wanted for error messages: stop building on absurd inputs.
        self.events += 1;
        if self.events > 2_000_000 {
            return;
        }
        let loc = Location {
            line: mark.line(),
            col: mark.col() + 1,
        };
        match ev {
            E::Scalar(s, ..) => self.push_value(Node {
                mark: loc,
                kind: Kind::Scalar(s),
            }),
            E::Alias(_) => self.push_value(Node {
                mark: loc,
                kind: Kind::Other,
            }),
            E::SequenceStart(..) => self.stack.push((
                Node {
                    mark: loc,
                    kind: Kind::Seq(Vec::new()),
                },
                None,
            )),
            E::MappingStart(..) => self.stack.push((
                Node {
                    mark: loc,
                    kind: Kind::Map(Vec::new()),
                },
                None,
            )),
            E::SequenceEnd | E::MappingEnd => {
                if let Some((node, _)) = self.stack.pop() {
                    self.push_value(node);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_forms() {
        let v = parse(
            "a: !Ref X\nb: !GetAtt T.Arn\nc: !Sub 'x-${AWS::Region}'\nd: !Select [0, !GetAZs '']\n",
        )
        .unwrap();
        assert_eq!(v["a"], serde_json::json!({"Ref": "X"}));
        assert_eq!(v["b"], serde_json::json!({"Fn::GetAtt": ["T", "Arn"]}));
        assert_eq!(v["c"], serde_json::json!({"Fn::Sub": "x-${AWS::Region}"}));
        assert_eq!(
            v["d"],
            serde_json::json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = parse("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: *b\n").unwrap();
        assert_eq!(v["c"], serde_json::json!({"x": 1, "y": 3}));
        assert_eq!(v["d"], serde_json::json!({"x": 1, "y": 2}));
    }

    #[test]
    fn parse_errors_have_positions() {
        let d = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(d.location.is_some(), "{d:?}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse(&s).is_err());
    }

    #[test]
    fn locate_finds_nested_keys_and_list_items() {
        let text = "service: x\nfunctions:\n  hello:\n    handler: h.h\n    events:\n      - http:\n          method: fetch\n";
        let p = KeyPath::parse_dotted("functions.hello.events[0].http.method");
        assert_eq!(locate(text, &p), Some(Location { line: 7, col: 11 }));
        let missing = KeyPath::parse_dotted("functions.hello.timeout");
        assert_eq!(locate(text, &missing), Some(Location { line: 3, col: 3 }));
    }
}
