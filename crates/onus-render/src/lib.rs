//! Renderers: one file per output format, each turning the core's data into text. No I/O here: every function
//! returns a `String` for the CLI to print.

pub mod csv;
pub mod json;
pub mod markdown;
pub mod table;
pub mod text;

use onus_core::resolve::{Basis, Cell};
use onus_core::Owner;

/// The output formats a command can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Csv,
    Json,
}

/// A one-letter code for an owner, as in the matrix grid.
pub fn owner_letter(o: Owner) -> char {
    match o {
        Owner::Provider => 'P',
        Owner::Customer => 'C',
        Owner::Shared => 'S',
        Owner::NotApplicable => '-',
    }
}

/// A cell's grid mark: owner letter plus a marker for how it was resolved.
pub fn cell_mark(c: &Cell) -> String {
    let mut s = owner_letter(c.owner).to_string();
    match c.basis {
        Basis::Catalog => {}
        Basis::ServiceModel => s.push('~'),
        Basis::Override => s.push('!'),
        Basis::Assumed => s.push('*'),
    }
    s
}

pub const LEGEND: &str =
    "P provider · C customer · S shared · - not applicable · ~ model default · ! override · * assumed (nothing known: customer)";
