//! Deep matrix factorisation W = W_N ⋯ W_1 (Arora, Cohen, Hu, Luo 2019): the model, its loss
//! and the gradients ∂ℓ/∂W_j = (W_N⋯W_{j+1})ᵀ ∇ℓ(W) (W_{j−1}⋯W_1)ᵀ, computed with
//! 3(N−1) matrix products into buffers allocated once. In completion (without a penalty) only
//! the observed entries of W are formed and the sparse ∇ℓ(W) meets W_N and P_{N−1} entry by
//! entry (`sampled`): 3(N−2) dense products remain, none at depth 2.

use super::cost::{Cost, FLOAT, MATRIX, STEP_OVERHEAD, Shape};
use super::driver::Endpoint;
use super::gemm::{Op::Plain, Op::Transposed, gemm};
use super::init::InitSpec;
use super::model::{self, Model};
use super::optimizer::OptimizerSpec;
use super::penalty::PenaltySpec;
use super::sampled::Sampled;
use crate::invalid::{Invalid, require};
use crate::problem::{Observations, Problem, Reduction};
use crate::random::{self, Rng};
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
    /// Where the factors start.
    pub init: InitSpec,
    /// How they move.
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
    /// det > 0.
    Positive,
    /// det < 0.
    Negative,
}

impl DetSign {
    /// Whether `det` has this sign.
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

/// How far from 1 (in decades) det W(0) ≈ scale^rows may be for `det_sign`: f64 holds about
/// 1e±308, and the determinant of a random start is within a few decades of scale^rows.
pub const DET_RANGE: f64 = 250.0;

impl DeepSpec {
    /// The hidden width for a rows×cols problem.
    pub fn width(&self, rows: usize, cols: usize) -> usize {
        self.width.unwrap_or(rows.max(cols))
    }

    /// The step budget.
    pub fn step_budget(&self) -> usize {
        self.steps.unwrap_or(model::DEFAULT_STEP_CAP)
    }

    /// What a run costs on an instance of `shape`: its factors, prefixes, backward products and
    /// gradients (and the optimiser's state) while it runs; a step's products as
    /// `DeepFactorisation` takes them. Layer j is d_j × d_{j−1} (d_0 = cols, d_N = rows): the
    /// dense path forms P_j = W_j P_{j−1}, ∂ℓ/∂W_j = B_j P_{j−1}ᵀ and B_{j−1} = W_jᵀ B_j for
    /// j ≥ 2, 6·d_j·d_{j−1}·cols operations each; the sampled path (completion, no penalty)
    /// stops below the top layer and reads the observed entries of W_N·P_{N−1} (2·d_{N−1} per
    /// entry, three times).
    pub fn cost(&self, shape: Shape) -> Cost {
        let (rows, cols, k) = (shape.rows, shape.cols, shape.observations);
        let width = self.width.map_or(rows.max(cols), |w| w as f64);
        let depth = self.depth as f64;
        let layer = |j: usize| {
            let out = if j == self.depth { rows } else { width };
            let input = if j == 1 { cols } else { width };
            out * input
        };
        // Σ layer(j) for j in from..=to, in closed form: a loop over the layers took as long
        // as the depth asked for (10¹² layers never finished estimating).
        let layers = |from: usize, to: usize| -> f64 {
            if to < from {
                return 0.0;
            }
            let ends: f64 = [from, to]
                .into_iter()
                .filter(|&j| j == 1 || j == self.depth)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(layer)
                .sum();
            let inner_from = from.max(2);
            let inner_to = to.min(self.depth.saturating_sub(1));
            let inner = inner_to.saturating_sub(inner_from) + usize::from(inner_to >= inner_from);
            ends + inner as f64 * width * width
        };
        let parameters: f64 = layers(1, self.depth);
        let prefixes = ((depth - 1.0) * width + rows) * cols;
        let state = match self.optimizer {
            OptimizerSpec::Adam { .. } => 2.0,
            OptimizerSpec::GradientFlow(_) => 8.0,
            _ => 0.0,
        };
        let floats = (2.0 + state) * parameters + 2.0 * prefixes + 3.0 * shape.size() + k;
        let matrices = (4.0 + state) * depth + 8.0;
        let steps = self.step_budget() as f64;
        let sampled = shape.entries && self.depth >= 2 && self.penalty.is_none();
        let products = |top: usize| 6.0 * cols * layers(2, top);
        let loss = if sampled {
            products(self.depth - 1) + 3.0 * 2.0 * width * k
        } else {
            products(self.depth) + 2.0 * shape.operator()
        };
        let penalty = if self.penalty.is_some() {
            shape.svd()
        } else {
            0.0
        };
        let per_step = self.optimizer.evaluations_per_step() * (loss + penalty + 10.0 * parameters)
            + STEP_OVERHEAD * (1.0 + depth);
        Cost {
            working: floats * FLOAT + matrices * MATRIX,
            record: shape.record(4.0, parameters, steps, depth + 4.0),
            setup: 0.0,
            per_step,
            steps,
            setting: "deep.steps",
        }
    }

    pub(super) fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        require(self.depth >= 1, "depth", || "a depth of at least 1".into())?;
        if let Some(width) = self.width {
            require(width >= 1, "width", || "a width of at least 1".into())?;
        }
        self.init
            .validate(rows, cols, self.width(rows, cols))
            .map_err(|e| e.within("init"))?;
        require(
            self.depth == 1 || self.init != InitSpec::Zero,
            "init",
            || {
                "`zero` at depth 1 only: at depth ≥ 2 every factor's gradient vanishes at zero, so GD never moves".into()
            },
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
            // det W(0) has the size of scale^rows; beyond f64's range it rounds to 0 or ∞ and
            // no draw has the sign asked for.
            let magnitude = rows as f64 * self.init.scale().log10();
            require(magnitude.abs() <= DET_RANGE, "det_sign", || {
                format!(
                    "a start whose determinant f64 can hold for `det_sign`: scale^rows ≈ 1e{magnitude:.0} is outside 1e±{DET_RANGE:.0}"
                )
            })?;
        }
        model::validate_training(
            &self.optimizer,
            self.penalty.as_ref(),
            self.steps,
            self.target_loss,
        )
    }

    /// The canonical name of the initialisation's stream (`random::named_stream`): runs that
    /// agree on it start alike, and a run's display name never enters it. Version 1 of these
    /// names, the only one so far, is written out here field by field (never through `Debug`,
    /// whose output is no stable format); any change to it changes every initialisation, and
    /// the fixed draws in the tests fail.
    pub fn stream_name(&self, rows: usize, cols: usize) -> String {
        let name = format!(
            "deep depth={} width={} init={}",
            self.depth,
            self.width(rows, cols),
            self.init.canonical()
        );
        match self.det_sign {
            Some(DetSign::Positive) => format!("{name} det_sign=Positive"),
            Some(DetSign::Negative) => format!("{name} det_sign=Negative"),
            None => name,
        }
    }

    /// The initial factors for `seed`, drawn from the seed's stream named by the
    /// initialisation's identity (so that a run's name never changes its start).
    pub fn start(&self, rows: usize, cols: usize, seed: u64) -> Vec<DMatrix<f64>> {
        let mut rng = random::named_stream(seed, &self.stream_name(rows, cols));
        self.initial_factors(rows, cols, &mut rng)
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
            .expect("a validated det_sign (`DET_RANGE`) is met by a draw with probability ½")
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
    /// P_j = W_j ⋯ W_1; the last is the end-to-end matrix once `product_current`.
    prefixes: Vec<DMatrix<f64>>,
    /// Whether the last prefix holds W for the current factors (the sampled path skips it).
    product_current: bool,
    /// B_j = (W_N⋯W_{j+1})ᵀ ∇ℓ(W), so that ∂ℓ/∂W_j = B_j P_{j−1}ᵀ.
    backward: Vec<DMatrix<f64>>,
    gradients: Vec<DMatrix<f64>>,
    /// The residuals rᵢ (the sampled path: the gradient's values c·rᵢ at the observations).
    residuals: DVector<f64>,
    /// Completion at depth ≥ 2 without a penalty: only the observed entries of W are formed.
    sampled: Option<SampledPath<'p>>,
}

/// The sampled path: the observed positions, W_Nᵀ and ∂ℓ/∂W_Nᵀ (every observed entry then
/// touches contiguous columns, `sampled`).
#[derive(Debug, Clone)]
struct SampledPath<'p> {
    positions: Sampled<'p>,
    top_t: DMatrix<f64>,
    top_gradient_t: DMatrix<f64>,
}

impl<'p> DeepFactorisation<'p> {
    /// Wraps factors W_1, …, W_N whose product has the problem's shape.
    pub fn new(problem: &'p Problem, reduction: Reduction, factors: Vec<DMatrix<f64>>) -> Self {
        let cols = problem.cols;
        let prefixes: Vec<_> = factors
            .iter()
            .map(|w| DMatrix::zeros(w.nrows(), cols))
            .collect();
        let sampled = match &problem.observations {
            Observations::Entries { at, .. } if factors.len() >= 2 => {
                let top = &factors[factors.len() - 1];
                Some(SampledPath {
                    positions: Sampled::new(at),
                    top_t: top.transpose(),
                    top_gradient_t: top.transpose(),
                })
            }
            _ => None,
        };
        let mut model = Self {
            problem,
            reduction,
            penalty: None,
            backward: prefixes.clone(),
            gradients: factors
                .iter()
                .map(|w| DMatrix::zeros(w.nrows(), w.ncols()))
                .collect(),
            prefixes,
            product_current: false,
            factors,
            residuals: DVector::zeros(problem.observation_count()),
            sampled,
        };
        prefix_products(&model.factors, &mut model.prefixes, model.factors.len());
        model.product_current = true;
        model
    }

    /// Adds λ·R(W) to the objective the gradients descend (the returned loss stays ℓ(W)). The
    /// penalty needs the whole of W, so a penalised model takes the dense path.
    pub fn with_penalty(self, penalty: Option<PenaltySpec>) -> Self {
        let sampled = if penalty.is_some() {
            None
        } else {
            self.sampled
        };
        Self {
            penalty,
            sampled,
            ..self
        }
    }

    /// Forms W and the dense ∇ℓ(W) at every step even where the sampled path would not (to
    /// check the sampled path against, and to measure the dense one).
    pub fn with_dense_products(self) -> Self {
        Self {
            sampled: None,
            ..self
        }
    }

    /// ∂ℓ/∂W_j = B_j P_{j−1}ᵀ and B_{j−1} = W_jᵀ B_j for j = `from`, …, 1, from B_from.
    fn backward_from(&mut self, from: usize) {
        for j in (1..=from).rev() {
            let (gradient, prefix) = (&mut self.gradients[j], &self.prefixes[j - 1]);
            gemm(gradient, Plain(&self.backward[j]), Transposed(prefix));
            let (below, above) = self.backward.split_at_mut(j);
            gemm(
                &mut below[j - 1],
                Transposed(&self.factors[j]),
                Plain(&above[0]),
            );
        }
        self.gradients[0].copy_from(&self.backward[0]);
    }
}

impl Model for DeepFactorisation<'_> {
    /// The end-to-end matrix W = W_N ⋯ W_1 of the last `loss_and_gradients` (formed here on
    /// the sampled path, which does not need it).
    fn product(&mut self) -> &DMatrix<f64> {
        let top = self.factors.len() - 1;
        if !self.product_current {
            let (below, above) = self.prefixes.split_at_mut(top);
            gemm(
                &mut above[0],
                Plain(&self.factors[top]),
                Plain(&below[top - 1]),
            );
            self.product_current = true;
        }
        &self.prefixes[top]
    }

    /// ℓ(W) at the current factors, leaving ∂(ℓ + λR)/∂W_j in `gradients()`.
    fn loss_and_gradients(&mut self) -> f64 {
        let top = self.factors.len() - 1;
        match &mut self.sampled {
            Some(sampled) => {
                // W = W_N·P_{N−1}: its observed entries, then ∂ℓ/∂W_N = G·P_{N−1}ᵀ and
                // B_{N−1} = W_Nᵀ·G with the sparse G, and the dense products below.
                prefix_products(&self.factors, &mut self.prefixes, top);
                self.factors[top].transpose_to(&mut sampled.top_t);
                let weight = self.reduction.weight(self.residuals.len());
                let squares = sampled.positions.residual_products(
                    &sampled.top_t,
                    &self.prefixes[top - 1],
                    self.problem.targets(),
                    weight,
                    self.residuals.as_mut_slice(),
                    &mut sampled.top_gradient_t,
                    &mut self.backward[top - 1],
                );
                sampled
                    .top_gradient_t
                    .transpose_to(&mut self.gradients[top]);
                self.product_current = false;
                self.backward_from(top - 1);
                0.5 * weight * squares
            }
            None => {
                prefix_products(&self.factors, &mut self.prefixes, top + 1);
                self.product_current = true;
                let loss = self.problem.loss_gradient_into(
                    &self.prefixes[top],
                    self.reduction,
                    &mut self.residuals,
                    &mut self.backward[top],
                );
                if let Some(penalty) = &self.penalty {
                    penalty.add_gradient(&self.prefixes[top], &mut self.backward[top]);
                }
                self.backward_from(top);
                loss
            }
        }
    }

    fn direction_gradients(&mut self) -> bool {
        // A margin fit observes dense measurements: never the sampled path.
        if self.sampled.is_some() {
            return false;
        }
        let top = self.factors.len() - 1;
        prefix_products(&self.factors, &mut self.prefixes, top + 1);
        self.product_current = true;
        let margins = self.problem.direction_into(
            &self.prefixes[top],
            &mut self.residuals,
            &mut self.backward[top],
        );
        if margins {
            self.backward_from(top);
        }
        margins
    }

    fn parameters(&self) -> &[DMatrix<f64>] {
        &self.factors
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        (&mut self.factors, &self.gradients)
    }

    /// ∂(ℓ + λR)/∂W_j from the last `loss_and_gradients`.
    fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    fn finish(mut self) -> Endpoint {
        Endpoint {
            matrix: self.product().clone(),
            factors: self.factors,
            certificate: None,
        }
    }
}

/// P_j = W_j ⋯ W_1 for j = 1, …, `count`.
fn prefix_products(factors: &[DMatrix<f64>], prefixes: &mut [DMatrix<f64>], count: usize) {
    prefixes[0].copy_from(&factors[0]);
    for j in 1..count {
        let (done, rest) = prefixes.split_at_mut(j);
        gemm(&mut rest[0], Plain(&factors[j]), Plain(&done[j - 1]));
    }
}

#[cfg(test)]
mod cost_tests {
    use super::*;

    /// The closed-form sums over layers equal the layer-by-layer sums they replaced, and a depth
    /// of 10¹² is estimated at once.
    #[test]
    fn costs_sum_layers_in_closed_form() {
        let shape = Shape {
            rows: 7.0,
            cols: 5.0,
            observations: 11.0,
            entries: true,
            inputs: 0.0,
            order: 2.0,
        };
        for depth in 1..=6 {
            for width in [None, Some(3)] {
                let spec: DeepSpec = serde_json::from_value(serde_json::json!({
                    "depth": depth, "width": width, "init": { "gaussian": { "scale": 0.1 } },
                    "optimizer": { "gd": { "lr": 0.1 } }, "steps": 10
                }))
                .unwrap();
                let w = width.map_or(7.0, f64::from);
                let layer =
                    |j: usize| (if j == depth { 7.0 } else { w }) * (if j == 1 { 5.0 } else { w });
                let parameters: f64 = (1..=depth).map(layer).sum();
                let cost = spec.cost(shape);
                let expected = shape.record(4.0, parameters, 10.0, depth as f64 + 4.0);
                assert_eq!(cost.record, expected, "depth {depth}");
            }
        }
        let deep: DeepSpec = serde_json::from_value(serde_json::json!({
            "depth": 1_000_000_000_000u64, "init": { "gaussian": { "scale": 0.1 } },
            "optimizer": { "gd": { "lr": 0.1 } }, "steps": 10
        }))
        .unwrap();
        assert!(deep.cost(shape).working > 1e15);
    }
}
