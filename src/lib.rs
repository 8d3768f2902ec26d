//! # implreg: implicit regularisation as executable claims
//!
//! Over-parameterised models rarely overfit, even with no explicit penalty. Deep matrix
//! factorisation is the cleanest laboratory for this: fit W = W_N ⋯ W_1 to a few observed entries
//! by gradient descent from a small initialisation. implreg turns the literature's claims about
//! that setting into seeded, deterministic checks.
//!
//! Data flows down through the modules (docs/design.md): a claim (`claim::read::spec`) names a
//! problem family (`problem`), runs (`solver`) and assertions in a vocabulary (`claim::language::registry`,
//! `claim::language::expr`); for each seed the instance is drawn, every run is driven to its one
//! `solver::RunRecord`, its matrices are measured (`measure`) and the assertions evaluated
//! (`claim::run`) into a `claim::report`. `measure` sits below everything; nothing outside
//! `claim` knows that a claim exists.

pub mod cancel;
pub mod claim;
pub mod compare;
pub mod confined;
pub mod digits;
pub mod export;
pub mod external;
pub mod invalid;
pub mod kernels;
pub mod measure;
pub mod printable;
pub mod problem;
pub mod provenance;
pub mod random;
pub mod render;
pub mod shard;
pub mod solver;
pub mod store;
pub mod suggest;
