//! End-to-end tests of governance over time: the ledger, reviews, attestations, imported evidence and `onus check`,
//! each on a private copy of the example project.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run onus in `dir` at a fixed time.
fn at(dir: &Path, now: &str, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(args)
        .current_dir(dir)
        .env("COLUMNS", "100")
        .env("ONUS_NOW", now)
        .env_remove("ONUS_TODAY")
        .env_remove("ONUS_LEDGER")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const NOW: &str = "2026-11-29T12:00:00Z";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A private copy of the example project.
fn example(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onus-gov-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&repo().join("examples/shop"), &dir);
    dir
}

fn json(o: &Out) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", o.stdout, o.stderr))
}

fn cell<'a>(matrix: &'a Value, workload: &str, control: &str) -> &'a Value {
    matrix["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == workload)
        .unwrap()["rollup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == control)
        .unwrap()
}

#[test]
fn review_status_shows_the_planted_change_that_made_storefront_overdue() {
    let r = at(
        &repo(),
        NOW,
        &["review", "status", "examples/shop", "--format", "json"],
    );
    assert_eq!(r.code, 1, "an overdue review fails: {}", r.stderr);
    let v = json(&r);
    assert_eq!(
        (v["kind"].as_str(), v["schema_version"].as_u64()),
        (Some("review-status"), Some(1))
    );
    let w = |name: &str| {
        v["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["workload"] == name)
            .unwrap()
            .clone()
    };
    let s = w("storefront");
    assert_eq!(s["state"], "overdue", "{s:#}");
    assert_eq!(s["last_review"], "2026-11-02");
    assert_eq!(s["reviewer"], "Sam Okafor");
    let reasons: Vec<(String, String)> = s["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["state"].as_str().unwrap().into(),
                r["text"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        reasons.iter().any(|(st, t)| st == "overdue"
            && t.contains("component `recommendations` (aws:eks@managed-node-groups) was added")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(st, t)| st == "due" && t.contains("carts_prototype")),
        "the undeclared table makes a review due: {reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(_, t)| t.contains("identity.access-review")
                && t.contains("expired on 2026-11-20")),
        "{reasons:#?}"
    );
    // analytics was reviewed in August on a 180-day cadence: fine until February.
    assert_eq!(w("analytics")["state"], "ok");
    assert_eq!(w("workforce-identity")["state"], "overdue");
    // Within the grace period the same change is only due.
    let early = at(
        &repo(),
        "2026-11-10",
        &[
            "review",
            "status",
            "examples/shop",
            "--no-scan",
            "--format",
            "json",
        ],
    );
    let v2 = json(&early);
    assert_eq!(
        v2["workloads"][0]["state"], "due",
        "{:#}",
        v2["workloads"][0]
    );
}

#[test]
fn recording_a_review_clears_the_change_and_the_ledger_verifies() {
    let dir = example("review");
    let rec = at(
        &dir,
        NOW,
        &[
            "review",
            "record",
            "--workload",
            "storefront",
            "--reviewer",
            "Ana Lima",
            "--notes",
            "EKS added",
        ],
    );
    assert_eq!(rec.code, 0, "{}", rec.stderr);
    assert!(rec.stdout.contains("as entry 7 of"), "{}", rec.stdout);
    assert!(
        rec.stdout.contains("next review due by 2027-02-27"),
        "{}",
        rec.stdout
    );
    let v = json(&at(&dir, NOW, &["review", "status", "--format", "json"]));
    let s = &v["workloads"][0];
    assert_eq!(s["last_review"], "2026-11-29");
    let texts = s["reasons"].to_string();
    assert!(!texts.contains("matrix changed"), "{texts}");
    assert_eq!(
        s["state"], "due",
        "the undeclared table still asks for a review: {s:#}"
    );
    // The JSON-lines ledger shipped with the example grew by one line and still chains.
    let ver = at(&dir, NOW, &["ledger", "verify"]);
    assert_eq!(ver.code, 0, "{}", ver.stderr);
    assert!(
        ver.stdout.contains("7 entries, chain intact"),
        "{}",
        ver.stdout
    );
    // Change one byte of the first entry: verify names entry 1 and fails.
    let path = dir.join(".onus/ledger.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("Priya Nair", "Priya Naír", 1)).unwrap();
    let bad = at(&dir, NOW, &["ledger", "verify"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("ledger broken at entry 1"),
        "{}",
        bad.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn attestations_count_until_they_expire_and_export_import_round_trips() {
    let dir = example("attest");
    let db = dir.join("own.db");
    let db = db.to_str().unwrap();
    let r = at(
        &dir,
        NOW,
        &[
            "--ledger",
            db,
            "evidence",
            "attest",
            "--workload",
            "storefront",
            "--control",
            "host.malware-protection",
            "--by",
            "Ana Lima",
            "--link",
            "https://tickets.example.com/SEC-1",
            "--expires",
            "2026-12-31",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = json(&at(
        &dir,
        NOW,
        &["--ledger", db, "matrix", "--format", "json", "--no-checks"],
    ));
    let c = cell(&m, "storefront", "host.malware-protection");
    assert_eq!(c["evidence_state"], "attested", "{c:#}");
    assert_eq!(c["attestations"][0]["by"], "Ana Lima");
    // After its expiry it no longer counts.
    let m = json(&at(
        &dir,
        "2027-01-02",
        &["--ledger", db, "matrix", "--format", "json", "--no-checks"],
    ));
    assert_eq!(
        cell(&m, "storefront", "host.malware-protection")["evidence_state"],
        "missing"
    );
    // Bad input: unknown control, past expiry.
    let e = at(
        &dir,
        NOW,
        &[
            "--ledger",
            db,
            "evidence",
            "attest",
            "-w",
            "storefront",
            "-c",
            "host.malware",
            "--by",
            "x",
            "--link",
            "y",
        ],
    );
    assert_eq!(e.code, 2);
    assert!(e.stderr.contains("host.malware-protection"), "{}", e.stderr);
    let e = at(
        &dir,
        NOW,
        &[
            "--ledger",
            db,
            "evidence",
            "attest",
            "-w",
            "storefront",
            "-c",
            "data.backup",
            "--by",
            "x",
            "--link",
            "y",
            "--expires",
            "2020-01-01",
        ],
    );
    assert_eq!(e.code, 2, "{}", e.stderr);
    // Export to JSON lines, import into a fresh SQLite ledger: same head.
    let export = at(&dir, NOW, &["--ledger", db, "ledger", "export"]);
    assert_eq!(export.stdout.lines().count(), 1);
    let file = dir.join("history.jsonl");
    std::fs::write(&file, &export.stdout).unwrap();
    let fresh = dir.join("fresh.db");
    let imp = at(
        &dir,
        NOW,
        &[
            "--ledger",
            fresh.to_str().unwrap(),
            "ledger",
            "import",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(imp.code, 0, "{}", imp.stderr);
    let head = |db: &str| {
        at(&dir, NOW, &["--ledger", db, "ledger", "verify"])
            .stdout
            .lines()
            .nth(1)
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(head(db), head(fresh.to_str().unwrap()));
    assert!(head(db).starts_with("head "));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn evidence_import_keeps_the_log_and_marks_the_cells() {
    let dir = example("import");
    let sarif = repo().join("tests/fixtures/sarif/other-scanner.sarif");
    let r = at(
        &dir,
        NOW,
        &["evidence", "import", sarif.to_str().unwrap(), "--by", "ci"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("data.encryption-at-rest"), "{}", r.stdout);
    let stored: Vec<_> = std::fs::read_dir(dir.join(".onus/evidence"))
        .unwrap()
        .collect();
    assert_eq!(stored.len(), 1);
    // Importing the same file again is recognised and not recorded twice.
    let again = at(&dir, NOW, &["evidence", "import", sarif.to_str().unwrap()]);
    assert!(
        again.stdout.contains("already imported"),
        "{}",
        again.stdout
    );
    let export = at(&dir, NOW, &["ledger", "export"]).stdout;
    assert_eq!(export.matches("\"evidence-import\"").count(), 1);
    // `onus matrix` now counts it without `--import`.
    let m = json(&at(&dir, NOW, &["matrix", "--format", "json"]));
    let c = cell(&m, "storefront", "data.encryption-at-rest");
    assert_eq!(c["evidence_state"], "failing", "{c:#}");
    assert_eq!(c["scanner_findings"][0]["rule"], "EX-AWS-0017");
    // A scanner that knows nothing of onus: Checkov's rule ids find their controls through the catalog's table.
    let ck = repo().join("tests/fixtures/sarif/checkov.sarif");
    let r = at(&dir, NOW, &["evidence", "import", ck.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("mapped by: mapping-table 4"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("1 rule(s) map to no control: CKV_AWS_999"),
        "{}",
        r.stdout
    );
    let m = json(&at(&dir, NOW, &["matrix", "--format", "json"]));
    let rules = |w: &str, c: &str| -> Vec<String> {
        cell(&m, w, c)["scanner_findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(rules("storefront", "data.backup").contains(&"CKV_AWS_28".to_string()));
    assert!(rules("storefront", "resilience.architecture").contains(&"CKV_AWS_157".to_string()));
    assert!(rules("analytics", "logging.access").contains(&"CKV_GCP_62".to_string()));
    assert_eq!(
        cell(&m, "storefront", "data.encryption-at-rest")["imported_passes"],
        1
    );
    // A malformed file is refused with its position, and nothing is stored.
    let bad = dir.join("bad.sarif");
    std::fs::write(&bad, "{\n  \"version\": \"2.1.0\",\n  \"runs\": [ }").unwrap();
    let e = at(&dir, NOW, &["evidence", "import", bad.to_str().unwrap()]);
    assert_eq!(e.code, 2);
    assert!(e.stderr.contains("bad.sarif:3:"), "{}", e.stderr);
    assert_eq!(
        std::fs::read_dir(dir.join(".onus/evidence"))
            .unwrap()
            .count(),
        2
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_fails_on_the_planted_problems_and_passes_once_they_are_handled() {
    let dir = example("check");
    let r = at(&dir, NOW, &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let codes: std::collections::BTreeSet<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "failed-check",
        "missing-evidence",
        "undeclared-service",
        "review-overdue",
        "expired-attestation",
    ] {
        assert!(codes.contains(want), "{want} missing from {codes:?}");
    }
    // Handle each: remove the prototype (fixes the drift and its failing checks), waive the remaining failing
    // checks with an approver and an expiry, attest the cells without evidence, record the reviews.
    std::fs::remove_file(dir.join("infra/storefront/prototype.tf")).unwrap();
    let v = json(&at(&dir, NOW, &["check", "--format", "json"]));
    let mut waivers = String::from("waivers:\n");
    let mut seen = std::collections::BTreeSet::new();
    for f in v["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap();
        match f["code"].as_str().unwrap() {
            "failed-check" if seen.insert(rule.to_string()) => waivers.push_str(&format!(
                "  - check: {rule}\n    reason: Accepted until the Q1 hardening sprint.\n    approver: Dana Cruz\n    expires: 2027-03-31\n"
            )),
            "missing-evidence" | "expired-attestation" => {
                let (w, c) = (f["workload"].as_str().unwrap(), f["control"].as_str().unwrap_or(""));
                let c = if c.is_empty() { "identity.access-review" } else { c };
                let a = at(&dir, NOW, &["evidence", "attest", "-w", w, "-c", c, "--by", "Ana Lima", "--link", "https://wiki.example.com/evidence", "--expires", "2027-06-30"]);
                assert_eq!(a.code, 0, "{}", a.stderr);
            }
            _ => {}
        }
    }
    std::fs::write(dir.join(".onus/waivers.yaml"), waivers).unwrap();
    for w in ["storefront", "analytics", "workforce-identity"] {
        let a = at(
            &dir,
            NOW,
            &["review", "record", "-w", w, "--reviewer", "Ana Lima"],
        );
        assert_eq!(a.code, 0, "{}", a.stderr);
    }
    let r = at(&dir, NOW, &["check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("check passed: 0 error(s)"),
        "{}",
        r.stdout
    );
    // Waived results are still listed, as warnings would be, never hidden: the JSON keeps the counts.
    let m = json(&at(&dir, NOW, &["matrix", "--format", "json"]));
    let waived: u64 = m["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["rollup"].as_array().unwrap())
        .map(|c| c["checks"]["waived"].as_u64().unwrap())
        .sum();
    assert!(waived > 0);
    // A waiver that expires brings the gate back to red.
    let later = at(&dir, "2027-04-02", &["check", "--format", "json"]);
    assert_eq!(later.code, 1);
    assert!(later.stdout.contains("expired-waiver"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_speaks_sarif_junit_and_github_annotations() {
    let r = at(
        &repo(),
        NOW,
        &["check", "examples/shop", "--format", "github"],
    );
    assert_eq!(r.code, 1);
    let first = r.stdout.lines().next().unwrap();
    assert!(first.starts_with("::error file="), "{first}");
    assert!(r
        .stdout
        .lines()
        .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")));
    assert!(
        r.stdout
            .contains("line=4,col=1,title=onus undeclared-service::"),
        "{}",
        r.stdout
    );
    let s = at(
        &repo(),
        NOW,
        &["check", "examples/shop", "--format", "sarif"],
    );
    let v: Value = serde_json::from_str(&s.stdout).unwrap();
    let schema_path = repo().join("target/test-deps/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/test-deps", schema_path.display())),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(v["runs"][0]["results"].as_array().unwrap().len() > 10);
    let j = at(
        &repo(),
        NOW,
        &["check", "examples/shop", "--format", "junit"],
    );
    let mut reader = quick_xml::Reader::from_str(&j.stdout);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not XML: {e}"),
        }
    }
    assert!(cases > failures && failures > 10, "{cases} {failures}");
    // --fail-on never reports without failing; a bad format is a usage error.
    assert_eq!(
        at(
            &repo(),
            NOW,
            &["check", "examples/shop", "--fail-on", "never"]
        )
        .code,
        0
    );
    assert_eq!(
        at(&repo(), NOW, &["check", "examples/shop", "--format", "csv"]).code,
        2
    );
}

#[test]
fn concurrent_processes_never_fork_the_chain_and_killed_ones_lose_nothing_acknowledged() {
    let dir = example("concurrency");
    let db = dir.join(".onus/ledger.db");
    let attest = |i: usize| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_onus"));
        c.args([
            "--ledger",
            db.to_str().unwrap(),
            "evidence",
            "attest",
            "-w",
            "storefront",
            "-c",
            "data.backup",
            "--by",
            "ci",
            "--link",
            &format!("https://ci.example.com/run/{i}"),
        ])
        .current_dir(&dir)
        .env("ONUS_NOW", NOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        c
    };
    // Two writers at once, 15 appends each.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let cmds: Vec<Command> = (0..15).map(|i| attest(w * 100 + i)).collect();
            std::thread::spawn(move || {
                for mut c in cmds {
                    assert!(c.status().unwrap().success());
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let v = at(
        &dir,
        NOW,
        &["--ledger", db.to_str().unwrap(), "ledger", "verify"],
    );
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(
        v.stdout.contains("30 entries, chain intact"),
        "{}",
        v.stdout
    );
    // Kill writers at varied moments; every append that was acknowledged must be there, and the chain must hold.
    let mut acknowledged = Vec::new();
    for i in 0..24 {
        let mut child = attest(1000 + i).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis((i as u64 * 7) % 60));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            acknowledged.push(format!("https://ci.example.com/run/{}", 1000 + i));
        }
    }
    let v = at(
        &dir,
        NOW,
        &["--ledger", db.to_str().unwrap(), "ledger", "verify"],
    );
    assert_eq!(v.code, 0, "{}", v.stderr);
    let export = at(
        &dir,
        NOW,
        &["--ledger", db.to_str().unwrap(), "ledger", "export"],
    )
    .stdout;
    for link in &acknowledged {
        assert!(
            export.contains(link.as_str()),
            "acknowledged {link} is missing"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_broken_ledger_is_a_clear_error_and_left_alone() {
    let dir = example("broken");
    let db = dir.join("garbage.db");
    std::fs::write(
        &db,
        "not a database at all, but long enough to look like a file header......",
    )
    .unwrap();
    let before = std::fs::read(&db).unwrap();
    let r = at(
        &dir,
        NOW,
        &[
            "--ledger",
            db.to_str().unwrap(),
            "review",
            "record",
            "-w",
            "storefront",
            "--reviewer",
            "x",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("garbage.db") && r.stderr.contains("not a database"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    // A JSON-lines ledger with a torn last line: verify names it, appends are refused.
    let jl = dir.join(".onus/ledger.jsonl");
    let text = std::fs::read_to_string(&jl).unwrap();
    std::fs::write(&jl, &text[..text.len() - 40]).unwrap();
    let v = at(&dir, NOW, &["ledger", "verify"]);
    assert_eq!(v.code, 1);
    assert!(v.stderr.contains("entry 6"), "{}", v.stderr);
    let a = at(
        &dir,
        NOW,
        &["review", "record", "-w", "storefront", "--reviewer", "x"],
    );
    assert_eq!(a.code, 2, "{}", a.stderr);
    assert!(a.stderr.contains("incomplete"), "{}", a.stderr);
    // --now must be a time.
    assert_eq!(
        at(&dir, NOW, &["--now", "soon", "review", "status"]).code,
        2
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// --- incident response -------------------------------------------------------------------------------------------

fn triage(args: &[&str]) -> Value {
    let mut all = vec!["triage", "examples/shop", "--format", "json"];
    all.extend_from_slice(args);
    let r = at(&repo(), NOW, &all);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    let v = json(&r);
    assert_eq!(v["kind"], "triage");
    v
}

#[test]
fn triage_gives_the_side_the_providers_documentation_supports() {
    // RDS connection timeouts during a regional outage the status page confirms: AWS's infrastructure.
    let t = triage(&[
        "-w",
        "storefront",
        "--component",
        "orders-db",
        "--symptom",
        "outage",
        "--provider-event",
        "yes",
    ]);
    assert_eq!(t["likely"], "provider", "{t:#}");
    assert_eq!(
        t["provider_steps"][0]["status_page"],
        "https://health.aws.amazon.com/health/status"
    );
    assert_eq!(
        t["provider_steps"][0]["support_plan"],
        "business (from the manifest)"
    );
    // The same timeouts with a quiet status page point at your own side.
    let quiet = triage(&[
        "-w",
        "storefront",
        "--component",
        "orders-db",
        "--symptom",
        "outage",
        "--provider-event",
        "no",
    ]);
    assert_eq!(quiet["likely"], "customer");

    // A public bucket found by a researcher: bucket policies and public access blocks are yours.
    let t = triage(&[
        "-w",
        "storefront",
        "--component",
        "assets",
        "--symptom",
        "data-exposure",
    ]);
    assert_eq!(t["likely"], "customer", "{t:#}");
    assert!(t["implicated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["control"] == "network.access-control" && i["owner"] == "customer"));

    // Leaked access keys, wherever they were used: credentials are the customer's on every service.
    let t = triage(&["-w", "storefront", "--symptom", "credential-compromise"]);
    assert_eq!(t["likely"], "customer");
    let steps = t["evidence_steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["control"] == "identity.credentials"));

    // A Lambda runtime CVE: AWS patches managed runtimes of zip functions...
    let t = triage(&[
        "-w",
        "storefront",
        "--component",
        "payments-fn",
        "--symptom",
        "provider-vulnerability",
    ]);
    assert_eq!(t["likely"], "provider", "{t:#}");

    // EKS nodes with an unpatched kernel on managed node groups: AWS publishes AMIs, you roll the nodes.
    let t = triage(&[
        "-w",
        "storefront",
        "--component",
        "recommendations",
        "--symptom",
        "provider-vulnerability",
        "--control",
        "host.os-patching",
    ]);
    assert_eq!(t["likely"], "shared", "{t:#}");
    let node = t["implicated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["control"] == "host.os-patching")
        .unwrap();
    assert!(
        node["customer_duty"]
            .as_str()
            .unwrap()
            .contains("node group"),
        "{node:#}"
    );

    // BigQuery data deleted: backups, time travel settings and who may delete are yours.
    let t = triage(&[
        "-w",
        "analytics",
        "--service",
        "gcp:bigquery",
        "--symptom",
        "data-loss",
    ]);
    assert_eq!(t["likely"], "customer", "{t:#}");
    assert_eq!(t["affected"][0]["component"], "warehouse");
    assert_eq!(
        t["provider_steps"][0]["status_page"],
        "https://status.cloud.google.com/"
    );
    assert!(t["liability"][0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().starts_with("https://cloud.google.com/")));
}

#[test]
fn triage_says_when_the_logs_may_not_exist_and_rejects_unknown_names() {
    let t = triage(&["-w", "storefront", "--symptom", "credential-compromise"]);
    let gaps: Vec<&str> = t["evidence_steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["gap"].as_str())
        .collect();
    // The storefront's audit logging has evidence (an override and the trail's checks) or it does not: whichever,
    // a step that depends on a logging control without passing evidence says so.
    let audit = t["implicated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["control"] == "logging.audit")
        .cloned();
    if let Some(a) = audit {
        if a["evidence"] == "missing" || a["evidence"] == "failing" {
            assert!(gaps.iter().any(|g| g.contains("may not exist")), "{t:#}");
        }
    }
    for (args, hint) in [
        (
            vec!["-w", "storfront", "--symptom", "outage"],
            "did you mean `storefront`",
        ),
        (
            vec!["-w", "storefront", "--symptom", "outtage"],
            "did you mean `outage`",
        ),
        (
            vec![
                "-w",
                "storefront",
                "--component",
                "db",
                "--symptom",
                "outage",
            ],
            "unknown component",
        ),
        (
            vec![
                "-w",
                "storefront",
                "--resource",
                "aws_db_instance.nope",
                "--symptom",
                "outage",
            ],
            "aws_db_instance.orders",
        ),
        (
            vec![
                "-w",
                "storefront",
                "--service",
                "aws:sqs",
                "--symptom",
                "outage",
            ],
            "unknown service for this workload",
        ),
    ] {
        let mut all = vec!["triage", "examples/shop"];
        all.extend(args.iter().copied());
        let r = at(&repo(), NOW, &all);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(hint), "{args:?}: {}", r.stderr);
    }
    // Without a terminal, a missing symptom lists the valid ones.
    let r = at(
        &repo(),
        NOW,
        &["triage", "examples/shop", "-w", "storefront"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("credential-compromise"), "{}", r.stderr);
    // By resource address: the RDS instance is the orders-db component.
    let t = triage(&[
        "-w",
        "storefront",
        "--resource",
        "aws_db_instance.orders",
        "--symptom",
        "latency",
    ]);
    assert_eq!(t["affected"][0]["component"], "orders-db");
}

#[test]
fn playbook_and_drill_work_on_the_example_and_the_drill_is_in_the_ledger() {
    let r = at(
        &repo(),
        NOW,
        &["playbook", "examples/shop", "-w", "storefront"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let md = &r.stdout;
    assert!(md.starts_with("# Incident playbook: storefront"));
    assert!(md.contains("## 1. Decide whose problem it is"));
    assert!(
        md.contains("| orders-db | `aws:rds` | https://health.aws.amazon.com/health/status |"),
        "{md}"
    );
    assert!(md.contains("## 3. Log sources") && md.contains("`logging.audit`"));
    assert!(md.contains("#payments-oncall"));

    let dir = example("drill");
    let answers = dir.join("answers.yaml");
    std::fs::write(
        &answers,
        "who: provider\nfirst-check: resilience.infrastructure\n",
    )
    .unwrap();
    let drill = || {
        at(
            &dir,
            NOW,
            &[
                "drill",
                "-w",
                "storefront",
                "--seed",
                "42",
                "--answers",
                answers.to_str().unwrap(),
                "--format",
                "json",
            ],
        )
    };
    let d = drill();
    assert_eq!(d.code, 0, "{}", d.stderr);
    let v = json(&d);
    // The same seed gives the same scenario.
    let again = json(&drill());
    assert_eq!(
        (&v["component"], &v["symptom"]),
        (&again["component"], &again["symptom"])
    );
    assert!(v["score"].as_u64().unwrap() <= 3);
    let export = at(&dir, NOW, &["ledger", "export"]).stdout;
    let drills: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "drill" && e["workload"] == "storefront")
        .collect();
    assert!(
        drills.len() >= 3,
        "the example's drill and the two new ones"
    );
    assert_eq!(drills.last().unwrap()["data"]["seed"], 42);
    assert_eq!(drills.last().unwrap()["data"]["answers"]["who"], "provider");
    // A drill older than the cadence makes the review due.
    let later = json(&at(
        &dir,
        "2027-03-15",
        &["review", "status", "--no-scan", "--format", "json"],
    ));
    let s = later["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workload"] == "storefront")
        .unwrap();
    assert!(
        s["reasons"]
            .to_string()
            .contains("the last drill was on 2026-11-29"),
        "{s:#}"
    );
    // Without answers and without a terminal, the scenario is printed and the run refused.
    let r = at(&dir, NOW, &["drill", "-w", "storefront"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--answers"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn waivers_are_granted_and_revoked_in_the_users_file_and_recorded() {
    let dir = example("waivers");
    // The user's own file, with a comment that must survive.
    std::fs::create_dir_all(dir.join(".onus")).unwrap();
    std::fs::write(
        dir.join(".onus/waivers.yaml"),
        "# Owned by the platform team.\nwaivers:\n  # the oldest one\n  - check: aws-alb-drop-invalid-header-fields\n    reason: Legacy clients send odd headers.\n    approver: Dana Cruz\n    expires: 2027-01-31\n",
    )
    .unwrap();
    let g = at(
        &dir,
        NOW,
        &[
            "waiver",
            "grant",
            "--check",
            "aws-rds-iam-authentication",
            "--resource",
            "aws_db_instance.orders",
            "--reason",
            "Password auth until Q1",
            "--approver",
            "Dana Cruz",
            "--expires",
            "2027-03-31",
        ],
    );
    assert_eq!(g.code, 0, "{}", g.stderr);
    let text = std::fs::read_to_string(dir.join(".onus/waivers.yaml")).unwrap();
    assert!(
        text.starts_with("# Owned by the platform team.\nwaivers:\n  # the oldest one\n"),
        "{text}"
    );
    let list = at(&dir, NOW, &["waiver", "list"]).stdout;
    assert!(
        list.contains("  1  active   aws-alb-drop-invalid-header-fields"),
        "{list}"
    );
    assert!(
        list.contains("  2  active   aws-rds-iam-authentication"),
        "{list}"
    );
    // The waiver takes effect: the check is waived, counted, not failing.
    let v = json(&at(&dir, NOW, &["check", "--format", "json"]));
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "aws-rds-iam-authentication"));
    // Revoke the first: the second and the header comment stay.
    let r = at(&dir, NOW, &["waiver", "revoke", "1", "--by", "Ana Lima"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.join(".onus/waivers.yaml")).unwrap();
    assert!(
        text.starts_with("# Owned by the platform team.\nwaivers:\n"),
        "{text}"
    );
    assert!(
        !text.contains("aws-alb-drop-invalid-header-fields")
            && text.contains("aws-rds-iam-authentication"),
        "{text}"
    );
    let export = at(&dir, NOW, &["ledger", "export"]).stdout;
    assert!(
        export.contains("\"kind\":\"waiver-granted\"")
            && export.contains("\"kind\":\"waiver-revoked\"")
    );
    // Bad input: an unknown check, both or neither of --check/--control, a past date, a number out of range.
    for args in [
        vec![
            "waiver",
            "grant",
            "--check",
            "aws-nope",
            "--reason",
            "r",
            "--approver",
            "a",
            "--expires",
            "2027-01-01",
        ],
        vec![
            "waiver",
            "grant",
            "--reason",
            "r",
            "--approver",
            "a",
            "--expires",
            "2027-01-01",
        ],
        vec![
            "waiver",
            "grant",
            "--check",
            "aws-rds-multi-az",
            "--reason",
            "r",
            "--approver",
            "a",
            "--expires",
            "2020-01-01",
        ],
        vec!["waiver", "revoke", "9", "--by", "x"],
    ] {
        assert_eq!(at(&dir, NOW, &args).code, 2, "{args:?}");
    }
    // A snapshot entry per workload.
    let s = at(&dir, NOW, &["ledger", "snapshot", "--by", "ci"]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert_eq!(s.stdout.lines().count(), 3, "{}", s.stdout);
    assert_eq!(at(&dir, NOW, &["ledger", "verify"]).code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
