//! Azure Resource Manager JSON templates (what Bicep compiles to): `resources` as an array, or as an object of
//! symbolic names (language version 2.0), with child resources nested under their parents.

use crate::text::{find_json_pair, LineIndex};
use crate::{unknown, Input, Mode, Parsed, Resource};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn parse(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.diagnostics.push(crate::terraform::json_error(path, &e));
            return out;
        }
    };
    let ix = LineIndex::new(text);
    let mut cursor = 0usize;
    walk(&v, None, path, text, &ix, &mut cursor, &mut out);
    out
}

fn entries(v: &Value) -> Vec<(Option<String>, &Value)> {
    match v.get("resources") {
        Some(Value::Array(a)) => a.iter().map(|r| (None, r)).collect(),
        Some(Value::Object(m)) => m.iter().map(|(k, r)| (Some(k.clone()), r)).collect(),
        _ => Vec::new(),
    }
}

fn walk(
    v: &Value,
    parent: Option<(&str, &str)>,
    path: &str,
    text: &str,
    ix: &LineIndex,
    cursor: &mut usize,
    out: &mut Parsed,
) {
    for (symbol, r) in entries(v) {
        let Some(t) = r.get("type").and_then(Value::as_str) else {
            continue;
        };
        let raw_name = r.get("name").and_then(Value::as_str).unwrap_or_default();
        // A child's type and name are relative to its parent's when nested.
        let (rtype, name) = match parent {
            Some((pt, pn)) if !t.contains('/') => (format!("{pt}/{t}"), format!("{pn}/{raw_name}")),
            _ => (t.to_string(), raw_name.to_string()),
        };
        let at = find_json_pair(text, "type", t, *cursor).unwrap_or(*cursor);
        *cursor = at + 1;
        let (line, col) = ix.pos(at);
        let mut attributes = BTreeMap::new();
        for key in [
            "apiVersion",
            "location",
            "kind",
            "sku",
            "properties",
            "identity",
        ] {
            if let Some(x) = r.get(key) {
                let x = match x {
                    Value::String(s) if s.starts_with('[') && !s.starts_with("[[") => unknown(s),
                    other => other.clone(),
                };
                attributes.insert(key.to_string(), x);
            }
        }
        let tags: BTreeMap<String, String> = r
            .get("tags")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        v.as_str()
                            .filter(|s| !s.starts_with('['))
                            .map(|s| (k.clone(), s.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.resources.push(Resource {
            provider: "azure".to_string(),
            rtype: rtype.clone(),
            address: symbol.unwrap_or_else(|| name.clone()),
            name: name.clone(),
            mode: if r.get("existing").and_then(Value::as_bool) == Some(true) {
                Mode::Data
            } else {
                Mode::Managed
            },
            attributes,
            tags,
            file: path.to_string(),
            line,
            col,
            input: Input::Arm,
        });
        walk(r, Some((&rtype, &name)), path, text, ix, cursor, out);
    }
}
