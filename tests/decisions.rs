//! The statistics of rate claims, checked on synthetic Bernoulli streams (no solver): the
//! sequential test's error rates stay within α and β at the edges of the indifference region,
//! the exact interval covers, and a decision depends on the seeds alone, never on the batch size.

mod support;

use implreg::claim::decide::sequential::{
    self, CONFIDENCE, Decision, Ending, Sprt, clopper_pearson,
};
use implreg::claim::read::sampling::{ALPHA, ALWAYS, BETA, DELTA, Rate};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Simulated decisions per setting and true rate.
const DECISIONS: u64 = 4000;
/// A budget no simulated decision reaches in practice: the bounds hold under any budget, and a
/// large one tests them where they are tightest.
const BUDGET: u64 = 100_000;
/// How surely the observed error count must be consistent with the bound: the test fails only
/// when the Clopper–Pearson interval at this confidence lies wholly above α (or β).
const MONTE_CARLO: f64 = 0.9999;

/// Whether seed `seed` of simulation `run` passes, at true rate `theta`: a function of the two
/// numbers only, like a claim's seed.
fn outcome(run: u64, seed: u64, theta: f64) -> bool {
    let mut rng = ChaCha8Rng::seed_from_u64(run.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed);
    rng.random::<f64>() < theta
}

/// `DECISIONS` sequential decisions at true rate `theta`: (holds, refuted, open, mean seeds).
fn simulate(rate: Rate, alpha: f64, beta: f64, theta: f64) -> (u64, u64, u64, f64) {
    let (mut holds, mut refuted, mut open, mut seeds) = (0, 0, 0, 0u64);
    for run in 0..DECISIONS {
        let run_seeds = |s: &[u64]| s.iter().map(|&k| outcome(run, k, theta)).collect();
        let sequence = sequential::sequence(
            0,
            BUDGET,
            16,
            vec![Sprt::new(rate, alpha, beta)],
            run_seeds,
            |&passed: &bool, _| passed,
            |_| false,
        );
        seeds += sequence.outcomes.len() as u64;
        match sequence.tests[0].decision() {
            Decision::Holds => holds += 1,
            Decision::Refuted => refuted += 1,
            Decision::Open => open += 1,
        }
    }
    (holds, refuted, open, seeds as f64 / DECISIONS as f64)
}

/// Observed `errors` of `DECISIONS` are consistent with an error rate of at most `bound`.
fn within(errors: u64, bound: f64) -> bool {
    clopper_pearson(errors, DECISIONS, MONTE_CARLO).0 <= bound
}

/// At p + δ the claim is true: refuted at most α of the time; at p − δ it is false: holds at most
/// β of the time; at p either is allowed, and the mean number of seeds is reported.
fn error_rates_hold(rate: Rate, alpha: f64, beta: f64) {
    let (p, d) = (rate.rate, rate.delta);
    let (_, refuted, _, n_true) = simulate(rate, alpha, beta, p + d);
    let (holds, _, _, n_false) = simulate(rate, alpha, beta, (p - d).max(0.0));
    let (at_p_holds, at_p_refuted, at_p_open, n_at_p) = simulate(rate, alpha, beta, p);
    println!(
        "{rate}, α = {alpha}, β = {beta}: at p + δ refuted {refuted}/{DECISIONS} (mean {n_true:.1} seeds); \
         at p − δ holds {holds}/{DECISIONS} (mean {n_false:.1}); at p holds {at_p_holds}, refuted {at_p_refuted}, \
         open {at_p_open} (mean {n_at_p:.1})"
    );
    assert!(
        within(refuted, alpha),
        "{rate}: refuted {refuted} of {DECISIONS} at p + δ, α = {alpha}"
    );
    assert!(
        within(holds, beta),
        "{rate}: held {holds} of {DECISIONS} at p − δ, β = {beta}"
    );
}

#[test]
fn error_rates_hold_with_the_defaults() {
    error_rates_hold(
        Rate {
            rate: 0.8,
            delta: DELTA,
        },
        ALPHA,
        BETA,
    );
}

#[test]
fn error_rates_hold_with_other_settings() {
    error_rates_hold(
        Rate {
            rate: 0.5,
            delta: 0.1,
        },
        0.05,
        0.1,
    );
    // A claim's α is split across its assertions: one share of seven.
    error_rates_hold(
        Rate {
            rate: 0.7,
            delta: 0.1,
        },
        ALPHA / 7.0,
        BETA,
    );
}

/// `always` (p + δ = 1): never refuted when the assertion always holds; holds at a 10 % failure
/// rate at most β of the time.
#[test]
fn always_errs_within_beta() {
    let (_, refuted, _, n) = simulate(ALWAYS, ALPHA, BETA, 1.0);
    assert_eq!((refuted, n), (0, 29.0));
    let (holds, _, _, _) = simulate(ALWAYS, ALPHA, BETA, 0.9);
    println!("always at a 10 % failure rate: held {holds}/{DECISIONS} (β = {BETA})");
    assert!(within(holds, BETA), "held {holds} at rate 0.9");
}

/// Coverage of the exact interval at a fixed number of seeds is at least its confidence (Monte
/// Carlo error allowed for); after a sequential stop it is reported, not promised.
#[test]
fn clopper_pearson_covers() {
    for (n, theta) in [(10u64, 0.5), (29, 0.9), (50, 0.8), (100, 0.97), (200, 0.3)] {
        let covered = (0..DECISIONS)
            .filter(|&run| {
                let x = (0..n).filter(|&k| outcome(run, k, theta)).count() as u64;
                let (low, high) = clopper_pearson(x, n, CONFIDENCE);
                low <= theta && theta <= high
            })
            .count() as u64;
        let (_, upper) = clopper_pearson(covered, DECISIONS, MONTE_CARLO);
        assert!(
            upper >= CONFIDENCE,
            "n = {n}, θ = {theta}: covered {covered} of {DECISIONS}"
        );
    }
    let rate = Rate {
        rate: 0.8,
        delta: DELTA,
    };
    for theta in [0.75, 0.8, 0.85, 0.95] {
        let covered = (0..DECISIONS)
            .filter(|&run| {
                let run_seeds = |s: &[u64]| s.iter().map(|&k| outcome(run, k, theta)).collect();
                let sequence = sequential::sequence(
                    0,
                    BUDGET,
                    1,
                    vec![Sprt::new(rate, ALPHA, BETA)],
                    run_seeds,
                    |&passed: &bool, _| passed,
                    |_| false,
                );
                let test = &sequence.tests[0];
                let (low, high) = clopper_pearson(test.successes(), test.seeds(), CONFIDENCE);
                low <= theta && theta <= high
            })
            .count();
        println!(
            "after a sequential stop at θ = {theta}: the 95 % interval covered {covered}/{DECISIONS}"
        );
    }
}

proptest! {
    #![proptest_config(support::config(64))]

    /// The same seeds give the same decisions, seeds used and stop, whatever the batch size.
    #[test]
    fn decisions_do_not_depend_on_the_batch(
        run in 0u64..1_000_000,
        theta in 0.3f64..1.0,
        rates in proptest::collection::vec((0.2f64..0.8, 0.02f64..0.2), 1..4),
        budget in 1u64..300,
        batch in 2usize..40,
    ) {
        let tests: Vec<Sprt> = rates
            .iter()
            .map(|&(rate, delta)| Sprt::new(Rate { rate, delta }, ALPHA, BETA))
            .collect();
        let decide_in = |batch: usize| {
            let k = rates.len() as u64;
            let run_seeds = |s: &[u64]| -> Vec<Vec<bool>> {
                s.iter()
                    .map(|&seed| (0..k).map(|j| outcome(run + j, seed, theta)).collect())
                    .collect()
            };
            let sequence = sequential::sequence(
                7,
                budget,
                batch,
                tests.clone(),
                run_seeds,
                |passed: &Vec<bool>, j| passed[j],
                |_| false,
            );
            (sequence.tests, sequence.outcomes, sequence.ending)
        };
        let one = decide_in(1);
        prop_assert_eq!(&one, &decide_in(batch));
        prop_assert!(one.1.len() as u64 <= budget);
        prop_assert_eq!(one.2 == Ending::Budget, one.1.len() as u64 == budget
            && one.0.iter().any(|t| t.decision() == Decision::Open)
            && one.0.iter().all(|t| t.decision() != Decision::Refuted));
    }
}

/// A claim of `rates.len()` assertions as `evaluate` decides it: α split equally, β each, the
/// verdict refuted if any assertion is and holds if all do. Returns (holds, refuted) counts.
fn simulate_claim(rates: &[(Rate, f64)]) -> (u64, u64) {
    let alpha = ALPHA / rates.len() as f64;
    let (mut holds, mut refuted) = (0, 0);
    for run in 0..DECISIONS {
        let tests = rates
            .iter()
            .map(|&(rate, _)| Sprt::new(rate, alpha, BETA))
            .collect();
        let run_seeds = |s: &[u64]| -> Vec<Vec<bool>> {
            s.iter()
                .map(|&seed| {
                    let streams = 0..rates.len() as u64;
                    streams
                        .map(|j| outcome(run * 16 + j, seed, rates[j as usize].1))
                        .collect()
                })
                .collect()
        };
        let sequence = sequential::sequence(
            0,
            BUDGET,
            8,
            tests,
            run_seeds,
            |passed: &Vec<bool>, j| passed[j],
            |_| false,
        );
        let decisions: Vec<Decision> = sequence.tests.iter().map(Sprt::decision).collect();
        if decisions.contains(&Decision::Refuted) {
            refuted += 1;
        } else if decisions.iter().all(|&d| d == Decision::Holds) {
            holds += 1;
        }
    }
    (holds, refuted)
}

/// The claim's own error rates: with every rate at p + δ it is refuted at most α of the time (α
/// split across three assertions), and with one rate at p − δ it holds at most β of the time.
#[test]
fn a_claims_verdict_keeps_its_error_rates() {
    let rate = Rate {
        rate: 0.7,
        delta: 0.1,
    };
    let all_true = [(rate, 0.8), (rate, 0.8), (rate, 0.8)];
    let (_, refuted) = simulate_claim(&all_true);
    let one_false = [(rate, 0.6), (rate, 1.0), (rate, 0.9)];
    let (holds, _) = simulate_claim(&one_false);
    println!(
        "claim of three at p + δ: refuted {refuted}/{DECISIONS} (α = {ALPHA}); one at p − δ: held {holds}/{DECISIONS} (β = {BETA})"
    );
    assert!(within(refuted, ALPHA), "refuted {refuted}");
    assert!(within(holds, BETA), "held {holds}");
}
