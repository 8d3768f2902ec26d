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
        let (point, block) = match decision(claim, searched, &seeds, settings, stage) {
            Ok(decision) => decision,
            Err(e) => return (Verdict::Inconclusive, Err(e)),
        };
        let mut report = point::evaluate(&point, Some(block), &share).settle(context.endpoints);
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

/// What deciding `settings` at `stage` runs: the point's claim (at the confirmation's level
/// for a confirmation) and its block of seeds (the disjoint one for a confirmation).
fn decision(
    claim: &Claim,
    searched: &Searched,
    seeds: &impl Fn(&ClaimSpec) -> Option<Seeds>,
    settings: &[Setting],
    stage: Stage,
) -> Result<(ClaimSpec, Seeds), String> {
    let point = match claim.points.iter().find(|p| p.settings == settings) {
        Some(p) => p.spec.clone(),
        None => searched.at(settings).map_err(|e| e.to_string())?,
    };
    let block = seeds(&point).unwrap_or(point.seeds);
    Ok(match stage {
        Stage::Confirm => (
            confirming(point, searched.spec.confirm),
            confirmation_seeds(block),
        ),
        _ => (point, block),
    })
}

/// The first decision a search cannot make from the store (`context` reads it only):
/// which stage, the point's claim and block, and the seeds it lacks. None when the store
/// decides the whole search. A round of shards solves these (`shard::plan`): the search is
/// adaptive, so the decisions after a refuted point are known only one at a time.
pub fn next_needed(
    claim: &Claim,
    searched: &Searched,
    seeds: impl Fn(&ClaimSpec) -> Option<Seeds>,
    context: &Context,
) -> Option<Needed> {
    let spec = &searched.spec;
    let most = searched.kept.len() * 2 + spec.points + spec.shrink + 2;
    let share = context.shared(most as f64);
    let needed: Cell<Option<Needed>> = Cell::new(None);
    let found = Cell::new(false);
    let mut decide = |settings: &[Setting], stage: Stage| -> (Verdict, ()) {
        let Ok((point, block)) = decision(claim, searched, &seeds, settings, stage) else {
            return (Verdict::Inconclusive, ());
        };
        let report = point::evaluate(&point, Some(block), &share);
        if !report.missing.is_empty() {
            found.set(true);
            needed.set(Some(Needed {
                stage,
                settings: settings.to_vec(),
                missing: report.missing,
                spec: point,
                block,
            }));
            return (Verdict::Inconclusive, ());
        }
        (report.verdict, ())
    };
    let points: Vec<Vec<Setting>> = claim.points.iter().map(|p| p.settings.clone()).collect();
    search::search(
        &spec.domain,
        &searched.kept,
        &points,
        spec.shrink,
        &mut decide,
        &|| found.get(),
    );
    needed.into_inner()
}

/// A decision the store cannot make yet (`next_needed`).
#[derive(Debug)]
pub struct Needed {
    /// Where the search is: replaying, drawing, shrinking or confirming.
    pub stage: Stage,
    /// The point.
    pub settings: Vec<Setting>,
    /// Its claim, as the decision runs it.
    pub spec: ClaimSpec,
    /// The block its seeds come from.
    pub block: Seeds,
    /// The seeds of the block the store lacks (as `point::evaluate` found them).
    pub missing: Vec<u64>,
}

/// The claim as a confirmation decides it: at level `alpha` when one is given (a sequential
/// claim), else as it is.
fn confirming(mut claim: ClaimSpec, alpha: Option<f64>) -> ClaimSpec {
    if let (Sampling::Sequential(errors), Some(alpha)) = (claim.sampling, alpha) {
        claim.sampling = Sampling::Sequential(ErrorRates { alpha, ..errors });
    }
    claim
}
