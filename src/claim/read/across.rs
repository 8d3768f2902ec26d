//! Assertions across the points of a sweep, about each point's summary over its seeds: a
//! quantity's median is monotone along a parameter (within a relative tolerance), or a
//! condition is reached at an earlier value of a parameter than another ("depth 3 reaches test
//! MSE 1e-3 with fewer observations than depth 2 needs"). With several parameters, each line of
//! the grid along the parameter (the others held fixed) is judged, and all must hold. They are
//! deterministic functions of the points' seeds; the statistics of random instances are in the
//! points' own rate decisions.

use crate::claim::language::expr::Scope;
use crate::claim::language::recorded::{self, FieldError, Place, Recorded};
use crate::claim::read::parameters::{Parameter, names};
use serde::{Deserialize, Serialize};

/// An assertion across points as written: `monotone` with `direction`, or `reaches` with
/// `before`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcross {
    /// A quantity whose median over seeds is monotone along `along`.
    pub monotone: Option<String>,
    /// `increasing` or `decreasing`.
    pub direction: Option<Direction>,
    /// How far a step may go against the direction, relative to the previous median.
    pub tolerance: Option<f64>,
    /// A condition that must hold (on at least half the seeds) at an earlier value of `along`…
    pub reaches: Option<String>,
    /// …than this one first does (never counts as after every value).
    pub before: Option<String>,
    /// The parameter, in the order its values are declared.
    pub along: String,
    /// Why the tolerance or the claim is what it is.
    pub why: String,
}

/// Which way a monotone quantity goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Each median at least the previous one (less the tolerance).
    Increasing,
    /// Each median at most the previous one (plus the tolerance).
    Decreasing,
}

/// What an assertion across points says.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// The median of a quantity moves one way along the parameter.
    Monotone {
        /// The quantity.
        quantity: String,
        /// Which way.
        direction: Direction,
        /// Relative tolerance, ≥ 0.
        tolerance: f64,
    },
    /// One condition is first reached at an earlier value than another.
    Reaches {
        /// The condition reached first.
        first: String,
        /// The condition reached later (or never).
        before: String,
    },
}

/// A checked assertion across points.
#[derive(Debug, Clone, PartialEq)]
pub struct Across {
    /// What it says.
    pub shape: Shape,
    /// The parameter it runs along.
    pub along: String,
    /// Why.
    pub why: String,
}

impl RawAcross {
    /// Checks entry `k` against the sweep's parameters and the claim's runs; adds what it needs
    /// recorded at every seed to `record`.
    pub fn check(
        &self,
        k: usize,
        parameters: &[Parameter],
        scope: &Scope,
        record: &mut Vec<Recorded>,
    ) -> Result<Across, FieldError> {
        let field = |name: &str| format!("across[{k}].{name}");
        match parameters.iter().find(|p| p.name == self.along) {
            None => {
                return Err(FieldError::field(
                    field("along"),
                    format!(
                        "a parameter of the sweep ({}); found `{}`",
                        names(parameters),
                        self.along
                    ),
                ));
            }
            Some(p) if p.values.len() < 2 => {
                return Err(FieldError::field(
                    field("along"),
                    format!("a parameter with at least two values; `{}` has one", p.name),
                ));
            }
            Some(_) => {}
        }
        let shape = match (&self.monotone, &self.reaches) {
            (Some(quantity), None) => {
                if self.before.is_some() {
                    return Err(FieldError::field(
                        field("before"),
                        "`before` only with `reaches`",
                    ));
                }
                let Some(direction) = self.direction else {
                    return Err(FieldError::field(
                        field("monotone"),
                        "a `direction` (increasing or decreasing) beside `monotone`",
                    ));
                };
                let tolerance = self.tolerance.unwrap_or(0.0);
                if !(tolerance.is_finite() && tolerance >= 0.0) {
                    return Err(FieldError::field(
                        field("tolerance"),
                        "a relative tolerance ≥ 0 (0.1: a step may go 10 % of the previous median the wrong way)",
                    ));
                }
                let quantity = recorded::quantity(&field("monotone"), quantity, scope, Place::End)?;
                let text = quantity.text.clone();
                recorded::add(record, quantity);
                Shape::Monotone {
                    quantity: text,
                    direction,
                    tolerance,
                }
            }
            (None, Some(first)) => {
                let Some(before) = &self.before else {
                    return Err(FieldError::field(
                        field("reaches"),
                        "a `before` condition beside `reaches`",
                    ));
                };
                if self.direction.is_some() || self.tolerance.is_some() {
                    return Err(FieldError::field(
                        field("reaches"),
                        "no `direction` or `tolerance` with `reaches` (they belong to `monotone`)",
                    ));
                }
                let first = recorded::quantity(&field("reaches"), first, scope, Place::Condition)?;
                let before = recorded::quantity(&field("before"), before, scope, Place::Condition)?;
                let texts = (first.text.clone(), before.text.clone());
                recorded::add(record, first);
                recorded::add(record, before);
                Shape::Reaches {
                    first: texts.0,
                    before: texts.1,
                }
            }
            _ => {
                return Err(FieldError::field(
                    format!("across[{k}]"),
                    "either `monotone` (with `direction`, optionally `tolerance`) or `reaches` (with `before`)",
                ));
            }
        };
        if self.why.trim().is_empty() {
            return Err(FieldError::field(field("why"), "a non-empty text"));
        }
        Ok(Across {
            shape,
            along: self.along.clone(),
            why: self.why.clone(),
        })
    }
}
