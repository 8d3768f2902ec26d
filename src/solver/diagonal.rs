//! Diagonal linear networks w = u^{⊙D} − v^{⊙D} from u(0) = v(0) = α·1 (Woodworth, Gunasekar,
//! Lee, Moroshko, Savarese, Golan, Soudry, Srebro, "Kernel and Rich Regimes in Overparametrized
//! Models", COLT 2020, §4): the scale α moves gradient flow's limit from the minimum-ℓ2
//! interpolant (α → ∞, the kernel regime) to the minimum-ℓ1 one (α → 0, the rich regime); in
//! between it is argmin Q^D_α (`potential`). The product is taken entry by entry, so the model
//! fits any rows×cols problem; a regression's w is d×1. Gradients: ∂ℓ/∂u = D·u^{D−1} ⊙ ∇ℓ(w),
//! ∂ℓ/∂v = −D·v^{D−1} ⊙ ∇ℓ(w).

use super::cost::{Cost, FLOAT, MATRIX, STEP_OVERHEAD, Shape};
use super::driver::Endpoint;
use super::model::{self, Network, Output};
use super::optimizer::OptimizerSpec;
use super::penalty::PenaltySpec;
use crate::invalid::{Invalid, require};
use crate::problem::{Problem, Reduction};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A diagonal-network run as a claim describes it. The training settings repeat `DeepSpec`'s
/// (serde cannot flatten a shared struct into one that denies unknown fields); they are
/// validated by the one `model::validate_training`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagonalSpec {
    /// D ≥ 2, the power of each half (2, the default, is w = u⊙u − v⊙v).
    #[serde(default = "two")]
    pub depth: u32,
    /// α > 0: u(0) = v(0) = α·1, so w(0) = 0.
    pub alpha: f64,
    /// How u and v move.
    pub optimizer: OptimizerSpec,
    /// `mean` (½·mean, the default) or `sum` (½Σ) over the observations.
    #[serde(default)]
    pub loss: Reduction,
    /// The step budget; by default 1,000,000 when `target_loss` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Stop as soon as the train loss falls to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_loss: Option<f64>,
    /// An explicit penalty λ·R on w.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<PenaltySpec>,
}

fn two() -> u32 {
    2
}

/// The largest depth: α^D and u^{D−1} are formed with `powi`, and deeper networks add nothing
/// the claims need.
pub const MAX_DEPTH: u32 = 64;

impl DiagonalSpec {
    /// What a run costs on an instance of `shape`: u, v, their gradients (and the optimiser's
    /// state), w and ∇ℓ(w); a step is the loss's operator and its adjoint plus a few passes over
    /// the entries.
    pub fn cost(&self, shape: Shape) -> Cost {
        let size = shape.size();
        let state = match self.optimizer {
            OptimizerSpec::Adam { .. } => 4.0,
            OptimizerSpec::GradientFlow(_) => 16.0,
            _ => 0.0,
        };
        let steps = self.step_budget() as f64;
        let penalty = if self.penalty.is_some() {
            shape.svd()
        } else {
            0.0
        };
        let per_evaluation = 2.0 * shape.operator() + penalty + 20.0 * size;
        Cost {
            working: ((6.0 + state) * size + shape.observations) * FLOAT + (8.0 + state) * MATRIX,
            record: shape.record(6.0, 0.0, steps, 6.0),
            setup: 0.0,
            per_step: self.optimizer.evaluations_per_step() * per_evaluation + STEP_OVERHEAD * 3.0,
            steps,
            setting: "diagonal.steps",
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        validate_scale(self.depth, self.alpha)?;
        model::validate_training(
            &self.optimizer,
            self.penalty.as_ref(),
            self.steps,
            self.target_loss,
        )
    }

    /// The step budget.
    pub fn step_budget(&self) -> usize {
        self.steps.unwrap_or(model::DEFAULT_STEP_CAP)
    }
}

/// Checks a depth D and a scale α: 2 ≤ D ≤ `MAX_DEPTH`, and α^D a normal f64 with room to move.
pub(super) fn validate_scale(depth: u32, alpha: f64) -> Result<(), Invalid> {
    require((2..=MAX_DEPTH).contains(&depth), "depth", || {
        format!(
            "a depth from 2 to {MAX_DEPTH} (depth 1 is a plain linear model: `deep` with `init: zero`)"
        )
    })?;
    require(alpha > 0.0 && alpha.is_finite(), "alpha", || {
        "a positive, finite initialisation scale".into()
    })?;
    let scale = alpha.powi(depth as i32);
    require(scale.is_normal() && scale < 1e100, "alpha", || {
        format!(
            "an α whose α^D is a normal f64 below 1e100; α^{} = {scale:e}",
            depth
        )
    })?;
    Ok(())
}

/// A diagonal network on a problem, with the buffers its gradients need (allocated once).
#[derive(Debug, Clone)]
pub struct DiagonalNetwork<'p> {
    depth: u32,
    /// u and v.
    halves: [DMatrix<f64>; 2],
    /// ∂/∂u and ∂/∂v.
    gradients: [DMatrix<f64>; 2],
    /// w = u^{⊙D} − v^{⊙D} and the loss there.
    output: Output<'p>,
}

impl<'p> DiagonalNetwork<'p> {
    /// The network at u = v = α·1 (w = 0).
    pub fn new(problem: &'p Problem, spec: &DiagonalSpec) -> Self {
        let start = DMatrix::from_element(problem.rows, problem.cols, spec.alpha);
        Self::from_halves(problem, spec.loss, spec.depth, [start.clone(), start])
            .with_penalty(spec.penalty)
    }

    /// The network at given halves u, v of the problem's shape (for tests and other starts).
    pub fn from_halves(
        problem: &'p Problem,
        reduction: Reduction,
        depth: u32,
        halves: [DMatrix<f64>; 2],
    ) -> Self {
        let zeros = DMatrix::zeros(problem.rows, problem.cols);
        Self {
            depth,
            gradients: [zeros.clone(), zeros],
            halves,
            output: Output::new(problem, reduction),
        }
    }

    /// Adds λ·R(w) to the objective the gradients descend (the returned loss stays ℓ(w)).
    pub fn with_penalty(self, penalty: Option<PenaltySpec>) -> Self {
        Self {
            output: self.output.with_penalty(penalty),
            ..self
        }
    }
}

impl<'p> Network<'p> for DiagonalNetwork<'p> {
    /// w = u^{⊙D} − v^{⊙D}.
    fn forward(&mut self) {
        let d = self.depth as i32;
        let [u, v] = &self.halves;
        self.output
            .product
            .iter_mut()
            .zip(u.iter().zip(v.iter()))
            .for_each(|(w, (u, v))| *w = u.powi(d) - v.powi(d));
    }

    /// ∂/∂u = D·u^{D−1} ⊙ ∇, ∂/∂v = −D·v^{D−1} ⊙ ∇ from ∇ = `outer`.
    fn backward(&mut self) {
        let d = self.depth as i32;
        let depth = f64::from(self.depth);
        for (sign, (gradient, half)) in [1.0, -1.0]
            .into_iter()
            .zip(self.gradients.iter_mut().zip(&self.halves))
        {
            gradient
                .iter_mut()
                .zip(half.iter().zip(self.output.outer.iter()))
                .for_each(|(g, (x, o))| *g = sign * depth * x.powi(d - 1) * o);
        }
    }

    fn output(&mut self) -> &mut Output<'p> {
        &mut self.output
    }

    fn product(&self) -> &DMatrix<f64> {
        &self.output.product
    }

    fn parameters(&self) -> &[DMatrix<f64>] {
        &self.halves
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        (&mut self.halves, &self.gradients)
    }

    fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    /// w and its halves u, v.
    fn finish(self) -> Endpoint {
        let [u, v] = self.halves;
        Endpoint {
            matrix: self.output.product,
            factors: vec![u, v],
            certificate: None,
        }
    }
}
