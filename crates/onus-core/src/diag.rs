//! Diagnostics: typed problems in user input, each with a stable code, a place (file, line, column), a message and
//! a hint. Loading never stops at the first problem: every diagnostic in a file is collected.

use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is. Errors make the input unusable (exit code 2); warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Warning,
    Error,
}

/// A position in a source file; both numbers are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };
}

/// One problem found in user input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// A JSON syntax error at the parser's line and column.
    pub fn json_syntax(file: &str, e: &serde_json::Error) -> Diagnostic {
        Diagnostic::new(
            Code::JsonSyntax,
            file,
            Pos {
                line: e.line().max(1) as u32,
                col: e.column().max(1) as u32,
            },
            format!("invalid JSON: {e}"),
        )
        .with_help("check for a missing comma, quote or bracket near this place")
    }

    pub fn new(code: Code, file: &str, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            file: file.to_string(),
            line: pos.line,
            col: pos.col,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {level}[{}]: {}",
            self.file,
            self.line,
            self.col,
            self.code.as_str(),
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

macro_rules! codes {
    ($( $variant:ident = ($code:literal, $sev:ident, $doc:literal), )*) => {
        /// The registry of diagnostic codes. A code is stable: never renamed, never reused for another problem.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( #[doc = $doc] $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            pub fn description(self) -> &'static str {
                match self { $( Code::$variant => $doc, )* }
            }
        }
    };
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

codes! {
    YamlSyntax = ("yaml-syntax", Error, "The file is not well-formed YAML."),
    JsonSyntax = ("json-syntax", Error, "The file is not well-formed JSON."),
    HclSyntax = ("hcl-syntax", Error, "The file is not well-formed Terraform HCL."),
    DuplicateKey = ("duplicate-key", Error, "A mapping names the same key twice; YAML forbids it and the second would silently win."),
    UnknownField = ("unknown-field", Error, "A field that this file type does not have (often a typo)."),
    MissingField = ("missing-field", Error, "A required field is absent."),
    InvalidType = ("invalid-type", Error, "A value has the wrong type (a list where a string belongs, ...)."),
    InvalidValue = ("invalid-value", Error, "A value is outside the allowed set or form."),
    DuplicateId = ("duplicate-id", Error, "Two entries claim the same id or alias."),
    UnknownControl = ("unknown-control", Error, "A control id that the control taxonomy does not define."),
    UnknownModel = ("unknown-model", Error, "A service model id that models.yaml does not define."),
    UnknownService = ("unknown-service", Error, "A service id or alias that the catalog does not know."),
    UnknownVariant = ("unknown-variant", Error, "A variant that the service does not declare."),
    UnknownSource = ("unknown-source", Error, "A cell cites a source key that the entry's `sources` does not define."),
    MissingSource = ("missing-source", Error, "A catalog cell or service cites no source: every claim about a provider carries its source."),
    MissingDuty = ("missing-duty", Error, "A cell's owner needs a duty text (provider, customer, or a note) that is absent."),
    MissingReason = ("missing-reason", Error, "A manifest override has no reason; every departure from the catalog must say why."),
    InvalidId = ("invalid-id", Error, "An id is not of the form `<provider>:<slug>` in kebab-case, or does not match its file."),
    InvalidDate = ("invalid-date", Error, "A date that is not a real calendar date written YYYY-MM-DD."),
    UnknownComponent = ("unknown-component", Error, "A manifest names a component that the workload does not define."),
    DuplicateWorkload = ("duplicate-workload", Error, "Two workloads, or two components of one workload, share a name."),
    UnusedSource = ("unused-source", Warning, "A source is defined but no cell cites it."),
    UnknownTemplate = ("unknown-template", Error, "A template, tier or overlay name that templates.yaml does not define."),
    StaleSource = ("stale-source", Warning, "A source was last checked more than 18 months ago (or on a date still to come); re-read the page and update `checked`."),
    IncompleteService = ("incomplete-service", Warning, "A catalog service does not state every control; the model default fills the rest."),
    IoError = ("io-error", Error, "A file or folder could not be read."),
    NoManifest = ("no-manifest", Error, "No onus.yaml or workloads/*.yaml was found."),
}

/// Did-you-mean: the candidate closest to `input`, if it is close enough to be a likely typo.
pub fn suggest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input_l = input.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let cl = c.to_ascii_lowercase();
        let mut score = strsim::jaro_winkler(&input_l, &cl);
        if !input_l.is_empty() && (cl.ends_with(&format!(":{input_l}")) || cl.contains(&input_l)) {
            score = score.max(0.9);
        }
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_described() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "code {} used twice",
                code.as_str()
            );
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let c = ["aws:rds", "aws:s3", "gcp:cloud-sql"];
        assert_eq!(suggest("aws:rdss", c), Some("aws:rds"));
        assert_eq!(suggest("rds", c), Some("aws:rds"));
        assert_eq!(suggest("completely-different", c), None);
    }

    #[test]
    fn display_points_at_file_line_col() {
        let d = Diagnostic::new(Code::UnknownField, "a.yaml", Pos { line: 3, col: 5 }, "x")
            .with_help("y");
        assert_eq!(
            d.to_string(),
            "a.yaml:3:5: error[unknown-field]: x\n  help: y"
        );
    }
}
