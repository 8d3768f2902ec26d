//! A target with a given spectrum in random orthonormal bases, W* = U diag(σ) Vᵀ with U and V
//! Haar-distributed (the Q of a Gaussian matrix's QR, signs fixed by R's diagonal; Mezzadri 2007),
//! observed fully or at entries drawn uniformly. The setting of the singular-value dynamics
//! (Arora et al. 2019, Theorem 3; Saxe et al. 2014): the spectrum is chosen, not drawn, so the
//! order and the gaps in which the values are learned are the claim's to state.

use super::completion::{observe_entries, validate_shape};
use super::instance::{Family, Problem};
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// `spectrum: { rows, cols, singular_values: [8, 4, 2], observed }` as a claim writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpectrumSpec {
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// The truth's non-zero singular values, largest first: `truth.sigma(k)` is the k-th.
    pub singular_values: Vec<f64>,
    /// Entries observed, drawn uniformly without replacement; every entry when left out.
    #[serde(default)]
    pub observed: Option<usize>,
}

impl SpectrumSpec {
    fn entries_observed(&self) -> usize {
        self.observed.unwrap_or(self.rows * self.cols)
    }
}

impl Family for SpectrumSpec {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn has_truth(&self) -> bool {
        true
    }

    fn observations(&self) -> usize {
        self.entries_observed()
    }

    fn observes_entries(&self) -> bool {
        true
    }

    fn validate(&self) -> Result<(), Invalid> {
        validate_shape(self.rows, self.cols)?;
        let most = self.rows.min(self.cols);
        let count = self.singular_values.len();
        require((1..=most).contains(&count), "singular_values", || {
            format!("between 1 and min(rows, cols) = {most} singular values; found {count}")
        })?;
        for (k, pair) in self.singular_values.windows(2).enumerate() {
            require(
                pair[1] <= pair[0],
                &format!("singular_values[{}]", k + 1),
                || {
                    format!(
                        "singular values largest first (σ₁ ≥ σ₂ ≥ …, so that sigma(k) is the k-th); {} follows {}",
                        pair[1], pair[0]
                    )
                },
            )?;
        }
        for (k, &s) in self.singular_values.iter().enumerate() {
            require(
                s.is_finite() && s > 0.0,
                &format!("singular_values[{k}]"),
                || format!("a positive, finite singular value; found {s}"),
            )?;
        }
        let entries = self.rows * self.cols; // checked by validate_shape
        require(
            (1..=entries).contains(&self.entries_observed()),
            "observed",
            || format!("between 1 and rows·cols = {entries} observed entries"),
        )
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let rank = self.singular_values.len();
        let u = haar_columns(self.rows, rank, rng);
        let v = haar_columns(self.cols, rank, rng);
        let scaled = DMatrix::from_fn(self.rows, rank, |i, k| u[(i, k)] * self.singular_values[k]);
        let truth = scaled * v.transpose();
        observe_entries(truth, self.entries_observed(), rng)
    }
}

/// `columns` orthonormal columns of a Haar-distributed n×n orthogonal matrix: the Q of a
/// Gaussian matrix's QR with each column's sign set by R's diagonal (without it Q is not
/// uniformly distributed; Mezzadri 2007, §5).
fn haar_columns(n: usize, columns: usize, rng: &mut Rng) -> DMatrix<f64> {
    let qr = random::gaussian_matrix(n, columns, 1.0, rng).qr();
    let r = qr.r();
    let mut q = qr.q();
    for k in 0..columns {
        if r[(k, k)] < 0.0 {
            q.column_mut(k).neg_mut();
        }
    }
    q
}
