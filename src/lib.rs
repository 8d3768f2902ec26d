//! # implreg: implicit regularisation as executable claims
//!
//! Over-parameterised models rarely overfit, even with no explicit penalty. Deep matrix
//! factorisation is the cleanest laboratory for this: fit W = W_N ⋯ W_1 to a few observed entries
//! by gradient descent from a small initialisation. implreg turns the literature's claims about
//! that setting into seeded, deterministic checks.
//!
//! The data flow (design.md): a claim (`claim::spec`) names a problem (`problem`), runs
//! (`solver`) and assertions (`claim::expr`); for each seed the problem is generated, every run
//! solved, its `metrics` computed and the assertions evaluated (`claim::evaluate`) into a
//! `claim::report`.

pub mod claim;
pub mod export;
pub mod invalid;
pub mod kernels;
pub mod metrics;
pub mod problem;
pub mod random;
pub mod solver;
pub mod trace;
pub mod watch;
