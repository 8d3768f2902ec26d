//! The other words: the language's keywords, pairwise quantities, moments and functions.

use super::entry::{Arity, Function, MomentKind, MomentWord, Pairwise};
use crate::measure;
use crate::solver::certificate::Certified;

/// The words of the language itself; with the function and pairwise names they cannot name a
/// run.
pub const KEYWORDS: &[&str] = &["truth", "and", "or", "not"];

/// Every pairwise quantity.
pub static PAIRWISE: &[Pairwise] = &[
    Pairwise {
        name: "certified_gap",
        form: "certified_gap(a, c)",
        meaning: "f_c(W_a) − ⟨λ_c, 𝒜(W_a)⟩ + f_c\\*(𝒜\\*(λ_c)) for a run or `truth` a and a convex run c minimising f_c (‖·‖\\* for `nuclear_norm`, ‖·‖₁ for `basis_pursuit`, ‖·‖_F for `min_norm`, Q^D_α for `diagonal_potential`, tr on the PSD cone (+∞ off it) for `trace_psd`, the least variation norm of a ReLU network with a's values for `min_variation`, the margin's norm for `max_margin`, where ⟨λ_c, 𝒜(W_a)⟩ ≥ Σλ exactly when a separates with margins ≥ 1): how far a's value of c's objective provably exceeds the least value of any matrix with a's own observations (≥ 0 by weak duality; a clear positive value proves a is not c's minimiser, whether or not it fits the data exactly)",
        second_is_convex: true,
        needs_truth: false,
        value: |a, c| match c.run.and_then(|r| r.certificate.as_ref()) {
            Some(certificate) => {
                let value = match certificate.certifies {
                    // The spectrum a's other metrics share.
                    Certified::NuclearNorm => a.spectrum().nuclear_norm,
                    objective => objective.value(a.matrix, a.problem),
                };
                value - certificate.bound_for(a.problem, a.matrix)
            }
            None => f64::NAN,
        },
    },
    Pairwise {
        name: "cosine",
        form: "cosine(a, b)",
        meaning: "⟨W_a, W_b⟩ / (‖W_a‖_F‖W_b‖_F) for runs (or `truth`) a and b of the same seed: 1 when their directions agree (a classifier's direction, whatever its scale)",
        second_is_convex: false,
        needs_truth: false,
        value: |a, b| measure::cosine(a.matrix, b.matrix),
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
pub static MOMENTS: &[MomentWord] = &[
    MomentWord {
        name: "initial",
        form: "run.initial.metric",
        meaning: "the starting matrix",
        kind: MomentKind::Initial,
    },
    MomentWord {
        name: "at_loss",
        form: "run.at_loss(t).metric",
        meaning: "the matrix at the first step whose loss is ≤ t",
        kind: MomentKind::AtLoss,
    },
    MomentWord {
        name: "at_step",
        form: "run.at_step(k).metric",
        meaning: "the matrix at step k (0 is the start)",
        kind: MomentKind::AtStep,
    },
    MomentWord {
        name: "when",
        form: "run.when(condition).metric",
        meaning: "the matrix at the first step where the condition holds; in it, bare metrics (`sigma(1)`, `train_loss`, a `cp` run's `component(k)`) are the run's own at that step, and `truth.metric` the ground truth's. Checked at every step when no metric in it needs singular values or the matrix has at most 64 entries, otherwise at 100 log-spaced steps a decade (every step up to 43; the step found is then at most 2.3 % past the first one where it holds)",
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
