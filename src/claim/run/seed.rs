//! One seed of a claim point: draw the instance, solve every run through the store watching what
//! its plan asks, measure the records on demand, and resolve every assertion and recorded
//! quantity into what the seed produced.

use super::context::Context;
use super::watch::{AlongRun, WatchPlan};
use crate::claim::language::expr::{Quantity, Reference, Subject};
use crate::claim::language::measured::Measured;
use crate::claim::read::spec::ClaimSpec;
use crate::claim::report::claim::{RunReport, SeedResult, Summary};
use crate::external;
use crate::problem::Problem;
use crate::solver::{self, Bounds, RunRecord, RunSpec, Stop, When};
use crate::store::RunKey;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// What one seed produced.
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// Every run's report, in name order.
    pub runs: Vec<RunReport>,
    /// Every assertion's result, in order.
    pub assertions: Vec<SeedResult>,
    /// The claim's recorded quantities (`ClaimSpec::recorded`), in order.
    pub recorded: Vec<f64>,
    /// Whether a read-only store lacked one of its runs (then it has no runs or results).
    pub missing: bool,
}

impl SeedOutcome {
    /// Whether a run on this seed was stopped from outside, or is missing: then nothing it says
    /// counts.
    pub fn interrupted(&self) -> bool {
        self.missing || self.runs.iter().any(|r| r.record.stop == Stop::Interrupted)
    }

    /// A seed a read-only store lacked runs of: no runs, and nothing held.
    fn missing(claim: &ClaimSpec, seed: u64) -> Self {
        let nothing = SeedResult {
            seed,
            passed: false,
            margin: f64::NAN,
            values: BTreeMap::new(),
        };
        Self {
            seed,
            runs: Vec::new(),
            assertions: vec![nothing; claim.assertions.len()],
            recorded: vec![f64::NAN; claim.recorded.len()],
            missing: true,
        }
    }
}

/// Runs seed `seed` of `claim` (the block's `first` seed also follows the figures' curves).
pub fn run(
    claim: &ClaimSpec,
    plans: &BTreeMap<&str, WatchPlan>,
    seed: u64,
    first: bool,
    context: &Context,
) -> SeedOutcome {
    let problem = claim.problem.generate(seed);
    let truth = problem.truth.as_ref().map(|t| Measured::truth(t, &problem));
    let Some(records) = solve(claim, plans, &problem, truth.as_ref(), seed, first, context) else {
        return SeedOutcome::missing(claim, seed);
    };
    let measured = Measurements::of(claim, &records, &problem, truth.as_ref());
    let resolve = |reference: &Reference| measured.resolve(plans, reference);
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
    let recorded = claim
        .recorded
        .iter()
        .map(|r| {
            if r.boolean {
                f64::from(u8::from(r.expr.truth(&resolve)))
            } else {
                r.expr.number(&resolve)
            }
        })
        .collect();
    let summaries: Vec<_> = records
        .iter()
        .map(|(name, _)| {
            measured
                .ends
                .get(name.as_str())
                .map_or(NO_SUMMARY, RunReport::summary)
        })
        .collect();
    drop(measured);
    let runs = records
        .into_iter()
        .zip(summaries)
        .map(|((name, record), summary)| RunReport::new(name, seed, summary, record))
        .collect();
    SeedOutcome {
        seed,
        runs,
        assertions,
        recorded,
        missing: false,
    }
}

/// The headline measurements of a run that left no matrix.
const NO_SUMMARY: Summary = (f64::NAN, None, f64::NAN, f64::NAN);

/// Every run of the seed, in parallel, from the store or solved (and kept); `None` when a
/// read-only store lacked one.
fn solve<'c>(
    claim: &'c ClaimSpec,
    plans: &BTreeMap<&str, WatchPlan>,
    problem: &Problem,
    truth: Option<&Measured>,
    seed: u64,
    first: bool,
    context: &Context,
) -> Option<Vec<(&'c String, RunRecord)>> {
    let solved: Vec<(&String, Option<RunRecord>)> = claim
        .runs
        .par_iter()
        .map(|(name, run)| {
            let plan = &plans[name.as_str()];
            let along = AlongRun {
                problem,
                reduction: run.reduction(),
                truth,
            };
            // Figures draw the first seed's trajectories only.
            let checks = plan.on(along, first);
            let watch = checks.watch(plan);
            let solve = || match run {
                RunSpec::External(spec) if context.permission.allows(spec) => {
                    external::run(spec, problem, seed, &watch, &context.bounds)
                }
                RunSpec::External(_) => RunRecord::failed(
                    "its program is not allowed to run (`--allow-external`)".into(),
                ),
                _ => solver::solve_within(run, problem, seed, &watch, context.bounds.clone()),
            };
            let record = match context.store {
                None => Some(solve()),
                Some(store) => {
                    let watched = plan.key(checks.has_curve());
                    let key = RunKey::new(store.build(), &claim.problem, run, seed, &watched);
                    store
                        .get_or_solve(&key, solve)
                        .map(|record| within(record, &context.bounds, solve))
                }
            };
            (context.on_run)();
            (name, record)
        })
        .collect();
    solved
        .into_iter()
        .map(|(name, record)| record.map(|r| (name, r)))
        .collect()
}

/// A stored record as a fresh run under `bounds` would end: one that did more work than the
/// bounds allow is solved again (and stopped `work`), so the store never changes a result.
fn within(record: RunRecord, bounds: &Bounds, solve: impl FnOnce() -> RunRecord) -> RunRecord {
    let beyond = record
        .work
        .zip(bounds.work)
        .is_some_and(|(done, limit)| done > limit);
    if beyond { solve() } else { record }
}

/// Each run's end and the moments it reached, measured on demand, and the truth.
struct Measurements<'a> {
    ends: BTreeMap<&'a str, Measured<'a>>,
    moments: BTreeMap<&'a str, Vec<(When, Measured<'a>)>>,
    truth: Option<&'a Measured<'a>>,
}

impl<'a> Measurements<'a> {
    fn of(
        claim: &ClaimSpec,
        records: &'a [(&'a String, RunRecord)],
        problem: &'a Problem,
        truth: Option<&'a Measured<'a>>,
    ) -> Self {
        let mut ends = BTreeMap::new();
        let mut moments = BTreeMap::new();
        for (name, record) in records {
            let run = &claim.runs[*name];
            let reduction = run.reduction();
            // A run that left no matrix (another program's failure or time-out) has no end to
            // measure: every metric of it reads NaN.
            if record.matrix.is_empty() {
                continue;
            }
            let end = Measured::end_of(record, problem, reduction);
            ends.insert(name.as_str(), end.parameterised(run.parameterisation()));
            let taken = record.moments.iter().filter_map(|(when, moment)| {
                let m = moment.as_ref()?;
                let measured = Measured::at(m.snapshot(), problem, reduction);
                Some((*when, measured))
            });
            moments.insert(name.as_str(), taken.collect());
        }
        Self {
            ends,
            moments,
            truth,
        }
    }

    fn subject(&self, subject: &Subject) -> Option<&Measured<'a>> {
        match subject {
            Subject::Run(name) => self.ends.get(name.as_str()),
            Subject::Truth => self.truth,
            Subject::Current => None,
        }
    }

    /// A reference's value on this seed. Claims are checked before anything runs, so a missing
    /// subject only reads as NaN.
    fn resolve(&self, plans: &BTreeMap<&str, WatchPlan>, reference: &Reference) -> f64 {
        match &reference.quantity {
            Quantity::Of(s, call) => self.subject(s).map_or(f64::NAN, |m| call.value(m)),
            Quantity::Between(pairwise, a, b) => match (self.subject(a), self.subject(b)) {
                (Some(a), Some(b)) => (pairwise.value)(a, b),
                _ => f64::NAN,
            },
            Quantity::At(Subject::Run(name), moment, call) => {
                let when = plans[name.as_str()].when(moment);
                self.moments
                    .get(name.as_str())
                    .and_then(|taken| taken.iter().find(|(w, _)| *w == when))
                    .map_or(f64::NAN, |(_, m)| call.value(m))
            }
            Quantity::At(..) => f64::NAN,
        }
    }
}
