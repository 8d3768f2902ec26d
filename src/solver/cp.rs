//! CP factorisations of an order-N tensor, T = Σ_r a_r⁽¹⁾ ⊗ ⋯ ⊗ a_r⁽ᴺ⁾ with R components (Razin,
//! Maman, Cohen 2021): the factor matrices A⁽ⁿ⁾ (d_n × R) hold a_r⁽ⁿ⁾ as column r. Gradient
//! descent from small initialisation learns the components one at a time, a greedy search for
//! low tensor rank; the model is equivalent to a nonlinear network (one-hot inputs, a locally
//! connected layer, product pooling). The tensor is held as its mode-1 unfolding
//! (`problem::TensorSpec`; a matrix problem is an order-2 tensor): T₍₁₎ = A⁽¹⁾·KRᵀ with KR the
//! Khatri–Rao product of A⁽²⁾, …, A⁽ᴺ⁾ (row j = (i₂, …, i_N), i₂ fastest: KR[j, r] =
//! ∏_{n≥2} A⁽ⁿ⁾[i_n, r]). With G = ∇ℓ(T₍₁₎): ∂ℓ/∂A⁽¹⁾ = G·KR, and for n ≥ 2, with H = Gᵀ·A⁽¹⁾,
//! ∂ℓ/∂A⁽ⁿ⁾[i, r] = Σ_{j: i_n(j) = i} H[j, r]·∏_{m≥2, m≠n} A⁽ᵐ⁾[i_m(j), r] (the matricised tensor
//! times the Khatri–Rao product of the other factors), formed by contracting column r of H with
//! the other factors' columns one mode at a time (`contract_except`). Three products of d^N·R and
//! about 1.5·(N − 1) passes over d^{N−1}·R a step, into buffers allocated once.

use super::cost::{Cost, FLOAT, MATRIX, STEP_OVERHEAD, Shape};
use super::driver::Endpoint;
use super::gemm::{Op, gemm};
use super::init::canonical_number;
use super::model::{self, Network, Output};
use super::optimizer::OptimizerSpec;
use crate::invalid::{Invalid, require};
use crate::problem::{Problem, Reduction};
use crate::random;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A CP-factorisation run as a claim describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpSpec {
    /// R, the number of components (Razin et al. over-parameterise with R = 1,000).
    pub components: usize,
    /// σ > 0: every factor entry starts N(0, σ²) (their code: 5e-3).
    pub scale: f64,
    /// How the factors move.
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
}

/// The most components.
pub const MAX_COMPONENTS: usize = 1 << 20;

impl CpSpec {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        require(
            (1..=MAX_COMPONENTS).contains(&self.components),
            "components",
            || format!("from 1 to {MAX_COMPONENTS} components"),
        )?;
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

    /// The name of the seed's stream the factors are drawn from.
    pub fn stream_name(&self) -> String {
        format!(
            "cp components={} scale={}",
            self.components,
            canonical_number(self.scale)
        )
    }

    /// A⁽¹⁾, …, A⁽ᴺ⁾ for a tensor of mode sizes `modes` and `seed`.
    pub fn start(&self, modes: &[usize], seed: u64) -> Vec<DMatrix<f64>> {
        let rng = &mut random::named_stream(seed, &self.stream_name());
        modes
            .iter()
            .map(|&d| random::gaussian_matrix(d, self.components, self.scale, rng))
            .collect()
    }

    /// What a run costs on an instance of `shape` (its `order` modes): the factors, their
    /// gradients (and the optimiser's state), KR and H (d^{N−1}·R each), the model's index of
    /// every column and two contraction buffers; a step is three products of d^N·R, KR's
    /// N − 1 passes and the contractions' 1.5·(N − 1) passes over d^{N−1}·R.
    pub fn cost(&self, shape: Shape) -> Cost {
        let (r, size, order) = (self.components as f64, shape.size(), shape.order);
        let rest = shape.cols;
        let state = match self.optimizer {
            OptimizerSpec::Adam { .. } => 2.0,
            OptimizerSpec::GradientFlow(_) => 8.0,
            _ => 0.0,
        };
        let parameters = (shape.rows + (order - 1.0) * shape.rows) * r;
        let steps = self.step_budget() as f64;
        let per_evaluation =
            6.0 * size * r + 5.0 * (order - 1.0) * rest * r + 2.0 * shape.operator();
        Cost {
            working: ((2.0 + state) * parameters + 2.0 * rest * r + 2.0 * rest + 3.0 * size)
                * FLOAT
                + rest * order * FLOAT
                + (4.0 + 2.0 * order + state) * MATRIX,
            record: shape.record(1.0, parameters, steps, order),
            setup: rest * order,
            per_step: self.optimizer.evaluations_per_step() * per_evaluation + STEP_OVERHEAD,
            steps,
            setting: "cp.steps",
        }
    }
}

/// A CP factorisation on a tensor problem, with the buffers its gradients need.
#[derive(Debug, Clone)]
pub struct CpFactorisation<'p> {
    factors: Vec<DMatrix<f64>>,
    gradients: Vec<DMatrix<f64>>,
    /// The Khatri–Rao product of A⁽²⁾, …, A⁽ᴺ⁾ (d^{N−1} × R).
    khatri_rao: DMatrix<f64>,
    /// H = Gᵀ·A⁽¹⁾ (d^{N−1} × R).
    back: DMatrix<f64>,
    /// (i₂, …, i_N) of every column j, column j's N − 1 indices in a row.
    indices: Vec<usize>,
    /// The mode sizes d₁, …, d_N.
    modes: Vec<usize>,
    /// Two buffers of d^{N−1} for the contractions of the backward pass.
    scratch: Vec<f64>,
    /// T₍₁₎ and the loss there.
    output: Output<'p>,
}

impl<'p> CpFactorisation<'p> {
    /// The factorisation with factor matrices `factors` (one per mode of `problem`'s tensor).
    pub fn new(problem: &'p Problem, reduction: Reduction, factors: Vec<DMatrix<f64>>) -> Self {
        let modes: Vec<usize> = factors.iter().map(|f| f.nrows()).collect();
        let components = factors[0].ncols();
        let rest: usize = modes[1..].iter().product();
        let mut indices = Vec::with_capacity(rest * (modes.len() - 1));
        for j in 0..rest {
            let mut left = j;
            for &d in &modes[1..] {
                indices.push(left % d);
                left /= d;
            }
        }
        Self {
            gradients: factors
                .iter()
                .map(|f| DMatrix::zeros(f.nrows(), f.ncols()))
                .collect(),
            factors,
            khatri_rao: DMatrix::zeros(rest, components),
            back: DMatrix::zeros(rest, components),
            indices,
            scratch: vec![0.0; 2 * rest],
            modes,
            output: Output::new(problem, reduction),
        }
    }
}

/// Σ over every index but mode `keep`'s of h[i₁, …, i_K]·∏_{m≠keep} v_m(i_m), for h laid out
/// with mode 1 fastest and mode sizes `modes`: the mode-`keep` vector. Modes are contracted one
/// at a time, the fastest remaining first, each pass over what is left, into `scratch` (two
/// halves of at least h's length, allocated once): about |h|·(1 + 1/d + …) operations where
/// forming each term's product over the other modes would take |h|·(K − 1).
fn contract_except<'s>(
    h: &[f64],
    modes: &[usize],
    v: impl Fn(usize, usize) -> f64,
    keep: usize,
    scratch: &'s mut [f64],
) -> &'s [f64] {
    let half = h.len();
    let (mut from, mut to) = scratch.split_at_mut(half);
    from[..half].copy_from_slice(h);
    let mut len = half;
    // The size of the kept mode once every mode before it is contracted (1 before that).
    let mut inner = 1;
    for (m, &d) in modes.iter().enumerate() {
        if m == keep {
            inner = d;
            continue;
        }
        let outer = len / (inner * d);
        for c in 0..outer {
            for a in 0..inner {
                let mut sum = 0.0;
                for b in 0..d {
                    sum += from[a + inner * (b + d * c)] * v(m, b);
                }
                to[a + inner * c] = sum;
            }
        }
        len /= d;
        std::mem::swap(&mut from, &mut to);
    }
    &from[..len]
}

impl<'p> Network<'p> for CpFactorisation<'p> {
    /// KR, then T₍₁₎ = A⁽¹⁾·KRᵀ.
    fn forward(&mut self) {
        let k = self.factors.len() - 1;
        let (factors, indices) = (&self.factors, &self.indices);
        for r in 0..factors[0].ncols() {
            for (j, at) in indices.chunks_exact(k).enumerate() {
                let mut term = 1.0;
                for (factor, &i) in factors[1..].iter().zip(at) {
                    term *= factor[(i, r)];
                }
                self.khatri_rao[(j, r)] = term;
            }
        }
        gemm(
            &mut self.output.product,
            Op::Plain(&self.factors[0]),
            Op::Transposed(&self.khatri_rao),
        );
    }

    /// The factors' gradients from G = `outer`.
    fn backward(&mut self) {
        let g = &self.output.outer;
        gemm(
            &mut self.gradients[0],
            Op::Plain(g),
            Op::Plain(&self.khatri_rao),
        );
        gemm(
            &mut self.back,
            Op::Transposed(g),
            Op::Plain(&self.factors[0]),
        );
        let modes: &[usize] = &self.modes[1..];
        for r in 0..self.back.ncols() {
            let column = self.back.column(r);
            for (n, gradient) in self.gradients.iter_mut().enumerate().skip(1) {
                let kept = contract_except(
                    column.as_slice(),
                    modes,
                    |m, i| self.factors[m + 1][(i, r)],
                    n - 1,
                    &mut self.scratch,
                );
                gradient.column_mut(r).copy_from_slice(kept);
            }
        }
    }

    fn output(&mut self) -> &mut Output<'p> {
        &mut self.output
    }

    fn product(&self) -> &DMatrix<f64> {
        &self.output.product
    }

    fn parameters(&self) -> &[DMatrix<f64>] {
        &self.factors
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        (&mut self.factors, &self.gradients)
    }

    fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    fn components(&self, norms: &mut Vec<f64>) -> bool {
        crate::measure::component_norms_into(&self.factors, norms);
        true
    }

    /// T₍₁₎ and the factor matrices.
    fn finish(self) -> Endpoint {
        Endpoint {
            matrix: self.output.product,
            factors: self.factors,
            certificate: None,
        }
    }
}
