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
