//! Machine-readable reports. Their JSON shape is versioned by `schema_version` and documented by the schema files
//! under `schemas/` (generated from these types).

use crate::resolve::WorkloadMatrix;
use schemars::JsonSchema;
use serde::Serialize;

/// The version of every JSON document onus prints. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// `onus matrix --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "onus matrix report")]
pub struct MatrixReport {
    /// Always 1 for this shape.
    pub schema_version: u32,
    /// Always `matrix`.
    pub kind: String,
    /// The control ids in taxonomy order; every cell list follows it.
    pub controls: Vec<String>,
    pub workloads: Vec<WorkloadMatrix>,
}

impl MatrixReport {
    pub fn new(controls: Vec<String>, workloads: Vec<WorkloadMatrix>) -> Self {
        MatrixReport {
            schema_version: SCHEMA_VERSION,
            kind: "matrix".to_string(),
            controls,
            workloads,
        }
    }

    pub fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(MatrixReport)).expect("a schema is always JSON")
    }
}
