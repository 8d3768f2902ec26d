//! What an entry of the vocabulary says about its word: how it is written, what it means, where
//! it applies, what a run must watch for it, and how it is computed.

use crate::claim::language::measured::Measured;
use crate::problem::Testing;
use crate::solver::RunKind;
use std::fmt;

/// Which subjects a metric applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applies {
    /// `truth.metric`: a bare matrix.
    pub truth: bool,
    /// `run.initial.metric` and the other moments: a matrix on the problem at a step.
    pub moment: bool,
    /// A deep run's end.
    pub deep: bool,
    /// A convex run's end.
    pub convex: bool,
    /// A network's end: a gradient run whose parameters are no chain of factors (diagonal and
    /// convolutional networks).
    pub network: bool,
    /// A CP factorisation's end: a gradient run whose parameters are components.
    pub tensor: bool,
    /// Another program's run (`external`): its matrix, steps and samples, nothing else.
    pub external: bool,
}

impl Applies {
    /// Defined on any matrix.
    pub const MATRIX: Applies = Applies::new(true, true, [true, true, true, true, true]);
    /// Defined on a matrix on the problem at a step.
    pub const STEP: Applies = Applies::new(false, true, [true, true, true, true, true]);
    /// Defined on a run's end (it reads the run's record).
    pub const RUN: Applies = Applies::new(false, false, [true, true, true, true, true]);
    /// Defined on a run implreg makes, which it sees at every step (not another program's,
    /// seen at its samples only).
    pub const EVERY_STEP: Applies = Applies::new(false, false, [true, true, true, true, false]);
    /// Gradient runs only (deep factorisations, networks, CP factorisations).
    pub const DEEP: Applies = Applies::new(false, false, [true, false, true, true, false]);
    /// Convex runs only (their certificate).
    pub const CONVEX: Applies = Applies::new(false, false, [false, true, false, false, false]);
    /// Runs whose factors form a chain W_N ⋯ W_1 (a convex run's one factor is W).
    pub const CHAIN: Applies = Applies::new(false, false, [true, true, false, false, false]);
    /// CP factorisations only (their components), at their ends and moments.
    pub const COMPONENTS: Applies = Applies::new(false, true, [false, false, false, true, false]);

    /// Subjects: the truth, moments, and the ends of deep, convex, network, CP and external
    /// runs.
    const fn new(truth: bool, moment: bool, ends: [bool; 5]) -> Self {
        let [deep, convex, network, tensor, external] = ends;
        Self {
            truth,
            moment,
            deep,
            convex,
            network,
            tensor,
            external,
        }
    }

    /// Whether a run of `kind` has the metric.
    pub fn to_run(&self, kind: RunKind) -> bool {
        match kind {
            RunKind::Deep => self.deep,
            RunKind::Convex => self.convex,
            RunKind::Network => self.network,
            RunKind::Tensor => self.tensor,
            RunKind::External => self.external,
        }
    }

    /// The subjects, for the README's tables.
    pub(super) fn describe(&self) -> &'static str {
        match *self {
            Applies::MATRIX => "any matrix, `truth` too",
            Applies::STEP => "runs, moments",
            Applies::RUN => "runs",
            Applies::EVERY_STEP => "runs made here (an external run is seen at its samples only)",
            Applies::DEEP => "gradient runs",
            Applies::CHAIN => "runs with a chain of factors (not networks)",
            Applies::CONVEX => "convex runs",
            Applies::COMPONENTS => "CP factorisations (`cp`), moments too",
            _ => "(see the checker)",
        }
    }
}

/// The arguments a metric takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// None.
    Nothing,
    /// A 1-based index k ≤ min(rows, cols) (`sigma(k)`).
    SingularIndex,
    /// Two 0-based indices inside the matrix (`entry(i, j)`).
    Position,
    /// An optional positive relative tolerance (`rank(tol)`).
    Tolerance,
    /// A 1-based index k with no bound the problem knows (`component(k)`: 0 beyond the last).
    Index,
}

/// What a run must watch at every step for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing beyond what every run records.
    Nothing,
    /// The largest |Wᵢⱼ| over every step.
    Entries,
    /// The determinant's extremes over every step.
    Determinant,
}

/// A metric: `subject.name` or `subject.name(arguments)`.
pub struct Metric {
    /// The name.
    pub name: &'static str,
    /// How it is written, with its arguments (one form per way of calling it).
    pub forms: &'static [&'static str],
    /// What it means, for the README.
    pub meaning: &'static str,
    /// Its arguments.
    pub args: Args,
    /// The subjects it applies to.
    pub applies: Applies,
    /// Whether it is true/false (1/0) rather than a number.
    pub boolean: bool,
    /// Whether it compares with the ground truth.
    pub needs_truth: bool,
    /// Whether it reads labels: a classification problem (a margin fit).
    pub needs_labels: bool,
    /// What held-out data drawn with the instance it reads (a test error), if any.
    pub needs_held_out: Option<Testing>,
    /// Whether it needs a square problem.
    pub square: bool,
    /// Whether computing it takes the spectrum (an SVD).
    pub spectral: bool,
    /// What a run must watch for it.
    pub watch: Needs,
    /// Its value on a subject, given its validated arguments.
    pub value: fn(&Measured, &[f64]) -> f64,
}

/// A quantity of two subjects: `name(a, b)`.
pub struct Pairwise {
    /// The name.
    pub name: &'static str,
    /// How it is written.
    pub form: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Whether the second subject must be a convex run (it reads its certificate).
    pub second_is_convex: bool,
    /// Whether it needs a ground truth.
    pub needs_truth: bool,
    /// Its value for subjects a and b.
    pub value: fn(&Measured, &Measured) -> f64,
}

/// How many arguments a function takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one.
    One,
    /// Two or more.
    Many,
}

/// A function of numbers: `name(x, …)`.
pub struct Function {
    /// The name.
    pub name: &'static str,
    /// How it is written.
    pub form: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// How many arguments it takes.
    pub arity: Arity,
    /// Its value.
    pub apply: fn(&[f64]) -> f64,
}

/// The kinds of moment; each is parsed by its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MomentKind {
    /// The start.
    Initial,
    /// The first step with loss ≤ t.
    AtLoss,
    /// Step k.
    AtStep,
    /// The first step checked where a condition holds.
    When,
}

/// A moment of a run: `run.name.metric` or `run.name(…).metric`.
pub struct MomentWord {
    /// The name.
    pub name: &'static str,
    /// How it is written.
    pub form: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Which one it is.
    pub kind: MomentKind,
}

macro_rules! by_name {
    ($($kind:ident),*) => {$(
        impl fmt::Debug for $kind {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(self.name)
            }
        }

        impl PartialEq for $kind {
            fn eq(&self, other: &Self) -> bool {
                self.name == other.name
            }
        }
    )*};
}

by_name!(Metric, Pairwise, Function, MomentWord);

impl Metric {
    /// Checks the arguments written after the name.
    pub fn check_args(&self, arguments: &[f64]) -> Result<(), String> {
        let name = self.name;
        match (self.args, arguments) {
            (Args::Nothing, []) => Ok(()),
            (Args::Nothing, _) => Err(format!("`{name}` takes no arguments")),
            (Args::SingularIndex, [k]) => whole(*k, "sigma(k)", 1),
            (Args::SingularIndex, _) => {
                Err("`sigma(k)` takes one argument, the 1-based index k".into())
            }
            (Args::Position, [i, j]) => {
                whole(*i, "entry(i, j)", 0).and_then(|_| whole(*j, "entry(i, j)", 0))
            }
            (Args::Position, _) => Err("`entry(i, j)` takes two 0-based indices".into()),
            (Args::Tolerance, []) => Ok(()),
            (Args::Tolerance, [t]) if *t > 0.0 && t.is_finite() => Ok(()),
            (Args::Tolerance, _) => Err(format!(
                "`{name}` takes no argument or one positive relative tolerance"
            )),
            (Args::Index, [k]) => whole(*k, &format!("{name}(k)"), 1),
            (Args::Index, _) => Err(format!(
                "`{name}(k)` takes one argument, the 1-based index k"
            )),
        }
    }

    /// Rejects arguments or a metric that cannot exist for a rows×cols problem.
    pub fn check_shape(&self, arguments: &[f64], rows: usize, cols: usize) -> Result<(), String> {
        match (self.args, arguments) {
            (Args::SingularIndex, [k]) if *k as usize > rows.min(cols) => Err(format!(
                "sigma(k) with k ≤ min(rows, cols) = {}",
                rows.min(cols)
            )),
            (Args::Position, [i, j]) if *i as usize >= rows || *j as usize >= cols => Err(format!(
                "entry(i, j) with 0 ≤ i < {rows} and 0 ≤ j < {cols}"
            )),
            _ if self.square && rows != cols => Err(format!(
                "a square problem for a determinant; this one is {rows}×{cols}"
            )),
            _ => Ok(()),
        }
    }
}

/// A whole number ≥ `least` written as a number literal.
fn whole(x: f64, what: &str, least: usize) -> Result<(), String> {
    if x.fract() == 0.0 && x >= least as f64 && x < 1e9 {
        Ok(())
    } else {
        Err(format!(
            "`{what}` takes whole-number indices from {least}; found {x}"
        ))
    }
}
