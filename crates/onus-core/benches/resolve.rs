//! Resolve 1,000 workloads of 50 components each against the bundled catalog (target: under 100 ms).
//! Run: `cargo bench -p onus-core --bench resolve`.

use criterion::{criterion_group, criterion_main, Criterion};
use onus_core::catalog::{self, SourceFile};
use onus_core::model::{Classification, Component, Override, OwnerTeam, Workload};
use onus_core::resolve::Resolver;
use onus_core::Owner;
use std::collections::BTreeMap;
use std::hint::black_box;

fn corpus(cat: &onus_core::Catalog, workloads: usize, components: usize) -> Vec<Workload> {
    // Every service and every variant, round-robin, so that all resolution paths are exercised.
    let mut refs: Vec<(String, Option<String>)> = Vec::new();
    for s in cat.services.values() {
        refs.push((s.id.clone(), None));
        for v in s.variants.keys() {
            refs.push((s.id.clone(), Some(v.clone())));
        }
    }
    (0..workloads)
        .map(|w| {
            let comps: Vec<Component> = (0..components)
                .map(|c| {
                    let (service, variant) = refs[(w * components + c) % refs.len()].clone();
                    Component {
                        name: format!("c{c}"),
                        service,
                        variant,
                        notes: None,
                        select: None,
                    }
                })
                .collect();
            let mut overrides = BTreeMap::new();
            overrides.insert(
                "logging.audit".to_string(),
                Override {
                    owner: Owner::Customer,
                    reason: "central trail".into(),
                    components: vec!["c1".into()],
                    customer: None,
                    provider: None,
                },
            );
            Workload {
                name: format!("w{w}"),
                description: None,
                owner: OwnerTeam {
                    team: "t".into(),
                    on_call: None,
                },
                classification: Classification::Confidential,
                tier: 1,
                components: comps,
                overrides,
                evidence: BTreeMap::new(),
                escalation: None,
                review: None,
                paths: Vec::new(),
                overlays: vec!["data-residency".into()],
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let files: Vec<SourceFile> = onus_catalog_data::files()
        .iter()
        .map(|(p, t)| SourceFile::new(*p, *t))
        .collect();
    let (cat, diags) = catalog::build(std::slice::from_ref(&files));
    assert!(diags.iter().all(|d| !d.is_error()));
    let workloads = corpus(&cat, 1000, 50);
    let mut g = c.benchmark_group("resolve");
    g.sample_size(20);
    g.bench_function("1000 workloads x 50 components", |b| {
        b.iter(|| {
            let mut resolver = Resolver::new(&cat);
            let n: usize = workloads
                .iter()
                .map(|w| resolver.workload(black_box(w)).unwrap().components.len())
                .sum();
            black_box(n)
        })
    });
    g.bench_function("load and validate the bundled catalog", |b| {
        b.iter(|| black_box(catalog::build(std::slice::from_ref(&files))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
