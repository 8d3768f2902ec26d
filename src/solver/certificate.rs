//! A convex run's proof of optimality (weak duality, see `nuclear`, `min_norm`, `potential`):
//! for an objective f, every X has f(X) ≥ ⟨λ, 𝒜(X)⟩ − f*(𝒜*(λ)) (Fenchel–Young). For a norm
//! f* is 0 on the dual unit ball (‖·‖₂ for the nuclear norm, max |·| for ℓ1, ‖·‖_F for ‖·‖_F)
//! and λ is scaled into it; for a diagonal network's Q^D_α, f*(S) = Σ α^D H_D(sᵢ).

use crate::measure::{self, Potential};
use crate::problem::Problem;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The objective a certificate bounds: what its run minimises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certified {
    /// ‖X‖* = Σσᵢ.
    NuclearNorm,
    /// ‖X‖₁ = Σ|Xᵢⱼ|.
    L1Norm,
    /// ‖X‖_F.
    FrobeniusNorm,
    /// max |Xᵢⱼ|.
    LinfNorm,
    /// Σ_k |x̂_k| of a vector's unnormalised DFT.
    FourierL1Norm,
    /// tr X on the positive semidefinite cone (+∞ off it).
    TracePsd,
    /// The least variation norm Σⱼ |aⱼ|·‖wⱼ‖ of a ReLU network whose values at the problem's
    /// orthogonal inputs are X (`min_variation`).
    VariationNorm,
    /// A diagonal network's implicit regulariser Q^D_α (`measure::Potential`).
    Potential(Potential),
}

impl Certified {
    /// f(X) on `problem` (whose inputs the variation norm reads).
    pub fn value(&self, x: &DMatrix<f64>, problem: &Problem) -> f64 {
        match self {
            Certified::NuclearNorm => measure::singular_values(x).iter().sum(),
            Certified::L1Norm => measure::l1_norm(x),
            Certified::FrobeniusNorm => x.norm(),
            Certified::LinfNorm => measure::max_abs(x),
            Certified::FourierL1Norm => measure::fourier_l1(x),
            Certified::TracePsd => measure::psd_trace(x),
            Certified::VariationNorm => match problem.inputs() {
                Some(inputs) => {
                    let norms = measure::input_norms(inputs);
                    let (positive, negative) = measure::variation_halves(x.as_slice(), &norms);
                    positive + negative
                }
                None => f64::NAN,
            },
            Certified::Potential(potential) => potential.value(x),
        }
    }
}

/// A proof that no feasible matrix has a value of the run's objective below `lower_bound`;
/// exported whole, so that anyone can check 𝒜*(λ) and the bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// The objective bounded.
    pub certifies: Certified,
    /// ⟨y, λ⟩ − δ‖λ‖₁ − f*(𝒜*(λ)): a lower bound on f(X) for every feasible X.
    pub lower_bound: f64,
    /// |f(Z) − lower_bound| / f(Z) for the returned Z.
    pub gap: f64,
    /// The largest violation of |⟨Aᵢ, Z⟩ − yᵢ| ≤ δ, relative to max(1, max|yᵢ|).
    pub feasibility: f64,
    /// λ, one multiplier per observation in the problem's order, 𝒜*(λ) in the dual unit ball.
    #[serde(serialize_with = "as_list", deserialize_with = "from_list")]
    pub multipliers: DVector<f64>,
    /// f*(𝒜*(λ)): 0 for a norm (λ scaled into the dual ball), Q*(𝒜*(λ)) for a potential.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub conjugate: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn as_list<S: Serializer>(v: &DVector<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    v.as_slice().serialize(serializer)
}

fn from_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DVector<f64>, D::Error> {
    Vec::<f64>::deserialize(deserializer).map(DVector::from_vec)
}

impl Certificate {
    /// The bound the certificate gives for any matrix X (feasible or not):
    /// f(X) ≥ ⟨λ, 𝒜(X)⟩ − f*(𝒜*(λ)), the least f of any matrix with X's observations.
    pub fn bound_for(&self, problem: &Problem, x: &DMatrix<f64>) -> f64 {
        let mut observed = DVector::zeros(problem.observation_count());
        problem.observe_into(x, &mut observed);
        self.multipliers.dot(&observed) - self.conjugate
    }
}
