//! A searched claim's domain: its parameters with their kinds (integers in a range, reals
//! uniform or log-uniform in a range, a choice among values), the constraints between them, and
//! each parameter's order of simplicity (toward its `simplest` value: by default an integer's
//! lower bound, the real of smallest magnitude in range, the first choice). Points are drawn
//! from a search seed through `rand_chacha`; `toward` and `distance` are what shrinking walks.

use crate::claim::language::expr::{Expr, Scope};
use crate::claim::read::parameters::{Misuse, Setting, label, substitute, uses};
use crate::digits::round_significant;
use crate::random::{Rng, search_stream};
use rand::RngExt;
use serde::Deserialize;
use serde_yaml::Value;

/// The most points a search may try, and the most candidates its shrinking may decide.
pub const MAX_POINTS: usize = 1000;

/// The most draws spent finding one point that satisfies the constraints.
pub const MAX_DRAWS: usize = 1000;

/// The significant digits a drawn real keeps: reports and kept files stay readable.
const DRAWN_DIGITS: i32 = 3;

/// What values a parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Integers from `lo` to `hi`, both included.
    Int {
        /// The lower bound.
        lo: i64,
        /// The upper bound.
        hi: i64,
    },
    /// Reals drawn uniformly from `[lo, hi]`.
    Uniform {
        /// The lower bound.
        lo: f64,
        /// The upper bound.
        hi: f64,
    },
    /// Reals whose logarithm is drawn uniformly from `[ln lo, ln hi]` (`0 < lo`).
    LogUniform {
        /// The lower bound.
        lo: f64,
        /// The upper bound.
        hi: f64,
    },
    /// One of the values listed.
    Choice(Vec<Value>),
}

/// One parameter of the domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// Its name, used as `$name`.
    pub name: String,
    /// Its values.
    pub kind: Kind,
    /// The simplest value: shrinking moves toward it.
    pub simplest: Value,
}

/// `search.domain.<name>` as written: exactly one kind, and optionally the simplest value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDimension {
    int: Option<[i64; 2]>,
    uniform: Option<[f64; 2]>,
    log_uniform: Option<[f64; 2]>,
    choice: Option<Vec<Value>>,
    simplest: Option<Value>,
}

fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

impl Dimension {
    /// Checks a declaration; the error says what was expected.
    pub fn read(name: String, raw: RawDimension) -> Result<Dimension, String> {
        let kinds = [
            raw.int.is_some(),
            raw.uniform.is_some(),
            raw.log_uniform.is_some(),
            raw.choice.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(
                "exactly one of `int: [lo, hi]`, `uniform: [lo, hi]`, `log_uniform: [lo, hi]` or `choice: [values]`".into(),
            );
        }
        let finite = |[lo, hi]: [f64; 2], positive: bool| {
            if lo.is_finite() && hi.is_finite() && lo <= hi && (!positive || lo > 0.0) {
                // A width past f64's range would draw and bisect infinities.
                if (hi - lo).is_finite() {
                    return Ok((lo, hi));
                }
                Err(format!(
                    "bounds `[lo, hi]` whose width hi − lo is a finite f64; found [{}, {}]",
                    label(&Value::from(lo)),
                    label(&Value::from(hi))
                ))
            } else {
                Err(format!(
                    "finite bounds `[lo, hi]` with lo ≤ hi{}; found [{lo}, {hi}]",
                    if positive { " and 0 < lo" } else { "" }
                ))
            }
        };
        let kind = if let Some([lo, hi]) = raw.int {
            if lo > hi {
                return Err(format!(
                    "bounds `[lo, hi]` with lo ≤ hi; found [{lo}, {hi}]"
                ));
            }
            Kind::Int { lo, hi }
        } else if let Some(bounds) = raw.uniform {
            let (lo, hi) = finite(bounds, false)?;
            Kind::Uniform { lo, hi }
        } else if let Some(bounds) = raw.log_uniform {
            let (lo, hi) = finite(bounds, true)?;
            Kind::LogUniform { lo, hi }
        } else {
            let values = raw.choice.unwrap_or_default();
            if values.is_empty() {
                return Err("a `choice` of at least one value".into());
            }
            for (k, value) in values.iter().enumerate() {
                let scalar = match value {
                    Value::Number(_) | Value::Bool(_) => true,
                    Value::String(s) => !s.chars().any(char::is_control),
                    _ => false,
                };
                if !scalar {
                    return Err(format!(
                        "choices that are numbers, one-line texts or true/false; choice {k} is not"
                    ));
                }
                if values[..k].contains(value) {
                    return Err(format!(
                        "each choice once; `{}` is given twice",
                        label(value)
                    ));
                }
            }
            Kind::Choice(values)
        };
        let mut dimension = Dimension {
            name,
            simplest: Value::Null,
            kind,
        };
        dimension.simplest = match raw.simplest {
            Some(value) if dimension.contains(&value) => dimension.normal(&value),
            Some(value) => {
                return Err(format!(
                    "a `simplest` value inside the parameter's range; found `{}`",
                    label(&value)
                ));
            }
            None => dimension.default_simplest(),
        };
        Ok(dimension)
    }

    /// By default: an integer's lower bound, the real of smallest magnitude, the first choice.
    fn default_simplest(&self) -> Value {
        match &self.kind {
            Kind::Int { lo, .. } => Value::from(*lo),
            Kind::Uniform { lo, hi } => Value::from(if *lo <= 0.0 && *hi >= 0.0 {
                0.0
            } else if *lo > 0.0 {
                *lo
            } else {
                *hi
            }),
            Kind::LogUniform { lo, .. } => Value::from(*lo),
            Kind::Choice(values) => values[0].clone(),
        }
    }

    /// The value as this parameter writes it (an integer as an integer, a real as a real).
    fn normal(&self, value: &Value) -> Value {
        match self.kind {
            Kind::Int { .. } => Value::from(value.as_i64().unwrap_or_default()),
            Kind::Uniform { .. } | Kind::LogUniform { .. } => Value::from(number(value)),
            Kind::Choice(_) => value.clone(),
        }
    }

    /// Whether `value` is one of this parameter's values.
    pub fn contains(&self, value: &Value) -> bool {
        match &self.kind {
            Kind::Int { lo, hi } => value.as_i64().is_some_and(|v| (*lo..=*hi).contains(&v)),
            Kind::Uniform { lo, hi } | Kind::LogUniform { lo, hi } => {
                value.as_f64().is_some_and(|v| *lo <= v && v <= *hi)
            }
            Kind::Choice(values) => values.contains(value),
        }
    }

    /// Whether `value` is of this parameter's kind (an integer, a number, a scalar for a
    /// choice), in its range or not: a kept counterexample outside a narrowed range is
    /// replayed as outside the domain, not refused.
    pub fn of_kind(&self, value: &Value) -> bool {
        match &self.kind {
            Kind::Int { .. } => value.as_i64().is_some(),
            Kind::Uniform { .. } | Kind::LogUniform { .. } => {
                value.as_f64().is_some_and(f64::is_finite)
            }
            Kind::Choice(_) => !(value.is_mapping() || value.is_sequence()),
        }
    }

    /// The most bytes one of its values takes written into a point's text (a drawn real keeps
    /// 3 significant digits; shrinking's are no longer).
    pub fn longest_written(&self) -> usize {
        match &self.kind {
            Kind::Int { .. } => 20,
            Kind::Uniform { .. } | Kind::LogUniform { .. } => 32,
            Kind::Choice(values) => values
                .iter()
                .map(crate::claim::read::parameters::written_len)
                .max()
                .unwrap_or(0),
        }
    }

    /// Whether shrinking walks whole steps (integers, choices) rather than halving a real gap.
    pub fn is_discrete(&self) -> bool {
        matches!(self.kind, Kind::Int { .. } | Kind::Choice(_))
    }

    /// Where `value` stands on the line shrinking walks: the value itself, its logarithm for
    /// a log-uniform parameter, its index for a choice.
    fn coordinate(&self, value: &Value) -> f64 {
        match &self.kind {
            Kind::Int { .. } | Kind::Uniform { .. } => number(value),
            Kind::LogUniform { .. } => number(value).ln(),
            Kind::Choice(values) => values.iter().position(|v| v == value).unwrap_or(0) as f64,
        }
    }

    /// How far `value` is from the simplest value, on that line.
    pub fn distance(&self, value: &Value) -> f64 {
        (self.coordinate(value) - self.coordinate(&self.simplest)).abs()
    }

    /// The value `distance` from the simplest on the side of `from` (a real to
    /// `DRAWN_DIGITS` significant digits, as drawn ones are).
    pub fn toward(&self, from: &Value, distance: f64) -> Value {
        let target = self.coordinate(&self.simplest);
        let side = (self.coordinate(from) - target).signum();
        let at = target + side * distance;
        match &self.kind {
            Kind::Int { lo, hi } => Value::from((at.round() as i64).clamp(*lo, *hi)),
            Kind::Uniform { lo, hi } => real(at, *lo, *hi),
            Kind::LogUniform { lo, hi } => real(at.exp(), *lo, *hi),
            Kind::Choice(values) => {
                values[(at.round().max(0.0) as usize).min(values.len() - 1)].clone()
            }
        }
    }

    /// `value` rounded to `digits` significant digits, if that is a value of this parameter
    /// other than `value` (reals only).
    pub fn rounded(&self, value: &Value, digits: i32) -> Option<Value> {
        if self.is_discrete() {
            return None;
        }
        let rounded = Value::from(round_significant(number(value), digits));
        (rounded != *value && self.contains(&rounded)).then_some(rounded)
    }

    /// A value drawn from `rng`: uniform over the integers or choices, uniform or log-uniform
    /// over the reals (rounded to `DRAWN_DIGITS` significant digits, kept in range).
    fn draw(&self, rng: &mut Rng) -> Value {
        let u: f64 = rng.random();
        match &self.kind {
            Kind::Int { lo, hi } => Value::from(rng.random_range(*lo..=*hi)),
            Kind::Uniform { lo, hi } => real(lo + u * (hi - lo), *lo, *hi),
            Kind::LogUniform { lo, hi } => real((lo.ln() + u * (hi / lo).ln()).exp(), *lo, *hi),
            Kind::Choice(values) => values[rng.random_range(0..values.len())].clone(),
        }
    }

    /// The kind in words, for reports: `int 8..30`, `log-uniform 0.001..0.1`, `choice a, b`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Int { lo, hi } => format!("int {lo}..{hi}"),
            Kind::Uniform { lo, hi } => format!("uniform {lo}..{hi}"),
            Kind::LogUniform { lo, hi } => format!("log-uniform {lo}..{hi}"),
            Kind::Choice(values) => format!(
                "choice {}",
                values.iter().map(label).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// A real value to `DRAWN_DIGITS` significant digits, kept in `[lo, hi]`.
fn real(x: f64, lo: f64, hi: f64) -> Value {
    Value::from(round_significant(x, DRAWN_DIGITS).clamp(lo, hi))
}

/// A condition between parameters, written with `$name`s (`$observed >= 2 * $rank * $rows`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// As written.
    pub text: String,
}

impl Constraint {
    /// Whether the condition holds at `point` (false when it cannot be read there).
    pub fn holds(&self, point: &[Setting]) -> bool {
        self.expression(point).is_ok_and(|e| e.truth(&|_| f64::NAN))
    }

    /// The condition at `point`, read as an expression over numbers alone; the error says what
    /// was expected.
    pub fn expression(&self, point: &[Setting]) -> Result<Expr, Misuse> {
        let found = uses(&self.text);
        let (text, map) = substitute(&self.text, &found, point)?;
        // Columns of the text as written, not of the values written in.
        let misuse = |column: usize, expected: String| Misuse {
            line: 1,
            column: map.column(1, column),
            field: String::new(),
            expected,
        };
        let expr = Expr::parse(&text).map_err(|e| misuse(e.column, e.expected))?;
        let scope = Scope {
            runs: &[],
            rows: 0,
            cols: 0,
            has_truth: false,
            labels: false,
            held_out: None,
        };
        expr.check_assertion(&scope)
            .map_err(|e| misuse(e.column, e.expected))?;
        if !expr.references().is_empty() {
            return Err(misuse(
                1,
                "a condition on the domain's parameters alone, naming no run or metric".into(),
            ));
        }
        Ok(expr)
    }
}

/// The parameters, in the order declared, and the constraints between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// The parameters.
    pub dimensions: Vec<Dimension>,
    /// Conditions every point must meet: a point that does not is never run.
    pub constraints: Vec<Constraint>,
}

impl Domain {
    /// Whether `point` gives every parameter one of its values and meets every constraint.
    pub fn admits(&self, point: &[Setting]) -> bool {
        point.len() == self.dimensions.len()
            && self
                .dimensions
                .iter()
                .zip(point)
                .all(|(d, s)| d.name == s.name && d.contains(&s.value))
            && self.constraints.iter().all(|c| c.holds(point))
    }

    /// The simplest point: every parameter at its simplest value (it may break a constraint).
    pub fn simplest(&self) -> Vec<Setting> {
        self.dimensions
            .iter()
            .map(|d| Setting {
                name: d.name.clone(),
                value: d.simplest.clone(),
            })
            .collect()
    }

    /// `count` points drawn from `seed`, each meeting the constraints, and the draws rejected
    /// on the way; the error names the point no draw within `MAX_DRAWS` could make.
    pub fn draw(&self, seed: u64, count: usize) -> Result<(Vec<Vec<Setting>>, usize), usize> {
        let mut rng = search_stream(seed);
        let mut points = Vec::with_capacity(count);
        let mut rejected = 0;
        for k in 0..count {
            let point = (0..MAX_DRAWS).find_map(|_| {
                let point: Vec<Setting> = self
                    .dimensions
                    .iter()
                    .map(|d| Setting {
                        name: d.name.clone(),
                        value: d.draw(&mut rng),
                    })
                    .collect();
                let admitted = self.admits(&point);
                rejected += usize::from(!admitted);
                admitted.then_some(point)
            });
            points.push(point.ok_or(k)?);
        }
        Ok((points, rejected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dimension(name: &str, yaml: &str) -> Dimension {
        Dimension::read(name.into(), serde_yaml::from_str(yaml).unwrap()).unwrap()
    }

    #[test]
    fn simplest_values_by_kind() {
        assert_eq!(dimension("n", "{int: [8, 30]}").simplest, Value::from(8));
        assert_eq!(
            dimension("x", "{uniform: [-1, 2]}").simplest,
            Value::from(0.0)
        );
        assert_eq!(
            dimension("x", "{uniform: [-3, -1]}").simplest,
            Value::from(-1.0)
        );
        assert_eq!(
            dimension("a", "{log_uniform: [0.001, 0.1]}").simplest,
            Value::from(0.001)
        );
        assert_eq!(
            dimension("c", "{choice: [b, a]}").simplest,
            Value::from("b")
        );
        assert_eq!(
            dimension("n", "{int: [8, 30], simplest: 30}").simplest,
            Value::from(30)
        );
        let wrong = Dimension::read(
            "n".into(),
            serde_yaml::from_str("{int: [8, 30], simplest: 40}").unwrap(),
        );
        assert!(wrong.unwrap_err().contains("inside the parameter's range"));
        let two = Dimension::read(
            "n".into(),
            serde_yaml::from_str("{int: [8, 30], choice: [1]}").unwrap(),
        );
        assert!(two.unwrap_err().starts_with("exactly one of"));
        let wide = Dimension::read(
            "x".into(),
            serde_yaml::from_str("{uniform: [-1.0e308, 1.0e308]}").unwrap(),
        );
        assert!(wide.unwrap_err().contains("width hi − lo is a finite f64"));
    }

    #[test]
    fn toward_walks_from_the_simplest() {
        let n = dimension("n", "{int: [8, 30], simplest: 30}");
        assert_eq!(n.distance(&Value::from(10)), 20.0);
        assert_eq!(n.toward(&Value::from(10), 5.0), Value::from(25));
        let a = dimension("a", "{log_uniform: [0.001, 0.1]}");
        let halfway = a.toward(&Value::from(0.1), a.distance(&Value::from(0.1)) / 2.0);
        assert!((number(&halfway) - 0.01).abs() < 1e-12);
        assert_eq!(a.rounded(&Value::from(0.0123), 1), Some(Value::from(0.01)));
    }

    #[test]
    fn draws_meet_the_constraints_and_repeat() {
        let domain = Domain {
            dimensions: vec![
                dimension("n", "{int: [2, 10]}"),
                dimension("m", "{int: [1, 100]}"),
            ],
            constraints: vec![Constraint {
                text: "$m >= 2 * $n".into(),
            }],
        };
        let (points, _) = domain.draw(7, 50).unwrap();
        assert!(points.iter().all(|p| domain.admits(p)));
        assert_eq!(domain.draw(7, 50).unwrap().0, points);
        assert_ne!(domain.draw(8, 50).unwrap().0, points);
        let impossible = Domain {
            constraints: vec![Constraint {
                text: "$m > 1000".into(),
            }],
            ..domain
        };
        assert_eq!(impossible.draw(7, 3), Err(0));
    }
}
