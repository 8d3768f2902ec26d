//! The convex baseline: minimise ‖X‖* subject to 𝒜(X) = y, or to |𝒜(X) − y|∞ ≤ δ as Arora et
//! al. (2019, code) ran it through CVXPY with δ = 1e-3, and prove the answer optimal.
//!
//! Splitting (Boyd et al. 2011, "Distributed optimization … ADMM", §3 and §5): minimise
//! ‖Z‖* + ι_B(v) subject to X = Z and 𝒜(X) = v, where B is the box [y − δ, y + δ]. One iteration:
//! - X: the least-squares step (I + 𝒜*𝒜)X = Z − U + 𝒜*(v − u), solved through Woodbury's
//!   identity with the k×k matrix I + 𝒜𝒜* (= 2I for completion; a Cholesky factor for sensing);
//! - Z: singular value thresholding of X + U at 1/ρ (Cai, Candès, Shen 2010);
//! - v: 𝒜(X) + u clamped to B;
//! - the scaled multipliers: U += X − Z, u += 𝒜(X) − v.
//!
//! Works for completion, sensing and explicit instances alike, exact (δ = 0) or relaxed.
//!
//! **Basis pursuit** is the same iteration with the entrywise ℓ1 norm in place of the nuclear
//! norm (`Objective::L1`): soft thresholding of the entries instead of the singular values, and
//! the dual norm ‖𝒜*(λ)‖∞ (the largest entry) instead of ‖𝒜*(λ)‖₂ in the certificate — for a
//! vector, min ‖w‖₁ s.t. Xw = y with dual max ⟨y, λ⟩ s.t. ‖Xᵀλ‖∞ ≤ 1 (Chen, Donoho, Saunders
//! 1998; the certificate as in Candès & Tao's exact-recovery analyses).
//!
//! **Trace over the PSD cone** (`Objective::Trace`, `trace_psd`): min tr Z s.t. 𝒜(Z) = y, Z ⪰ 0,
//! the convex counterpart of a quadratic network (Li, Ma, Zhang 2018). The proximal map is
//! eigenvalue thresholding of the symmetric part, Π₊(sym(X + U) − I/ρ) (`measure::shrink_psd`),
//! and the certificate's dual condition λ_max(sym 𝒜*(λ)) ≤ 1 (`measure::psd`).
//!
//! **Certificate** (weak duality): if ‖𝒜*(λ)‖₂ ≤ 1 then every matrix X has
//! ‖X‖* ≥ ⟨𝒜*(λ), X⟩ = ⟨λ, 𝒜(X)⟩, so every feasible X has ‖X‖* ≥ ⟨y, λ⟩ − δ‖λ‖₁. The multiplier
//! of 𝒜(X) = v, λ = −ρu, scaled down until ‖𝒜*(λ)‖₂ ≤ 1, is such a λ; the run stops when that bound
//! is within `gap` of ‖Z‖* and Z is feasible to `feasibility`.

use super::anderson::{self, Anderson};
use super::certificate::{Certificate, Certified};
use super::cost::{Cost, FLOAT, STEP_OVERHEAD, Shape};
use super::driver::{Endpoint, Iterate};
use super::record::Stop;
use super::threshold::{self, Thresholder};
use crate::invalid::{Invalid, require};
use crate::kernels::difference;
use crate::measure;
use crate::problem::{Observations, Problem, Reduction};
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use serde::{Deserialize, Serialize};

/// A certified norm minimisation by ADMM as a claim describes it: `nuclear_norm` (min ‖X‖*)
/// and `basis_pursuit` (min ‖X‖₁ entrywise) take the same settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NuclearNormSpec {
    /// δ: each observation may miss its value by this much (0, the default, is exact equality).
    #[serde(default)]
    pub slack: f64,
    /// Stop when (‖Z‖* − bound) / ‖Z‖* falls to this relative duality gap …
    #[serde(default = "default_gap")]
    pub gap: f64,
    /// … and no observation misses its box by more than this, relative to max(1, max|yᵢ|).
    #[serde(default = "default_feasibility")]
    pub feasibility: f64,
    /// The iteration budget; a run that spends it without reaching both tolerances is `exhausted`.
    #[serde(default = "default_iterations")]
    pub iterations: usize,
    /// ADMM's penalty ρ, relative to the data's scale (see `Admm::new`).
    #[serde(default = "default_rho")]
    pub rho: f64,
}

fn default_gap() -> f64 {
    1e-6
}

fn default_feasibility() -> f64 {
    1e-8
}

fn default_iterations() -> usize {
    50_000
}

fn default_rho() -> f64 {
    1.0
}

impl NuclearNormSpec {
    /// What a solve minimising `objective` costs on an instance of `shape`: the iterate's
    /// matrices, two thresholders' blocks at their widest (a full SVD: five buffers of
    /// rows·cols and two of min²) and Anderson's states while it runs. Its work is exact for
    /// ℓ1; for the nuclear norm an iteration costs O(rows·cols·b) for the b directions its
    /// thresholding keeps, which no setting bounds below min(rows, cols): the estimate charges
    /// every iteration at the narrowest block (`threshold::NARROWEST`), and the solve counts
    /// the operations its blocks really take as it runs (`Iterate::work`), so that the
    /// driver holds it to its share of the limit (`driver::Bounds::work`).
    pub fn cost(&self, shape: Shape, objective: Objective) -> Cost {
        let (size, k) = (shape.size(), shape.observations);
        let gram = if shape.entries { 0.0 } else { k * k };
        let state = 2.0 * size + 2.0 * k;
        let blocks = 2.0 * (5.0 * size + 2.0 * shape.shortest().powi(2));
        let accelerator = (2.0 * anderson::MEMORY as f64 + 5.0) * state;
        let working = (4.0 * size + 6.0 * k + gram + blocks + accelerator) * FLOAT;
        let thresholding = match objective {
            Objective::Nuclear => {
                let (rows, cols) = (shape.rows, shape.cols);
                let b = (threshold::NARROWEST as f64).min(shape.shortest());
                let step = threshold::step_operations(rows, cols, b);
                // The thresholding's step and product, and every CHECK_EVERY iterations the
                // dual norm's estimate.
                step + threshold::forming_operations(rows, cols, b) + step / CHECK_EVERY as f64
            }
            Objective::L1 => 0.0,
            Objective::Trace => shape.svd(),
        };
        let forming = if shape.entries { 0.0 } else { k * k * size };
        Cost {
            working,
            record: (2.0 * size + k + 200.0) * FLOAT,
            setup: forming + gram * k / 3.0,
            per_step: passes(shape) + thresholding,
            steps: self.iterations as f64,
            setting: "nuclear_norm.iterations",
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let positive = |x: f64| x > 0.0 && x.is_finite();
        require(self.slack >= 0.0 && self.slack.is_finite(), "slack", || {
            "a slack δ ≥ 0".into()
        })?;
        require(positive(self.gap), "gap", || {
            "a positive relative duality gap".into()
        })?;
        require(positive(self.feasibility), "feasibility", || {
            "a positive feasibility tolerance".into()
        })?;
        require(self.iterations >= 1, "iterations", || {
            "at least 1 iteration".into()
        })?;
        require(positive(self.rho), "rho", || "a positive penalty ρ".into())
    }
}

/// Operations of one iteration beyond the thresholding: 𝒜 and 𝒜* four times (the
/// least-squares step, over-relaxation, the loss), the Gram solve for dense measurements, about
/// a dozen passes over the matrices and vectors, and Anderson's passes over its states.
fn passes(shape: Shape) -> f64 {
    let (size, k) = (shape.size(), shape.observations);
    let solve = if shape.entries { k } else { 2.0 * k * k };
    let state = 2.0 * size + 2.0 * k;
    let accelerator = 2.0 * (2.0 * anderson::MEMORY as f64 + 6.0) * state;
    4.0 * shape.operator() + solve + 12.0 * (size + k) + accelerator + STEP_OVERHEAD
}

/// How often (in iterations) the certificate is computed; it costs one warm subspace step
/// (`Thresholder::largest`), and a full SVD when it would stop the run.
const CHECK_EVERY: usize = 10;

/// α of over-relaxation (`Admm::relax`); Boyd et al. suggest 1.5-1.8.
const RELAXATION: f64 = 1.8;

/// Residual balancing (Boyd et al. 2011, §3.4.1), on the two stopping measures: when one is more
/// than `BALANCE` times further from its tolerance than the other, ρ moves by `RHO_FACTOR`
/// towards it. After `MAX_ADAPTATIONS` moves ρ stays fixed, so ADMM's convergence proof applies.
const BALANCE: f64 = 10.0;
const RHO_FACTOR: f64 = 2.0;
const MAX_ADAPTATIONS: usize = 100;

/// (I + 𝒜𝒜*)⁻¹, the only inverse the X-step needs.
enum GramInverse {
    /// Completion: 𝒜𝒜* = I (distinct entries), so the inverse is I/2.
    Half,
    Cholesky(Cholesky<f64, Dyn>),
    /// I + 𝒜𝒜* overflowed (measurement entries near 1e154): every step yields NaN, which the
    /// driver reports as divergence.
    Overflowed,
}

/// The norm ADMM minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// ‖X‖* = Σσᵢ: singular value thresholding; dual norm ‖·‖₂.
    Nuclear,
    /// ‖X‖₁ = Σ|Xᵢⱼ|: soft thresholding; dual norm max |·|.
    L1,
    /// tr X over X ⪰ 0: eigenvalue thresholding; dual condition λ_max(sym ·) ≤ 1.
    Trace,
}

/// ADMM's state and its buffers, allocated once.
pub struct Admm<'p> {
    problem: &'p Problem,
    spec: NuclearNormSpec,
    objective: Objective,
    /// ρ in absolute units: `spec.rho` divided by the data's scale.
    rho: f64,
    gram: GramInverse,
    x: DMatrix<f64>,
    z: DMatrix<f64>,
    /// Scaled multiplier of X = Z.
    u_matrix: DMatrix<f64>,
    v: DVector<f64>,
    /// Scaled multiplier of 𝒜(X) = v.
    u_vector: DVector<f64>,
    /// ‖Z‖ in the objective's norm, from the last thresholding.
    norm: f64,
    /// Scratch: a matrix (X + U, then 𝒜*(λ)) and two vectors of length k.
    work: DMatrix<f64>,
    observed: DVector<f64>,
    solve: DVector<f64>,
    /// SVT from the triplets above the threshold, warm-started (`threshold`).
    svt: Thresholder,
    /// ‖𝒜*(λ)‖₂ estimated between certificates, by the same warm subspace iteration.
    dual: Thresholder,
    /// Anderson acceleration of the iteration as a map of (Z, U, v, u), packed into `input`
    /// (the point last mapped) and `image` (its image, the current state).
    anderson: Anderson,
    input: DVector<f64>,
    image: DVector<f64>,
    iteration: usize,
    adaptations: usize,
    /// The last certificate, and whether its dual norm was computed exactly (a full SVD) rather
    /// than estimated: only an exact one stops a run or is returned.
    certificate: Option<(Certificate, bool)>,
    /// Operations of an iteration beyond the thresholders' (`passes`), and of a full SVD.
    per_iteration: f64,
    full_svd: f64,
    /// Full SVDs taken for exact certificates.
    full_svds: usize,
}

impl<'p> Admm<'p> {
    /// Starts from Z = 0. The thresholding level 1/ρ is `1/spec.rho` times the data's own scale,
    /// so that rescaling y by c rescales every iterate by c and the iteration count does not
    /// depend on the units of y: for ℓ1, √(rows·cols/k)·rms(y); for the nuclear norm, half of
    /// ‖𝒜*(y)‖₂, so that the first iterates keep only the few directions the data are most sure
    /// of (at 1000×1000 with 10 % observed, √(rows·cols/k)·rms(y) lies inside the noise bulk of
    /// 𝒜*(y) and the first thresholdings would keep hundreds of directions; residual balancing
    /// lowers the level from there).
    pub fn new(problem: &'p Problem, spec: NuclearNormSpec, objective: Objective) -> Self {
        let (rows, cols) = (problem.rows, problem.cols);
        let k = problem.observation_count();
        let targets = DVector::from_column_slice(problem.targets());
        let mut dual = Thresholder::new(rows, cols);
        let scale = match objective {
            Objective::L1 => {
                let rms = (targets.norm_squared() / k as f64).sqrt();
                ((rows * cols) as f64 / k as f64).sqrt() * rms
            }
            Objective::Nuclear | Objective::Trace => {
                let mut adjoint = DMatrix::zeros(rows, cols);
                problem.add_adjoint(1.0, &targets, &mut adjoint);
                0.5 * spectral_norm_estimate(&mut dual, &adjoint)
            }
        };
        let rho = spec.rho
            / if scale > 0.0 && scale.is_finite() {
                scale
            } else {
                1.0
            };
        let gram = match &problem.observations {
            Observations::Entries { .. } => GramInverse::Half,
            Observations::Measurements { matrices, .. } => {
                let mut gram = matrices.tr_mul(matrices);
                for i in 0..k {
                    gram[(i, i)] += 1.0;
                }
                // Symmetric positive definite in exact arithmetic; only overflow can fail it.
                Cholesky::new(gram).map_or(GramInverse::Overflowed, GramInverse::Cholesky)
            }
        };
        Self {
            problem,
            spec,
            objective,
            rho,
            gram,
            x: DMatrix::zeros(rows, cols),
            z: DMatrix::zeros(rows, cols),
            u_matrix: DMatrix::zeros(rows, cols),
            v: targets,
            u_vector: DVector::zeros(k),
            norm: 0.0,
            work: DMatrix::zeros(rows, cols),
            observed: DVector::zeros(k),
            solve: DVector::zeros(k),
            svt: Thresholder::new(rows, cols),
            dual,
            anderson: Anderson::new(2 * rows * cols + 2 * k),
            input: DVector::zeros(2 * rows * cols + 2 * k),
            image: DVector::zeros(2 * rows * cols + 2 * k),
            iteration: 0,
            adaptations: 0,
            certificate: None,
            per_iteration: passes(Shape::of_instance(problem)),
            full_svd: Shape::of_instance(problem).svd(),
            full_svds: 0,
        }
    }

    /// The current iterate Z (low rank, feasible to the tolerance once converged).
    pub fn solution(&self) -> &DMatrix<f64> {
        &self.z
    }

    /// The exact certificate for the current iterate (computed now if the last one is stale or
    /// estimated).
    pub fn certificate(&mut self) -> Certificate {
        if !matches!(self.certificate, Some((_, true))) {
            self.certify(true);
        }
        self.certificate.clone().expect("just computed").0
    }

    /// X ← (I + 𝒜*𝒜)⁻¹ (Z − U + 𝒜*(v − u)) = R − 𝒜*((I + 𝒜𝒜*)⁻¹ 𝒜R).
    fn least_squares_step(&mut self) {
        let problem = self.problem;
        difference(
            self.x.as_mut_slice(),
            self.z.as_slice(),
            self.u_matrix.as_slice(),
        );
        difference(
            self.solve.as_mut_slice(),
            self.v.as_slice(),
            self.u_vector.as_slice(),
        );
        problem.add_adjoint(1.0, &self.solve, &mut self.x);
        problem.observe_into(&self.x, &mut self.solve);
        match &self.gram {
            GramInverse::Half => self.solve *= 0.5,
            GramInverse::Cholesky(factor) => factor.solve_mut(&mut self.solve),
            GramInverse::Overflowed => self.solve.fill(f64::NAN),
        }
        problem.add_adjoint(-1.0, &self.solve, &mut self.x);
    }

    /// Z ← the norm's proximal map of X + U at 1/ρ: SVT for the nuclear norm (a failed SVD
    /// leaves NaN, which the driver reports as divergence), soft thresholding for ℓ1.
    fn threshold_step(&mut self) {
        let threshold = 1.0 / self.rho;
        let shrink = |sigma: f64| (sigma - threshold).max(0.0);
        match self.objective {
            Objective::Nuclear => {
                let (x, u) = (self.x.as_slice(), self.u_matrix.as_slice());
                for ((w, x), u) in self.work.as_mut_slice().iter_mut().zip(x).zip(u) {
                    *w = x + u;
                }
                match self.svt.threshold(&self.work, threshold, &mut self.z) {
                    Some(norm) => self.norm = norm,
                    None => {
                        self.z.fill(f64::NAN);
                        self.norm = f64::NAN;
                    }
                }
            }
            Objective::L1 => {
                let mut norm = 0.0;
                for ((z, x), u) in self.z.iter_mut().zip(&self.x).zip(&self.u_matrix) {
                    let a = x + u;
                    *z = a.signum() * shrink(a.abs());
                    norm += z.abs();
                }
                self.norm = norm;
            }
            Objective::Trace => {
                let (x, u) = (self.x.as_slice(), self.u_matrix.as_slice());
                for ((w, x), u) in self.work.as_mut_slice().iter_mut().zip(x).zip(u) {
                    *w = x + u;
                }
                match measure::shrink_psd(&self.work, threshold, &mut self.z) {
                    Some(trace) => self.norm = trace,
                    None => {
                        self.z.fill(f64::NAN);
                        self.norm = f64::NAN;
                    }
                }
            }
        }
    }

    /// Over-relaxation (Boyd et al. 2011, §3.4.3): X̂ = αX + (1 − α)Z and 𝒜̂ = α𝒜(X) + (1 − α)v
    /// take X's place in the Z-, v- and multiplier steps; X̂ overwrites X, 𝒜̂ goes to `observed`.
    fn relax(&mut self) {
        let alpha = RELAXATION;
        self.problem.observe_into(&self.x, &mut self.observed);
        self.observed.axpy(1.0 - alpha, &self.v, alpha);
        for (x, z) in self.x.as_mut_slice().iter_mut().zip(self.z.as_slice()) {
            *x = alpha * *x + (1.0 - alpha) * z;
        }
    }

    /// v ← clamp(𝒜̂ + u, y ± δ); then the multipliers.
    fn box_and_multiplier_step(&mut self) {
        let slack = self.spec.slack;
        for (((v, u), &a), &y) in self
            .v
            .as_mut_slice()
            .iter_mut()
            .zip(self.u_vector.as_mut_slice())
            .zip(self.observed.as_slice())
            .zip(self.problem.targets())
        {
            *v = (a + *u).clamp(y - slack, y + slack);
            *u += a - *v;
        }
        let (x, z) = (self.x.as_slice(), self.z.as_slice());
        for ((u, x), z) in self.u_matrix.as_mut_slice().iter_mut().zip(x).zip(z) {
            *u = *u + x - z;
        }
    }

    /// The current state (Z, U, v, u) → `image`.
    fn pack_into_image(&mut self) {
        let parts = [
            self.z.as_slice(),
            self.u_matrix.as_slice(),
            self.v.as_slice(),
            self.u_vector.as_slice(),
        ];
        let mut at = 0;
        for part in parts {
            self.image.as_mut_slice()[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
    }

    /// `input` → the state (Z, U, v, u) the next iteration maps.
    fn unpack_input(&mut self) {
        let mut at = 0;
        let input = self.input.as_slice();
        for part in [
            self.z.as_mut_slice(),
            self.u_matrix.as_mut_slice(),
            self.v.as_mut_slice(),
            self.u_vector.as_mut_slice(),
        ] {
            part.copy_from_slice(&input[at..at + part.len()]);
            at += part.len();
        }
    }

    /// ρ ← factor·ρ, keeping the unscaled multipliers ρU and ρu; the map changes, so the
    /// accelerator forgets.
    fn rescale(&mut self, factor: f64) {
        self.anderson.reset();
        self.rho *= factor;
        self.u_matrix /= factor;
        self.u_vector /= factor;
        self.adaptations += 1;
    }

    /// The certificate from the current multipliers, and the gap and feasibility of Z; its dual
    /// norm ‖𝒜*(λ)‖₂ from a full SVD when `exact`, else estimated (`Thresholder::largest`).
    fn certify(&mut self, exact: bool) {
        let problem = self.problem;
        let mut lambda = &self.u_vector * -self.rho;
        self.work.as_mut_slice().fill(0.0);
        problem.add_adjoint(1.0, &lambda, &mut self.work);
        let exact = exact || self.objective != Objective::Nuclear;
        if exact && self.objective == Objective::Nuclear {
            self.full_svds += 1;
        }
        let dual = match self.objective {
            Objective::Nuclear if exact => measure::singular_values(&self.work)
                .first()
                .copied()
                .unwrap_or(0.0),
            Objective::Nuclear => self.dual.largest(&self.work).unwrap_or(f64::NAN),
            Objective::L1 => measure::max_abs(&self.work),
            Objective::Trace => measure::largest_eigenvalue(&self.work),
        };
        if dual > 1.0 {
            lambda /= dual;
        }
        let targets = problem.targets();
        let slack = self.spec.slack;
        let lower_bound = lambda
            .iter()
            .zip(targets)
            .map(|(l, y)| l * y - slack * l.abs())
            .sum::<f64>();
        problem.observe_into(&self.z, &mut self.observed);
        let scale = targets.iter().fold(1.0, |m: f64, y| m.max(y.abs()));
        let violation = self
            .observed
            .iter()
            .zip(targets)
            .map(|(a, y)| ((a - y).abs() - slack).max(0.0))
            .fold(0.0, f64::max);
        let primal = self.norm;
        let certificate = Certificate {
            certifies: match self.objective {
                Objective::Nuclear => Certified::NuclearNorm,
                Objective::L1 => Certified::L1Norm,
                Objective::Trace => Certified::TracePsd,
            },
            multipliers: lambda,
            conjugate: 0.0,
            lower_bound,
            gap: (primal - lower_bound).abs()
                / primal.max(lower_bound.abs()).max(f64::MIN_POSITIVE),
            feasibility: violation / scale,
        };
        self.certificate = Some((certificate, exact));
    }
}

/// ‖m‖₂ to about 1e-3, from below, by warm subspace iteration (at most 30 steps): enough to set
/// a scale.
fn spectral_norm_estimate(estimator: &mut Thresholder, m: &DMatrix<f64>) -> f64 {
    let mut last = 0.0;
    for _ in 0..30 {
        let Some(estimate) = estimator.largest(m) else {
            return f64::NAN;
        };
        if (estimate - last).abs() <= 1e-3 * estimate {
            return estimate;
        }
        last = estimate;
    }
    last
}

impl Admm<'_> {
    /// Whether the last certificate meets both tolerances.
    fn within_tolerances(&self) -> bool {
        self.distances()
            .is_some_and(|(infeasible, gapped)| infeasible <= 1.0 && gapped <= 1.0)
    }

    /// How far the current certificate is from each tolerance: (feasibility, gap) over their
    /// tolerances; `None` between checks.
    fn distances(&self) -> Option<(f64, f64)> {
        let (certificate, _) = self.certificate.as_ref()?;
        Some((
            certificate.feasibility / self.spec.feasibility,
            certificate.gap / self.spec.gap,
        ))
    }
}

impl Iterate for Admm<'_> {
    /// The train loss (½·mean) of Z, so that the trace shows the fit improving; every
    /// `CHECK_EVERY` iterations also the certificate that `stop` reads.
    fn evaluate(&mut self) -> f64 {
        self.problem.residuals_into(&self.z, &mut self.observed);
        let loss = Reduction::Mean.loss(&self.observed);
        if self.iteration > 0 && self.iteration.is_multiple_of(CHECK_EVERY) {
            self.certify(false);
            if self.within_tolerances() {
                self.certify(true);
            }
        }
        loss
    }

    /// After a check that did not stop the run, ρ first moves towards the measure further
    /// from its tolerance (at most `MAX_ADAPTATIONS` times), then one iteration.
    fn advance(&mut self) {
        if let Some((infeasible, gapped)) = self.distances()
            && self.adaptations < MAX_ADAPTATIONS
        {
            if infeasible > BALANCE * gapped {
                self.rescale(RHO_FACTOR);
            } else if gapped > BALANCE * infeasible {
                self.rescale(1.0 / RHO_FACTOR);
            }
        }
        // The current state is the image of `input` (or, at first, the start): the accelerator
        // picks the next point to map from the two.
        self.pack_into_image();
        if self.iteration == 0 {
            self.input.copy_from(&self.image);
        } else {
            self.anderson.step(&mut self.input, &self.image);
            self.unpack_input();
        }
        self.least_squares_step();
        self.relax();
        self.threshold_step();
        self.box_and_multiplier_step();
        self.iteration += 1;
        self.certificate = None;
    }

    /// The operations done so far: what the iterations' passes, the thresholders' blocks and
    /// the full SVDs of exact certificates took. Only the nuclear norm counts them: ℓ1's
    /// iterations cost what its estimate charges, which the claim's limit already bounds.
    fn work(&self) -> Option<f64> {
        (self.objective == Objective::Nuclear).then(|| {
            self.iteration as f64 * self.per_iteration
                + self.svt.operations()
                + self.dual.operations()
                + self.full_svds as f64 * self.full_svd
        })
    }

    fn stop(&self) -> Option<Stop> {
        (matches!(self.certificate, Some((_, true))) && self.within_tolerances())
            .then_some(Stop::Certified)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.z
    }

    fn finish(mut self) -> Endpoint {
        let certificate = self.certificate();
        Endpoint {
            matrix: self.z.clone(),
            factors: vec![self.z],
            certificate: Some(certificate),
        }
    }
}
