//! Assertions across the points of a sweep, about each point's summary over its seeds: a
//! quantity's median is monotone along a parameter (within a relative tolerance), or a
//! condition is reached at an earlier value of a parameter than another ("depth 3 reaches test
//! MSE 1e-3 with fewer observations than depth 2 needs"). With several parameters, each line of
//! the grid along the parameter (the others held fixed) is judged, and all must hold. They are
//! deterministic functions of the points' seeds; the statistics of random instances are in the
//! points' own rate decisions.

use super::decide::Decision;
use super::expr::Scope;
use super::parameters::{Parameter, Setting, label, lines_along, names};
use super::recorded::{self, FieldError, Place, Recorded, RecordedValues, quartiles};
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

/// What one grid point gives an assertion across points.
pub struct PointValues<'p> {
    /// The point's settings.
    pub settings: &'p [Setting],
    /// Its recorded quantities.
    pub recorded: &'p [RecordedValues],
    /// Whether it decided anything (not interrupted, at least one seed).
    pub usable: bool,
}

/// One line of the grid along the parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineReport {
    /// The other parameters' settings (empty with one parameter).
    pub fixed: String,
    /// The parameter's values along the line.
    pub along: Vec<String>,
    /// The median of the quantity (`monotone`), or the fraction of seeds where each condition
    /// holds (`reaches`: first, then before), at each value.
    pub statistic: Vec<Vec<f64>>,
    /// Whether the line satisfies the assertion.
    pub holds: bool,
    /// What was found, in words.
    pub found: String,
}

/// The outcome of an assertion across points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcrossReport {
    /// The assertion in words.
    pub that: String,
    /// The parameter.
    pub along: String,
    /// Why.
    pub why: String,
    /// Holds when every line does, refuted when one does not, open when a point decided nothing.
    pub decision: Decision,
    /// Each line of the grid.
    pub lines: Vec<LineReport>,
}

impl Across {
    /// The assertion in words.
    pub fn describe(&self) -> String {
        match &self.shape {
            Shape::Monotone {
                quantity,
                direction,
                tolerance,
            } => format!(
                "median of {quantity} {} along {} (tolerance {tolerance})",
                match direction {
                    Direction::Increasing => "increasing",
                    Direction::Decreasing => "decreasing",
                },
                self.along
            ),
            Shape::Reaches { first, before } => format!(
                "`{first}` is reached at a smaller {} than `{before}` (on at least half the seeds)",
                self.along
            ),
        }
    }

    /// Judges every line of the grid along the parameter; `points` in grid order.
    pub fn evaluate(&self, points: &[PointValues]) -> AcrossReport {
        let lines = lines_along(points, |p| p.settings, &self.along);
        let reports: Vec<LineReport> = lines
            .into_iter()
            .map(|(fixed, line)| self.judge(fixed, &line))
            .collect();
        let usable = points.iter().all(|p| p.usable);
        let decision = if !usable {
            Decision::Open
        } else if reports.iter().all(|l| l.holds) {
            Decision::Holds
        } else {
            Decision::Refuted
        };
        AcrossReport {
            that: self.describe(),
            along: self.along.clone(),
            why: self.why.clone(),
            decision,
            lines: reports,
        }
    }

    fn judge(&self, fixed: String, line: &[&PointValues]) -> LineReport {
        let along: Vec<String> = line
            .iter()
            .map(|p| {
                p.settings
                    .iter()
                    .find(|s| s.name == self.along)
                    .map_or_else(String::new, |s| label(&s.value))
            })
            .collect();
        let (statistic, holds, found) = match &self.shape {
            Shape::Monotone {
                quantity,
                direction,
                tolerance,
            } => {
                let medians: Vec<f64> = line
                    .iter()
                    .map(|p| quartiles(recorded::values(p.recorded, quantity))[1])
                    .collect();
                let against = medians.windows(2).position(|w| {
                    let slack = tolerance * w[0].abs();
                    let ok = match direction {
                        Direction::Decreasing => w[1] <= w[0] + slack,
                        Direction::Increasing => w[1] >= w[0] - slack,
                    };
                    !ok
                });
                let found = match against {
                    None => "monotone".to_string(),
                    Some(i) => format!(
                        "goes the wrong way from {} = {} ({:.4e}) to {} ({:.4e})",
                        self.along,
                        along[i],
                        medians[i],
                        along[i + 1],
                        medians[i + 1]
                    ),
                };
                (vec![medians], against.is_none(), found)
            }
            Shape::Reaches { first, before } => {
                let fractions = |text: &str| -> Vec<f64> {
                    line.iter()
                        .map(|p| {
                            let values = recorded::values(p.recorded, text);
                            values.iter().sum::<f64>() / values.len() as f64
                        })
                        .collect()
                };
                let (a, b) = (fractions(first), fractions(before));
                let reached = |f: &[f64]| f.iter().position(|x| *x >= 0.5);
                let (i, j) = (reached(&a), reached(&b));
                let at = |k: Option<usize>| {
                    k.map_or("never".to_string(), |k| {
                        format!("first at {} = {}", self.along, along[k])
                    })
                };
                let holds = match (i, j) {
                    (Some(i), Some(j)) => i < j,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                let found = format!("`{first}` holds {}; `{before}` {}", at(i), at(j));
                (vec![a, b], holds, found)
            }
        };
        LineReport {
            fixed,
            along,
            statistic,
            holds,
            found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(name: &str, value: f64) -> Setting {
        Setting {
            name: name.into(),
            value: serde_yaml::Value::from(value),
        }
    }

    /// Points along `m` (and `d` fixed per line) recording `q` at three seeds each.
    fn grid(lines: &[(f64, &[[f64; 3]])]) -> (Vec<Vec<Setting>>, Vec<Vec<RecordedValues>>) {
        let mut settings = Vec::new();
        let mut recorded = Vec::new();
        for (d, values) in lines {
            for (k, v) in values.iter().enumerate() {
                settings.push(vec![setting("d", *d), setting("m", k as f64)]);
                recorded.push(vec![RecordedValues {
                    text: "q".into(),
                    values: v.to_vec(),
                }]);
            }
        }
        (settings, recorded)
    }

    fn usable<'p>(
        settings: &'p [Vec<Setting>],
        recorded: &'p [Vec<RecordedValues>],
    ) -> Vec<PointValues<'p>> {
        settings
            .iter()
            .zip(recorded)
            .map(|(s, r)| PointValues {
                settings: s,
                recorded: r,
                usable: true,
            })
            .collect()
    }

    fn judge(shape: Shape, lines: &[(f64, &[[f64; 3]])]) -> AcrossReport {
        let (settings, recorded) = grid(lines);
        let points = usable(&settings, &recorded);
        let across = Across {
            shape,
            along: "m".into(),
            why: "test".into(),
        };
        across.evaluate(&points)
    }

    fn decreasing(tolerance: f64) -> Shape {
        Shape::Monotone {
            quantity: "q".into(),
            direction: Direction::Decreasing,
            tolerance,
        }
    }

    #[test]
    fn monotone_reads_medians_line_by_line_within_the_tolerance() {
        // Medians 4, 2, 2.1: a 5 % rise passes at tolerance 0.1, not at 0.
        let line: &[[f64; 3]] = &[[9.0, 4.0, 1.0], [2.0, 0.0, 7.0], [2.1, 2.1, 2.1]];
        assert_eq!(
            judge(decreasing(0.1), &[(1.0, line)]).decision,
            Decision::Holds
        );
        let strict = judge(decreasing(0.0), &[(1.0, line)]);
        assert_eq!(strict.decision, Decision::Refuted);
        assert!(
            strict.lines[0].found.contains("from m = 1"),
            "{}",
            strict.lines[0].found
        );
        // Each line is judged: a second line that rises refutes the whole.
        let rising: &[[f64; 3]] = &[[1.0; 3], [2.0; 3], [3.0; 3]];
        let both = judge(decreasing(0.1), &[(1.0, line), (2.0, rising)]);
        assert_eq!((both.lines.len(), both.decision), (2, Decision::Refuted));
        assert_eq!(both.lines[1].fixed, "d = 2.0");
    }

    #[test]
    fn reaches_compares_the_first_majority_of_each_condition() {
        // Recorded as 1/0: `q` holds on 2 of 3 seeds at m = 1.
        let first: &[[f64; 3]] = &[[0.0; 3], [1.0, 1.0, 0.0], [1.0; 3]];
        let (settings, mut recorded) = grid(&[(1.0, first)]);
        let later = [[0.0; 3], [0.0, 1.0, 0.0], [1.0; 3]];
        for (r, v) in recorded.iter_mut().zip(later) {
            r.push(RecordedValues {
                text: "p".into(),
                values: v.to_vec(),
            });
        }
        let points = usable(&settings, &recorded);
        let shape = |first: &str, before: &str| Across {
            shape: Shape::Reaches {
                first: first.into(),
                before: before.into(),
            },
            along: "m".into(),
            why: "test".into(),
        };
        assert_eq!(shape("q", "p").evaluate(&points).decision, Decision::Holds);
        assert_eq!(
            shape("p", "q").evaluate(&points).decision,
            Decision::Refuted
        );
        assert_eq!(
            shape("q", "q").evaluate(&points).decision,
            Decision::Refuted
        );
        let mut unusable = points;
        unusable[0].usable = false;
        assert_eq!(shape("q", "p").evaluate(&unusable).decision, Decision::Open);
    }
}
