//! Two-layer ReLU networks without biases, f(x) = Σⱼ aⱼ σ(⟨wⱼ, x⟩), σ(t) = max(t, 0), trained on
//! the values at a problem's inputs (`problem::OrthogonalSpec`: the matrix is the n×1 vector of
//! f(xᵢ)). Boursier, Pillaud-Vivien and Flammarion (2022) show that on orthogonal inputs, from a
//! small balanced initialisation (|aⱼ| = ‖wⱼ‖), gradient flow on the square loss reaches zero loss
//! with a bias toward the minimum variation norm Σⱼ |aⱼ|·‖wⱼ‖ (`min_variation`, its closed form).
//! Gradients (σ'(0) = 0): ∂ℓ/∂aⱼ = Σᵢ gᵢ σ(⟨wⱼ, xᵢ⟩), ∂ℓ/∂wⱼ = aⱼ Σᵢ gᵢ 1[⟨wⱼ, xᵢ⟩ > 0] xᵢ with
//! gᵢ = ∂ℓ/∂f(xᵢ). A unit's weight along an input it is inactive on never moves (on orthogonal
//! inputs, the others are orthogonal to it): a point no unit of its label's sign starts active on
//! can never be fitted, the condition the theorem's initialisation has to meet.

use super::cost::{Cost, FLOAT, MATRIX, STEP_OVERHEAD, Shape};
use super::driver::Endpoint;
use super::gemm::{Op, gemm};
use super::init::canonical_number;
use super::model::{self, Network, Output};
use super::optimizer::OptimizerSpec;
use crate::invalid::{Invalid, require};
use crate::problem::{Problem, Reduction};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// A ReLU-network run as a claim describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReluSpec {
    /// m, the hidden units.
    pub width: usize,
    /// λ > 0: wⱼ(0) ~ N(0, λ²I/d), so ‖wⱼ(0)‖ ≈ λ, and aⱼ(0) = ±‖wⱼ(0)‖ with a fair sign
    /// (balanced, as the theorem starts).
    pub scale: f64,
    /// How the weights move.
    pub optimizer: OptimizerSpec,
    /// `mean` (the default) or `sum` over the points.
    #[serde(default)]
    pub loss: Reduction,
    /// The step budget; by default 1,000,000 when `target_loss` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Stop as soon as the train loss falls to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_loss: Option<f64>,
}

/// The widest network: its units are drawn and stored whole.
pub const MAX_WIDTH: usize = 1 << 20;

impl ReluSpec {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        require((1..=MAX_WIDTH).contains(&self.width), "width", || {
            format!("from 1 to {MAX_WIDTH} hidden units")
        })?;
        require(
            self.scale > 0.0 && self.scale.is_finite() && self.scale < 1e100,
            "scale",
            || "a positive, finite initialisation scale below 1e100".into(),
        )?;
        model::validate_training(&self.optimizer, None, self.steps, self.target_loss)
    }

    /// The step budget.
    pub fn step_budget(&self) -> usize {
        self.steps.unwrap_or(model::DEFAULT_STEP_CAP)
    }

    /// The name of the seed's stream the units are drawn from.
    pub fn stream_name(&self) -> String {
        format!(
            "relu width={} scale={}",
            self.width,
            canonical_number(self.scale)
        )
    }

    /// [W, a]: the m×d input weights (a unit per row) and the m×1 output weights for inputs of
    /// dimension `dim` and `seed`.
    pub fn start(&self, dim: usize, seed: u64) -> [DMatrix<f64>; 2] {
        let rng = &mut random::named_stream(seed, &self.stream_name());
        let weights =
            random::gaussian_matrix(self.width, dim, self.scale / (dim as f64).sqrt(), rng);
        let outputs = DMatrix::from_fn(self.width, 1, |j, _| sign(rng) * weights.row(j).norm());
        [weights, outputs]
    }

    /// What a run costs with `dim`-dimensional inputs on an instance of `shape` (n×1): W, a,
    /// their gradients (and the optimiser's state), the pre-activations and the inputs; a step
    /// is two products of m·d·n and a few passes over the m×n activations.
    pub fn cost(&self, shape: Shape, dim: f64) -> Cost {
        let (m, n) = (self.width as f64, shape.rows);
        let parameters = m * (dim + 1.0);
        let state = match self.optimizer {
            OptimizerSpec::Adam { .. } => 2.0,
            OptimizerSpec::GradientFlow(_) => 8.0,
            _ => 0.0,
        };
        let steps = self.step_budget() as f64;
        let per_evaluation = 4.0 * m * dim * n + 8.0 * m * n + 2.0 * shape.operator();
        Cost {
            working: ((2.0 + state) * parameters + 2.0 * m * n + 4.0 * n) * FLOAT
                + (8.0 + state) * MATRIX,
            record: shape.record(2.0, parameters, steps, 4.0),
            setup: 0.0,
            per_step: self.optimizer.evaluations_per_step() * per_evaluation + STEP_OVERHEAD,
            steps,
            setting: "relu.steps",
        }
    }
}

fn sign(rng: &mut Rng) -> f64 {
    if rng.random_bool(0.5) { 1.0 } else { -1.0 }
}

/// 2·Σⱼ |aⱼ|·‖wⱼ‖: the least ‖θ‖² over the rescalings (aⱼ, wⱼ) → (aⱼ/c, c·wⱼ) that leave the
/// network unchanged (AM–GM per unit), twice its variation norm — an upper bound on the
/// representation cost of its function, met when no two units share a direction.
pub fn balanced_cost(weights: &DMatrix<f64>, outputs: &DMatrix<f64>) -> f64 {
    2.0 * weights
        .row_iter()
        .zip(outputs.iter())
        .map(|(w, a)| a.abs() * w.norm())
        .sum::<f64>()
}

/// A ReLU network on a problem with inputs, with the buffers its gradients need.
#[derive(Debug, Clone)]
pub struct ReluNetwork<'p> {
    /// The inputs, one column each (d×n).
    inputs: &'p DMatrix<f64>,
    /// [W (m×d), a (m×1)].
    parameters: [DMatrix<f64>; 2],
    gradients: [DMatrix<f64>; 2],
    /// ⟨wⱼ, xᵢ⟩ (m×n), then the back-propagated aⱼgᵢ1[⟨wⱼ, xᵢ⟩ > 0].
    pre: DMatrix<f64>,
    /// σ(⟨wⱼ, xᵢ⟩) (m×n).
    active: DMatrix<f64>,
    /// The values f(xᵢ) (n×1) and the loss there.
    output: Output<'p>,
}

impl<'p> ReluNetwork<'p> {
    /// The network with parameters [W, a] on `problem`, which must carry inputs of W's width.
    pub fn new(problem: &'p Problem, reduction: Reduction, parameters: [DMatrix<f64>; 2]) -> Self {
        let inputs = problem
            .inputs()
            .expect("a ReLU network is validated against a problem with inputs");
        let (m, n) = (parameters[0].nrows(), inputs.ncols());
        Self {
            inputs,
            gradients: [
                DMatrix::zeros(m, parameters[0].ncols()),
                DMatrix::zeros(m, 1),
            ],
            parameters,
            pre: DMatrix::zeros(m, n),
            active: DMatrix::zeros(m, n),
            output: Output::new(problem, reduction),
        }
    }
}

impl<'p> Network<'p> for ReluNetwork<'p> {
    /// The values f(xᵢ) = Σⱼ aⱼ σ(⟨wⱼ, xᵢ⟩) into the output's product.
    fn forward(&mut self) {
        let [weights, outputs] = &self.parameters;
        gemm(&mut self.pre, Op::Plain(weights), Op::Plain(self.inputs));
        self.active
            .iter_mut()
            .zip(self.pre.iter())
            .for_each(|(s, z)| *s = z.max(0.0));
        gemm(
            &mut self.output.product,
            Op::Transposed(&self.active),
            Op::Plain(outputs),
        );
    }

    /// The gradients from g = `outer` (n×1).
    fn backward(&mut self) {
        let g = &self.output.outer;
        let outputs = &self.parameters[1];
        gemm(
            &mut self.gradients[1],
            Op::Plain(&self.active),
            Op::Plain(g),
        );
        for i in 0..self.pre.ncols() {
            for j in 0..self.pre.nrows() {
                let z = &mut self.pre[(j, i)];
                *z = if *z > 0.0 { outputs[j] * g[i] } else { 0.0 };
            }
        }
        gemm(
            &mut self.gradients[0],
            Op::Plain(&self.pre),
            Op::Transposed(self.inputs),
        );
    }

    fn output(&mut self) -> &mut Output<'p> {
        &mut self.output
    }

    fn product(&self) -> &DMatrix<f64> {
        &self.output.product
    }

    fn parameters(&self) -> &[DMatrix<f64>] {
        &self.parameters
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        (&mut self.parameters, &self.gradients)
    }

    fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    /// The values at the inputs, and [W, a].
    fn finish(self) -> Endpoint {
        let [weights, outputs] = self.parameters;
        Endpoint {
            matrix: self.output.product,
            factors: vec![weights, outputs],
            certificate: None,
        }
    }
}
