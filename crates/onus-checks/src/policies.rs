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
            out.push((pkg, control, severity, title));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(Policies {
            engine,
            packages: out,
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
    pub fn run(
        &mut self,
        resources: &[Resource],
        workload_of: &dyn Fn(&Resource) -> Value,
    ) -> (Vec<CheckResult>, Vec<Diagnostic>) {
        let mut results = Vec::new();
        let mut diags = Vec::new();
        for r in resources {
            let input = json!({
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
                "workload": workload_of(r),
            });
            let Ok(input) = regorus::Value::from_json_str(&input.to_string()) else {
                continue;
            };
            self.engine.set_input(input);
            for (pkg, control, _, _) in &self.packages {
                for (rule, outcome) in [
                    ("deny", Outcome::Fail),
                    ("violation", Outcome::Fail),
                    ("warn", Outcome::Fail),
                ] {
                    let v = match self.engine.eval_rule(format!("{pkg}.{rule}")) {
                        Ok(v) => v,
                        Err(e) => {
                            let msg = e.to_string();
                            if msg.contains("not a valid rule path")
                                || msg.contains("not found")
                                || msg.contains("undefined")
                            {
                                continue;
                            }
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    &r.file,
                                    Pos { line: r.line.max(1), col: r.col.max(1) },
                                    format!("policy `{pkg}` stopped on `{}`: {}", r.address, msg.lines().next().unwrap_or("")),
                                )
                                .with_help(format!("evaluation is limited to {TIME_LIMIT_MS} ms per policy and resource")),
                            );
                            continue;
                        }
                    };
                    let Ok(text) = v.to_json_str() else { continue };
                    let Ok(messages) = serde_json::from_str::<Value>(&text) else {
                        continue;
                    };
                    let list: Vec<String> = match messages {
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
                        _ => Vec::new(),
                    };
                    for m in list {
                        results.push(CheckResult {
                            rule: format!("rego:{}", pkg.trim_start_matches("data.")),
                            control: control.clone(),
                            outcome,
                            message: if rule == "warn" {
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
            }
        }
        (results, diags)
    }
}
