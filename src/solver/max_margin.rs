//! Maximum-margin separators, certified: min ‖β‖ subject to yᵢ⟨xᵢ, β⟩ ≥ 1, whose solution's
//! direction is the largest least margin minᵢ yᵢ⟨xᵢ, β⟩/‖β‖ in that norm. They are the limits
//! of training on separable data: ℓ2 (the hard-margin SVM) for gradient descent on a linear
//! model or a fully connected network of any depth (Soudry et al. 2018; Gunasekar, Lee, Soudry,
//! Srebro 2018, NeurIPS); ℓ∞ for sign descent (steepest descent in ℓ∞: Gunasekar et al. 2018,
//! ICML); ‖F·‖₁ on the DFT for a depth-2 circular convolutional network (ibid., NeurIPS: the
//! ℓ_{2/L} bridge penalty at L = 2); ℓ1 for a diagonal network in its rich regime. Each is a
//! small conic program solved by Clarabel (an interior-point method: a QP, LPs, an SOCP), whose
//! numbers implreg does not take on trust.
//!
//! **Certificate** (weak duality): for any λ ≥ 0, with z = Σᵢ λᵢyᵢxᵢ scaled to ‖z‖_* = 1,
//! every β has ‖β‖ ≥ ⟨z, β⟩ = Σᵢ λᵢyᵢ⟨xᵢ, β⟩, which is ≥ Σᵢ λᵢ when β separates with margins
//! ≥ 1. implreg takes λ from the solver's dual, scales it into the dual ball itself (‖·‖₂,
//! ‖·‖∞, ‖·‖₁, and ‖F·‖∞/d for Fourier-ℓ1: `measure::fourier_l1_dual`), rescales β to least
//! margin exactly 1, and certifies the gap between ‖β‖ and Σλᵢ. The multipliers stored are
//! λᵢyᵢ, so `Certificate::bound_for` is ⟨z, β⟩ as for the other convex runs.

use super::certificate::{Certificate, Certified};
use super::cost::{Cost, FLOAT, Shape};
use super::driver::{Bounds, Endpoint, Iterate};
use super::record::Stop;
use crate::invalid::{Invalid, require};
use crate::measure;
use crate::problem::{Observations, Problem, Reduction};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultInfo, DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// A maximum-margin run as a claim writes it: `max_margin: { norm: l2 | l1 | linf | fourier_l1 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxMarginSpec {
    /// The norm whose margin is maximised.
    pub norm: MarginNorm,
    /// The relative duality gap accepted as optimal.
    #[serde(default = "default_gap")]
    pub gap: f64,
}

fn default_gap() -> f64 {
    1e-6
}

/// The norms a margin is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginNorm {
    /// ‖β‖₂: the hard-margin SVM.
    L2,
    /// ‖β‖₁.
    L1,
    /// ‖β‖∞.
    Linf,
    /// ‖β̂‖₁ = Σ_k |β̂_k| over the unnormalised DFT.
    FourierL1,
}

impl MarginNorm {
    /// ‖β‖.
    pub fn of(self, beta: &DMatrix<f64>) -> f64 {
        match self {
            MarginNorm::L2 => beta.norm(),
            MarginNorm::L1 => measure::l1_norm(beta),
            MarginNorm::Linf => measure::max_abs(beta),
            MarginNorm::FourierL1 => measure::fourier_l1(beta),
        }
    }

    /// The dual norm ‖z‖_* = max {⟨z, β⟩ : ‖β‖ ≤ 1}.
    pub fn dual(self, z: &DMatrix<f64>) -> f64 {
        match self {
            MarginNorm::L2 => z.norm(),
            MarginNorm::L1 => measure::max_abs(z),
            MarginNorm::Linf => measure::l1_norm(z),
            MarginNorm::FourierL1 => measure::fourier_l1_dual(z),
        }
    }

    /// The objective a certificate names.
    fn certified(self) -> Certified {
        match self {
            MarginNorm::L2 => Certified::FrobeniusNorm,
            MarginNorm::L1 => Certified::L1Norm,
            MarginNorm::Linf => Certified::LinfNorm,
            MarginNorm::FourierL1 => Certified::FourierL1Norm,
        }
    }
}

impl MaxMarginSpec {
    pub(super) fn validate(&self, cols: usize) -> Result<(), Invalid> {
        require(cols == 1, "", || {
            "a vector problem (d×1): margins are of a linear classifier's weights".into()
        })?;
        require(self.gap > 0.0 && self.gap < 1.0, "gap", || {
            "a relative gap in (0, 1)".into()
        })
    }

    /// An interior-point solve on n points in d dimensions: about 30 iterations, each a sparse
    /// factorisation of a KKT system with m = n + 2d rows and columns (dense at worst: m³/3),
    /// and for Fourier-ℓ1 the d×d transform rows.
    pub fn cost(&self, shape: Shape) -> Cost {
        let (n, d) = (shape.observations, shape.size());
        let m = n + 2.0 * d + 2.0;
        let entries = n * d + 4.0 * d * d;
        Cost {
            working: (m * m + 4.0 * entries + 10.0 * m) * FLOAT,
            record: (3.0 * d + n + 200.0) * FLOAT,
            setup: 30.0 * (m * m * m / 3.0 + 4.0 * entries),
            per_step: 0.0,
            steps: 0.0,
            setting: "max_margin",
        }
    }
}

/// The solution, found when first built; the driver then stops it (certified, or exhausted when
/// the points are not separable or the solver fails).
pub struct MaxMargin<'p> {
    problem: &'p Problem,
    spec: MaxMarginSpec,
    solution: DMatrix<f64>,
    certificate: Option<Certificate>,
    /// Why the solve was halted between iterations, if it was (`Time` or `Interrupted`).
    halted: Option<Stop>,
}

impl<'p> MaxMargin<'p> {
    /// Solves on `problem` (a d×1 margin problem of dense measurements), within `bounds`: the
    /// solver is asked after every iteration whether the run's time, the claim's deadline or
    /// the cancel token has ended it.
    pub fn new(problem: &'p Problem, spec: MaxMarginSpec, bounds: &Bounds) -> Self {
        let d = problem.rows;
        let halt = Halt::new(bounds);
        let solved = signed_points(problem).and_then(|z| solve(&z, spec.norm, halt.clone()));
        let (solution, certificate) = match solved {
            Some((beta, lambda)) => certify(problem, spec.norm, beta, &lambda),
            // No separator: β = 0, a finite loss, and no certificate (the run is exhausted).
            None => (DMatrix::zeros(d, 1), None),
        };
        Self {
            problem,
            spec,
            solution,
            certificate,
            halted: halt.reason(),
        }
    }
}

/// What may end a solve between two of its iterations (`Bounds::ended`), from its start.
#[derive(Clone)]
struct Halt {
    started: std::time::Instant,
    bounds: Bounds,
}

impl Halt {
    fn new(bounds: &Bounds) -> Self {
        Self {
            started: std::time::Instant::now(),
            bounds: bounds.clone(),
        }
    }

    /// The stop it calls for now, if any.
    fn reason(&self) -> Option<Stop> {
        self.bounds.ended(self.started)
    }
}

/// The rows yᵢxᵢᵀ (n×d), or `None` for a problem that observes entries.
fn signed_points(problem: &Problem) -> Option<DMatrix<f64>> {
    let Observations::Measurements { matrices, targets } = &problem.observations else {
        return None;
    };
    let mut z = matrices.transpose();
    for (mut row, y) in z.row_iter_mut().zip(targets.iter()) {
        row *= *y;
    }
    Some(z)
}

/// β and λ ≥ 0 from Clarabel: min ‖β‖ (½‖β‖² for ℓ2) s.t. Zβ ≥ 1, in its form
/// min ½xᵀPx + qᵀx s.t. Ax + s = b, s ∈ K, with x = (β, auxiliaries). `None` when it finds
/// no solution (non-separable points).
fn solve(z: &DMatrix<f64>, norm: MarginNorm, halt: Halt) -> Option<(DMatrix<f64>, DVector<f64>)> {
    let (n, d) = z.shape();
    let mut program = Program::default();
    // The margins: −Zβ + s = −1, s ≥ 0.
    for (i, row) in z.row_iter().enumerate() {
        for (j, &value) in row.iter().enumerate() {
            program.entry(i, j, -value);
        }
        program.b.push(-1.0);
    }
    program.rows = n;
    let variables = match norm {
        MarginNorm::L2 => {
            program.cones.push(SupportedConeT::NonnegativeConeT(n));
            program.q = vec![0.0; d];
            program.p = (0..d).map(|j| (j, j, 1.0)).collect();
            d
        }
        MarginNorm::L1 => {
            // t ≥ |β| entrywise: β − t ≤ 0, −β − t ≤ 0; min Σt.
            for sign in [1.0, -1.0] {
                for j in 0..d {
                    program.row(&[(j, sign), (d + j, -1.0)], 0.0);
                }
            }
            program
                .cones
                .push(SupportedConeT::NonnegativeConeT(n + 2 * d));
            program.q = [vec![0.0; d], vec![1.0; d]].concat();
            2 * d
        }
        MarginNorm::Linf => {
            for sign in [1.0, -1.0] {
                for j in 0..d {
                    program.row(&[(j, sign), (d, -1.0)], 0.0);
                }
            }
            program
                .cones
                .push(SupportedConeT::NonnegativeConeT(n + 2 * d));
            program.q = [vec![0.0; d], vec![1.0]].concat();
            d + 1
        }
        MarginNorm::FourierL1 => {
            program.cones.push(SupportedConeT::NonnegativeConeT(n));
            fourier_cones(&mut program, d)
        }
    };
    let a = CscMatrix::new_from_triplets(
        program.rows,
        variables,
        program.a.iter().map(|e| e.0).collect(),
        program.a.iter().map(|e| e.1).collect(),
        program.a.iter().map(|e| e.2).collect(),
    );
    let p = CscMatrix::new_from_triplets(
        variables,
        variables,
        program.p.iter().map(|e| e.0).collect(),
        program.p.iter().map(|e| e.1).collect(),
        program.p.iter().map(|e| e.2).collect(),
    );
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(500)
        // Tighter than the defaults (1e-8): support vectors' margins then sit within ~1e-9
        // of 1, where the KKT conditions are checked.
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .ok()?;
    let mut solver =
        DefaultSolver::new(&p, &program.q, &a, &program.b, &program.cones, settings).ok()?;
    solver.set_termination_callback(move |_: &DefaultInfo<f64>| halt.reason().is_some());
    solver.solve();
    let solution = &solver.solution;
    if !matches!(
        solution.status,
        SolverStatus::Solved | SolverStatus::AlmostSolved
    ) {
        return None;
    }
    let beta = DMatrix::from_column_slice(d, 1, &solution.x[..d]);
    let lambda = DVector::from_iterator(n, solution.z[..n].iter().map(|l| l.max(0.0)));
    Some((beta, lambda))
}

/// ‖β̂‖₁ as Σ_k w_k t_k over k = 0, …, ⌊d/2⌋ with (t_k, Re β̂_k, Im β̂_k) in a second-order
/// cone (t_k ≥ |β̂_k|) and w_k = 2 where β̂_{d−k} = conj β̂_k is another frequency, 1 at k = 0
/// and k = d/2. Returns the number of variables.
fn fourier_cones(program: &mut Program, d: usize) -> usize {
    let half = d / 2;
    let mut q = vec![0.0; d];
    for k in 0..=half {
        let t = d + k;
        let real = k == 0 || 2 * k == d;
        q.push(if real { 1.0 } else { 2.0 });
        program.row(&[(t, -1.0)], 0.0);
        let angle = |j: usize| std::f64::consts::TAU * ((k * j) % d) as f64 / d as f64;
        let cosines: Vec<(usize, f64)> = (0..d).map(|j| (j, -angle(j).cos())).collect();
        program.row(&cosines, 0.0);
        if real {
            program.cones.push(SupportedConeT::SecondOrderConeT(2));
        } else {
            let sines: Vec<(usize, f64)> = (0..d).map(|j| (j, angle(j).sin())).collect();
            program.row(&sines, 0.0);
            program.cones.push(SupportedConeT::SecondOrderConeT(3));
        }
    }
    program.q = q;
    d + half + 1
}

/// A conic program's data as triplets.
#[derive(Default)]
struct Program {
    rows: usize,
    a: Vec<(usize, usize, f64)>,
    b: Vec<f64>,
    p: Vec<(usize, usize, f64)>,
    q: Vec<f64>,
    cones: Vec<SupportedConeT<f64>>,
}

impl Program {
    fn entry(&mut self, row: usize, col: usize, value: f64) {
        if value != 0.0 {
            self.a.push((row, col, value));
        }
    }

    /// A row Σ value·x_col + s = b.
    fn row(&mut self, entries: &[(usize, f64)], b: f64) {
        let row = self.rows;
        for &(col, value) in entries {
            self.entry(row, col, value);
        }
        self.b.push(b);
        self.rows += 1;
    }
}

/// β rescaled to least margin 1, and the certificate of weak duality (module documentation):
/// the multipliers λᵢyᵢ/‖Σλⱼyⱼxⱼ‖_*, the bound Σλᵢ/‖…‖_*, its gap to ‖β‖.
fn certify(
    problem: &Problem,
    norm: MarginNorm,
    beta: DMatrix<f64>,
    lambda: &DVector<f64>,
) -> (DMatrix<f64>, Option<Certificate>) {
    let labels = problem.targets();
    let mut observed = DVector::zeros(labels.len());
    problem.observe_into(&beta, &mut observed);
    let least = observed
        .iter()
        .zip(labels)
        .map(|(o, y)| o * y)
        .fold(f64::INFINITY, f64::min);
    if !(least > 0.0 && least.is_finite()) {
        return (beta, None);
    }
    let beta = beta / least;
    let signed =
        DVector::from_iterator(labels.len(), lambda.iter().zip(labels).map(|(l, y)| l * y));
    let mut z = DMatrix::zeros(problem.rows, problem.cols);
    problem.add_adjoint(1.0, &signed, &mut z);
    let dual = norm.dual(&z);
    if !(dual > 0.0 && dual.is_finite()) {
        return (beta, None);
    }
    let multipliers = signed / dual;
    let lower_bound = lambda.sum() / dual;
    let value = norm.of(&beta);
    problem.observe_into(&beta, &mut observed);
    let violation = observed
        .iter()
        .zip(labels)
        .map(|(o, y)| (1.0 - o * y).max(0.0))
        .fold(0.0, f64::max);
    let certificate = Certificate {
        certifies: norm.certified(),
        lower_bound,
        gap: (value - lower_bound).abs() / value,
        feasibility: violation,
        multipliers,
        conjugate: 0.0,
    };
    (beta, Some(certificate))
}

impl Iterate for MaxMargin<'_> {
    /// The problem's margin loss (mean) at β.
    fn evaluate(&mut self) -> f64 {
        self.problem
            .loss_of_residuals(&self.problem.residuals(&self.solution), Reduction::Mean)
    }

    fn advance(&mut self) {}

    fn stop(&self) -> Option<Stop> {
        if self.halted.is_some() {
            return self.halted;
        }
        let certificate = self.certificate.as_ref()?;
        (certificate.gap <= self.spec.gap && certificate.feasibility <= 1e-9)
            .then_some(Stop::Certified)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.solution
    }

    fn finish(self) -> Endpoint {
        Endpoint {
            matrix: self.solution.clone(),
            factors: vec![self.solution],
            certificate: self.certificate,
        }
    }
}
