//! YAML to JSON with positions.
//!
//! A document is parsed into a `serde_json::Value` (YAML 1.2 core schema) together with a [`Spans`] index from each
//! value's JSON pointer to the place it was written, so that every later check (schema, semantics) can point at
//! file, line and column. Duplicate keys are reported rather than silently overwritten.

use crate::diag::{Code, Diagnostic, Pos};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Where each value (and each mapping key) of a document was written, by JSON pointer (RFC 6901).
#[derive(Debug, Default, Clone)]
pub struct Spans {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl Spans {
    /// The position of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Pos {
        self.lookup(pointer, &self.values)
    }

    /// The position of the key that introduces the value at `pointer` (falls back to the value's position).
    pub fn key(&self, pointer: &str) -> Pos {
        match self.keys.get(pointer) {
            Some(p) => *p,
            None => self.value(pointer),
        }
    }

    fn lookup(&self, pointer: &str, map: &HashMap<String, Pos>) -> Pos {
        let mut p = pointer;
        loop {
            if let Some(pos) = map.get(p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Pos::START,
            }
        }
    }
}

/// Escape one JSON pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Join a pointer and a segment.
pub fn join(pointer: &str, segment: &str) -> String {
    format!("{pointer}/{}", escape(segment))
}

/// A parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub spans: Spans,
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line() as u32,
        col: span.start.col() as u32 + 1,
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        pointer: String,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        map: Map<String, Value>,
        pointer: String,
        anchor: usize,
        tag: Option<String>,
        key_pos: HashMap<String, Pos>,
        pending_key: Option<(String, Pos)>,
    },
}

/// A local tag (`!Ref`, `!Sub`, ...: handle `!`) as `!Name`; standard `!!` tags are not local.
fn local_tag(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    tag.filter(|t| t.handle == "!" && !t.suffix.is_empty())
        .map(|t| format!("!{}", t.suffix))
}

/// A node with a local tag becomes `{"!Tag": value}`, so that tags such as CloudFormation's `!Ref` survive the
/// conversion to JSON. Onus's own files use no local tags.
fn tagged(tag: Option<String>, v: Value) -> Value {
    match tag {
        Some(t) => {
            let mut m = Map::new();
            m.insert(t, v);
            Value::Object(m)
        }
        None => v,
    }
}

/// The most values that alias expansion may add to one file.
pub const MAX_ALIAS_EXPANSION: usize = 100_000;

fn node_count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(node_count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// Parse every document in `text`. Syntax errors end the parse (a YAML parser cannot recover), but duplicate keys
/// are collected and parsing goes on.
pub fn parse_all(file: &str, text: &str) -> (Vec<Document>, Vec<Diagnostic>) {
    let mut docs = Vec::new();
    let mut diags = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut spans = Spans::default();
    // Anchored values with their size in nodes. Aliases are expanded by copying, so a document of nested aliases
    // ("billion laughs") could grow without bound: the expansion budget stops it with a diagnostic.
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut expanded = 0usize;
    let mut root: Option<Value> = None;

    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                diags.push(
                    Diagnostic::new(
                        Code::YamlSyntax,
                        file,
                        Pos {
                            line: m.line() as u32,
                            col: m.col() as u32 + 1,
                        },
                        format!("invalid YAML: {}", e.info()),
                    )
                    .with_help(
                        "check indentation, unclosed quotes and brackets, and `key: value` spacing",
                    ),
                );
                return (docs, diags);
            }
        };
        let pos = pos_of(&span);
        // The pointer a new node at this point will get.
        let child_pointer = |stack: &[Frame]| -> Option<String> {
            match stack.last() {
                None => Some(String::new()),
                Some(Frame::Seq { items, pointer, .. }) => {
                    Some(format!("{pointer}/{}", items.len()))
                }
                Some(Frame::Map {
                    pointer,
                    pending_key,
                    ..
                }) => pending_key.as_ref().map(|(k, _)| join(pointer, k)),
            }
        };
        let node: Option<(Value, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                spans = Spans::default();
                anchors.clear();
                root = None;
                None
            }
            Event::DocumentEnd => {
                docs.push(Document {
                    value: root.take().unwrap_or(Value::Null),
                    spans: std::mem::take(&mut spans),
                });
                None
            }
            Event::Alias(id) => {
                let (v, size) = anchors.get(&id).cloned().unwrap_or((Value::Null, 1));
                expanded += size;
                if expanded > MAX_ALIAS_EXPANSION {
                    diags.push(
                        Diagnostic::new(
                            Code::YamlSyntax,
                            file,
                            pos,
                            format!(
                                "YAML aliases expand to more than {MAX_ALIAS_EXPANSION} values; the document is not read"
                            ),
                        )
                        .with_help("nested anchors and aliases multiply; write the values out, or use fewer levels"),
                    );
                    return (docs, diags);
                }
                Some((v, 0))
            }
            Event::Scalar(text, style, anchor, tag) => {
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "str")
                    || tag.as_ref().is_some_and(|t| t.suffix == "str");
                let v = if style == ScalarStyle::Plain && !forced_str {
                    resolve_plain(&text)
                } else {
                    Value::String(text.into_owned())
                };
                // A scalar that is a mapping key is handled below.
                if let Some(Frame::Map {
                    pending_key: None, ..
                }) = stack.last()
                {
                    let key = match &v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if let Some(Frame::Map {
                        pending_key,
                        key_pos,
                        pointer,
                        ..
                    }) = stack.last_mut()
                    {
                        if let Some(first) = key_pos.get(&key) {
                            diags.push(
                                Diagnostic::new(
                                    Code::DuplicateKey,
                                    file,
                                    pos,
                                    format!("duplicate key `{key}`"),
                                )
                                .with_help(format!(
                                    "`{key}` is first defined at line {}, column {}; keep one",
                                    first.line, first.col
                                )),
                            );
                        } else {
                            key_pos.insert(key.clone(), pos);
                            spans.keys.insert(join(pointer, &key), pos);
                        }
                        *pending_key = Some((key, pos));
                    }
                    continue;
                }
                if let Some(p) = child_pointer(&stack) {
                    spans.values.insert(p, pos);
                }
                Some((tagged(local_tag(tag.as_deref()), v), anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                let pointer = child_pointer(&stack).unwrap_or_default();
                spans.values.insert(pointer.clone(), pos);
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    pointer,
                    anchor,
                    tag: local_tag(tag.as_deref()),
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                let pointer = child_pointer(&stack).unwrap_or_default();
                spans.values.insert(pointer.clone(), pos);
                stack.push(Frame::Map {
                    map: Map::new(),
                    pointer,
                    anchor,
                    tag: local_tag(tag.as_deref()),
                    key_pos: HashMap::new(),
                    pending_key: None,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items, anchor, tag, ..
                }) => Some((tagged(tag, Value::Array(items)), anchor)),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    map, anchor, tag, ..
                }) => Some((tagged(tag, Value::Object(map)), anchor)),
                _ => None,
            },
        };
        if let Some((value, anchor)) = node {
            if anchor != 0 {
                anchors.insert(anchor, (value.clone(), node_count(&value)));
            }
            match stack.last_mut() {
                None => root = Some(value),
                Some(Frame::Seq { items, .. }) => items.push(value),
                Some(Frame::Map {
                    map, pending_key, ..
                }) => {
                    if let Some((k, _)) = pending_key.take() {
                        // On a duplicate key the first value is kept; the duplicate was reported.
                        map.entry(k).or_insert(value);
                    } else {
                        // A complex (non-scalar) mapping key: keep it as its JSON text.
                        *pending_key = Some((value.to_string(), pos));
                    }
                }
            }
        }
    }
    (docs, diags)
}

/// Parse a file that must hold exactly one YAML document (an empty file is an empty document).
pub fn parse_one(file: &str, text: &str) -> (Option<Document>, Vec<Diagnostic>) {
    let (mut docs, mut diags) = parse_all(file, text);
    if diags.iter().any(|d| d.code == Code::YamlSyntax) {
        return (None, diags);
    }
    if docs.len() > 1 {
        let second = &docs[1];
        diags.push(
            Diagnostic::new(
                Code::YamlSyntax,
                file,
                second.spans.value(""),
                format!("expected one YAML document, found {}", docs.len()),
            )
            .with_help("remove the extra `---` separators, or split the file"),
        );
        return (None, diags);
    }
    // An empty file is one empty document, so that it is checked (and rejected) like any other.
    let doc = docs.pop().unwrap_or_else(|| Document {
        value: Value::Null,
        spans: Spans::default(),
    });
    (Some(doc), diags)
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Number(i.into());
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Number(i.into());
        }
    }
    let looks_float = body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().all(|b| {
            b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'+' || b == b'-'
        });
    if looks_float {
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_follow_the_core_schema() {
        let (doc, d) = parse_one(
            "t.yaml",
            "a: 1\nb: 1.5\nc: true\nd: ~\ne: 2026-11-28\nf: '1'\ng: hello world\nh: -3\n",
        );
        assert!(d.is_empty());
        assert_eq!(
            doc.unwrap().value,
            json!({"a":1,"b":1.5,"c":true,"d":null,"e":"2026-11-28","f":"1","g":"hello world","h":-3})
        );
    }

    #[test]
    fn records_positions_of_values_and_keys() {
        let (doc, _) = parse_one("t.yaml", "top:\n  list:\n    - x\n    - {k: v}\n");
        let doc = doc.unwrap();
        assert_eq!(doc.spans.value("/top/list/1/k"), Pos { line: 4, col: 11 });
        assert_eq!(doc.spans.key("/top/list"), Pos { line: 2, col: 3 });
        assert_eq!(doc.spans.value("/top/list/0"), Pos { line: 3, col: 7 });
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(doc.spans.value("/top/list/0/nope"), Pos { line: 3, col: 7 });
    }

    #[test]
    fn duplicate_keys_are_all_reported() {
        let (doc, d) = parse_one("t.yaml", "a: 1\nb: 2\na: 3\nm:\n  x: 1\n  x: 2\n");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].line, d[0].col), (3, 1));
        assert_eq!((d[1].line, d[1].col), (6, 3));
        assert_eq!(doc.unwrap().value["a"], json!(1));
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let (doc, d) = parse_one("t.yaml", "a: [1, 2\nb: 3\n");
        assert!(doc.is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::YamlSyntax);
        assert!(d[0].line >= 1);
    }

    #[test]
    fn alias_bombs_stop_with_a_diagnostic() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let (_, diags) = parse_all("bomb.yaml", &text);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("aliases expand"), "{}", diags[0]);
    }

    #[test]
    fn anchors_and_aliases_are_expanded() {
        let (doc, d) = parse_one("t.yaml", "a: &x {k: 1}\nb: *x\n");
        assert!(d.is_empty());
        assert_eq!(doc.unwrap().value["b"], json!({"k": 1}));
    }

    #[test]
    fn pointer_segments_are_escaped() {
        let (doc, _) = parse_one("t.yaml", "\"a/b\":\n  c: 1\n");
        assert_eq!(doc.unwrap().spans.value("/a~1b/c"), Pos { line: 2, col: 6 });
    }
}
