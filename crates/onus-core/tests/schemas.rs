//! The JSON Schemas under `schemas/` are generated from the Rust types. This test fails when a checked-in schema is
//! stale; run `UPDATE_SCHEMAS=1 cargo test -p onus-core --test schemas` to regenerate them.

mod common;

use onus_core::doc::Kind;
use onus_core::report::MatrixReport;

fn check(file: &str, schema: serde_json::Value) {
    let path = common::repo().join("schemas").join(file);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "schemas/{file} is stale: run `UPDATE_SCHEMAS=1 cargo test -p onus-core --test schemas` and commit the result"
    );
}

#[test]
fn checked_in_schemas_match_the_types() {
    for kind in Kind::ALL {
        check(kind.schema_file(), kind.schema());
    }
    check("matrix-report.schema.json", MatrixReport::schema());
}
