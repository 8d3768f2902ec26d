//! Claims, in wings that data flows through one way: `read` (claim files, their schema, located
//! errors, parameters and grids, the cost budget), `language` (the assertion language, its
//! vocabulary and what a metric reads), `decide` (sequential tests, fixed counts, verdicts,
//! judgements across points), `report` (what an evaluation says: text, JSON, snapshots, the
//! figures' data) and `run` (what to watch, solving through the store, resolving values, a
//! grid's points in turn). Imports run the other way, each wing using only those before it:
//! language ← read ← decide ← report ← run. Nothing below this module knows that a claim
//! exists.
//!
//! Reading a claim and evaluating it (a claim file is read with `Claim::load`, its text with
//! `Claim::parse`; `Context::default()` has no time budgets, no store and no cancel token):
//!
//! ```
//! use implreg::claim::{self, Claim, Context, Verdict};
//! use std::path::Path;
//!
//! let text = r#"
//! id: tiny-holds
//! title: Depth-1 GD leaves the unobserved entry where it started
//! source: { paper: "Razin & Cohen 2020", where: "§3" }
//! seeds: { from: 0, count: 2 }
//! problem:
//!   explicit:
//!     rows: 2
//!     cols: 2
//!     entries: [{ row: 0, col: 1, value: 1 }, { row: 1, col: 0, value: 1 }, { row: 1, col: 1, value: 0 }]
//! runs:
//!   flat: { deep: { depth: 1, init: { gaussian: { scale: 1.0e-3 } }, optimizer: { gd: { lr: 0.5 } }, loss: sum, target_loss: 1.0e-8, steps: 1000 } }
//! expect:
//!   - that: flat.converged and abs(flat.entry(0, 0)) < 1e-2
//!     over_seeds: all
//!     why: depth 1 has no gradient on unobserved entries
//! verdict: holds
//! "#;
//! let claim = Claim::parse(text, Path::new("tiny.yaml"))?;
//! // On its own seeds (`|_| None`), telling nobody as points start.
//! let report = claim::evaluate(&claim, |_| None, &Context::default(), &|_, _| {});
//! assert_eq!(report.verdict(), Verdict::Holds);
//! assert!(report.matches());
//! // A misspelt metric is an error located in the text, before anything runs.
//! let error = Claim::parse(&text.replace("converged", "convergd"), Path::new("tiny.yaml"))
//!     .unwrap_err()
//!     .to_string();
//! assert!(error.starts_with("tiny.yaml:14:16: expect[0].that"), "{error}");
//! # Ok::<(), implreg::claim::SpecError>(())
//! ```

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
