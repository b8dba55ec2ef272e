//! Each parser on fixtures written for this repository (snapshots of the normalized resources), the shared
//! terraform-json documents, and properties that hold on any input.

use onus_discover::{detect, parse_file, terraform, Input, Mode, Parsed, Resource};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(rel: &str) -> (String, String) {
    let text = std::fs::read_to_string(fixtures().join(rel)).unwrap();
    (rel.to_string(), text)
}

/// Resources as compact JSON lines: stable, readable snapshots.
fn lines(rs: &[Resource]) -> String {
    rs.iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse(rel: &str) -> Parsed {
    let (path, text) = read(rel);
    let input = detect(&path, &text).unwrap_or_else(|| panic!("{rel} not detected"));
    parse_file(input, &path, &text)
}

fn by_address<'a>(p: &'a Parsed, a: &str) -> &'a Resource {
    p.resources
        .iter()
        .find(|r| r.address == a)
        .unwrap_or_else(|| {
            panic!(
                "no {a} in {:#?}",
                p.resources.iter().map(|r| &r.address).collect::<Vec<_>>()
            )
        })
}

#[test]
fn terraform_hcl_evaluates_variables_locals_count_for_each_and_local_modules() {
    let root: Vec<(String, String)> = [
        "main.tf",
        "terraform.tfvars",
        "extra.auto.tfvars",
        "json.tf.json",
    ]
    .iter()
    .map(|f| read(&format!("terraform/root/{f}")))
    .collect();
    let modules = vec![(
        "terraform/modules/db".to_string(),
        vec![read("terraform/modules/db/main.tf")],
    )];
    let p = terraform::parse_dir(&root, &modules);
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    // count = var.replicas = 2 from extra.auto.tfvars; env = "prod" from terraform.tfvars.
    let web1 = by_address(&p, "aws_instance.web[1]");
    assert_eq!(web1.tags["Name"], "app-prod-web-1");
    assert_eq!(web1.tags["team"], "payments");
    assert_eq!(
        (web1.file.as_str(), web1.line, web1.col),
        ("terraform/root/main.tf", 19, 1)
    );
    // A reference to another resource is unknown, not guessed.
    assert_eq!(
        web1.attributes["subnet_id"]["$unknown"],
        "aws_subnet.main.id"
    );
    // for_each over a local map: one resource per key, each.value resolved.
    let refunds = by_address(&p, "aws_sqs_queue.q[\"refunds\"]");
    assert_eq!(refunds.attributes["visibility_timeout_seconds"], 60);
    assert_eq!(refunds.attributes["name"], "app-prod-refunds");
    // A local module, with its inputs, under its module address.
    let db = by_address(&p, "module.db.aws_db_instance.this");
    assert_eq!(db.attributes["identifier"], "app-prod-db");
    assert_eq!(db.attributes["allocated_storage"], 20);
    assert_eq!(db.file, "terraform/modules/db/main.tf");
    // Data sources are read, marked as data.
    assert_eq!(
        by_address(&p, "data.aws_caller_identity.me").mode,
        Mode::Data
    );
    // count = 0 creates nothing.
    assert!(!p.resources.iter().any(|r| r.rtype == "aws_s3_bucket"));
    // The registry module is reported, never fetched.
    assert_eq!(p.unresolved_modules.len(), 1);
    assert_eq!(
        p.unresolved_modules[0].source,
        "terraform-aws-modules/vpc/aws"
    );
    // The JSON syntax.
    assert_eq!(by_address(&p, "aws_sns_topic.alerts").tags["team"], "ops");
    insta::assert_snapshot!(lines(&p.resources));
}

#[test]
fn terraform_hcl_syntax_errors_point_at_the_place() {
    let files = vec![(
        "bad/main.tf".to_string(),
        "resource \"aws_s3_bucket\" \"x\" {\n  bucket = \n}\n".to_string(),
    )];
    let p = terraform::parse_dir(&files, &[]);
    assert_eq!(p.diagnostics.len(), 1);
    let d = &p.diagnostics[0];
    assert_eq!(d.code.as_str(), "hcl-syntax");
    assert_eq!((d.file.as_str(), d.line), ("bad/main.tf", 2));
}

#[test]
fn every_shared_terraform_json_document_parses_and_the_invalid_one_fails_clearly() {
    let dir = fixtures().join("terraform-json");
    let mut seen = 0;
    let mut resources = 0;
    let mut summary = String::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("README.md"))
        .collect();
    cases.sort();
    for path in cases {
        let rel = path
            .strip_prefix(fixtures())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).unwrap();
        let input = detect(&rel, &text);
        seen += 1;
        if rel.contains("/invalid/") {
            // Either not recognised as Terraform JSON or rejected with a position.
            let p = parse_file(input.unwrap_or(Input::TerraformPlan), &rel, &text);
            assert!(p.resources.is_empty(), "{rel}");
            let d = p
                .diagnostics
                .first()
                .unwrap_or_else(|| panic!("{rel} parsed without error"));
            assert!(d.line >= 1 && d.col >= 1, "{d}");
            summary.push_str(&format!("{rel}: {}\n", d.code.as_str()));
            continue;
        }
        let input = input.unwrap_or_else(|| panic!("{rel} not detected as Terraform JSON"));
        assert!(
            matches!(input, Input::TerraformPlan | Input::TerraformState),
            "{rel}: {input:?}"
        );
        let p = parse_file(input, &rel, &text);
        assert!(p.diagnostics.is_empty(), "{rel}: {:#?}", p.diagnostics);
        for r in &p.resources {
            assert!(
                !r.rtype.is_empty() && !r.address.is_empty() && r.line >= 1,
                "{rel}: {r:?}"
            );
        }
        resources += p.resources.len();
        summary.push_str(&format!(
            "{rel}: {} {}\n",
            input.as_str(),
            p.resources.len()
        ));
    }
    assert!(seen >= 30, "{seen}");
    assert!(resources > 50, "{resources}");
    insta::assert_snapshot!(summary);
}

#[test]
fn nested_child_modules_in_plans_are_read() {
    let p = parse("terraform-json/deep_module/plan.json");
    assert!(
        p.resources
            .iter()
            .any(|r| r.address.matches("module.").count() >= 2),
        "{:#?}",
        p.resources
    );
}

#[test]
fn cloudformation_yaml_short_forms_and_json() {
    let p = parse("cloudformation/stack.yaml");
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    let bucket = by_address(&p, "Bucket");
    assert_eq!(bucket.rtype, "AWS::S3::Bucket");
    assert_eq!(bucket.tags.get("team").map(String::as_str), Some("data"));
    assert!(
        !bucket.tags.contains_key("env"),
        "a !Ref tag value is unknown, not a string"
    );
    assert_eq!((bucket.line, bucket.col), (6, 3));
    let name = bucket.attributes["BucketName"]["$unknown"]
        .as_str()
        .unwrap();
    assert!(name.contains("Fn::Sub"), "{name}");
    let policy = by_address(&p, "BucketPolicy");
    assert!(policy.attributes["PolicyDocument"]
        .to_string()
        .contains("Fn::GetAtt"));
    assert_eq!(by_address(&p, "Fn").tags["team"], "web");
    let json = parse("cloudformation/queue.json");
    assert_eq!(json.resources.len(), 2);
    assert_eq!(by_address(&json, "Queue").tags["team"], "ops");
    let mut all = p.resources.clone();
    all.extend(json.resources);
    insta::assert_snapshot!(lines(&all));
}

#[test]
fn kubernetes_documents_and_lists() {
    let p = parse("kubernetes/app.yaml");
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    let kinds: Vec<&str> = p.resources.iter().map(|r| r.rtype.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "kubernetes:Deployment",
            "kubernetes:Service",
            "kubernetes:Ingress",
            "kubernetes:ClusterRoleBinding"
        ]
    );
    assert_eq!(p.resources[0].address, "shop/Deployment/web");
    assert_eq!(p.resources[3].address, "ClusterRoleBinding/admins");
    assert_eq!(p.resources[1].line, 14);
    insta::assert_snapshot!(lines(&p.resources));
}

#[test]
fn arm_templates_with_nested_and_symbolic_resources() {
    let p = parse("arm/template.json");
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    let types: Vec<&str> = p.resources.iter().map(|r| r.rtype.as_str()).collect();
    assert_eq!(
        types,
        [
            "Microsoft.Sql/servers",
            "Microsoft.Sql/servers/databases",
            "Microsoft.Storage/storageAccounts"
        ]
    );
    assert_eq!(
        p.resources[0].tags.get("owner"),
        None,
        "an expression is not a tag value"
    );
    assert_eq!(p.resources[1].line, 15);
    let s = parse("arm/symbolic.json");
    assert_eq!(s.resources[0].address, "vault");
    let mut all = p.resources.clone();
    all.extend(s.resources);
    insta::assert_snapshot!(lines(&all));
}

#[test]
fn inventory_exports() {
    let aws = parse("inventory/aws-config.json");
    assert_eq!(aws.resources.len(), 2);
    assert_eq!(aws.resources[0].input, Input::AwsConfig);
    assert_eq!(aws.resources[1].line, 14);
    let az = parse("inventory/azure-graph.json");
    assert_eq!(az.resources[1].rtype, "microsoft.compute/virtualmachines");
    assert_eq!(az.resources[0].input, Input::AzureResourceGraph);
    let gcp = parse("inventory/gcp-assets.jsonl");
    assert_eq!(gcp.resources[0].tags["team"], "data");
    assert_eq!(gcp.resources[1].line, 2);
    let mut all = aws.resources;
    all.extend(az.resources);
    all.extend(gcp.resources);
    insta::assert_snapshot!(lines(&all));
}

#[test]
fn a_broken_file_is_a_diagnostic_with_a_position() {
    for (path, text, code, line) in [
        ("x.tf.json", "{\"resource\": [}", "json-syntax", 1),
        (
            "t.yaml",
            "AWSTemplateFormatVersion: 1\nResources:\n  A: [\n",
            "yaml-syntax",
            4,
        ),
        (
            "k.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: [}\n",
            "yaml-syntax",
            3,
        ),
        (
            "a.json",
            "{\"contentVersion\": \"1\", \"resources\": [\n{]",
            "json-syntax",
            2,
        ),
        (
            "plan.json",
            "{\"format_version\": \"1.0\", \"planned_values\": ",
            "json-syntax",
            1,
        ),
        ("c.json", "{\"configurationItems\": [1,]}", "json-syntax", 1),
    ] {
        let input = detect(path, text).unwrap_or_else(|| panic!("{path} not detected"));
        let p = parse_file(input, path, text);
        let d = p
            .diagnostics
            .first()
            .unwrap_or_else(|| panic!("{path}: no diagnostic"));
        assert_eq!((d.code.as_str(), d.line), (code, line), "{path}: {d}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn every_parser(text: &str) {
        for (path, input) in [
            ("f.tf", Input::TerraformHcl),
            ("f.json", Input::TerraformPlan),
            ("f.yaml", Input::Cloudformation),
            ("f.yaml", Input::Kubernetes),
            ("f.json", Input::Arm),
            ("f.json", Input::AwsConfig),
            ("f.json", Input::AzureResourceGraph),
            ("f.jsonl", Input::GcpAssetInventory),
        ] {
            let p = parse_file(input, path, text);
            for d in &p.diagnostics {
                assert!(d.line >= 1 && d.col >= 1, "{d}");
            }
        }
        let _ = detect("f.json", text);
        let _ = detect("f.yaml", text);
    }

    fn fixture_texts() -> Vec<String> {
        [
            "terraform/root/main.tf",
            "cloudformation/stack.yaml",
            "cloudformation/queue.json",
            "kubernetes/app.yaml",
            "arm/template.json",
            "inventory/aws-config.json",
            "inventory/gcp-assets.jsonl",
            "terraform-json/basic/plan.json",
        ]
        .iter()
        .map(|f| read(f).1)
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn no_parser_panics_on_arbitrary_text(text in "\\PC{0,400}") {
            every_parser(&text);
        }

        #[test]
        fn no_parser_panics_on_a_mutated_fixture(
            which in 0usize..8,
            cut in 0usize..4000,
            insert in "[\\[\\]{}\"':\\-!$ \\n\\t=#]{0,8}",
        ) {
            let texts = fixture_texts();
            let t = &texts[which % texts.len()];
            let mut at = cut % (t.len() + 1);
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            let mutated = format!("{}{}{}", &t[..at], insert, &t[at..]);
            every_parser(&mutated);
            // Truncation too.
            every_parser(&t[..at]);
        }
    }
}
