//! Running a claim: what each run must watch (`watch`), one seed's runs solved through the store
//! and its assertions resolved (`seed`), a point's seeds in blocks or sequences (`point`),
//! and a grid's points in turn (`grid`), all within one `Context`.

pub mod context;
pub mod grid;
pub mod point;
pub mod seed;
pub mod watch;

pub use context::Context;
pub use grid::{evaluate, measure};
