//! Reading claims: the text from a regular file of bounded size (`source`), the schema and its
//! validation with located errors (`spec`, `locate`, `errors`), a sweep's parameters and grid
//! (`parameters`, `grid`), a searched claim's `search:` block, domain and kept counterexamples (`search`, `domain`,
//! `kept`), seeds and quantifiers (`sampling`), the schema of assertions across
//! points and of figures (`across`, `figure`), and what a claim may cost (`budget`).

pub mod across;
pub mod budget;
pub mod data;
pub mod domain;
pub mod errors;
pub mod external;
pub mod figure;
pub mod grid;
pub mod kept;
pub mod locate;
pub mod parameters;
pub mod sampling;
pub mod search;
pub mod source;
pub mod spec;
pub mod values;
