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
