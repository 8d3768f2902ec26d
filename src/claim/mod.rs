//! Claims: the YAML schema and its validation (`spec`, `locate`), the assertion language
//! (`expr`), evaluation over seeds (`evaluate`) and what it reports (`report`).

pub mod evaluate;
pub mod expr;
pub mod locate;
pub mod report;
pub mod spec;

pub use evaluate::evaluate;
pub use report::ClaimReport;
pub use spec::{ClaimSpec, Seeds, SpecError, Verdict, claim_files};
