//! Two-layer networks with quadratic activations, f(x) = Σⱼ (uⱼᵀx)² = ⟨xxᵀ, UᵀU⟩ for the m×d
//! matrix U whose rows are the hidden units uⱼ (Li, Ma, Zhang 2018, COLT): a nonlinear network
//! of its input that is linear in W = UᵀU, so fitting (xᵢ, yᵢ) is symmetric matrix sensing
//! with Aᵢ = xᵢxᵢᵀ (`problem::QuadraticSpec`), and on any square problem the model is the
//! symmetric factorisation W = UᵀU ⪰ 0. From small initialisation gradient descent recovers a
//! low-rank PSD X* from few samples; the convex counterpart is min tr Z s.t. 𝒜(Z) = y, Z ⪰ 0
//! (`trace_psd`). Gradient: ∂ℓ/∂U = U (G + Gᵀ) with G = ∇ℓ(W).

use super::cost::{Cost, FLOAT, MATRIX, STEP_OVERHEAD, Shape};
use super::driver::Endpoint;
use super::gemm::{Op, gemm};
use super::init::InitSpec;
use super::model::{self, Network, Output};
use super::optimizer::OptimizerSpec;
use super::penalty::PenaltySpec;
use crate::invalid::{Invalid, require};
use crate::problem::{Problem, Reduction};
use crate::random;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A quadratic-network run as a claim describes it. The training settings repeat `DeepSpec`'s
/// and are validated by the one `model::validate_training`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuadraticNetworkSpec {
    /// m, the hidden units (Li, Ma, Zhang over-parameterise with m = d).
    pub width: usize,
    /// `gaussian` (entries N(0, s/m), so UᵀU ≈ s·I for wide networks) or `identity` (U = √s·I,
    /// m = d: UᵀU = s·I, the paper's αB with B orthonormal at s = α²).
    pub init: InitSpec,
    /// How U moves.
    pub optimizer: OptimizerSpec,
    /// `mean` (the default) or `sum` over the observations.
    #[serde(default)]
    pub loss: Reduction,
    /// The step budget; by default 1,000,000 when `target_loss` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Stop as soon as the train loss falls to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_loss: Option<f64>,
    /// An explicit penalty λ·R on W = UᵀU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<PenaltySpec>,
}

impl QuadraticNetworkSpec {
    pub(super) fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        require(rows == cols, "", || {
            format!("a square problem for a quadratic network (W = UᵀU); this one is {rows}×{cols}")
        })?;
        require(self.width >= 1, "width", || "at least 1 hidden unit".into())?;
        match self.init {
            InitSpec::Gaussian { .. } | InitSpec::Identity { .. } => self
                .init
                .validate(rows, rows, self.width)
                .map_err(|e| e.within("init"))?,
            InitSpec::Balanced { .. } | InitSpec::Zero => {
                return Err(Invalid::new(
                    "init",
                    "`gaussian` or `identity` (U = 0 is a saddle where every gradient vanishes)",
                ));
            }
        }
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

    /// The name of the seed's stream U is drawn from: the initialisation's identity.
    pub fn stream_name(&self) -> String {
        format!(
            "quadratic width={} init={}",
            self.width,
            self.init.canonical()
        )
    }

    /// U (m×d) for a d×d problem and `seed`.
    pub fn start(&self, d: usize, seed: u64) -> DMatrix<f64> {
        let scale = self.init.scale();
        match self.init {
            InitSpec::Identity { .. } => DMatrix::identity(d, d) * scale.sqrt(),
            _ => {
                let rng = &mut random::named_stream(seed, &self.stream_name());
                random::gaussian_matrix(self.width, d, (scale / self.width as f64).sqrt(), rng)
            }
        }
    }

    /// What a run costs on a d×d instance: U, its gradient (and the optimiser's state), W, G and
    /// G + Gᵀ; a step is the loss's operator and adjoint and two products of d·d·m.
    pub fn cost(&self, shape: Shape) -> Cost {
        let (size, units) = (shape.size(), self.width as f64 * shape.rows);
        let state = match self.optimizer {
            OptimizerSpec::Adam { .. } => 2.0,
            OptimizerSpec::GradientFlow(_) => 8.0,
            _ => 0.0,
        };
        let steps = self.step_budget() as f64;
        let penalty = if self.penalty.is_some() {
            shape.svd()
        } else {
            0.0
        };
        let per_evaluation = 2.0 * shape.operator() + penalty + 4.0 * units * shape.rows;
        Cost {
            working: ((2.0 + state) * units + 3.0 * size + shape.observations) * FLOAT
                + (6.0 + state) * MATRIX,
            record: shape.record(2.0, 0.0, steps, 2.0),
            setup: 0.0,
            per_step: self.optimizer.evaluations_per_step() * per_evaluation + STEP_OVERHEAD,
            steps,
            setting: "quadratic.steps",
        }
    }
}

/// A quadratic network on a square problem, with the buffers its gradient needs.
#[derive(Debug, Clone)]
pub struct QuadraticNetwork<'p> {
    /// [U], m×d.
    units: [DMatrix<f64>; 1],
    /// [∂ℓ/∂U].
    gradients: [DMatrix<f64>; 1],
    /// G + Gᵀ.
    symmetric: DMatrix<f64>,
    /// W = UᵀU and the loss there.
    output: Output<'p>,
}

impl<'p> QuadraticNetwork<'p> {
    /// The network with hidden units `units` (m×d) on a d×d problem.
    pub fn new(problem: &'p Problem, reduction: Reduction, units: DMatrix<f64>) -> Self {
        let gradient = DMatrix::zeros(units.nrows(), units.ncols());
        Self {
            symmetric: DMatrix::zeros(problem.rows, problem.cols),
            gradients: [gradient],
            units: [units],
            output: Output::new(problem, reduction),
        }
    }

    /// Adds λ·R(W) to the objective the gradients descend (the returned loss stays ℓ(W)).
    pub fn with_penalty(self, penalty: Option<PenaltySpec>) -> Self {
        Self {
            output: self.output.with_penalty(penalty),
            ..self
        }
    }
}

impl<'p> Network<'p> for QuadraticNetwork<'p> {
    fn forward(&mut self) {
        let u = &self.units[0];
        gemm(&mut self.output.product, Op::Transposed(u), Op::Plain(u));
    }

    /// ∂/∂U = U (G + Gᵀ) from G = `outer`.
    fn backward(&mut self) {
        let outer = &self.output.outer;
        let d = outer.nrows();
        for j in 0..d {
            for i in 0..d {
                self.symmetric[(i, j)] = outer[(i, j)] + outer[(j, i)];
            }
        }
        gemm(
            &mut self.gradients[0],
            Op::Plain(&self.units[0]),
            Op::Plain(&self.symmetric),
        );
    }

    fn output(&mut self) -> &mut Output<'p> {
        &mut self.output
    }

    fn product(&self) -> &DMatrix<f64> {
        &self.output.product
    }

    fn parameters(&self) -> &[DMatrix<f64>] {
        &self.units
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        (&mut self.units, &self.gradients)
    }

    fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    /// W = UᵀU and U.
    fn finish(self) -> Endpoint {
        let [u] = self.units;
        Endpoint {
            matrix: self.output.product,
            factors: vec![u],
            certificate: None,
        }
    }
}
