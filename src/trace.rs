//! How a run is recorded over time: the metrics of the end-to-end matrix at log-spaced steps
//! (ten a decade: 0, 1, 2, …, 10, 13, 16, 20, 25, …) and at the last step.

use crate::metrics::{self, MatrixMetrics};
use nalgebra::DMatrix;
use serde::Serialize;

/// One sample of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub step: usize,
    pub train_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_mse: Option<f64>,
    #[serde(flatten)]
    pub matrix: MatrixMetrics,
}

/// The samples of a run in step order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Trace {
    pub samples: Vec<Sample>,
}

impl Trace {
    pub fn record(
        &mut self,
        step: usize,
        train_loss: f64,
        w: &DMatrix<f64>,
        truth: Option<&DMatrix<f64>>,
    ) {
        if self.samples.last().is_some_and(|s| s.step == step) {
            return;
        }
        self.samples.push(Sample {
            step,
            train_loss,
            test_mse: truth.map(|t| metrics::test_mse(w, t)),
            matrix: MatrixMetrics::of(w),
        });
    }
}

/// Log-spaced sampling steps: round(10^(k/10)) for k = 0, 1, …, without repeats, after step 0.
#[derive(Debug, Clone)]
pub struct Schedule {
    next: usize,
    exponent: u32,
}

impl Schedule {
    pub fn new() -> Self {
        Self {
            next: 0,
            exponent: 0,
        }
    }

    /// Whether `step` is a sampling step; steps must be asked in increasing order.
    pub fn due(&mut self, step: usize) -> bool {
        if step < self.next {
            return false;
        }
        while self.next <= step {
            self.next = 10f64.powf(f64::from(self.exponent) / 10.0).round() as usize;
            self.exponent += 1;
        }
        true
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_log_spaced() {
        let mut schedule = Schedule::new();
        let due: Vec<usize> = (0..=100).filter(|&s| schedule.due(s)).collect();
        assert_eq!(
            due,
            [
                0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 63, 79, 100
            ]
        );
    }
}
