//! Claims: the YAML schema and its validation (`spec`, `locate`), the vocabulary of assertions
//! (`registry`) and their language (`expr`), what a metric reads (`measured`), evaluation over
//! seeds (`evaluate`) and what it reports (`report`). Nothing below this module knows that a
//! claim exists.

pub mod budget;
pub mod evaluate;
pub mod expr;
pub mod locate;
pub mod measured;
pub mod registry;
pub mod report;
pub mod source;
pub mod spec;

pub use evaluate::evaluate;
pub use report::ClaimReport;
pub use spec::{ClaimSpec, Seeds, SpecError, Verdict, claim_files};
