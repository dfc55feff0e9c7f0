//! All YAML access lives here, so the archived `serde_yaml` can be swapped for a maintained fork
//! by changing this one file.
//!
//! [`parse`] turns YAML (or JSON, a subset of it) into a `serde_json::Value`: anchors, aliases and
//! `<<` merge keys applied, CloudFormation short-form tags (`!Ref`, `!GetAtt A.B`, …) turned into
//! their long `Fn::` forms. [`locate`] finds the line and column of a key path; it is only called
//! when an error is rendered, so the happy path parses once.

use std::collections::HashMap;

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

/// How deeply collections may nest. serde_yaml refuses more than 128 levels too, but only after
/// libyaml has scanned the whole document, and libyaml's scanner does work proportional to the
/// depth for every token: 100,000 unclosed `[` cost about a minute. [`check_depth`] refuses
/// deeper nesting in one linear pass before either parser runs.
const MAX_DEPTH: usize = 128;

/// How many nodes aliases may add to a document, all uses together. serde_yaml copies an
/// alias's node at each use and limits how many uses, not how much they copy: 20,000 uses of a
/// 20,000-key mapping are 400 million nodes from half a megabyte. Configurations reuse a few
/// small blocks.
const MAX_ALIASED_NODES: usize = 1_000_000;

/// Parses one YAML or JSON document. Errors carry line and column.
pub fn parse(text: &str) -> Result<Value, Diagnostic> {
    check_depth(text)?;
    check_aliases(text)?;
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
    convert(doc, &mut KeyPath::root())
}

/// Refuses text whose collections nest deeper than [`MAX_DEPTH`], pointing at where the limit
/// is crossed. The depth is estimated, not parsed: block collections by the stack of
/// indentations (plus compact `- - x` entries on one line), flow collections by counting `[`
/// and `{` where a value starts or inside another flow collection, skipping comments, quoted
/// scalars, block scalars (`|`, `>`) and brackets inside plain scalars. The estimate only has to
/// be close: serde_yaml applies the exact limit to what passes.
fn check_depth(text: &str) -> Result<(), Diagnostic> {
    let b = text.as_bytes();
    let blank = |c: u8| c == b' ' || c == b'\t' || c == b'\r' || c == b'\n';
    let flow_indicator = |c: u8| matches!(c, b',' | b'[' | b']' | b'{' | b'}');
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut flow_opened_at = 0usize;
    // Where the current line starts, its indentation, and `- ` entries opened on it.
    let mut line = 1usize;
    let mut line_start = 0usize;
    let mut new_line = true;
    let mut line_indent = 0usize;
    let mut compact = 0usize;
    // The next character starts a node (so `[`, `'`, `|` … are indicators there).
    let mut node_start = true;
    // The previous token was a quoted scalar (JSON's `"key":value` needs no space after `:`).
    let mut after_quoted = false;
    // The indentation of the line that began a block scalar, while inside its content.
    let mut block_scalar: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        // A new line in block context: measure its indentation.
        if new_line && flow == 0 {
            new_line = false;
            let indent = b[i..].iter().take_while(|&&c| c == b' ').count();
            let rest = &b[i + indent..];
            let empty = rest
                .first()
                .is_none_or(|&c| c == b'\n' || c == b'\r' || c == b'#');
            if let Some(parent) = block_scalar {
                if empty || indent > parent {
                    i = line_end(text, i);
                    continue;
                }
                block_scalar = None;
            }
            if !empty {
                while indents.last().is_some_and(|&top| top > indent) {
                    indents.pop();
                }
                if indents.last().is_none_or(|&top| top < indent) {
                    indents.push(indent);
                    if indents.len() > MAX_DEPTH {
                        return Err(too_deep(text, line, line_start, i + indent, None));
                    }
                }
                line_indent = indent;
                compact = 0;
            }
            node_start = true;
            i += indent;
            continue;
        }
        let c = b[i];
        let quoted = after_quoted;
        after_quoted = false;
        match c {
            b'\n' => {
                i += 1;
                line += 1;
                line_start = i;
                new_line = flow == 0;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                if b.get(i + 1) == Some(&b'#') {
                    i = line_end(text, i);
                    continue;
                }
            }
            b'#' if node_start => {
                i = line_end(text, i);
                continue;
            }
            b'\'' | b'"' if node_start => {
                let end = skip_quoted(text, i);
                line += text[i..end].matches('\n').count();
                if let Some(nl) = text[i..end].rfind('\n') {
                    line_start = i + nl + 1;
                }
                i = end;
                node_start = false;
                after_quoted = true;
                continue;
            }
            b'[' | b'{' if node_start || flow > 0 => {
                if flow == 0 {
                    flow_opened_at = i;
                }
                flow += 1;
                if indents.len() + compact + flow > MAX_DEPTH {
                    return Err(too_deep(text, line, line_start, i, Some(flow_opened_at)));
                }
                node_start = true;
            }
            b']' | b'}' if flow > 0 => {
                flow -= 1;
                node_start = false;
                after_quoted = true;
            }
            b',' if flow > 0 => node_start = true,
            b'|' | b'>' if node_start && flow == 0 => {
                block_scalar = Some(line_indent);
                i = line_end(text, i);
                continue;
            }
            b'-' | b'?' if node_start && flow == 0 && b.get(i + 1).is_none_or(|&n| blank(n)) => {
                compact += 1;
                if indents.len() + compact > MAX_DEPTH {
                    return Err(too_deep(text, line, line_start, i, None));
                }
            }
            b'!' | b'&' if node_start => {
                // A tag or an anchor: the node itself follows.
                while i + 1 < b.len() && !blank(b[i + 1]) && !(flow > 0 && flow_indicator(b[i + 1]))
                {
                    i += 1;
                }
            }
            b':' if quoted
                || b.get(i + 1)
                    .is_none_or(|&n| blank(n) || (flow > 0 && flow_indicator(n))) =>
            {
                node_start = true;
            }
            _ => node_start = false,
        }
        i += 1;
    }
    Ok(())
}

// The helpers below search with `str::find(char)`, which is memchr, so long scalars and comments
// are skipped quickly even in unoptimised builds. Every index they take and return is next to an
// ASCII byte, so slicing is always on a character boundary.

/// The index of the newline ending the line that contains `i`, or the end of the text.
fn line_end(text: &str, i: usize) -> usize {
    text[i..].find('\n').map_or(text.len(), |p| i + p)
}

/// The index after the quoted scalar starting at `i` (`''` escapes a single quote, `\` escapes
/// in double quotes), or the end of the text when it is never closed.
fn skip_quoted(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    let q = b[i];
    let mut j = i + 1;
    while let Some(p) = text[j..].find(q as char) {
        let at = j + p;
        j = at + 1;
        let escaped = if q == b'\'' {
            // `''`: skip both.
            if b.get(at + 1) == Some(&b'\'') {
                j += 1;
                true
            } else {
                false
            }
        } else {
            // Preceded by an odd number of backslashes.
            b[i + 1..at]
                .iter()
                .rev()
                .take_while(|&&c| c == b'\\')
                .count()
                % 2
                == 1
        };
        if !escaped {
            return j;
        }
    }
    text.len()
}

fn too_deep(
    text: &str,
    line: usize,
    line_start: usize,
    at: usize,
    flow_opened_at: Option<usize>,
) -> Diagnostic {
    let col = text[line_start..at].chars().count() + 1;
    let hint = match flow_opened_at {
        Some(start) => {
            let opened = text[..start].bytes().filter(|&c| c == b'\n').count() + 1;
            format!("look for `[` or `{{` that are never closed, from line {opened} on; a service definition nests a few levels")
        }
        None => "a service definition nests a few levels; check the indentation around this line"
            .to_string(),
    };
    Diagnostic::error(format!(
        "invalid YAML: collections nest more than {MAX_DEPTH} levels deep"
    ))
    .located(Some(Location { line, col }))
    .hint(hint)
}

/// Refuses a document whose aliases would copy more than [`MAX_ALIASED_NODES`] nodes, before
/// serde_yaml makes the copies. Counting takes one pass of yaml-rust2's event parser (only over
/// text that may have an alias): each anchored node's size is recorded when it ends, so an alias
/// costs a lookup however large its node.
fn check_aliases(text: &str) -> Result<(), Diagnostic> {
    if !may_have_aliases(text) {
        return Ok(());
    }
    let mut counter = AliasCounter::default();
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    // Syntax errors are serde_yaml's to report; what was counted up to one still stands.
    let _ = parser.load(&mut counter, false);
    match counter.exceeded_at {
        None => Ok(()),
        Some(at) => Err(Diagnostic::error(format!(
            "invalid YAML: aliases expand to more than {MAX_ALIASED_NODES} values"
        ))
        .located(Some(at))
        .hint("each `*alias` copies its anchor's whole value; anchor smaller blocks, or reuse them fewer times")),
    }
}

/// Whether `text` has a `*` where an alias could be: after a space, a line break or `[{,`, or
/// after the `:` of a quoted key, and followed by a name. `s3:*`, `'*'` and `bucket/*` are not,
/// so most configurations skip the counting pass.
fn may_have_aliases(text: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices('*').any(|(i, _)| {
        let before = |k: usize| i.checked_sub(k).map(|j| b[j]);
        let named = b.get(i + 1).is_some_and(|&n| {
            !matches!(
                n,
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
            )
        });
        named
            && match before(1) {
                None => true,
                Some(b' ' | b'\t' | b'\n' | b'[' | b'{' | b',') => true,
                Some(b':') => matches!(before(2), Some(b'"' | b'\'')),
                Some(_) => false,
            }
    })
}

/// Sizes of anchored nodes, and the running total aliases add. Only used by [`check_aliases`].
#[derive(Default)]
struct AliasCounter {
    /// Anchor id → how many nodes its value holds (itself included).
    sizes: HashMap<usize, usize>,
    /// The collections being read: their anchor id and nodes so far.
    open: Vec<(usize, usize)>,
    aliased: usize,
    exceeded_at: Option<Location>,
}

impl AliasCounter {
    fn node(&mut self, anchor: usize, size: usize) {
        if anchor > 0 {
            self.sizes.insert(anchor, size);
        }
        if let Some((_, n)) = self.open.last_mut() {
            *n = n.saturating_add(size);
        }
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for AliasCounter {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event as E;
        if self.exceeded_at.is_some() {
            return;
        }
        match ev {
            E::Scalar(_, _, anchor, _) => self.node(anchor, 1),
            E::SequenceStart(anchor, _) | E::MappingStart(anchor, _) => self.open.push((anchor, 1)),
            E::SequenceEnd | E::MappingEnd => {
                if let Some((anchor, n)) = self.open.pop() {
                    self.node(anchor, n);
                }
            }
            E::Alias(id) => {
                let n = self.sizes.get(&id).copied().unwrap_or(1);
                self.aliased = self.aliased.saturating_add(n);
                if self.aliased > MAX_ALIASED_NODES {
                    self.exceeded_at = Some(Location {
                        line: mark.line(),
                        col: mark.col() + 1,
                    });
                }
                self.node(0, n);
            }
            _ => {}
        }
    }
}

/// `path` is where `v` sits; it grows and shrinks as the walk goes, rather than being copied for
/// each node, so the walk stays linear however deep the document nests.
fn convert(v: serde_yaml::Value, path: &mut KeyPath) -> Result<Value, Diagnostic> {
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
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.0.push(Seg::Index(i));
                out.push(convert(item, path)?);
                path.0.pop();
            }
            Value::Array(out)
        }
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
                path.0.push(Seg::Key(key.clone()));
                out.insert(key, convert(v, path)?);
                path.0.pop();
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
    Positions::of(text).locate(path)
}

/// Where each key and list item of one YAML text is, for rendering several errors against the
/// same text with one parse.
pub struct Positions {
    root: Option<Node>,
}

impl Positions {
    pub fn of(text: &str) -> Positions {
        let mut builder = TreeBuilder::default();
        let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
        let root = match parser.load(&mut builder, false) {
            Ok(()) => builder.root,
            Err(_) => None,
        };
        Positions { root }
    }

    /// The line and column of `path`, or of its nearest ancestor that can be found.
    pub fn locate(&self, path: &KeyPath) -> Option<Location> {
        let mut node = self.root.as_ref()?;
        let mut found = node.mark;
        for seg in &path.0 {
            let next = match (&node.kind, seg) {
                (Kind::Map(entries), Seg::Key(k)) => {
                    entries.get(k).map(|(kmark, child)| (kmark, child))
                }
                (Kind::Seq(items), Seg::Index(i)) => items.get(*i).map(|c| (&c.mark, c)),
                _ => None,
            };
            match next {
                Some((mark, child)) => {
                    found = *mark;
                    node = child;
                }
                None => break,
            }
        }
        Some(found)
    }
}

#[derive(Debug)]
struct Node {
    mark: Location,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Scalar(String),
    Seq(Vec<Node>),
    /// Key → the key's position and the value; a lookup per path segment, however many keys.
    Map(HashMap<String, (Location, Node)>),
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
                    Some((key, kmark)) => {
                        // The first of duplicate keys, as a search from the top would find.
                        entries.entry(key).or_insert((kmark, node));
                    }
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
                    kind: Kind::Map(HashMap::new()),
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
    fn nesting_deeper_than_the_limit_is_refused_where_it_crosses_it() {
        let d = parse(&format!("a:\n  b: {}", "[".repeat(100_000))).unwrap_err();
        assert!(d.message.contains("nest more than 128"), "{d:?}");
        // Two block levels, then the 127th `[` crosses the limit.
        assert_eq!(
            d.location,
            Some(Location {
                line: 2,
                col: 6 + 126
            })
        );
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&format!("{}k:\n", " ".repeat(i)));
        }
        let d = parse(&block).unwrap_err();
        assert_eq!(
            d.location,
            Some(Location {
                line: 129,
                col: 129
            })
        );
        assert!(parse(&format!("a: {}\n", "- ".repeat(200))).is_err());
    }

    #[test]
    fn nesting_within_the_limit_parses() {
        let depth = 100;
        let v = parse(&format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth))).unwrap();
        assert!(v["a"].is_array());
        let json = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        assert!(parse(&json).is_ok());
    }

    #[test]
    fn brackets_in_scalars_and_comments_are_not_nesting() {
        let deep = "[{".repeat(200);
        let text = format!(
            "plain: x{deep}\n\
             single: '{deep}''{deep}'\n\
             double: \"{deep}\\\"{deep}\"\n\
             # {deep}\n\
             lit: |\n  {deep}\n\n  {deep}\n\
             fold: >-\n  {deep}\n\
             flow: ['{deep}', \"{deep}\"] # {deep}\n\
             json: {{\"k\":\"{deep}\"}}\n"
        );
        let v = parse(&text).unwrap();
        assert_eq!(v["plain"], format!("x{deep}"));
        assert_eq!(v["single"], format!("{deep}'{deep}"));
        assert_eq!(v["double"], format!("{deep}\"{deep}"));
        assert_eq!(v["lit"], format!("{deep}\n\n{deep}\n"));
        assert_eq!(v["fold"], deep);
        assert_eq!(v["flow"][1], deep);
        assert_eq!(v["json"]["k"], deep);
    }

    #[test]
    fn wide_alias_bombs_are_refused_before_they_expand() {
        let keys: Vec<String> = (0..20_000).map(|i| format!("k{i}: v")).collect();
        let mut text = format!("a: &a {{{}}}\n", keys.join(", "));
        for i in 0..100 {
            text.push_str(&format!("b{i}: *a\nc{i}: {{<<: *a}}\n"));
        }
        let d = parse(&text).unwrap_err();
        assert!(d.message.contains("aliases expand to more than"), "{d:?}");
        // Each use copies 40,001 nodes: the 25th, `b12: *a`, crosses the budget.
        assert_eq!(d.location, Some(Location { line: 26, col: 6 }));
    }

    #[test]
    fn quoted_scalars_end_where_yaml_ends_them() {
        let deep = "[".repeat(200);
        // The nesting after each scalar is seen, so the scalar ended in the right place.
        for quoted in [r#""\\""#, r#""a\"b""#, "'it''s'", "''", "\"\""] {
            let text = format!("a: {quoted}\nb: {deep}\n");
            assert!(check_depth(&text).is_err(), "{text}");
        }
        // Inside them, nothing is.
        for quoted in [format!(r#""\"{deep}""#), format!("'''{deep}'")] {
            assert!(check_depth(&format!("a: {quoted}\n")).is_ok(), "{quoted}");
        }
    }

    #[test]
    fn only_text_that_may_have_aliases_is_counted() {
        for text in [
            "Action: s3:*\n",
            "Resource: '*'\n",
            "Resource: \"arn:aws:s3:::b/*\"\n",
            "rate: cron(*/5 * * * ? 2026)\n",
        ] {
            assert!(!may_have_aliases(text), "{text}");
        }
        for text in ["a: *b\n", "[*a]", "{\"a\":*b}", "<<: *x\n", "*a"] {
            assert!(may_have_aliases(text), "{text}");
        }
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
