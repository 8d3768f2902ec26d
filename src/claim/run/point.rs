//! Runs a claim: for every seed (independently, in parallel) generate the problem, solve every
//! run watching what the assertions need, and evaluate every assertion on the runs' records
//! through the registry; then count the seeds each assertion held for (a fixed block), or feed
//! them in seed order to each assertion's sequential test until the claim is decided (`decide`).

use super::context::Context;
use crate::claim::decide::sequential::{self, Ending, Sprt};
use crate::claim::decide::verdict;
use crate::claim::language::expr::{Expr, Moment, Quantity, Reference, Subject};
use crate::claim::language::measured::Measured;
use crate::claim::language::recorded::{Recorded, RecordedValues};
use crate::claim::language::registry::Needs;
use crate::claim::read::sampling::ErrorRates;
use crate::claim::read::spec::{ClaimSpec, Sampling, Seeds};
use crate::claim::report::claim::{AssertionReport, ClaimReport, RunReport, SeedResult};
use crate::problem::{Problem, Reduction};
use crate::solver::{self, Bounds, Condition, Curve, RunRecord, Stop, Watch, When};
use crate::store::RunKey;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// A condition whose spectrum is computed at every step only for matrices this small (in
/// entries); larger ones are checked `solver::watch::CONDITION_PER_DECADE` times a decade
/// (registry: `when`).
pub const CHEAP_SPECTRUM: usize = 64;

/// What one seed produced.
struct SeedOutcome {
    seed: u64,
    runs: Vec<RunReport>,
    assertions: Vec<SeedResult>,
    /// The claim's recorded quantities (`ClaimSpec::recorded`), in order.
    recorded: Vec<f64>,
    /// Whether a read-only store lacked one of its runs (then it has no runs or results).
    missing: bool,
}

impl SeedOutcome {
    /// Whether a run on this seed was stopped from outside, or is missing: then nothing it says
    /// counts.
    fn interrupted(&self) -> bool {
        self.missing || self.runs.iter().any(|r| r.record.stop == Stop::Interrupted)
    }
}

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
/// outside (Ctrl-C, the claim's deadline) or missing from a read-only store counts for
/// nothing: the claim is then left interrupted, with no verdict that counts.
pub fn evaluate(claim: &ClaimSpec, seeds: Option<Seeds>, context: &Context) -> ClaimReport {
    let started = Instant::now();
    let block = seeds.unwrap_or(claim.seeds);
    let plans = plans(claim);
    let context = &per_run(context, claim, block);
    let run = |seeds: &[u64]| -> Vec<SeedOutcome> {
        seeds
            .par_iter()
            .map(|&seed| run_seed(claim, &plans, seed, seed == block.from, context))
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
    let plans = plans(claim);
    let context = &per_run(context, claim, block);
    seeds.par_iter().for_each(|&seed| {
        run_seed(claim, &plans, seed, seed == block.from, context);
    });
}

/// The context each run is solved in: the claim's work limit shared by its seeds (the block,
/// or the sequence's budget) and its runs.
fn per_run<'a>(context: &Context<'a>, claim: &ClaimSpec, block: Seeds) -> Context<'a> {
    let mut each = context.clone();
    let runs = (block.count as f64) * claim.runs.len() as f64;
    each.bounds.work = context.bounds.work.map(|w| w / runs);
    each
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

/// What one run must watch for the claim's assertions, planned once per claim.
#[derive(Default)]
struct Plan<'c> {
    entries: bool,
    determinant: bool,
    /// The moments asked for; `When::First(k)` is condition k.
    moments: Vec<When>,
    /// The `when` conditions, named by their text.
    conditions: Vec<(&'c str, &'c Expr)>,
}

impl<'c> Plan<'c> {
    /// The watch's name for a moment (conditions are numbered as they were planned).
    fn when(&self, moment: &Moment) -> When {
        match moment {
            Moment::Initial => When::Initial,
            Moment::AtLoss(t) => When::AtLoss(*t),
            Moment::AtStep(k) => When::AtStep(*k),
            Moment::When { text, .. } => When::First(
                self.conditions
                    .iter()
                    .position(|(t, _)| t == text)
                    .expect("every condition is planned"),
            ),
        }
    }

    fn add(&mut self, moment: Option<&'c Moment>, needs: Needs) {
        match needs {
            Needs::Nothing => {}
            Needs::Entries => self.entries = true,
            Needs::Determinant => self.determinant = true,
        }
        if let Some(Moment::When { condition, text }) = moment
            && !self.conditions.iter().any(|(t, _)| t == text)
        {
            self.conditions.push((text, condition));
        }
        if let Some(moment) = moment {
            let when = self.when(moment);
            if !self.moments.contains(&when) {
                self.moments.push(when);
            }
        }
    }
}

fn plans(claim: &ClaimSpec) -> BTreeMap<&str, Plan<'_>> {
    let mut plans: BTreeMap<&str, Plan> = claim
        .runs
        .keys()
        .map(|name| (name.as_str(), Plan::default()))
        .collect();
    for reference in claim.assertions.iter().flat_map(|a| a.expr.references()) {
        let (name, moment, call) = match &reference.quantity {
            Quantity::Of(Subject::Run(name), call) => (name, None, call),
            Quantity::At(Subject::Run(name), moment, call) => (name, Some(moment), call),
            _ => continue,
        };
        if let Some(plan) = plans.get_mut(name.as_str()) {
            plan.add(moment, call.metric.watch);
        }
    }
    plans
}

/// One run's matrix at a step, as a `when` condition or a figure's curve reads it: bare
/// metrics are the matrix's own, `truth.metric` the ground truth's.
struct AlongRun<'a> {
    problem: &'a Problem,
    reduction: Reduction,
    truth: Option<&'a Measured<'a>>,
}

impl AlongRun<'_> {
    fn resolver<'m>(&'m self, current: &'m Measured<'m>) -> impl Fn(&Reference) -> f64 + 'm {
        move |r: &Reference| match &r.quantity {
            Quantity::Of(Subject::Current, call) => call.value(current),
            Quantity::Of(Subject::Truth, call) => self.truth.map_or(f64::NAN, |t| call.value(t)),
            _ => f64::NAN,
        }
    }
}

/// A `when` condition as the watch asks it, on one seed's problem.
struct ConditionCheck<'a> {
    condition: &'a Expr,
    along: AlongRun<'a>,
    every_step: bool,
}

impl Condition for ConditionCheck<'_> {
    fn every_step(&self) -> bool {
        self.every_step
    }

    fn holds(&self, step: usize, w: &DMatrix<f64>) -> bool {
        let a = &self.along;
        let current = Measured::at_step(w, step, a.problem, a.reduction);
        self.condition.truth(&a.resolver(&current))
    }
}

/// What a figure follows along one run.
struct CurveCheck<'a> {
    quantities: &'a [Recorded],
    along: AlongRun<'a>,
}

impl Curve for CurveCheck<'_> {
    fn values(&self, step: usize, w: &DMatrix<f64>) -> Vec<f64> {
        let a = &self.along;
        let current = Measured::at_step(w, step, a.problem, a.reduction);
        let resolve = a.resolver(&current);
        self.quantities
            .iter()
            .map(|q| q.expr.number(&resolve))
            .collect()
    }
}

/// What a run's record holds beyond the defaults, as its store key names it: the watch and the
/// curve, by what the claim wrote.
#[derive(Serialize)]
struct Watched<'a> {
    entries: bool,
    determinant: bool,
    moments: &'a [When],
    /// Each condition's text and whether it is checked at every step.
    conditions: Vec<(&'a str, bool)>,
    /// The curve's quantities.
    curve: Vec<&'a str>,
}

fn run_seed(
    claim: &ClaimSpec,
    plans: &BTreeMap<&str, Plan>,
    seed: u64,
    first: bool,
    context: &Context,
) -> SeedOutcome {
    let problem = claim.problem.generate(seed);
    let truth = problem.truth.as_ref().map(|t| Measured::truth(t, &problem));
    let small = problem.rows * problem.cols <= CHEAP_SPECTRUM;
    let checks: BTreeMap<&str, Vec<ConditionCheck>> = plans
        .iter()
        .map(|(name, plan)| {
            let reduction = claim.runs[*name].reduction();
            let checks = plan.conditions.iter().map(|(_, condition)| {
                // The truth's spectrum is computed once; only the run's own costs every check.
                let spectral = condition.references().iter().any(|r| match &r.quantity {
                    Quantity::Of(Subject::Current, call) => call.metric.spectral,
                    _ => false,
                });
                ConditionCheck {
                    condition,
                    along: AlongRun {
                        problem: &problem,
                        reduction,
                        truth: truth.as_ref(),
                    },
                    every_step: small || !spectral,
                }
            });
            (*name, checks.collect())
        })
        .collect();
    // Figures draw the first seed's trajectories only.
    let curves: BTreeMap<&str, CurveCheck> = claim
        .curves
        .iter()
        .filter(|(name, quantities)| {
            first && !quantities.is_empty() && claim.runs.contains_key(*name)
        })
        .map(|(name, quantities)| {
            let along = AlongRun {
                problem: &problem,
                reduction: claim.runs[name].reduction(),
                truth: truth.as_ref(),
            };
            (name.as_str(), CurveCheck { quantities, along })
        })
        .collect();
    let solved: Vec<(&String, Option<RunRecord>)> = claim
        .runs
        .par_iter()
        .map(|(name, run)| {
            let plan = &plans[name.as_str()];
            let conditions = &checks[name.as_str()];
            let curve = curves.get(name.as_str());
            let watch = Watch {
                entries: plan.entries,
                determinant: plan.determinant,
                moments: plan.moments.clone(),
                conditions: conditions.iter().map(|c| c as &dyn Condition).collect(),
                curve: curve.map(|c| c as &dyn Curve),
            };
            let solve =
                || solver::solve_within(run, &problem, seed, &watch, context.bounds.clone());
            let record = match context.store {
                None => Some(solve()),
                Some(store) => {
                    let watched = Watched {
                        entries: plan.entries,
                        determinant: plan.determinant,
                        moments: &plan.moments,
                        conditions: plan
                            .conditions
                            .iter()
                            .zip(conditions)
                            .map(|((text, _), check)| (*text, check.every_step))
                            .collect(),
                        curve: curve.map_or_else(Vec::new, |c| {
                            c.quantities.iter().map(|q| q.text.as_str()).collect()
                        }),
                    };
                    let key = RunKey::new(store.build(), &claim.problem, run, seed, &watched);
                    store.get_or_solve(&key, solve)
                }
            };
            (context.on_run)();
            (name, record)
        })
        .collect();
    if solved.iter().any(|(_, record)| record.is_none()) {
        return SeedOutcome::missing(claim, seed);
    }
    let records: Vec<(&String, RunRecord)> = solved
        .into_iter()
        .map(|(name, record)| (name, record.expect("every run was found")))
        .collect();
    // Each run's end and the moments it reached, measured on demand.
    let mut ends: BTreeMap<&str, Measured> = BTreeMap::new();
    let mut moments: BTreeMap<&str, Vec<(When, Measured)>> = BTreeMap::new();
    for (name, record) in &records {
        let reduction = claim.runs[*name].reduction();
        ends.insert(name, Measured::end_of(record, &problem, reduction));
        let taken = record.moments.iter().filter_map(|(when, moment)| {
            let m = moment.as_ref()?;
            let measured = Measured::at_step(&m.matrix, m.step, &problem, reduction);
            Some((*when, measured))
        });
        moments.insert(name, taken.collect());
    }
    // Claims are checked before anything runs, so a missing subject only reads as NaN.
    let subject = |s: &Subject| match s {
        Subject::Run(name) => ends.get(name.as_str()),
        Subject::Truth => truth.as_ref(),
        Subject::Current => None,
    };
    let resolve = |reference: &Reference| match &reference.quantity {
        Quantity::Of(s, call) => subject(s).map_or(f64::NAN, |m| call.value(m)),
        Quantity::Between(pairwise, a, b) => match (subject(a), subject(b)) {
            (Some(a), Some(b)) => (pairwise.value)(a, b),
            _ => f64::NAN,
        },
        Quantity::At(Subject::Run(name), moment, call) => {
            let when = plans[name.as_str()].when(moment);
            moments
                .get(name.as_str())
                .and_then(|taken| taken.iter().find(|(w, _)| *w == when))
                .map_or(f64::NAN, |(_, m)| call.value(m))
        }
        Quantity::At(..) => f64::NAN,
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
        .map(|(name, _)| RunReport::summary(&ends[name.as_str()]))
        .collect();
    drop((moments, ends));
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

impl SeedOutcome {
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
