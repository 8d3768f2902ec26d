//! A searched claim evaluated: `decide::search` walks its domain, and each point it asks for
//! is decided here as an ordinary claim (`run::point`) through the context's store — on the
//! claim's own seeds, or for a confirmation on the disjoint block that follows them, at the
//! confirmation's level. The search stops before a new decision once its wall-time budget,
//! the claim's deadline or the cancel token says so.

use super::context::Context;
use super::point;
use crate::claim::decide::search::{self, Stage};
use crate::claim::read::grid::{Claim, Searched};
use crate::claim::read::parameters::Setting;
use crate::claim::read::sampling::ErrorRates;
use crate::claim::read::spec::{ClaimSpec, Sampling, Seeds, Verdict};
use crate::claim::report::search::{Detail, SearchReport};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The seeds a confirmation runs on: the block of as many that follows `block`.
pub fn confirmation_seeds(block: Seeds) -> Seeds {
    Seeds {
        from: block.from + block.count,
        count: block.count,
    }
}

/// Searches `claim`'s domain (on `seeds` when given, per point as `point::evaluate` does);
/// `on_point` hears of each decision as it starts (its index, and the most the search may
/// make).
pub fn evaluate(
    claim: &Claim,
    searched: &Searched,
    seeds: impl Fn(&ClaimSpec) -> Option<Seeds>,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
) -> SearchReport {
    let started = Instant::now();
    let spec = &searched.spec;
    let most = searched.kept.len() * 2 + spec.points + spec.shrink + 2;
    let share = context.shared(most as f64);
    let decided = Cell::new(0);
    let mut decide = |settings: &[Setting], stage: Stage| -> (Verdict, Detail) {
        on_point(decided.get(), most);
        decided.set(decided.get() + 1);
        let point = match claim.points.iter().find(|p| p.settings == settings) {
            Some(p) => p.spec.clone(),
            None => match searched.at(settings) {
                Ok(spec) => spec,
                Err(e) => return (Verdict::Inconclusive, Err(e.to_string())),
            },
        };
        let block = seeds(&point).unwrap_or(point.seeds);
        let (point, block) = match stage {
            Stage::Confirm => (confirming(point, spec.confirm), confirmation_seeds(block)),
            _ => (point, block),
        };
        let mut report = point::evaluate(&point, Some(block), &share);
        let verdict = if report.interrupted {
            Verdict::Inconclusive
        } else {
            report.verdict
        };
        // Only a refuted point can be the counterexample its runs are shown for.
        if verdict != Verdict::Refuted {
            report.runs.clear();
        }
        (verdict, Ok(report))
    };
    let budget = spec.seconds.map(|s| started + Duration::from_secs_f64(s));
    let stopped = || {
        let now = Instant::now();
        context.bounds.cancel.is_cancelled()
            || context.bounds.deadline.is_some_and(|d| now >= d)
            || budget.is_some_and(|d| now >= d)
    };
    let points: Vec<Vec<Setting>> = claim.points.iter().map(|p| p.settings.clone()).collect();
    let outcome = search::search(
        &spec.domain,
        &searched.kept,
        &points,
        spec.shrink,
        &mut decide,
        &stopped,
    );
    SearchReport::gather(claim, searched, outcome, started.elapsed().as_secs_f64())
}

/// The claim as a confirmation decides it: at level `alpha` when one is given (a sequential
/// claim), else as it is.
fn confirming(mut claim: ClaimSpec, alpha: Option<f64>) -> ClaimSpec {
    if let (Sampling::Sequential(errors), Some(alpha)) = (claim.sampling, alpha) {
        claim.sampling = Sampling::Sequential(ErrorRates { alpha, ..errors });
    }
    claim
}
