//! The pure core of onus: the data model, catalog and manifest validation, and responsibility resolution.
//!
//! Nothing here touches the file system, prints, or reads the clock: callers pass file texts in and get data and
//! diagnostics out.

pub mod catalog;
pub mod diag;
pub mod doc;
pub mod manifest;
pub mod model;
pub mod report;
pub mod resolve;
pub mod triage;
pub mod yaml;

pub use catalog::{Catalog, ServiceRef, SourceFile};
pub use diag::{Code, Diagnostic, Severity};
pub use model::Owner;
pub use resolve::{Basis, Cell, WorkloadMatrix};
