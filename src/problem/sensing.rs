//! Matrix sensing: k measurements yᵢ = ⟨Aᵢ, W*⟩ with i.i.d. N(0, 1/(rows·cols)) entries in Aᵢ
//! (Arora et al. 2019, code).

use super::completion::validate_shape_and_rank;
use super::instance::{Family, Fit, Form, Observations, Problem};
use super::truth;
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::DVectorView;
use serde::{Deserialize, Serialize};

/// Matrix sensing as a claim writes it (`sensing: {rows, cols, rank, measurements}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensingSpec {
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// Rank of the ground truth.
    pub rank: usize,
    /// Number of Gaussian measurements k.
    pub measurements: usize,
}

impl Family for SensingSpec {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn has_truth(&self) -> bool {
        true
    }

    fn observations(&self) -> usize {
        self.measurements
    }

    fn observes_entries(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), Invalid> {
        validate_shape_and_rank(self.rows, self.cols, self.rank)?;
        require(self.measurements >= 1, "measurements", || {
            "at least 1 measurement".into()
        })
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let truth = truth::low_rank(self.rows, self.cols, self.rank, rng);
        let n = self.rows * self.cols;
        // Drawn as the k×(rows·cols) operator whose row i is vec(Aᵢ), stored as its transpose.
        let operator = random::gaussian_matrix(self.measurements, n, (1.0 / n as f64).sqrt(), rng);
        let targets = &operator * DVectorView::from_slice(truth.as_slice(), n);
        Problem {
            rows: self.rows,
            cols: self.cols,
            observations: Observations::Measurements {
                matrices: operator.transpose(),
                targets,
            },
            truth: Some(truth),
            fit: Fit::Squared,
            held_out: None,
            form: Form::Matrix,
        }
    }
}
