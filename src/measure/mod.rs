//! What is measured on matrices: spectra, norms, errors against a ground truth, the balancedness
//! of a factorisation, entrywise norms and supports (a vector's, for a d×1 matrix), a vector's Fourier spectrum. This layer sits below everything else: it never knows which solver made
//! a matrix, nor that a claim asks about it. Solvers (thresholding, penalties, certificates), the
//! trace and the claim vocabulary all measure through it.

mod entrywise;
pub mod fourier;
mod potential;
mod psd;
mod spectrum;
mod svd;
pub mod tensor;
mod variation;

pub use entrywise::{l1_norm, l1_over_l2, max_abs, support_errors, support_size};
pub use fourier::{Dft, fourier_l1, fourier_l1_dual, fourier_l1_over_l2, fourier_support};
pub use potential::Potential;
pub use psd::{largest_eigenvalue, psd_trace, shrink_psd};
pub use spectrum::{Spectrum, effective_rank, singular_values};
pub use svd::ThinSvd;
pub use tensor::{component_norms, component_norms_into, matricisation_rank};
pub use variation::{input_norms, variation_halves};

use nalgebra::DMatrix;

/// Arora et al.'s reconstruction error: the MSE over all entries, (1/(rows·cols))‖W − W*‖²_F.
pub fn test_mse(w: &DMatrix<f64>, truth: &DMatrix<f64>) -> f64 {
    (w - truth).norm_squared() / w.len() as f64
}

/// ‖W − W*‖_F / ‖W*‖_F.
pub fn relative_error(w: &DMatrix<f64>, truth: &DMatrix<f64>) -> f64 {
    (w - truth).norm() / truth.norm()
}

/// ‖W_a − W_b‖_F / ‖W*‖_F: how far apart two solutions are on the scale of the truth.
pub fn relative_distance(a: &DMatrix<f64>, b: &DMatrix<f64>, truth: &DMatrix<f64>) -> f64 {
    (a - b).norm() / truth.norm()
}

/// ⟨A, B⟩/(‖A‖_F‖B‖_F): 1 when two matrices point the same way (NaN when either is 0).
pub fn cosine(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    a.dot(b) / (a.norm() * b.norm())
}

/// max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F over consecutive factors (0 for one factor): zero exactly
/// when the factorisation is balanced (Arora, Cohen, Hazan 2018).
pub fn balancedness(factors: &[DMatrix<f64>]) -> f64 {
    factors
        .windows(2)
        .map(|pair| (pair[1].transpose() * &pair[1] - &pair[0] * pair[0].transpose()).norm())
        .fold(0.0, f64::max)
}
