//! The search engine tested without solvers, as the sequential test is tested on Bernoulli
//! streams: synthetic claims whose rate is a known function of the point (a refuted region of
//! known shape, a margin elsewhere), decided by the claim's own sequential test on simulated
//! seeds. Over 1,000 searches per setting: a region of a third or of a twentieth of the domain
//! is found as often as its share says, the shrunk point is the region's simplest in at least
//! 99 % of them, false counterexamples stay within the stated bound 2·N·α·α_c, and every
//! shrink ends within budget.

use implreg::claim::decide::search::{Outcome, Stage, search};
use implreg::claim::decide::sequential::{Decision, Sprt, clopper_pearson};
use implreg::claim::read::domain::{Constraint, Dimension, Domain};
use implreg::claim::read::parameters::{Setting, describe};
use implreg::claim::read::sampling::Rate;
use implreg::claim::read::spec::Verdict;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How a synthetic claim is decided and searched.
#[derive(Clone, Copy)]
struct Setup {
    alpha: f64,
    beta: f64,
    rate: Rate,
    points: usize,
    shrink: usize,
    budget: u64,
}

/// The defaults a claim gets (`read::sampling`: α = 0.01, β = 0.05, δ = 0.05) and a search's.
const DEFAULTS: Setup = Setup {
    alpha: 0.01,
    beta: 0.05,
    rate: Rate {
        rate: 0.9,
        delta: 0.05,
    },
    points: 20,
    shrink: 40,
    budget: 400,
};

/// Looser error rates, another claimed rate, fewer shrink decisions, more points.
const OTHER: Setup = Setup {
    alpha: 0.05,
    beta: 0.1,
    rate: Rate {
        rate: 0.8,
        delta: 0.1,
    },
    points: 30,
    shrink: 25,
    budget: 200,
};

fn dimension(name: &str, yaml: &str) -> Dimension {
    Dimension::read(name.into(), serde_yaml::from_str(yaml).unwrap()).unwrap()
}

/// n ∈ 5..40, k ∈ 1..6, c ∈ {a, b, c}, with n ≥ 2k.
fn domain() -> Domain {
    Domain {
        dimensions: vec![
            dimension("n", "{int: [5, 40]}"),
            dimension("k", "{int: [1, 6]}"),
            dimension("c", "{choice: [a, b, c]}"),
        ],
        constraints: vec![Constraint {
            text: "$n >= 2 * $k".into(),
        }],
    }
}

fn int(point: &[Setting], name: &str) -> i64 {
    point
        .iter()
        .find(|s| s.name == name)
        .unwrap()
        .value
        .as_i64()
        .unwrap()
}

/// A refuted region of known shape: n ≥ `n`, k ≥ `k` and c among `c`; its simplest point is
/// (`n`, `k`, the first of `c` in the domain's order).
#[derive(Clone, Copy)]
struct Region {
    n: i64,
    k: i64,
    c: &'static [&'static str],
}

/// A third of the domain: n ≥ 17, k ≥ 3, c ≠ a; simplest n = 17, k = 3, c = b.
const LARGE: Region = Region {
    n: 17,
    k: 3,
    c: &["b", "c"],
};

/// A twentieth of the domain: n ≥ 30, k ≥ 4, c = c; simplest n = 30, k = 4, c = c. Twenty
/// drawn points miss it about a third of the time.
const SMALL: Region = Region {
    n: 30,
    k: 4,
    c: &["c"],
};

impl Region {
    fn holds(&self, point: &[Setting]) -> bool {
        let c = &point.iter().find(|s| s.name == "c").unwrap().value;
        int(point, "n") >= self.n
            && int(point, "k") >= self.k
            && c.as_str().is_some_and(|c| self.c.contains(&c))
    }

    fn simplest(&self) -> String {
        format!("n = {}, k = {}, c = {}", self.n, self.k, self.c[0])
    }

    /// The share of the domain's admitted points inside the region, counted.
    fn share(&self, domain: &Domain) -> f64 {
        let (points, _) = domain.draw(12345, 20_000).unwrap();
        points.iter().filter(|p| self.holds(p)).count() as f64 / points.len() as f64
    }
}

fn in_region(point: &[Setting]) -> bool {
    LARGE.holds(point)
}

/// Decides a point as a rate claim would: its sequential test fed simulated seeds that pass
/// with probability `rate(point)`; the seeds are the point's own (the same each time it is
/// decided on them), the confirmation's disjoint from them.
fn decider(
    setup: Setup,
    instance: u64,
    rate: impl Fn(&[Setting]) -> f64,
) -> impl FnMut(&[Setting], Stage) -> (Verdict, ()) {
    move |point, stage| {
        let name = format!("{instance}/{}/{}", describe(point), stage == Stage::Confirm);
        let hash = name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        let mut rng = ChaCha8Rng::seed_from_u64(hash);
        let mut test = Sprt::new(setup.rate, setup.alpha, setup.beta);
        let p = rate(point);
        for _ in 0..setup.budget {
            if test.observe(rng.random::<f64>() < p) != Decision::Open {
                break;
            }
        }
        let verdict = match test.decision() {
            Decision::Holds => Verdict::Holds,
            Decision::Refuted => Verdict::Refuted,
            Decision::Open => Verdict::Inconclusive,
        };
        (verdict, ())
    }
}

fn run(setup: Setup, seed: u64, rate: impl Fn(&[Setting]) -> f64) -> Outcome<()> {
    let domain = domain();
    let (points, _) = domain.draw(seed, setup.points).unwrap();
    let mut decide = decider(setup, seed, rate);
    search(&domain, &[], &points, setup.shrink, &mut decide, &|| false)
}

/// The most decisions one shrink made (a search that refutes more than once shrinks each time).
fn shrink_decisions(outcome: &Outcome<()>) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for trial in &outcome.trials {
        run = if trial.stage == Stage::Shrink {
            run + 1
        } else {
            0
        };
        longest = longest.max(run);
    }
    longest
}

/// The region is found as often as its share of the domain says (no less when it is large, as
/// often to within the sampling error when it is small), shrunk to its simplest point and
/// confirmed.
fn finds_and_shrinks(setup: Setup, region: Region) {
    let share = region.share(&domain());
    let inside = setup.rate.rate - setup.rate.delta - 0.3;
    let outside = 0.995;
    let (mut found, mut simplest) = (0, 0);
    let searches = 1000;
    for seed in 0..searches {
        let outcome = run(
            setup,
            seed,
            |p| if region.holds(p) { inside } else { outside },
        );
        assert!(shrink_decisions(&outcome) <= setup.shrink);
        if let Some((at, _)) = outcome.counterexample {
            assert_eq!(outcome.verdict(), Verdict::Refuted);
            found += 1;
            let point = &outcome.trials[at].settings;
            simplest += usize::from(describe(point) == region.simplest());
        }
    }
    // Drawn uniformly, N points miss a region of share f with probability (1 − f)^N.
    let expected = 1.0 - (1.0 - share).powi(setup.points as i32);
    eprintln!(
        "region share {share:.3}: found in {found} of {searches} (expected {expected:.4}), shrunk to its simplest point in {simplest}"
    );
    let (low, high) = clopper_pearson(found, searches, 0.99);
    assert!(
        high >= expected && (expected > 0.99 || low <= expected),
        "found in {found} of {searches}; expected {expected:.4} (share {share:.3})"
    );
    if expected > 0.99 {
        assert!(found as f64 >= 0.99 * searches as f64, "found in {found}");
    }
    assert!(
        simplest as f64 >= 0.99 * found as f64,
        "shrunk to the simplest point in {simplest} of {found}"
    );
}

/// At the margin everywhere (rate p + δ, where a test may refute with probability α), a
/// confirmed counterexample is rare: within 2·N·α·α_c.
fn few_false_counterexamples(setup: Setup) {
    let searches = 1000;
    let mut false_ones = 0;
    let mut held = 0;
    for seed in 0..searches {
        let outcome = run(setup, seed, |_| setup.rate.rate + setup.rate.delta);
        assert!(shrink_decisions(&outcome) <= setup.shrink);
        false_ones += u64::from(outcome.counterexample.is_some());
        held += u64::from(outcome.verdict() == Verdict::Holds);
    }
    let bound = 2.0 * setup.points as f64 * setup.alpha * setup.alpha;
    eprintln!(
        "at the margin: {false_ones} false counterexamples in {searches} (bound {bound}), {held} held"
    );
    let (low, _) = clopper_pearson(false_ones, searches, 0.99);
    assert!(
        low <= bound,
        "{false_ones} false counterexamples in {searches}; bound {bound}"
    );
    assert!(held > searches / 2, "held in {held} of {searches}");
}

#[test]
fn the_region_is_found_and_shrunk_to_its_simplest_point_with_the_defaults() {
    finds_and_shrinks(DEFAULTS, LARGE);
}

#[test]
fn a_small_region_is_found_as_often_as_its_share_says_with_the_defaults() {
    finds_and_shrinks(DEFAULTS, SMALL);
}

#[test]
fn the_region_is_found_and_shrunk_to_its_simplest_point_with_other_settings() {
    finds_and_shrinks(OTHER, LARGE);
}

#[test]
fn a_small_region_is_found_as_often_as_its_share_says_with_other_settings() {
    finds_and_shrinks(OTHER, SMALL);
}

#[test]
fn false_counterexamples_stay_within_the_bound_with_the_defaults() {
    few_false_counterexamples(DEFAULTS);
}

#[test]
fn false_counterexamples_stay_within_the_bound_with_other_settings() {
    few_false_counterexamples(OTHER);
}

#[test]
fn shrinking_ends_within_a_small_budget_and_keeps_a_refuted_point() {
    for shrink in [0, 1, 3, 7] {
        for seed in 0..200 {
            let setup = Setup { shrink, ..DEFAULTS };
            let outcome = run(setup, seed, |p| if in_region(p) { 0.3 } else { 0.995 });
            assert!(shrink_decisions(&outcome) <= shrink);
            if let Some((at, confirmed)) = outcome.counterexample {
                assert!(in_region(&outcome.trials[at].settings));
                assert_eq!(outcome.trials[confirmed].stage, Stage::Confirm);
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_search() {
    let rate = |p: &[Setting]| if in_region(p) { 0.5 } else { 0.97 };
    let a = run(DEFAULTS, 3, rate);
    let b = run(DEFAULTS, 3, rate);
    let path = |o: &Outcome<()>| -> Vec<String> {
        o.trials
            .iter()
            .map(|t| format!("{:?} {} {}", t.stage, describe(&t.settings), t.verdict))
            .collect()
    };
    assert_eq!(path(&a), path(&b));
    assert_eq!(a.counterexample, b.counterexample);
}

#[test]
fn a_kept_counterexample_is_replayed_first_and_its_fix_is_seen() {
    let domain = domain();
    let kept = vec![
        domain
            .simplest()
            .into_iter()
            .map(|mut s| {
                s.value = match s.name.as_str() {
                    "n" => 17.into(),
                    "k" => 3.into(),
                    _ => "b".into(),
                };
                s
            })
            .collect::<Vec<_>>(),
    ];
    let (points, _) = domain.draw(0, 20).unwrap();
    let mut decide = decider(DEFAULTS, 0, |p| if in_region(p) { 0.3 } else { 0.995 });
    let outcome = search(&domain, &kept, &points, 40, &mut decide, &|| false);
    assert_eq!(outcome.trials[0].stage, Stage::Kept);
    assert_eq!(
        outcome.trials.len(),
        2,
        "replayed and confirmed, nothing else"
    );
    assert_eq!(outcome.counterexample, Some((0, 1)));
    // The cause removed: the claim now holds everywhere, and the report says so.
    let mut decide = decider(DEFAULTS, 0, |_| 0.995);
    let outcome = search(&domain, &kept, &points, 40, &mut decide, &|| false);
    use implreg::claim::decide::search::Replay;
    assert_eq!(outcome.kept[0].1, Replay::NoLongerRefutes);
    assert_eq!(outcome.verdict(), Verdict::Holds);
}

#[test]
fn a_stopped_search_is_inconclusive() {
    let domain = domain();
    let (points, _) = domain.draw(0, 20).unwrap();
    let mut decide = decider(DEFAULTS, 0, |_| 0.995);
    let calls = std::cell::Cell::new(0);
    let stopped = || {
        calls.set(calls.get() + 1);
        calls.get() > 5
    };
    let outcome = search(&domain, &[], &points, 40, &mut decide, &stopped);
    assert!(outcome.points < 20);
    assert_eq!(outcome.verdict(), Verdict::Inconclusive);
}

#[test]
fn shrinking_ends_on_integers_wider_than_a_float_resolves() {
    // Past 2^53 neighbouring integers share a float: bisection must still end.
    let domain = Domain {
        dimensions: vec![dimension("x", "{int: [0, 9000000000000000000]}")],
        constraints: vec![],
    };
    let edge = 4_611_686_018_427_388_000_i64;
    let (points, _) = domain.draw(0, 20).unwrap();
    let refuted = |p: &[Setting]| int(p, "x") >= edge;
    let mut decide = |p: &[Setting], _: Stage| {
        let verdict = if refuted(p) {
            Verdict::Refuted
        } else {
            Verdict::Holds
        };
        (verdict, ())
    };
    let outcome = search(&domain, &[], &points, 200, &mut decide, &|| false);
    let (at, _) = outcome.counterexample.expect("a counterexample");
    let shrunk = int(&outcome.trials[at].settings, "x");
    assert!(refuted(&outcome.trials[at].settings));
    assert!(
        shrunk - edge <= 1024,
        "shrunk to {shrunk}, the edge is {edge}"
    );
}
