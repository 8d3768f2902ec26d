//! The assertion language: numbers, `run.metric` and `truth.metric` references, moments
//! (`run.initial.metric`, `run.at_loss(t).metric`, `run.at_step(k).metric`,
//! `run.when(condition).metric`), pairwise quantities, arithmetic, functions, comparisons, `and`,
//! `or`, `not`. Its words come from `registry`. One phase per file: the syntax tree (`ast`),
//! `lex`, `parse`, `check` (names, types and where each word applies), `eval`.

mod ast;
mod check;
mod eval;
mod lex;
mod parse;

pub use ast::{
    Arith, Compare, Expr, ExprError, MetricCall, Moment, Node, Quantity, Reference, Subject, Type,
};
pub use check::Scope;
