//! The minimum-ℓ2 interpolant in closed form: argmin ‖W‖_F subject to 𝒜(W) = y is
//! W = 𝒜*(λ) with 𝒜𝒜*λ = y (the least-norm solution of an underdetermined linear system; for a
//! vector, w = Xᵀ(XXᵀ)⁻¹y = X⁺y). Gradient descent from zero on ½‖𝒜(W) − y‖² stays in the range
//! of 𝒜* and converges to it — the implicit bias of a linear model. When 𝒜𝒜* is singular or y is
//! out of reach, λ is the pseudo-inverse's and W the least-norm least-squares matrix.
//!
//! **Certificate** (weak duality, as for the nuclear norm with the Frobenius norm self-dual):
//! with μ = λ/‖𝒜*(λ)‖_F, ‖𝒜*(μ)‖_F = 1, so every W has ‖W‖_F ≥ ⟨𝒜*(μ), W⟩ = ⟨μ, 𝒜(W)⟩
//! (Cauchy–Schwarz) and every interpolant ‖W‖_F ≥ ⟨y, μ⟩. For the solution ⟨y, μ⟩ = ‖W‖_F
//! up to rounding: the gap is the proof, and μ is exported whole.

use super::certificate::{Certificate, Certified};
use super::cost::{Cost, FLOAT, Shape};
use super::driver::{Endpoint, Iterate};
use super::record::Stop;
use crate::invalid::{Invalid, require};
use crate::problem::{Observations, Problem, Reduction};
use nalgebra::{DMatrix, DVector, SVD};
use serde::{Deserialize, Serialize};

/// A closed-form minimum-norm interpolant as a claim writes it: `min_norm: { norm: l2 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinNormSpec {
    /// The norm minimised.
    pub norm: Norm,
    /// The largest constraint violation accepted as interpolation, relative to max(1, max|yᵢ|).
    #[serde(default = "default_feasibility")]
    pub feasibility: f64,
}

/// Which norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    /// ‖W‖_F: a vector's ‖w‖₂.
    L2,
}

fn default_feasibility() -> f64 {
    1e-8
}

impl MinNormSpec {
    /// What the closed form costs on an instance of `shape` (`gram_solve`), in one step.
    pub fn cost(&self, shape: Shape) -> Cost {
        let (working, record, operations) = gram_solve(shape);
        Cost {
            working,
            record,
            setup: operations,
            per_step: 0.0,
            steps: 0.0,
            setting: "min_norm",
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        require(
            self.feasibility > 0.0 && self.feasibility.is_finite(),
            "feasibility",
            || "a positive feasibility tolerance".into(),
        )
    }
}

/// The solution, found when first evaluated; the driver then stops it (certified, or
/// exhausted when no matrix interpolates).
pub struct MinNorm<'p> {
    problem: &'p Problem,
    spec: MinNormSpec,
    solution: DMatrix<f64>,
    certificate: Option<Certificate>,
}

/// Working bytes, record bytes and operations of one solve with the k×k Gram matrix 𝒜𝒜*: forming
/// it from dense measurements (k²·rows·cols), its SVD or factorisation (30k³ at most), and one
/// adjoint. The Newton steps of `diagonal_potential` each do as much.
pub fn gram_solve(shape: Shape) -> (f64, f64, f64) {
    let (k, size) = (shape.observations, shape.size());
    let gram = if shape.entries { 0.0 } else { k * k * size };
    let working = (3.0 * k * k + 4.0 * size + 4.0 * k) * FLOAT;
    let record = (2.0 * size + k + 200.0) * FLOAT;
    (working, record, gram + 30.0 * k * k * k)
}

impl<'p> MinNorm<'p> {
    /// The closed form on `problem`.
    pub fn new(problem: &'p Problem, spec: MinNormSpec) -> Self {
        let Norm::L2 = spec.norm;
        let k = problem.observation_count();
        let gram = match &problem.observations {
            // Distinct entries: 𝒜𝒜* = I.
            Observations::Entries { .. } => DMatrix::identity(k, k),
            Observations::Measurements { matrices, .. } => matrices.tr_mul(matrices),
        };
        let y = DVector::from_column_slice(problem.targets());
        let svd = SVD::new(gram, true, true);
        let cutoff = k as f64 * f64::EPSILON * svd.singular_values.max();
        let lambda = svd
            .solve(&y, cutoff)
            .unwrap_or_else(|_| DVector::from_element(k, f64::NAN));
        let mut solution = DMatrix::zeros(problem.rows, problem.cols);
        problem.add_adjoint(1.0, &lambda, &mut solution);
        let certificate = certify(problem, &solution, &lambda);
        Self {
            problem,
            spec,
            solution,
            certificate: Some(certificate),
        }
    }
}

/// The bound ⟨y, μ⟩ with μ = λ/‖𝒜*(λ)‖_F, its gap to ‖W‖_F and W's feasibility.
fn certify(problem: &Problem, w: &DMatrix<f64>, lambda: &DVector<f64>) -> Certificate {
    let norm = w.norm();
    let y = problem.targets();
    let multipliers = if norm > 0.0 {
        lambda / norm
    } else {
        DVector::zeros(lambda.len())
    };
    let lower_bound: f64 = multipliers.iter().zip(y).map(|(m, y)| m * y).sum();
    let gap = if norm > 0.0 {
        (norm - lower_bound).abs() / norm
    } else {
        0.0
    };
    let scale = y.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
    let residual = problem.residuals(w).amax();
    Certificate {
        certifies: Certified::FrobeniusNorm,
        lower_bound,
        gap,
        feasibility: residual / scale,
        multipliers,
        conjugate: 0.0,
    }
}

impl Iterate for MinNorm<'_> {
    /// The train loss (½·mean) of the solution.
    fn evaluate(&mut self) -> f64 {
        Reduction::Mean.loss(&self.problem.residuals(&self.solution))
    }

    fn advance(&mut self) {}

    fn stop(&self) -> Option<Stop> {
        let certificate = self.certificate.as_ref()?;
        (certificate.feasibility <= self.spec.feasibility).then_some(Stop::Certified)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.solution
    }

    fn finish(self) -> Endpoint {
        Endpoint {
            matrix: self.solution.clone(),
            factors: vec![self.solution],
            certificate: self.certificate,
        }
    }
}
