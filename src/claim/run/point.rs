//! One point of a claim over its seeds: every seed runs independently, in parallel
//! (`seed::run`); then the seeds each assertion held for are counted (a fixed block), or fed in
//! seed order to each assertion's sequential test until the point is decided
//! (`decide::sequential`).

use super::context::Context;
use super::seed::{self, SeedOutcome};
use super::watch;
use crate::claim::decide::sequential::{self, Ending, Sprt};
use crate::claim::decide::verdict;
use crate::claim::language::recorded::RecordedValues;
use crate::claim::read::sampling::ErrorRates;
use crate::claim::read::spec::{ClaimSpec, Sampling, Seeds};
use crate::claim::report::claim::{AssertionReport, ClaimReport, SeedResult};
use crate::solver::Bounds;
use rayon::prelude::*;
use std::time::Instant;

/// How a claim's evaluation ended when a seed was cut short: by the claim's deadline (and not
/// by its cancel token), or from outside.
fn cut_short(bounds: &Bounds) -> Ending {
    let late = bounds.deadline.is_some_and(|d| Instant::now() >= d);
    if late && !bounds.cancel.is_cancelled() {
        Ending::Time
    } else {
        Ending::Interrupted
    }
}

/// Evaluates the claim at one point over its own seeds, or over `seeds` when given (to check
/// that a claim does not depend on a lucky block of seeds; for a sequential claim, the first
/// seed and budget), within `context`: its bounds, store and listener. A seed with a run stopped from
/// outside (the cancel token, the claim's deadline) or missing from a read-only store counts for
/// nothing: the claim is then left interrupted, with no verdict that counts.
pub fn evaluate(claim: &ClaimSpec, seeds: Option<Seeds>, context: &Context) -> ClaimReport {
    let started = Instant::now();
    let block = seeds.unwrap_or(claim.seeds);
    let plans = watch::plans(claim);
    let context = &per_run(context, claim, block);
    let run = |seeds: &[u64]| -> Vec<SeedOutcome> {
        seeds
            .par_iter()
            .map(|&seed| seed::run(claim, &plans, seed, seed == block.from, context))
            .collect()
    };
    let column = |outcomes: &[SeedOutcome], k: usize| -> Vec<SeedResult> {
        outcomes.iter().map(|o| o.assertions[k].clone()).collect()
    };
    let (outcomes, assertions, ending): (Vec<SeedOutcome>, Vec<AssertionReport>, Ending) =
        match claim.sampling {
            Sampling::Fixed => {
                let outcomes = run(&block.list());
                let ending = if outcomes.iter().any(SeedOutcome::interrupted) {
                    cut_short(&context.bounds)
                } else {
                    Ending::Decided
                };
                let assertions = claim
                    .assertions
                    .iter()
                    .enumerate()
                    .map(|(k, a)| AssertionReport::fixed(a, column(&outcomes, k), ending))
                    .collect();
                (outcomes, assertions, ending)
            }
            Sampling::Sequential(errors) => {
                let (alpha, tests) = sequential_tests(claim, errors);
                let batch = rayon::current_num_threads();
                let sequence = sequential::sequence(
                    block.from,
                    block.count,
                    batch,
                    tests,
                    run,
                    |outcome, k| outcome.assertions[k].passed,
                    SeedOutcome::interrupted,
                );
                let ending = match sequence.ending {
                    Ending::Interrupted => cut_short(&context.bounds),
                    ending => ending,
                };
                let assertions = claim
                    .assertions
                    .iter()
                    .zip(&sequence.tests)
                    .enumerate()
                    .map(|(k, (a, test))| {
                        let per_seed = column(&sequence.outcomes, k);
                        AssertionReport::sequential(a, per_seed, test, (alpha, errors.beta), ending)
                    })
                    .collect();
                (sequence.outcomes, assertions, ending)
            }
        };
    let verdict = verdict::of(assertions.iter().map(|a| a.decision), false);
    let interrupted = ending == Ending::Interrupted;
    let recorded = claim
        .recorded
        .iter()
        .enumerate()
        .map(|(k, r)| RecordedValues {
            text: r.text.clone(),
            values: outcomes.iter().map(|o| o.recorded[k]).collect(),
        })
        .collect();
    ClaimReport {
        id: claim.id.clone(),
        title: claim.title.clone(),
        file: claim.file.display().to_string(),
        source: claim.source.clone(),
        sampling: claim.sampling,
        seeds: outcomes.iter().map(|o| o.seed).collect(),
        ending,
        assertions,
        verdict,
        expected: claim.verdict,
        matches: verdict == claim.verdict && !interrupted,
        interrupted,
        missing: outcomes
            .iter()
            .filter(|o| o.missing)
            .map(|o| o.seed)
            .collect(),
        runs: outcomes.into_iter().flat_map(|o| o.runs).collect(),
        recorded,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Runs `claim` on exactly the seeds of `block` and counts every assertion, rates included (left
/// `open`: nothing is decided sequentially): how a rate is measured before it is claimed.
pub fn measure(claim: &ClaimSpec, block: Seeds, context: &Context) -> ClaimReport {
    let fixed = ClaimSpec {
        sampling: Sampling::Fixed,
        seeds: block,
        ..claim.clone()
    };
    evaluate(&fixed, None, context)
}

/// Solves (or finds in `context.store`) every run of `claim` on `seeds`, taken from the block
/// `block` the claim is evaluated on (its first seed draws the figures' curves), and keeps
/// them in the store: a shard's share of the work. Evaluates nothing.
pub fn solve_seeds(claim: &ClaimSpec, block: Seeds, seeds: &[u64], context: &Context) {
    let plans = watch::plans(claim);
    let context = &per_run(context, claim, block);
    seeds.par_iter().for_each(|&seed| {
        seed::run(claim, &plans, seed, seed == block.from, context);
    });
}

/// A sequential claim's tests, one per assertion, and the α each has: α is split equally
/// across the assertions (the claim is refuted when any one is).
fn sequential_tests(claim: &ClaimSpec, errors: ErrorRates) -> (f64, Vec<Sprt>) {
    let alpha = errors.alpha / claim.assertions.len() as f64;
    let tests = claim
        .assertions
        .iter()
        .map(|a| {
            let rate = a
                .over_seeds
                .rate()
                .expect("a sequential claim has rates only");
            Sprt::new(rate, alpha, errors.beta)
        })
        .collect();
    (alpha, tests)
}

/// The fewest seeds that can decide `claim`: its whole block when fixed, else the longest
/// straight run of successes one of its tests needs to hold.
pub fn fewest_seeds(claim: &ClaimSpec) -> u64 {
    match claim.sampling {
        Sampling::Fixed => claim.seeds.count,
        Sampling::Sequential(errors) => sequential_tests(claim, errors)
            .1
            .iter()
            .map(Sprt::fewest_to_hold)
            .max()
            .unwrap_or(1),
    }
}

/// The context each run is solved in: the point's work limit shared by its seeds (the block,
/// or the sequence's budget) and its runs.
fn per_run<'a>(context: &Context<'a>, claim: &ClaimSpec, block: Seeds) -> Context<'a> {
    context.shared(block.count as f64 * claim.runs.len() as f64)
}
