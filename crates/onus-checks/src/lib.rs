//! Checks: conditions on resources that give (or withhold) evidence for the customer's side of a control.
//!
//! A check names the resource types it applies to and a list of assertions on their attributes. For each resource
//! the outcome is `pass`, `fail`, or `unknown` when an attribute it needs could not be resolved statically: onus
//! never turns an unknown into a pass or a fail.

pub mod policies;
pub mod sarif_import;
pub mod waivers;

use onus_core::catalog::SourceFile;
use onus_core::diag::{suggest, Code, Diagnostic};
use onus_core::doc::{self, Kind};
use onus_core::model::{AbsentMeans, Assertion, RequirementKind, RuleFile};
use onus_core::Catalog;
use onus_discover::{is_unknown, Input, Mode, Resource};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The outcome of one check on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
    /// A Rego policy's `warn` rule fired: shown and counted, but it does not fail a run (Conftest's meaning).
    Warn,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
            Outcome::Warn => "warn",
        }
    }
}

/// A check's result on one resource, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub rule: String,
    pub control: String,
    pub outcome: Outcome,
    pub message: String,
    pub resource: String,
    pub resource_type: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    /// Set when a waiver covers the result: it is still counted and listed, but does not fail the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<waivers::WaiverRef>,
}

impl CheckResult {
    /// The result of check `rule` (evidence for `control`) on resource `r`, not waived.
    pub fn on(
        r: &Resource,
        rule: String,
        control: String,
        outcome: Outcome,
        message: String,
    ) -> Self {
        CheckResult {
            rule,
            control,
            outcome,
            message,
            resource: r.address.clone(),
            resource_type: r.rtype.clone(),
            file: r.file.clone(),
            line: r.line,
            col: r.col,
            waived: None,
        }
    }
}

/// Load and validate check files. `path` of each file names it in diagnostics.
pub fn load(cat: &Catalog, files: &[SourceFile]) -> (Vec<RuleFile>, Vec<Diagnostic>) {
    let mut rules: Vec<RuleFile> = Vec::new();
    let mut diags = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for f in files {
        let (d, ds) = doc::load::<RuleFile>(Kind::Rule, &f.path, &f.text);
        diags.extend(ds);
        let Some(d) = d else { continue };
        let r = &d.value;
        let valid_id = !r.id.is_empty()
            && r.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !r.id.starts_with('-')
            && !r.id.ends_with('-');
        if !valid_id {
            diags.push(
                Diagnostic::new(
                    Code::InvalidId,
                    &d.file,
                    d.spans.value("/id"),
                    format!("invalid check id `{}`", r.id),
                )
                .with_help("check ids are lower-case kebab-case, e.g. `aws-s3-block-public-acls`"),
            );
        }
        if let Some(first) = seen.insert(r.id.clone(), d.file.clone()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    &d.file,
                    d.spans.value("/id"),
                    format!("check `{}` is defined twice", r.id),
                )
                .with_help(format!("first defined in {first}")),
            );
        }
        if cat.control(&r.control).is_none() {
            let d2 = Diagnostic::new(
                Code::UnknownControl,
                &d.file,
                d.spans.value("/control"),
                format!("unknown control `{}`", r.control),
            );
            diags.push(match suggest(&r.control, cat.control_ids()) {
                Some(s) => d2.with_help(format!("did you mean `{s}`?")),
                None => d2.with_help("run `onus catalog controls` for the list"),
            });
        }
        if r.matches.types.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    &d.file,
                    d.spans.value("/match"),
                    "`match.types` is empty",
                )
                .with_help("name the resource types the check applies to"),
            );
        }
        if r.assert.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    &d.file,
                    d.spans.value("/assert"),
                    "a check needs at least one assertion",
                )
                .with_help("e.g. `- {attribute: storage_encrypted, equals: true}`"),
            );
        }
        for (i, a) in r.assert.iter().enumerate() {
            let n = operators(a);
            if n != 1 {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        &d.file,
                        d.spans.value(&format!("/assert/{i}")),
                        format!("assertion on `{}` has {n} operators; exactly one is needed", a.attribute),
                    )
                    .with_help("one of: equals, not-equals, one-of, none-of, present, at-least, at-most, contains, not-contains"),
                );
            }
        }
        let numeric = |k: &RequirementKind| {
            matches!(
                k,
                RequirementKind::LogRetentionDays | RequirementKind::BackupRetentionDays
            )
        };
        for (i, a) in r.assert.iter().enumerate() {
            if let Some(k) = &a.at_least_requirement {
                if !numeric(k) {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            &d.file,
                            d.spans.value(&format!("/assert/{i}/at-least-requirement")),
                            format!("`{}` has no number to compare with", k.as_str()),
                        )
                        .with_help("at-least-requirement takes log-retention-days or backup-retention-days"),
                    );
                } else if !r.fixtures.requirements.contains_key(k) {
                    diags.push(
                        Diagnostic::new(
                            Code::MissingField,
                            &d.file,
                            d.spans.value("/fixtures"),
                            format!("the fixtures need a value for `{}`", k.as_str()),
                        )
                        .with_help(format!(
                            "add `requirements: {{{}: N}}` under `fixtures`",
                            k.as_str()
                        )),
                    );
                }
            }
        }
        if let Some(k) = &r.matches.requires {
            if !r.fixtures.requirements.contains_key(k) {
                diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        &d.file,
                        d.spans.value("/match/requires"),
                        format!("the check applies only under `{}`, but its fixtures do not run under it", k.as_str()),
                    )
                    .with_help(format!("add `requirements: {{{}: 0}}` under `fixtures`", k.as_str())),
                );
            }
        }
        if fixture_input(&r.fixtures.input).is_none() {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    &d.file,
                    d.spans.value("/fixtures/input"),
                    format!("unknown fixture input `{}`", r.fixtures.input),
                )
                .with_help("terraform, cloudformation, kubernetes or arm"),
            );
        }
        rules.push(d.value);
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    (rules, diags)
}

fn operators(a: &Assertion) -> usize {
    [
        a.equals.is_some(),
        a.not_equals.is_some(),
        a.one_of.is_some(),
        a.none_of.is_some(),
        a.present.is_some(),
        a.at_least.is_some(),
        a.at_most.is_some(),
        a.at_least_requirement.is_some(),
        a.contains.is_some(),
        a.not_contains.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count()
}

/// The input a fixture is written in, and the file name it is parsed as.
pub fn fixture_input(name: &str) -> Option<(Input, &'static str)> {
    match name {
        "terraform" => Some((Input::TerraformHcl, "main.tf")),
        "cloudformation" => Some((Input::Cloudformation, "template.yaml")),
        "kubernetes" => Some((Input::Kubernetes, "manifest.yaml")),
        "arm" => Some((Input::Arm, "template.json")),
        _ => None,
    }
}

/// The values at a dotted path; `[]` fans out over list elements, and Terraform's nested blocks (lists of one
/// object) are stepped into transparently. `None` inside means absent at that branch.
fn lookup<'a>(v: &'a Value, path: &str) -> Vec<Option<&'a Value>> {
    let mut current: Vec<Option<&Value>> = vec![Some(v)];
    for seg in path.split('.') {
        let (key, fan) = match seg.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for c in current {
            let Some(c) = c else {
                next.push(None);
                continue;
            };
            // A block written once in HCL is a one-element list: step through it to read its keys.
            let c = match c {
                Value::Array(a) if a.len() == 1 && a[0].is_object() && !key.is_empty() => &a[0],
                other => other,
            };
            let child = if key.is_empty() { Some(c) } else { c.get(key) };
            match (child, fan) {
                (Some(Value::Array(items)), true) => {
                    if items.is_empty() {
                        next.push(None);
                    }
                    next.extend(items.iter().map(Some));
                }
                (Some(Value::Null), _) => next.push(None),
                (child, _) => next.push(child),
            }
        }
        current = next;
    }
    current
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Loose equality: `"true"` equals `true` and `"5"` equals `5`, as CloudFormation and ARM often write them.
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::String(s), Value::Bool(x)) | (Value::Bool(x), Value::String(s)) => {
            s.eq_ignore_ascii_case(if *x { "true" } else { "false" })
        }
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.parse::<f64>().ok() == n.as_f64()
        }
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

fn contains(hay: &Value, needle: &Value) -> bool {
    match hay {
        Value::Array(a) => a.iter().any(|x| same(x, needle)),
        Value::String(s) => needle.as_str().is_some_and(|n| s.contains(n)),
        Value::Object(m) => needle.as_str().is_some_and(|n| m.contains_key(n)),
        _ => false,
    }
}

/// One assertion on one value: Some(true) holds, Some(false) fails, None unknown.
fn holds(a: &Assertion, v: Option<&Value>) -> Option<bool> {
    let Some(v) = v else {
        if let Some(p) = a.present {
            return Some(!p);
        }
        return match a.if_absent.unwrap_or(AbsentMeans::Fail) {
            AbsentMeans::Fail => Some(false),
            AbsentMeans::Pass => Some(true),
            AbsentMeans::Unknown => None,
        };
    };
    if is_unknown(v) {
        // A reference that resolves only at deploy time (`aws_kms_key.cards.arn`) is still set.
        return a.present;
    }
    Some(if let Some(p) = a.present {
        p
    } else if let Some(x) = &a.equals {
        same(v, x)
    } else if let Some(x) = &a.not_equals {
        !same(v, x)
    } else if let Some(xs) = &a.one_of {
        xs.iter().any(|x| same(v, x))
    } else if let Some(xs) = &a.none_of {
        !xs.iter().any(|x| same(v, x))
    } else if let Some(min) = a.at_least {
        return num(v).map(|n| n >= min);
    } else if let Some(max) = a.at_most {
        return num(v).map(|n| n <= max);
    } else if let Some(x) = &a.contains {
        contains(v, x)
    } else if let Some(x) = &a.not_contains {
        !contains(v, x)
    } else {
        return None;
    })
}

fn describe(a: &Assertion) -> String {
    let show = |v: &Value| v.to_string();
    let list = |xs: &Vec<Value>| xs.iter().map(show).collect::<Vec<_>>().join(", ");
    let what = if let Some(p) = a.present {
        if p {
            "be set".to_string()
        } else {
            "not be set".to_string()
        }
    } else if let Some(x) = &a.equals {
        format!("be {}", show(x))
    } else if let Some(x) = &a.not_equals {
        format!("not be {}", show(x))
    } else if let Some(xs) = &a.one_of {
        format!("be one of {}", list(xs))
    } else if let Some(xs) = &a.none_of {
        format!("be none of {}", list(xs))
    } else if let Some(n) = a.at_least {
        format!("be at least {n}")
    } else if let Some(n) = a.at_most {
        format!("be at most {n}")
    } else if let Some(x) = &a.contains {
        format!("contain {}", show(x))
    } else if let Some(x) = &a.not_contains {
        format!("not contain {}", show(x))
    } else {
        "hold".to_string()
    };
    format!("`{}` must {what}", a.attribute)
}

/// The template requirements in force for one resource's workload, with their numbers (0 where the requirement
/// has none); where two templates set the same number, the stricter (larger) one.
pub type Requirements = BTreeMap<RequirementKind, u32>;

/// Does the check apply to this resource, under its workload's requirements?
pub fn applies(rule: &RuleFile, r: &Resource, reqs: Option<&Requirements>) -> bool {
    r.mode == Mode::Managed
        && rule.matches.types.iter().any(|t| t == &r.rtype)
        && rule
            .matches
            .requires
            .is_none_or(|k| reqs.is_some_and(|m| m.contains_key(&k)))
        && rule.matches.when.iter().all(|(k, want)| {
            lookup(&attributes(r), k)
                .first()
                .copied()
                .flatten()
                .is_some_and(|v| same(v, want))
        })
}

fn attributes(r: &Resource) -> Value {
    Value::Object(r.attributes.clone().into_iter().collect())
}

/// Evaluate one check on one resource it applies to.
pub fn evaluate(rule: &RuleFile, r: &Resource, reqs: Option<&Requirements>) -> (Outcome, String) {
    let attrs = attributes(r);
    let mut unknown = Vec::new();
    for a in &rule.assert {
        // A bound set by the workload's templates: no template, nothing to hold.
        let bound;
        let a = match a.at_least_requirement {
            None => a,
            Some(k) => match reqs.and_then(|m| m.get(&k)) {
                None => continue,
                Some(&n) => {
                    bound = Assertion {
                        at_least: Some(f64::from(n)),
                        at_least_requirement: None,
                        ..a.clone()
                    };
                    &bound
                }
            },
        };
        let values = lookup(&attrs, &a.attribute);
        let mut failed = false;
        for v in &values {
            match holds(a, *v) {
                Some(true) => {}
                Some(false) => failed = true,
                None => unknown.push(a.attribute.clone()),
            }
        }
        if failed {
            return (Outcome::Fail, describe(a));
        }
    }
    if unknown.is_empty() {
        (Outcome::Pass, "every assertion holds".to_string())
    } else {
        unknown.dedup();
        (
            Outcome::Unknown,
            format!("not known until deploy time: {}", unknown.join(", ")),
        )
    }
}

/// Run every check on every resource it applies to, outside any workload (checks that depend on a template's
/// requirements do not apply).
pub fn run(rules: &[RuleFile], resources: &[Resource]) -> Vec<CheckResult> {
    run_with(rules, resources, &|_| None)
}

/// Run every check on every resource it applies to, each resource under its workload's template requirements.
pub fn run_with(
    rules: &[RuleFile],
    resources: &[Resource],
    reqs: &dyn Fn(&Resource) -> Option<Requirements>,
) -> Vec<CheckResult> {
    let mut by_type: HashMap<&str, Vec<&RuleFile>> = HashMap::new();
    for rule in rules {
        let mut seen = HashSet::new();
        for t in &rule.matches.types {
            if seen.insert(t.as_str()) {
                by_type.entry(t.as_str()).or_default().push(rule);
            }
        }
    }
    let mut out = Vec::new();
    for r in resources {
        let Some(candidates) = by_type.get(r.rtype.as_str()) else {
            continue;
        };
        let reqs = reqs(r);
        for rule in candidates {
            if !applies(rule, r, reqs.as_ref()) {
                continue;
            }
            let (outcome, message) = evaluate(rule, r, reqs.as_ref());
            out.push(CheckResult::on(
                r,
                rule.id.clone(),
                rule.control.clone(),
                outcome,
                message,
            ));
        }
    }
    out
}

/// Run a check on its own fixtures: (outcome on `fail`, outcome on `pass`), each the worst over the resources the
/// check applies to; `None` when the fixture holds no such resource or does not parse.
pub fn run_fixtures(rule: &RuleFile) -> (Option<Outcome>, Option<Outcome>) {
    let Some((input, path)) = fixture_input(&rule.fixtures.input) else {
        return (None, None);
    };
    let run_one = |text: &str| -> Option<Outcome> {
        let parsed = onus_discover::parse_file(input, path, text);
        if parsed.diagnostics.iter().any(Diagnostic::is_error) {
            return None;
        }
        let reqs = rule.fixtures.requirements.clone();
        let results = run_with(std::slice::from_ref(rule), &parsed.resources, &|_| {
            Some(reqs.clone())
        });
        results.iter().map(|r| r.outcome).max_by_key(|o| match o {
            Outcome::Pass => 0,
            Outcome::Unknown | Outcome::Warn => 1,
            Outcome::Fail => 2,
        })
    };
    (run_one(&rule.fixtures.fail), run_one(&rule.fixtures.pass))
}

/// A check's documentation page (docs/checks/ID.md is this text; a test keeps it current).
pub fn markdown(r: &RuleFile) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "# {}: {}\n", r.id, r.title);
    let _ = writeln!(o, "- Control: `{}`", r.control);
    let _ = writeln!(o, "- Severity: {}", r.severity.as_str());
    let _ = writeln!(
        o,
        "- Applies to: {}",
        r.matches
            .types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (k, v) in &r.matches.when {
        let _ = writeln!(o, "- Only when `{k}` is {v}");
    }
    if let Some(k) = &r.matches.requires {
        let _ = writeln!(
            o,
            "- Only in workloads whose templates require `{}`",
            k.as_str()
        );
    }
    let _ = writeln!(
        o,
        "\n## Why\n\n{}\n\n## Fix\n\n{}\n",
        r.description.trim(),
        r.remediation.trim()
    );
    o.push_str("## What is checked\n\n");
    for a in &r.assert {
        let op = serde_json::to_value(a).unwrap_or_default();
        let _ = writeln!(o, "- `{}`", serde_json::to_string(&op).unwrap_or_default());
    }
    let lang = match r.fixtures.input.as_str() {
        "terraform" => "hcl",
        "arm" => "json",
        _ => "yaml",
    };
    let _ = writeln!(
        o,
        "\n## Fails\n\n```{lang}\n{}```\n\n## Passes\n\n```{lang}\n{}```",
        r.fixtures.fail, r.fixtures.pass
    );
    if !r.references.is_empty() {
        o.push_str("\n## References\n\n");
        for u in &r.references {
            let _ = writeln!(o, "- <{u}>");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::lookup;
    use serde_json::json;

    #[test]
    fn paths_step_through_blocks_and_fan_out_over_lists() {
        let v = json!({"settings": [{"ip_configuration": [{"authorized_networks": [{"value": "10.0.0.0/8"}, {"value": "0.0.0.0/0"}]}]}]});
        let got: Vec<_> = lookup(&v, "settings.ip_configuration.authorized_networks[].value")
            .into_iter()
            .map(|x| x.cloned())
            .collect();
        assert_eq!(
            got,
            vec![Some(json!("10.0.0.0/8")), Some(json!("0.0.0.0/0"))]
        );
        assert_eq!(lookup(&v, "settings.nothing"), vec![None]);
        assert_eq!(
            lookup(&json!({"ingress": []}), "ingress[].cidr"),
            vec![None]
        );
    }
}
