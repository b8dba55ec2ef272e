# The storefront on AWS. `onus scan examples/shop` reads this without Terraform installed and without network access.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "environment" {
  type    = string
  default = "dev"
}

variable "web_instances" {
  type    = number
  default = 2
}

locals {
  name = "shop-${var.environment}"
  tags = {
    app         = "storefront"
    environment = var.environment
  }
}

module "network" {
  source     = "./modules/network"
  name       = local.name
  cidr_block = "10.20.0.0/16"
  tags       = local.tags
}

# Fetched from the registry by `terraform init`; onus never downloads it.
module "alarms" {
  source  = "terraform-aws-modules/cloudwatch/aws//modules/metric-alarm"
  version = "~> 5.0"
}

resource "aws_launch_template" "web" {
  name_prefix   = "${local.name}-web-"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.small"
  metadata_options {
    http_tokens = "required"
  }
  tags = local.tags
}

resource "aws_autoscaling_group" "web" {
  name                = "${local.name}-web"
  min_size            = var.web_instances
  max_size            = 6
  vpc_zone_identifier = module.network.private_subnet_ids
  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
}

resource "aws_lb" "web" {
  name               = "${local.name}-web"
  load_balancer_type = "application"
  subnets            = module.network.public_subnet_ids
  tags               = local.tags
}

resource "aws_db_instance" "orders" {
  identifier          = "${local.name}-orders"
  engine              = "postgres"
  instance_class      = "db.t4g.medium"
  allocated_storage   = 50
  storage_encrypted   = true
  kms_key_id          = aws_kms_key.data.arn
  multi_az            = var.environment == "prod"
  deletion_protection = true
  tags                = local.tags
}

resource "aws_s3_bucket" "store" {
  for_each = toset(["assets", "invoices"])
  bucket   = "${local.name}-${each.key}"
  tags     = merge(local.tags, { purpose = each.key })
}

resource "aws_s3_bucket_public_access_block" "store" {
  for_each                = aws_s3_bucket.store
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_kms_key" "data" {
  description         = "Storefront data"
  enable_key_rotation = true
}

resource "aws_secretsmanager_secret" "db" {
  name       = "${local.name}/orders-db"
  kms_key_id = aws_kms_key.data.arn
}

resource "aws_cloudtrail" "account" {
  name                       = "${local.name}-trail"
  s3_bucket_name             = aws_s3_bucket.store["invoices"].id
  is_multi_region_trail      = true
  enable_log_file_validation = true
}

resource "aws_eks_cluster" "recommendations" {
  name     = "${local.name}-recs"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config {
    subnet_ids = module.network.private_subnet_ids
  }
}
