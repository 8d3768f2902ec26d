//! Deep matrix factorisation W = W_N ⋯ W_1 (Arora, Cohen, Hu, Luo 2019): the model, its loss
//! and the gradients ∂ℓ/∂W_j = (W_N⋯W_{j+1})ᵀ ∇ℓ(W) (W_{j−1}⋯W_1)ᵀ, computed with
//! 3(N−1) matrix products into buffers allocated once.

use super::driver::Iterate;
use super::init::InitSpec;
use super::optimizer::{OptimizerSpec, StepRule};
use super::penalty::PenaltySpec;
use crate::invalid::{Invalid, require};
use crate::problem::{Problem, Reduction};
use crate::random::Rng;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// A deep-factorisation run as a claim describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepSpec {
    /// N, the number of factors (1, the default, is plain W).
    #[serde(default = "one")]
    pub depth: usize,
    /// Hidden width; by default max(rows, cols), so the rank is unconstrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    pub init: InitSpec,
    pub optimizer: OptimizerSpec,
    /// `mean` (½·mean, the default) or `sum` (½Σ) over the observations.
    #[serde(default)]
    pub loss: Reduction,
    /// The step budget; by default 1,000,000 when `target_loss` is given (Arora et al.'s cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Stop as soon as the train loss falls to this value (compare methods at a fixed train loss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_loss: Option<f64>,
    /// An explicit penalty λ·R on the end-to-end matrix (Zhao 2022).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<PenaltySpec>,
    /// Redraw the initialisation until det W(0) has this sign (Razin & Cohen 2020, code:
    /// `enforce_pos_det`); square problems with width ≥ rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub det_sign: Option<DetSign>,
}

/// The sign of a determinant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetSign {
    Positive,
    Negative,
}

impl DetSign {
    pub fn holds_for(self, det: f64) -> bool {
        match self {
            DetSign::Positive => det > 0.0,
            DetSign::Negative => det < 0.0,
        }
    }
}

fn one() -> usize {
    1
}

/// The budget when only a target loss is given.
pub const DEFAULT_STEP_CAP: usize = 1_000_000;

impl DeepSpec {
    pub fn width(&self, rows: usize, cols: usize) -> usize {
        self.width.unwrap_or(rows.max(cols))
    }

    pub fn step_budget(&self) -> usize {
        self.steps.unwrap_or(DEFAULT_STEP_CAP)
    }

    pub(super) fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        require(self.depth >= 1, "depth", || "a depth of at least 1".into())?;
        if let Some(width) = self.width {
            require(width >= 1, "width", || "a width of at least 1".into())?;
        }
        self.init
            .validate(rows, cols, self.width(rows, cols))
            .map_err(|e| e.within("init"))?;
        self.optimizer
            .validate()
            .map_err(|e| e.within("optimizer"))?;
        if let Some(penalty) = &self.penalty {
            penalty.validate().map_err(|e| e.within("penalty"))?;
        }
        let horizon = matches!(
            self.optimizer,
            OptimizerSpec::GradientFlow {
                horizon: Some(_),
                ..
            }
        );
        require(
            self.steps.is_some() || self.target_loss.is_some() || horizon,
            "steps",
            || "a step budget `steps`, a `target_loss` or a flow `horizon`".into(),
        )?;
        if let Some(sign) = self.det_sign {
            let width = self.width(rows, cols);
            require(rows == cols && width >= rows, "det_sign", || {
                format!(
                    "a square problem with width ≥ rows for `det_sign`; this one is {rows}×{cols} with width {width}"
                )
            })?;
            require(
                !(sign == DetSign::Negative && matches!(self.init, InitSpec::Identity { .. })),
                "det_sign",
                || "`positive` with an identity initialisation, whose determinant is sᴺ > 0".into(),
            )?;
        }
        if let Some(steps) = self.steps {
            require(steps >= 1, "steps", || "at least 1 step".into())?;
        }
        if let Some(target) = self.target_loss {
            require(target > 0.0 && target.is_finite(), "target_loss", || {
                "a positive, finite loss".into()
            })?;
        }
        Ok(())
    }

    /// The position-free identity of the initialisation: runs that agree on it start alike.
    pub fn init_identity(&self, rows: usize, cols: usize) -> String {
        let identity = format!(
            "deep depth={} width={} init={:?}",
            self.depth,
            self.width(rows, cols),
            self.init
        );
        match self.det_sign {
            Some(sign) => format!("{identity} det_sign={sign:?}"),
            None => identity,
        }
    }

    /// The initial factors, drawn from `rng` until the determinant has the requested sign.
    /// Each draw has either sign with probability ½ (independent entries, symmetric
    /// distributions: Razin & Cohen 2020), so 1000 draws never all fail in practice.
    pub fn initial_factors(&self, rows: usize, cols: usize, rng: &mut Rng) -> Vec<DMatrix<f64>> {
        let width = self.width(rows, cols);
        let mut draw = || self.init.factors(self.depth, rows, cols, width, rng);
        let Some(sign) = self.det_sign else {
            return draw();
        };
        (0..1000)
            .map(|_| draw())
            .find(|factors| sign.holds_for(product(factors).determinant()))
            .expect("a validated det_sign is met by a draw with probability ½")
    }
}

/// W_N ⋯ W_1 (allocating; for set-up, not for hot loops).
pub fn product(factors: &[DMatrix<f64>]) -> DMatrix<f64> {
    factors
        .iter()
        .skip(1)
        .fold(factors[0].clone(), |p, w| w * p)
}

/// The factors of a deep factorisation with the buffers their gradients need.
#[derive(Debug, Clone)]
pub struct DeepFactorisation<'p> {
    problem: &'p Problem,
    reduction: Reduction,
    /// An explicit penalty λ·R(W) added to the objective's gradient.
    penalty: Option<PenaltySpec>,
    /// W_1, …, W_N.
    factors: Vec<DMatrix<f64>>,
    /// P_j = W_j ⋯ W_1; the last is the end-to-end matrix.
    prefixes: Vec<DMatrix<f64>>,
    /// B_j = (W_N⋯W_{j+1})ᵀ ∇ℓ(W), so that ∂ℓ/∂W_j = B_j P_{j−1}ᵀ.
    backward: Vec<DMatrix<f64>>,
    gradients: Vec<DMatrix<f64>>,
    /// Scratch for W_jᵀ and P_{j−1}ᵀ (both indexed by j): nalgebra's `gemm` on an explicit transpose beats `tr_mul`.
    factor_transposes: Vec<DMatrix<f64>>,
    prefix_transposes: Vec<DMatrix<f64>>,
    residuals: DVector<f64>,
}

impl<'p> DeepFactorisation<'p> {
    /// Wraps factors W_1, …, W_N whose product has the problem's shape.
    pub fn new(problem: &'p Problem, reduction: Reduction, factors: Vec<DMatrix<f64>>) -> Self {
        let cols = problem.cols;
        let prefixes: Vec<_> = factors
            .iter()
            .map(|w| DMatrix::zeros(w.nrows(), cols))
            .collect();
        let mut model = Self {
            problem,
            reduction,
            penalty: None,
            backward: prefixes.clone(),
            gradients: factors
                .iter()
                .map(|w| DMatrix::zeros(w.nrows(), w.ncols()))
                .collect(),
            factor_transposes: factors
                .iter()
                .map(|w| DMatrix::zeros(w.ncols(), w.nrows()))
                .collect(),
            prefix_transposes: factors
                .iter()
                .map(|w| DMatrix::zeros(cols, w.ncols()))
                .collect(),
            prefixes,
            factors,
            residuals: DVector::zeros(problem.observation_count()),
        };
        model.forward();
        model
    }

    /// Adds λ·R(W) to the objective the gradients descend (the returned loss stays ℓ(W)).
    pub fn with_penalty(self, penalty: Option<PenaltySpec>) -> Self {
        Self { penalty, ..self }
    }

    pub fn factors(&self) -> &[DMatrix<f64>] {
        &self.factors
    }

    /// The factors for an integrator to set; `loss_and_gradients` recomputes the products.
    pub(super) fn factors_mut(&mut self) -> &mut [DMatrix<f64>] {
        &mut self.factors
    }

    pub fn into_factors(self) -> Vec<DMatrix<f64>> {
        self.factors
    }

    /// ∂ℓ/∂W_j from the last `loss_and_gradients`.
    pub fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    /// The end-to-end matrix W = W_N ⋯ W_1.
    pub fn product(&self) -> &DMatrix<f64> {
        self.prefixes.last().expect("depth ≥ 1")
    }

    fn forward(&mut self) {
        self.prefixes[0].copy_from(&self.factors[0]);
        for j in 1..self.factors.len() {
            let (done, rest) = self.prefixes.split_at_mut(j);
            rest[0].gemm(1.0, &self.factors[j], &done[j - 1], 0.0);
        }
    }

    /// ℓ(W) at the current factors, leaving ∂(ℓ + λR)/∂W_j in `gradients()`.
    pub fn loss_and_gradients(&mut self) -> f64 {
        self.forward();
        let top = self.factors.len() - 1;
        let loss = self.problem.loss_gradient_into(
            &self.prefixes[top],
            self.reduction,
            &mut self.residuals,
            &mut self.backward[top],
        );
        if let Some(penalty) = &self.penalty {
            penalty.add_gradient(&self.prefixes[top], &mut self.backward[top]);
        }
        for j in (1..=top).rev() {
            self.prefixes[j - 1].transpose_to(&mut self.prefix_transposes[j]);
            self.gradients[j].gemm(1.0, &self.backward[j], &self.prefix_transposes[j], 0.0);
            self.factors[j].transpose_to(&mut self.factor_transposes[j]);
            let (below, above) = self.backward.split_at_mut(j);
            below[j - 1].gemm(1.0, &self.factor_transposes[j], &above[0], 0.0);
        }
        self.gradients[0].copy_from(&self.backward[0]);
        loss
    }
}

/// Gradient descent on the factors: a model and the rule that sizes its steps.
pub struct Descent<'p> {
    pub model: DeepFactorisation<'p>,
    pub rule: StepRule,
}

impl Iterate for Descent<'_> {
    fn evaluate(&mut self) -> f64 {
        self.model.loss_and_gradients()
    }

    fn advance(&mut self) {
        self.rule
            .apply(&mut self.model.factors, &self.model.gradients);
    }

    fn matrix(&self) -> &DMatrix<f64> {
        self.model.product()
    }

    fn time(&self) -> f64 {
        self.rule.elapsed()
    }
}
