//! Every metric, one entry each.

use super::entry::{Applies, Args, Metric, Needs};
use crate::claim::language::measured::Measured;
use crate::measure;
use crate::problem::Testing;
use crate::solver::{Certificate, MarginNorm, RunRecord, Status};

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
        needs_labels: false,
        needs_held_out: None,
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

/// A metric of a classification problem's training points.
const fn on_labels(
    name: &'static str,
    meaning: &'static str,
    value: fn(&Measured, &[f64]) -> f64,
) -> Metric {
    Metric {
        needs_labels: true,
        ..plain(name, &[], meaning, Applies::STEP, value)
    }
}

/// A metric of the entries a `ratings` problem holds out.
const fn on_held_out_entries(
    name: &'static str,
    meaning: &'static str,
    applies: Applies,
    value: fn(&Measured, &[f64]) -> f64,
) -> Metric {
    Metric {
        needs_held_out: Some(Testing::Entries),
        ..plain(name, &[], meaning, applies, value)
    }
}

/// The smallest test RMSE sampled along the run (the trace's samples, ten a decade, and its
/// last step); `None` without held-out entries.
fn best_test_rmse(record: &RunRecord) -> Option<f64> {
    record
        .trace
        .samples
        .iter()
        .filter_map(|s| s.test_rmse)
        .reduce(f64::min)
}

/// The relative tolerance of the CP-rank bracket unless one is written: far above rounding, far
/// below a learned component (a component still at its initial scale σ has norm ~(σ√d)^N).
const BRACKET_TOLERANCE: f64 = 1e-3;

/// 1 or 0.
fn flag(x: bool) -> f64 {
    f64::from(u8::from(x))
}

fn status_is(m: &Measured, status: Status) -> f64 {
    m.of_run(|r| Some(flag(r.status() == status)))
}

fn certificate(m: &Measured, figure: fn(&Certificate) -> f64) -> f64 {
    m.of_run(|r| r.certificate.as_ref().map(figure))
}

/// A support tolerance: the one written, else 1e-6·max |Wᵢⱼ|.
fn support_tolerance(m: &Measured, args: &[f64]) -> f64 {
    args.first()
        .copied()
        .unwrap_or_else(|| 1e-6 * measure::max_abs(m.matrix))
}

/// (false positives, false negatives) of the support against the truth's; `None` without one.
fn support_errors(m: &Measured, args: &[f64]) -> Option<(usize, usize)> {
    let truth = m.problem.truth.as_ref()?;
    Some(measure::support_errors(
        m.matrix,
        truth,
        support_tolerance(m, args),
    ))
}

/// An entrywise metric that takes a support tolerance and needs the truth.
const fn supported(
    name: &'static str,
    forms: &'static [&'static str],
    meaning: &'static str,
    value: fn(&Measured, &[f64]) -> f64,
) -> Metric {
    Metric {
        args: Args::Tolerance,
        needs_truth: true,
        ..plain(name, forms, meaning, Applies::STEP, value)
    }
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
        "l1_norm",
        &[],
        "Σ \\|Wᵢⱼ\\|: a vector's ‖w‖₁ (for a vector, `frobenius_norm` is ‖w‖₂)",
        Applies::MATRIX,
        |m, _| measure::l1_norm(m.matrix),
    ),
    plain(
        "linf_norm",
        &[],
        "max \\|Wᵢⱼ\\|: a vector's ‖w‖∞",
        Applies::MATRIX,
        |m, _| measure::max_abs(m.matrix),
    ),
    plain(
        "fourier_l1",
        &[],
        "Σ_k \\|ŵ_k\\| over the unnormalised DFT of the entries read as one vector: a vector's Fourier-ℓ1 norm",
        Applies::MATRIX,
        |m, _| measure::fourier_l1(m.matrix),
    ),
    plain(
        "fourier_l1_over_l2",
        &[],
        "‖ŵ‖₁/‖ŵ‖₂ ∈ [1, √entries]: the spectrum's scale-invariant sparsity (√2 for one real sinusoid)",
        Applies::MATRIX,
        |m, _| measure::fourier_l1_over_l2(m.matrix),
    ),
    Metric {
        args: Args::Tolerance,
        ..plain(
            "fourier_support",
            &["fourier_support", "fourier_support(tol)"],
            "frequencies k with \\|ŵ_k\\| > tol (default 1e-6·max \\|ŵ_k\\|); a real sinusoid occupies k and d − k",
            Applies::MATRIX,
            |m, a| measure::fourier_support(m.matrix, a.first().copied()) as f64,
        )
    },
    plain(
        "l1_over_l2",
        &[],
        "‖W‖₁/‖W‖_F entrywise ∈ [1, √entries]: a vector's scale-invariant sparsity ‖w‖₁/‖w‖₂",
        Applies::MATRIX,
        |m, _| measure::l1_over_l2(m.matrix),
    ),
    Metric {
        args: Args::Tolerance,
        ..plain(
            "support_size",
            &["support_size", "support_size(tol)"],
            "entries with \\|Wᵢⱼ\\| > tol (default 1e-6·max \\|Wᵢⱼ\\|)",
            Applies::MATRIX,
            |m, a| measure::support_size(m.matrix, support_tolerance(m, a)) as f64,
        )
    },
    Metric {
        boolean: true,
        ..supported(
            "support_recovered",
            &["support_recovered", "support_recovered(tol)"],
            "true/false: the support at tol (as `support_size`) is exactly the truth's nonzero entries",
            |m, a| support_errors(m, a).map_or(f64::NAN, |(p, n)| flag(p + n == 0)),
        )
    },
    supported(
        "false_positives",
        &["false_positives", "false_positives(tol)"],
        "entries in the support at tol (as `support_size`) where the truth is zero",
        |m, a| support_errors(m, a).map_or(f64::NAN, |(p, _)| p as f64),
    ),
    supported(
        "false_negatives",
        &["false_negatives", "false_negatives(tol)"],
        "nonzero entries of the truth outside the support at tol",
        |m, a| support_errors(m, a).map_or(f64::NAN, |(_, n)| n as f64),
    ),
    plain(
        "train_loss",
        &[],
        "the run's own loss under its `loss` reduction",
        Applies::STEP,
        |m, _| m.train_loss(),
    ),
    plain(
        "ln_train_loss",
        &[],
        "ln of `train_loss`, finite where a margin loss underflows to 0 (margins beyond ~745)",
        Applies::STEP,
        |m, _| m.ln_train_loss(),
    ),
    on_labels(
        "margin",
        "minᵢ yᵢ⟨xᵢ, w⟩ / ‖w‖₂, the least training margin of the direction (classification)",
        |m, _| m.least_margin(MarginNorm::L2),
    ),
    on_labels(
        "l1_margin",
        "minᵢ yᵢ⟨xᵢ, w⟩ / ‖w‖₁: the margin a diagonal network's rich regime maximises",
        |m, _| m.least_margin(MarginNorm::L1),
    ),
    on_labels(
        "linf_margin",
        "minᵢ yᵢ⟨xᵢ, w⟩ / ‖w‖∞: the margin sign descent maximises",
        |m, _| m.least_margin(MarginNorm::Linf),
    ),
    on_labels(
        "fourier_margin",
        "minᵢ yᵢ⟨xᵢ, w⟩ / ‖ŵ‖₁ (ŵ the unnormalised DFT): the margin a depth-2 convolutional network maximises",
        |m, _| m.least_margin(MarginNorm::FourierL1),
    ),
    Metric {
        applies: Applies::DEEP,
        ..on_labels(
            "kkt_residual",
            "1 − cos(θ, −∇_θ ℓ) at a gradient run's last parameters θ (classification): 0 exactly at a KKT point of min ‖θ‖² s.t. margins ≥ 1 with the loss's own multipliers (Lyu & Li 2020; for a convolutional network, the first-order stationarity of the ℓ_{2/L} Fourier problem), computed where the loss underflows too; a stationarity measure, never optimality",
            |m, _| m.of_run(|r| r.kkt_residual),
        )
    },
    Metric {
        args: Args::Tolerance,
        ..plain(
            "rank_bracket_low",
            &["rank_bracket_low", "rank_bracket_low(tol)"],
            "the lower end of the bracket on a tensor's CP rank: the largest numerical rank (singular values above tol·σ₁, tol 1e-3 by default) over the 2^{N−1} − 1 matricisations of the problem's order-N tensor (`tensor`; a matrix's rank otherwise) — every matricisation of a rank-r tensor has rank ≤ r",
            Applies::MATRIX,
            |m, a| {
                let tol = a.first().copied().unwrap_or(BRACKET_TOLERANCE);
                measure::matricisation_rank(m.matrix, &m.problem.modes(), tol) as f64
            },
        )
    },
    Metric {
        args: Args::Tolerance,
        ..plain(
            "rank_bracket_high",
            &["rank_bracket_high", "rank_bracket_high(tol)"],
            "the upper end of the bracket: a CP factorisation's significant components, those with ‖a_r⁽¹⁾‖⋯‖a_r⁽ᴺ⁾‖ above tol·the largest (tol 1e-3 by default), at its end, moments and along it; where it meets `rank_bracket_low` the CP rank of the significant part is certified",
            Applies::COMPONENTS,
            |m, a| {
                let tol = a.first().copied().unwrap_or(BRACKET_TOLERANCE);
                m.components().map_or(f64::NAN, |norms| {
                    let top = norms.first().copied().unwrap_or(0.0);
                    norms.iter().filter(|&&c| c > tol * top).count() as f64
                })
            },
        )
    },
    Metric {
        args: Args::Index,
        ..plain(
            "component",
            &["component(k)"],
            "the k-th largest component norm ‖a_r⁽¹⁾‖⋯‖a_r⁽ᴺ⁾‖ (its rank-one tensor's ‖·‖_F) of a CP factorisation, k from 1 (0 beyond its last); at its end, at its moments and along it (`when`, trajectory figures), where the order components become significant in shows (Razin, Maman, Cohen 2021)",
            Applies::COMPONENTS,
            |m, a| {
                let k = a[0] as usize;
                m.components()
                    .map_or(f64::NAN, |norms| norms.get(k - 1).copied().unwrap_or(0.0))
            },
        )
    },
    plain(
        "representation_cost",
        &[],
        "R = min ‖θ‖² over the parameters of the run's own architecture that compute its matrix (Dai, Karzand, Srebro 2021): L·Σσᵢ(W)^{2/L} for a depth-L `deep` chain (the product's singular values; 2‖W‖\\* at depth 2), ‖w‖_{2/D}^{2/D} for `diagonal` u^{⊙D} − v^{⊙D}, (L/d)·Σ_k \\|β̂_k\\|^{2/L} for `convolutional`, tr W for `quadratic` (W = UᵀU), for `relu` 2·Σⱼ \\|aⱼ\\|·‖wⱼ‖ over its own units (twice their variation norm: an upper bound on R, exact when no two units share a direction), and for `cp` N·Σ_r ‖T_r‖^{2/N} over its own components (an upper bound)",
        Applies::DEEP,
        |m, _| {
            m.of_run(|r| {
                let shape = m.parameterisation?;
                Some(shape.cost(
                    m.matrix,
                    || m.spectrum().singular_values.clone(),
                    &r.factors,
                ))
            })
        },
    ),
    Metric {
        needs_held_out: Some(Testing::Points),
        ..on_labels(
            "test_error",
            "the fraction of the instance's held-out points (`classification`'s `test_samples`, drawn after the training set) with yᵢ⟨xᵢ, w⟩ ≤ 0",
            |m, _| m.test_error(),
        )
    },
    on_held_out_entries(
        "test_rmse",
        "√(mean of (Wᵢⱼ − rᵢⱼ)² over the entries a `ratings` problem holds out): the prediction error in the ratings' units (stars)",
        Applies::STEP,
        |m, _| m.test_rmse(),
    ),
    on_held_out_entries(
        "best_test_rmse",
        "the smallest `test_rmse` sampled along the run (ten samples a decade of steps, and the last): what stopping at the best step, were it known, would give",
        Applies::RUN,
        |m, _| m.of_run(best_test_rmse),
    ),
    on_labels(
        "train_error",
        "the fraction of training points with yᵢ⟨xᵢ, w⟩ ≤ 0 (classification)",
        |m, _| m.train_error(),
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
        Applies::CHAIN,
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
        "the certificate's relative duality gap \\|f(Z) − bound\\| / f(Z) in the run's objective f (‖·‖\\* for `nuclear_norm`, ‖·‖₁ for `basis_pursuit`, ‖·‖_F for `min_norm`, Q^D_α for `diagonal_potential`, tr on the PSD cone for `trace_psd`, the variation norm for `min_variation`)",
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
        "the proved lower bound on the run's objective at every feasible X",
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
            Applies::EVERY_STEP,
            |m, _| m.of_run(test_mse_rise),
        )
    },
    plain(
        "min_loss",
        &[],
        "the smallest loss over every step",
        Applies::EVERY_STEP,
        |m, _| m.of_run(|r| Some(r.extremes.min_loss)),
    ),
    plain(
        "max_loss",
        &[],
        "the largest loss over every step",
        Applies::EVERY_STEP,
        |m, _| m.of_run(|r| Some(r.extremes.max_loss)),
    ),
    Metric {
        watch: Needs::Entries,
        ..plain(
            "max_entry",
            &[],
            "the largest \\|Wᵢⱼ\\| over every step (watched only when asked for: it needs W at every step, which completion otherwise never forms)",
            Applies::EVERY_STEP,
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
            Applies::EVERY_STEP,
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
            Applies::EVERY_STEP,
            |m, _| m.of_run(|r| r.extremes.max_det),
        )
    },
];
