//! The bundled checks, and 20 Rego policies, over 100,000 resources (targets: checks under 2 s, checks and policies
//! under 5 s, on the 2-core machine). Run: `cargo bench -p onus-checks --bench checks`.
//!
//! The resources are the bundled checks' own fixtures (every resource type a check is written for, failing and
//! passing), repeated with distinct addresses until there are 100,000, each in one of 2,000 workloads of tiers 1-3.

use criterion::{criterion_group, criterion_main, Criterion};
use onus_checks::policies::Policies;
use onus_core::catalog::{self, SourceFile};
use onus_core::model::RuleFile;
use onus_discover::Resource;
use serde_json::{json, Value};
use std::hint::black_box;

/// The allocator the `onus` binary uses, so that the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RESOURCES: usize = 100_000;

fn rules() -> Vec<RuleFile> {
    let files: Vec<SourceFile> = onus_catalog_data::files()
        .iter()
        .map(|(p, t)| SourceFile::new(*p, *t))
        .collect();
    let cat = catalog::build(&[files]).0;
    let files: Vec<SourceFile> = onus_catalog_data::rules()
        .iter()
        .map(|(p, t)| SourceFile::new(format!("rules/{p}"), *t))
        .collect();
    onus_checks::load(&cat, &files).0
}

fn resources(rules: &[RuleFile], n: usize) -> Vec<Resource> {
    let mut pool = Vec::new();
    for r in rules {
        let Some((input, path)) = onus_checks::fixture_input(&r.fixtures.input) else {
            continue;
        };
        for text in [&r.fixtures.fail, &r.fixtures.pass] {
            pool.extend(onus_discover::parse_file(input, path, text).resources);
        }
    }
    assert!(pool.len() > 300, "{} fixture resources", pool.len());
    (0..n)
        .map(|i| {
            let mut r = pool[i % pool.len()].clone();
            r.address = format!("{}_{i}", r.address);
            r.name = format!("{}_{i}", r.name);
            r.file = format!("team{:04}/main.tf", i % 2000);
            r.line = (i / 2000) as u32 + 1;
            r
        })
        .collect()
}

fn workload(r: &Resource) -> Value {
    let team: usize = r.file[4..8].parse().unwrap_or(0);
    json!({
        "name": format!("team{team:04}"),
        "tier": team % 3 + 1,
        "classification": (["internal", "confidential", "restricted"][team % 3]),
    })
}

/// Twenty policies in five shapes that teams write: tags, encryption settings, open ingress, backups for tier-1
/// workloads, naming. Half declare `metadata.types`.
fn policies() -> Vec<(String, String)> {
    (0..20)
        .map(|i| {
            let types = if i % 2 == 0 {
                r#", "types": ["aws_s3_bucket", "aws_db_instance", "aws_security_group", "azurerm_storage_account", "google_storage_bucket", "aws_instance"]"#
            } else {
                ""
            };
            let body = match i % 5 {
                0 => format!(
                    r#"kinds := {{"aws_s3_bucket", "aws_db_instance", "aws_instance", "azurerm_storage_account", "google_storage_bucket"}}
deny contains msg if {{
    kinds[input.type]
    input.workload.tier <= {tier}
    not input.tags["cost-center-{i}"]
    msg := sprintf("%s has no cost-center-{i} tag", [input.address])
}}"#,
                    tier = i % 3 + 1
                ),
                1 => r#"deny contains msg if {
    input.type == "aws_s3_bucket"
    not input.attributes.server_side_encryption_configuration
    input.workload.classification != "internal"
    msg := sprintf("%s has no default encryption", [input.address])
}
warn contains msg if {
    input.type == "aws_db_instance"
    object.get(input.attributes, "storage_encrypted", false) != true
    msg := sprintf("%s stores data unencrypted", [input.address])
}"#
                .to_string(),
                2 => format!(
                    r#"deny contains msg if {{
    input.type == "aws_security_group"
    some rule in input.attributes.ingress
    "0.0.0.0/0" in rule.cidr_blocks
    rule.from_port <= {port}
    rule.to_port >= {port}
    msg := sprintf("%s opens port {port} to the internet", [input.address])
}}"#,
                    port = [22, 3389, 5432, 3306][i / 5 % 4]
                ),
                3 => format!(
                    r#"deny contains msg if {{
    input.type == "aws_db_instance"
    input.workload.tier == 1
    retention := object.get(input.attributes, "backup_retention_period", 0)
    is_number(retention)
    retention < {days}
    msg := sprintf("%s keeps %d day(s) of backups", [input.address, retention])
}}"#,
                    days = 7 + i
                ),
                _ => format!(
                    r#"warn contains msg if {{
    startswith(input.type, "{prefix}")
    input.workload.classification == "restricted"
    not startswith(input.name, input.workload.name)
    msg := sprintf("%s is not named after its workload", [input.address])
}}"#,
                    prefix = ["aws_", "azurerm_", "google_", "kubernetes_"][i / 5 % 4]
                ),
            };
            (
                format!("p{i}.rego"),
                format!(
                    "package bench.p{i}\nimport rego.v1\nmetadata := {{\"control\": \"ops.configuration-management\"{types}}}\n{body}\n"
                ),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rules = rules();
    let rs = resources(&rules, RESOURCES);
    let mut g = c.benchmark_group("checks-100k");
    g.sample_size(10);
    g.bench_function("bundled checks", |b| {
        b.iter(|| black_box(onus_checks::run(&rules, &rs)).len())
    });
    let mut policies =
        Policies::load(&policies(), &|_| true, &[]).unwrap_or_else(|d| panic!("{d:?}"));
    let (found, diags) = policies.run(&rs, &workload);
    assert!(diags.is_empty(), "{diags:?}");
    eprintln!(
        "20 policies: {} results over {} resources",
        found.len(),
        rs.len()
    );
    g.bench_function("20 Rego policies", |b| {
        b.iter(|| black_box(policies.run(&rs, &workload)).0.len())
    });
    g.bench_function("bundled checks and 20 Rego policies", |b| {
        b.iter(|| {
            let mut all = onus_checks::run(&rules, &rs);
            all.extend(policies.run(&rs, &workload).0);
            black_box(all).len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
