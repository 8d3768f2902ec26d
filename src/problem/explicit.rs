//! An instance written out in the claim: observed entries with their values, or measurement
//! matrices with targets; the ground truth is optional. Razin & Cohen's 2×2 problem is one.

use super::completion::validate_shape;
use super::instance::{Family, Fit, Form, Observations, Problem};
use crate::invalid::{Invalid, require};
use crate::random::Rng;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// An explicit instance as a claim writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitSpec {
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// Observed entries (completion); exclusive with `measurements`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<ExplicitEntry>>,
    /// Measurement matrices with targets (sensing); exclusive with `entries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurements: Option<Vec<ExplicitMeasurement>>,
    /// The ground truth, as a list of rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truth: Option<Vec<Vec<f64>>>,
}

/// One observed entry, 0-based.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitEntry {
    /// The row, from 0.
    pub row: usize,
    /// The column, from 0.
    pub col: usize,
    /// The observed value.
    pub value: f64,
}

/// One measurement ⟨A, W⟩ = target, with A as a list of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitMeasurement {
    /// A, as a list of rows.
    pub matrix: Vec<Vec<f64>>,
    /// ⟨A, W⟩'s observed value.
    pub target: f64,
}

impl Family for ExplicitSpec {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn has_truth(&self) -> bool {
        self.truth.is_some()
    }

    fn observations(&self) -> usize {
        self.entries.as_ref().map_or(0, Vec::len) + self.measurements.as_ref().map_or(0, Vec::len)
    }

    fn observes_entries(&self) -> bool {
        self.entries.is_some()
    }

    fn draw(&self, _: &mut Rng) -> Problem {
        self.instance()
    }

    fn validate(&self) -> Result<(), Invalid> {
        validate_shape(self.rows, self.cols)?;
        match (&self.entries, &self.measurements) {
            (Some(entries), None) => self.validate_entries(entries),
            (None, Some(measurements)) => {
                require(!measurements.is_empty(), "measurements", || {
                    "at least one measurement".into()
                })?;
                for (k, m) in measurements.iter().enumerate() {
                    let field = format!("measurements[{k}]");
                    self.validate_matrix(&m.matrix)
                        .map_err(|e| e.within(&format!("{field}.matrix")))?;
                    require(m.target.is_finite(), &format!("{field}.target"), || {
                        "a finite number".into()
                    })?;
                }
                Ok(())
            }
            _ => Err(Invalid::new(
                "entries",
                "exactly one of `entries` (completion) or `measurements` (sensing)",
            )),
        }?;
        match &self.truth {
            Some(truth) => self.validate_matrix(truth).map_err(|e| e.within("truth")),
            None => Ok(()),
        }
    }
}

impl ExplicitSpec {
    fn validate_entries(&self, entries: &[ExplicitEntry]) -> Result<(), Invalid> {
        require(!entries.is_empty(), "entries", || {
            "at least one observed entry".into()
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for (k, e) in entries.iter().enumerate() {
            let field = format!("entries[{k}]");
            require(e.row < self.rows, &format!("{field}.row"), || {
                format!(
                    "a row index below rows = {} (indices are 0-based)",
                    self.rows
                )
            })?;
            require(e.col < self.cols, &format!("{field}.col"), || {
                format!(
                    "a column index below cols = {} (indices are 0-based)",
                    self.cols
                )
            })?;
            require(e.value.is_finite(), &format!("{field}.value"), || {
                "a finite number".into()
            })?;
            require(seen.insert((e.row, e.col)), &field, || {
                format!("each entry observed once; ({}, {}) repeats", e.row, e.col)
            })?;
        }
        Ok(())
    }

    /// A list of `rows` rows of `cols` finite numbers each.
    fn validate_matrix(&self, matrix: &[Vec<f64>]) -> Result<(), Invalid> {
        require(matrix.len() == self.rows, "", || {
            format!("{} rows, found {}", self.rows, matrix.len())
        })?;
        for (i, row) in matrix.iter().enumerate() {
            require(row.len() == self.cols, &format!("[{i}]"), || {
                format!("{} numbers in the row, found {}", self.cols, row.len())
            })?;
            require(row.iter().all(|x| x.is_finite()), &format!("[{i}]"), || {
                "finite numbers".into()
            })?;
        }
        Ok(())
    }

    fn instance(&self) -> Problem {
        let observations = match (&self.entries, &self.measurements) {
            (Some(entries), _) => Observations::Entries {
                at: entries.iter().map(|e| (e.row, e.col)).collect(),
                values: entries.iter().map(|e| e.value).collect(),
            },
            (None, measurements) => {
                let measurements = measurements.as_deref().unwrap_or_default();
                let n = self.rows * self.cols;
                let matrices = DMatrix::from_fn(n, measurements.len(), |idx, k| {
                    measurements[k].matrix[idx % self.rows][idx / self.rows]
                });
                let targets = DVector::from_iterator(
                    measurements.len(),
                    measurements.iter().map(|m| m.target),
                );
                Observations::Measurements { matrices, targets }
            }
        };
        Problem {
            rows: self.rows,
            cols: self.cols,
            observations,
            truth: self.truth.as_deref().map(|t| to_matrix(t, self.cols)),
            fit: Fit::Squared,
            held_out: None,
            form: Form::Matrix,
        }
    }
}

/// A validated list of rows as a matrix.
fn to_matrix(rows: &[Vec<f64>], cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), cols, |i, j| rows[i][j])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::instance::Reduction;

    #[test]
    fn explicit_measurements_read_matrices_row_by_row() {
        let spec = ExplicitSpec {
            rows: 2,
            cols: 3,
            entries: None,
            measurements: Some(vec![ExplicitMeasurement {
                matrix: vec![vec![1.0, 0.0, 2.0], vec![0.0, 3.0, 0.0]],
                target: 5.0,
            }]),
            truth: None,
        };
        spec.validate().unwrap();
        let problem = spec.instance();
        // ⟨A, W⟩ = 1·W₀₀ + 2·W₀₂ + 3·W₁₁ = 1 + 2·2 + 3·4 = 17, so ℓ = ½(17 − 5)².
        let w = DMatrix::from_row_slice(2, 3, &[1.0, 9.0, 2.0, 9.0, 4.0, 9.0]);
        assert_eq!(problem.loss(&w, Reduction::Sum), 72.0);
    }

    #[test]
    fn entries_must_be_distinct_and_inside() {
        let entry = |row, col| ExplicitEntry {
            row,
            col,
            value: 1.0,
        };
        let spec = |entries| ExplicitSpec {
            rows: 2,
            cols: 2,
            entries: Some(entries),
            measurements: None,
            truth: None,
        };
        assert_eq!(
            spec(vec![entry(0, 1), entry(0, 1)])
                .validate()
                .unwrap_err()
                .field,
            "entries[1]"
        );
        assert_eq!(
            spec(vec![entry(0, 2)]).validate().unwrap_err().field,
            "entries[0].col"
        );
        assert!(spec(vec![entry(1, 1)]).validate().is_ok());
    }
}
