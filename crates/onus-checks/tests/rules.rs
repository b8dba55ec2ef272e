//! Every bundled check, on its own fixtures: it fails on `fail` and passes on `pass`. The snapshot lists each
//! check's outcomes and message, so a change in any check's behaviour shows in review.

use onus_checks::{load, run_fixtures, Outcome};
use onus_core::catalog::{self, SourceFile};

fn catalog() -> onus_core::Catalog {
    let files: Vec<SourceFile> = onus_catalog_data::files()
        .iter()
        .map(|(p, t)| SourceFile::new(*p, *t))
        .collect();
    catalog::build(&[files]).0
}

fn rules() -> Vec<onus_core::model::RuleFile> {
    let cat = catalog();
    let files: Vec<SourceFile> = onus_catalog_data::rules()
        .iter()
        .map(|(p, t)| SourceFile::new(format!("rules/{p}"), *t))
        .collect();
    let (rules, diags) = load(&cat, &files);
    assert!(
        diags.is_empty(),
        "{:#?}",
        diags.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    rules
}

#[test]
fn every_check_fails_its_fail_fixture_and_passes_its_pass_fixture() {
    let rules = rules();
    let mut transcript = String::new();
    let mut wrong = Vec::new();
    for r in &rules {
        let (fail, pass) = run_fixtures(r);
        if fail != Some(Outcome::Fail) || pass != Some(Outcome::Pass) {
            wrong.push(format!(
                "{}: fail fixture -> {fail:?}, pass fixture -> {pass:?}",
                r.id
            ));
        }
        transcript.push_str(&format!(
            "{} [{} {}] fail:{} pass:{}\n",
            r.id,
            r.control,
            r.severity.as_str(),
            fail.map(Outcome::as_str).unwrap_or("none"),
            pass.map(Outcome::as_str).unwrap_or("none"),
        ));
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    insta::assert_snapshot!(transcript);
}

#[test]
fn check_ids_are_unique_and_name_their_provider() {
    let rules = rules();
    for r in &rules {
        let provider = r.id.split('-').next().unwrap();
        assert!(
            ["aws", "azure", "gcp", "k8s", "generic"].contains(&provider),
            "{}: ids start with the provider",
            r.id
        );
        assert!(
            !r.references.is_empty(),
            "{}: cite the provider's page",
            r.id
        );
    }
}

/// docs/checks/<id>.md is generated from each check; `UPDATE_DOCS=1 cargo test -p onus-checks` rewrites them.
#[test]
fn generated_check_docs_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/checks");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let rules = rules();
    let mut index = String::from("# Checks\n\nGenerated from `rules/`; `onus rules ID` prints the same page.\n\n| check | control | severity | title |\n|---|---|---|---|\n");
    let mut stale = Vec::new();
    let mut check = |name: String, text: String| {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    };
    for r in &rules {
        index.push_str(&format!(
            "| [{0}]({0}.md) | `{1}` | {2} | {3} |\n",
            r.id,
            r.control,
            r.severity.as_str(),
            r.title
        ));
        check(format!("{}.md", r.id), onus_checks::markdown(r));
    }
    check("README.md".to_string(), index);
    // Pages of checks that no longer exist.
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name != "README.md" && !rules.iter().any(|r| format!("{}.md", r.id) == name) {
            if update {
                std::fs::remove_file(e.path()).unwrap();
            } else {
                stale.push(format!("{name} (no such check)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale check docs (run UPDATE_DOCS=1 cargo test -p onus-checks): {stale:?}"
    );
}
