//! The seam between a model and the methods that train it: gradient descent (`Descent`, any
//! `optimizer::StepRule`) and gradient flow (`flow::Flow`) see a model only through `Model`,
//! so a deep factorisation W = W_N ⋯ W_1 (`deep`) and a diagonal network w = u^{⊙D} − v^{⊙D}
//! (`diagonal`) are trained, stopped, traced and watched by the same code.

use super::driver::{Endpoint, Iterate};
use super::optimizer::{FlowSpec, OptimizerSpec, StepRule};
use super::penalty::PenaltySpec;
use crate::invalid::{Invalid, require};
use crate::problem::{Problem, Reduction};
use nalgebra::{DMatrix, DVector};

/// A differentiable model of the problem's matrix: parameters, the loss (plus any penalty)
/// and its gradient with respect to each parameter, and the end-to-end matrix.
pub trait Model {
    /// ℓ(W) at the current parameters, leaving ∂(ℓ + λR)/∂θ_j in `gradients()`.
    fn loss_and_gradients(&mut self) -> f64;
    /// The parameters θ_1, …, θ_m.
    fn parameters(&self) -> &[DMatrix<f64>];
    /// The parameters to set and the gradients of the last `loss_and_gradients`, at once (a
    /// step rule moves the one against the other).
    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]);
    /// The gradients of the last `loss_and_gradients`.
    fn gradients(&self) -> &[DMatrix<f64>];
    /// The end-to-end matrix W at the last `loss_and_gradients` (formed on demand where the
    /// gradient does not need it).
    fn product(&mut self) -> &DMatrix<f64>;
    /// Into `norms`: the components' norms, largest first, for a model made of components
    /// (`Iterate::components`); `false` for any other.
    fn components(&self, _norms: &mut Vec<f64>) -> bool {
        false
    }
    /// The end-to-end matrix and the parameters, for the run's record.
    fn finish(self) -> Endpoint;
    /// Into `gradients()`: the parameters' gradients of the loss's direction alone
    /// (`Problem::direction_into`, finite where the loss underflows; no penalty) at the current
    /// parameters; `false`, and nothing computed, on a squared fit.
    fn direction_gradients(&mut self) -> bool;
}

/// A model whose evaluations follow from how it forms W from its parameters and carries ∇ℓ(W)
/// back to them: every network (diagonal, convolutional, quadratic, ReLU, CP) is `Model` through
/// the one implementation below. The deep factorisation, with its sampled completion path,
/// implements `Model` itself.
pub trait Network<'p> {
    /// W from the parameters, into `output().product`.
    fn forward(&mut self);
    /// The parameters' gradients from `output().outer` (∇(ℓ + λR)(W), or ∇ℓ's direction).
    fn backward(&mut self);
    /// The buffers at W.
    fn output(&mut self) -> &mut Output<'p>;
    /// W at the last evaluation.
    fn product(&self) -> &DMatrix<f64>;
    /// The parameters θ_1, …, θ_m.
    fn parameters(&self) -> &[DMatrix<f64>];
    /// The gradients of the last evaluation.
    fn gradients(&self) -> &[DMatrix<f64>];
    /// The parameters to set and the gradients, at once.
    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]);
    /// Into `norms`: the components' norms, largest first, for a network made of
    /// components (`Iterate::components`); `false` for any other.
    fn components(&self, _norms: &mut Vec<f64>) -> bool {
        false
    }
    /// W and the parameters, for the run's record.
    fn finish(self) -> Endpoint;
}

impl<'p, N: Network<'p>> Model for N {
    fn loss_and_gradients(&mut self) -> f64 {
        self.forward();
        let loss = self.output().loss();
        self.backward();
        loss
    }

    fn direction_gradients(&mut self) -> bool {
        self.forward();
        let margins = self.output().direction();
        if margins {
            self.backward();
        }
        margins
    }

    fn parameters(&self) -> &[DMatrix<f64>] {
        Network::parameters(self)
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        Network::parameters_and_gradients(self)
    }

    fn gradients(&self) -> &[DMatrix<f64>] {
        Network::gradients(self)
    }

    fn product(&mut self) -> &DMatrix<f64> {
        Network::product(self)
    }

    fn components(&self, norms: &mut Vec<f64>) -> bool {
        Network::components(self, norms)
    }

    fn finish(self) -> Endpoint {
        Network::finish(self)
    }
}

/// 1 − cos(θ, −g) with g the direction of ∇_θ ℓ (`Model::direction_gradients`): 0 exactly when
/// θ = Σᵢ λᵢ∇_θ(yᵢ f(xᵢ; θ)) with the loss's own multipliers λᵢ ∝ −ℓ'(mᵢ) ≥ 0, the KKT
/// conditions of min ‖θ‖² s.t. yᵢ f(xᵢ; θ) ≥ 1 (up to scale) with complementary slackness
/// holding as the far points' weights vanish: the stationarity of homogeneous models trained on
/// separable data (Lyu & Li 2020), which for a convolutional network is the first-order
/// stationarity of Gunasekar et al.'s ℓ_{2/L} problem. Not optimality. `None` on squared fits
/// or at θ = 0 or g = 0.
pub fn kkt_residual<M: Model>(model: &mut M) -> Option<f64> {
    if !model.direction_gradients() {
        return None;
    }
    let (mut along, mut parameters, mut gradients) = (0.0, 0.0, 0.0);
    for (theta, g) in model.parameters().iter().zip(model.gradients()) {
        along += theta.dot(g);
        parameters += theta.norm_squared();
        gradients += g.norm_squared();
    }
    let scale = (parameters * gradients).sqrt();
    (scale > 0.0 && scale.is_finite()).then(|| 1.0 + along / scale)
}

/// What a model does at its end-to-end matrix W, whatever its parameters: the loss (plus any
/// penalty) with its gradient there, or that gradient's direction alone, into buffers allocated
/// once. A model forms W in `product` and carries `outer` back to its parameters.
#[derive(Debug, Clone)]
pub struct Output<'p> {
    problem: &'p Problem,
    reduction: Reduction,
    penalty: Option<PenaltySpec>,
    /// W.
    pub product: DMatrix<f64>,
    /// ∇(ℓ + λR)(W) after `loss`, the direction of ∇ℓ(W) after `direction`.
    pub outer: DMatrix<f64>,
    residuals: DVector<f64>,
}

impl<'p> Output<'p> {
    /// Buffers of the problem's shape, without a penalty.
    pub fn new(problem: &'p Problem, reduction: Reduction) -> Self {
        let zeros = DMatrix::zeros(problem.rows, problem.cols);
        Self {
            problem,
            reduction,
            penalty: None,
            product: zeros.clone(),
            outer: zeros,
            residuals: DVector::zeros(problem.observation_count()),
        }
    }

    /// Adds λ·R(W) to the objective whose gradient `loss` leaves (the loss returned stays ℓ).
    pub fn with_penalty(self, penalty: Option<PenaltySpec>) -> Self {
        Self { penalty, ..self }
    }

    /// ℓ(W), leaving ∇(ℓ + λR)(W) in `outer`.
    pub fn loss(&mut self) -> f64 {
        let loss = self.problem.loss_gradient_into(
            &self.product,
            self.reduction,
            &mut self.residuals,
            &mut self.outer,
        );
        if let Some(penalty) = &self.penalty {
            penalty.add_gradient(&self.product, &mut self.outer);
        }
        loss
    }

    /// The direction of ∇ℓ(W) in `outer` (`Problem::direction_into`); `false` on a squared fit.
    pub fn direction(&mut self) -> bool {
        self.problem
            .direction_into(&self.product, &mut self.residuals, &mut self.outer)
    }
}

/// Gradient descent on a model's parameters: the model and the rule that sizes its steps.
pub struct Descent<M> {
    /// The model being fitted.
    pub model: M,
    /// How its steps are sized.
    pub rule: StepRule,
}

impl<M: Model> Iterate for Descent<M> {
    fn follows_the_loss(&self) -> bool {
        true
    }

    fn evaluate(&mut self) -> f64 {
        self.model.loss_and_gradients()
    }

    fn advance(&mut self) {
        let (parameters, gradients) = self.model.parameters_and_gradients();
        self.rule.apply(parameters, gradients);
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        self.model.product()
    }

    fn components(&self, norms: &mut Vec<f64>) -> bool {
        self.model.components(norms)
    }

    fn time(&self) -> f64 {
        self.rule.elapsed()
    }

    fn kkt_residual(&mut self) -> Option<f64> {
        kkt_residual(&mut self.model)
    }

    fn finish(self) -> Endpoint {
        self.model.finish()
    }
}

/// The budget when only a target loss is given (Arora et al.'s cap).
pub const DEFAULT_STEP_CAP: usize = 1_000_000;

/// Checks the settings every trained model shares: the optimiser, the penalty, and that the
/// run can end (a step budget, a target loss or a flow horizon).
pub(super) fn validate_training(
    optimizer: &OptimizerSpec,
    penalty: Option<&PenaltySpec>,
    steps: Option<usize>,
    target_loss: Option<f64>,
) -> Result<(), Invalid> {
    optimizer.validate().map_err(|e| e.within("optimizer"))?;
    if let Some(penalty) = penalty {
        penalty.validate().map_err(|e| e.within("penalty"))?;
    }
    let horizon = matches!(
        optimizer,
        OptimizerSpec::GradientFlow(FlowSpec {
            horizon: Some(_),
            ..
        })
    );
    require(
        steps.is_some() || target_loss.is_some() || horizon,
        "steps",
        || "a step budget `steps`, a `target_loss` or a flow `horizon`".into(),
    )?;
    if let Some(steps) = steps {
        require(steps >= 1, "steps", || "at least 1 step".into())?;
    }
    if let Some(target) = target_loss {
        require(target > 0.0 && target.is_finite(), "target_loss", || {
            "a positive, finite loss".into()
        })?;
    }
    Ok(())
}
