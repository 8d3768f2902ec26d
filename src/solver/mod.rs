//! How a matrix is found. A solver reads a run's settings and a problem, never YAML; the
//! `driver` owns the loop shared by every iterative method, shows each step to its observers
//! (`trace`, `watch`) and makes the run's one `RunRecord`.
//!
//! Adding an optimiser: a step rule is a variant of `OptimizerSpec` with its state in
//! `optimizer::StepRule`; a method of another kind implements `driver::Iterate` (evaluate,
//! advance, a pure stop test, finish) and gets a `RunSpec` variant and a `RunKind`.

pub mod anderson;
pub mod baseline;
pub mod certificate;
pub mod convolutional;
pub mod cost;
pub mod cp;
pub mod curve;
pub mod deep;
pub mod diagonal;
pub mod driver;
pub mod external;
pub mod flow;
pub mod gemm;
pub mod init;
pub mod max_margin;
pub mod min_norm;
pub mod min_variation;
pub mod model;
pub mod nuclear;
pub mod observe;
pub mod optimizer;
pub mod penalty;
pub mod potential;
pub mod quadratic;
pub mod record;
pub mod relu;
pub mod replay;
pub mod representation;
pub mod sampled;
pub mod threshold;
pub mod trace;
pub mod watch;

pub use baseline::{Baseline, BaselineSpec, Predictor};
pub use certificate::Certificate;
pub use convolutional::{ConvolutionalNetwork, ConvolutionalSpec};
pub use cost::{Cost, Shape};
pub use cp::{CpFactorisation, CpSpec};
pub use curve::{Curve, CurveSample};
pub use deep::{DeepFactorisation, DeepSpec, DetSign};
pub use diagonal::{DiagonalNetwork, DiagonalSpec};
pub use driver::{Bounds, Stopping};
pub use external::ExternalSpec;
pub use flow::Flow;
pub use init::InitSpec;
pub use max_margin::{MarginNorm, MaxMargin, MaxMarginSpec};
pub use min_norm::{MinNorm, MinNormSpec};
pub use min_variation::{MinVariation, MinVariationSpec};
pub use model::{Descent, Model};
pub use nuclear::{Admm, NuclearNormSpec, Objective};
pub use optimizer::{FlowSpec, Integrator, OptimizerSpec, StepRule};
pub use penalty::PenaltySpec;
pub use potential::{PotentialMinimiser, PotentialSpec};
pub use quadratic::{QuadraticNetwork, QuadraticNetworkSpec};
pub use record::{RunRecord, Status, Stop};
pub use relu::{ReluNetwork, ReluSpec};
pub use representation::Parameterisation;
pub use trace::Test;
pub use watch::{Condition, Watch, When};

use crate::invalid::{Invalid, require};
use crate::problem::{Fit, Inputs, Problem, ProblemSpec, Reduction};
use serde::{Deserialize, Serialize};

/// A run as a claim describes it: one solver and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RunSpec {
    /// Gradient-based training of W = W_N ⋯ W_1.
    Deep(DeepSpec),
    /// Gradient-based training of a diagonal network w = u^{⊙D} − v^{⊙D}.
    Diagonal(DiagonalSpec),
    /// Gradient-based training of a linear circular convolutional network β = w_L ⊛ ⋯ ⊛ w_1.
    Convolutional(ConvolutionalSpec),
    /// Gradient-based training of a quadratic network f(x) = ⟨xxᵀ, UᵀU⟩ (W = UᵀU).
    Quadratic(QuadraticNetworkSpec),
    /// Gradient-based training of a two-layer ReLU network on the values at a problem's inputs.
    Relu(ReluSpec),
    /// Gradient-based training of a CP factorisation of the problem's tensor.
    Cp(CpSpec),
    /// Minimum nuclear norm subject to the observations, with an optimality certificate.
    NuclearNorm(NuclearNormSpec),
    /// The minimum-norm interpolant in closed form, with its certificate.
    MinNorm(MinNormSpec),
    /// Minimum entrywise ℓ1 norm subject to the observations (basis pursuit), with a certificate.
    BasisPursuit(NuclearNormSpec),
    /// Minimum trace over the PSD cone subject to the observations, with a certificate.
    TracePsd(NuclearNormSpec),
    /// argmin Q^D_α subject to the observations: a diagonal network's flow limit, certified.
    DiagonalPotential(PotentialSpec),
    /// The maximum-margin separator in a norm (classification), certified.
    MaxMargin(MaxMarginSpec),
    /// The minimum variation-norm ReLU interpolant on orthogonal inputs, in closed form, certified.
    MinVariation(MinVariationSpec),
    /// A run made by another program through the external-run protocol (`external`), run only
    /// when the user allows it.
    External(ExternalSpec),
    /// A recommender's baseline predictor fitted to the observed entries (no certificate).
    Baseline(BaselineSpec),
}

/// The kinds of run, as far as the claim vocabulary cares: what a kind's record holds decides
/// which metrics apply to it (`claim::language::registry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunKind {
    /// A gradient method on a factorisation: has a time, rejected steps, factors.
    Deep,
    /// A convex solver: has an optimality certificate (but a `baseline`, fitted in closed form).
    Convex,
    /// A gradient method on a network whose parameters are no chain of factors (a diagonal
    /// network's u, v; a convolutional network's filters): has a time and rejected steps.
    Network,
    /// A gradient method on a CP factorisation: has a time, rejected steps and components.
    Tensor,
    /// Another program's run: has its matrix, its steps and, where it gives them, samples of
    /// its trajectory; nothing else is trusted or known.
    External,
}

impl RunSpec {
    /// Rejects impossible settings for a rows×cols problem.
    pub fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        match self {
            RunSpec::Deep(deep) => deep.validate(rows, cols).map_err(|e| e.within("deep")),
            RunSpec::Diagonal(spec) => spec.validate().map_err(|e| e.within("diagonal")),
            RunSpec::Convolutional(spec) => spec
                .validate(rows, cols)
                .map_err(|e| e.within("convolutional")),
            RunSpec::Quadratic(spec) => {
                spec.validate(rows, cols).map_err(|e| e.within("quadratic"))
            }
            RunSpec::Relu(spec) => spec.validate().map_err(|e| e.within("relu")),
            RunSpec::Cp(spec) => spec.validate().map_err(|e| e.within("cp")),
            RunSpec::MinVariation(_) => Ok(()),
            RunSpec::NuclearNorm(spec) => spec.validate().map_err(|e| e.within("nuclear_norm")),
            RunSpec::MinNorm(spec) => spec.validate().map_err(|e| e.within("min_norm")),
            RunSpec::BasisPursuit(spec) => spec.validate().map_err(|e| e.within("basis_pursuit")),
            RunSpec::TracePsd(spec) => {
                require(rows == cols, "trace_psd", || {
                    format!("a square problem (a PSD matrix is square); this one is {rows}×{cols}")
                })?;
                spec.validate().map_err(|e| e.within("trace_psd"))
            }
            RunSpec::DiagonalPotential(spec) => {
                spec.validate().map_err(|e| e.within("diagonal_potential"))
            }
            RunSpec::MaxMargin(spec) => spec.validate(cols).map_err(|e| e.within("max_margin")),
            RunSpec::External(spec) => spec.validate(rows, cols).map_err(|e| e.within("external")),
            RunSpec::Baseline(spec) => spec.validate().map_err(|e| e.within("baseline")),
        }
    }

    /// Rejects a run that answers another question than `problem` asks: its fit (below), and
    /// whether its matrix is a network's values at inputs (`orthogonal`), where only the
    /// networks that read the inputs (`relu`, `min_variation` on orthogonal ones) mean anything.
    pub fn validate_for(&self, problem: &ProblemSpec) -> Result<(), Invalid> {
        if let RunSpec::External(spec) = self {
            return RunSpec::Deep(spec.settings.deep().clone())
                .validate_for(problem)
                .map_err(|e| e.within("external.settings"));
        }
        self.validate_fit(problem.fit())?;
        if matches!(self, RunSpec::Baseline(_)) && !problem.family().1.observes_entries() {
            return Err(Invalid::new(
                "baseline",
                "a problem that observes entries (`ratings`, `completion`): a baseline averages them",
            ));
        }
        match (self, problem.inputs()) {
            (RunSpec::Relu(_), Some(_))
            | (
                RunSpec::MinVariation(_),
                Some(Inputs {
                    orthogonal: true, ..
                }),
            ) => Ok(()),
            (RunSpec::MinVariation(_), Some(_)) => Err(Invalid::new(
                "min_variation",
                "orthogonal inputs: the closed form holds only there",
            )),
            (RunSpec::Relu(_), None) => Err(Invalid::new(
                "relu",
                "a problem of values at inputs (`orthogonal`): a ReLU network's matrix is its values there",
            )),
            (RunSpec::MinVariation(_), None) => Err(Invalid::new(
                "min_variation",
                "a problem of values at orthogonal inputs (`orthogonal`)",
            )),
            (_, Some(_)) => Err(Invalid::new(
                "",
                "`relu` or `min_variation` on a problem of values at inputs (`orthogonal`): any other run would fit the values themselves, not a function of the inputs",
            )),
            (_, None) => Ok(()),
        }
    }

    /// Rejects a run that answers another question than the problem's fit asks: the convex
    /// baselines but `max_margin` fit squared residuals, and `max_margin` needs labels.
    fn validate_fit(&self, fit: Fit) -> Result<(), Invalid> {
        match (self, fit) {
            (RunSpec::MaxMargin(_), Fit::Squared) => Err(Invalid::new(
                "max_margin",
                "a classification problem (labels ±1 and a margin loss): this one fits squared residuals",
            )),
            (RunSpec::MaxMargin(_), Fit::Margin(_)) => Ok(()),
            (_, Fit::Margin(_)) if self.kind() == RunKind::Convex => Err(Invalid::new(
                "",
                "a gradient run or `max_margin` for a classification problem: the other convex baselines fit squared residuals, not margins",
            )),
            _ => Ok(()),
        }
    }

    /// The run's kind.
    pub fn kind(&self) -> RunKind {
        match self {
            RunSpec::Deep(_) => RunKind::Deep,
            RunSpec::Diagonal(_)
            | RunSpec::Convolutional(_)
            | RunSpec::Quadratic(_)
            | RunSpec::Relu(_) => RunKind::Network,
            RunSpec::Cp(_) => RunKind::Tensor,
            RunSpec::NuclearNorm(_)
            | RunSpec::MinNorm(_)
            | RunSpec::BasisPursuit(_)
            | RunSpec::TracePsd(_)
            | RunSpec::DiagonalPotential(_)
            | RunSpec::MaxMargin(_)
            | RunSpec::MinVariation(_)
            | RunSpec::Baseline(_) => RunKind::Convex,
            RunSpec::External(_) => RunKind::External,
        }
    }

    /// What the run costs on one seed of an instance of `shape`, as its method states it.
    pub fn cost(&self, shape: Shape) -> Cost {
        match self {
            RunSpec::Deep(spec) => spec.cost(shape),
            RunSpec::Diagonal(spec) => spec.cost(shape),
            RunSpec::Convolutional(spec) => spec.cost(shape),
            RunSpec::Quadratic(spec) => spec.cost(shape),
            RunSpec::Relu(spec) => spec.cost(shape, shape.inputs),
            RunSpec::Cp(spec) => spec.cost(shape),
            RunSpec::MinVariation(spec) => spec.cost(shape, shape.inputs),
            RunSpec::NuclearNorm(spec) => spec.cost(shape, Objective::Nuclear),
            RunSpec::BasisPursuit(spec) => spec.cost(shape, Objective::L1),
            RunSpec::TracePsd(spec) => spec.cost(shape, Objective::Trace),
            RunSpec::MinNorm(spec) => spec.cost(shape),
            RunSpec::DiagonalPotential(spec) => spec.cost(shape),
            RunSpec::MaxMargin(spec) => spec.cost(shape),
            RunSpec::Baseline(spec) => spec.cost(shape),
            // The program's work is its own, bounded by its seconds; implreg holds its records.
            RunSpec::External(spec) => Cost {
                setup: 0.0,
                per_step: 0.0,
                steps: 0.0,
                setting: "external.seconds",
                ..spec.settings.deep().cost(shape)
            },
        }
    }

    /// How a trained run's parameters compute its matrix (`representation_cost`); `None` for
    /// a convex run.
    pub fn parameterisation(&self) -> Option<Parameterisation> {
        match self {
            RunSpec::Deep(spec) => Some(Parameterisation::Chain { depth: spec.depth }),
            RunSpec::Diagonal(spec) => Some(Parameterisation::Diagonal { depth: spec.depth }),
            RunSpec::Convolutional(spec) => {
                Some(Parameterisation::Convolutional { depth: spec.depth })
            }
            RunSpec::Quadratic(_) => Some(Parameterisation::Quadratic),
            RunSpec::Relu(_) => Some(Parameterisation::Relu),
            RunSpec::Cp(_) => Some(Parameterisation::Cp),
            _ => None,
        }
    }

    /// The loss normalisation the run optimises (and reports as `train_loss`).
    pub fn reduction(&self) -> Reduction {
        match self {
            RunSpec::Deep(deep) => deep.loss,
            RunSpec::Diagonal(spec) => spec.loss,
            RunSpec::Convolutional(spec) => spec.loss,
            RunSpec::Quadratic(spec) => spec.loss,
            RunSpec::Relu(spec) => spec.loss,
            RunSpec::Cp(spec) => spec.loss,
            RunSpec::NuclearNorm(_)
            | RunSpec::MinNorm(_)
            | RunSpec::BasisPursuit(_)
            | RunSpec::TracePsd(_)
            | RunSpec::DiagonalPotential(_)
            | RunSpec::MaxMargin(_)
            | RunSpec::MinVariation(_)
            | RunSpec::Baseline(_) => Reduction::Mean,
            RunSpec::External(spec) => spec.settings.deep().loss,
        }
    }
}

/// Runs `run` on `problem` watching nothing beyond the defaults (see `solve_watching`).
///
/// ```
/// use implreg::problem::{CompletionSpec, ProblemSpec};
/// use implreg::solver::{self, RunSpec, Stop};
///
/// // A 10×10 rank-1 matrix from 60 of its entries, and the certified minimum nuclear norm.
/// let spec = CompletionSpec { rows: 10, cols: 10, rank: 1, observed: 60 };
/// let problem = ProblemSpec::Completion(spec).generate(0);
/// let run = RunSpec::NuclearNorm(serde_yaml::from_str("{}").unwrap());
/// let record = solver::solve(&run, &problem, 0);
/// assert_eq!(record.stop, Stop::Certified);
/// let certificate = record.certificate.expect("a convex run is certified");
/// assert!(certificate.gap <= 1e-6 && certificate.feasibility <= 1e-8);
/// ```
pub fn solve(run: &RunSpec, problem: &Problem, seed: u64) -> RunRecord {
    solve_watching(run, problem, seed, &Watch::default())
}

/// Runs `run` on `problem`, watching what `watch` asks at every step (see `solve_within`).
pub fn solve_watching(run: &RunSpec, problem: &Problem, seed: u64, watch: &Watch) -> RunRecord {
    solve_within(run, problem, seed, watch, Bounds::default())
}

/// Runs `run` on `problem`, watching what `watch` asks at every step, within `bounds` (time
/// budgets and a cancel token: `driver::Bounds`); a deep run's initialisation draws from the seed's
/// stream named by its initialisation settings (`DeepSpec::stream_name`). Expects a validated
/// run.
pub fn solve_within(
    run: &RunSpec,
    problem: &Problem,
    seed: u64,
    watch: &Watch,
    bounds: Bounds,
) -> RunRecord {
    let test = Test::of(problem);
    // How each run ends: its step budget (0 for a closed form) and target loss, within `bounds`.
    let stop = |max_steps, target_loss| Stopping {
        max_steps,
        target_loss,
        bounds: bounds.clone(),
    };
    match run {
        RunSpec::Deep(spec) => {
            let factors = spec.start(problem.rows, problem.cols, seed);
            let model =
                DeepFactorisation::new(problem, spec.loss, factors).with_penalty(spec.penalty);
            let stopping = stop(spec.step_budget(), spec.target_loss);
            train(model, &spec.optimizer, stopping, test, watch)
        }
        RunSpec::Diagonal(spec) => {
            let model = DiagonalNetwork::new(problem, spec);
            let stopping = stop(spec.step_budget(), spec.target_loss);
            train(model, &spec.optimizer, stopping, test, watch)
        }
        RunSpec::Convolutional(spec) => {
            let filters = spec.start(problem.rows, seed);
            let model =
                ConvolutionalNetwork::new(problem, spec.loss, filters).with_penalty(spec.penalty);
            let stopping = stop(spec.step_budget(), spec.target_loss);
            train(model, &spec.optimizer, stopping, test, watch)
        }
        RunSpec::Quadratic(spec) => {
            let units = spec.start(problem.rows, seed);
            let model = QuadraticNetwork::new(problem, spec.loss, units).with_penalty(spec.penalty);
            let stopping = stop(spec.step_budget(), spec.target_loss);
            train(model, &spec.optimizer, stopping, test, watch)
        }
        RunSpec::Relu(spec) => {
            let dim = problem.inputs().map_or(0, |x| x.nrows());
            let model = ReluNetwork::new(problem, spec.loss, spec.start(dim, seed));
            let stopping = stop(spec.step_budget(), spec.target_loss);
            train(model, &spec.optimizer, stopping, test, watch)
        }
        RunSpec::Cp(spec) => {
            let factors = spec.start(&problem.modes(), seed);
            let model = CpFactorisation::new(problem, spec.loss, factors);
            let stopping = stop(spec.step_budget(), spec.target_loss);
            train(model, &spec.optimizer, stopping, test, watch)
        }
        RunSpec::MinVariation(spec) => {
            let solver = MinVariation::new(problem, spec.clone());
            driver::drive(solver, stop(0, None), test, watch)
        }
        RunSpec::NuclearNorm(spec) | RunSpec::BasisPursuit(spec) | RunSpec::TracePsd(spec) => {
            let objective = match run {
                RunSpec::BasisPursuit(_) => Objective::L1,
                RunSpec::TracePsd(_) => Objective::Trace,
                _ => Objective::Nuclear,
            };
            let admm = Admm::new(problem, spec.clone(), objective);
            driver::drive(admm, stop(spec.iterations, None), test, watch)
        }
        RunSpec::MinNorm(spec) => driver::drive(
            MinNorm::new(problem, spec.clone()),
            stop(0, None),
            test,
            watch,
        ),
        RunSpec::DiagonalPotential(spec) => {
            let minimiser = PotentialMinimiser::new(problem, spec.clone());
            driver::drive(minimiser, stop(spec.iterations, None), test, watch)
        }
        RunSpec::MaxMargin(spec) => {
            let solver = MaxMargin::new(problem, spec.clone(), &bounds);
            driver::drive(solver, stop(0, None), test, watch)
        }
        RunSpec::Baseline(spec) => {
            driver::drive(Baseline::new(problem, spec), stop(0, None), test, watch)
        }
        // Another program's run is made by `external::run`, and only where the user allowed it.
        RunSpec::External(_) => RunRecord::failed(
            "an external run is made by its program through `external::run`, not by the solver"
                .into(),
        ),
    }
}

/// Trains `model` by the optimiser's step rule or by its flow, until `stopping` says.
fn train<M: Model>(
    model: M,
    optimizer: &OptimizerSpec,
    stopping: Stopping,
    test: Test,
    watch: &Watch,
) -> RunRecord {
    match optimizer.integrator() {
        Integrator::Steps(rule) => driver::drive(Descent { model, rule }, stopping, test, watch),
        Integrator::Flow(flow) => driver::drive(Flow::new(model, flow), stopping, test, watch),
    }
}
