//! The catalog bundled with onus: every YAML file under the repository's `catalog/` folder, embedded at build time
//! so that `onus` works anywhere without its source tree.

include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));

/// The bundled files as (path relative to `catalog/`, text).
pub fn files() -> &'static [(&'static str, &'static str)] {
    FILES
}

/// The bundled checks as (path relative to `rules/`, text).
pub fn rules() -> &'static [(&'static str, &'static str)] {
    RULES
}
