//! The ground truth of generated problems (Arora et al. 2019, code): W* = U Vᵀ with Gaussian
//! factors, rescaled so that ‖W*‖_F = √(rows·cols), i.e. entries of RMS 1.

use crate::random::{self, Rng};
use nalgebra::DMatrix;

/// A random rank-`rank` rows×cols matrix with entries of RMS 1.
pub fn low_rank(rows: usize, cols: usize, rank: usize, rng: &mut Rng) -> DMatrix<f64> {
    let u = random::gaussian_matrix(rows, rank, 1.0, rng);
    let v = random::gaussian_matrix(cols, rank, 1.0, rng);
    let w = u * v.transpose();
    let target = ((rows * cols) as f64).sqrt();
    let norm = w.norm();
    w * (target / norm)
}
