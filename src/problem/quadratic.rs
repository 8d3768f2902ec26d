//! The data of a two-layer network with quadratic activations (Li, Ma, Zhang 2018, COLT,
//! "Algorithmic regularization in over-parameterized matrix sensing and neural networks with
//! quadratic activations"): yᵢ = Σⱼ (u*ⱼᵀxᵢ)² = ⟨xᵢxᵢᵀ, X*⟩ with X* = U*U*ᵀ positive
//! semidefinite of rank r. A network f(x) = Σⱼ (uⱼᵀx)² = ⟨xxᵀ, UUᵀ⟩ fitted to them *is* symmetric
//! matrix sensing with the rank-one measurements Aᵢ = xᵢxᵢᵀ, so the instance is a d×d sensing
//! problem and every matrix metric reads the network's UUᵀ.
//!
//! Li, Ma and Zhang draw xᵢ ~ N(0, I_d); here xᵢ ~ N(0, I_d/d), so that ‖Aᵢ‖_F ≈ 1 and yᵢ is of
//! order 1 as in `sensing` (the paper's yᵢ are d times these: only a step size's units differ).
//! X* = U*U*ᵀ with Gaussian U*, rescaled to entries of RMS 1 as every generated truth is.

use super::completion::validate_shape_and_rank;
use super::instance::{Family, Fit, Form, Observations, Problem};
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Quadratic-network data as a claim writes it (`quadratic: {dim, rank, samples}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuadraticSpec {
    /// d, the input dimension (the matrix is d×d).
    pub dim: usize,
    /// r, the rank of X* (the teacher's width).
    pub rank: usize,
    /// n, the number of samples (xᵢ, yᵢ).
    pub samples: usize,
}

impl Family for QuadraticSpec {
    fn shape(&self) -> (usize, usize) {
        (self.dim, self.dim)
    }

    fn has_truth(&self) -> bool {
        true
    }

    fn observations(&self) -> usize {
        self.samples
    }

    fn observes_entries(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), Invalid> {
        require(
            self.dim >= 1 && self.dim.checked_mul(self.dim).is_some(),
            "dim",
            || "a dimension d ≥ 1 with d² below 2⁶⁴".into(),
        )?;
        validate_shape_and_rank(self.dim, self.dim, self.rank)?;
        require(self.samples >= 1, "samples", || "at least 1 sample".into())
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let d = self.dim;
        let teacher = random::gaussian_matrix(d, self.rank, 1.0, rng);
        let product = &teacher * teacher.transpose();
        let truth = &product * (d as f64 / product.norm());
        let inputs = random::gaussian_matrix(d, self.samples, 1.0 / (d as f64).sqrt(), rng);
        let mut matrices = DMatrix::zeros(d * d, self.samples);
        let mut targets = DVector::zeros(self.samples);
        for (i, x) in inputs.column_iter().enumerate() {
            let outer = x * x.transpose();
            targets[i] = outer.dot(&truth);
            matrices.column_mut(i).copy_from_slice(outer.as_slice());
        }
        Problem {
            rows: d,
            cols: d,
            observations: Observations::Measurements { matrices, targets },
            truth: Some(truth),
            fit: Fit::Squared,
            held_out: None,
            form: Form::Matrix,
        }
    }
}
