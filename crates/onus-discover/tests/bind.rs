//! Mapping onto the bundled catalog, binding to workloads, and every drift finding.

use onus_core::catalog::{self, SourceFile};
use onus_core::{manifest, Catalog};
use onus_discover::bind::{FindingCode, Mapping};
use onus_discover::{bind, terraform, TypeIndex};

fn catalog() -> Catalog {
    let files: Vec<SourceFile> = onus_catalog_data::files()
        .iter()
        .map(|(p, t)| SourceFile::new(*p, *t))
        .collect();
    let (cat, diags) = catalog::build(&[files]);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    cat
}

const MANIFEST: &str = r#"
workloads:
  - name: shop
    owner: {team: web}
    classification: internal
    tier: 2
    paths: [infra/shop/]
    components:
      - {name: db, service: aws:rds, select: {address: ["aws_db_instance.main"]}}
      - {name: files, service: aws:s3}
      - {name: queue, service: aws:sqs, select: {paths: ["infra/queues/**"]}}
      - {name: tagged, service: aws:ec2, select: {tags: {role: batch}}}
"#;

const TF: &str = r#"
resource "aws_db_instance" "main" { engine = "postgres" }
resource "aws_s3_bucket" "files" {}
resource "aws_s3_bucket_policy" "files" { bucket = aws_s3_bucket.files.id }
resource "aws_dynamodb_table" "sneaky" { name = "t" }
resource "aws_gamelift_fleet" "odd" {}
resource "random_id" "x" { byte_length = 4 }
resource "aws_instance" "worker" { tags = { role = "batch" } }
module "remote" { source = "git::https://example.com/m.git" }
"#;

#[test]
fn resources_are_mapped_bound_and_drift_is_reported() {
    let cat = catalog();
    let (ws, diags) = manifest::load(&cat, &[SourceFile::new("onus.yaml", MANIFEST)]);
    assert!(diags.is_empty(), "{diags:#?}");
    let ws: Vec<_> = ws.into_iter().map(|w| w.workload).collect();
    let mut parsed = terraform::parse_dir(&[("infra/shop/main.tf".into(), TF.into())], &[]);
    parsed.extend(terraform::parse_dir(
        &[(
            "infra/other/lost.tf".into(),
            "resource \"aws_sns_topic\" \"lost\" {}\n".into(),
        )],
        &[],
    ));
    let index = TypeIndex::new(&cat);
    assert!(index.len() > 400, "{} mapped types", index.len());
    let report = bind(
        &cat,
        &index,
        &ws,
        parsed.resources,
        &parsed.unresolved_modules,
        2,
    );

    let at = |a: &str| {
        report
            .resources
            .iter()
            .find(|r| r.resource.address == a)
            .unwrap()
    };
    assert_eq!(at("aws_db_instance.main").component.as_deref(), Some("db"));
    // Bound by service within the workload's paths; a sub-resource type maps to its parent's service.
    assert_eq!(
        at("aws_s3_bucket.files").component.as_deref(),
        Some("files")
    );
    assert_eq!(at("aws_s3_bucket_policy.files").mapping, Mapping::Parent);
    assert_eq!(
        at("aws_s3_bucket_policy.files").component.as_deref(),
        Some("files")
    );
    assert_eq!(
        at("aws_instance.worker").component.as_deref(),
        Some("tagged")
    );
    assert_eq!(at("random_id.x").mapping, Mapping::Utility);

    let codes: Vec<(FindingCode, Option<&str>)> = report
        .findings
        .iter()
        .map(|f| (f.code, f.resource.as_deref().or(f.component.as_deref())))
        .collect();
    assert!(
        codes.contains(&(
            FindingCode::UndeclaredService,
            Some("aws_dynamodb_table.sneaky")
        )),
        "{codes:#?}"
    );
    assert!(
        codes.contains(&(FindingCode::UnmappedType, Some("aws_gamelift_fleet.odd"))),
        "{codes:#?}"
    );
    assert!(
        codes.contains(&(FindingCode::UnownedResource, Some("aws_sns_topic.lost"))),
        "{codes:#?}"
    );
    assert!(
        codes.contains(&(FindingCode::AbsentComponent, Some("queue"))),
        "{codes:#?}"
    );
    assert!(
        codes.contains(&(FindingCode::UnresolvedModule, Some("module.remote"))),
        "{codes:#?}"
    );
    // Utility types and bound, declared services are not drift.
    assert!(!codes
        .iter()
        .any(|(_, r)| *r == Some("random_id.x") || *r == Some("aws_db_instance.main")));
    let sneaky = report
        .findings
        .iter()
        .find(|f| f.code == FindingCode::UndeclaredService)
        .unwrap();
    assert_eq!(
        (sneaky.file.as_str(), sneaky.line, sneaky.col),
        ("infra/shop/main.tf", 5, 1)
    );
    assert_eq!(sneaky.workload.as_deref(), Some("shop"));
    assert_eq!(sneaky.service.as_deref(), Some("aws:dynamodb"));
}

#[test]
fn the_catalog_maps_the_cloudformation_types_of_every_aws_service() {
    let cat = catalog();
    let index = TypeIndex::new(&cat);
    let tf: usize = cat.services.values().map(|s| s.iac.terraform.len()).sum();
    assert!(tf >= 400, "{tf} Terraform types");
    // A few AWS services have no CloudFormation resource type at all (S3 Glacier vaults, for one); every other
    // AWS service lists its types, and each listed type maps.
    let without: Vec<&str> = cat
        .services
        .values()
        .filter(|s| s.provider == "aws" && s.iac.cloudformation.is_empty())
        .map(|s| s.id.as_str())
        .collect();
    let aws = cat
        .services
        .values()
        .filter(|s| s.provider == "aws")
        .count();
    assert!(
        without.len() * 20 <= aws,
        "AWS services without CloudFormation types: {without:?}"
    );
    for s in cat.services.values().filter(|s| s.provider == "aws") {
        for t in &s.iac.cloudformation {
            let r = onus_discover::Resource {
                provider: "aws".into(),
                rtype: t.clone(),
                address: "X".into(),
                name: "X".into(),
                mode: onus_discover::Mode::Managed,
                attributes: Default::default(),
                tags: Default::default(),
                file: "t.yaml".into(),
                line: 1,
                col: 1,
                input: onus_discover::Input::Cloudformation,
            };
            assert!(index.service_of(&r).0.is_some(), "{t}");
        }
    }
}

#[test]
fn inventory_exports_map_onto_the_catalog_and_cluster_objects_onto_controls() {
    let cat = catalog();
    let index = TypeIndex::new(&cat);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut resources = Vec::new();
    for f in [
        "inventory/aws-config.json",
        "inventory/azure-graph.json",
        "inventory/gcp-assets.jsonl",
        "kubernetes/app.yaml",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let input = onus_discover::detect(f, &text).unwrap();
        resources.extend(onus_discover::parse_file(input, f, &text).resources);
    }
    let report = bind(&cat, &index, &[], resources, &[], 4);
    let got: Vec<(String, Option<String>)> = report
        .resources
        .iter()
        .filter(|r| r.mapping != Mapping::InCluster)
        .map(|r| (r.resource.rtype.clone(), r.service.clone()))
        .collect();
    let want = [
        ("AWS::RDS::DBInstance", "aws:rds"),
        ("AWS::S3::Bucket", "aws:s3"),
        ("microsoft.keyvault/vaults", "azure:key-vault"),
        (
            "microsoft.compute/virtualmachines",
            "azure:virtual-machines",
        ),
        ("bigquery.googleapis.com/Dataset", "gcp:bigquery"),
        ("storage.googleapis.com/Bucket", "gcp:cloud-storage"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(t, s)| (t.to_string(), Some(s.to_string())))
            .collect::<Vec<_>>()
    );
    let svc = report
        .resources
        .iter()
        .find(|r| r.resource.rtype == "kubernetes:Service")
        .unwrap();
    assert!(svc.controls.contains(&"network.access-control"));
    let crb = report
        .resources
        .iter()
        .find(|r| r.resource.rtype == "kubernetes:ClusterRoleBinding")
        .unwrap();
    assert!(crb.controls.contains(&"identity.access-policies"));
    // Without workloads nothing is "unowned": there is no map to drift from.
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}
