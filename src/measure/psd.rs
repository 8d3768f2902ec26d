//! The positive semidefinite cone: what trace minimisation over it needs (`trace_psd`, the
//! convex counterpart of a quadratic network, Li, Ma, Zhang 2018). For f(Z) = tr Z + ι(Z ⪰ 0)
//! the proximal map at level τ is Π₊(sym(A) − τI) (eigenvalues λ ↦ max(λ − τ, 0)), and the
//! conjugate is 0 on {S : λ_max(sym S) ≤ 1}: every feasible Z ⪰ 0 has tr Z ≥ ⟨S, Z⟩ there.

use nalgebra::{DMatrix, SymmetricEigen};

/// (A + Aᵀ)/2 of a square matrix, in one copy (the decomposition consumes it).
fn symmetric_part(a: &DMatrix<f64>) -> DMatrix<f64> {
    let mut s = a.clone();
    for j in 0..s.ncols() {
        for i in 0..j {
            let mean = 0.5 * (s[(i, j)] + s[(j, i)]);
            s[(i, j)] = mean;
            s[(j, i)] = mean;
        }
    }
    s
}

/// The eigen-decomposition of sym(A), or `None` when it fails (non-finite entries): nalgebra's
/// iteration, capped.
fn eigen(a: &DMatrix<f64>) -> Option<SymmetricEigen<f64, nalgebra::Dyn>> {
    if !a.iter().all(|x| x.is_finite()) {
        return None;
    }
    SymmetricEigen::try_new(symmetric_part(a), f64::EPSILON, 10_000)
}

/// Into `out`: Π₊(sym(A) − τI), the proximal map of τ·(tr + ι_{⪰0}) at a square A; returns its
/// trace, or `None` (and `out` untouched) when the decomposition fails.
pub fn shrink_psd(a: &DMatrix<f64>, tau: f64, out: &mut DMatrix<f64>) -> Option<f64> {
    let eigen = eigen(a)?;
    out.fill(0.0);
    let mut trace = 0.0;
    for (k, &lambda) in eigen.eigenvalues.iter().enumerate() {
        let kept = lambda - tau;
        if kept > 0.0 {
            let v = eigen.eigenvectors.column(k);
            out.ger(kept, &v, &v, 1.0);
            trace += kept;
        }
    }
    Some(trace)
}

/// λ_max(sym(A)) of a square matrix; NaN when the decomposition fails.
pub fn largest_eigenvalue(a: &DMatrix<f64>) -> f64 {
    eigen(a).map_or(f64::NAN, |e| e.eigenvalues.max())
}

/// tr X + ι(X ⪰ 0): the trace of a symmetric positive semidefinite X, +∞ for any other matrix
/// (asymmetric beyond 1e-9·‖X‖_F, or an eigenvalue below −1e-9·‖X‖_F: rounding, not a cone
/// violation, at either scale).
pub fn psd_trace(x: &DMatrix<f64>) -> f64 {
    if !x.is_square() {
        return f64::INFINITY;
    }
    let tolerance = 1e-9 * x.norm();
    let asymmetric = (x - x.transpose()).norm() > tolerance;
    let lowest = eigen(x).map_or(f64::NAN, |e| e.eigenvalues.min());
    if asymmetric || lowest.is_nan() || lowest < -tolerance {
        return f64::INFINITY;
    }
    x.trace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_keeps_the_eigenvalues_above_the_level() {
        // sym(A) has eigenvalues 3 and −1 along (1, 1)/√2 and (1, −1)/√2.
        let a = DMatrix::from_row_slice(2, 2, &[1.0, 3.0, 1.0, 1.0]);
        let mut out = DMatrix::zeros(2, 2);
        let trace = shrink_psd(&a, 0.5, &mut out).unwrap();
        approx::assert_relative_eq!(trace, 2.5, epsilon = 1e-12);
        let expected = DMatrix::from_element(2, 2, 1.25);
        approx::assert_relative_eq!(out, expected, epsilon = 1e-12);
        approx::assert_relative_eq!(largest_eigenvalue(&a), 3.0, epsilon = 1e-12);
    }

    #[test]
    fn the_trace_of_a_matrix_outside_the_cone_is_infinite() {
        let psd = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]);
        assert_eq!(psd_trace(&psd), 4.0);
        let indefinite = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        assert_eq!(psd_trace(&indefinite), f64::INFINITY);
        let asymmetric = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
        assert_eq!(psd_trace(&asymmetric), f64::INFINITY);
        assert_eq!(psd_trace(&DMatrix::zeros(2, 3)), f64::INFINITY);
    }
}
