//! Claims, in wings that data flows through one way: `read` (claim files, their schema, located
//! errors, parameters and grids, the cost budget), `language` (the assertion language, its
//! vocabulary and what a metric reads), `decide` (sequential tests, fixed counts, verdicts,
//! judgements across points), `report` (what an evaluation says: text, JSON, snapshots, the
//! figures' data) and `run` (what to watch, solving through the store, resolving values, a
//! grid's points in turn). Imports run the other way, each wing using only those before it:
//! language ← read ← decide ← report ← run. Nothing below this module knows that a claim
//! exists.

pub mod decide;
pub mod language;
pub mod read;
pub mod report;
pub mod run;

pub use read::budget::Limits;
pub use read::grid::Claim;
pub use read::spec::{ClaimSpec, Sampling, Seeds, SpecError, Verdict, claim_files};
pub use report::claim::ClaimReport;
pub use report::sweep::Report;
pub use run::{Context, evaluate, measure};
