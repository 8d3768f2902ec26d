//! Moments find the step they name: `at_step(k)` is step k, `when(condition)` the first step
//! where the condition holds, exactly when the condition is checked at every step, and within
//! the stated resolution (one step of a 100-a-decade schedule) when it is checked less often.

use implreg::claim::{self, Claim, ClaimSpec};
use implreg::solver::trace::Schedule;
use implreg::solver::watch::CONDITION_PER_DECADE;
use std::path::Path;

/// A claim with `runs` and one assertion `that` (evaluated over `seeds` seeds).
fn claim(problem: &str, runs: &str, that: &str, seeds: u64) -> ClaimSpec {
    let text = format!(
        "id: moments\ntitle: moments\nsource: {{ paper: test, where: here }}\nseeds: {{ from: 0, count: {seeds} }}\nproblem:\n  {problem}\nruns:\n  {runs}\nexpect:\n  - that: {that}\n    over_seeds: any\n    why: test\nverdict: holds\n"
    );
    Claim::parse(&text, Path::new("moments.yaml"))
        .unwrap()
        .points
        .remove(0)
        .spec
}

/// Every reference's value on every seed.
fn values(claim: &ClaimSpec) -> Vec<Vec<(String, f64)>> {
    let report = claim::run::point::evaluate(claim, None, &claim::Context::default());
    report.assertions[0]
        .per_seed
        .iter()
        .map(|s| s.values.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .collect()
}

fn value(values: &[(String, f64)], reference: &str) -> f64 {
    values
        .iter()
        .find(|(k, _)| k == reference)
        .unwrap_or_else(|| panic!("no {reference} in {values:?}"))
        .1
}

const RAZIN: &str = "explicit: { rows: 2, cols: 2, entries: [{ row: 0, col: 1, value: 1 }, { row: 1, col: 0, value: 1 }, { row: 1, col: 1, value: 0 }] }";
const DEPTH3: &str = "deep: { deep: { depth: 3, init: { balanced: { scale: 1.4142e-2 } }, det_sign: positive, optimizer: { gd: { lr: 1.0e-2 } }, loss: sum, target_loss: 1.0e-3, steps: 100000 } }";

/// Checks `run.when(condition)` on `seeds` seeds of `problem` with `runs`: on every seed it is
/// found past the start and, read through `metric` at that step and the one before, `holds`
/// of the value there and not before (the condition being checked at every step).
fn when_finds_the_first_step(
    (problem, runs, seeds): (&str, &str, u64),
    run: &str,
    condition: &str,
    metric: &str,
    holds: impl Fn(f64) -> bool,
) {
    let first = format!("{run}.when({condition}).steps");
    let found = values(&claim(problem, runs, &format!("{first} >= 0"), seeds));
    for (seed, found) in found.iter().enumerate() {
        let k = value(found, &first);
        assert!(
            k > 1.0,
            "seed {seed}: {metric} starts short, found step {k}"
        );
        let before = format!("{run}.at_step({}).{metric}", k - 1.0);
        let at = format!("{run}.at_step({k}).{metric}");
        let check = claim(problem, runs, &format!("{before} < 0 or {at} > 0"), seeds);
        let seen = &values(&check)[seed];
        assert!(!holds(value(seen, &before)), "seed {seed}: {seen:?}");
        assert!(holds(value(seen, &at)), "seed {seed}: {seen:?}");
    }
}

/// On a 2×2 matrix every condition is checked at every step: the step found is the first one.
#[test]
fn when_finds_the_first_step_on_a_small_matrix() {
    let condition = "abs(entry(0, 0)) >= 5";
    when_finds_the_first_step((RAZIN, DEPTH3, 3), "deep", condition, "entry(0, 0)", |x| {
        x.abs() >= 5.0
    });
}

/// On a 30×30 matrix a condition on singular values is checked 100 times a decade: the step found
/// satisfies it, and the checked step before it does not.
#[test]
fn when_is_within_its_resolution_on_a_large_matrix() {
    let problem = "completion: { rows: 30, cols: 30, rank: 2, observed: 250 }";
    let runs = "deep: { deep: { depth: 3, init: { gaussian: { scale: 1.0e-3 } }, optimizer: { normalised_gd: { lr: 1.0e-3 } }, target_loss: 5.0e-7, steps: 100000 } }";
    let first = "deep.when(sigma(1) >= 10).steps";
    let found = values(&claim(problem, runs, &format!("{first} >= 0"), 2));
    for (seed, found) in found.iter().enumerate() {
        let k = value(found, first) as usize;
        let mut schedule = Schedule::per_decade(CONDITION_PER_DECADE);
        let checked: Vec<usize> = (0..=k).filter(|&s| schedule.due(s)).collect();
        assert_eq!(
            checked.last(),
            Some(&k),
            "seed {seed}: {k} is not a checked step"
        );
        let previous = checked[checked.len() - 2];
        assert!(
            k as f64 <= 1.024 * (previous + 1) as f64,
            "{previous} → {k}"
        );
        let before = format!("deep.at_step({previous}).sigma(1)");
        let at = format!("deep.at_step({k}).sigma(1)");
        let check = claim(problem, runs, &format!("{before} < 10 and {at} >= 10"), 2);
        let report = claim::run::point::evaluate(&check, None, &claim::Context::default());
        assert!(
            report.assertions[0].per_seed[seed].passed,
            "seed {seed}: {report:?}"
        );
    }
}

/// `at_step` past the end of a run, and a condition that never holds, read as NaN (false).
#[test]
fn moments_never_reached_are_nan() {
    let that = "deep.at_step(1000000).sigma(1) > 0 or deep.when(sigma(1) > 1e9).steps > 0";
    let found = values(&claim(RAZIN, DEPTH3, that, 1));
    assert!(found[0].iter().all(|(_, v)| v.is_nan()), "{found:?}");
}

const TENSOR: &str = "tensor: { order: 3, dim: 4, rank: 2, observed: 40 }";
const CP: &str = "cp: { cp: { components: 6, scale: 1.0e-2, optimizer: { normalised_gd: { lr: 1.0e-2 } }, steps: 3000 } }";

/// A CP factorisation's component norms at a moment are those of its factors at that step: the
/// same run stopped there by its budget ends with them, bit for bit.
#[test]
fn components_at_a_moment_are_the_factors_at_that_step() {
    use implreg::measure::component_norms;
    use implreg::solver;
    let k = 700;
    let reads: Vec<String> = (1..=3)
        .map(|r| format!("cp.at_step({k}).component({r})"))
        .collect();
    let found = values(&claim(TENSOR, CP, &format!("{} > 0", reads.join(" + ")), 2));
    let short = claim(
        TENSOR,
        &CP.replace("steps: 3000", &format!("steps: {k}")),
        "cp.steps > 0",
        1,
    );
    let (problem, run) = (&short.problem, &short.runs["cp"]);
    for (seed, found) in found.iter().enumerate() {
        let instance = problem.generate(seed as u64);
        let end = solver::solve(run, &instance, seed as u64);
        assert_eq!(end.steps, k);
        let norms = component_norms(&end.factors);
        for (r, read) in reads.iter().enumerate() {
            assert_eq!(
                value(found, read).to_bits(),
                norms[r].to_bits(),
                "seed {seed}: {read}"
            );
        }
    }
}

/// A condition on a component's norm is checked at every step: `when` finds the first step
/// where the second component reaches 0.1, and the step before has it below.
#[test]
fn when_finds_the_step_a_component_becomes_significant() {
    let condition = "component(2) >= 0.1";
    when_finds_the_first_step((TENSOR, CP, 2), "cp", condition, "component(2)", |x| {
        x >= 0.1
    });
}
