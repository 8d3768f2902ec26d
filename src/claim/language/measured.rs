//! What a metric reads: one matrix on the claim's problem (a run's end, a moment of it, the
//! ground truth, or the current matrix of a run checking a condition), with the run that made it
//! where there is one. Everything derived is computed on first use and kept: one SVD per matrix
//! however many metrics read its spectrum.

use crate::measure::{self, Spectrum};
use crate::problem::{HeldOut, Problem, Reduction};
use crate::solver::observe::Snapshot;
use crate::solver::{MarginNorm, Parameterisation, RunRecord};
use nalgebra::{DMatrix, DVector};
use std::sync::OnceLock;

/// A matrix, measured on demand.
pub struct Measured<'a> {
    /// The matrix.
    pub matrix: &'a DMatrix<f64>,
    /// The problem it is measured on.
    pub problem: &'a Problem,
    /// The loss normalisation of the run it belongs to (`train_loss`).
    pub reduction: Reduction,
    /// The run's record, for a run's end; `None` for the truth and for moments.
    pub run: Option<&'a RunRecord>,
    /// The step the matrix was taken at; `None` for the truth.
    pub step: Option<usize>,
    /// A CP factorisation's component norms at a moment, largest first (at a run's end they
    /// are read from its factors).
    components: Option<&'a [f64]>,
    /// How the run's parameters make its matrix (`representation_cost`), for a trained run's
    /// end; `None` otherwise.
    pub parameterisation: Option<Parameterisation>,
    spectrum: OnceLock<Spectrum>,
    residuals: OnceLock<DVector<f64>>,
    /// A run's end's component norms, from its factors on first use.
    end_components: OnceLock<Vec<f64>>,
}

impl<'a> Measured<'a> {
    /// The end of a run.
    pub fn end_of(record: &'a RunRecord, problem: &'a Problem, reduction: Reduction) -> Self {
        Self::new(
            &record.matrix,
            problem,
            reduction,
            Some(record),
            Some(record.steps),
        )
    }

    /// The same, measured as the end of a run parameterised as `parameterisation` says.
    pub fn parameterised(self, parameterisation: Option<Parameterisation>) -> Self {
        Self {
            parameterisation,
            ..self
        }
    }

    /// A run's state at a step (a moment, or the current state of a condition).
    pub fn at(at: Snapshot<'a>, problem: &'a Problem, reduction: Reduction) -> Self {
        Self {
            components: at.components,
            ..Self::new(at.matrix, problem, reduction, None, Some(at.step))
        }
    }

    /// The ground truth.
    pub fn truth(truth: &'a DMatrix<f64>, problem: &'a Problem) -> Self {
        Self::new(truth, problem, Reduction::Mean, None, None)
    }

    fn new(
        matrix: &'a DMatrix<f64>,
        problem: &'a Problem,
        reduction: Reduction,
        run: Option<&'a RunRecord>,
        step: Option<usize>,
    ) -> Self {
        Self {
            matrix,
            problem,
            reduction,
            run,
            step,
            components: None,
            parameterisation: None,
            spectrum: OnceLock::new(),
            residuals: OnceLock::new(),
            end_components: OnceLock::new(),
        }
    }

    /// The spectrum (one SVD, on first use).
    pub fn spectrum(&self) -> &Spectrum {
        self.spectrum.get_or_init(|| Spectrum::of(self.matrix))
    }

    /// rᵢ = ⟨Aᵢ, W⟩ − yᵢ.
    pub fn residuals(&self) -> &DVector<f64> {
        self.residuals
            .get_or_init(|| self.problem.residuals(self.matrix))
    }

    /// The run's own loss (squared or the problem's margin loss), under its reduction.
    pub fn train_loss(&self) -> f64 {
        self.problem
            .loss_of_residuals(self.residuals(), self.reduction)
    }

    /// ln of the run's own loss: finite for a margin loss however far below the smallest f64
    /// the loss has fallen (on separable data the margins grow without bound).
    pub fn ln_train_loss(&self) -> f64 {
        self.problem
            .ln_loss_of_residuals(self.residuals(), self.reduction)
    }

    /// The training margins yᵢ⟨Aᵢ, W⟩ of labels ±1.
    fn margins(&self) -> impl Iterator<Item = f64> + '_ {
        self.problem.margins(self.residuals())
    }

    /// minᵢ yᵢ⟨xᵢ, w⟩ / ‖w‖ in `norm`: the direction's least margin (NaN at w = 0).
    pub fn least_margin(&self, norm: MarginNorm) -> f64 {
        self.margins().fold(f64::INFINITY, f64::min) / norm.of(self.matrix)
    }

    /// The fraction of the held-out points on the wrong side; NaN without them (claims are
    /// checked for them before anything runs).
    pub fn test_error(&self) -> f64 {
        self.on_held_out(HeldOut::error_of)
    }

    /// The root-mean-square error on the held-out entries, in their units; NaN without them
    /// (claims are checked for them before anything runs).
    pub fn test_rmse(&self) -> f64 {
        self.on_held_out(HeldOut::rmse_of)
    }

    /// `error` of the matrix on the problem's held-out data; NaN where it has none of its kind.
    fn on_held_out(&self, error: fn(&HeldOut, &DMatrix<f64>) -> Option<f64>) -> f64 {
        self.problem
            .held_out
            .as_ref()
            .and_then(|h| error(h, self.matrix))
            .unwrap_or(f64::NAN)
    }

    /// The fraction of training points on the wrong side: yᵢ⟨Aᵢ, W⟩ ≤ 0.
    pub fn train_error(&self) -> f64 {
        let wrong = self.margins().filter(|m| *m <= 0.0).count();
        wrong as f64 / self.problem.observation_count() as f64
    }

    /// Arora et al.'s "train MSE": the mean squared residual, whatever the run's reduction.
    pub fn train_mse(&self) -> f64 {
        let residuals = self.residuals();
        residuals.norm_squared() / residuals.len() as f64
    }

    /// The test MSE against the problem's ground truth, if it has one.
    pub fn test_mse(&self) -> Option<f64> {
        self.problem
            .truth
            .as_ref()
            .map(|t| measure::test_mse(self.matrix, t))
    }

    /// A CP factorisation's component norms, largest first: at a moment as the run's watch
    /// took them, at a run's end from its factors, once; `None` for anything else.
    pub fn components(&self) -> Option<&[f64]> {
        match (self.components, self.run) {
            (Some(norms), _) => Some(norms),
            (None, Some(run)) => Some(
                self.end_components
                    .get_or_init(|| measure::component_norms(&run.factors)),
            ),
            (None, None) => None,
        }
    }

    /// A figure of the run that made the matrix; NaN where there is none (claims are checked
    /// before anything runs, so that only happens for a subject the figure does not apply to).
    pub fn of_run(&self, figure: impl Fn(&RunRecord) -> Option<f64>) -> f64 {
        self.run.and_then(figure).unwrap_or(f64::NAN)
    }
}
