//! Running a claim: what each run must watch (`watch`), one seed's runs solved through the store
//! and its assertions resolved (`seed`), a point's seeds in blocks or sequences (`point`),
//! a grid's points in turn (`grid`) and a searched claim's decisions (`search`), all within one
//! `Context`.

pub mod context;
pub mod grid;
pub mod point;
pub mod search;
pub mod seed;
pub mod watch;

pub use context::Context;
pub use grid::{evaluate, measure};
