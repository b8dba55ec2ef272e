//! Custom policies in Rego, evaluated in-process with regorus, in the Conftest convention: a package's `deny`,
//! `violation` and `warn` rules yield messages for the resource given as `input`. A policy ties itself to a control
//! with a `metadata` rule: `metadata := {"control": "data.backup", "severity": "high", "title": "..."}`.
//!
//! The input is the normalized resource: `type`, `address`, `name`, `provider`, `attributes`, `tags`, `file`,
//! `line`, and `workload` (name, classification, tier) when the resource belongs to one.

use crate::{CheckResult, Outcome};
use onus_core::diag::{Code, Diagnostic, Pos};
use onus_discover::Resource;
use serde_json::{json, Value};

/// Evaluation of one policy on one resource may take at most this long.
pub const TIME_LIMIT_MS: u64 = 200;

/// The policies of one set of `.rego` files, ready to evaluate.
pub struct Policies {
    engine: regorus::Engine,
    /// (package path `data.x.y`, control, severity, title)
    packages: Vec<(String, String, String, String)>,
    /// Per package, the resource types its `metadata.types` limits it to.
    types: std::collections::HashMap<String, Vec<String>>,
}

/// One loaded policy package, for listings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyInfo {
    pub package: String,
    pub control: String,
    pub severity: String,
    pub title: String,
}

fn position_of(message: &str) -> Pos {
    // regorus reports `file:LINE:COL: message`; take the first two numbers after the file name.
    let mut nums = message.split(':').skip(1).map(|p| p.trim().parse::<u32>());
    match (nums.next(), nums.next()) {
        (Some(Ok(l)), Some(Ok(c))) => Pos { line: l, col: c },
        _ => Pos { line: 1, col: 1 },
    }
}

impl Policies {
    /// Compile the files: `(path, text)`. Errors name the file and line.
    pub fn load(
        files: &[(String, String)],
        known_control: &dyn Fn(&str) -> bool,
    ) -> Result<Policies, Vec<Diagnostic>> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: std::time::Duration::from_millis(TIME_LIMIT_MS),
            check_interval: std::num::NonZeroU32::new(64).expect("non-zero"),
        });
        let mut diags = Vec::new();
        let mut packages: Vec<(String, String)> = Vec::new();
        for (path, text) in files {
            // Accept both Rego v0 and `import rego.v1` policies.
            match engine.add_policy(path.clone(), text.clone()) {
                Ok(pkg) => packages.push((pkg, path.clone())),
                Err(e) => {
                    let msg = e.to_string();
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            path,
                            position_of(&msg),
                            format!(
                                "Rego policy does not compile: {}",
                                msg.lines().next().unwrap_or("")
                            ),
                        )
                        .with_help("check the policy with `opa check` or fix the line shown"),
                    );
                }
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let mut out = Vec::new();
        let mut types = std::collections::HashMap::new();
        packages.sort();
        packages.dedup_by(|a, b| a.0 == b.0);
        for (pkg, path) in packages {
            engine.set_input(regorus::Value::new_object());
            let meta = engine
                .eval_rule(format!("{pkg}.metadata"))
                .ok()
                .and_then(|v| v.to_json_str().ok())
                .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .unwrap_or(Value::Null);
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
                    .with_help("add `metadata := {\"control\": \"data.backup\", \"severity\": \"high\"}` to the package"),
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
            out.push((pkg, control, severity, title));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(Policies {
            engine,
            packages: out,
            types,
        })
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
        workload_of: &dyn Fn(&Resource) -> Value,
    ) -> (Vec<CheckResult>, Vec<Diagnostic>) {
        let rules = self.defined_rules();
        if rules.is_empty() || resources.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let wanted: Vec<Vec<usize>> = resources
            .iter()
            .map(|r| {
                (0..rules.len())
                    .filter(|&k| self.applies(&rules[k].0, &r.rtype))
                    .collect()
            })
            .collect();
        let inputs: Vec<Option<String>> = resources
            .iter()
            .zip(&wanted)
            .map(|(r, w)| (!w.is_empty()).then(|| input_of(r, workload_of(r)).to_string()))
            .collect();
        let threads = rayon::current_num_threads().max(1);
        let stopped: Vec<std::sync::atomic::AtomicBool> =
            rules.iter().map(|_| Default::default()).collect();
        let found = std::sync::Mutex::new(Vec::new());
        let diags = std::sync::Mutex::new(Vec::new());
        set_limit(&mut self.engine, TIME_LIMIT_MS);
        rayon::scope(|scope| {
            for t in 0..threads {
                let mut engine = self.engine.clone();
                let (inputs, wanted, rules, stopped, found, diags) =
                    (&inputs, &wanted, &rules, &stopped, &found, &diags);
                scope.spawn(move |_| {
                    let mut mine = Vec::new();
                    for i in (t..resources.len()).step_by(threads) {
                        let Some(text) = &inputs[i] else { continue };
                        let Ok(input) = regorus::Value::from_json_str(text) else {
                            continue;
                        };
                        engine.set_input(input);
                        for &k in &wanted[i] {
                            if stopped[k].load(std::sync::atomic::Ordering::Relaxed) {
                                continue;
                            }
                            let (pkg, rule, _) = &rules[k];
                            match engine.eval_rule(format!("{pkg}.{rule}")) {
                                // Most evaluations find nothing: skip the JSON round trip for them.
                                Ok(v) if nothing(&v) => {}
                                Ok(v) => {
                                    let list = v
                                        .to_json_str()
                                        .ok()
                                        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                                        .map(messages)
                                        .unwrap_or_default();
                                    if !list.is_empty() {
                                        mine.push((i, k, list));
                                    }
                                }
                                Err(e) => {
                                    if !stopped[k].swap(true, std::sync::atomic::Ordering::Relaxed)
                                    {
                                        diags
                                            .lock()
                                            .unwrap_or_else(|e| e.into_inner())
                                            .push(stopped_on(pkg, &resources[i], &e.to_string()));
                                    }
                                }
                            }
                        }
                    }
                    found.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
                });
            }
        });
        let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        found.sort_by_key(|(i, k, _)| (*i, *k));
        let results = self.results(resources, &rules, found);
        (
            results,
            diags.into_inner().unwrap_or_else(|e| e.into_inner()),
        )
    }

    /// Whether the package's `metadata.types` admits this resource type (no list admits every type).
    fn applies(&self, pkg: &str, rtype: &str) -> bool {
        self.types
            .get(pkg)
            .is_none_or(|ts| ts.iter().any(|t| t == rtype))
    }

    /// The Conftest rules each package defines, with their outcome: (package, rule, outcome).
    fn defined_rules(&mut self) -> Vec<(String, &'static str, Outcome)> {
        let mut out = Vec::new();
        self.engine.set_input(regorus::Value::new_object());
        set_limit(&mut self.engine, TIME_LIMIT_MS);
        for (pkg, _, _, _) in &self.packages {
            for rule in ["deny", "violation", "warn"] {
                let absent = matches!(
                    self.engine.eval_rule(format!("{pkg}.{rule}")),
                    Err(e) if e.to_string().contains("not a valid rule path")
                );
                if !absent {
                    out.push((pkg.clone(), rule, Outcome::Fail));
                }
            }
        }
        out
    }

    fn results(
        &self,
        resources: &[Resource],
        rules: &[(String, &'static str, Outcome)],
        found: Vec<(usize, usize, Vec<String>)>,
    ) -> Vec<CheckResult> {
        let mut results = Vec::new();
        for (i, k, list) in found {
            let (pkg, rule, outcome) = &rules[k];
            let r = &resources[i];
            let control = self
                .packages
                .iter()
                .find(|p| &p.0 == pkg)
                .map(|p| p.1.clone())
                .unwrap_or_default();
            for m in list {
                results.push(CheckResult {
                    rule: format!("rego:{}", pkg.trim_start_matches("data.")),
                    control: control.clone(),
                    outcome: *outcome,
                    message: if *rule == "warn" {
                        format!("warning: {m}")
                    } else {
                        m
                    },
                    resource: r.address.clone(),
                    resource_type: r.rtype.clone(),
                    file: r.file.clone(),
                    line: r.line,
                    col: r.col,
                    waived: None,
                });
            }
        }
        results
    }
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

/// An empty result: no set members, no array elements, or undefined.
fn nothing(v: &regorus::Value) -> bool {
    match v {
        regorus::Value::Undefined | regorus::Value::Null => true,
        regorus::Value::Set(s) => s.is_empty(),
        regorus::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The messages of a deny/violation/warn result: strings, or objects with `msg` (Conftest's structured form).
fn messages(v: Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|m| match m {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("msg")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| m.to_string()),
                other => other.to_string(),
            })
            .collect(),
        Value::String(s) => vec![s],
        _ => Vec::new(),
    }
}

fn stopped_on(pkg: &str, r: &Resource, msg: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        &r.file,
        Pos {
            line: r.line.max(1),
            col: r.col.max(1),
        },
        format!(
            "policy `{pkg}` stopped on `{}`: {}",
            r.address,
            msg.lines().next().unwrap_or("")
        ),
    )
    .with_help(format!(
        "evaluation is limited to {TIME_LIMIT_MS} ms per policy and resource; the policy was skipped from there on"
    ))
}
