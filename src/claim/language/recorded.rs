//! Quantities a claim records at every seed without asserting anything about them: what its
//! assertions across sweep points compare and what its figures draw. Also their summary over
//! seeds (median and quartiles) and the mistakes their declarations can carry.

use crate::claim::language::expr::{Expr, ExprError, Scope};
use serde::Serialize;

/// A quantity evaluated at every seed (a number, or true/false recorded as 1 and 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// As written: the key reports use.
    pub text: String,
    /// Parsed and checked.
    pub expr: Expr,
    /// Whether it is true/false.
    pub boolean: bool,
}

/// A recorded quantity's value at each seed of a report, in the order of the report's seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedValues {
    /// The quantity as written.
    pub text: String,
    /// Its value at each seed.
    pub values: Vec<f64>,
}

/// A mistake in an `across` entry or a figure, before the spec turns it into a located error.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldError {
    /// The field (a dotted path) and what was expected.
    Field(String, String),
    /// An expression at `field` (its text) and the error at a column within it.
    Expression(String, String, ExprError),
}

impl FieldError {
    /// A mistake at `field`.
    pub fn field(field: impl Into<String>, expected: impl Into<String>) -> Self {
        FieldError::Field(field.into(), expected.into())
    }
}

/// Where a quantity is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'r> {
    /// On the runs' ends and the truth: `depth3.test_mse`.
    End,
    /// Along the trajectory of the run of this name: bare metrics of its state, `sigma(1)`.
    AlongRun(&'r str),
    /// A condition on the runs' ends: true or false.
    Condition,
}

/// Parses and checks `text` written at `field` for `place`.
pub fn quantity(
    field: &str,
    text: &str,
    scope: &Scope,
    place: Place,
) -> Result<Recorded, FieldError> {
    let text = text.trim().to_string();
    let located = |e: ExprError| FieldError::Expression(field.to_string(), text.clone(), e);
    let expr = match place {
        Place::AlongRun(_) => Expr::parse_along_run(&text),
        _ => Expr::parse(&text),
    }
    .map_err(located)?;
    match place {
        Place::End => expr.check_number(scope),
        Place::AlongRun(run) => expr.check_along_run(scope, run),
        Place::Condition => expr.check_assertion(scope),
    }
    .map_err(located)?;
    Ok(Recorded {
        text,
        expr,
        boolean: place == Place::Condition,
    })
}

/// Adds `recorded` to `list` unless a quantity of the same text is there.
pub fn add(list: &mut Vec<Recorded>, recorded: Recorded) {
    if !list.iter().any(|r| r.text == recorded.text) {
        list.push(recorded);
    }
}

/// The values of the quantity `text` in `recorded`, or none.
pub fn values<'r>(recorded: &'r [RecordedValues], text: &str) -> &'r [f64] {
    recorded
        .iter()
        .find(|r| r.text == text)
        .map_or(&[], |r| r.values.as_slice())
}

/// The lower quartile, median and upper quartile (linear interpolation between order
/// statistics, numpy's default); NaN for no values or any NaN.
pub fn quartiles(values: &[f64]) -> [f64; 3] {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return [f64::NAN; 3];
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let position = q * (sorted.len() - 1) as f64;
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        let (a, b, t) = (sorted[low], sorted[high], position - low as f64);
        if t == 0.0 || a == b {
            return a;
        }
        if a.is_infinite() || b.is_infinite() {
            // The limit of the interpolation: the infinite end (∞ − ∞ would give NaN), and
            // NaN only between −∞ and +∞.
            return a + b;
        }
        a + (b - a) * t
    };
    [at(0.25), at(0.5), at(0.75)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_as_numpy_does() {
        assert_eq!(quartiles(&[4.0, 1.0, 3.0, 2.0]), [1.75, 2.5, 3.25]);
        assert_eq!(quartiles(&[7.0]), [7.0; 3]);
        assert!(quartiles(&[]).iter().all(|q| q.is_nan()));
        let inf = f64::INFINITY;
        assert_eq!(quartiles(&[inf, inf, inf]), [inf; 3]);
        assert_eq!(quartiles(&[1.0, inf, inf, inf, inf]), [inf; 3]);
        assert_eq!(quartiles(&[-inf, -inf, 0.0]), [-inf; 3]);
        assert_eq!(quartiles(&[0.0, 1.0, inf]), [0.5, 1.0, inf]);
        assert!(quartiles(&[-inf, inf])[1].is_nan());
    }
}
