//! End-to-end tests of the `onus` binary: commands, formats, exit codes, and the broken-file corpus.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn onus(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(args)
        .current_dir(repo())
        .env("COLUMNS", "80")
        .env("NO_COLOR", "1")
        .env("ONUS_TODAY", "2026-11-29")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const MINI: &[&str] = &["--catalog", "tests/fixtures/mini-catalog"];

fn mini(args: &[&str]) -> Run {
    let mut all: Vec<&str> = MINI.to_vec();
    all.extend_from_slice(args);
    onus(&all)
}

// --- output formats, on a small fixed catalog so that the snapshots only move when the renderers do -------------

#[test]
fn matrix_table() {
    let r = mini(&["matrix", "tests/fixtures/mini-project"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn matrix_markdown() {
    let r = mini(&[
        "matrix",
        "tests/fixtures/mini-project",
        "--format",
        "markdown",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn matrix_csv() {
    let r = mini(&["matrix", "tests/fixtures/mini-project", "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The override's duty starts with `=`: it must reach a spreadsheet as text, not as a formula.
    assert!(
        r.stdout
            .contains(",\"'=SUM(1,2) then export logs older than 90 days\","),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn matrix_by_framework_shows_template_requirements() {
    let r = mini(&[
        "matrix",
        "tests/fixtures/mini-project",
        "--framework",
        "demo-1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn the_example_shows_template_raised_requirements() {
    // The storefront is `pci`: its PCI DSS view carries the pci template's requirements on their requirement ids.
    let r = onus(&[
        "matrix",
        "examples/shop",
        "--framework",
        "pci-dss-4.0",
        "--workload",
        "storefront",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let row = |id: &str| {
        let start = r
            .stdout
            .find(&format!("\n{id} "))
            .unwrap_or_else(|| panic!("no row {id}:\n{}", r.stdout));
        r.stdout[start + 1..]
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        row("10.5.1").contains("+ classification:pci log-retention-days=365"),
        "{}",
        row("10.5.1")
    );
    assert!(
        row("8.4.2").contains("+ classification:pci mfa-required"),
        "{}",
        row("8.4.2")
    );
    // The analytics workload is `pii` with the data-residency overlay.
    let r = onus(&[
        "matrix",
        "examples/shop",
        "--workload",
        "analytics",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let w = &v["workloads"][0];
    assert_eq!(w["templates"][0], "classification:pii");
    let km = w["rollup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "data.key-management")
        .unwrap();
    assert_eq!(km["requirements"][0]["kind"], "customer-managed-keys");
    assert_eq!(km["requirements"][0]["template"], "classification:pii");
    let lifecycle = w["rollup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "data.lifecycle")
        .unwrap();
    assert!(lifecycle["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["template"] == "overlay:data-residency"));
}

#[test]
fn matrix_json() {
    let r = mini(&["matrix", "tests/fixtures/mini-project", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn who_one_line_and_all_controls() {
    let r = mini(&["who", "acme:db", "data.backup"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "customer — you: Turn on daily backups; they are off by default\n"
    );
    let r = mini(&["who", "acme:fn@zip"]);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn explain_and_compare() {
    let r = mini(&["explain", "acme:fn"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("explain", r.stdout);
    let r = mini(&["compare", "acme:db", "acme:fn@zip", "acme:fn@image"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("compare", r.stdout);
}

// --- the bundled catalog and the example -------------------------------------------------------------------------

#[test]
fn example_matrix_json_validates_against_the_documented_schema() {
    let r = onus(&["matrix", "examples/shop", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/matrix-report.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["workloads"].as_array().unwrap().len(), 3);
}

#[test]
fn markdown_and_csv_render_the_same_cells_as_json() {
    let json: serde_json::Value =
        serde_json::from_str(&onus(&["matrix", "examples/shop", "--format", "json"]).stdout)
            .unwrap();
    let mut cells = Vec::new();
    for w in json["workloads"].as_array().unwrap() {
        for c in w["components"].as_array().unwrap() {
            for cell in c["cells"].as_array().unwrap() {
                cells.push((
                    w["name"].as_str().unwrap().to_string(),
                    c["name"].as_str().unwrap().to_string(),
                    cell["control"].as_str().unwrap().to_string(),
                    cell["owner"].as_str().unwrap().to_string(),
                    cell["basis"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    assert!(cells.len() > 400);
    // CSV: one row per cell, same order (a duty can hold a line break inside quotes, so parse fields properly).
    let csv = onus(&["matrix", "examples/shop", "--format", "csv"]).stdout;
    let rows = parse_csv(&csv);
    assert_eq!(
        rows[0][..7],
        [
            "workload",
            "component",
            "service",
            "variant",
            "control",
            "owner",
            "basis"
        ]
    );
    let from_csv: Vec<_> = rows[1..]
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                r[1].clone(),
                r[4].clone(),
                r[5].clone(),
                r[6].clone(),
            )
        })
        .collect();
    assert_eq!(from_csv, cells);
    // Markdown: one row per cell in each component's table, same owner and basis.
    let md = onus(&["matrix", "examples/shop", "--format", "markdown"]).stdout;
    let mut md_cells = Vec::new();
    let (mut workload, mut component) = (String::new(), String::new());
    for line in md.lines() {
        if let Some(w) = line.strip_prefix("## ") {
            workload = w.to_string();
        } else if let Some(c) = line.strip_prefix("### ") {
            component = c.split(" — ").next().unwrap().to_string();
        } else if line.starts_with("| `") && !component.is_empty() {
            let f: Vec<&str> = line.split(" | ").collect();
            if f.len() >= 3
                && !f[1].contains(' ')
                && ["provider", "customer", "shared", "not-applicable"].contains(&f[1])
            {
                md_cells.push((
                    workload.clone(),
                    component.clone(),
                    f[0].trim_start_matches("| `")
                        .trim_end_matches('`')
                        .to_string(),
                    f[1].to_string(),
                    f[2].to_string(),
                ));
            }
        }
    }
    assert_eq!(md_cells, cells);
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

#[test]
fn csv_cells_are_safe_in_a_spreadsheet() {
    let csv = onus(&["matrix", "examples/shop", "--format", "csv"]).stdout;
    for row in parse_csv(&csv) {
        for f in row {
            assert!(
                !f.starts_with(['=', '+', '-', '@']),
                "formula-like cell reaches the spreadsheet: {f}"
            );
        }
    }
}

#[test]
fn who_explain_compare_work_for_every_canonical_service_and_variant() {
    let list: serde_json::Value =
        serde_json::from_str(&onus(&["catalog", "list", "--format", "json"]).stdout).unwrap();
    for &id in onus_core::catalog::CANONICAL_SERVICES {
        let entry = list["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{id}"));
        let mut refs = vec![id.to_string()];
        for v in entry["variants"].as_array().unwrap() {
            refs.push(format!("{id}@{}", v.as_str().unwrap()));
        }
        for r in &refs {
            let who = onus(&["who", r, "host.os-patching"]);
            assert_eq!(who.code, 0, "{r}: {}", who.stderr);
            assert_eq!(who.stdout.lines().count(), 1, "{r}");
            let json: serde_json::Value = serde_json::from_str(
                &onus(&["who", r, "data.encryption-at-rest", "--format", "json"]).stdout,
            )
            .unwrap();
            let cell = &json["cells"][0];
            assert!(
                cell["owner"].is_string()
                    && cell["basis"].is_string()
                    && !cell["sources"].as_array().unwrap().is_empty(),
                "{r}"
            );
            let ex = onus(&["explain", r, "--control", "logging.audit"]);
            assert_eq!(ex.code, 0, "{r}");
            assert!(ex.stdout.contains("source: "), "{r}");
        }
        let cmp = onus(&["compare", id, "aws:s3", "gcp:cloud-storage"]);
        assert_eq!(cmp.code, 0, "{id}");
        let rows = cmp
            .stdout
            .lines()
            .filter(|l| l.contains('.') && !l.starts_with(' '))
            .count();
        assert!(rows >= 35, "{id}: {rows} rows");
    }
}

#[test]
fn variants_change_the_answer() {
    let zip = onus(&[
        "who",
        "aws:lambda@zip",
        "runtime.patching",
        "--format",
        "json",
    ])
    .stdout;
    let image = onus(&[
        "who",
        "aws:lambda@container-image",
        "runtime.patching",
        "--format",
        "json",
    ])
    .stdout;
    let owner = |s: &str| {
        serde_json::from_str::<serde_json::Value>(s).unwrap()["cells"][0]["owner"].clone()
    };
    assert_ne!(owner(&zip), owner(&image));
    assert_eq!(owner(&image), "customer");
}

#[test]
fn catalog_stats_meets_the_foundation_bar() {
    let s: serde_json::Value =
        serde_json::from_str(&onus(&["catalog", "stats", "--format", "json"]).stdout).unwrap();
    assert!(s["services"].as_u64().unwrap() >= 40);
    assert_eq!(s["controls"], 35);
    assert_eq!(s["cells_without_source"], 0);
    assert!(s["providers"]["aws"].as_u64().unwrap() >= 15);
    assert!(s["providers"]["azure"].as_u64().unwrap() >= 12);
    assert!(s["providers"]["gcp"].as_u64().unwrap() >= 12);
    assert_eq!(s["controls_mapped_to_every_framework"], 35);
    assert_eq!(s["frameworks"].as_array().unwrap().len(), 7);
    // Assumed cells are counted overall and per provider, and the generic provider rests on them.
    let assumed = s["cells_assumed"].as_u64().unwrap();
    let per: u64 = s["cells_by_provider"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["assumed"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(assumed, per);
    assert!(
        s["cells_by_provider"]["generic"]["assumed"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(s["templates"]["classifications"], 6);
    let lint = onus(&["catalog", "lint"]);
    assert_eq!(lint.code, 0, "{}", lint.stdout);
    assert!(
        lint.stdout.ends_with("0 error(s), 0 warning(s)\n"),
        "{}",
        lint.stdout
    );
}

// --- discovery -------------------------------------------------------------------------------------------------

#[test]
fn scan_of_the_example_finds_the_planted_database_and_unmapped_type() {
    let r = onus(&["scan", "examples/shop"]);
    assert_eq!(r.code, 1, "drift exits 1: {}{}", r.stdout, r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("infra/storefront/prototype.tf:4:1: undeclared-service:"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("infra/storefront/prototype.tf:14:1: unmapped-type:"),
        "{}",
        r.stdout
    );
    let r = onus(&["scan", "examples/shop", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["kind"], "scan");
    let inputs: std::collections::BTreeSet<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["input"].as_str().unwrap())
        .collect();
    // The example's own Terraform, CloudFormation (SAM) and Kubernetes files.
    assert_eq!(
        inputs.into_iter().collect::<Vec<_>>(),
        ["cloudformation", "kubernetes", "terraform-hcl"]
    );
    let by = |a: &str| {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == a)
            .unwrap_or_else(|| panic!("no {a}"))
            .clone()
    };
    assert_eq!(by("module.network.aws_vpc.this")["component"], "network");
    assert_eq!(by("ChargeFunction")["component"], "payments-fn");
    assert_eq!(
        by("recommendations/Deployment/recommender")["component"],
        "recommendations"
    );
    assert_eq!(
        by("aws_s3_bucket.store[\"invoices\"]")["component"],
        "assets"
    );
    let undeclared = items_where(&v["findings"], "code", "undeclared-service");
    assert_eq!(undeclared.len(), 1, "{undeclared:#?}");
    assert_eq!(undeclared[0]["service"], "aws:dynamodb");
    // --fail-on drift still fails on the undeclared database; never does not.
    assert_eq!(
        onus(&["scan", "examples/shop", "--fail-on", "drift"]).code,
        1
    );
    assert_eq!(
        onus(&["scan", "examples/shop", "--fail-on", "never"]).code,
        0
    );
    // Excluding the prototype removes both planted findings.
    let r = onus(&[
        "scan",
        "examples/shop",
        "--exclude",
        "**/prototype.tf",
        "--fail-on",
        "drift",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn init_from_proposes_a_manifest_that_binds_what_it_found() {
    let dir = std::env::temp_dir().join(format!("onus-init-from-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let r = onus(&[
        "init",
        d,
        "--from",
        "examples/shop/infra",
        "--team",
        "platform",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.join("onus.yaml")).unwrap();
    assert!(text.contains("- name: \"storefront\""), "{text}");
    assert!(text.contains("service: aws:dynamodb"), "{text}");
    assert!(text.contains("Types no catalog service lists (their controls resolve to customer, assumed): aws_appflow_flow"), "{text}");
    // The proposal is a valid manifest: the matrix resolves it, and a scan binds every mapped resource.
    assert_eq!(onus(&["matrix", d]).code, 0);
    let r = onus(&["scan", d, "examples/shop/infra", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"undeclared-service"), "{codes:?}");
    assert!(codes.contains(&"unmapped-type"), "{codes:?}");
    // It does not overwrite.
    assert_eq!(onus(&["init", d, "--from", "examples/shop/infra"]).code, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn scan_as_sarif_validates_against_the_sarif_2_1_0_schema() {
    // Fetched by scripts/test-deps (the README's test command runs it): Microsoft's SARIF 2.1.0 schema.
    let path = std::env::var("ONUS_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/test-deps/sarif-schema-2.1.0.json"));
    let schema_text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/test-deps (or the README's test command)",
            path.display()
        )
    });
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let r = onus(&["scan", "examples/shop", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let log: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[i]["id"], res["ruleId"],
            "ruleIndex points at its rule"
        );
    }
    let undeclared = results
        .iter()
        .find(|x| x["ruleId"] == "undeclared-service")
        .unwrap();
    let region = &undeclared["locations"][0]["physicalLocation"];
    assert_eq!(
        region["artifactLocation"]["uri"],
        "infra/storefront/prototype.tf"
    );
    assert_eq!(region["region"]["startLine"], 4);
}

#[test]
fn scan_as_junit_is_well_formed_xml_with_consistent_counts() {
    use quick_xml::events::Event;
    let r = onus(&["scan", "examples/shop", "--format", "junit"]);
    let mut reader = quick_xml::Reader::from_str(&r.stdout);
    let (mut cases, mut failures, mut suites, mut root_tests) = (0, 0, 0, None);
    let mut depth = 0i32;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                depth += 1;
                count(&e, &mut cases, &mut failures, &mut suites, &mut root_tests);
            }
            Event::Empty(e) => count(&e, &mut cases, &mut failures, &mut suites, &mut root_tests),
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    fn count(
        e: &quick_xml::events::BytesStart,
        cases: &mut usize,
        failures: &mut usize,
        suites: &mut usize,
        root: &mut Option<usize>,
    ) {
        match e.name().as_ref() {
            b"testcase" => *cases += 1,
            b"failure" => *failures += 1,
            b"testsuite" => *suites += 1,
            b"testsuites" => {
                let tests = e.try_get_attribute("tests").unwrap().unwrap();
                *root = Some(String::from_utf8_lossy(&tests.value).parse().unwrap());
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "balanced");
    assert_eq!(suites, 2);
    assert_eq!(root_tests, Some(cases));
    assert!(failures >= 3, "{}", r.stdout);
    assert!(r
        .stdout
        .contains("classname=\"undeclared-service\" name=\"aws_dynamodb_table.carts_prototype\""));
}

#[test]
fn scan_runs_the_checks_and_reports_failures_with_their_place() {
    let dir = folder_with(
        "scan-checks",
        "db.tf",
        "resource \"aws_db_instance\" \"plain\" {\n  engine = \"postgres\"\n}\n\nresource \"aws_db_instance\" \"enc\" {\n  storage_encrypted = var.encrypt\n}\n",
    );
    let r = onus(&["scan", dir.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let get = |a: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["rule"] == "aws-rds-storage-encrypted" && c["resource"] == a)
            .unwrap()
            .clone()
    };
    assert_eq!(get("aws_db_instance.plain")["outcome"], "fail");
    assert_eq!(get("aws_db_instance.plain")["line"], 1);
    // A variable without a default is unknown at scan time: neither pass nor fail.
    assert_eq!(get("aws_db_instance.enc")["outcome"], "unknown");
    assert_eq!(r.code, 1, "a failing check exits 1");
    let quiet = onus(&["scan", dir.to_str().unwrap(), "--no-checks"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(quiet.code, 0, "{}", quiet.stdout);
}

#[test]
fn imported_sarif_marks_the_cells_it_concerns() {
    // Another scanner's results, which know nothing of onus: mapped by their rules' words and placed by file.
    let r = onus(&[
        "matrix",
        "examples/shop",
        "--import",
        "tests/fixtures/sarif/other-scanner.sarif",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("3 open and 0 passing result(s) placed"),
        "{}",
        r.stderr
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let marked = |w: &str| -> Vec<(String, String)> {
        v["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == w)
            .unwrap()["rollup"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| {
                c["scanner_findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |f| {
                        (
                            c["control"].as_str().unwrap().to_string(),
                            f["rule"].as_str().unwrap().to_string(),
                        )
                    })
            })
            .collect()
    };
    let mut storefront = marked("storefront");
    storefront.sort();
    assert_eq!(
        storefront,
        [
            (
                "data.encryption-at-rest".to_string(),
                "EX-AWS-0017".to_string()
            ),
            (
                "network.access-control".to_string(),
                "EX-AWS-0102".to_string()
            )
        ]
    );
    assert_eq!(
        marked("analytics"),
        [("data.key-management".to_string(), "EX-GCP-0007".to_string())]
    );
    assert!(marked("workforce-identity").is_empty());
    // The table marks the cell and lists the result under the duty.
    let t = onus(&[
        "matrix",
        "examples/shop",
        "--workload",
        "storefront",
        "--import",
        "tests/fixtures/sarif/other-scanner.sarif",
    ]);
    assert!(
        t.stdout
            .contains("# examplescan EX-AWS-0017 (error) at infra/storefront/main.tf:77"),
        "{}",
        t.stdout
    );

    // onus's own SARIF round-trips: each failing check lands on its check's control.
    let dir = std::env::temp_dir().join(format!("onus-sarif-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sarif = dir.join("onus.sarif");
    std::fs::write(
        &sarif,
        onus(&["scan", "examples/shop", "--format", "sarif"]).stdout,
    )
    .unwrap();
    let r = onus(&[
        "matrix",
        "examples/shop",
        "--import",
        sarif.to_str().unwrap(),
        "--format",
        "json",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let backup = v["workloads"][0]["rollup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "data.backup")
        .unwrap();
    assert!(
        backup["scanner_findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "aws-dynamodb-point-in-time-recovery"),
        "{backup:#}"
    );
}

#[test]
fn waivers_keep_results_listed_and_expired_ones_are_findings() {
    let dir = std::env::temp_dir().join(format!("onus-waivers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("db.tf"),
        "resource \"aws_db_instance\" \"a\" {\n  engine = \"postgres\"\n}\n\n\
         # onus:waive aws-rds-multi-az reason=\"single-AZ test database\" until=2027-06-30\n\
         resource \"aws_db_instance\" \"b\" {\n  engine = \"postgres\"\n}\n",
    )
    .unwrap();
    let manifest = |expires: &str| {
        format!(
            "workloads:\n  - name: db\n    owner: {{team: t}}\n    classification: internal\n    tier: 3\n    paths: [.]\n    components: [{{name: db, service: aws:rds}}]\n\
             waivers:\n  - {{control: data.encryption-at-rest, resources: [\"aws_db_instance.*\"], reason: \"encrypted at the volume layer\", approver: alice, expires: \"{expires}\"}}\n"
        )
    };
    std::fs::write(dir.join("onus.yaml"), manifest("2027-01-31")).unwrap();
    let d = dir.to_str().unwrap();
    let r = onus(&["scan", d, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let result = |rule: &str, res: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["rule"] == rule && c["resource"] == res)
            .unwrap()
            .clone()
    };
    // Waived results keep their outcome and are listed with the waiver.
    let enc = result("aws-rds-storage-encrypted", "aws_db_instance.a");
    assert_eq!(enc["outcome"], "fail");
    assert_eq!(enc["waived"]["approver"], "alice");
    let inline = result("aws-rds-multi-az", "aws_db_instance.b");
    assert_eq!(inline["waived"]["source"], "db.tf:5");
    assert!(result("aws-rds-multi-az", "aws_db_instance.a")["waived"].is_null());
    // --no-inline-waivers ignores the comment.
    let r = onus(&["scan", d, "--format", "json", "--no-inline-waivers"]);
    let v2: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v2["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["rule"] != "aws-rds-multi-az" || c["waived"].is_null()));
    // An expired waiver no longer applies and is itself a finding.
    std::fs::write(dir.join("onus.yaml"), manifest("2026-01-31")).unwrap();
    let r = onus(&["scan", d, "--format", "json"]);
    let v3: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v3["waiver_problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("expired on 2026-01-31"));
    assert_eq!(r.code, 1);
    // A waiver without an expiry date is bad input.
    std::fs::write(dir.join("onus.yaml"), manifest("someday")).unwrap();
    let r = onus(&["scan", d]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("error[invalid-date]"), "{}", r.stderr);
}

#[test]
fn rego_policies_run_with_workload_context_and_bad_ones_are_reported() {
    let r = onus(&[
        "scan",
        "examples/shop",
        "--policy",
        "examples/policies",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rego: Vec<(String, String, String)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"].as_str().unwrap().starts_with("rego:"))
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["control"].as_str().unwrap().to_string(),
                c["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The storefront is tier 1: its database must keep 14 days of backups (the policy reads input.workload.tier).
    assert!(
        rego.contains(&(
            "rego:onus.backup_retention".into(),
            "data.backup-retention".into(),
            "aws_db_instance.orders".into()
        )),
        "{rego:#?}"
    );
    assert!(
        rego.contains(&(
            "rego:onus.tagging".into(),
            "ops.configuration-management".into(),
            "aws_dynamodb_table.carts_prototype".into()
        )),
        "{rego:#?}"
    );
    // Tagged resources pass the tagging policy.
    assert!(!rego
        .iter()
        .any(|(p, _, a)| p == "rego:onus.tagging" && a == "aws_db_instance.orders"));

    let dir = std::env::temp_dir().join(format!("onus-rego-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.rego"),
        "package bad\n\ndeny[msg] {\n  msg := \n}\n",
    )
    .unwrap();
    let r = onus(&["scan", "examples/shop", "--policy", dir.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("bad.rego:") && r.stderr.contains("does not compile"),
        "{}",
        r.stderr
    );
    // A policy that runs too long is stopped and reported, not waited for.
    std::fs::write(
        dir.join("bad.rego"),
        "package slow\n\nmetadata := {\"control\": \"data.backup\"}\n\ndeny[msg] {\n  input.type == \"aws_db_instance\"\n  n := count([x | x := numbers.range(1, 50000000)[_]])\n  n > 0\n  msg := \"slow\"\n}\n",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let r = onus(&[
        "scan",
        "examples/shop",
        "--policy",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(start.elapsed().as_secs() < 120);
    assert!(r.stderr.contains("stopped on"), "{}", r.stderr);
    assert_eq!(r.code, 2);
}

/// The items of a JSON array whose `key` is `value`.
fn items_where<'a>(
    list: &'a serde_json::Value,
    key: &str,
    value: &str,
) -> Vec<&'a serde_json::Value> {
    list.as_array()
        .expect("an array")
        .iter()
        .filter(|x| x[key] == value)
        .collect()
}

/// A new folder under the temporary directory (named for the test and this process) holding one file.
fn folder_with(name: &str, file: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("onus-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
    dir
}

#[test]
fn rego_warnings_are_listed_but_do_not_fail_the_run() {
    let dir = folder_with(
        "rego-warn",
        "warn.rego",
        "package shop.naming\nimport rego.v1\nmetadata := {\"control\": \"ops.configuration-management\"}\nwarn contains msg if {\n  input.type == \"aws_db_instance\"\n  msg := sprintf(\"%s: consider a naming prefix\", [input.address])\n}\n",
    );
    let policy = dir.to_str().unwrap();
    // Without the prototype file (planted drift), the example passes a `--fail-on checks` gate.
    let gate = [
        "scan",
        "examples/shop",
        "--no-checks",
        "--fail-on",
        "checks",
        "--exclude",
        "infra/storefront/prototype.tf",
    ];
    let base = onus(&gate);
    let with_policy: Vec<&str> = gate
        .iter()
        .copied()
        .chain(["--policy", policy, "--format", "json"])
        .collect();
    let r = onus(&with_policy);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let warned = items_where(&v["checks"], "rule", "rego:shop.naming");
    assert!(!warned.is_empty());
    assert!(warned.iter().all(|c| c["outcome"] == "warn"), "{warned:?}");
    // Warnings alone do not turn a passing run into a failing one.
    assert_eq!(base.code, 0, "{}", base.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let as_format = |f: &str| {
        onus(&[
            "scan",
            "examples/shop",
            "--no-checks",
            "--policy",
            policy,
            "--format",
            f,
        ])
    };
    let junit = as_format("junit");
    assert!(
        junit
            .stdout
            .contains("<system-out>warning: aws_db_instance."),
        "{}",
        junit.stdout
    );
    let sarif = as_format("sarif");
    let s: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert!(s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["ruleId"] == "rego:shop.naming" && x["level"] == "warning"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rules_lists_the_bundled_checks_and_documents_each() {
    let r = onus(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rules = v["rules"].as_array().unwrap();
    assert!(rules.len() >= 150, "{} checks", rules.len());
    let r = onus(&["rules", "aws-rds-storage-encrypted"]);
    assert!(
        r.stdout.starts_with("# aws-rds-storage-encrypted: "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("## Fails") && r.stdout.contains("## Passes"));
    let r = onus(&["rules", "aws-rds-storage-encryptd"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("did you mean `aws-rds-storage-encrypted`?"),
        "{}",
        r.stderr
    );
    assert_eq!(onus(&["rules", "lint"]).code, 0);
}

#[test]
fn scan_reports_unparseable_files_and_goes_on() {
    let dir = std::env::temp_dir().join(format!("onus-scan-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.tf"),
        "resource \"aws_s3_bucket\" \"x\" {\n  bucket = \n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("good.tf"), "resource \"aws_sqs_queue\" \"q\" {}\n").unwrap();
    let r = onus(&["scan", dir.to_str().unwrap(), "--format", "json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.tf:2:"), "{}", r.stderr);
    assert!(r.stderr.contains("error[hcl-syntax]"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["address"] == "aws_sqs_queue.q"));
}

// --- bad input ---------------------------------------------------------------------------------------------------

/// Each file under tests/broken is named after the diagnostic code it must produce.
#[test]
fn broken_corpus_reports_each_planted_error_with_a_position() {
    let mut transcript = String::new();
    let mut cases: Vec<(PathBuf, &str)> = Vec::new();
    for kind in ["catalog", "manifest"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/broken").join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        cases.extend(entries.into_iter().map(|p| (p, kind)));
    }
    assert!(cases.len() >= 25);
    for (path, kind) in cases {
        let rel = path
            .strip_prefix(repo())
            .unwrap()
            .to_string_lossy()
            .to_string();
        let code = path.file_stem().unwrap().to_string_lossy().to_string();
        let r = if kind == "catalog" {
            onus(&["catalog", "lint", &rel])
        } else {
            onus(&["matrix", &rel])
        };
        let text = if kind == "catalog" {
            &r.stdout
        } else {
            &r.stderr
        };
        assert_eq!(r.code, 2, "{rel}: {text}");
        let expected = if code == "many-errors" {
            "error[".to_string()
        } else {
            format!("error[{code}]")
        };
        assert!(
            text.contains(&expected),
            "{rel} should report {expected}:\n{text}"
        );
        for line in text.lines().filter(|l| l.contains("error[")) {
            let (place, _) = line.split_once(": error[").unwrap();
            let parts: Vec<&str> = place.rsplitn(3, ':').collect();
            assert!(
                parts.len() == 3
                    && parts[0].parse::<u32>().is_ok()
                    && parts[1].parse::<u32>().is_ok(),
                "no line:col in {line}"
            );
            assert!(parts[2].starts_with("tests/broken/"), "{line}");
        }
        transcript.push_str(&format!("$ {rel}\n{text}\n"));
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn lint_warns_about_sources_not_checked_for_18_months() {
    let out = Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(["catalog", "lint", "tests/fixtures/mini-catalog"])
        .current_dir(repo())
        .env("ONUS_TODAY", "2028-05-01")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings do not fail: {stdout}");
    assert!(
        stdout.contains("acme/db.yaml:8:86: warning[stale-source]: source `https://docs.acme.example/db/ops` was last checked 18 months ago (2026-11-01)"),
        "{stdout}"
    );
}

#[test]
fn one_run_reports_every_problem_in_a_file() {
    let r = onus(&["catalog", "lint", "tests/broken/catalog/many-errors.yaml"]);
    for code in [
        "duplicate-id",
        "missing-duty",
        "unknown-source",
        "missing-source",
        "unknown-field",
        "unknown-control",
    ] {
        assert!(
            r.stdout.contains(&format!("error[{code}]")),
            "{code} missing:\n{}",
            r.stdout
        );
    }
}

#[test]
fn unreadable_and_odd_input_is_an_error_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("onus-test-odd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &[u8]); 5] = [
        ("empty.yaml", b""),
        ("binary.yaml", &[0xff, 0xfe, 0x00, 0x01]),
        ("list.yaml", b"- a\n- b\n"),
        ("two-docs.yaml", b"workloads: []\n---\nworkloads: []\n"),
        (
            "deep.yaml",
            b"workloads: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n",
        ),
    ];
    for (name, bytes) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let r = onus(&["matrix", p.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(name), "{name}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{name}");
    }
    let r = onus(&["matrix", dir.join("missing").to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("io-error"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_names_suggest_the_right_one() {
    let r = onus(&["who", "aws:rdss"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `aws:rds`?"), "{}", r.stderr);
    let r = onus(&["who", "aws:eks@automode"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("aws:eks@auto-mode"), "{}", r.stderr);
    let r = onus(&["who", "aws:rds", "host.os-patchin"]);
    assert!(r.stderr.contains("host.os-patching"), "{}", r.stderr);
    let r = onus(&["matrix", "examples/shop", "--workload", "storefrnt"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `storefront`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn init_writes_a_manifest_that_resolves_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("onus-test-init-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let r = onus(&[
        "init",
        d,
        "--name",
        "checkout",
        "--team",
        "pay",
        "--classification",
        "pci",
        "--service",
        "aws:rds",
        "--service",
        "api=aws:lambda@zip",
        "--service",
        "gcp:bigquery",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = onus(&["matrix", d, "--format", "json"]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    let v: serde_json::Value = serde_json::from_str(&m.stdout).unwrap();
    let comps: Vec<&str> = v["workloads"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(comps, ["rds", "api", "bigquery"]);
    assert_eq!(v["workloads"][0]["classification"], "pci");
    let again = onus(&["init", d, "--service", "aws:s3"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"));
    let bad = onus(&["init", d, "--force", "--service", "aws:nope"]);
    assert_eq!(bad.code, 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn matrix_by_framework_groups_requirements() {
    let r = onus(&[
        "matrix",
        "examples/shop",
        "--framework",
        "pci-dss-4.0",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["kind"], "matrix-by-framework");
    let reqs = v["workloads"][0]["requirements"].as_array().unwrap();
    let req = |id: &str| {
        reqs.iter()
            .find(|r| r["requirement"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    // 8.4.2 (MFA) maps to identity.mfa, which is the customer's on every service of the storefront.
    assert_eq!(req("8.4.2")["owner"], "customer");
    assert_eq!(req("8.4.2")["controls"][0]["control"], "identity.mfa");
    // Requirements are in natural order.
    let ids: Vec<&str> = reqs
        .iter()
        .map(|r| r["requirement"].as_str().unwrap())
        .collect();
    let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(pos("2.2.1") < pos("10.2.1"));
    let bad = onus(&["matrix", "examples/shop", "--framework", "pci-dss-40"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("did you mean `pci-dss-4.0`?"),
        "{}",
        bad.stderr
    );
    let list = onus(&["catalog", "frameworks", "--format", "json"]);
    let l: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(l["frameworks"].as_array().unwrap().len(), 7);
    assert!(l["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["controls_mapped"] == 35));
}
