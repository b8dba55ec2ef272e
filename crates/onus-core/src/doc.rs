//! Loading one YAML file into a typed value: parse with positions, check the structure against the type's JSON
//! Schema (collecting every problem, each at its line and column), then deserialize.

use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{
    ControlSet, IncidentSet, ManifestFile, ModelSet, RuleFile, ScannerMap, ServiceEntry,
    TemplateSet,
};
use crate::yaml::{self, Spans};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::OnceLock;

/// The kinds of file onus reads, each with its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Controls,
    Models,
    Service,
    Manifest,
    Templates,
    Rule,
    ScannerMap,
    Incidents,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Controls,
        Kind::Models,
        Kind::Service,
        Kind::Manifest,
        Kind::Templates,
        Kind::Rule,
        Kind::ScannerMap,
        Kind::Incidents,
    ];

    /// The file name of the checked-in schema under `schemas/`.
    pub fn schema_file(self) -> &'static str {
        match self {
            Kind::Controls => "controls.schema.json",
            Kind::Models => "service-models.schema.json",
            Kind::Service => "catalog-entry.schema.json",
            Kind::Manifest => "workload-manifest.schema.json",
            Kind::Templates => "templates.schema.json",
            Kind::Rule => "rule.schema.json",
            Kind::ScannerMap => "third-party.schema.json",
            Kind::Incidents => "incidents.schema.json",
        }
    }

    /// The JSON Schema generated from the Rust type.
    pub fn schema(self) -> Value {
        fn gen<T: JsonSchema>() -> Value {
            serde_json::to_value(schemars::schema_for!(T)).expect("a schema is always JSON")
        }
        match self {
            Kind::Controls => gen::<ControlSet>(),
            Kind::Models => gen::<ModelSet>(),
            Kind::Service => gen::<ServiceEntry>(),
            Kind::Manifest => gen::<ManifestFile>(),
            Kind::Templates => gen::<TemplateSet>(),
            Kind::Rule => gen::<RuleFile>(),
            Kind::ScannerMap => gen::<ScannerMap>(),
            Kind::Incidents => gen::<IncidentSet>(),
        }
    }

    fn compiled(self) -> &'static (Value, jsonschema::Validator) {
        static CELLS: [OnceLock<(Value, jsonschema::Validator)>; 8] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let i = Kind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        CELLS[i].get_or_init(|| {
            let schema = self.schema();
            let validator = jsonschema::validator_for(&schema)
                .expect("generated schemas are valid JSON Schema");
            (schema, validator)
        })
    }
}

/// A typed document and where its values were written.
#[derive(Debug, Clone)]
pub struct Doc<T> {
    pub file: String,
    pub value: T,
    pub spans: Spans,
}

/// Load one file of the given kind. Returns the value when it is structurally valid, and every diagnostic found.
pub fn load<T: DeserializeOwned>(
    kind: Kind,
    file: &str,
    text: &str,
) -> (Option<Doc<T>>, Vec<Diagnostic>) {
    let (doc, mut diags) = yaml::parse_one(file, text);
    let Some(mut doc) = doc else {
        return (None, diags);
    };
    // Top-level `x-*` keys are extension fields (a home for YAML anchors), as in OpenAPI and Compose files.
    if let Value::Object(map) = &mut doc.value {
        map.retain(|k, _| !k.starts_with("x-"));
    }
    let (schema, validator) = kind.compiled();
    let before = diags.len();
    let mut unknown: Vec<(String, Vec<String>)> = Vec::new();
    for err in validator.iter_errors(&doc.value) {
        let pointer = err.instance_path().as_str().to_string();
        if let ValidationErrorKind::AdditionalProperties { unexpected } = err.kind() {
            unknown.push((pointer.clone(), unexpected.clone()));
        }
        diags.extend(schema_diagnostic(
            schema,
            file,
            &doc.spans,
            &pointer,
            &doc.value,
            err.kind(),
            &err.to_string(),
        ));
    }
    diags[before..].sort_by_key(|d| (d.line, d.col));
    let structural = diags.len() > before;
    // Unknown fields are reported; drop them so that the rest of the file can still be checked for meaning.
    for (pointer, keys) in unknown {
        if let Some(Value::Object(map)) = doc.value.pointer_mut(&pointer) {
            for k in keys {
                map.remove(&k);
            }
        }
    }
    if structural && !validator.is_valid(&doc.value) {
        return (None, diags);
    }
    match serde_json::from_value::<T>(doc.value) {
        Ok(value) => (
            Some(Doc {
                file: file.to_string(),
                value,
                spans: doc.spans,
            }),
            diags,
        ),
        Err(e) => {
            diags.push(Diagnostic::new(
                Code::InvalidValue,
                file,
                doc.spans.value(""),
                e.to_string(),
            ));
            (None, diags)
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_name(t: &str) -> &str {
    match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        "null" => "nothing",
        other => other,
    }
}

fn schema_diagnostic(
    schema: &Value,
    file: &str,
    spans: &Spans,
    pointer: &str,
    instance: &Value,
    kind: &ValidationErrorKind,
    display: &str,
) -> Vec<Diagnostic> {
    let here = instance.pointer(pointer);
    let field = pointer
        .rsplit('/')
        .next()
        .unwrap_or("")
        .replace("~1", "/")
        .replace("~0", "~");
    let at = if pointer.is_empty() {
        "the document".to_string()
    } else {
        format!("`{}`", pointer_display(pointer))
    };
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(schema, pointer);
            unexpected
                .iter()
                .map(|key| {
                    let d = Diagnostic::new(
                        Code::UnknownField,
                        file,
                        spans.key(&yaml::join(pointer, key)),
                        format!("unknown field `{key}` in {at}"),
                    );
                    match suggest(key, allowed.iter().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None if !allowed.is_empty() => {
                            d.with_help(format!("expected one of: {}", allowed.join(", ")))
                        }
                        None => d,
                    }
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or("?");
            vec![Diagnostic::new(
                Code::MissingField,
                file,
                spans.value(pointer),
                format!("missing field `{name}` in {at}"),
            )
            .with_help(format!("add `{name}:`"))]
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(&t.to_string()).to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| type_name(&t.to_string()).to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let found = here.map(json_type).unwrap_or("nothing");
            let what = if pointer.is_empty() {
                "the document".to_string()
            } else {
                format!("`{field}`")
            };
            let found = if found == "null" { "nothing" } else { found };
            vec![Diagnostic::new(
                Code::InvalidType,
                file,
                spans.value(pointer),
                format!("{what} must be {expected}, found {found}"),
            )]
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let got = here
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_default();
            let d = Diagnostic::new(
                Code::InvalidValue,
                file,
                spans.value(pointer),
                format!("`{got}` is not a valid `{field}`"),
            );
            vec![match suggest(&got, opts.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!(
                    "did you mean `{s}`? expected one of: {}",
                    opts.join(", ")
                )),
                None => d.with_help(format!("expected one of: {}", opts.join(", "))),
            }]
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            let found = here.map(json_type).unwrap_or("nothing");
            vec![Diagnostic::new(
                Code::InvalidType,
                file,
                spans.value(pointer),
                format!("`{field}` has the wrong form (found {found})"),
            )]
        }
        _ => vec![Diagnostic::new(
            Code::InvalidValue,
            file,
            spans.value(pointer),
            format!("{at}: {display}"),
        )],
    }
}

fn pointer_display(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The property names allowed at `pointer`, found by walking the schema along the instance path.
fn allowed_properties(root: &Value, pointer: &str) -> Vec<String> {
    let mut node = deref(root, root);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let next = if let Some(p) = node.get("properties").and_then(|p| p.get(&seg)) {
            Some(p)
        } else if let Some(items) = node.get("items") {
            Some(items)
        } else {
            node.get("additionalProperties").filter(|v| v.is_object())
        };
        match next {
            Some(n) => node = deref(root, n),
            None => return Vec::new(),
        }
    }
    node.get("properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Follow `$ref`s and the non-null branch of `anyOf` (how schemars writes `Option<T>`).
fn deref<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(n) => node = n,
                None => return node,
            }
        } else if let Some(branch) = node.get("anyOf").and_then(Value::as_array).and_then(|a| {
            a.iter()
                .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        }) {
            node = branch;
        } else {
            return node;
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ManifestFile;

    fn codes(text: &str) -> Vec<(Code, u32, u32)> {
        let (_, d) = load::<ManifestFile>(Kind::Manifest, "m.yaml", text);
        d.iter().map(|d| (d.code, d.line, d.col)).collect()
    }

    #[test]
    fn collects_every_structural_problem_with_positions() {
        let text = "workloads:\n  - name: a\n    ownr: {team: x}\n    classification: secret\n    tier: one\n    components: []\n";
        let got = codes(text);
        assert!(got.contains(&(Code::UnknownField, 3, 5)), "{got:?}");
        assert!(got.contains(&(Code::MissingField, 2, 5)), "{got:?}");
        assert!(got.contains(&(Code::InvalidValue, 4, 21)), "{got:?}");
        assert!(got.contains(&(Code::InvalidType, 5, 11)), "{got:?}");
    }

    #[test]
    fn unknown_fields_suggest_the_right_name() {
        let (_, d) = load::<ManifestFile>(
            Kind::Manifest,
            "m.yaml",
            "workloads:\n  - name: a\n    ownr: {team: x}\n    owner: {team: x}\n    classification: public\n    tier: 1\n    components: []\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].help.as_deref(), Some("did you mean `owner`?"));
    }

    #[test]
    fn valid_document_deserializes() {
        let (doc, d) = load::<ManifestFile>(
            Kind::Manifest,
            "m.yaml",
            "workloads:\n  - name: a\n    owner: {team: x}\n    classification: pii\n    tier: 2\n    components:\n      - {name: db, service: aws:rds}\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            doc.unwrap().value.workloads[0].components[0].service,
            "aws:rds"
        );
    }
}
