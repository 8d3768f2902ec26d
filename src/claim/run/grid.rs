//! A claim's points evaluated in turn, each as an ordinary claim on its own seeds, then gathered
//! into the claim's report; a searched claim is handed to `run::search`.

use super::context::Context;
use super::point;
use super::search;
use crate::claim::read::grid::Claim;
use crate::claim::read::spec::{ClaimSpec, Seeds};
use crate::claim::report::claim::ClaimReport;
use crate::claim::report::sweep::{PointReport, Report, SweepReport};
use std::time::Instant;

/// Evaluates every point of `claim` (on `seeds` when given, per point as `point::evaluate` does),
/// then the assertions across points and the figures' data. `on_point` hears of each point as
/// it starts (its index and the number of points); `context.on_run` of each run as it finishes. Stops
/// after the point under way once the context's token is cancelled.
pub fn evaluate(
    claim: &Claim,
    seeds: impl Fn(&ClaimSpec) -> Option<Seeds>,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
) -> Report {
    if let Some(searched) = &claim.search {
        return Report::Search(Box::new(search::evaluate(
            claim, searched, seeds, context, on_point,
        )));
    }
    each_point(claim, context, on_point, |spec, context| {
        point::evaluate(spec, seeds(spec), context)
    })
}

/// Counts every assertion of every point (a searched claim's drawn points) over exactly the
/// seeds of `block`, deciding nothing (`point::measure`), then judges the assertions across points and gathers the figures on
/// those seeds: how a sweep's rates are measured before they are claimed.
pub fn measure(
    claim: &Claim,
    block: Seeds,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
) -> Report {
    each_point(claim, context, on_point, |spec, context| {
        point::measure(spec, block, context)
    })
}

/// Runs `point` at every point in grid order (stopping after the one under way once the
/// context's token is cancelled) and gives the claim's report.
fn each_point(
    claim: &Claim,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
    point: impl Fn(&ClaimSpec, &Context) -> ClaimReport,
) -> Report {
    let started = Instant::now();
    let share = per_point(claim, context);
    let mut points = Vec::with_capacity(claim.points.len());
    for (k, spec) in claim.points.iter().enumerate() {
        if k > 0 && context.bounds.cancel.is_cancelled() {
            break;
        }
        on_point(k, claim.points.len());
        points.push(PointReport {
            settings: spec.settings.clone(),
            report: point(&spec.spec, &share).settle(context.endpoints),
        });
    }
    if !claim.is_sweep() {
        let only = points.pop().expect("a claim has at least one point");
        return Report::Claim(only.report);
    }
    Report::Sweep(SweepReport::gather(
        claim,
        points,
        started.elapsed().as_secs_f64(),
    ))
}

/// The context each point of `claim` runs in: the work limit shared by the points, as when the
/// claim was read (a shard solving one point's seeds takes the same share).
pub fn per_point<'a>(claim: &Claim, context: &Context<'a>) -> Context<'a> {
    context.shared(claim.points.len() as f64)
}
