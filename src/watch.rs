//! What a run watches at every step, beyond the log-spaced trace: the extremes of the loss and
//! (on request) of the entries and the determinant over *every* step, and the end-to-end matrix
//! at chosen moments: the start, and the first step where the loss falls to a threshold. Claims
//! about trajectories (Razin & Cohen 2020: "the determinant never changes sign") need every step,
//! not samples. The end-to-end matrix is asked for only when something watched needs it: a
//! completion run does not otherwise form it (`solver::sampled`).

use nalgebra::DMatrix;
use serde::Serialize;

/// What a claim asks one run to watch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watch {
    /// Track the largest |Wᵢⱼ| (costs the end-to-end matrix at every step).
    pub entries: bool,
    /// Track the determinant's extremes (square problems; costs an LU per step beyond 3×3).
    pub determinant: bool,
    /// Keep the matrix at the first step whose loss is at or below each threshold.
    pub thresholds: Vec<f64>,
}

impl Watch {
    /// Adds a threshold once (thresholds compare by value).
    pub fn add_threshold(&mut self, threshold: f64) {
        if !self.thresholds.contains(&threshold) {
            self.thresholds.push(threshold);
        }
    }
}

/// Minima and maxima over every step of a run (NaN steps are reported by the run's status).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extremes {
    pub min_loss: f64,
    pub max_loss: f64,
    /// The largest |Wᵢⱼ| seen (watched on request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_entry: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_det: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_det: Option<f64>,
}

/// The end-to-end matrix at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub step: usize,
    pub matrix: DMatrix<f64>,
}

/// Where a moment is taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// Step 0.
    Initial,
    /// The first step whose loss is at or below the threshold.
    AtLoss(f64),
}

/// What a run saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub extremes: Extremes,
    pub initial: Option<Moment>,
    /// One entry per requested threshold; `None` while the loss has not reached it.
    pub at_loss: Vec<(f64, Option<Moment>)>,
}

impl Watched {
    pub fn new(watch: &Watch) -> Self {
        Self {
            extremes: Extremes {
                min_loss: f64::INFINITY,
                max_loss: f64::NEG_INFINITY,
                max_entry: watch.entries.then_some(0.0),
                min_det: watch.determinant.then_some(f64::INFINITY),
                max_det: watch.determinant.then_some(f64::NEG_INFINITY),
            },
            initial: None,
            at_loss: watch.thresholds.iter().map(|&t| (t, None)).collect(),
        }
    }

    /// Takes in one step; `matrix` gives the end-to-end matrix, asked for only when needed.
    pub fn observe<'w>(
        &mut self,
        step: usize,
        loss: f64,
        matrix: impl FnOnce() -> &'w DMatrix<f64>,
    ) {
        let e = &mut self.extremes;
        e.min_loss = e.min_loss.min(loss);
        e.max_loss = e.max_loss.max(loss);
        let moment_due = self.initial.is_none()
            || self
                .at_loss
                .iter()
                .any(|(threshold, taken)| taken.is_none() && loss <= *threshold);
        if !(moment_due || e.max_entry.is_some() || e.min_det.is_some()) {
            return;
        }
        let w = matrix();
        // Each extreme is watched exactly when it was started (`new`).
        if let Some(max_entry) = &mut e.max_entry {
            *max_entry = w.iter().fold(*max_entry, |m, x| m.max(x.abs()));
        }
        if let (Some(min), Some(max)) = (&mut e.min_det, &mut e.max_det) {
            let det = w.determinant();
            *min = min.min(det);
            *max = max.max(det);
        }
        let moment = || Moment {
            step,
            matrix: w.clone(),
        };
        if self.initial.is_none() {
            self.initial = Some(moment());
        }
        for (threshold, taken) in &mut self.at_loss {
            if taken.is_none() && loss <= *threshold {
                *taken = Some(moment());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_formed_only_when_something_watched_needs_it() {
        let w = DMatrix::from_element(2, 2, -3.0);
        let mut plain = Watched::new(&Watch::default());
        plain.observe(0, 1.0, || &w);
        plain.observe(1, 0.5, || panic!("nothing watched needs step 1's matrix"));
        assert_eq!(
            (plain.extremes.min_loss, plain.extremes.max_entry),
            (0.5, None)
        );
        let mut entries = Watched::new(&Watch {
            entries: true,
            ..Watch::default()
        });
        entries.observe(0, 1.0, || &w);
        assert_eq!(entries.extremes.max_entry, Some(3.0));
    }
}
