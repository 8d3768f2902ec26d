//! Tensor completion (Razin, Maman, Cohen 2021, "Implicit regularization in tensor
//! factorization"): an order-N tensor of CP rank r, T* = Σ_r a_r⁽¹⁾ ⊗ ⋯ ⊗ a_r⁽ᴺ⁾ with Gaussian
//! factors, seen at `observed` entries drawn uniformly without replacement. The instance is the
//! tensor's mode-1 unfolding, a d × d^{N−1} matrix whose column index runs over (i₂, …, i_N) with
//! i₂ fastest — the tensor's entries in the order of its flat column-major storage — so that
//! completion's operator, loss and metrics apply unchanged, and the matrix's rank is the
//! mode-1 matricisation's. The truth is rescaled to entries of RMS 1 as every generated truth is
//! (their code uses ‖T*‖_F = 1: only the units of a scale differ).

use super::completion::observe_entries;
use super::instance::{Family, Form, Problem};
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Tensor completion as a claim writes it (`tensor: {order, dim, rank, observed}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// N ≥ 2, the number of modes (2 is matrix completion with a CP truth).
    pub order: usize,
    /// d, every mode's size.
    pub dim: usize,
    /// r ≥ 1, the CP rank of the truth (its number of components).
    pub rank: usize,
    /// The number of entries observed.
    pub observed: usize,
}

/// The most modes: matricisations are enumerated (2^{N−1} − 1 of them).
pub const MAX_ORDER: usize = 16;
/// The most entries of a tensor (its truth is held whole): 2²⁶, 512 MiB.
pub const MAX_ENTRIES: usize = 1 << 26;

impl TensorSpec {
    /// d^N, or `None` past `MAX_ENTRIES`.
    fn entries(&self) -> Option<usize> {
        self.dim
            .checked_pow(self.order as u32)
            .filter(|&n| n <= MAX_ENTRIES)
    }
}

impl Family for TensorSpec {
    fn shape(&self) -> (usize, usize) {
        let rest = self
            .dim
            .checked_pow(self.order.saturating_sub(1) as u32)
            .unwrap_or(0);
        (self.dim, rest)
    }

    fn has_truth(&self) -> bool {
        true
    }

    fn observations(&self) -> usize {
        self.observed
    }

    fn observes_entries(&self) -> bool {
        true
    }

    fn modes(&self) -> Option<Vec<usize>> {
        Some(vec![self.dim; self.order])
    }

    fn validate(&self) -> Result<(), Invalid> {
        require((2..=MAX_ORDER).contains(&self.order), "order", || {
            format!("an order from 2 to {MAX_ORDER}")
        })?;
        require(self.dim >= 1, "dim", || "modes of size at least 1".into())?;
        let entries = self.entries();
        require(entries.is_some(), "dim", || {
            format!(
                "a tensor of at most 2²⁶ entries; {}^{} is more",
                self.dim, self.order
            )
        })?;
        require(self.rank >= 1, "rank", || "a CP rank of at least 1".into())?;
        let entries = entries.unwrap_or(0);
        require((1..=entries).contains(&self.observed), "observed", || {
            format!("between 1 and dim^order = {entries} observed entries")
        })
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let (rows, cols) = self.shape();
        let factors: Vec<DMatrix<f64>> = (0..self.order)
            .map(|_| random::gaussian_matrix(self.dim, self.rank, 1.0, rng))
            .collect();
        let tensor = cp_unfolding(&factors);
        let scale = ((rows * cols) as f64).sqrt() / tensor.norm();
        let mut problem = observe_entries(tensor * scale, self.observed, rng);
        problem.form = Form::Tensor(vec![self.dim; self.order]);
        problem
    }
}

/// Σ_r a_r⁽¹⁾ ⊗ ⋯ ⊗ a_r⁽ᴺ⁾ as its mode-1 unfolding, for factor matrices A⁽ⁿ⁾ (d_n × R) whose
/// column r is a_r⁽ⁿ⁾: entry (i₁, i₂ + d₂·i₃ + ⋯) is Σ_r ∏_n A⁽ⁿ⁾[i_n, r]. By its definition,
/// entry by entry (for the truth and for tests; the model forms it by products).
pub fn cp_unfolding(factors: &[DMatrix<f64>]) -> DMatrix<f64> {
    let rows = factors[0].nrows();
    let cols: usize = factors[1..].iter().map(|f| f.nrows()).product();
    let components = factors[0].ncols();
    DMatrix::from_fn(rows, cols, |i, j| {
        (0..components)
            .map(|r| {
                let mut rest = j;
                let mut term = factors[0][(i, r)];
                for factor in &factors[1..] {
                    let d = factor.nrows();
                    term *= factor[(rest % d, r)];
                    rest /= d;
                }
                term
            })
            .sum()
    })
}
