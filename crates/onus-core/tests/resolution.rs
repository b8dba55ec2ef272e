mod common;

use onus_core::catalog::SourceFile;
use onus_core::manifest;
use onus_core::resolve::{resolve_cell, resolve_workload, Basis};
use onus_core::Owner;

#[test]
fn catalog_cell_wins_over_the_model_default() {
    let cat = common::mini();
    let db = cat.service("acme:db").unwrap();
    let c = resolve_cell(&cat, db, None, "data.backup");
    assert_eq!((c.owner, c.basis), (Owner::Customer, Basis::Catalog));
    assert_eq!(c.defaults, vec!["Backups are off by default."]);
    assert_eq!(c.sources[0].url, "https://docs.acme.example/db/ops");
}

#[test]
fn model_default_fills_an_unstated_control_with_its_sources() {
    let cat = common::mini();
    let db = cat.service("acme:db").unwrap();
    let c = resolve_cell(&cat, db, None, "host.os-patching");
    assert_eq!((c.owner, c.basis), (Owner::Provider, Basis::ServiceModel));
    assert_eq!(
        c.provider_duty.as_deref(),
        Some("Patches the hosts it runs.")
    );
    assert_eq!(c.customer_duty, None);
    assert_eq!(c.sources.len(), 1);
}

#[test]
fn nothing_known_is_assumed_customer() {
    let cat = common::mini();
    let db = cat.service("acme:db").unwrap();
    // The dbaas model says nothing about logging.audit and neither does the service.
    let c = resolve_cell(&cat, db, None, "logging.audit");
    assert_eq!((c.owner, c.basis), (Owner::Customer, Basis::Assumed));
    assert_eq!(c.customer_duty.as_deref(), Some("Keep audit logs on."));
    assert!(c.sources.is_empty());
    // `unstated` in the catalog is also assumed customer, and keeps its source and note.
    let r = resolve_cell(&cat, db, None, "data.restore-testing");
    assert_eq!((r.owner, r.basis), (Owner::Customer, Basis::Assumed));
    assert!(r.note.unwrap().contains("says nothing about restore tests"));
    assert_eq!(r.sources.len(), 1);
}

#[test]
fn variants_move_the_line_and_the_default_variant_is_the_worst_case() {
    let cat = common::mini();
    let f = cat.service("acme:fn").unwrap();
    let zip = resolve_cell(&cat, f, Some("zip"), "host.os-patching");
    assert_eq!(zip.owner, Owner::Provider);
    assert_eq!(zip.variant, None);
    let image = resolve_cell(&cat, f, Some("image"), "host.os-patching");
    assert_eq!(image.owner, Owner::Customer);
    assert_eq!(image.variant.as_deref(), Some("image"));
    let unnamed = resolve_cell(&cat, f, None, "host.os-patching");
    assert_eq!(
        unnamed.owner,
        Owner::Customer,
        "no variant named: the default variant applies"
    );
}

fn project(cat: &onus_core::Catalog) -> Vec<manifest::LoadedWorkload> {
    let path = common::repo().join("tests/fixtures/mini-project/onus.yaml");
    let files = [SourceFile::new(
        "onus.yaml",
        std::fs::read_to_string(path).unwrap(),
    )];
    let (ws, diags) = manifest::load(cat, &files);
    assert!(diags.is_empty(), "{diags:#?}");
    ws
}

#[test]
fn overrides_apply_to_the_named_components_with_their_reason() {
    let cat = common::mini();
    let ws = project(&cat);
    let m = resolve_workload(&cat, &ws[0].workload).unwrap();
    let audit = |comp: &str| {
        let c = m.components.iter().find(|c| &*c.name == comp).unwrap();
        c.cells
            .iter()
            .find(|c| c.control == "logging.audit")
            .unwrap()
            .clone()
    };
    let db = audit("db");
    assert_eq!((db.owner, db.basis), (Owner::Shared, Basis::Override));
    assert_eq!(
        db.override_reason.as_deref(),
        Some("Acme keeps 90 days; we export the rest")
    );
    assert_eq!(
        audit("worker").basis,
        Basis::Assumed,
        "the override names only `db`"
    );
}

#[test]
fn roll_up_follows_the_documented_rule() {
    let cat = common::mini();
    let ws = project(&cat);
    let m = resolve_workload(&cat, &ws[0].workload).unwrap();
    let r = |id: &str| m.rollup.iter().find(|r| r.control == id).unwrap();
    // host.os-patching: db provider (model), worker provider, api provider (zip), job customer (image) -> customer.
    assert_eq!(r("host.os-patching").owner, Owner::Customer);
    assert_eq!(
        r("host.os-patching").customer_components,
        vec![std::sync::Arc::from("job")]
    );
    // data.backup: customer on db and worker -> customer, with the workload's evidence.
    assert_eq!(r("data.backup").owner, Owner::Customer);
    assert_eq!(r("data.backup").evidence.len(), 1);
    // restore testing is assumed on db: flagged.
    assert!(r("data.restore-testing").assumed);
    // Aliases resolve: `acmedb` is acme:db.
    assert_eq!(m.components[1].service, "acme:db");
}

// --- templates -----------------------------------------------------------------------------------------------------

fn workloads(cat: &onus_core::Catalog, yaml: &str) -> Vec<onus_core::WorkloadMatrix> {
    let (ws, diags) = manifest::load(cat, &[SourceFile::new("onus.yaml", yaml)]);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    ws.iter()
        .map(|w| resolve_workload(cat, &w.workload).unwrap())
        .collect()
}

const TEMPLATED: &str = "
workloads:
  - name: people
    owner: {team: t}
    classification: pii
    tier: 1
    components: [{name: page, service: acme:fn, variant: zip}]
  - name: status
    owner: {team: t}
    classification: internal
    tier: 3
    overlays: [scanned]
    review: {cadence-days: 30}
    components: [{name: page, service: acme:fn, variant: zip}]
";

#[test]
fn classification_and_tier_templates_attach_their_requirements() {
    let cat = common::mini();
    let ws = workloads(&cat, TEMPLATED);
    let people = &ws[0];
    assert_eq!(people.templates, ["classification:pii", "tier:1"]);
    assert_eq!(people.review_cadence_days, Some(90));
    let cell = |w: &onus_core::WorkloadMatrix, c: &str| {
        w.rollup.iter().find(|r| r.control == c).unwrap().clone()
    };
    // pii extends internal: it inherits internal's `requires` and adds its own.
    assert_eq!(
        cell(people, "logging.audit").required_by,
        ["classification:pii"]
    );
    assert_eq!(
        cell(people, "data.backup").required_by,
        ["classification:pii"]
    );
    let audit = cell(people, "logging.audit");
    assert_eq!(audit.requirements.len(), 1);
    assert_eq!(audit.requirements[0].value, Some(365));
    assert_eq!(audit.requirements[0].template, "classification:pii");
    let restore = cell(people, "data.restore-testing");
    assert_eq!(restore.requirements[0].template, "tier:1");
    // host.os-patching is the provider's on a zip function and no template touches it here.
    let os = cell(people, "host.os-patching");
    assert_eq!((os.owner, os.raised_from), (Owner::Provider, None));
}

#[test]
fn an_overlay_requirement_makes_a_provider_control_shared() {
    let cat = common::mini();
    let ws = workloads(&cat, TEMPLATED);
    let status = &ws[1];
    assert_eq!(
        status.templates,
        ["classification:internal", "tier:3", "overlay:scanned"]
    );
    // The manifest's own cadence wins over the tier's.
    assert_eq!(status.review_cadence_days, Some(30));
    let os = status
        .rollup
        .iter()
        .find(|r| r.control == "host.os-patching")
        .unwrap();
    assert_eq!(os.owner, Owner::Shared);
    assert_eq!(os.raised_from, Some(Owner::Provider));
    assert_eq!(os.requirements[0].template, "overlay:scanned");
    // internal does not carry pii's retention requirement.
    let audit = status
        .rollup
        .iter()
        .find(|r| r.control == "logging.audit")
        .unwrap();
    assert!(audit.requirements.is_empty());
}

#[test]
fn an_unknown_overlay_is_reported_with_a_suggestion() {
    let cat = common::mini();
    let yaml = TEMPLATED.replace("[scanned]", "[scaned]");
    let (_, diags) = manifest::load(&cat, &[SourceFile::new("onus.yaml", yaml.as_str())]);
    let d = diags
        .iter()
        .find(|d| d.code == onus_core::Code::UnknownTemplate)
        .expect("unknown-template reported");
    assert_eq!(d.help.as_deref(), Some("did you mean `scanned`?"));
    assert_eq!((d.line, d.col), (12, 16));
}

#[test]
fn template_files_are_checked() {
    let bad = "
classifications:
  pii: {name: P, description: d, extends: nope}
  secret: {name: S, description: d}
tiers:
  \"7\": {name: T, description: d}
overlays:
  a:
    name: A
    description: d
    extends: b
    requirements:
      - {control: data.bakup, kind: restore-test-days, text: t}
      - {control: data.backup, kind: mfa-required, value: 3, text: t}
  b: {name: B, description: d, extends: a}
";
    let mut files = common::read_dir(&common::repo().join("tests/fixtures/mini-catalog"));
    files.retain(|f| !f.path.ends_with("templates.yaml"));
    files.push(SourceFile::new("templates.yaml", bad));
    let (_, diags) = onus_core::catalog::build(&[files]);
    let msgs: Vec<String> = diags
        .iter()
        .map(|d| format!("{}:{} {} {}", d.line, d.col, d.code.as_str(), d.message))
        .collect();
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(
        has("unknown-template template `pii` extends unknown `nope`"),
        "{msgs:#?}"
    );
    assert!(
        has("invalid-value `secret` is not a valid key under `classifications`"),
        "{msgs:#?}"
    );
    assert!(
        has("invalid-value `7` is not a valid key under `tiers`"),
        "{msgs:#?}"
    );
    assert!(has("extends itself"), "{msgs:#?}");
    assert!(
        has("unknown-control unknown control `data.bakup`"),
        "{msgs:#?}"
    );
    assert!(
        has("missing-field requirement `restore-test-days` needs a `value`"),
        "{msgs:#?}"
    );
    assert!(
        has("invalid-value requirement `mfa-required` takes no `value`"),
        "{msgs:#?}"
    );
}

#[test]
fn stale_and_future_sources_are_warned_about() {
    let files = common::read_dir(&common::repo().join("tests/fixtures/mini-catalog"));
    let (_, none) =
        onus_core::catalog::build_as_of(std::slice::from_ref(&files), Some("2026-11-28"));
    assert!(
        none.iter().all(|d| d.code != onus_core::Code::StaleSource),
        "{none:#?}"
    );
    let (_, later) =
        onus_core::catalog::build_as_of(std::slice::from_ref(&files), Some("2030-01-01"));
    let stale: Vec<_> = later
        .iter()
        .filter(|d| d.code == onus_core::Code::StaleSource)
        .collect();
    assert!(!stale.is_empty());
    assert!(stale
        .iter()
        .all(|d| !d.is_error() && d.message.contains("months ago")));
    let (_, earlier) = onus_core::catalog::build_as_of(&[files], Some("2020-01-01"));
    assert!(earlier
        .iter()
        .any(|d| d.code == onus_core::Code::StaleSource && d.message.contains("still to come")));
}
