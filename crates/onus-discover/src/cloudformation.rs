//! CloudFormation and SAM templates, YAML or JSON, with the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`,
//! `!If`, ...) read as their long forms. Nested stacks (`AWS::CloudFormation::Stack`, `AWS::Serverless::Application`)
//! are resources whose `TemplateURL` / `Location` names the child template; a local child template is scanned as a
//! file of its own.

use crate::text::LineIndex;
use crate::{unknown, Input, Mode, Parsed, Resource};
use onus_core::yaml;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `{"!Ref": x}` -> `{"Ref": x}`, `{"!GetAtt": "a.b"}` -> `{"Fn::GetAtt": ["a", "b"]}`, `{"!Sub": x}` ->
/// `{"Fn::Sub": x}`, recursively.
pub fn long_form(v: Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.into_iter().map(long_form).collect()),
        Value::Object(m) => {
            if m.len() == 1 {
                let (k, inner) = m
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                if let Some(name) = k.strip_prefix('!') {
                    let inner = long_form(inner);
                    let (key, value) = match (name, inner) {
                        ("Ref", x) => ("Ref".to_string(), x),
                        ("Condition", x) => ("Condition".to_string(), x),
                        ("GetAtt", Value::String(s)) => {
                            let parts: Vec<Value> = match s.split_once('.') {
                                Some((a, b)) => vec![a.into(), b.into()],
                                None => vec![s.into()],
                            };
                            ("Fn::GetAtt".to_string(), Value::Array(parts))
                        }
                        (n, x) => (format!("Fn::{n}"), x),
                    };
                    let mut out = Map::new();
                    out.insert(key, value);
                    return Value::Object(out);
                }
            }
            Value::Object(m.into_iter().map(|(k, v)| (k, long_form(v))).collect())
        }
        other => other,
    }
}

/// Replace intrinsic functions by unknown markers (their value is only known at deploy time); literal values stay.
fn resolve(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(resolve).collect()),
        Value::Object(m) => {
            if m.len() == 1 {
                let k = m.keys().next().map(String::as_str).unwrap_or("");
                if k == "Ref" || k.starts_with("Fn::") {
                    return unknown(&serde_json::to_string(v).unwrap_or_default());
                }
            }
            Value::Object(m.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
        other => other.clone(),
    }
}

pub fn parse(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let is_json = text.trim_start().starts_with('{');
    let (doc, spans) = if is_json {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => (v, None),
            Err(e) => {
                out.diagnostics.push(crate::terraform::json_error(path, &e));
                return out;
            }
        }
    } else {
        let (doc, diags) = yaml::parse_one(path, text);
        out.diagnostics
            .extend(diags.into_iter().filter(|d| d.is_error()));
        match doc {
            Some(d) => (long_form(d.value), Some(d.spans)),
            None => return out,
        }
    };
    let Some(resources) = doc.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    let ix = LineIndex::new(text);
    for (logical_id, r) in resources {
        let Some(rtype) = r.get("Type").and_then(Value::as_str) else {
            continue;
        };
        let (line, col) = match &spans {
            Some(s) => {
                let p = s.key(&format!("/Resources/{}", yaml::escape(logical_id)));
                (p.line, p.col)
            }
            None => ix.pos(text.find(&format!("\"{logical_id}\"")).unwrap_or(0)),
        };
        let properties: BTreeMap<String, Value> = r
            .get("Properties")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
            .unwrap_or_default();
        let tags = cfn_tags(r.get("Properties").and_then(|p| p.get("Tags")));
        out.resources.push(Resource {
            provider: if rtype.starts_with("AWS::") || rtype.starts_with("Alexa::") {
                "aws".to_string()
            } else {
                rtype
                    .split("::")
                    .next()
                    .unwrap_or("custom")
                    .to_ascii_lowercase()
            },
            rtype: rtype.to_string(),
            address: logical_id.clone(),
            name: logical_id.clone(),
            mode: Mode::Managed,
            attributes: properties,
            tags,
            file: path.to_string(),
            line,
            col,
            input: Input::Cloudformation,
        });
    }
    out
}

/// `Tags: [{Key, Value}]` (most types) or `Tags: {k: v}` (SAM and a few others); unresolved values are skipped.
fn cfn_tags(tags: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match tags {
        Some(Value::Array(items)) => {
            for t in items {
                if let (Some(k), Some(v)) = (
                    t.get("Key").and_then(Value::as_str),
                    t.get("Value").and_then(Value::as_str),
                ) {
                    out.insert(k.to_string(), v.to_string());
                }
            }
        }
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if let Some(v) = v.as_str() {
                    out.insert(k.clone(), v.to_string());
                }
            }
        }
        _ => {}
    }
    out
}
