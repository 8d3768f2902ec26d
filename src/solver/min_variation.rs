//! The minimum variation-norm interpolant on orthogonal inputs, in closed form: the limit
//! Boursier, Pillaud-Vivien and Flammarion (2022) give for a two-layer ReLU network trained from
//! small initialisation (`relu`).
//!
//! **The closed form** (derived in docs/science.md, §7c). Write xᵢ = rᵢqᵢ with orthonormal qᵢ.
//! The least Σⱼ |aⱼ|·‖wⱼ‖ of a network Σⱼ aⱼσ(⟨wⱼ, x⟩) with values pᵢ at the inputs is
//! V(p) = ‖(pᵢ/rᵢ)_{pᵢ>0}‖₂ + ‖(pᵢ/rᵢ)_{pᵢ<0}‖₂, reached by two units: u± ∝ Σ_{±pᵢ>0} (pᵢ/rᵢ)qᵢ
//! with output weight ±V±. Its dual: for unit u, Σᵢ λᵢσ(⟨u, xᵢ⟩) = Σᵢ (λᵢrᵢ)·max(uᵢ, 0) ranges
//! over [−‖(λr)₋‖, ‖(λr)₊‖], so λ with ‖(λᵢrᵢ)₊‖ ≤ 1 and ‖(λᵢrᵢ)₋‖ ≤ 1 bounds every network:
//! Σⱼ |aⱼ|‖wⱼ‖ ≥ Σⱼ aⱼ Σᵢ λᵢσ(⟨wⱼ, xᵢ⟩) = ⟨λ, p⟩. The interpolant p = y is the run's matrix,
//! V(y) its value, and λᵢ = (yᵢ/rᵢ)/(rᵢ·V±) on each sign's points meets the bound with
//! equality: the certificate, as `Certified::VariationNorm` with 𝒜 the identity on values.

use super::certificate::{Certificate, Certified};
use super::cost::{Cost, FLOAT, Shape};
use super::driver::{Endpoint, Iterate};
use super::record::Stop;
use crate::measure::{input_norms, variation_halves};
use crate::problem::{Problem, Reduction};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// The closed form as a claim writes it: `min_variation: {}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinVariationSpec {}

impl MinVariationSpec {
    /// Two passes over the inputs (d·n each) and the two units.
    pub fn cost(&self, shape: Shape, dim: f64) -> Cost {
        let n = shape.rows;
        Cost {
            working: (4.0 * dim + 4.0 * n) * FLOAT,
            record: (2.0 * n + 4.0 * dim + 200.0) * FLOAT,
            setup: 4.0 * dim * n,
            per_step: 0.0,
            steps: 0.0,
            setting: "min_variation",
        }
    }
}

/// The solution, found when built: the values y, the two-unit network that has them and the
/// certificate.
pub struct MinVariation<'p> {
    problem: &'p Problem,
    values: DMatrix<f64>,
    /// [W (2×d), a (2×1)], balanced: |aⱼ| = ‖wⱼ‖.
    network: Vec<DMatrix<f64>>,
    certificate: Certificate,
}

impl<'p> MinVariation<'p> {
    /// The closed form on `problem`, whose inputs are orthogonal (validated with the claim).
    pub fn new(problem: &'p Problem, _spec: MinVariationSpec) -> Self {
        let inputs = problem
            .inputs()
            .expect("min_variation is validated against a problem with inputs");
        let y = problem.targets();
        let norms = input_norms(inputs);
        let (positive, negative) = variation_halves(y, &norms);
        let dim = inputs.nrows();
        let mut weights = DMatrix::zeros(2, dim);
        let mut multipliers = DVector::zeros(y.len());
        for (i, (&value, &r)) in y.iter().zip(&norms).enumerate() {
            let (row, half) = if value > 0.0 {
                (0, positive)
            } else {
                (1, negative)
            };
            if half > 0.0 {
                // Unit row ∝ Σ (yᵢ/rᵢ)qᵢ = Σ (yᵢ/rᵢ²)xᵢ, of norm √V± once scaled.
                let along = value.abs() / (r * r * half.sqrt());
                let mut unit = weights.row_mut(row);
                unit += inputs.column(i).transpose() * along;
                multipliers[i] = value / (r * r * half);
            }
        }
        let outputs = DMatrix::from_column_slice(2, 1, &[positive.sqrt(), -negative.sqrt()]);
        let value = positive + negative;
        let lower_bound = multipliers.iter().zip(y).map(|(l, y)| l * y).sum::<f64>();
        let certificate = Certificate {
            certifies: Certified::VariationNorm,
            lower_bound,
            gap: if value > 0.0 {
                (value - lower_bound).abs() / value
            } else {
                0.0
            },
            feasibility: 0.0,
            multipliers,
            conjugate: 0.0,
        };
        Self {
            problem,
            values: DMatrix::from_column_slice(y.len(), 1, y),
            network: vec![weights, outputs],
            certificate,
        }
    }
}

impl Iterate for MinVariation<'_> {
    /// The train loss (½·mean) of the values: 0, they are the targets.
    fn evaluate(&mut self) -> f64 {
        Reduction::Mean.loss(&self.problem.residuals(&self.values))
    }

    fn advance(&mut self) {}

    fn stop(&self) -> Option<Stop> {
        Some(Stop::Certified)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.values
    }

    /// The values, the two-unit network [W, a] and the certificate.
    fn finish(self) -> Endpoint {
        Endpoint {
            matrix: self.values,
            factors: self.network,
            certificate: Some(self.certificate),
        }
    }
}
