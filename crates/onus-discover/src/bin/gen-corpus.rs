//! Writes a synthetic multi-cloud Terraform estate for benchmarking `onus scan`:
//! `cargo run --release -p onus-discover --bin gen-corpus -- DIR RESOURCES [FILES]`.
//!
//! The estate has one workload per team folder, each with AWS, Azure and Google Cloud resources spread over files
//! (variables, locals, count and for_each included), a local module per team, and an `onus.yaml` that maps it.

use std::fmt::Write as _;
use std::path::Path;

const AWS: &[(&str, &str)] = &[
    ("aws_instance", "ami = \"ami-123\"\n  instance_type = var.size\n  tags = local.tags"),
    ("aws_db_instance", "engine = \"postgres\"\n  instance_class = \"db.t4g.small\"\n  storage_encrypted = true\n  tags = local.tags"),
    ("aws_s3_bucket", "bucket = \"${local.prefix}-data\"\n  tags = local.tags"),
    ("aws_lambda_function", "function_name = \"${local.prefix}-fn\"\n  runtime = \"python3.12\"\n  role = aws_iam_role.exec.arn"),
    ("aws_sqs_queue", "name = \"${local.prefix}-q\"\n  kms_master_key_id = \"alias/aws/sqs\""),
    ("aws_dynamodb_table", "name = \"${local.prefix}-t\"\n  hash_key = \"id\"\n  attribute {\n    name = \"id\"\n    type = \"S\"\n  }"),
    ("aws_security_group", "name = \"${local.prefix}-sg\"\n  ingress {\n    from_port = 443\n    to_port = 443\n    protocol = \"tcp\"\n    cidr_blocks = [\"10.0.0.0/8\"]\n  }"),
    ("aws_kms_key", "description = \"team key\"\n  enable_key_rotation = true"),
];
const AZURE: &[(&str, &str)] = &[
    ("azurerm_storage_account", "name = \"${var.team}store\"\n  account_tier = \"Standard\"\n  min_tls_version = \"TLS1_2\"\n  tags = local.tags"),
    ("azurerm_key_vault", "name = \"${local.prefix}-kv\"\n  sku_name = \"standard\"\n  purge_protection_enabled = true"),
    ("azurerm_linux_virtual_machine", "name = \"${local.prefix}-vm\"\n  size = \"Standard_B2s\"\n  admin_username = \"ops\""),
    ("azurerm_mssql_server", "name = \"${local.prefix}-sql\"\n  version = \"12.0\"\n  minimum_tls_version = \"1.2\""),
];
const GCP: &[(&str, &str)] = &[
    ("google_storage_bucket", "name = \"${local.prefix}-gcs\"\n  location = \"EU\"\n  uniform_bucket_level_access = true\n  labels = local.tags"),
    ("google_bigquery_dataset", "dataset_id = \"${var.team}_ds\"\n  location = \"EU\""),
    ("google_compute_instance", "name = \"${local.prefix}-gce\"\n  machine_type = \"e2-small\"\n  zone = \"europe-west1-b\""),
    ("google_sql_database_instance", "name = \"${local.prefix}-pg\"\n  database_version = \"POSTGRES_15\"\n  region = \"europe-west1\""),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen-corpus DIR RESOURCES [FILES]");
        std::process::exit(2);
    }
    let dir = Path::new(&args[1]);
    let resources: usize = args[2].parse().expect("RESOURCES is a number");
    let files: usize = args
        .get(3)
        .map(|f| f.parse().expect("FILES is a number"))
        .unwrap_or(resources / 2 + 1);
    let teams = (files / 20).max(1);
    let per_file = resources.div_ceil(files).max(1);
    let all: Vec<(&str, &str)> = AWS.iter().chain(AZURE).chain(GCP).copied().collect();
    let mut manifest = String::from("workloads:\n");
    let mut written = 0usize;
    let mut file_no = 0usize;
    for t in 0..teams {
        let team = format!("team{t:04}");
        let tdir = dir.join(&team);
        std::fs::create_dir_all(tdir.join("modules/base")).expect("create folders");
        std::fs::write(
            tdir.join("variables.tf"),
            format!(
                "variable \"team\" {{\n  default = \"{team}\"\n}}\n\nvariable \"size\" {{\n  default = \"t3.small\"\n}}\n\nlocals {{\n  prefix = \"${{var.team}}-prod\"\n  tags   = {{ team = var.team, env = \"prod\" }}\n}}\n\nresource \"aws_iam_role\" \"exec\" {{\n  name = \"${{local.prefix}}-exec\"\n}}\n\nmodule \"base\" {{\n  source = \"./modules/base\"\n  team   = var.team\n}}\n"
            ),
        )
        .expect("write");
        std::fs::write(
            tdir.join("modules/base/main.tf"),
            "variable \"team\" {}\n\nresource \"aws_cloudwatch_log_group\" \"team\" {\n  name              = \"/teams/${var.team}\"\n  retention_in_days = 365\n}\n",
        )
        .expect("write");
        let _ = writeln!(
            manifest,
            "  - name: {team}\n    owner: {{team: {team}}}\n    classification: internal\n    tier: 3\n    paths: [{team}/]\n    components:"
        );
        for (i, (rtype, _)) in all.iter().enumerate() {
            let service = match *rtype {
                "aws_instance" => "aws:ec2",
                "aws_db_instance" => "aws:rds",
                "aws_s3_bucket" => "aws:s3",
                "aws_lambda_function" => "aws:lambda",
                "aws_sqs_queue" => "aws:sqs",
                "aws_dynamodb_table" => "aws:dynamodb",
                "aws_security_group" => "aws:vpc",
                "aws_kms_key" => "aws:kms",
                "azurerm_storage_account" => "azure:blob-storage",
                "azurerm_key_vault" => "azure:key-vault",
                "azurerm_linux_virtual_machine" => "azure:virtual-machines",
                "azurerm_mssql_server" => "azure:sql-database",
                "google_storage_bucket" => "gcp:cloud-storage",
                "google_bigquery_dataset" => "gcp:bigquery",
                "google_compute_instance" => "gcp:compute-engine",
                _ => "gcp:cloud-sql",
            };
            let _ = writeln!(manifest, "      - {{name: c{i}, service: {service}}}");
        }
        let _ = writeln!(manifest, "      - {{name: iam, service: aws:iam}}\n      - {{name: logs, service: aws:cloudwatch}}");
        let team_files = files / teams + usize::from(t < files % teams);
        for f in 0..team_files {
            let mut text = String::new();
            for k in 0..per_file {
                if written >= resources {
                    break;
                }
                let (rtype, body) = all[(file_no + k) % all.len()];
                let name = format!("r{file_no}_{k}");
                if k % 7 == 3 {
                    let _ = writeln!(
                        text,
                        "resource \"{rtype}\" \"{name}\" {{\n  count = 2\n  {body}\n}}\n"
                    );
                    written += 2;
                } else {
                    let _ = writeln!(text, "resource \"{rtype}\" \"{name}\" {{\n  {body}\n}}\n");
                    written += 1;
                }
            }
            std::fs::write(tdir.join(format!("f{f:04}.tf")), text).expect("write");
            file_no += 1;
        }
    }
    std::fs::write(dir.join("onus.yaml"), manifest).expect("write onus.yaml");
    eprintln!(
        "wrote {written} resources in about {files} files for {teams} workloads under {}",
        dir.display()
    );
}
