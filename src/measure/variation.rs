//! The least variation norm Σⱼ |aⱼ|·‖wⱼ‖ of a two-layer ReLU network with given values at
//! orthogonal inputs, in closed form (derived in docs/science.md §7c): the objective of
//! `min_variation` and of its certificate.

use nalgebra::DMatrix;

/// ‖xᵢ‖ for every input (a column each).
pub fn input_norms(inputs: &DMatrix<f64>) -> Vec<f64> {
    inputs.column_iter().map(|x| x.norm()).collect()
}

/// V(p) = ‖(pᵢ/rᵢ)_{pᵢ>0}‖₂ + ‖(pᵢ/rᵢ)_{pᵢ<0}‖₂: the least variation norm of a ReLU network with
/// values p at orthogonal inputs of norms r; each half is (V₊, V₋).
pub fn variation_halves(values: &[f64], norms: &[f64]) -> (f64, f64) {
    let (mut positive, mut negative) = (0.0, 0.0);
    for (p, r) in values.iter().zip(norms) {
        let t = (p / r).powi(2);
        if *p > 0.0 {
            positive += t;
        } else {
            negative += t;
        }
    }
    (positive.sqrt(), negative.sqrt())
}
