//! A classification instance written out in the claim: points xᵢ with labels yᵢ = ±1, fitted
//! with a margin loss, as a d×1 problem (the points are the measurements). The instance is
//! the same for every seed; seeds then vary only a run's initialisation. Nothing requires the
//! points to be separable: an instance that is not is a claim's to make.

use super::instance::{Family, Fit, Form, Observations, Problem};
use super::margin_loss::MarginLoss;
use crate::invalid::{Invalid, require};
use crate::random::Rng;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// `labelled: { points: [[x₁…], …], labels: [±1, …], loss: logistic | exponential }` (by
/// default logistic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledSpec {
    /// The points, each a list of d coordinates.
    pub points: Vec<Vec<f64>>,
    /// Each point's label, 1 or −1.
    pub labels: Vec<f64>,
    /// The loss the points are fitted with.
    #[serde(default)]
    pub loss: MarginLoss,
}

impl LabelledSpec {
    /// d, the points' dimension (of validated settings: every point has it).
    fn features(&self) -> usize {
        self.points.first().map_or(0, Vec::len)
    }
}

impl Family for LabelledSpec {
    fn shape(&self) -> (usize, usize) {
        (self.features(), 1)
    }

    fn has_truth(&self) -> bool {
        false
    }

    fn observations(&self) -> usize {
        self.points.len()
    }

    fn observes_entries(&self) -> bool {
        false
    }

    fn fit(&self) -> Fit {
        Fit::Margin(self.loss)
    }

    fn validate(&self) -> Result<(), Invalid> {
        require(!self.points.is_empty(), "points", || {
            "at least one point".into()
        })?;
        let d = self.features();
        for (i, point) in self.points.iter().enumerate() {
            let field = format!("points[{i}]");
            require(!point.is_empty() && point.len() == d, &field, || {
                format!(
                    "a point of {} coordinates, as the first, found {}",
                    d.max(1),
                    point.len()
                )
            })?;
            require(point.iter().all(|x| x.is_finite()), &field, || {
                "finite coordinates".into()
            })?;
        }
        require(self.labels.len() == self.points.len(), "labels", || {
            format!(
                "one label for each of the {} points, found {}",
                self.points.len(),
                self.labels.len()
            )
        })?;
        for (i, label) in self.labels.iter().enumerate() {
            require(
                *label == 1.0 || *label == -1.0,
                &format!("labels[{i}]"),
                || format!("a label 1 or -1, found {label}"),
            )?;
        }
        Ok(())
    }

    fn draw(&self, _: &mut Rng) -> Problem {
        let d = self.features();
        let points = DMatrix::from_fn(d, self.points.len(), |t, i| self.points[i][t]);
        Problem {
            rows: d,
            cols: 1,
            // Column i is vec(Aᵢ) = xᵢ.
            observations: Observations::Measurements {
                matrices: points,
                targets: DVector::from_column_slice(&self.labels),
            },
            truth: None,
            fit: self.fit(),
            held_out: None,
            form: Form::Matrix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(points: Vec<Vec<f64>>, labels: Vec<f64>) -> LabelledSpec {
        LabelledSpec {
            points,
            labels,
            loss: MarginLoss::Exponential,
        }
    }

    #[test]
    fn the_instance_is_the_points_and_labels_written() {
        let spec = spec(vec![vec![1.0, 2.0], vec![-3.0, 0.5]], vec![1.0, -1.0]);
        spec.validate().unwrap();
        let problem = spec.draw(&mut crate::random::problem_stream(0));
        assert_eq!((problem.rows, problem.cols), (2, 1));
        assert_eq!(problem.fit, Fit::Margin(MarginLoss::Exponential));
        let w = DMatrix::from_column_slice(2, 1, &[1.0, 0.0]);
        // Margins yᵢ⟨xᵢ, w⟩ = 1 and 3: the exponential loss ½(e^{−1} + e^{−3}).
        let loss = problem.loss(&w, crate::problem::Reduction::Mean);
        approx::assert_relative_eq!(loss, 0.5 * ((-1f64).exp() + (-3f64).exp()));
    }

    #[test]
    fn mistakes_are_refused_by_field() {
        let field = |spec: LabelledSpec| spec.validate().unwrap_err().field;
        assert_eq!(field(spec(vec![], vec![])), "points");
        assert_eq!(field(spec(vec![vec![]], vec![1.0])), "points[0]");
        assert_eq!(
            field(spec(vec![vec![1.0], vec![1.0, 2.0]], vec![1.0, 1.0])),
            "points[1]"
        );
        assert_eq!(field(spec(vec![vec![f64::NAN]], vec![1.0])), "points[0]");
        assert_eq!(field(spec(vec![vec![1.0]], vec![1.0, -1.0])), "labels");
        assert_eq!(
            field(spec(vec![vec![1.0], vec![2.0]], vec![1.0, 0.5])),
            "labels[1]"
        );
    }
}
