//! The assertion language: expressions by phase (`expr`), the vocabulary they are written in
//! (`registry`), what a metric reads of a matrix (`measured`), and the quantities a claim
//! records at every seed for its sweep (`recorded`).

pub mod expr;
pub mod measured;
pub mod recorded;
pub mod registry;
