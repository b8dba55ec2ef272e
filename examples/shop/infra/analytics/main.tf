# Analytics on Google Cloud.

variable "project" {
  type    = string
  default = "shop-analytics"
}

resource "google_bigquery_dataset" "sales" {
  project    = var.project
  dataset_id = "sales"
  location   = "EU"
  labels     = { team = "data" }
}

resource "google_storage_bucket" "landing" {
  project                     = var.project
  name                        = "${var.project}-landing"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
}

resource "google_cloud_run_v2_job" "loader" {
  project  = var.project
  name     = "loader"
  location = "europe-west1"
  template {
    template {
      containers {
        image = "europe-docker.pkg.dev/shop-analytics/jobs/loader:latest"
      }
    }
  }
}
