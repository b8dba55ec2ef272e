//! Waivers: accepted exceptions to checks, from the manifest (`waivers:`) or inline in infrastructure files
//! (`# onus:waive CHECK reason="..." until=YYYY-MM-DD`). A waived result keeps its outcome and is still counted and
//! listed; it just does not fail the run. A waiver past its date no longer applies and becomes a finding.

use crate::CheckResult;
use onus_core::catalog::parse_date;
use onus_core::model::Waiver;
use serde::Serialize;

/// Where a waiver came from and what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaiverRef {
    pub reason: String,
    pub approver: Option<String>,
    pub expires: String,
    /// `file` (manifest) or `file:line` (inline).
    pub source: String,
}

/// A waiver found in a comment of an infrastructure file.
#[derive(Debug, Clone, PartialEq)]
pub struct Inline {
    pub file: String,
    pub line: u32,
    pub check: String,
    pub reason: String,
    pub until: String,
}

/// Inline waivers of one file: `onus:waive CHECK reason="..." until=YYYY-MM-DD` in a `#` or `//` comment.
pub fn inline(file: &str, text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("onus:waive") else {
            continue;
        };
        let before = line[..at].trim_end();
        if !(before.ends_with('#') || before.ends_with("//")) {
            continue;
        }
        let rest = line[at + "onus:waive".len()..].trim();
        let check = rest.split_whitespace().next().unwrap_or("").to_string();
        let field = |name: &str| -> String {
            let key = format!("{name}=");
            let Some(p) = rest.find(&key) else {
                return String::new();
            };
            let v = &rest[p + key.len()..];
            if let Some(q) = v.strip_prefix('"') {
                q.split('"').next().unwrap_or("").to_string()
            } else {
                v.split_whitespace().next().unwrap_or("").to_string()
            }
        };
        out.push(Inline {
            file: file.to_string(),
            line: i as u32 + 1,
            check,
            reason: field("reason"),
            until: field("until"),
        });
    }
    out
}

/// A waiver that could not be honoured: expired, or malformed (inline waivers are not schema-checked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaiverProblem {
    pub source: String,
    pub message: String,
}

/// Apply waivers to check results (`today` is YYYY-MM-DD); returns the problems (expired or malformed waivers).
/// `controls` gives each check's control, for waivers that name a control.
pub fn apply(
    results: &mut [CheckResult],
    manifest: &[(String, Waiver)],
    inline_waivers: &[Inline],
    control_of: &dyn Fn(&str) -> Option<String>,
    today: &str,
) -> Vec<WaiverProblem> {
    let mut problems = Vec::new();
    let expired = |d: &str| {
        parse_date(d)
            .zip(parse_date(today))
            .is_none_or(|(e, t)| e < t)
    };
    for (file, w) in manifest {
        let source = file.clone();
        if expired(&w.expires) {
            problems.push(WaiverProblem {
                source,
                message: format!(
                    "waiver of `{}` expired on {} (approved by {}): the results it covered count again",
                    w.check.clone().or_else(|| w.control.clone()).unwrap_or_default(),
                    w.expires,
                    w.approver
                ),
            });
            continue;
        }
        for r in results.iter_mut() {
            let by_check = w.check.as_deref() == Some(r.rule.as_str());
            let by_control = w.control.is_some() && w.control == control_of(&r.rule);
            let covered = w.resources.is_empty()
                || w.resources
                    .iter()
                    .any(|p| onus_discover::bind::wildcard(p, &r.resource));
            if (by_check || by_control) && covered && r.waived.is_none() {
                r.waived = Some(WaiverRef {
                    reason: w.reason.clone(),
                    approver: Some(w.approver.clone()),
                    expires: w.expires.clone(),
                    source: source.clone(),
                });
            }
        }
    }
    for w in inline_waivers {
        let source = format!("{}:{}", w.file, w.line);
        if w.check.is_empty() || w.reason.is_empty() || parse_date(&w.until).is_none() {
            problems.push(WaiverProblem {
                source,
                message: "an inline waiver needs a check, reason=\"...\" and until=YYYY-MM-DD"
                    .into(),
            });
            continue;
        }
        if expired(&w.until) {
            problems.push(WaiverProblem {
                source,
                message: format!("inline waiver of `{}` expired on {}", w.check, w.until),
            });
            continue;
        }
        // The resource the comment sits on: the first one starting at or after it within five lines, else the one
        // whose block it is inside (the last one starting before it).
        let in_file: Vec<usize> = (0..results.len())
            .filter(|&i| results[i].file == w.file)
            .collect();
        let after = in_file
            .iter()
            .filter(|&&i| results[i].line >= w.line && results[i].line <= w.line + 5)
            .map(|&i| results[i].line)
            .min();
        let target_line = after.or_else(|| {
            in_file
                .iter()
                .filter(|&&i| results[i].line < w.line)
                .map(|&i| results[i].line)
                .max()
        });
        let Some(target_line) = target_line else {
            continue;
        };
        for &i in &in_file {
            let r = &mut results[i];
            if r.line == target_line && r.rule == w.check && r.waived.is_none() {
                r.waived = Some(WaiverRef {
                    reason: w.reason.clone(),
                    approver: None,
                    expires: w.until.clone(),
                    source: source.clone(),
                });
            }
        }
    }
    problems
}
