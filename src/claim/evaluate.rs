//! Runs a claim: for every seed (independently, in parallel) generate the problem, solve every
//! run, measure, and evaluate every assertion; then count the seeds each assertion held for.

use super::expr::{Quantity, Reference, Subject};
use super::report::{AssertionReport, ClaimReport, RunRecord, SeedResult};
use super::spec::{ClaimSpec, Seeds, Verdict};
use crate::metrics::{self, MatrixMetrics, Metrics, Pairwise};
use crate::solver;
use crate::watch::{Watch, When};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// What one seed produced.
struct SeedOutcome {
    runs: Vec<RunRecord>,
    /// Per assertion: (passed, margin, referenced values).
    assertions: Vec<SeedResult>,
}

/// Evaluates `claim` over its own seeds, or over `seeds` when given (to check that a claim does
/// not depend on a lucky block of seeds).
pub fn evaluate(claim: &ClaimSpec, seeds: Option<Seeds>) -> ClaimReport {
    let started = Instant::now();
    let seeds = seeds.unwrap_or(claim.seeds).list();
    let watches = watches(claim);
    let outcomes: Vec<SeedOutcome> = seeds
        .par_iter()
        .map(|&seed| run_seed(claim, &watches, seed))
        .collect();
    let assertions: Vec<AssertionReport> = claim
        .assertions
        .iter()
        .enumerate()
        .map(|(k, assertion)| {
            let per_seed: Vec<SeedResult> =
                outcomes.iter().map(|o| o.assertions[k].clone()).collect();
            AssertionReport::new(assertion, per_seed)
        })
        .collect();
    let verdict = if assertions.iter().all(|a| a.holds) {
        Verdict::Holds
    } else {
        Verdict::Refuted
    };
    ClaimReport {
        id: claim.id.clone(),
        title: claim.title.clone(),
        file: claim.file.display().to_string(),
        source: claim.source.clone(),
        seeds,
        assertions,
        verdict,
        expected: claim.verdict,
        matches: verdict == claim.verdict,
        runs: outcomes.into_iter().flat_map(|o| o.runs).collect(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// What each run must watch for the claim's assertions: the entries for `max_entry`, the
/// determinant for `min_det`/`max_det`, the matrix at every `at_loss(t)` threshold.
fn watches(claim: &ClaimSpec) -> BTreeMap<&str, Watch> {
    let mut watches: BTreeMap<&str, Watch> = claim
        .runs
        .keys()
        .map(|name| (name.as_str(), Watch::default()))
        .collect();
    for reference in claim.assertions.iter().flat_map(|a| a.expr.references()) {
        let (name, when, metric) = match &reference.quantity {
            Quantity::Of(Subject::Run(name), metric) => (name, None, metric),
            Quantity::At(Subject::Run(name), when, metric) => (name, Some(when), metric),
            _ => continue,
        };
        let Some(watch) = watches.get_mut(name.as_str()) else {
            continue;
        };
        metric.request(watch);
        if let Some(When::AtLoss(threshold)) = when {
            watch.add_threshold(*threshold);
        }
    }
    watches
}

fn run_seed(claim: &ClaimSpec, watches: &BTreeMap<&str, Watch>, seed: u64) -> SeedOutcome {
    let problem = claim.problem.generate(seed);
    let solved: Vec<(&String, solver::Solution, Metrics)> = claim
        .runs
        .par_iter()
        .map(|(name, run)| {
            let solution = solver::solve_watching(run, &problem, seed, &watches[name.as_str()]);
            let metrics = Metrics::of(&solution, &problem, run.reduction());
            (name, solution, metrics)
        })
        .collect();
    let by_name: BTreeMap<&str, &Metrics> =
        solved.iter().map(|(n, _, m)| (n.as_str(), m)).collect();
    let truth = problem.truth.as_ref().map(|t| (t, MatrixMetrics::of(t)));
    // Claims are checked before anything runs, so a missing subject only reads as NaN.
    let matrix_of = |subject: &Subject| match subject {
        Subject::Run(name) => by_name.get(name.as_str()).map(|m| (&m.matrix, &m.spectrum)),
        Subject::Truth => truth.as_ref().map(|(w, spectrum)| (*w, spectrum)),
    };
    let resolve = |reference: &Reference| match &reference.quantity {
        Quantity::Of(Subject::Run(name), metric) => by_name
            .get(name.as_str())
            .map_or(f64::NAN, |m| m.value(metric)),
        Quantity::Of(Subject::Truth, metric) => truth.as_ref().map_or(f64::NAN, |(w, spectrum)| {
            metrics::matrix_value(w, spectrum, metric)
        }),
        Quantity::Between(Pairwise::CertifiedGap, a, Subject::Run(c)) => {
            let certificate = by_name.get(c.as_str()).and_then(|m| m.certificate.as_ref());
            match (matrix_of(a), certificate) {
                (Some((w, spectrum)), Some(certificate)) => {
                    metrics::certified_gap(w, spectrum, certificate, &problem)
                }
                _ => f64::NAN,
            }
        }
        Quantity::Between(Pairwise::RelDistance, a, b) => {
            match (matrix_of(a), matrix_of(b), problem.truth.as_ref()) {
                (Some((wa, _)), Some((wb, _)), Some(truth)) => {
                    metrics::relative_distance(wa, wb, truth)
                }
                _ => f64::NAN,
            }
        }
        Quantity::Between(..) => f64::NAN,
        Quantity::At(Subject::Run(name), when, metric) => by_name
            .get(name.as_str())
            .and_then(|m| m.at(*when))
            .map_or(f64::NAN, |m| m.value(metric)),
        Quantity::At(Subject::Truth, ..) => f64::NAN,
    };
    let assertions = claim
        .assertions
        .iter()
        .map(|assertion| SeedResult {
            seed,
            passed: assertion.expr.truth(&resolve),
            margin: assertion.expr.margin(&resolve),
            values: assertion
                .expr
                .references()
                .into_iter()
                .map(|r| (r.text.clone(), resolve(r)))
                .collect(),
        })
        .collect();
    let runs = solved
        .into_iter()
        .map(|(name, solution, metrics)| RunRecord::new(name, seed, &metrics, solution.trace))
        .collect();
    SeedOutcome { runs, assertions }
}
