//! How a claim about random instances is decided: a rate, tested sequentially with stated error
//! rates, and an exact interval for it.
//!
//! An assertion that holds with probability θ on a random seed is tested as Wald's sequential
//! probability ratio test (SPRT; Wald 1945) of "θ ≥ p + δ" against "θ ≤ p − δ", with Ville's
//! inequality (Ville 1939) setting the boundaries: the likelihood ratio of the two simple
//! hypotheses, taken in the direction of the one that is false, is a non-negative supermartingale
//! for every θ on that side (the Bernoulli family has a monotone likelihood ratio), so it reaches
//! 1/α with probability at most α however long the sequence runs and wherever it stops. Hence:
//! P(`refuted` | θ ≥ p + δ) ≤ α and P(`holds` | θ ≤ p − δ) ≤ β, exactly, under optional stopping,
//! in batches of any size, and with a seed budget (which only turns decisions into `open`).
//! Between p − δ and p + δ either decision is acceptable: δ is the indifference margin.

use crate::claim::read::sampling::Rate;
use serde::Serialize;
use std::fmt;

/// The confidence of the exact interval reported for every rate.
pub const CONFIDENCE: f64 = 0.95;

/// What the evidence says about one assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The rate is decided to be at least the claim (or the fixed quantifier is met).
    Holds,
    /// The rate is decided to be below it (or the fixed quantifier is not met).
    Refuted,
    /// Not decided: the seed budget was spent, or another assertion refuted the claim first.
    Open,
}

impl Decision {
    /// The mark reports put before it: `+` holds, `-` refuted, `?` open.
    pub fn sign(self) -> char {
        match self {
            Decision::Holds => '+',
            Decision::Refuted => '-',
            Decision::Open => '?',
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Decision::Holds => "holds",
            Decision::Refuted => "refuted",
            Decision::Open => "open",
        })
    }
}

/// Wald's SPRT of θ ≥ p + δ against θ ≤ p − δ with Ville's boundaries, fed one seed at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sprt {
    /// log LR added by a success: ln((p + δ)/(p − δ)) > 0.
    up: f64,
    /// log LR added by a failure: ln((1 − p − δ)/(1 − p + δ)) < 0 (−∞ when p + δ = 1).
    down: f64,
    /// `holds` once the log LR reaches ln(1/β).
    upper: f64,
    /// `refuted` once it falls to −ln(1/α).
    lower: f64,
    /// The log likelihood ratio of "p + δ" to "p − δ" so far.
    log_ratio: f64,
    seeds: u64,
    successes: u64,
    decision: Decision,
}

impl Sprt {
    /// A test of `rate` that refutes a true claim with probability at most `alpha` and passes a
    /// false one with probability at most `beta`.
    pub fn new(rate: Rate, alpha: f64, beta: f64) -> Self {
        let (p, d) = (rate.rate, rate.delta);
        Self {
            up: ((p + d) / (p - d)).ln(),
            down: ((1.0 - p - d) / (1.0 - p + d)).ln(),
            upper: (1.0 / beta).ln(),
            lower: -(1.0 / alpha).ln(),
            log_ratio: 0.0,
            seeds: 0,
            successes: 0,
            decision: Decision::Open,
        }
    }

    /// Adds one seed's outcome, unless the test has already decided; returns the decision.
    pub fn observe(&mut self, passed: bool) -> Decision {
        if self.decision != Decision::Open {
            return self.decision;
        }
        self.seeds += 1;
        self.successes += u64::from(passed);
        self.log_ratio += if passed { self.up } else { self.down };
        if self.log_ratio >= self.upper {
            self.decision = Decision::Holds;
        } else if self.log_ratio <= self.lower {
            self.decision = Decision::Refuted;
        }
        self.decision
    }

    /// The decision so far.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// Seeds observed up to the decision.
    pub fn seeds(&self) -> u64 {
        self.seeds
    }

    /// Successes among them.
    pub fn successes(&self) -> u64 {
        self.successes
    }

    /// The log likelihood ratio of "p + δ" to "p − δ" so far.
    pub fn log_ratio(&self) -> f64 {
        self.log_ratio
    }

    /// The fewest seeds that can decide the test: straight successes up to `holds` (a refutation
    /// may come sooner). How many seeds a shard's first round draws.
    pub fn fewest_to_hold(&self) -> u64 {
        (self.upper / self.up).ceil().max(1.0) as u64
    }

    /// The boundaries (ln(1/β), −ln(1/α)): `holds` at or above the first, `refuted` at or below
    /// the second.
    pub fn boundaries(&self) -> (f64, f64) {
        (self.upper, self.lower)
    }
}

/// Why a claim's sequence of seeds ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The verdict was decided: one assertion refuted, or every one holds.
    Decided,
    /// The seed budget was spent first.
    Budget,
    /// A run was stopped from outside (Ctrl-C), or a read-only store lacked one.
    Interrupted,
    /// The claim's wall-time budget ran out (`--max-claim-seconds`).
    Time,
}

/// A claim's tests after its sequence: one per assertion, the seeds' outcomes up to the stop, and
/// why it stopped.
pub struct Sequence<T> {
    /// One test per assertion.
    pub tests: Vec<Sprt>,
    /// Every seed evaluated up to the stop, in order.
    pub outcomes: Vec<T>,
    /// Why the sequence ended.
    pub ending: Ending,
}

/// Runs the seeds `from`, `from + 1`, … in batches of `batch` (`run::point` may run a batch in
/// parallel) and feeds each seed's outcome, in seed order, to every test still open, until one
/// refutes, all hold, `budget` seeds are spent or a seed was `interrupted`. Seeds evaluated past
/// the stop are dropped, so the result depends on the seeds alone, never on the batch size.
pub fn sequence<T>(
    from: u64,
    budget: u64,
    batch: usize,
    mut tests: Vec<Sprt>,
    evaluate: impl Fn(&[u64]) -> Vec<T>,
    passed: impl Fn(&T, usize) -> bool,
    interrupted: impl Fn(&T) -> bool,
) -> Sequence<T> {
    let mut outcomes = Vec::new();
    let mut next = from;
    let end = from.saturating_add(budget);
    while next < end {
        let size = (batch.max(1) as u64).min(end - next);
        let seeds: Vec<u64> = (next..next + size).collect();
        next += size;
        for outcome in evaluate(&seeds) {
            if interrupted(&outcome) {
                outcomes.push(outcome);
                return Sequence {
                    tests,
                    outcomes,
                    ending: Ending::Interrupted,
                };
            }
            for (k, test) in tests.iter_mut().enumerate() {
                test.observe(passed(&outcome, k));
            }
            outcomes.push(outcome);
            let decisions = || tests.iter().map(Sprt::decision);
            if decisions().any(|d| d == Decision::Refuted)
                || decisions().all(|d| d == Decision::Holds)
            {
                return Sequence {
                    tests,
                    outcomes,
                    ending: Ending::Decided,
                };
            }
        }
    }
    Sequence {
        tests,
        outcomes,
        ending: Ending::Budget,
    }
}

/// The exact (Clopper–Pearson 1934) two-sided interval at `confidence` for a rate from
/// `successes` of `seeds`: the Beta quantiles B(γ/2; x, n − x + 1) and B(1 − γ/2; x + 1, n − x).
/// Its coverage is at least `confidence` for a fixed number of seeds; after a sequential stop it
/// describes the seeds used.
pub fn clopper_pearson(successes: u64, seeds: u64, confidence: f64) -> (f64, f64) {
    use statrs::function::beta::inv_beta_reg;
    if seeds == 0 {
        return (0.0, 1.0);
    }
    let tail = (1.0 - confidence) / 2.0;
    let (x, n) = (successes as f64, seeds as f64);
    let lower = if successes == 0 {
        0.0
    } else {
        inv_beta_reg(x, n - x + 1.0, tail)
    };
    let upper = if successes == seeds {
        1.0
    } else {
        inv_beta_reg(x + 1.0, n - x, 1.0 - tail)
    };
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::read::sampling::{ALPHA, ALWAYS, BETA};

    /// At the extremes the interval has a closed form: (0, 1 − (γ/2)^(1/n)) and its mirror.
    #[test]
    fn clopper_pearson_matches_closed_forms() {
        for n in [1u64, 5, 29, 100, 1000] {
            let edge = 0.025f64.powf(1.0 / n as f64);
            let (lo, hi) = clopper_pearson(0, n, 0.95);
            assert_eq!(lo, 0.0);
            assert!((hi - (1.0 - edge)).abs() < 1e-10, "n = {n}: {hi}");
            let (lo, hi) = clopper_pearson(n, n, 0.95);
            assert!((lo - edge).abs() < 1e-10, "n = {n}: {lo}");
            assert_eq!(hi, 1.0);
        }
    }

    /// The bounds are where the binomial tails equal γ/2: checked with the regularised
    /// incomplete beta function the quantiles invert.
    #[test]
    fn clopper_pearson_bounds_are_the_binomial_tails() {
        use statrs::function::beta::beta_reg;
        for (x, n) in [(1u64, 10u64), (7, 10), (50, 100), (93, 100), (3, 400)] {
            let (lo, hi) = clopper_pearson(x, n, 0.95);
            let (xf, nf) = (x as f64, n as f64);
            // P(X ≥ x | lo) = I_lo(x, n − x + 1) = 0.025; P(X ≤ x | hi) = 1 − I_hi(x + 1, n − x).
            assert!((beta_reg(xf, nf - xf + 1.0, lo) - 0.025).abs() < 1e-9);
            assert!((1.0 - beta_reg(xf + 1.0, nf - xf, hi) - 0.025).abs() < 1e-9);
            assert!(lo < xf / nf && xf / nf < hi);
        }
    }

    /// `always` holds after ⌈ln(1/β)/ln(1/0.9)⌉ = 29 straight successes and falls at one failure.
    #[test]
    fn always_needs_29_successes_and_no_failure() {
        let mut test = Sprt::new(ALWAYS, ALPHA, BETA);
        for _ in 0..28 {
            assert_eq!(test.observe(true), Decision::Open);
        }
        assert_eq!(test.observe(true), Decision::Holds);
        let mut test = Sprt::new(ALWAYS, ALPHA, BETA);
        (0..10).for_each(|_| {
            test.observe(true);
        });
        assert_eq!(test.observe(false), Decision::Refuted);
        assert_eq!((test.seeds(), test.successes()), (11, 10));
    }

    #[test]
    fn fewest_to_hold_is_the_straight_run_that_holds() {
        for rate in [
            ALWAYS,
            Rate {
                rate: 0.8,
                delta: 0.1,
            },
        ] {
            let mut test = Sprt::new(rate, ALPHA, BETA);
            let n = test.fewest_to_hold();
            for _ in 1..n {
                assert_eq!(test.observe(true), Decision::Open);
            }
            assert_eq!(test.observe(true), Decision::Holds, "{rate}");
        }
    }

    #[test]
    fn rates_outside_the_unit_interval_are_refused() {
        let bad = |rate, delta| Rate { rate, delta }.check().is_err();
        assert!(bad(0.99, 0.05) && bad(0.02, 0.05) && bad(0.5, 0.0) && bad(f64::NAN, 0.1));
        assert!(!bad(0.95, 0.05) && !bad(0.5, 0.1));
    }
}
