//! argmin Q^D_α(W) subject to 𝒜(W) = y: the limit gradient flow on a diagonal network reaches
//! from u = v = α·1 (Woodworth et al. 2020, §4; the potential is `measure::Potential`). Q is
//! smooth and strictly convex, so the problem is solved through its dual,
//!
//!   max_ν g(ν) = ⟨y, ν⟩ − Q*(𝒜*(ν)),  ∇g = y − 𝒜(W(ν)),  ∇²g = −𝒜 diag(α^D h_D′(S)) 𝒜*,
//!
//! with W(ν) = α^D h_D(𝒜*(ν)) entrywise, by Newton's method (nothing allocated per iteration) with a backtracking (Armijo) line
//! search that keeps 𝒜*(ν) in h_D's domain. W(ν) meets the stationarity condition
//! ∇Q(W) ∈ range(𝒜*) exactly; only feasibility is iterated on.
//!
//! When nothing interpolates the dual has no maximiser and the run never certifies: it ends
//! `exhausted` when its iterations run out, or, at D = 2 where the dual is unbounded, `diverged`
//! once the residuals blow up first (5 of 20 noisy overdetermined regressions at α = 0.3; the
//! other 15 and every D = 3 run ended `exhausted`).
//!
//! **Certificate** (Fenchel–Young): every X has Q(X) ≥ ⟨ν, 𝒜(X)⟩ − Q*(𝒜*(ν)), so g(ν) bounds
//! Q of every interpolant from below; Q(W) − g(ν) = ⟨ν, 𝒜(W) − y⟩ is the gap.

use super::certificate::{Certificate, Certified};
use super::cost::{Cost, Shape};
use super::diagonal;
use super::driver::{Endpoint, Iterate};
use super::gemm::{Op::Plain, Op::Transposed, gemm};
use super::record::Stop;
use crate::invalid::{Invalid, require};
use crate::measure::Potential;
use crate::problem::{Observations, Problem, Reduction};
use nalgebra::{Cholesky, DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// `diagonal_potential: { depth, alpha, … }` as a claim writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PotentialSpec {
    /// The network's D ≥ 2 (2 by default).
    #[serde(default = "two")]
    pub depth: u32,
    /// Its initialisation scale α > 0.
    pub alpha: f64,
    /// The largest constraint violation accepted, relative to max(1, max|yᵢ|). Near the ends of
    /// h_D's domain f64 cannot resolve 1 − |s|: at D = 4, α = 1e-3 (α^D = 1e-12), 5 instances in
    /// 50 (n = 30, d = 100) stall at 1.1-1.8e-10 and end `exhausted`; 1e-9 certifies them.
    #[serde(default = "default_feasibility")]
    pub feasibility: f64,
    /// The Newton iterations allowed.
    #[serde(default = "default_iterations")]
    pub iterations: usize,
}

fn two() -> u32 {
    2
}

fn default_feasibility() -> f64 {
    1e-10
}

fn default_iterations() -> usize {
    1000
}

/// Halvings of a Newton step before the line search gives up: a step from ν = 0 at α = 1e-10
/// is about 1e20 too long, 2⁻⁶⁷.
const HALVINGS: usize = 200;

/// Armijo's constant: accept when g rises by at least this share of the predicted increase.
const ARMIJO: f64 = 0.25;

impl PotentialSpec {
    /// What the solve costs on an instance of `shape`: each Newton iteration forms
    /// 𝒜 diag(h′) 𝒜* and factors it, as the closed form does once (`min_norm::gram_solve`).
    pub fn cost(&self, shape: Shape) -> Cost {
        let (working, record, per_step) = super::min_norm::gram_solve(shape);
        Cost {
            working,
            record,
            setup: 0.0,
            per_step,
            steps: self.iterations as f64,
            setting: "diagonal_potential.iterations",
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        diagonal::validate_scale(self.depth, self.alpha)?;
        require(
            self.feasibility > 0.0 && self.feasibility.is_finite(),
            "feasibility",
            || "a positive feasibility tolerance".into(),
        )?;
        require(self.iterations >= 1, "iterations", || {
            "at least 1 iteration".into()
        })
    }

    /// The potential minimised.
    pub fn potential(&self) -> Potential {
        Potential {
            depth: self.depth,
            alpha: self.alpha,
        }
    }
}

/// Newton's method on the dual, with its buffers (allocated once).
pub struct PotentialMinimiser<'p> {
    problem: &'p Problem,
    spec: PotentialSpec,
    potential: Potential,
    /// ν.
    nu: DVector<f64>,
    /// g(ν).
    dual: f64,
    /// S = 𝒜*(ν), W = α^D h_D(S), α^D h_D′(S), and 𝒜*(Δ) for the step Δ.
    s: DMatrix<f64>,
    curvature: DMatrix<f64>,
    w: DMatrix<f64>,
    ds: DMatrix<f64>,
    /// y − 𝒜(W), the dual gradient.
    residual: DVector<f64>,
    observed: DVector<f64>,
    step: DVector<f64>,
    /// −∇²g, and diag(h′)·vec(Aᵢ) column by column for sensing.
    hessian: DMatrix<f64>,
    scaled: DMatrix<f64>,
    /// The trial point of the line search.
    trial: DMatrix<f64>,
    /// max(1, max|yᵢ|), what violations are relative to.
    y_scale: f64,
    /// Q*(S), Q(W) and W's largest relative constraint violation.
    conjugate: f64,
    value: f64,
    feasibility: f64,
}

impl<'p> PotentialMinimiser<'p> {
    /// The dual at ν = 0 (W = 0).
    pub fn new(problem: &'p Problem, spec: PotentialSpec) -> Self {
        let k = problem.observation_count();
        let zeros = DMatrix::zeros(problem.rows, problem.cols);
        let scaled = match &problem.observations {
            Observations::Measurements { matrices, .. } => matrices.clone(),
            Observations::Entries { .. } => DMatrix::zeros(0, 0),
        };
        let mut minimiser = Self {
            problem,
            potential: spec.potential(),
            spec,
            nu: DVector::zeros(k),
            dual: 0.0,
            s: zeros.clone(),
            curvature: zeros.clone(),
            w: zeros.clone(),
            ds: zeros.clone(),
            residual: DVector::zeros(k),
            observed: DVector::zeros(k),
            step: DVector::zeros(k),
            hessian: DMatrix::zeros(k, k),
            scaled,
            trial: zeros,
            y_scale: problem
                .targets()
                .iter()
                .fold(1.0_f64, |m, v| m.max(v.abs())),
            conjugate: 0.0,
            value: 0.0,
            feasibility: f64::INFINITY,
        };
        minimiser.at_nu();
        minimiser
    }

    /// W, the residual, g(ν), Q(W) and W's feasibility at the current S = 𝒜*(ν).
    fn at_nu(&mut self) {
        let potential = self.potential;
        self.w
            .iter_mut()
            .zip(self.s.iter())
            .for_each(|(w, &s)| *w = potential.primal(s));
        self.problem.observe_into(&self.w, &mut self.observed);
        let y = self.problem.targets();
        self.residual
            .iter_mut()
            .zip(y.iter().zip(self.observed.iter()))
            .for_each(|(r, (y, o))| *r = y - o);
        self.conjugate = potential.conjugate_sum(&self.s);
        self.dual = dot(&self.nu, y) - self.conjugate;
        // Q(W) = ⟨W, S⟩ − Q*(S) (Fenchel–Young with equality at W = ∇Q*(S)).
        self.value = self.w.dot(&self.s) - self.conjugate;
        self.feasibility = self.residual.amax() / self.y_scale;
    }

    /// The certificate at the current ν. The iterates carry S forward as S + t·𝒜*(Δ); the bound
    /// is computed from 𝒜*(ν) afresh, so that anyone can check it from ν alone.
    fn certificate(&self) -> Certificate {
        let mut s = DMatrix::zeros(self.problem.rows, self.problem.cols);
        self.problem.add_adjoint(1.0, &self.nu, &mut s);
        let conjugate = self.potential.conjugate_sum(&s);
        let lower_bound = dot(&self.nu, self.problem.targets()) - conjugate;
        Certificate {
            certifies: Certified::Potential(self.potential),
            lower_bound,
            gap: (self.value - lower_bound).abs() / self.value.abs().max(f64::MIN_POSITIVE),
            feasibility: self.feasibility,
            multipliers: self.nu.clone(),
            conjugate,
        }
    }

    /// −∇²g = 𝒜 diag(α^D h_D′(S)) 𝒜*.
    fn form_hessian(&mut self) {
        let potential = self.potential;
        self.curvature
            .iter_mut()
            .zip(self.s.iter())
            .for_each(|(c, &s)| *c = potential.curvature(s));
        match &self.problem.observations {
            Observations::Entries { at, .. } => {
                // Distinct entries: diagonal.
                self.hessian.fill(0.0);
                for (i, &(r, c)) in at.iter().enumerate() {
                    self.hessian[(i, i)] = self.curvature[(r, c)];
                }
            }
            Observations::Measurements { matrices, .. } => {
                for (mut column, source) in
                    self.scaled.column_iter_mut().zip(matrices.column_iter())
                {
                    column
                        .iter_mut()
                        .zip(source.iter().zip(self.curvature.iter()))
                        .for_each(|(x, (a, c))| *x = a * c);
                }
                gemm(&mut self.hessian, Transposed(matrices), Plain(&self.scaled));
            }
        }
    }

    /// Δ = (−∇²g)⁻¹∇g into `step`; false when no ridge makes the Hessian factorable. At small
    /// α its curvatures span the range of α^D to |w| (1e16 for D = 3, α = 1e-4), beyond what
    /// Cholesky can factor: a ridge of 1e-14, 1e-12, … of the largest diagonal keeps the
    /// direction an ascent direction, and the line search decides the step.
    fn newton_direction(&mut self) -> bool {
        let largest = self.hessian.diagonal().amax();
        let mut ridge = 0.0;
        loop {
            let hessian = std::mem::replace(&mut self.hessian, DMatrix::zeros(0, 0));
            match Cholesky::new(hessian) {
                Some(cholesky) => {
                    self.step.copy_from(&self.residual);
                    cholesky.solve_mut(&mut self.step);
                    self.hessian = cholesky.unpack();
                    return self.step.iter().all(|x| x.is_finite());
                }
                None if ridge < largest && largest.is_finite() => {
                    // Cholesky hands nothing back on failure: form the Hessian again.
                    let k = self.nu.len();
                    self.hessian = DMatrix::zeros(k, k);
                    self.form_hessian();
                    ridge = if ridge == 0.0 {
                        1e-14 * largest
                    } else {
                        100.0 * ridge
                    };
                    for i in 0..k {
                        self.hessian[(i, i)] += ridge;
                    }
                }
                None => {
                    let k = self.nu.len();
                    self.hessian = DMatrix::zeros(k, k);
                    return false;
                }
            }
        }
    }
}

fn dot(a: &DVector<f64>, b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

impl Iterate for PotentialMinimiser<'_> {
    /// The train loss (½·mean) of W(ν).
    fn evaluate(&mut self) -> f64 {
        Reduction::Mean.loss(&self.residual)
    }

    /// One damped Newton step on the dual.
    fn advance(&mut self) {
        self.form_hessian();
        if !self.newton_direction() {
            return;
        }
        self.ds.fill(0.0);
        self.problem.add_adjoint(1.0, &self.step, &mut self.ds);
        let predicted = self.step.dot(&self.residual);
        let y = self.problem.targets();
        // g(ν + tΔ) = ⟨y, ν⟩ + t⟨y, Δ⟩ − Q*(S + t𝒜*(Δ)): only Q* changes with t.
        let (at_nu, along) = (dot(&self.nu, y), dot(&self.step, y));
        let potential = self.potential;
        let mut t = 1.0;
        for _ in 0..HALVINGS {
            self.trial
                .iter_mut()
                .zip(self.s.iter().zip(self.ds.iter()))
                .for_each(|(x, (s, d))| *x = s + t * d);
            let dual = at_nu + t * along - potential.conjugate_sum(&self.trial);
            // Near the optimum g changes by less than its rounding: accept a step that does
            // not lose more than that.
            let slack = 1e-14 * self.dual.abs();
            if dual.is_finite() && dual >= self.dual + ARMIJO * t * predicted - slack {
                self.nu.axpy(t, &self.step, 1.0);
                std::mem::swap(&mut self.s, &mut self.trial);
                self.at_nu();
                return;
            }
            t *= 0.5;
        }
    }

    fn stop(&self) -> Option<Stop> {
        (self.feasibility <= self.spec.feasibility).then_some(Stop::Certified)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.w
    }

    fn finish(self) -> Endpoint {
        let certificate = self.certificate();
        Endpoint {
            matrix: self.w.clone(),
            factors: vec![self.w],
            certificate: Some(certificate),
        }
    }
}
