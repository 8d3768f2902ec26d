//! Measures of a matrix's entries one by one — for a d×1 matrix, a vector's norms and support:
//! ‖w‖₁, ‖w‖∞, the scale-invariant sparsity measure ‖w‖₁/‖w‖₂ (the vector analogue of Zhao's
//! normalised nuclear norm; 1 for one nonzero entry, √d for equal magnitudes), and the support
//! at a tolerance compared with a truth's.

use nalgebra::DMatrix;

/// Σ |Wᵢⱼ| (‖w‖₁ for a vector).
pub fn l1_norm(w: &DMatrix<f64>) -> f64 {
    w.iter().map(|x| x.abs()).sum()
}

/// max |Wᵢⱼ| (‖w‖∞ for a vector); 0 for an empty matrix.
pub fn max_abs(w: &DMatrix<f64>) -> f64 {
    w.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// ‖W‖₁/‖W‖_F, entrywise; NaN for the zero matrix.
pub fn l1_over_l2(w: &DMatrix<f64>) -> f64 {
    let l2 = w.norm();
    if l2 > 0.0 { l1_norm(w) / l2 } else { f64::NAN }
}

/// Entries with |Wᵢⱼ| > tol.
pub fn support_size(w: &DMatrix<f64>, tol: f64) -> usize {
    w.iter().filter(|x| x.abs() > tol).count()
}

/// Entries in the support of `w` at `tol` but not in the truth's (false positives), and in the
/// truth's but not in `w`'s (false negatives); the truth's support is its nonzero entries.
pub fn support_errors(w: &DMatrix<f64>, truth: &DMatrix<f64>, tol: f64) -> (usize, usize) {
    w.iter()
        .zip(truth.iter())
        .fold((0, 0), |(positive, negative), (x, t)| {
            let (found, there) = (x.abs() > tol, *t != 0.0);
            (
                positive + usize::from(found && !there),
                negative + usize::from(there && !found),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_and_supports_of_a_vector() {
        let w = DMatrix::from_column_slice(4, 1, &[3.0, 0.0, -4.0, 1e-9]);
        assert_eq!(l1_norm(&w), 7.0 + 1e-9);
        assert_eq!(max_abs(&w), 4.0);
        assert!((l1_over_l2(&w) - (7.0 + 1e-9) / 5.0).abs() < 1e-12);
        assert_eq!(support_size(&w, 1e-6), 2);
        let truth = DMatrix::from_column_slice(4, 1, &[1.0, 2.0, -1.0, 0.0]);
        assert_eq!(support_errors(&w, &truth, 1e-6), (0, 1));
        assert_eq!(support_errors(&w, &truth, 1e-12), (1, 1));
        assert!(l1_over_l2(&DMatrix::zeros(3, 1)).is_nan());
    }
}
