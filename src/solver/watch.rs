//! What a run watches at every step, beyond the log-spaced trace: the extremes of the loss and
//! (on request) of the entries and the determinant over *every* step, and the end-to-end matrix
//! at chosen moments: the start, a given step, the first step where the loss falls to a
//! threshold, and the first step where a condition holds. Claims about trajectories (Razin &
//! Cohen 2020: "the determinant never changes sign") need every step, not samples. The
//! end-to-end matrix is asked for only when something watched needs it: a completion run does
//! not otherwise form it (`solver::sampled`). The watch is an observer of the driver.

use super::curve::Curve;
use super::observe::{Observer, Probe, Snapshot};
use super::trace::{DENSE_PER_DECADE, Schedule};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A condition on the end-to-end matrix whose first step a claim asks for. The claim layer
/// implements it; the watch only asks it.
pub trait Condition: Sync {
    /// Whether it is cheap enough to check at every step; otherwise it is checked at
    /// `CONDITION_PER_DECADE` log-spaced steps a decade and at the last step.
    fn every_step(&self) -> bool;
    /// Whether it holds for the run's state `at`.
    fn holds(&self, at: &Snapshot) -> bool;
}

/// A matrix this small (in entries) has every condition checked at every step, whatever it
/// reads (the claim layer's plan), and another program is asked for every step of it.
pub const EVERY_STEP_ENTRIES: usize = 64;

/// How densely a condition too costly for every step is checked (`trace::DENSE_PER_DECADE`):
/// the step found is at most 2.3 % past the first step where it holds.
pub const CONDITION_PER_DECADE: u32 = DENSE_PER_DECADE;

/// Where a moment is taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum When {
    /// Step 0.
    Initial,
    /// The first step whose loss is at or below the threshold.
    AtLoss(f64),
    /// The given step.
    AtStep(usize),
    /// The first step checked where condition number k of the watch holds.
    First(usize),
}

/// What a claim asks one run to watch.
#[derive(Clone, Default)]
pub struct Watch<'c> {
    /// Track the largest |Wᵢⱼ| (costs the end-to-end matrix at every step).
    pub entries: bool,
    /// Track the determinant's extremes (square problems; costs an LU per step beyond 3×3).
    pub determinant: bool,
    /// Keep the matrix at these moments (the start is always kept).
    pub moments: Vec<When>,
    /// The conditions that `When::First(k)` refers to, by index.
    pub conditions: Vec<&'c dyn Condition>,
    /// What a figure follows along the run (`solver::curve`), if anything.
    pub curve: Option<&'c dyn Curve>,
}

impl fmt::Debug for Watch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("Watch")
            .field("entries", &self.entries)
            .field("determinant", &self.determinant)
            .field("moments", &self.moments)
            .field("conditions", &self.conditions.len())
            .field("curve", &self.curve.is_some())
            .finish()
    }
}

/// Minima and maxima over every step of a run (NaN steps are reported by the run's status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extremes {
    /// The smallest loss seen.
    pub min_loss: f64,
    /// The largest loss seen.
    pub max_loss: f64,
    /// The largest |Wᵢⱼ| seen (watched on request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_entry: Option<f64>,
    /// The smallest determinant seen (watched on request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_det: Option<f64>,
    /// The largest determinant seen (watched on request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_det: Option<f64>,
}

/// The end-to-end matrix at one step, with a CP factorisation's component norms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixAt {
    /// The step.
    pub step: usize,
    /// The end-to-end matrix there.
    pub matrix: DMatrix<f64>,
    /// The component norms there, largest first, for a method made of components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<f64>>,
}

impl MatrixAt {
    /// The moment as a claim reads it.
    pub fn snapshot(&self) -> Snapshot<'_> {
        Snapshot {
            step: self.step,
            matrix: &self.matrix,
            components: self.components.as_deref(),
        }
    }
}

/// Watches a run as the driver steps it.
pub(super) struct WatchObserver<'c> {
    extremes: Extremes,
    /// Every moment asked for, the start first; `None` until taken.
    moments: Vec<(When, Option<MatrixAt>)>,
    conditions: Vec<&'c dyn Condition>,
    /// When conditions too costly for every step are checked.
    samples: Schedule,
}

impl<'c> WatchObserver<'c> {
    pub(super) fn new(watch: &Watch<'c>) -> Self {
        let initial = std::iter::once(When::Initial);
        let asked = watch
            .moments
            .iter()
            .copied()
            .filter(|w| *w != When::Initial);
        Self {
            extremes: Extremes {
                min_loss: f64::INFINITY,
                max_loss: f64::NEG_INFINITY,
                max_entry: watch.entries.then_some(0.0),
                min_det: watch.determinant.then_some(f64::INFINITY),
                max_det: watch.determinant.then_some(f64::NEG_INFINITY),
            },
            moments: initial.chain(asked).map(|when| (when, None)).collect(),
            conditions: watch.conditions.clone(),
            samples: Schedule::per_decade(CONDITION_PER_DECADE),
        }
    }

    pub(super) fn finish(self) -> (Extremes, Vec<(When, Option<MatrixAt>)>) {
        (self.extremes, self.moments)
    }
}

/// Whether an untaken moment is taken at a step.
#[derive(Clone, Copy, PartialEq)]
enum Due {
    /// Now.
    Now,
    /// Now if condition k holds for the step's matrix.
    IfHolds(usize),
    /// Not at this step.
    No,
}

/// When `when` is due at `step` with `loss`; `sampled` says whether costly conditions are
/// checked at this step.
fn due(when: When, step: usize, loss: f64, sampled: bool, conditions: &[&dyn Condition]) -> Due {
    let now = match when {
        When::Initial => step == 0,
        When::AtLoss(threshold) => loss <= threshold,
        When::AtStep(k) => step == k,
        When::First(k) if sampled || conditions[k].every_step() => return Due::IfHolds(k),
        When::First(_) => false,
    };
    if now { Due::Now } else { Due::No }
}

impl Observer for WatchObserver<'_> {
    fn observe(&mut self, probe: &mut Probe) {
        let (step, loss) = (probe.step, probe.loss);
        let e = &mut self.extremes;
        e.min_loss = e.min_loss.min(loss);
        e.max_loss = e.max_loss.max(loss);
        // Only conditions read the schedule.
        let sampled = !self.conditions.is_empty() && (self.samples.due(step) || probe.last);
        let conditions = &self.conditions;
        // A moment is due now, or a condition is to be checked: both need the matrix.
        let pending = self.moments.iter().any(|(when, taken)| {
            taken.is_none() && due(*when, step, loss, sampled, conditions) != Due::No
        });
        let e = &self.extremes;
        if !(pending || e.max_entry.is_some() || e.min_det.is_some()) {
            return;
        }
        let at = probe.snapshot();
        let w = at.matrix;
        let e = &mut self.extremes;
        // Each extreme is watched exactly when it was started (`new`).
        if let Some(max_entry) = &mut e.max_entry {
            *max_entry = w.iter().fold(*max_entry, |m, x| m.max(x.abs()));
        }
        if let (Some(min), Some(max)) = (&mut e.min_det, &mut e.max_det) {
            let det = w.determinant();
            *min = min.min(det);
            *max = max.max(det);
        }
        let conditions = &self.conditions;
        for (when, taken) in &mut self.moments {
            let take = taken.is_none()
                && match due(*when, step, loss, sampled, conditions) {
                    Due::Now => true,
                    Due::IfHolds(k) => conditions[k].holds(&at),
                    Due::No => false,
                };
            if take {
                *taken = Some(MatrixAt {
                    step,
                    matrix: w.clone(),
                    components: at.components.map(<[f64]>::to_vec),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::driver::{Iterate, Stopping, drive};
    use crate::solver::trace::Test;

    /// W = c·I, halved at every step: a method whose matrix the test can predict.
    struct Halving {
        w: DMatrix<f64>,
        formed: usize,
    }

    impl Iterate for Halving {
        fn evaluate(&mut self) -> f64 {
            self.w[(0, 0)]
        }
        fn advance(&mut self) {
            self.w /= 2.0;
        }
        fn matrix(&mut self) -> &DMatrix<f64> {
            self.formed += 1;
            &self.w
        }
        fn finish(self) -> crate::solver::driver::Endpoint {
            crate::solver::driver::Endpoint {
                matrix: DMatrix::from_element(1, 1, self.formed as f64),
                factors: vec![self.w.clone()],
                certificate: None,
            }
        }
    }

    fn run(watch: &Watch, steps: usize) -> crate::solver::RunRecord {
        let method = Halving {
            w: DMatrix::identity(2, 2) * 64.0,
            formed: 0,
        };
        let stopping = Stopping {
            max_steps: steps,
            target_loss: None,
            bounds: crate::solver::driver::Bounds::default(),
        };
        drive(method, stopping, Test::default(), watch)
    }

    #[test]
    fn the_matrix_is_formed_only_when_something_watched_needs_it() {
        // Steps 0–3: the watch needs the matrix at step 0 only (the start); the trace samples
        // every one of them, so 4 + 1 requests; with `entries`, every step asks once more.
        let plain = run(&Watch::default(), 3);
        assert_eq!(plain.matrix[(0, 0)], 5.0);
        assert_eq!(
            (plain.extremes.min_loss, plain.extremes.max_entry),
            (8.0, None)
        );
        let entries = run(
            &Watch {
                entries: true,
                ..Watch::default()
            },
            3,
        );
        assert_eq!(entries.matrix[(0, 0)], 8.0);
        assert_eq!(entries.extremes.max_entry, Some(64.0));
        assert_eq!(entries.stop, crate::solver::Stop::Budget);
    }

    #[test]
    fn a_run_names_why_it_stopped() {
        let method = Halving {
            w: DMatrix::identity(2, 2) * 64.0,
            formed: 0,
        };
        let stopping = Stopping {
            max_steps: 100,
            target_loss: Some(10.0),
            bounds: crate::solver::driver::Bounds::default(),
        };
        let record = drive(method, stopping, Test::default(), &Watch::default());
        assert_eq!(
            (record.stop, record.steps),
            (crate::solver::Stop::Target, 3)
        );
        assert_eq!(record.status(), crate::solver::Status::Converged);
    }

    struct Below(f64);

    impl Condition for Below {
        fn every_step(&self) -> bool {
            true
        }
        fn holds(&self, at: &Snapshot) -> bool {
            at.matrix[(0, 0)] < self.0
        }
    }

    #[test]
    fn moments_are_taken_at_their_first_step() {
        let below = Below(5.0);
        let watch = Watch {
            moments: vec![
                When::AtStep(2),
                When::AtLoss(10.0),
                When::First(0),
                When::AtStep(99),
            ],
            conditions: vec![&below],
            ..Watch::default()
        };
        let record = run(&watch, 6);
        let step = |when| record.moment(&when).map(|m| m.step);
        assert_eq!(step(When::Initial), Some(0));
        assert_eq!(step(When::AtStep(2)), Some(2));
        assert_eq!(step(When::AtLoss(10.0)), Some(3));
        assert_eq!(step(When::First(0)), Some(4));
        assert_eq!(step(When::AtStep(99)), None);
        assert_eq!(record.moment(&When::First(0)).unwrap().matrix[(0, 0)], 4.0);
    }
}
