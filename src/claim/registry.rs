//! The claim vocabulary, one entry per word: every metric, pairwise quantity, moment and
//! function an assertion can use, with how it is written, what it means, which subjects it
//! applies to, what a run must watch to compute it, and how it is computed. The parser, the
//! checker, watch planning, evaluation, the reserved words, error messages and the README's
//! tables all read these tables; adding a word is one entry here, its computation and its test.

use super::measured::Measured;
use crate::measure;
use crate::solver::{RunKind, RunRecord, Status};
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
}

impl Applies {
    /// Defined on any matrix.
    pub const MATRIX: Applies = Applies::new(true, true, true, true);
    /// Defined on a matrix on the problem at a step.
    pub const STEP: Applies = Applies::new(false, true, true, true);
    /// Defined on a run's end (it reads the run's record).
    pub const RUN: Applies = Applies::new(false, false, true, true);
    /// Deep runs only.
    pub const DEEP: Applies = Applies::new(false, false, true, false);
    /// Convex runs only (their certificate).
    pub const CONVEX: Applies = Applies::new(false, false, false, true);

    const fn new(truth: bool, moment: bool, deep: bool, convex: bool) -> Self {
        Self {
            truth,
            moment,
            deep,
            convex,
        }
    }

    /// Whether a run of `kind` has the metric.
    pub fn to_run(&self, kind: RunKind) -> bool {
        match kind {
            RunKind::Deep => self.deep,
            RunKind::Convex => self.convex,
        }
    }

    /// The subjects, for the README's tables.
    fn describe(&self) -> &'static str {
        match *self {
            Applies::MATRIX => "any matrix, `truth` too",
            Applies::STEP => "runs, moments",
            Applies::RUN => "runs",
            Applies::DEEP => "deep runs",
            Applies::CONVEX => "convex runs",
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
pub struct Moment {
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

by_name!(Metric, Pairwise, Function, Moment);

/// The words of the language itself; with the function and pairwise names they cannot name a
/// run.
pub const KEYWORDS: &[&str] = &["truth", "and", "or", "not"];

/// A metric with no arguments.
const fn plain(
    name: &'static str,
    forms: &'static [&'static str],
    meaning: &'static str,
    applies: Applies,
    value: fn(&Measured, &[f64]) -> f64,
) -> Metric {
    Metric {
        name,
        forms,
        meaning,
        args: Args::Nothing,
        applies,
        boolean: false,
        needs_truth: false,
        square: false,
        spectral: false,
        watch: Needs::Nothing,
        value,
    }
}

/// A metric read off the spectrum.
const fn spectral(
    name: &'static str,
    forms: &'static [&'static str],
    meaning: &'static str,
    value: fn(&Measured, &[f64]) -> f64,
) -> Metric {
    Metric {
        spectral: true,
        ..plain(name, forms, meaning, Applies::MATRIX, value)
    }
}

/// A metric that needs the ground truth.
const fn against_truth(
    name: &'static str,
    meaning: &'static str,
    applies: Applies,
    value: fn(&Measured, &[f64]) -> f64,
) -> Metric {
    Metric {
        needs_truth: true,
        ..plain(name, &[], meaning, applies, value)
    }
}

/// 1 or 0.
fn flag(x: bool) -> f64 {
    f64::from(u8::from(x))
}

fn status_is(m: &Measured, status: Status) -> f64 {
    m.of_run(|r| Some(flag(r.status() == status)))
}

fn certificate(m: &Measured, figure: fn(&crate::solver::Certificate) -> f64) -> f64 {
    m.of_run(|r| r.certificate.as_ref().map(figure))
}

/// The last sample's test MSE over the smallest sampled one (the trace always holds the last
/// step); `None` without a ground truth.
fn test_mse_rise(record: &RunRecord) -> Option<f64> {
    let mut errors = record.trace.samples.iter().filter_map(|s| s.test_mse);
    let best = errors.clone().fold(f64::INFINITY, f64::min);
    errors.next_back().map(|last| last / best)
}

/// Every metric, in the order the README and error messages list them.
pub static METRICS: &[Metric] = &[
    Metric {
        args: Args::SingularIndex,
        ..spectral(
            "sigma",
            &["sigma(k)"],
            "k-th largest singular value, k from 1",
            |m, a| {
                let k = a[0] as usize;
                m.spectrum()
                    .singular_values
                    .get(k - 1)
                    .copied()
                    .unwrap_or(0.0)
            },
        )
    },
    spectral(
        "effective_rank",
        &[],
        "Roy & Vetterli: exp(−Σ pᵢ ln pᵢ), pᵢ = σᵢ/Σσⱼ",
        |m, _| m.spectrum().effective_rank,
    ),
    Metric {
        args: Args::Tolerance,
        ..spectral(
            "rank",
            &["rank", "rank(tol)"],
            "singular values above tol·σ₁ (default max(rows, cols)·ε)",
            |m, a| {
                m.spectrum()
                    .numerical_rank(a.first().copied(), m.matrix.shape()) as f64
            },
        )
    },
    spectral("nuclear_norm", &[], "‖W‖\\*", |m, _| {
        m.spectrum().nuclear_norm
    }),
    spectral("frobenius_norm", &[], "‖W‖_F", |m, _| {
        m.spectrum().frobenius_norm
    }),
    spectral("spectral_norm", &[], "‖W‖₂", |m, _| {
        m.spectrum().spectral_norm
    }),
    spectral(
        "normalised_nuclear_norm",
        &[],
        "‖W‖\\*/‖W‖_F ∈ [1, √rank] (Zhao 2022)",
        |m, _| m.spectrum().normalised_nuclear_norm,
    ),
    Metric {
        args: Args::Position,
        ..plain(
            "entry",
            &["entry(i, j)"],
            "an entry, 0-based",
            Applies::MATRIX,
            |m, a| m.matrix[(a[0] as usize, a[1] as usize)],
        )
    },
    Metric {
        square: true,
        ..plain(
            "det",
            &[],
            "the determinant (square problems)",
            Applies::MATRIX,
            |m, _| {
                let w = m.matrix;
                if w.is_square() {
                    w.determinant()
                } else {
                    f64::NAN
                }
            },
        )
    },
    plain(
        "train_loss",
        &[],
        "the run's own loss under its `loss` reduction",
        Applies::STEP,
        |m, _| m.train_loss(),
    ),
    plain(
        "train_mse",
        &[],
        "mean squared residual over the observations",
        Applies::STEP,
        |m, _| m.train_mse(),
    ),
    against_truth(
        "test_mse",
        "(1/(rows·cols))‖W − W\\*‖²_F, Arora et al.'s reconstruction error",
        Applies::STEP,
        |m, _| m.test_mse().unwrap_or(f64::NAN),
    ),
    against_truth(
        "relative_error",
        "‖W − W\\*‖_F / ‖W\\*‖_F",
        Applies::STEP,
        |m, _| {
            let truth = m.problem.truth.as_ref();
            truth.map_or(f64::NAN, |t| measure::relative_error(m.matrix, t))
        },
    ),
    plain(
        "balancedness",
        &[],
        "max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F over the factors",
        Applies::RUN,
        |m, _| m.of_run(|r| Some(measure::balancedness(&r.factors))),
    ),
    plain(
        "steps",
        &[],
        "steps taken (accepted steps for a flow, iterations for a convex run); at a moment, its step",
        Applies::STEP,
        |m, _| m.step.map_or(f64::NAN, |s| s as f64),
    ),
    Metric {
        boolean: true,
        ..plain(
            "converged",
            &[],
            "true/false: reached `target_loss` (or the certificate's tolerances)",
            Applies::RUN,
            |m, _| status_is(m, Status::Converged),
        )
    },
    Metric {
        boolean: true,
        ..plain(
            "diverged",
            &[],
            "true/false: the loss became NaN/Inf or blew up",
            Applies::RUN,
            |m, _| status_is(m, Status::Diverged),
        )
    },
    plain(
        "gap",
        &[],
        "the certificate's relative duality gap \\|‖Z‖\\* − bound\\| / ‖Z‖\\*",
        Applies::CONVEX,
        |m, _| certificate(m, |c| c.gap),
    ),
    plain(
        "feasibility",
        &[],
        "the largest constraint violation, relative to max(1, max\\|yᵢ\\|)",
        Applies::CONVEX,
        |m, _| certificate(m, |c| c.feasibility),
    ),
    plain(
        "lower_bound",
        &[],
        "the proved lower bound on ‖X‖\\* over every feasible X",
        Applies::CONVEX,
        |m, _| certificate(m, |c| c.lower_bound),
    ),
    plain(
        "time",
        &[],
        "Σ of the step sizes (GD), or the time reached (flow)",
        Applies::DEEP,
        |m, _| m.of_run(|r| r.time),
    ),
    plain(
        "rejected_steps",
        &[],
        "steps the flow's integrator rejected",
        Applies::DEEP,
        |m, _| m.of_run(|r| Some(r.rejected_steps as f64)),
    ),
    Metric {
        needs_truth: true,
        ..plain(
            "test_mse_rise",
            &[],
            "the final test MSE over the smallest one sampled along the run (≥ 1; large when the run got worse late)",
            Applies::RUN,
            |m, _| m.of_run(test_mse_rise),
        )
    },
    plain(
        "min_loss",
        &[],
        "the smallest loss over every step",
        Applies::RUN,
        |m, _| m.of_run(|r| Some(r.extremes.min_loss)),
    ),
    plain(
        "max_loss",
        &[],
        "the largest loss over every step",
        Applies::RUN,
        |m, _| m.of_run(|r| Some(r.extremes.max_loss)),
    ),
    Metric {
        watch: Needs::Entries,
        ..plain(
            "max_entry",
            &[],
            "the largest \\|Wᵢⱼ\\| over every step (watched only when asked for: it needs W at every step, which completion otherwise never forms)",
            Applies::RUN,
            |m, _| m.of_run(|r| r.extremes.max_entry),
        )
    },
    Metric {
        watch: Needs::Determinant,
        square: true,
        ..plain(
            "min_det",
            &[],
            "the smallest determinant over every step (watched only when asked for)",
            Applies::RUN,
            |m, _| m.of_run(|r| r.extremes.min_det),
        )
    },
    Metric {
        watch: Needs::Determinant,
        square: true,
        ..plain(
            "max_det",
            &[],
            "the largest determinant over every step (watched only when asked for)",
            Applies::RUN,
            |m, _| m.of_run(|r| r.extremes.max_det),
        )
    },
];

/// Every pairwise quantity.
pub static PAIRWISE: &[Pairwise] = &[
    Pairwise {
        name: "certified_gap",
        form: "certified_gap(a, c)",
        meaning: "‖W_a‖\\* − ⟨λ_c, 𝒜(W_a)⟩ for a run or `truth` a and a convex run c: how far a's nuclear norm provably exceeds the least nuclear norm of any matrix with a's own observations (≥ 0 by weak duality; a clear positive value proves a is not a minimum-nuclear-norm solution, whether or not it fits the data exactly)",
        second_is_convex: true,
        needs_truth: false,
        value: |a, c| match c.run.and_then(|r| r.certificate.as_ref()) {
            Some(certificate) => {
                a.spectrum().nuclear_norm - certificate.bound_for(a.problem, a.matrix)
            }
            None => f64::NAN,
        },
    },
    Pairwise {
        name: "rel_distance",
        form: "rel_distance(a, b)",
        meaning: "‖W_a − W_b‖_F / ‖W\\*‖_F for runs (or `truth`) a and b of the same seed",
        second_is_convex: false,
        needs_truth: true,
        value: |a, b| match a.problem.truth.as_ref() {
            Some(truth) => measure::relative_distance(a.matrix, b.matrix, truth),
            None => f64::NAN,
        },
    },
];

/// Every moment.
pub static MOMENTS: &[Moment] = &[
    Moment {
        name: "initial",
        form: "run.initial.metric",
        meaning: "the starting matrix",
        kind: MomentKind::Initial,
    },
    Moment {
        name: "at_loss",
        form: "run.at_loss(t).metric",
        meaning: "the matrix at the first step whose loss is ≤ t",
        kind: MomentKind::AtLoss,
    },
    Moment {
        name: "at_step",
        form: "run.at_step(k).metric",
        meaning: "the matrix at step k (0 is the start)",
        kind: MomentKind::AtStep,
    },
    Moment {
        name: "when",
        form: "run.when(condition).metric",
        meaning: "the matrix at the first step where the condition holds; in it, bare metrics (`sigma(1)`, `train_loss`) are the run's own at that step, and `truth.metric` the ground truth's. Checked at every step when no metric in it needs singular values or the matrix has at most 64 entries, otherwise at the trace's steps (ten a decade: the step found is then at most 26 % past the first one where it holds)",
        kind: MomentKind::When,
    },
];

/// min that propagates NaN, so a diverged run never looks fine.
fn min_or_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Every function.
pub static FUNCTIONS: &[Function] = &[
    Function {
        name: "abs",
        form: "abs(x)",
        meaning: "\\|x\\|",
        arity: Arity::One,
        apply: |x| x[0].abs(),
    },
    Function {
        name: "min",
        form: "min(a, b, …)",
        meaning: "the smallest (NaN if any is NaN)",
        arity: Arity::Many,
        apply: |x| x.iter().copied().fold(f64::INFINITY, min_or_nan),
    },
    Function {
        name: "max",
        form: "max(a, b, …)",
        meaning: "the largest (NaN if any is NaN)",
        arity: Arity::Many,
        apply: |x| {
            x.iter()
                .copied()
                .fold(f64::NEG_INFINITY, |a, b| -min_or_nan(-a, -b))
        },
    },
    Function {
        name: "log10",
        form: "log10(x)",
        meaning: "log₁₀ x",
        arity: Arity::One,
        apply: |x| x[0].log10(),
    },
    Function {
        name: "sqrt",
        form: "sqrt(x)",
        meaning: "√x",
        arity: Arity::One,
        apply: |x| x[0].sqrt(),
    },
];

/// The metric called `name`.
pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// The pairwise quantity called `name`.
pub fn pairwise(name: &str) -> Option<&'static Pairwise> {
    PAIRWISE.iter().find(|p| p.name == name)
}

/// The function called `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The moment called `name`.
pub fn moment(name: &str) -> Option<&'static Moment> {
    MOMENTS.iter().find(|m| m.name == name)
}

/// The words that cannot name a run: they would read as the language's own.
pub fn reserved_words() -> Vec<&'static str> {
    let functions = FUNCTIONS.iter().map(|f| f.name);
    let pairwise = PAIRWISE.iter().map(|p| p.name);
    KEYWORDS
        .iter()
        .copied()
        .chain(functions)
        .chain(pairwise)
        .collect()
}

/// Every way of writing a metric, in order, for messages.
pub fn metric_forms() -> Vec<&'static str> {
    METRICS
        .iter()
        .flat_map(|m| {
            if m.forms.is_empty() {
                std::slice::from_ref(&m.name)
            } else {
                m.forms
            }
        })
        .copied()
        .collect()
}

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
            (Args::Tolerance, _) => {
                Err("`rank` takes no argument or one positive relative tolerance".into())
            }
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

/// The README's tables of the vocabulary, generated from the entries (a test keeps the README
/// equal to this).
pub fn markdown() -> String {
    let mut text = String::from("| metric | meaning | applies to |\n|---|---|---|\n");
    for m in METRICS {
        let forms: Vec<String> = if m.forms.is_empty() {
            vec![format!("`{}`", m.name)]
        } else {
            m.forms.iter().map(|f| format!("`{f}`")).collect()
        };
        text += &format!(
            "| {} | {} | {} |\n",
            forms.join(", "),
            m.meaning,
            m.applies.describe()
        );
    }
    text += "\n| pairwise | meaning |\n|---|---|\n";
    for p in PAIRWISE {
        text += &format!("| `{}` | {} |\n", p.form, p.meaning);
    }
    text += "\n| moment | meaning |\n|---|---|\n";
    for m in MOMENTS {
        text += &format!("| `{}` | {} |\n", m.form, m.meaning);
    }
    text += "\n| function | meaning |\n|---|---|\n";
    for f in FUNCTIONS {
        text += &format!("| `{}` | {} |\n", f.form, f.meaning);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_never_a_run_name() {
        let mut names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        names.extend(MOMENTS.iter().map(|m| m.name));
        names.extend(reserved_words());
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a word has two entries");
    }

    #[test]
    fn arguments_are_checked() {
        let sigma = metric("sigma").unwrap();
        assert!(sigma.check_args(&[2.0]).is_ok());
        assert!(sigma.check_args(&[0.0]).is_err());
        assert!(metric("det").unwrap().check_shape(&[], 2, 3).is_err());
        assert!(
            metric("entry")
                .unwrap()
                .check_shape(&[1.0, 2.0], 2, 3)
                .is_ok()
        );
        assert!(
            metric("entry")
                .unwrap()
                .check_shape(&[2.0, 0.0], 2, 3)
                .is_err()
        );
    }

    #[test]
    fn functions_propagate_nan() {
        let min = function("min").unwrap().apply;
        let max = function("max").unwrap().apply;
        assert!(min(&[1.0, f64::NAN]).is_nan() && max(&[f64::NAN, 1.0]).is_nan());
        assert_eq!((min(&[3.0, -1.0]), max(&[3.0, -1.0])), (-1.0, 3.0));
    }
}
