//! Terraform HCL (`.tf`, `.tf.json`), read one module directory at a time.
//!
//! What is evaluated: literals, `var.*` (defaults, then `*.tfvars` / `*.auto.tfvars`, then module inputs), `local.*`,
//! string templates over those, literal `count` and `for_each` (one resource per instance), and local modules
//! (`source = "./..."`) with their inputs. Anything else (functions, references to other resources, data sources)
//! is kept as `{"$unknown": "<expression>"}`. Remote modules are never fetched: they are reported as unresolved.

use crate::text::LineIndex;
use crate::{terraform_provider, unknown, Input, Mode, Parsed, Resource, UnresolvedModule};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};
use hcl_edit::template::Element;
use hcl_edit::Span;
use onus_core::diag::{Code, Diagnostic, Pos};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Module nesting deeper than this is reported rather than followed (a cycle of local modules, most likely).
const MAX_DEPTH: usize = 16;

/// One root module may expand (count, for_each, module instances) to at most this many resources; past it the rest
/// is reported, not expanded, so that a hostile `count` cannot exhaust memory.
pub const MAX_INSTANCES: usize = 200_000;

/// One directory's files: `(path, text)`. Paths use `/`.
pub type Files = [(String, String)];

/// A parsed file of a module directory.
struct ParsedFile<'a> {
    path: &'a str,
    text: &'a str,
    body: Body,
}

/// Evaluation scope: variables and locals of one module instance.
#[derive(Default, Clone)]
struct Scope {
    vars: Map<String, Value>,
    locals: Map<String, Value>,
    each: Option<(Value, Value)>,
    count_index: Option<u64>,
}

/// Resolve a local module source (`./x`, `../x`) against the directory of the calling module.
pub fn resolve_source(dir: &str, source: &str) -> Option<String> {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    let mut parts: Vec<&str> = if dir.is_empty() || dir == "." {
        Vec::new()
    } else {
        dir.split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect()
    };
    let absolute = dir.starts_with('/');
    for seg in source.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    Some(if absolute {
        format!("/{joined}")
    } else {
        joined
    })
}

/// The directory part of a path (`a/b/main.tf` -> `a/b`).
pub fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Parse a root module: its files (`.tf`, `.tf.json`, `.tfvars`), with `modules` giving the files of every other
/// directory by path so that local module calls can be followed.
pub fn parse_dir(files: &Files, modules: &[(String, Vec<(String, String)>)]) -> Parsed {
    let lookup: HashMap<&str, &[(String, String)]> = modules
        .iter()
        .map(|(d, f)| (d.as_str(), f.as_slice()))
        .collect();
    let mut out = Parsed::default();
    let dir = files.first().map(|(p, _)| dir_of(p)).unwrap_or("");
    let tfvars = read_tfvars(files, &mut out);
    eval_module(files, dir, "", tfvars, &lookup, 0, &mut out);
    out
}

/// Variables from `terraform.tfvars`, `*.auto.tfvars` (and their `.json` forms), in Terraform's order.
fn read_tfvars(files: &Files, out: &mut Parsed) -> Map<String, Value> {
    let mut vars = Map::new();
    let mut ordered: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| {
            let n = p.rsplit('/').next().unwrap_or(p);
            n == "terraform.tfvars"
                || n == "terraform.tfvars.json"
                || n.ends_with(".auto.tfvars")
                || n.ends_with(".auto.tfvars.json")
        })
        .collect();
    // terraform.tfvars first, then *.auto.tfvars in lexical order (later ones win).
    ordered.sort_by_key(|(p, _)| {
        (
            !p.ends_with("terraform.tfvars") && !p.ends_with("terraform.tfvars.json"),
            p.clone(),
        )
    });
    for (path, text) in ordered {
        if path.ends_with(".json") {
            match serde_json::from_str::<Map<String, Value>>(text) {
                Ok(m) => vars.extend(m),
                Err(e) => out.diagnostics.push(json_error(path, &e)),
            }
            continue;
        }
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => {
                let scope = Scope::default();
                for s in body.iter() {
                    if let Structure::Attribute(a) = s {
                        vars.insert(a.key.as_str().to_string(), eval(&a.value, &scope, text));
                    }
                }
            }
            Err(e) => out.diagnostics.push(hcl_error(path, &e)),
        }
    }
    vars
}

fn hcl_error(path: &str, e: &hcl_edit::parser::Error) -> Diagnostic {
    let loc = e.location();
    Diagnostic::new(
        Code::HclSyntax,
        path,
        Pos {
            line: loc.line() as u32,
            col: loc.column() as u32,
        },
        format!("invalid HCL: {}", e.message()),
    )
    .with_help(
        "the file does not parse as Terraform HCL; `terraform validate` shows the same problem",
    )
}

pub(crate) fn json_error(path: &str, e: &serde_json::Error) -> Diagnostic {
    Diagnostic::json_syntax(path, e)
}

fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.as_str(),
    }
}

#[allow(clippy::too_many_arguments)]
fn eval_module(
    files: &Files,
    dir: &str,
    prefix: &str,
    inputs: Map<String, Value>,
    modules: &HashMap<&str, &[(String, String)]>,
    depth: usize,
    out: &mut Parsed,
) {
    let mut parsed: Vec<ParsedFile> = Vec::new();
    for (path, text) in files {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
            continue;
        }
        if name.ends_with(".tf.json") {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => json_config(&v, path, text, prefix, out),
                Err(e) => out.diagnostics.push(json_error(path, &e)),
            }
            continue;
        }
        if !name.ends_with(".tf") {
            continue;
        }
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => parsed.push(ParsedFile { path, text, body }),
            Err(e) => out.diagnostics.push(hcl_error(path, &e)),
        }
    }

    // Variables: declared defaults, overridden by inputs.
    let mut scope = Scope::default();
    for f in &parsed {
        for b in f.body.get_blocks("variable") {
            let Some(name) = b.labels.first().map(label) else {
                continue;
            };
            let v = b
                .body
                .get_attribute("default")
                .map(|a| eval(&a.value, &Scope::default(), f.text))
                .unwrap_or_else(|| unknown(&format!("var.{name}")));
            scope.vars.insert(name.to_string(), v);
        }
    }
    scope.vars.extend(inputs);
    // Locals may refer to each other: evaluate a few rounds until nothing changes.
    let locals: Vec<(&ParsedFile, &hcl_edit::structure::Attribute)> = parsed
        .iter()
        .flat_map(|f| {
            f.body.get_blocks("locals").flat_map(move |b| {
                b.body
                    .iter()
                    .filter_map(move |s| s.as_attribute().map(|a| (f, a)))
            })
        })
        .collect();
    for _ in 0..4 {
        let mut changed = false;
        for (f, a) in &locals {
            let v = eval(&a.value, &scope, f.text);
            if scope.locals.get(a.key.as_str()) != Some(&v) {
                scope.locals.insert(a.key.as_str().to_string(), v);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    for f in &parsed {
        let ix = LineIndex::new(f.text);
        for s in f.body.iter() {
            let Structure::Block(b) = s else { continue };
            match b.ident.as_str() {
                "resource" | "data" => resources(b, f, &ix, prefix, &scope, out),
                "module" => {
                    let Some(name) = b.labels.first().map(label) else {
                        continue;
                    };
                    let source = b
                        .body
                        .get_attribute("source")
                        .map(|a| eval(&a.value, &scope, f.text))
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    let (line, col) = ix.pos(b.span().map(|r| r.start).unwrap_or(0));
                    let address = format!("{prefix}module.{name}");
                    let target = resolve_source(dir, &source).filter(|_| depth < MAX_DEPTH);
                    match target.and_then(|t| modules.get(t.as_str()).map(|fs| (t, *fs))) {
                        Some((target, child_files)) => {
                            let mut inputs = Map::new();
                            for st in b.body.iter() {
                                if let Structure::Attribute(a) = st {
                                    let k = a.key.as_str();
                                    if !matches!(
                                        k,
                                        "source"
                                            | "version"
                                            | "count"
                                            | "for_each"
                                            | "providers"
                                            | "depends_on"
                                    ) {
                                        inputs
                                            .insert(k.to_string(), eval(&a.value, &scope, f.text));
                                    }
                                }
                            }
                            for key in instances(b, &scope, f.text) {
                                let child_prefix = match &key {
                                    None => format!("{address}."),
                                    Some(k) => format!("{address}{}.", index_suffix(k)),
                                };
                                eval_module(
                                    child_files,
                                    &target,
                                    &child_prefix,
                                    inputs.clone(),
                                    modules,
                                    depth + 1,
                                    out,
                                );
                            }
                        }
                        None => out.unresolved_modules.push(UnresolvedModule {
                            address,
                            source,
                            file: f.path.to_string(),
                            line,
                            col,
                        }),
                    }
                }
                _ => {}
            }
        }
    }
}

/// The instance keys of a block: `[None]` without count/for_each, numbers for a literal count, keys for a literal
/// for_each, and `[None]` when the expansion cannot be known (one resource stands for all of them).
fn instances(b: &Block, scope: &Scope, text: &str) -> Vec<Option<Value>> {
    if let Some(a) = b.body.get_attribute("count") {
        return match eval(&a.value, scope, text) {
            Value::Number(n) => (0..n.as_u64().unwrap_or(0).min(10_000))
                .map(|i| Some(Value::from(i)))
                .collect(),
            Value::Bool(true) => vec![Some(Value::from(0))],
            Value::Bool(false) => Vec::new(),
            _ => vec![None],
        };
    }
    if let Some(a) = b.body.get_attribute("for_each") {
        return match eval(&a.value, scope, text) {
            Value::Object(m) if !crate::is_unknown(&Value::Object(m.clone())) => {
                m.keys().map(|k| Some(Value::String(k.clone()))).collect()
            }
            Value::Array(items) if items.iter().all(|v| v.is_string()) => {
                items.into_iter().map(Some).collect()
            }
            _ => vec![None],
        };
    }
    vec![None]
}

fn index_suffix(k: &Value) -> String {
    match k {
        Value::Number(n) => format!("[{n}]"),
        Value::String(s) => format!("[{}]", serde_json::to_string(s).unwrap_or_default()),
        other => format!("[{other}]"),
    }
}

fn resources(
    b: &Block,
    f: &ParsedFile,
    ix: &LineIndex,
    prefix: &str,
    scope: &Scope,
    out: &mut Parsed,
) {
    let (Some(rtype), Some(name)) = (b.labels.first().map(label), b.labels.get(1).map(label))
    else {
        return;
    };
    let mode = if b.ident.as_str() == "data" {
        Mode::Data
    } else {
        Mode::Managed
    };
    let (line, col) = ix.pos(b.span().map(|r| r.start).unwrap_or(0));
    let base = match mode {
        Mode::Managed => format!("{prefix}{rtype}.{name}"),
        Mode::Data => format!("{prefix}data.{rtype}.{name}"),
    };
    for key in instances(b, scope, f.text) {
        if out.resources.len() >= MAX_INSTANCES {
            let already = out
                .diagnostics
                .iter()
                .any(|d| d.message.starts_with("expansion stopped"));
            if !already {
                out.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        f.path,
                        Pos { line, col },
                        format!("expansion stopped at {MAX_INSTANCES} resources (count, for_each and module instances)"),
                    )
                    .with_help("a configuration this large is better scanned from `terraform show -json` of a plan"),
                );
            }
            return;
        }
        let mut inner = scope.clone();
        let address = match &key {
            None => base.clone(),
            Some(k) => {
                if k.is_number() {
                    inner.count_index = k.as_u64();
                } else {
                    let value = b
                        .body
                        .get_attribute("for_each")
                        .map(|a| eval(&a.value, scope, f.text))
                        .and_then(|v| v.get(k.as_str().unwrap_or_default()).cloned())
                        .unwrap_or_else(|| k.clone());
                    inner.each = Some((k.clone(), value));
                }
                format!("{base}{}", index_suffix(k))
            }
        };
        let attributes = body_attributes(&b.body, &inner, f.text);
        let tags = tags_of(&attributes);
        out.resources.push(Resource {
            provider: terraform_provider(rtype),
            rtype: rtype.to_string(),
            address,
            name: name.to_string(),
            mode,
            attributes,
            tags,
            file: f.path.to_string(),
            line,
            col,
            input: Input::TerraformHcl,
        });
    }
}

/// A block body as attributes; nested blocks become lists of objects under their name.
fn body_attributes(body: &Body, scope: &Scope, text: &str) -> BTreeMap<String, Value> {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let k = a.key.as_str();
                if matches!(
                    k,
                    "count" | "for_each" | "depends_on" | "provider" | "lifecycle"
                ) {
                    continue;
                }
                out.insert(k.to_string(), eval(&a.value, scope, text));
            }
            Structure::Block(b) => {
                if matches!(
                    b.ident.as_str(),
                    "lifecycle" | "provisioner" | "connection" | "dynamic"
                ) {
                    continue;
                }
                let v = Value::Object(body_attributes(&b.body, scope, text).into_iter().collect());
                match out
                    .entry(b.ident.as_str().to_string())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(a) => a.push(v),
                    other => *other = Value::Array(vec![v]),
                }
            }
        }
    }
    out
}

/// `tags` (AWS, Azure) or `labels` (Google) as strings, when they are known.
pub(crate) fn tags_of(attributes: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for key in ["tags", "labels", "tags_all"] {
        if let Some(Value::Object(m)) = attributes.get(key) {
            for (k, v) in m {
                if let Some(s) = v.as_str() {
                    tags.entry(k.clone()).or_insert_with(|| s.to_string());
                } else if v.is_number() || v.is_boolean() {
                    tags.entry(k.clone()).or_insert_with(|| v.to_string());
                }
            }
        }
    }
    tags
}

fn source_of(e: &Expression, text: &str) -> String {
    e.span()
        .and_then(|r| text.get(r))
        .map(str::to_string)
        .unwrap_or_else(|| "expression".to_string())
}

/// Evaluate what can be known statically; everything else is `{"$unknown": "<source>"}`.
fn eval(e: &Expression, scope: &Scope, text: &str) -> Value {
    match e {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => {
            let n = n.value();
            if let Some(i) = n.as_u64() {
                Value::from(i)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Expression::String(s) => Value::String(s.value().to_string()),
        Expression::Array(a) => Value::Array(a.iter().map(|x| eval(x, scope, text)).collect()),
        Expression::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(x) => match eval(x, scope, text) {
                        Value::String(s) => s,
                        _ => return unknown(&source_of(e, text)),
                    },
                };
                m.insert(key, eval(v.expr(), scope, text));
            }
            Value::Object(m)
        }
        Expression::StringTemplate(t) => {
            let mut s = String::new();
            for el in t.iter() {
                match el {
                    Element::Literal(l) => s.push_str(l.value()),
                    Element::Interpolation(i) => match eval(&i.expr, scope, text) {
                        Value::String(v) => s.push_str(&v),
                        v @ (Value::Number(_) | Value::Bool(_)) => s.push_str(&v.to_string()),
                        _ => return unknown(&source_of(e, text)),
                    },
                    Element::Directive(_) => return unknown(&source_of(e, text)),
                }
            }
            Value::String(s)
        }
        Expression::Parenthesis(p) => eval(p.inner(), scope, text),
        Expression::Traversal(t) => {
            traverse(t, scope, text).unwrap_or_else(|| unknown(&source_of(e, text)))
        }
        Expression::FuncCall(f) => {
            call(f, scope, text).unwrap_or_else(|| unknown(&source_of(e, text)))
        }
        Expression::Conditional(c) => match eval(&c.cond_expr, scope, text) {
            Value::Bool(true) => eval(&c.true_expr, scope, text),
            Value::Bool(false) => eval(&c.false_expr, scope, text),
            _ => unknown(&source_of(e, text)),
        },
        _ => unknown(&source_of(e, text)),
    }
}

/// The pure functions whose result does not depend on anything outside the configuration.
fn call(f: &hcl_edit::expr::FuncCall, scope: &Scope, text: &str) -> Option<Value> {
    let args: Vec<Value> = f.args.iter().map(|a| eval(a, scope, text)).collect();
    if args.iter().any(crate::is_unknown) {
        return None;
    }
    let name = f.name.name.as_str();
    if !f.name.namespace.is_empty() {
        return None;
    }
    let str_arg = |i: usize| args.get(i).and_then(Value::as_str);
    Some(match (name, args.as_slice()) {
        ("toset", [Value::Array(a)]) => {
            let mut seen: Vec<Value> = Vec::new();
            for x in a {
                if !seen.contains(x) {
                    seen.push(x.clone());
                }
            }
            seen.sort_by_key(|v| v.to_string());
            Value::Array(seen)
        }
        ("tolist", [Value::Array(a)]) => Value::Array(a.clone()),
        ("tomap", [Value::Object(m)]) => Value::Object(m.clone()),
        ("merge", _) if args.iter().all(Value::is_object) => {
            let mut m = Map::new();
            for a in &args {
                if let Value::Object(o) = a {
                    m.extend(o.clone());
                }
            }
            Value::Object(m)
        }
        ("concat", _) if args.iter().all(Value::is_array) => Value::Array(
            args.iter()
                .flat_map(|a| a.as_array().cloned().unwrap_or_default())
                .collect(),
        ),
        ("length", [Value::Array(a)]) => Value::from(a.len()),
        ("length", [Value::Object(m)]) => Value::from(m.len()),
        ("length", [Value::String(s)]) => Value::from(s.chars().count()),
        ("lower", [Value::String(s)]) => Value::String(s.to_lowercase()),
        ("upper", [Value::String(s)]) => Value::String(s.to_uppercase()),
        ("join", [Value::String(sep), Value::Array(a)]) if a.iter().all(Value::is_string) => {
            Value::String(
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(sep),
            )
        }
        ("format", _) if str_arg(0).is_some() => {
            // Only %s and %d, the common cases; anything else stays unknown.
            let fmt = str_arg(0)?;
            let mut out = String::new();
            let mut rest = args[1..].iter();
            let mut chars = fmt.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s') | Some('d') => match rest.next()? {
                        Value::String(s) => out.push_str(s),
                        v @ (Value::Number(_) | Value::Bool(_)) => out.push_str(&v.to_string()),
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            Value::String(out)
        }
        _ => return None,
    })
}

/// `var.x`, `local.x`, `each.key`, `each.value`, `count.index`, and attribute or index access into those.
fn traverse(t: &hcl_edit::expr::Traversal, scope: &Scope, text: &str) -> Option<Value> {
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let mut ops = t.operators.iter().map(|o| o.value());
    let first = match ops.next()? {
        TraversalOperator::GetAttr(a) => a.as_str().to_string(),
        _ => return None,
    };
    let mut v: Value = match (root.as_str(), first.as_str()) {
        ("var", name) => scope.vars.get(name)?.clone(),
        ("local", name) => scope.locals.get(name)?.clone(),
        ("each", "key") => scope.each.as_ref()?.0.clone(),
        ("each", "value") => scope.each.as_ref()?.1.clone(),
        ("count", "index") => Value::from(scope.count_index?),
        _ => return None,
    };
    for op in ops {
        v = match op {
            TraversalOperator::GetAttr(a) => v.get(a.as_str())?.clone(),
            TraversalOperator::Index(i) => match eval(i, scope, text) {
                Value::String(k) => v.get(&k)?.clone(),
                Value::Number(n) => v.get(n.as_u64()? as usize)?.clone(),
                _ => return None,
            },
            TraversalOperator::LegacyIndex(i) => v.get(*i.value() as usize)?.clone(),
            _ => return None,
        };
    }
    if crate::is_unknown(&v) && !v.is_object() {
        return None;
    }
    Some(v)
}

/// Terraform's JSON syntax (`.tf.json`): `resource` and `data` objects of type -> name -> body. Values are kept as
/// written (`${...}` templates are not evaluated).
fn json_config(v: &Value, path: &str, text: &str, prefix: &str, out: &mut Parsed) {
    let ix = LineIndex::new(text);
    for (kind, mode) in [("resource", Mode::Managed), ("data", Mode::Data)] {
        let Some(types) = v.get(kind).and_then(Value::as_object) else {
            continue;
        };
        for (rtype, names) in types {
            let Some(names) = names.as_object() else {
                continue;
            };
            for (name, body) in names {
                let attributes: BTreeMap<String, Value> = match body {
                    Value::Object(m) => m.clone().into_iter().collect(),
                    Value::Array(a) => a
                        .first()
                        .and_then(Value::as_object)
                        .map(|m| m.clone().into_iter().collect())
                        .unwrap_or_default(),
                    _ => BTreeMap::new(),
                };
                let at = text.find(&format!("\"{name}\"")).unwrap_or(0);
                let (line, col) = ix.pos(at);
                let tags = tags_of(&attributes);
                out.resources.push(Resource {
                    provider: terraform_provider(rtype),
                    rtype: rtype.clone(),
                    address: match mode {
                        Mode::Managed => format!("{prefix}{rtype}.{name}"),
                        Mode::Data => format!("{prefix}data.{rtype}.{name}"),
                    },
                    name: name.clone(),
                    mode,
                    attributes,
                    tags,
                    file: path.to_string(),
                    line,
                    col,
                    input: Input::TerraformHcl,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources_resolve_against_the_caller() {
        assert_eq!(
            resolve_source("infra/env", "./modules/db").as_deref(),
            Some("infra/env/modules/db")
        );
        assert_eq!(
            resolve_source("infra/env", "../modules/db").as_deref(),
            Some("infra/modules/db")
        );
        assert_eq!(resolve_source("", "./m").as_deref(), Some("m"));
        assert_eq!(resolve_source("a", "terraform-aws-modules/vpc/aws"), None);
        assert_eq!(resolve_source("a", "git::https://example.com/m.git"), None);
    }
}
