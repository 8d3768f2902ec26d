//! Spectral maps W = U·diag(σ)·Vᵀ ↦ U·diag(f(σ))·Vᵀ from one thin SVD: singular value
//! thresholding (ADMM's Z-step) and the gradients of the spectral penalties are both such maps.

use nalgebra::{DMatrix, DVector, SVD};

/// A thin SVD, with the singular values in whatever order nalgebra leaves them.
pub struct ThinSvd {
    left: DMatrix<f64>,
    singular_values: DVector<f64>,
    right: DMatrix<f64>,
}

impl ThinSvd {
    /// `None` for a matrix with a non-finite entry or an SVD that does not converge. nalgebra's
    /// SVD consumes its input and allocates its factors: O(n²) allocation against O(n³) work.
    pub fn of(w: DMatrix<f64>) -> Option<Self> {
        if !w.iter().all(|x| x.is_finite()) {
            return None;
        }
        match SVD::try_new_unordered(w, true, true, f64::EPSILON, 10_000)? {
            SVD {
                u: Some(left),
                v_t: Some(right),
                singular_values,
            } => Some(Self {
                left,
                singular_values,
                right,
            }),
            _ => None,
        }
    }

    /// σᵢ in the SVD's own order.
    pub fn singular_values(&self) -> &[f64] {
        self.singular_values.as_slice()
    }

    /// `out ← β·out + U·diag(f(σᵢ))·Vᵀ`.
    pub fn map_into(mut self, f: impl Fn(f64) -> f64, beta: f64, out: &mut DMatrix<f64>) {
        for (mut column, &sigma) in self.left.column_iter_mut().zip(&self.singular_values) {
            column *= f(sigma);
        }
        out.gemm(1.0, &self.left, &self.right, beta);
    }
}
