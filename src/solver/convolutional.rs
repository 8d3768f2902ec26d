//! Linear circular convolutional networks of depth L with full-width filters (Gunasekar, Lee,
//! Soudry, Srebro 2018, NeurIPS, arXiv 1806.00468): the predictor is β = w_L ⊛ ⋯ ⊛ w_1 with
//! (a ⊛ b)_t = Σ_s a_s b_{(t−s) mod d}, so its spectrum is the product of the filters' spectra,
//! β̂ = ∏_l ŵ_l (`measure::fourier`, unnormalised). Gradient descent on such a network is
//! biased toward the ℓ_{2/L} bridge penalty of β̂ (their abstract), where a fully connected one
//! goes to the ℓ2 maximum margin whatever its depth. Gradients by the correlation theorem:
//! ∂ℓ/∂w_l = (1/d)·Re F⁻¹(ĝ ⊙ conj(∏_{m≠l} ŵ_m)) with g = ∇ℓ(β), 2L + 2 transforms a step
//! and nothing allocated. The filter's convention (convolution or correlation, a 1/√d per
//! layer) moves constants, not the bridge penalty the bias is toward.

use super::cost::{Cost, FLOAT, MATRIX, STEP_OVERHEAD, Shape};
use super::driver::Endpoint;
use super::init::InitSpec;
use super::model::{self, Network, Output};
use super::optimizer::OptimizerSpec;
use super::penalty::PenaltySpec;
use crate::invalid::{Invalid, require};
use crate::measure::Dft;
use crate::problem::{Problem, Reduction};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use rustfft::num_complex::Complex64;
use serde::{Deserialize, Serialize};

/// A convolutional-network run as a claim describes it. The training settings repeat
/// `DeepSpec`'s and are validated by the one `model::validate_training`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvolutionalSpec {
    /// L ≥ 1, the number of filters (1 is the plain linear model).
    #[serde(default = "one")]
    pub depth: usize,
    /// Where the filters start: `gaussian` (entries N(0, s^{2/L}/d), so |β̂_k| ≈ s), `identity`
    /// (each filter s^{1/L}·e₀, so β = s·e₀) or `zero` (depth 1 only).
    pub init: InitSpec,
    /// How the filters move.
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
    /// An explicit penalty λ·R on β.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<PenaltySpec>,
}

fn one() -> usize {
    1
}

/// The deepest network: s^{1/L} and the products of L spectra stay well inside f64, and deeper
/// networks add nothing the claims need.
pub const MAX_DEPTH: usize = 64;

impl ConvolutionalSpec {
    pub(super) fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        require(cols == 1, "", || {
            format!("a vector problem (d×1) for a convolutional network; this one is {rows}×{cols}")
        })?;
        require((1..=MAX_DEPTH).contains(&self.depth), "depth", || {
            format!("a depth from 1 to {MAX_DEPTH}")
        })?;
        match self.init {
            InitSpec::Balanced { .. } => {
                return Err(Invalid::new(
                    "init",
                    "`gaussian`, `identity` or `zero` (`balanced` splits a matrix product through its SVD; a filter chain has none)",
                ));
            }
            InitSpec::Zero => require(self.depth == 1, "init", || {
                "`zero` at depth 1 only: at depth ≥ 2 every filter's gradient vanishes at zero"
                    .into()
            })?,
            InitSpec::Gaussian { .. } | InitSpec::Identity { .. } => self
                .init
                .validate(rows, rows, rows)
                .map_err(|e| e.within("init"))?,
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

    /// The name of the seed's stream the filters are drawn from: the initialisation's identity,
    /// so that a run's name never changes its start.
    pub fn stream_name(&self) -> String {
        format!(
            "convolutional depth={} init={}",
            self.depth,
            self.init.canonical()
        )
    }

    /// The filters w_1, …, w_L for a d-dimensional problem and `seed`.
    pub fn start(&self, d: usize, seed: u64) -> Vec<DMatrix<f64>> {
        self.filters(d, &mut random::named_stream(seed, &self.stream_name()))
    }

    fn filters(&self, d: usize, rng: &mut Rng) -> Vec<DMatrix<f64>> {
        let per_layer = self.init.scale().powf(1.0 / self.depth as f64);
        (0..self.depth)
            .map(|_| match self.init {
                InitSpec::Gaussian { .. } | InitSpec::Balanced { .. } => {
                    random::gaussian_matrix(d, 1, per_layer / (d as f64).sqrt(), rng)
                }
                InitSpec::Identity { .. } => {
                    DMatrix::from_fn(d, 1, |t, _| if t == 0 { per_layer } else { 0.0 })
                }
                InitSpec::Zero => DMatrix::zeros(d, 1),
            })
            .collect()
    }

    /// What a run costs on a d×1 instance: L filters, their gradients and spectra (and the
    /// optimiser's state); a step is 2L + 2 transforms of length d (≈ 5·d·log₂d operations
    /// each), 6L complex products per frequency, and the loss's operator and adjoint.
    pub fn cost(&self, shape: Shape) -> Cost {
        let d = shape.size();
        let depth = self.depth as f64;
        let state = match self.optimizer {
            OptimizerSpec::Adam { .. } => 2.0,
            OptimizerSpec::GradientFlow(_) => 8.0,
            _ => 0.0,
        };
        let transform = 5.0 * d * d.max(2.0).log2();
        let per_evaluation =
            2.0 * shape.operator() + (2.0 * depth + 2.0) * transform + 12.0 * depth * d;
        let steps = self.step_budget() as f64;
        Cost {
            working: ((2.0 + state) * depth * d + 6.0 * depth * d + 6.0 * d + shape.observations)
                * FLOAT
                + (4.0 + state) * depth * MATRIX,
            record: shape.record(4.0, depth * d, steps, depth + 4.0),
            setup: 0.0,
            per_step: self.optimizer.evaluations_per_step() * per_evaluation
                + STEP_OVERHEAD * (depth + 1.0),
            steps,
            setting: "convolutional.steps",
        }
    }
}

/// A convolutional network on a d×1 problem, with the buffers its gradients need (allocated
/// once).
#[derive(Debug, Clone)]
pub struct ConvolutionalNetwork<'p> {
    /// w_1, …, w_L, each d×1.
    filters: Vec<DMatrix<f64>>,
    /// ∂(ℓ + λR)/∂w_l.
    gradients: Vec<DMatrix<f64>>,
    /// β and the loss there.
    output: Output<'p>,
    dft: Dft,
    /// ŵ_l.
    spectra: Vec<Vec<Complex64>>,
    /// ∏_{m>l} ŵ_m.
    suffixes: Vec<Vec<Complex64>>,
    /// ∏_{m<l} ŵ_m, as l rises.
    prefix: Vec<Complex64>,
    /// ĝ.
    outer_spectrum: Vec<Complex64>,
    /// What the next inverse transform reads.
    work: Vec<Complex64>,
}

impl<'p> ConvolutionalNetwork<'p> {
    /// The network at the given filters (each d×1, d the problem's rows).
    pub fn new(problem: &'p Problem, reduction: Reduction, filters: Vec<DMatrix<f64>>) -> Self {
        let d = problem.rows;
        let spectrum = vec![Complex64::default(); d];
        let zeros = DMatrix::zeros(d, 1);
        Self {
            gradients: vec![zeros; filters.len()],
            spectra: vec![spectrum.clone(); filters.len()],
            suffixes: vec![spectrum.clone(); filters.len()],
            filters,
            output: Output::new(problem, reduction),
            dft: Dft::new(d),
            prefix: spectrum.clone(),
            outer_spectrum: spectrum.clone(),
            work: spectrum,
        }
    }

    /// Adds λ·R(β) to the objective the gradients descend (the returned loss stays ℓ(β)).
    pub fn with_penalty(self, penalty: Option<PenaltySpec>) -> Self {
        Self {
            output: self.output.with_penalty(penalty),
            ..self
        }
    }

    /// β̂ = ∏ ŵ_l into `work`, the spectra and the suffix products on the way.
    fn transform_filters(&mut self) {
        let depth = self.filters.len();
        for (filter, spectrum) in self.filters.iter().zip(&mut self.spectra) {
            self.dft.forward_real(filter.as_slice(), spectrum);
        }
        self.suffixes[depth - 1].fill(Complex64::new(1.0, 0.0));
        for l in (0..depth - 1).rev() {
            let (lower, upper) = self.suffixes.split_at_mut(l + 1);
            for ((s, above), w) in lower[l].iter_mut().zip(&upper[0]).zip(&self.spectra[l + 1]) {
                *s = above * w;
            }
        }
        for ((out, s), w) in self
            .work
            .iter_mut()
            .zip(&self.suffixes[0])
            .zip(&self.spectra[0])
        {
            *out = s * w;
        }
    }
}

impl<'p> Network<'p> for ConvolutionalNetwork<'p> {
    /// β from the filters (`transform_filters`, then the inverse transform).
    fn forward(&mut self) {
        self.transform_filters();
        self.dft
            .inverse_real(&mut self.work, self.output.product.as_mut_slice());
    }

    /// ∂/∂w_l = (1/d)·Re F⁻¹(ĝ ⊙ conj(∏_{m≠l} ŵ_m)) from g = `outer`.
    fn backward(&mut self) {
        self.dft
            .forward_real(self.output.outer.as_slice(), &mut self.outer_spectrum);
        self.prefix.fill(Complex64::new(1.0, 0.0));
        for l in 0..self.filters.len() {
            for (((out, g), p), s) in self
                .work
                .iter_mut()
                .zip(&self.outer_spectrum)
                .zip(&self.prefix)
                .zip(&self.suffixes[l])
            {
                *out = g * (p * s).conj();
            }
            self.dft
                .inverse_real(&mut self.work, self.gradients[l].as_mut_slice());
            for (p, w) in self.prefix.iter_mut().zip(&self.spectra[l]) {
                *p *= w;
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
        &self.filters
    }

    fn parameters_and_gradients(&mut self) -> (&mut [DMatrix<f64>], &[DMatrix<f64>]) {
        (&mut self.filters, &self.gradients)
    }

    fn gradients(&self) -> &[DMatrix<f64>] {
        &self.gradients
    }

    /// β and the filters w_1, …, w_L.
    fn finish(self) -> Endpoint {
        Endpoint {
            matrix: self.output.product,
            factors: self.filters,
            certificate: None,
        }
    }
}

/// β = w_L ⊛ ⋯ ⊛ w_1 by the definition, O(L·d²) (allocating; for tests and set-up).
pub fn convolve_all(filters: &[DMatrix<f64>]) -> DMatrix<f64> {
    let d = filters.first().map_or(0, |f| f.nrows());
    let mut beta = DMatrix::from_fn(d, 1, |t, _| if t == 0 { 1.0 } else { 0.0 });
    for filter in filters {
        beta = DMatrix::from_fn(d, 1, |t, _| {
            (0..d).map(|s| filter[s] * beta[(t + d - s) % d]).sum()
        });
    }
    beta
}
