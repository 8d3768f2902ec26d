//! Assertions across the points of a sweep judged on each point's summary over its seeds: each
//! line of the grid along the parameter, on the points' medians (`monotone`) or on whether a
//! condition holds on at least half the seeds (`reaches`). Deterministic functions of the
//! points' seeds; the statistics of random instances are in the points' own decisions.

use crate::claim::decide::sequential::Decision;
use crate::claim::language::recorded::{self, RecordedValues, quartiles};
use crate::claim::read::across::{Across, Direction, Shape};
use crate::claim::read::parameters::{Setting, label, lines_along};
use serde::Serialize;

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
                    // Equal medians are monotone either way, ±∞ included (whose slack is
                    // ∞ − ∞ or 0·∞, NaN, which would refute a constant line).
                    let slack = tolerance * w[0].abs();
                    let ok = w[1] == w[0]
                        || match direction {
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

    fn monotone(direction: Direction, tolerance: f64) -> Shape {
        Shape::Monotone {
            quantity: "q".into(),
            direction,
            tolerance,
        }
    }

    /// At its edge a slack of `tolerance`·|the earlier median| is allowed and the next float
    /// past it is not, in both directions and for negative medians too: a mutant that moves
    /// either branch's slack fails here.
    #[test]
    fn monotone_holds_at_its_slack_and_not_a_float_beyond_it() {
        let judged = |tolerance, direction, from: f64, to: f64| {
            let line: &[[f64; 3]] = &[[from; 3], [to; 3]];
            judge(monotone(direction, tolerance), &[(1.0, line)]).decision
        };
        let decide = |direction, from, to| judged(0.25, direction, from, to);
        let strict = |direction, from, to| judged(0.0, direction, from, to);
        let up = |x: f64| f64::from_bits(x.to_bits() + 1);
        let down = |x: f64| f64::from_bits(x.to_bits() - 1);
        // A constant line is monotone both ways, at ±∞ too, with or without a tolerance.
        for x in [f64::INFINITY, f64::NEG_INFINITY, 0.0] {
            for direction in [Direction::Decreasing, Direction::Increasing] {
                assert_eq!(decide(direction, x, x), Decision::Holds, "{x}");
                assert_eq!(strict(direction, x, x), Decision::Holds, "{x}");
            }
        }
        // From 4 the slack is 1: decreasing may rise to 5, increasing may fall to 3.
        assert_eq!(decide(Direction::Decreasing, 4.0, 5.0), Decision::Holds);
        assert_eq!(
            decide(Direction::Decreasing, 4.0, up(5.0)),
            Decision::Refuted
        );
        assert_eq!(decide(Direction::Increasing, 4.0, 3.0), Decision::Holds);
        assert_eq!(
            decide(Direction::Increasing, 4.0, down(3.0)),
            Decision::Refuted
        );
        // From −4 the slack is |−4|·0.25 = 1 as well.
        assert_eq!(decide(Direction::Decreasing, -4.0, -3.0), Decision::Holds);
        assert_eq!(
            decide(Direction::Decreasing, -4.0, -3.0 + 1e-15),
            Decision::Refuted
        );
        assert_eq!(decide(Direction::Increasing, -4.0, -5.0), Decision::Holds);
        assert_eq!(
            decide(Direction::Increasing, -4.0, -5.0 - 1e-14),
            Decision::Refuted
        );
        // The right way is always allowed, with no tolerance at all.
        assert_eq!(strict(Direction::Decreasing, 4.0, 4.0), Decision::Holds);
        assert_eq!(
            strict(Direction::Decreasing, 4.0, up(4.0)),
            Decision::Refuted
        );
        assert_eq!(strict(Direction::Increasing, 4.0, 4.0), Decision::Holds);
        assert_eq!(
            strict(Direction::Increasing, 4.0, down(4.0)),
            Decision::Refuted
        );
        assert_eq!(strict(Direction::Increasing, 4.0, 1e300), Decision::Holds);
        assert_eq!(strict(Direction::Decreasing, 4.0, -1e300), Decision::Holds);
    }
}
