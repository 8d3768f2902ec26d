//! What is observed: a rows×cols matrix seen through k linear observations yᵢ = ⟨Aᵢ, W⟩
//! (completion: Aᵢ = e_a e_bᵀ; sensing: dense Gaussian Aᵢ), with the ground truth when known.
//! The loss is ℓ(W) = c/2 · Σᵢ (⟨Aᵢ, W⟩ − yᵢ)² with c = 1/k (`mean`) or 1 (`sum`).
//!
//! # Problem families
//! A family (completion, sensing, a given spectrum, explicit instances) is one file implementing `Family`: its
//! settings as a claim writes them (a serde struct), their validation with located fields, the
//! shape, whether instances carry a ground truth, how many observations they have and of which
//! kind (for the cost estimate), and how an instance is drawn from the seed's problem stream. It registers as one variant of `ProblemSpec` and one arm of
//! `ProblemSpec::family`. Everything downstream works on the `Problem` it draws: the
//! observation operator 𝒜 and its adjoint, the loss and its gradient (`Problem`), every solver,
//! every metric. A family builds its operator from one of the two representations in
//! `Observations`: observed entries (sparse, products restricted to them) or dense measurements
//! (one contiguous vec(Aᵢ) per measurement). A vector family (regression y = Xw) is a d×1
//! problem whose measurements are the rows of X; metrics of its own (‖w‖₁) are registry
//! entries (`claim::language::registry`).

mod classification;
mod completion;
mod explicit;
mod instance;
mod labelled;
pub mod margin_loss;
mod measurements;
mod orthogonal;
mod quadratic;
pub mod ratings;
mod regression;
mod sensing;
mod spectrum;
mod split;
mod tensor;
mod truth;

pub use classification::{ClassificationSpec, Separator};
pub use completion::CompletionSpec;
pub use explicit::{ExplicitEntry, ExplicitMeasurement, ExplicitSpec};
pub use labelled::LabelledSpec;
pub use orthogonal::OrthogonalSpec;
pub use quadratic::QuadraticSpec;
pub use regression::RegressionSpec;
pub use sensing::SensingSpec;
pub use spectrum::SpectrumSpec;
pub use split::{Block, Rated, RatingsSpec, Unloaded};
pub use tensor::{TensorSpec, cp_unfolding};

pub use instance::{Family, Fit, Form, HeldOut, Inputs, Observations, Problem, Reduction, Testing};

use crate::invalid::Invalid;
use crate::random;
use serde::{Deserialize, Serialize};

/// A problem as a claim describes it: one variant per registered family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ProblemSpec {
    /// Matrix completion (`completion`).
    Completion(CompletionSpec),
    /// Matrix sensing (`sensing`).
    Sensing(SensingSpec),
    /// An instance written out in the claim (`explicit`).
    Explicit(ExplicitSpec),
    /// A target with a given spectrum in random orthonormal bases (`spectrum`).
    Spectrum(SpectrumSpec),
    /// Linear regression y = Xw* as a d×1 problem (`regression`).
    Regression(RegressionSpec),
    /// Separable binary classification as a d×1 problem (`classification`).
    Classification(ClassificationSpec),
    /// A classification instance written out in the claim (`labelled`).
    Labelled(LabelledSpec),
    /// A quadratic network's data: rank-one measurements xᵢxᵢᵀ of a PSD matrix (`quadratic`).
    Quadratic(QuadraticSpec),
    /// Values at orthogonal inputs, for ReLU networks (`orthogonal`).
    Orthogonal(OrthogonalSpec),
    /// Completion of an order-N tensor of given CP rank, as its mode-1 unfolding (`tensor`).
    Tensor(TensorSpec),
    /// A real matrix of ratings from a file, split by the seed into observations and held-out
    /// entries (`ratings`).
    Ratings(RatingsSpec),
}

impl ProblemSpec {
    /// The family and its name as a claim writes it: the one place that lists them.
    pub fn family(&self) -> (&'static str, &dyn Family) {
        match self {
            ProblemSpec::Completion(s) => ("completion", s),
            ProblemSpec::Sensing(s) => ("sensing", s),
            ProblemSpec::Explicit(s) => ("explicit", s),
            ProblemSpec::Spectrum(s) => ("spectrum", s),
            ProblemSpec::Regression(s) => ("regression", s),
            ProblemSpec::Classification(s) => ("classification", s),
            ProblemSpec::Labelled(s) => ("labelled", s),
            ProblemSpec::Quadratic(s) => ("quadratic", s),
            ProblemSpec::Orthogonal(s) => ("orthogonal", s),
            ProblemSpec::Tensor(s) => ("tensor", s),
            ProblemSpec::Ratings(s) => ("ratings", s),
        }
    }

    /// The shape of every instance.
    pub fn shape(&self) -> (usize, usize) {
        self.family().1.shape()
    }

    /// What every instance's observations are fitted with.
    pub fn fit(&self) -> Fit {
        self.family().1.fit()
    }

    /// Whether instances carry a ground truth.
    pub fn has_truth(&self) -> bool {
        self.family().1.has_truth()
    }

    /// Rejects impossible problems before anything runs.
    pub fn validate(&self) -> Result<(), Invalid> {
        let (name, family) = self.family();
        family.validate().map_err(|e| e.within(name))
    }

    /// Bytes an instance holds: the truth, the operator (three numbers an observed entry, or k
    /// dense measurements), held-out points, a network's inputs and, for completion, the index of
    /// every entry sampled from while drawing (as f64: no product of sizes overflows).
    pub fn instance_bytes(&self) -> f64 {
        let (rows, cols) = self.shape();
        let (size, family) = ((rows * cols) as f64, self.family().1);
        let k = family.observations() as f64;
        let operator = if family.observes_entries() {
            3.0 * k
        } else {
            k * size
        };
        let drawing = match self {
            ProblemSpec::Completion(_) | ProblemSpec::Tensor(_) => size,
            _ => 0.0,
        };
        let held_out = match family.held_out() {
            Some((Testing::Points, n)) => n as f64 * (size + 1.0),
            Some((Testing::Entries, n)) => 3.0 * n as f64,
            None => 0.0,
        };
        // The inputs, and the d×d orthogonal matrix their directions come from.
        let inputs = family
            .inputs()
            .map_or(0.0, |i| i.dim as f64 * (i.dim as f64 + size));
        (size + operator + drawing + held_out + inputs) * 8.0
    }

    /// The mode sizes of every instance's tensor (a matrix's rows and columns).
    pub fn modes(&self) -> Vec<usize> {
        let (rows, cols) = self.shape();
        self.family().1.modes().unwrap_or_else(|| vec![rows, cols])
    }

    /// The inputs every instance carries, when its matrix holds a network's values there.
    pub fn inputs(&self) -> Option<Inputs> {
        self.family().1.inputs()
    }

    /// What every instance holds out of training, if anything (`test_error`, `test_rmse`).
    pub fn held_out(&self) -> Option<Testing> {
        self.family().1.held_out().map(|(kind, _)| kind)
    }

    /// The instance for `seed`, drawn from the seed's problem stream. Expects a validated spec.
    pub fn generate(&self, seed: u64) -> Problem {
        self.family().1.draw(&mut random::problem_stream(seed))
    }
}
