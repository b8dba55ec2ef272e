//! Reading other scanners' results (SARIF 2.1.0) so that they count for the controls they test.
//!
//! A result is mapped onto an onus control by, in order: a `control` property on the result or on its rule
//! descriptor (onus writes one), a rule tag that is a control id, a rule id that is an onus check id, the
//! catalog's mapping table of well-known third-party rule ids (`catalog/third-party/`: Checkov, Trivy, tfsec,
//! KICS), and last by the words of the rule's name and description (`encrypt` and `kms` -> key management or
//! encryption at rest, `public` -> network access, `tls` -> encryption in transit, ...) for rules the table does
//! not know. Results of level `note` or `none`, and those
//! with `kind` other than `fail`/`open`/absent, are not open findings; results of `kind: pass` are kept as passing
//! evidence.

use onus_core::diag::{Code, Diagnostic, Pos};
use onus_core::model::RuleFile;
use onus_core::Catalog;
use serde_json::Value;

/// One imported result.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub tool: String,
    pub rule: String,
    pub level: String,
    pub message: String,
    /// The artifact URI as written (`file://` and a leading `./` removed).
    pub file: String,
    pub line: u32,
    /// The onus control, when the result could be mapped.
    pub control: Option<String>,
    /// How the control was found: `property`, `tag`, `onus-check`, `mapping-table` or `keywords`.
    pub via: Option<&'static str>,
    /// A passing result (`kind: pass`): evidence that the control holds, not a finding.
    pub passed: bool,
}

fn bad(path: &str, msg: String) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, path, Pos { line: 1, col: 1 }, msg).with_help(
        "expected a SARIF 2.1.0 log (`version: 2.1.0`, `runs[].tool.driver`, `runs[].results`)",
    )
}

pub fn parse(
    cat: &Catalog,
    checks: &[RuleFile],
    path: &str,
    text: &str,
) -> Result<Vec<Imported>, Diagnostic> {
    let v: Value = serde_json::from_str(text).map_err(|e| Diagnostic::json_syntax(path, &e))?;
    if v.get("version").and_then(Value::as_str) != Some("2.1.0") {
        return Err(bad(path, "not a SARIF 2.1.0 log".into()));
    }
    let runs = v
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(path, "no `runs`".into()))?;
    let as_control = |s: &str| cat.control(s).map(|c| c.id.clone());
    let mut out = Vec::new();
    for run in runs {
        let driver = run.pointer("/tool/driver");
        let tool = driver
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("unknown tool")
            .to_string();
        let rules: Vec<&Value> = driver
            .and_then(|d| d.get("rules"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        for r in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let level = r.get("level").and_then(Value::as_str).unwrap_or("warning");
            let kind = r.get("kind").and_then(Value::as_str).unwrap_or("fail");
            let passed = kind == "pass";
            if !passed
                && (!matches!(level, "error" | "warning") || !matches!(kind, "fail" | "open"))
            {
                continue;
            }
            let descriptor = r
                .get("ruleIndex")
                .and_then(Value::as_u64)
                .and_then(|i| rules.get(i as usize).copied())
                .or_else(|| {
                    let id = r.get("ruleId")?.as_str()?;
                    rules
                        .iter()
                        .copied()
                        .find(|d| d.get("id").and_then(Value::as_str) == Some(id))
                });
            let rule = r
                .get("ruleId")
                .and_then(Value::as_str)
                .or_else(|| descriptor.and_then(|d| d.get("id")).and_then(Value::as_str))
                .unwrap_or("")
                .to_string();
            let found = |via: &'static str| move |c: String| (c, via);
            let control = r
                .pointer("/properties/control")
                .and_then(Value::as_str)
                .and_then(as_control)
                .or_else(|| {
                    descriptor?
                        .pointer("/properties/control")?
                        .as_str()
                        .and_then(as_control)
                })
                .map(found("property"))
                .or_else(|| {
                    descriptor?
                        .pointer("/properties/tags")?
                        .as_array()?
                        .iter()
                        .filter_map(Value::as_str)
                        .find_map(as_control)
                        .map(found("tag"))
                })
                .or_else(|| {
                    checks
                        .iter()
                        .find(|c| c.id == rule)
                        .map(|c| (c.control.clone(), "onus-check"))
                })
                .or_else(|| {
                    cat.scanner_rule(&tool, &rule)
                        .map(|(_, m)| (m.control.clone(), "mapping-table"))
                })
                .or_else(|| {
                    let mut words = rule.clone();
                    for p in ["/name", "/shortDescription/text", "/fullDescription/text"] {
                        if let Some(t) = descriptor
                            .and_then(|d| d.pointer(p))
                            .and_then(Value::as_str)
                        {
                            words.push(' ');
                            words.push_str(t);
                        }
                    }
                    if let Some(t) = r.pointer("/message/text").and_then(Value::as_str) {
                        words.push(' ');
                        words.push_str(t);
                    }
                    by_keywords(&words)
                        .and_then(as_control)
                        .map(found("keywords"))
                });
            let (control, via) = match control {
                Some((c, v)) => (Some(c), Some(v)),
                None => (None, None),
            };
            let loc = r.pointer("/locations/0/physicalLocation");
            let file = loc
                .and_then(|l| l.pointer("/artifactLocation/uri"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim_start_matches("file://")
                .trim_start_matches("./")
                .to_string();
            let line = loc
                .and_then(|l| l.pointer("/region/startLine"))
                .and_then(Value::as_u64)
                .unwrap_or(0) as u32;
            let message = r
                .pointer("/message/text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            out.push(Imported {
                tool: tool.clone(),
                rule,
                level: level.to_string(),
                message,
                file,
                line,
                control,
                via,
                passed,
            });
        }
    }
    Ok(out)
}

/// The control a scanner rule most likely tests, from the words of its id, name, description and message. The
/// first matching row wins, so the specific rows come first.
pub fn by_keywords(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| t.contains(w));
    const ROWS: &[(&[&str], &str)] = &[
        (
            &["mfa", "multi-factor", "multi factor", "two-factor", "2fa"],
            "identity.mfa",
        ),
        (
            &[
                "key rotation",
                "rotate",
                "rotation",
                "customer managed key",
                "customer-managed key",
                "cmek",
                "cmk",
            ],
            "data.key-management",
        ),
        (
            &[
                "tls",
                "ssl",
                "https",
                "in transit",
                "in-transit",
                "transit encryption",
                "certificate",
            ],
            "network.encryption-in-transit",
        ),
        (&["encrypt", "kms", "sse"], "data.encryption-at-rest"),
        (
            &[
                "point-in-time",
                "point in time",
                "pitr",
                "backup",
                "versioning",
                "snapshot",
            ],
            "data.backup",
        ),
        (&["retention"], "logging.retention"),
        (
            &["cloudtrail", "audit log", "activity log", "audit logging"],
            "logging.audit",
        ),
        (
            &["access log", "logging", "flow log", "log "],
            "logging.access",
        ),
        (
            &[
                "public",
                "0.0.0.0",
                "internet",
                "ingress",
                "security group",
                "firewall",
                "network acl",
                "private endpoint",
                "exposed",
            ],
            "network.access-control",
        ),
        (
            &["password", "secret", "access key", "credential", "token"],
            "identity.credentials",
        ),
        (
            &[
                "iam",
                "rbac",
                "privilege",
                "admin",
                "wildcard",
                "policy",
                "role",
            ],
            "identity.access-policies",
        ),
        (
            &[
                "patch",
                "upgrade",
                "outdated",
                "version",
                "end of life",
                "eol",
            ],
            "runtime.patching",
        ),
        (&["vulnerab", "cve", "scan"], "app.vulnerability-scanning"),
        (
            &["guardduty", "defender", "threat"],
            "monitoring.threat-detection",
        ),
        (
            &[
                "deletion protection",
                "multi-az",
                "multi az",
                "zone redundan",
                "replica",
            ],
            "resilience.architecture",
        ),
        (
            &[
                "imds",
                "metadata",
                "privileged",
                "root",
                "host network",
                "capabilit",
            ],
            "host.hardening",
        ),
    ];
    ROWS.iter().find(|(ws, _)| has(ws)).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::by_keywords;

    #[test]
    fn scanner_rules_find_their_control_by_their_words() {
        assert_eq!(
            by_keywords("RDS instance storage is not encrypted"),
            Some("data.encryption-at-rest")
        );
        assert_eq!(
            by_keywords("S3 bucket allows public read access"),
            Some("network.access-control")
        );
        assert_eq!(
            by_keywords("KMS key rotation is disabled"),
            Some("data.key-management")
        );
        assert_eq!(
            by_keywords("Load balancer listener does not use TLS 1.2"),
            Some("network.encryption-in-transit")
        );
        assert_eq!(
            by_keywords("Root account has no MFA device"),
            Some("identity.mfa")
        );
        assert_eq!(
            by_keywords("DynamoDB point-in-time recovery disabled"),
            Some("data.backup")
        );
        assert_eq!(by_keywords("Resource has a description"), None);
    }
}
