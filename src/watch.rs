//! What a run watches at every step, beyond the log-spaced trace: the extremes of the loss, the
//! largest entry and (on request) the determinant over *every* step, and the end-to-end matrix
//! at chosen moments: the start, and the first step where the loss falls to a threshold. Claims
//! about trajectories (Razin & Cohen 2020: "the determinant never changes sign") need every step,
//! not samples.

use nalgebra::DMatrix;
use serde::Serialize;

/// What a claim asks one run to watch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Watch {
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
    /// The largest |Wᵢⱼ| seen.
    pub max_entry: f64,
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
                max_entry: 0.0,
                min_det: watch.determinant.then_some(f64::INFINITY),
                max_det: watch.determinant.then_some(f64::NEG_INFINITY),
            },
            initial: None,
            at_loss: watch.thresholds.iter().map(|&t| (t, None)).collect(),
        }
    }

    /// Takes in one step.
    pub fn observe(&mut self, step: usize, loss: f64, w: &DMatrix<f64>) {
        let e = &mut self.extremes;
        e.min_loss = e.min_loss.min(loss);
        e.max_loss = e.max_loss.max(loss);
        e.max_entry = w.iter().fold(e.max_entry, |m, x| m.max(x.abs()));
        // Watched exactly when the extremes were started (`new`).
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
