//! The spectrum of one matrix and everything read off it, from one SVD.

use nalgebra::{DMatrix, SVD};
use serde::{Deserialize, Serialize};

/// Measurements of one matrix, computed from one SVD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// σ₁ ≥ σ₂ ≥ … ≥ 0; NaN throughout for a matrix with a non-finite entry.
    pub singular_values: Vec<f64>,
    /// Roy & Vetterli's entropy rank (`effective_rank`).
    pub effective_rank: f64,
    /// ‖W‖* = Σσᵢ.
    pub nuclear_norm: f64,
    /// ‖W‖_F = √Σσᵢ².
    pub frobenius_norm: f64,
    /// ‖W‖₂ = σ₁.
    pub spectral_norm: f64,
    /// ‖W‖*/‖W‖_F (Zhao 2022); NaN for the zero matrix.
    pub normalised_nuclear_norm: f64,
    /// det W, square matrices only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub determinant: Option<f64>,
}

impl Spectrum {
    /// The spectrum of `w`.
    pub fn of(w: &DMatrix<f64>) -> Self {
        let singular_values = singular_values(w);
        let nuclear_norm: f64 = singular_values.iter().sum();
        let frobenius_norm = singular_values.iter().map(|s| s * s).sum::<f64>().sqrt();
        Self {
            effective_rank: effective_rank(&singular_values),
            nuclear_norm,
            frobenius_norm,
            spectral_norm: singular_values.first().copied().unwrap_or(0.0),
            normalised_nuclear_norm: nuclear_norm / frobenius_norm,
            determinant: w.is_square().then(|| w.determinant()),
            singular_values,
        }
    }

    /// The number of singular values above `relative_tolerance`·σ₁; by default numpy's
    /// `matrix_rank` tolerance max(rows, cols)·ε.
    pub fn numerical_rank(&self, relative_tolerance: Option<f64>, shape: (usize, usize)) -> usize {
        let tolerance = relative_tolerance.unwrap_or(shape.0.max(shape.1) as f64 * f64::EPSILON);
        let largest = self.spectral_norm;
        self.singular_values
            .iter()
            .filter(|&&s| s > tolerance * largest)
            .count()
    }
}

/// Singular values in decreasing order. A matrix with a non-finite entry (a diverged run) gets NaN
/// singular values instead of an SVD that may never converge.
pub fn singular_values(w: &DMatrix<f64>) -> Vec<f64> {
    let count = w.nrows().min(w.ncols());
    if !w.iter().all(|x| x.is_finite()) {
        return vec![f64::NAN; count];
    }
    match SVD::try_new(w.clone(), false, false, f64::EPSILON, 10_000) {
        Some(svd) => {
            let mut values: Vec<f64> = svd.singular_values.iter().copied().collect();
            values.sort_by(|a, b| b.total_cmp(a));
            values
        }
        None => vec![f64::NAN; count],
    }
}

/// Roy & Vetterli (2007): erank = exp(−Σ pᵢ ln pᵢ) with pᵢ = σᵢ/Σσⱼ; zero singular values
/// contribute nothing, and the zero matrix has effective rank 0.
pub fn effective_rank(singular_values: &[f64]) -> f64 {
    let total: f64 = singular_values.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    let entropy: f64 = singular_values
        .iter()
        .filter(|&&s| s > 0.0)
        .map(|&s| {
            let p = s / total;
            -p * p.ln()
        })
        .sum();
    entropy.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_rank_of_identity_is_dimension() {
        let m = Spectrum::of(&(DMatrix::identity(4, 4) * 3.0));
        approx::assert_relative_eq!(m.effective_rank, 4.0, epsilon = 1e-12);
        approx::assert_relative_eq!(m.normalised_nuclear_norm, 2.0, epsilon = 1e-12);
        assert_eq!(m.numerical_rank(None, (4, 4)), 4);
    }

    #[test]
    fn non_finite_matrix_has_nan_spectrum() {
        let m = Spectrum::of(&DMatrix::from_element(2, 2, f64::NAN));
        assert!(m.singular_values.iter().all(|s| s.is_nan()));
    }
}
