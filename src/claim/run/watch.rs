//! What each run of a claim must watch, planned once per claim point from its assertions and its
//! figures' curves: one plan that gives the solver its observers' settings (`solver::Watch`)
//! and the store key its canonical form (`WatchPlan::key`), so that a record is found again
//! exactly when it holds what is asked.

use crate::claim::language::expr::{Expr, Moment, Quantity, Reference, Subject};
use crate::claim::language::measured::Measured;
use crate::claim::language::recorded::Recorded;
use crate::claim::language::registry::Needs;
use crate::claim::read::spec::ClaimSpec;
use crate::problem::{Problem, Reduction};
use crate::solver::observe::Snapshot;
use crate::solver::{Condition, Curve, Watch, When};
use serde::Serialize;
use std::collections::BTreeMap;

/// A condition whose spectrum is computed at every step only for matrices this small (in
/// entries); larger ones are checked `solver::watch::CONDITION_PER_DECADE` times a decade
/// (registry: `when`).
pub const CHEAP_SPECTRUM: usize = crate::solver::watch::EVERY_STEP_ENTRIES;

/// A `when` condition as planned: its text (its name in the key), the expression, and whether
/// it is cheap enough to check at every step.
struct Planned<'c> {
    text: &'c str,
    condition: &'c Expr,
    every_step: bool,
}

/// What one run must watch: the extremes asked for, the moments (`When::First(k)` is condition
/// k), the conditions, and the quantities its curve follows on the first seed.
pub struct WatchPlan<'c> {
    entries: bool,
    determinant: bool,
    moments: Vec<When>,
    conditions: Vec<Planned<'c>>,
    curve: &'c [Recorded],
    /// Whether the problem is small enough for every condition to be checked at every step.
    small: bool,
}

/// A plan's canonical form, as the store key names what a record holds beyond the defaults.
#[derive(Serialize)]
pub struct WatchKey<'a> {
    entries: bool,
    determinant: bool,
    moments: &'a [When],
    /// Each condition's text and whether it is checked at every step.
    conditions: Vec<(&'a str, bool)>,
    /// The curve's quantities.
    curve: Vec<&'a str>,
}

/// The plan of every run of `claim`, by name.
pub fn plans(claim: &ClaimSpec) -> BTreeMap<&str, WatchPlan<'_>> {
    let (rows, cols) = claim.problem.shape();
    let mut plans: BTreeMap<&str, WatchPlan> = claim
        .runs
        .keys()
        .map(|name| {
            let plan = WatchPlan {
                entries: false,
                determinant: false,
                moments: Vec::new(),
                conditions: Vec::new(),
                curve: claim.curves.get(name).map_or(&[], Vec::as_slice),
                small: rows * cols <= CHEAP_SPECTRUM,
            };
            (name.as_str(), plan)
        })
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

impl<'c> WatchPlan<'c> {
    /// The watch's name for a moment (conditions are numbered as they were planned).
    pub fn when(&self, moment: &Moment) -> When {
        match moment {
            Moment::Initial => When::Initial,
            Moment::AtLoss(t) => When::AtLoss(*t),
            Moment::AtStep(k) => When::AtStep(*k),
            Moment::When { text, .. } => When::First(
                self.conditions
                    .iter()
                    .position(|c| c.text == text)
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
            && !self.conditions.iter().any(|c| c.text == text)
        {
            // The truth's spectrum is computed once; only the run's own costs every check.
            let spectral = condition.references().iter().any(|r| match &r.quantity {
                Quantity::Of(Subject::Current, call) => call.metric.spectral,
                _ => false,
            });
            self.conditions.push(Planned {
                text,
                condition,
                every_step: self.small || !spectral,
            });
        }
        if let Some(moment) = moment {
            let when = self.when(moment);
            if !self.moments.contains(&when) {
                self.moments.push(when);
            }
        }
    }

    /// The plan's canonical form for the store key; the curve only where it is drawn.
    pub fn key(&self, curve: bool) -> WatchKey<'_> {
        WatchKey {
            entries: self.entries,
            determinant: self.determinant,
            moments: &self.moments,
            conditions: self
                .conditions
                .iter()
                .map(|c| (c.text, c.every_step))
                .collect(),
            curve: if curve {
                self.curve.iter().map(|q| q.text.as_str()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// The checks this plan asks of a run on one seed's problem; the curve only where `curve`.
    pub fn on<'a>(&'a self, along: AlongRun<'a>, curve: bool) -> Checks<'a> {
        Checks {
            conditions: self
                .conditions
                .iter()
                .map(|c| ConditionCheck {
                    condition: c.condition,
                    along,
                    every_step: c.every_step,
                })
                .collect(),
            curve: (curve && !self.curve.is_empty()).then_some(CurveCheck {
                quantities: self.curve,
                along,
            }),
        }
    }
}

/// A plan's checks on one seed's problem, which the solver's watch borrows.
pub struct Checks<'a> {
    conditions: Vec<ConditionCheck<'a>>,
    curve: Option<CurveCheck<'a>>,
}

impl Checks<'_> {
    /// Whether a figure's curve is followed.
    pub fn has_curve(&self) -> bool {
        self.curve.is_some()
    }

    /// The solver's watch for `plan` with these checks.
    pub fn watch<'w>(&'w self, plan: &WatchPlan) -> Watch<'w> {
        Watch {
            entries: plan.entries,
            determinant: plan.determinant,
            moments: plan.moments.clone(),
            conditions: self
                .conditions
                .iter()
                .map(|c| c as &dyn Condition)
                .collect(),
            curve: self.curve.as_ref().map(|c| c as &dyn Curve),
        }
    }
}

/// One run's matrix at a step, as a `when` condition or a figure's curve reads it: bare
/// metrics are the matrix's own, `truth.metric` the ground truth's.
#[derive(Clone, Copy)]
pub struct AlongRun<'a> {
    /// The seed's instance.
    pub problem: &'a Problem,
    /// The run's loss normalisation.
    pub reduction: Reduction,
    /// The ground truth, measured, where the instance has one.
    pub truth: Option<&'a Measured<'a>>,
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

    fn holds(&self, at: &Snapshot) -> bool {
        let a = &self.along;
        let current = Measured::at(*at, a.problem, a.reduction);
        self.condition.truth(&a.resolver(&current))
    }
}

/// What a figure follows along one run.
struct CurveCheck<'a> {
    quantities: &'a [Recorded],
    along: AlongRun<'a>,
}

impl Curve for CurveCheck<'_> {
    fn values(&self, at: &Snapshot) -> Vec<f64> {
        let a = &self.along;
        let current = Measured::at(*at, a.problem, a.reduction);
        let resolve = a.resolver(&current);
        self.quantities
            .iter()
            .map(|q| q.expr.number(&resolve))
            .collect()
    }
}
