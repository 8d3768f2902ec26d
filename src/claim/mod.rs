//! Claims: the YAML schema and its validation (`spec`, `locate`), the vocabulary of assertions
//! (`registry`) and their language (`expr`), what a metric reads (`measured`), evaluation over
//! seeds (`evaluate`), decided by counts or by sequentially tested rates (`decide`), and what it
//! reports (`report`). Nothing below this module knows that a claim exists.

pub mod across;
pub mod budget;
pub mod decide;
pub mod evaluate;
pub mod expr;
pub mod figure;
pub mod locate;
pub mod measured;
pub mod outcome;
pub mod parameters;
pub mod recorded;
pub mod registry;
pub mod report;
pub mod sampling;
pub mod snapshot;
pub mod source;
pub mod spec;
pub mod spec_errors;
pub mod sweep;

pub use evaluate::evaluate;
pub use report::ClaimReport;
pub use spec::{ClaimSpec, Sampling, Seeds, SpecError, Verdict, claim_files};
pub use sweep::{Claim, Report};
