//! Custom policies in Rego, evaluated in-process with regorus, in the Conftest convention: a package's `deny`,
//! `violation` and `warn` rules yield messages for the resource given as `input`. A policy ties itself to a control
//! with a `metadata` rule: `metadata := {"control": "data.backup", "severity": "high", "title": "..."}`.
//!
//! The input is the normalized resource: `type`, `address`, `name`, `provider`, `attributes`, `tags`, `file`,
//! `line`, and `workload` (name, classification, tier) when the resource belongs to one.
//!
//! Each package is compiled for regorus's register-based virtual machine (RVM), about four times faster per
//! evaluation than its tree-walking interpreter. A package the RVM compiler does not support (`with`, `print`) is
//! evaluated by the interpreter, and so is any evaluation the machine stops on, so that a runaway policy is reported
//! the same way. Tests check that both give the same results.

use crate::{CheckResult, Outcome};
use onus_core::diag::{Code, Diagnostic, Pos};
use onus_discover::Resource;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::{Program, RegoVM};
use serde_json::{json, Value};
use std::sync::Arc;

/// Evaluation of one policy on one resource may take at most this long.
pub const TIME_LIMIT_MS: u64 = 200;

/// The policies of one set of `.rego` files, ready to evaluate.
pub struct Policies {
    engine: regorus::Engine,
    /// (package path `data.x.y`, control, severity, title)
    packages: Vec<(String, String, String, String)>,
    /// Per package, the resource types its `metadata.types` limits it to.
    types: std::collections::HashMap<String, Vec<String>>,
    /// The Conftest rules the packages define: (package, rule, outcome).
    rules: Vec<(String, &'static str, Outcome)>,
    /// Packages compiled for regorus's virtual machine, one program each.
    programs: Vec<Arc<Program>>,
    /// Per rule, its (program, entry point) when its package compiled; the interpreter evaluates the others.
    compiled: Vec<Option<(usize, usize)>>,
}

/// One loaded policy package, for listings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyInfo {
    pub package: String,
    pub control: String,
    pub severity: String,
    pub title: String,
}

/// A regorus error, taken apart: the policy file and position it points at, and its message.
///
/// regorus writes `\n--> FILE:LINE:COL\n  |\nLINE | source\n  |   ^\nerror: MESSAGE`, and a few errors as
/// `FILE:LINE:COL: MESSAGE` or a bare message.
#[derive(Debug, PartialEq)]
struct RegoError {
    file: Option<String>,
    pos: Pos,
    message: String,
}

fn rego_error(text: &str) -> RegoError {
    let located = |s: &str| -> Option<(String, Pos, String)> {
        let mut parts = s.splitn(4, ':');
        let file = parts.next()?.trim().to_string();
        let line = parts.next()?.trim().parse().ok()?;
        let col = parts.next()?.trim().parse().ok()?;
        Some((
            file,
            Pos { line, col },
            parts.next().unwrap_or("").trim().to_string(),
        ))
    };
    let arrow = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .and_then(located);
    let message = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .map(str::to_string);
    match (arrow, message) {
        (Some((file, pos, _)), message) => RegoError {
            file: Some(file),
            pos,
            message: message.unwrap_or_else(|| first_line(text)),
        },
        (None, message) => match text.lines().find_map(located) {
            Some((file, pos, rest)) if !rest.is_empty() => RegoError {
                file: Some(file),
                pos,
                message: rest,
            },
            _ => RegoError {
                file: None,
                pos: Pos { line: 1, col: 1 },
                message: message.unwrap_or_else(|| first_line(text)),
            },
        },
    }
}

/// The first line of a text that says something.
fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

/// A policy that does not compile, at the place regorus points to.
fn does_not_compile(path: &str, text: &str) -> Diagnostic {
    let e = rego_error(text);
    Diagnostic::new(
        Code::InvalidValue,
        e.file.as_deref().unwrap_or(path),
        e.pos,
        format!("Rego policy does not compile: {}", e.message),
    )
    .with_help("check the policy with `opa check` or fix the line shown")
}

impl Policies {
    /// Compile the files: `(path, text)`. Errors name the file and line. With `namespaces`, only the packages
    /// named so, or below one of them (`org` takes `org.aws.s3`), are evaluated; helper packages load either way.
    pub fn load(
        files: &[(String, String)],
        known_control: &dyn Fn(&str) -> bool,
        namespaces: &[String],
    ) -> Result<Policies, Vec<Diagnostic>> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: std::time::Duration::from_millis(TIME_LIMIT_MS),
            check_interval: std::num::NonZeroU32::new(64).expect("non-zero"),
        });
        let mut diags = Vec::new();
        let mut packages: Vec<(String, String)> = Vec::new();
        let mut annotations: std::collections::HashMap<String, Value> = Default::default();
        for (path, text) in files {
            // Accept both Rego v0 and `import rego.v1` policies.
            match engine.add_policy(path.clone(), text.clone()) {
                Ok(pkg) => {
                    match annotation(path, text) {
                        Ok(Some(a)) => {
                            annotations.insert(pkg.clone(), a);
                        }
                        Ok(None) => {}
                        Err(d) => diags.extend(d),
                    }
                    packages.push((pkg, path.clone()))
                }
                Err(e) => diags.push(does_not_compile(path, &e.to_string())),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let mut out = Vec::new();
        let mut rules = Vec::new();
        let mut types = std::collections::HashMap::new();
        packages.sort();
        packages.dedup_by(|a, b| a.0 == b.0);
        // The checks that span the modules (unsafe variables, conflicting rules) run on the first evaluation,
        // whatever it asks for.
        engine.set_input(regorus::Value::new_object());
        if let Err(e) = engine.eval_rule("data.__onus_probe".to_string()) {
            let text = e.to_string();
            if !absent(&text) {
                let first = files.first().map(|f| f.0.as_str()).unwrap_or("");
                return Err(vec![does_not_compile(first, &text)]);
            }
        }
        for (pkg, path) in packages {
            // The Conftest rules the package defines; one without any is a library of helpers for the others.
            let defined: Vec<&'static str> = ["deny", "violation", "warn"]
                .into_iter()
                .filter(|rule| {
                    !matches!(engine.eval_rule(format!("{pkg}.{rule}")), Err(e) if absent(&e.to_string()))
                })
                .collect();
            if defined.is_empty() || !chosen(&pkg, namespaces) {
                continue;
            }
            let meta = engine.eval_rule(format!("{pkg}.metadata"));
            if let Err(e) = &meta {
                let text = e.to_string();
                if !absent(&text) {
                    diags.push(does_not_compile(&path, &text));
                    continue;
                }
            }
            let mut meta = meta
                .ok()
                .and_then(|v| v.to_json_str().ok())
                .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .unwrap_or(Value::Null);
            // OPA's `# METADATA` annotation fills in what the `metadata` rule does not say: `title`, and under
            // `custom`, `control`, `severity` and `types`.
            if let Some(a) = annotations.get(&pkg) {
                if !meta.is_object() {
                    meta = json!({});
                }
                let custom = a.get("custom").cloned().unwrap_or(Value::Null);
                for (key, value) in [
                    ("title", a.get("title")),
                    ("control", custom.get("control")),
                    ("severity", custom.get("severity")),
                    ("types", custom.get("types")),
                ] {
                    if let (Some(v), Some(m)) = (value, meta.as_object_mut()) {
                        m.entry(key).or_insert_with(|| v.clone());
                    }
                }
            }
            let control = meta
                .get("control")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if control.is_empty() || !known_control(&control) {
                diags.push(
                    Diagnostic::new(
                        Code::UnknownControl,
                        &path,
                        Pos { line: 1, col: 1 },
                        format!("policy `{pkg}` names no known control in its `metadata`"),
                    )
                    .with_help("add `metadata := {\"control\": \"data.backup\", \"severity\": \"high\"}` to the package, or `control:` under `custom:` in its `# METADATA` annotation"),
                );
                continue;
            }
            let severity = meta
                .get("severity")
                .and_then(Value::as_str)
                .unwrap_or("medium")
                .to_string();
            let title = meta
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or(&pkg)
                .to_string();
            if let Some(ts) = meta.get("types").and_then(Value::as_array) {
                types.insert(
                    pkg.clone(),
                    ts.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                );
            }
            rules.extend(defined.into_iter().map(|r| {
                let outcome = if r == "warn" {
                    Outcome::Warn
                } else {
                    Outcome::Fail
                };
                (pkg.clone(), r, outcome)
            }));
            out.push((pkg, control, severity, title));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let mut policies = Policies {
            engine,
            packages: out,
            types,
            rules,
            programs: Vec::new(),
            compiled: Vec::new(),
        };
        policies.compile();
        Ok(policies)
    }

    pub fn info(&self) -> Vec<PolicyInfo> {
        self.packages
            .iter()
            .map(|(p, c, s, t)| PolicyInfo {
                package: p.trim_start_matches("data.").to_string(),
                control: c.clone(),
                severity: s.clone(),
                title: t.clone(),
            })
            .collect()
    }

    /// Evaluate every policy on every resource; `workload_of` gives a resource's workload context (or null).
    ///
    /// Only the rules a package defines are evaluated, and only on the resource types its `metadata.types` names
    /// (every resource when it names none). Resources are split between threads, each with its own engine clone.
    /// A policy that runs past the per-resource limit is reported with the resource it stopped on and skipped
    /// from then on.
    pub fn run(
        &mut self,
        resources: &[Resource],
        workload_of: &(dyn Fn(&Resource) -> Value + Sync),
    ) -> (Vec<CheckResult>, Vec<Diagnostic>) {
        use rayon::prelude::*;
        if self.rules.is_empty() || resources.is_empty() {
            return (Vec::new(), Vec::new());
        }
        // The rules each resource type meets, worked out once per type.
        let mut by_type: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        for r in resources {
            if !by_type.contains_key(r.rtype.as_str()) {
                let ks = (0..self.rules.len())
                    .filter(|&k| self.applies(&self.rules[k].0, &r.rtype))
                    .collect();
                by_type.insert(&r.rtype, ks);
            }
        }
        // What every result of a rule carries: its check id and control.
        let labels: Vec<(String, String)> = self
            .rules
            .iter()
            .map(|(pkg, _, _)| {
                let control = self.packages.iter().find(|p| &p.0 == pkg);
                (
                    format!("rego:{}", pkg.trim_start_matches("data.")),
                    control.map(|p| p.1.clone()).unwrap_or_default(),
                )
            })
            .collect();
        let stopped: Vec<std::sync::atomic::AtomicBool> =
            self.rules.iter().map(|_| Default::default()).collect();
        let diags = std::sync::Mutex::new(Vec::new());
        set_limit(&mut self.engine, TIME_LIMIT_MS);
        let this = &*self;
        // Chunks of resources in order, each thread with its own machines (and an interpreter when one is needed),
        // so that the results come out in resource order without sorting.
        let chunks: Vec<Vec<CheckResult>> = resources
            .par_chunks(256)
            .map_init(
                || Evaluator {
                    vms: this.programs.iter().map(new_vm).collect(),
                    engine: None,
                    given: Vec::new(),
                    engine_given: false,
                },
                |ev, chunk| {
                    let mut out = Vec::new();
                    for r in chunk {
                        let wanted = &by_type[r.rtype.as_str()];
                        if wanted.is_empty() {
                            continue;
                        }
                        let input = regorus::Value::from(input_of(r, workload_of(r)));
                        ev.begin();
                        for &k in wanted {
                            if stopped[k].load(std::sync::atomic::Ordering::Relaxed) {
                                continue;
                            }
                            match ev.eval(this, k, &input) {
                                Ok(v) => {
                                    let (id, control) = &labels[k];
                                    let outcome = this.rules[k].2;
                                    out.extend(messages(&v).into_iter().map(|m| {
                                        CheckResult::on(r, id.clone(), control.clone(), outcome, m)
                                    }));
                                }
                                Err(e) => {
                                    if !stopped[k].swap(true, std::sync::atomic::Ordering::Relaxed)
                                    {
                                        diags
                                            .lock()
                                            .unwrap_or_else(|e| e.into_inner())
                                            .push(stopped_on(&this.rules[k].0, r, &e));
                                    }
                                }
                            }
                        }
                    }
                    out
                },
            )
            .collect();
        (
            chunks.into_iter().flatten().collect(),
            diags.into_inner().unwrap_or_else(|e| e.into_inner()),
        )
    }

    /// Whether the package's `metadata.types` admits this resource type (no list admits every type).
    fn applies(&self, pkg: &str, rtype: &str) -> bool {
        self.types
            .get(pkg)
            .is_none_or(|ts| ts.iter().any(|t| t == rtype))
    }

    /// Compile each package's rules for regorus's virtual machine. A package the compiler does not support stays
    /// with the interpreter, which gives the same results, only slower.
    ///
    /// `ONUS_REGO_ENGINE=interpreter` keeps every package with the interpreter.
    fn compile(&mut self) {
        self.compiled = vec![None; self.rules.len()];
        if std::env::var("ONUS_REGO_ENGINE").is_ok_and(|v| v == "interpreter") {
            return;
        }
        for (pkg, _, _, _) in &self.packages {
            let ks: Vec<usize> = (0..self.rules.len())
                .filter(|&k| &self.rules[k].0 == pkg)
                .collect();
            if ks.is_empty() {
                continue;
            }
            let entries: Vec<String> = ks
                .iter()
                .map(|&k| format!("{}.{}", self.rules[k].0, self.rules[k].1))
                .collect();
            let entry: regorus::Rc<str> = entries[0].as_str().into();
            let Ok(policy) = self.engine.compile_with_entrypoint(&entry) else {
                continue;
            };
            let names: Vec<&str> = entries.iter().map(String::as_str).collect();
            let Ok(program) = Compiler::compile_from_policy(&policy, &names) else {
                continue;
            };
            let vm = new_vm(&program);
            let order = vm.get_entry_point_names();
            let at: Vec<Option<usize>> = entries
                .iter()
                .map(|e| order.iter().position(|n| n == e))
                .collect();
            if at.iter().any(Option::is_none) {
                continue;
            }
            let p = self.programs.len();
            self.programs.push(program);
            for (j, &k) in ks.iter().enumerate() {
                self.compiled[k] = at[j].map(|e| (p, e));
            }
        }
    }
}

/// The YAML of an OPA `# METADATA` comment block just above the `package` line, if there is one.
fn annotation(path: &str, text: &str) -> Result<Option<Value>, Vec<Diagnostic>> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(package) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("package "))
    else {
        return Ok(None);
    };
    let mut start = package;
    while start > 0 && lines[start - 1].trim_start().starts_with('#') {
        start -= 1;
    }
    let Some(at) = (start..package).find(|&i| lines[i].trim() == "# METADATA") else {
        return Ok(None);
    };
    let yaml: Vec<&str> = lines[at + 1..package]
        .iter()
        .map(|l| {
            let t = l.trim_start().trim_start_matches('#');
            t.strip_prefix(' ').unwrap_or(t)
        })
        .collect();
    let (doc, diags) = onus_core::yaml::parse_one(path, &yaml.join("\n"));
    if diags.iter().any(Diagnostic::is_error) {
        // Positions in the block, moved to the file's lines and past the `# `.
        return Err(diags
            .into_iter()
            .map(|mut d| {
                d.line += at as u32 + 1;
                d.col += 2;
                d.message = format!("in the METADATA annotation: {}", d.message);
                d
            })
            .collect());
    }
    Ok(doc.map(|d| d.value).filter(Value::is_object))
}

/// Whether package `data.x.y` is in one of the namespaces (all are when none is given).
fn chosen(pkg: &str, namespaces: &[String]) -> bool {
    let name = pkg.trim_start_matches("data.");
    namespaces.is_empty()
        || namespaces.iter().any(|ns| {
            let ns = ns.trim_start_matches("data.");
            name == ns
                || name
                    .strip_prefix(ns)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Whether regorus's error says the rule does not exist (rather than that something is wrong).
fn absent(error: &str) -> bool {
    error.contains("not a valid rule path")
}

/// One thread's evaluators: a virtual machine per compiled package, and the interpreter, cloned when first needed.
struct Evaluator {
    vms: Vec<RegoVM>,
    engine: Option<regorus::Engine>,
    /// Which machines (and whether the interpreter) have the current input.
    given: Vec<bool>,
    engine_given: bool,
}

impl Evaluator {
    /// A new resource: no evaluator has its input yet.
    fn begin(&mut self) {
        self.given.clear();
        self.given.resize(self.vms.len(), false);
        self.engine_given = false;
    }

    /// Rule `k` on the current input: by its package's machine when it compiled, else (or when the machine stops)
    /// by the interpreter, which also reports a runaway policy.
    fn eval(
        &mut self,
        p: &Policies,
        k: usize,
        input: &regorus::Value,
    ) -> Result<regorus::Value, String> {
        if let Some((m, e)) = p.compiled[k] {
            if !self.given[m] {
                self.vms[m].set_input(input.clone());
                self.given[m] = true;
            }
            if let Ok(v) = self.vms[m].execute_entry_point_by_index(e) {
                return Ok(v);
            }
        }
        let engine = self.engine.get_or_insert_with(|| p.engine.clone());
        if !self.engine_given {
            engine.set_input(input.clone());
            self.engine_given = true;
        }
        let (pkg, rule, _) = &p.rules[k];
        engine
            .eval_rule(format!("{pkg}.{rule}"))
            .map_err(|e| e.to_string())
    }
}

/// A virtual machine for one program, stopped by the same time limit as the interpreter.
fn new_vm(program: &Arc<Program>) -> RegoVM {
    let mut vm = RegoVM::new();
    vm.load_program(program.clone());
    vm.set_max_instructions(usize::MAX);
    vm.set_execution_timer_config(Some(regorus::utils::limits::ExecutionTimerConfig {
        limit: std::time::Duration::from_millis(TIME_LIMIT_MS),
        check_interval: std::num::NonZeroU32::new(64).expect("non-zero"),
    }));
    vm
}

fn set_limit(engine: &mut regorus::Engine, ms: u64) {
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: std::time::Duration::from_millis(ms),
        check_interval: std::num::NonZeroU32::new(64).expect("non-zero"),
    });
}

/// The input document of one resource: the normalized resource plus its workload context.
fn input_of(r: &Resource, workload: Value) -> Value {
    json!({
        "type": r.rtype,
        "address": r.address,
        "name": r.name,
        "provider": r.provider,
        "mode": r.mode,
        "attributes": r.attributes,
        "tags": r.tags,
        "file": r.file,
        "line": r.line,
        "input_kind": r.input.as_str(),
        "workload": workload,
    })
}

/// The messages of a deny/violation/warn result, in order: strings, or objects with `msg` (Conftest's structured
/// form); nothing for an empty or undefined result.
fn messages(v: &regorus::Value) -> Vec<String> {
    let one = |m: &regorus::Value| match m {
        regorus::Value::String(s) => s.to_string(),
        regorus::Value::Object(o) => match o.get(&regorus::Value::from("msg")) {
            Some(regorus::Value::String(s)) => s.to_string(),
            _ => m.to_json_str().unwrap_or_default(),
        },
        other => other.to_json_str().unwrap_or_default(),
    };
    match v {
        regorus::Value::Set(s) => s.iter_sorted().map(one).collect(),
        regorus::Value::Array(a) => a.iter().map(one).collect(),
        regorus::Value::String(s) => vec![s.to_string()],
        _ => Vec::new(),
    }
}

/// A policy that failed on a resource: at the policy's line when regorus names it, else at the resource.
fn stopped_on(pkg: &str, r: &Resource, text: &str) -> Diagnostic {
    let e = rego_error(text);
    let timed_out = e.message.contains("time limit");
    let at = format!("{}:{}", r.file, r.line);
    let (file, pos) = match &e.file {
        Some(f) => (f.as_str(), e.pos),
        None => (
            r.file.as_str(),
            Pos {
                line: r.line.max(1),
                col: r.col.max(1),
            },
        ),
    };
    let pkg = pkg.trim_start_matches("data.");
    Diagnostic::new(
        Code::InvalidValue,
        file,
        pos,
        format!("policy `{pkg}` stopped on `{}` ({at}): {}", r.address, e.message),
    )
    .with_help(if timed_out {
        format!(
            "evaluation is limited to {TIME_LIMIT_MS} ms per policy and resource; the policy was skipped from there on"
        )
    } else {
        "the policy fails on this input; it was skipped from there on. Fix the line shown".to_string()
    })
}

#[cfg(test)]
mod tests {
    //! The virtual machine must agree with the interpreter: every policy below is evaluated both ways over the same
    //! generated resources, and the results compared.
    use super::*;
    use onus_discover::{Input, Mode};
    use std::collections::BTreeMap;

    /// Policies in the idioms Conftest users write: v0 and v1 syntax, helper rules and functions over the input,
    /// iteration, comprehensions, `every`, `else`, defaults, structured messages, and the common builtins.
    const IDIOMS: &[(&str, &str)] = &[
        (
            "v0.rego",
            r#"package t.v0
metadata := {"control": "c", "title": "v0"}
kinds := {"aws_s3_bucket", "aws_db_instance"}
deny[msg] { kinds[input.type]; not input.tags.app; msg := sprintf("%s has no app tag", [input.address]) }
warn[msg] { input.workload.tier == 1; startswith(input.type, "aws_"); msg := sprintf("%s is tier %d", [input.address, input.workload.tier]) }
"#,
        ),
        (
            "v1.rego",
            r#"package t.v1
import rego.v1
metadata := {"control": "c"}
public if input.attributes.acl in {"public-read", "public-read-write"}
public if {
    some rule in input.attributes.ingress
    "0.0.0.0/0" in rule.cidr_blocks
}
deny contains msg if {
    public
    msg := sprintf("%s is public", [input.address])
}
deny contains {"msg": msg, "details": {"n": n}} if {
    n := count([p | some p in input.attributes.ingress; p.from_port <= 22; p.to_port >= 22])
    n > 0
    msg := concat(" ", [input.name, "opens ssh", format_int(n, 10), "times"])
}
violation contains msg if {
    retention := object.get(input.attributes, "backup_retention_period", 1)
    is_number(retention)
    retention < 7
    msg := sprintf("%s keeps %v day(s) of backups", [input.address, retention])
}
"#,
        ),
        (
            "functions.rego",
            r#"package t.functions
import rego.v1
metadata := {"control": "c"}
default level := "low"
level := "high" if input.workload.classification == "restricted"
else := "medium" if input.workload.classification == "confidential"
short(s) := substring(s, 0, 3)
has_tag(t) if input.tags[t]
deny contains msg if {
    level != "low"
    not has_tag("owner")
    msg := sprintf("%s (%s, %s) has no owner", [input.address, level, short(input.type)])
}
warn contains msg if {
    every k, v in input.tags { lower(k) == k; v != "" }
    count(input.tags) > 1
    msg := sprintf("%s tags: %s", [input.address, concat(",", sort([k | some k, _ in input.tags]))])
}
warn contains msg if {
    contains(lower(input.address), "legacy")
    endswith(input.file, ".tf")
    msg := trim_space(sprintf(" %s is legacy ", [upper(input.name)]))
}
"#,
        ),
        (
            "arrays.rego",
            r#"package t.arrays
import rego.v1
metadata := {"control": "c"}
deny := [msg |
    some name, v in input.attributes
    is_string(v)
    startswith(v, "arn:aws:iam::")
    msg := sprintf("%s.%s names a role", [input.address, name])
]
"#,
        ),
    ];

    fn policies(files: &[(&str, &str)]) -> Policies {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        Policies::load(&files, &|_| true, &[]).unwrap_or_else(|d| panic!("{d:?}"))
    }

    /// Deterministic, varied resources (a small linear congruential generator, no randomness between runs).
    fn resources(n: usize) -> Vec<Resource> {
        let mut seed: u64 = 0x5eed;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let types = [
            "aws_s3_bucket",
            "aws_db_instance",
            "aws_security_group",
            "google_storage_bucket",
        ];
        (0..n)
            .map(|i| {
                let rtype = types[next(4) as usize];
                let name = if next(5) == 0 { format!("Legacy{i}") } else { format!("r{i}") };
                let mut attributes = BTreeMap::new();
                if next(2) == 0 {
                    let acl = ["private", "public-read", "public-read-write"][next(3) as usize];
                    attributes.insert("acl".into(), json!(acl));
                }
                if next(2) == 0 {
                    let rules: Vec<Value> = (0..next(3))
                        .map(|_| {
                            let from = [22, 80, 443, 0][next(4) as usize];
                            json!({"from_port": from, "to_port": from + next(100),
                                   "cidr_blocks": [(["10.0.0.0/8", "0.0.0.0/0"][next(2) as usize])]})
                        })
                        .collect();
                    attributes.insert("ingress".into(), json!(rules));
                }
                match next(4) {
                    0 => {}
                    1 => {
                        attributes.insert("backup_retention_period".into(), json!(next(20)));
                    }
                    2 => {
                        attributes.insert("backup_retention_period".into(), json!({"$unknown": "var.days"}));
                    }
                    _ => {
                        attributes.insert("role_arn".into(), json!(format!("arn:aws:iam::{i}:role/x")));
                    }
                }
                let mut tags = BTreeMap::new();
                for (k, v) in [("app", "shop"), ("owner", "team"), ("Env", "prod"), ("note", "")] {
                    if next(2) == 0 {
                        tags.insert(k.to_string(), v.to_string());
                    }
                }
                Resource {
                    provider: rtype.split('_').next().unwrap_or("").to_string(),
                    rtype: rtype.to_string(),
                    address: format!("{rtype}.{name}"),
                    name,
                    mode: Mode::Managed,
                    attributes,
                    tags,
                    file: if next(3) == 0 { "main.tf.json".into() } else { "main.tf".into() },
                    line: i as u32 + 1,
                    col: 1,
                    input: Input::TerraformHcl,
                }
            })
            .collect()
    }

    fn workload(r: &Resource) -> Value {
        match r.line % 4 {
            0 => Value::Null,
            n => {
                json!({"name": "w", "tier": n, "classification": (["", "internal", "confidential", "restricted"][n as usize])})
            }
        }
    }

    fn both_ways(files: &[(&str, &str)], n: usize) -> (Vec<CheckResult>, Vec<CheckResult>) {
        let rs = resources(n);
        let mut fast = policies(files);
        assert!(
            fast.compiled.iter().all(Option::is_some),
            "every rule compiles for the virtual machine: {:?}",
            fast.rules
        );
        let (by_vm, d1) = fast.run(&rs, &workload);
        let mut slow = policies(files);
        slow.compiled = vec![None; slow.rules.len()];
        let (by_interpreter, d2) = slow.run(&rs, &workload);
        assert!(d1.is_empty() && d2.is_empty(), "{d1:?} {d2:?}");
        (by_vm, by_interpreter)
    }

    fn key(r: &CheckResult) -> String {
        format!("{} {} {:?} {}", r.resource, r.rule, r.outcome, r.message)
    }

    #[test]
    fn the_virtual_machine_agrees_with_the_interpreter() {
        let (vm, interp) = both_ways(IDIOMS, 600);
        let (vm, interp): (Vec<String>, Vec<String>) = (
            vm.iter().map(key).collect(),
            interp.iter().map(key).collect(),
        );
        // Every package finds something, so the comparison covers every rule.
        for pkg in ["t.v0", "t.v1", "t.functions", "t.arrays"] {
            assert!(
                vm.iter().any(|k| k.contains(&format!("rego:{pkg} "))),
                "{pkg} found nothing"
            );
        }
        for needle in [
            "opens ssh",
            "is public",
            "day(s) of backups",
            "has no owner",
            "tags: app",
            "LEGACY",
            "names a role",
            " Warn ",
        ] {
            assert!(
                vm.iter().any(|k| k.contains(needle)),
                "no result with {needle:?}"
            );
        }
        assert_eq!(vm, interp);
    }

    #[test]
    fn a_package_the_machine_cannot_compile_is_interpreted() {
        // `with` is not supported by the virtual machine's compiler: that package stays with the interpreter, the
        // others still compile, and both give their results.
        let files = [
            IDIOMS[0],
            (
                "with.rego",
                r#"package t.with
metadata := {"control": "c"}
named(x) { input.name == x }
deny[msg] { named("r1") with input.name as input.name; msg := sprintf("%s found with `with`", [input.address]) }
"#,
            ),
        ];
        let mut p = policies(&files);
        let by_pkg = |p: &Policies, pkg: &str| -> Vec<bool> {
            (0..p.rules.len())
                .filter(|&k| p.rules[k].0 == pkg)
                .map(|k| p.compiled[k].is_some())
                .collect()
        };
        assert_eq!(by_pkg(&p, "data.t.with"), vec![false]);
        assert_eq!(by_pkg(&p, "data.t.v0"), vec![true, true]);
        let (found, diags) = p.run(&resources(40), &workload);
        assert!(diags.is_empty(), "{diags:?}");
        let with: Vec<&CheckResult> = found.iter().filter(|r| r.rule == "rego:t.with").collect();
        assert_eq!(with.len(), 1, "{with:?}");
        assert!(with[0].message.ends_with(".r1 found with `with`"));
        assert!(found.iter().any(|r| r.rule == "rego:t.v0"));
    }

    #[test]
    fn regorus_errors_are_taken_apart() {
        let e = rego_error("\n--> p.rego:3:35\n  |\n3 | deny[msg] { x }\n  |   ^\nerror: use of undefined variable `x` is unsafe");
        assert_eq!(e.file.as_deref(), Some("p.rego"));
        assert_eq!(e.pos, Pos { line: 3, col: 35 });
        assert_eq!(e.message, "use of undefined variable `x` is unsafe");
        let e = rego_error("dir/p.rego:7:2: expecting }");
        assert_eq!(
            (e.file.as_deref(), e.pos.line, e.pos.col),
            (Some("dir/p.rego"), 7, 2)
        );
        assert_eq!(e.message, "expecting }");
        let e = rego_error("execution exceeded time limit (elapsed=1ns, limit=1ns)");
        assert_eq!((e.file, e.pos.line), (None, 1));
        assert!(e.message.starts_with("execution exceeded time limit"));
    }

    fn load_err(text: &str) -> Vec<Diagnostic> {
        match Policies::load(&[("pol/p.rego".into(), text.into())], &|_| true, &[]) {
            Ok(_) => panic!("loads"),
            Err(d) => d,
        }
    }

    #[test]
    fn a_policy_that_does_not_compile_is_reported_at_its_line() {
        let d = load_err(
            "package p\nmetadata := {\"control\": \"c\"}\ndeny[msg] {\n  input.type ==\n}\n",
        );
        assert_eq!((d[0].file.as_str(), d[0].line), ("pol/p.rego", 3), "{d:?}");
        assert!(
            d[0].message.contains("does not compile: expecting }"),
            "{d:?}"
        );
        // An unsafe variable surfaces only when the modules are checked together: still a compile error, not a
        // complaint about the metadata.
        let d = load_err("package p\nmetadata := {\"control\": \"c\"}\ndeny[msg] { msg := sprintf(\"%s\", [x]) }\n");
        assert_eq!((d[0].line, d[0].col), (3, 35), "{d:?}");
        assert!(
            d[0].message
                .ends_with("use of undefined variable `x` is unsafe"),
            "{d:?}"
        );
    }

    #[test]
    fn a_policy_that_fails_on_a_resource_is_reported_at_the_policy_line() {
        let mut p = policies(&[(
            "pol/p.rego",
            "package p\nmetadata := {\"control\": \"c\"}\ndeny[msg] {\n  input.type == \"aws_s3_bucket\"\n  msg := foo.bar(input.name)\n}\n",
        )]);
        let (found, diags) = p.run(&resources(50), &workload);
        assert!(found.is_empty());
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!((d.file.as_str(), d.line), ("pol/p.rego", 5), "{d:?}");
        assert!(
            d.message.contains("policy `p` stopped on `aws_s3_bucket."),
            "{d:?}"
        );
        assert!(
            d.message.ends_with("could not find function foo.bar"),
            "{d:?}"
        );
    }

    #[test]
    fn a_library_of_helpers_needs_no_metadata() {
        // Policy libraries keep shared functions in packages of their own, with no deny/warn/violation rules and
        // no control: those load, and the policies that import them work.
        let mut p = policies(&[
            (
                "lib/aws.rego",
                r#"package lib.aws
import rego.v1
is_bucket(r) if r.type == "aws_s3_bucket"
public_acls := {"public-read", "public-read-write"}
"#,
            ),
            (
                "buckets.rego",
                r#"package buckets
import rego.v1
import data.lib.aws
metadata := {"control": "c"}
deny contains msg if {
    aws.is_bucket(input)
    input.attributes.acl in aws.public_acls
    msg := sprintf("%s is public", [input.address])
}
"#,
            ),
        ]);
        assert_eq!(p.info().len(), 1, "{:?}", p.info());
        let (found, diags) = p.run(&resources(200), &workload);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(!found.is_empty());
        assert!(found
            .iter()
            .all(|r| r.rule == "rego:buckets" && r.resource_type == "aws_s3_bucket"));
    }

    #[test]
    fn namespaces_choose_the_packages_as_conftest_does() {
        let files: Vec<(String, String)> = IDIOMS
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .chain([(
                "main.rego".to_string(),
                // Outside the chosen namespaces, a package's missing control is not an error.
                "package main\ndeny[msg] { input.type == \"x\"; msg := \"x\" }\n".to_string(),
            )])
            .collect();
        let names = |ns: &[&str]| -> Result<Vec<String>, usize> {
            let ns: Vec<String> = ns.iter().map(|s| s.to_string()).collect();
            Policies::load(&files, &|c| c == "c", &ns)
                .map(|p| p.info().into_iter().map(|i| i.package).collect())
                .map_err(|d| d.len())
        };
        assert_eq!(names(&["t.v0"]), Ok(vec!["t.v0".to_string()]));
        assert_eq!(
            names(&["t.v1", "data.t.arrays"]),
            Ok(vec!["t.arrays".to_string(), "t.v1".to_string()])
        );
        assert_eq!(names(&["t"]).map(|v| v.len()), Ok(4));
        // `t.v` is not a namespace of `t.v0`: names match whole components.
        assert_eq!(names(&["t.v"]), Ok(vec![]));
        // Every package (the default) includes `main`, which names no control.
        assert_eq!(names(&[]), Err(1));
        assert_eq!(names(&["main"]), Err(1));
    }

    #[test]
    fn an_opa_metadata_annotation_ties_a_package_to_its_control() {
        let annotated = r#"# Buckets are private.
# METADATA
# title: Buckets are private
# custom:
#   control: data.public-exposure
#   severity: high
#   types: [aws_s3_bucket]
package annotated
import rego.v1
deny contains msg if {
    input.attributes.acl == "public-read"
    msg := sprintf("%s is public", [input.address])
}
"#;
        let files = [("a.rego".to_string(), annotated.to_string())];
        let mut p = Policies::load(&files, &|c| c == "data.public-exposure", &[])
            .unwrap_or_else(|d| panic!("{d:?}"));
        let info = p.info();
        assert_eq!(info.len(), 1);
        assert_eq!(
            (
                info[0].control.as_str(),
                info[0].severity.as_str(),
                info[0].title.as_str()
            ),
            ("data.public-exposure", "high", "Buckets are private")
        );
        let (found, _) = p.run(&resources(300), &workload);
        assert!(!found.is_empty());
        assert!(found
            .iter()
            .all(|r| r.resource_type == "aws_s3_bucket" && r.control == "data.public-exposure"));
        // Broken YAML in the annotation is an error at its line in the file.
        let broken = annotated.replace("#   severity: high", "#   severity: [high");
        let d = match Policies::load(&[("a.rego".into(), broken)], &|_| true, &[]) {
            Ok(_) => panic!("loads"),
            Err(d) => d,
        };
        assert!(d[0].message.contains("METADATA"), "{d:?}");
        assert!((6..=8).contains(&d[0].line), "{d:?}");
    }

    #[test]
    fn the_common_builtins_are_there() {
        // regex, glob, net and semver builtins are what IaC policies use most after the core ones.
        let mut p = policies(&[(
            "b.rego",
            r#"package b
import rego.v1
metadata := {"control": "c"}
deny contains "regex" if regex.match(`^aws_s3_`, input.type)
deny contains "glob" if glob.match("aws_*_bucket", ["_"], input.type)
deny contains "net" if net.cidr_contains("10.0.0.0/8", "10.1.2.3")
deny contains "semver" if semver.compare("1.10.0", "1.9.0") == 1
deny contains "base64" if base64.decode("b251cw==") == "onus"
"#,
        )]);
        let rs: Vec<Resource> = resources(40)
            .into_iter()
            .filter(|r| r.rtype == "aws_s3_bucket")
            .take(1)
            .collect();
        let (found, diags) = p.run(&rs, &workload);
        assert!(diags.is_empty(), "{diags:?}");
        let mut got: Vec<&str> = found.iter().map(|r| r.message.as_str()).collect();
        got.sort();
        assert_eq!(got, ["base64", "glob", "net", "regex", "semver"]);
    }

    #[test]
    fn the_example_policies_agree_too() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies");
        let texts: Vec<(String, String)> = std::fs::read_dir(root)
            .expect("examples/policies")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rego"))
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).expect("read"),
                )
            })
            .collect();
        assert!(texts.len() >= 2);
        let files: Vec<(&str, &str)> = texts
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let (vm, interp) = both_ways(&files, 400);
        assert!(!vm.is_empty());
        assert_eq!(
            vm.iter().map(key).collect::<Vec<_>>(),
            interp.iter().map(key).collect::<Vec<_>>()
        );
    }
}
