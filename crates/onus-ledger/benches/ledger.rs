//! Append and verify throughput of the SQLite ledger (docs/benchmarks.md).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use onus_ledger::sqlite::SqliteStore;
use onus_ledger::{verify, Draft, Store};
use serde_json::json;

fn draft(i: u64) -> Draft {
    Draft {
        at: "2026-11-29T10:00:00Z".into(),
        kind: "attestation".into(),
        actor: format!("person-{}", i % 17),
        workload: Some(format!("workload-{}", i % 40)),
        data: json!({"control": "data.backup", "link": format!("https://wiki.example/evidence/{i}"), "expires": "2027-06-30"}),
    }
}

fn appends(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("onus-ledger-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = SqliteStore::open(&dir.join("ledger.db")).expect("open");
    let mut i = 0;
    let mut g = c.benchmark_group("ledger");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append (on disk, one transaction each)", |b| {
        b.iter(|| {
            i += 1;
            store.append(draft(i)).expect("append")
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn verifies(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("onus-ledger-bench-v-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("ledger.db");
    let mut store = SqliteStore::open(&path).expect("open");
    // 100,000 entries, sealed here and stored in one transaction to keep the set-up short.
    let mut prev = onus_ledger::GENESIS.to_string();
    let mut batch = Vec::with_capacity(100_000);
    for i in 1..=100_000u64 {
        let e = onus_ledger::Entry::seal(draft(i), i, &prev);
        prev = e.hash.clone();
        batch.push(e);
    }
    store.append_sealed(&batch).expect("fill");
    let mut g = c.benchmark_group("ledger");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("verify 100,000 entries", |b| {
        b.iter(|| verify(&store, None).expect("sound"))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, appends, verifies);
criterion_main!(benches);
