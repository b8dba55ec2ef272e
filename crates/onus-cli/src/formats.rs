//! `onus scan` as SARIF 2.1.0 (code-scanning dashboards) and JUnit XML (CI test reports).

use onus_checks::{CheckResult, Outcome};
use onus_core::model::RuleFile;
use onus_discover::bind::{Finding, FindingCode};
use serde_json::{json, Value};
use std::fmt::Write as _;

fn sarif_level_of(severity: onus_core::model::RuleSeverity) -> &'static str {
    use onus_core::model::RuleSeverity::*;
    match severity {
        Critical | High => "error",
        Medium => "warning",
        Low => "note",
    }
}

fn finding_level(code: FindingCode) -> &'static str {
    match code {
        FindingCode::UndeclaredService | FindingCode::UnownedResource => "error",
        _ => "warning",
    }
}

fn location(file: &str, line: u32, col: u32) -> Value {
    let mut region = json!({});
    if line > 0 {
        region = json!({"startLine": line, "startColumn": col.max(1)});
    }
    let mut physical = json!({"artifactLocation": {"uri": file}});
    if line > 0 {
        physical["region"] = region;
    }
    json!({"physicalLocation": physical})
}

/// A SARIF log: one run, the drift codes and the checks that ran as rules, failing and unknown check results and
/// drift findings as results.
pub fn sarif(rules: &[RuleFile], checks: &[CheckResult], findings: &[Finding]) -> String {
    let mut descriptors: Vec<Value> = FindingCode::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.as_str(),
                "shortDescription": {"text": c.description()},
                "defaultConfiguration": {"level": finding_level(*c)},
                "properties": {"tags": ["drift"]},
            })
        })
        .collect();
    let mut index: std::collections::HashMap<&str, usize> = FindingCode::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    for r in rules {
        if !checks.iter().any(|c| c.rule == r.id) {
            continue;
        }
        index.insert(r.id.as_str(), descriptors.len());
        let mut d = json!({
            "id": r.id,
            "name": r.id,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.description.trim()},
            "help": {"text": r.remediation.trim()},
            "defaultConfiguration": {"level": sarif_level_of(r.severity)},
            "properties": {"tags": ["check", r.control.clone()], "control": r.control, "severity": r.severity.as_str()},
        });
        if let Some(u) = r.references.first() {
            d["helpUri"] = json!(u);
        }
        descriptors.push(d);
    }
    let mut results = Vec::new();
    for f in findings {
        let mut loc = Vec::new();
        if !f.file.is_empty() {
            loc.push(location(&f.file, f.line, f.col));
        }
        results.push(json!({
            "partialFingerprints": {"onusResource/v1": format!(
                "{}|{}|{}",
                f.code.as_str(),
                f.file,
                f.resource.clone().or_else(|| f.component.clone()).unwrap_or_default()
            )},
            "ruleId": f.code.as_str(),
            "ruleIndex": index[f.code.as_str()],
            "level": finding_level(f.code),
            "message": {"text": format!("{} ({})", f.message, f.help)},
            "locations": loc,
        }));
    }
    let by_id: std::collections::HashMap<&str, _> =
        rules.iter().map(|r| (r.id.as_str(), r)).collect();
    for c in checks.iter().filter(|c| c.outcome != Outcome::Pass) {
        let rule = by_id.get(c.rule.as_str()).copied();
        let level = match (c.outcome, rule) {
            (Outcome::Fail, Some(r)) => sarif_level_of(r.severity),
            (Outcome::Fail, None) => "error",
            (Outcome::Warn, _) => "warning",
            _ => "note",
        };
        results.push(json!({
            "partialFingerprints": {"onusResource/v1": format!("{}|{}|{}", c.rule, c.file, c.resource)},
            "ruleId": c.rule,
            "ruleIndex": index.get(c.rule.as_str()).copied().unwrap_or(0),
            "level": level,
            "kind": if c.outcome == Outcome::Fail { "fail" } else { "review" },
            "message": {"text": format!("{}: {}", c.resource, c.message)},
            "locations": [location(&c.file, c.line, c.col)],
            "properties": {"outcome": c.outcome.as_str(), "resourceType": c.resource_type},
        }));
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "onus",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/onus-dev/onus",
                "rules": descriptors,
            }},
            "results": results,
        }],
    });
    onus_render::json::to_string(&log)
}

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: a `checks` suite with one test case per check and resource (failure when it fails, skipped when the
/// outcome is unknown), and a `drift` suite with one failing test case per finding.
pub fn junit(checks: &[CheckResult], findings: &[Finding]) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = checks.iter().filter(|c| c.outcome == Outcome::Fail).count();
    let skipped = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Unknown)
        .count();
    let _ = writeln!(
        o,
        "<testsuites name=\"onus scan\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\">",
        checks.len() + findings.len(),
        failures + findings.len()
    );
    let _ = writeln!(
        o,
        "  <testsuite name=\"checks\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
        checks.len()
    );
    for c in checks {
        let _ = write!(
            o,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            xml(&c.rule),
            xml(&c.resource),
            xml(&c.file),
            c.line
        );
        match c.outcome {
            Outcome::Pass => o.push_str("/>\n"),
            Outcome::Fail => {
                let _ = writeln!(
                    o,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}:{}:{}</failure>\n    </testcase>",
                    xml(&c.message),
                    xml(&c.resource_type),
                    xml(&c.file),
                    c.line,
                    c.col
                );
            }
            Outcome::Unknown => {
                let _ = writeln!(
                    o,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml(&c.message)
                );
            }
            // A warning passes, with what it says kept in the case's output.
            Outcome::Warn => {
                let _ = writeln!(
                    o,
                    ">\n      <system-out>warning: {}</system-out>\n    </testcase>",
                    xml(&c.message)
                );
            }
        }
    }
    o.push_str("  </testsuite>\n");
    let _ = writeln!(
        o,
        "  <testsuite name=\"drift\" tests=\"{0}\" failures=\"{0}\">",
        findings.len()
    );
    for f in findings {
        let name = f
            .resource
            .clone()
            .or_else(|| f.component.clone())
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
            f.code.as_str(),
            xml(&name),
            xml(&f.file),
            f.line,
            xml(&f.message),
            f.code.as_str(),
            xml(&f.help)
        );
    }
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}
