//! A convex run's proof of optimality (weak duality, see `nuclear` and `min_norm`): multipliers
//! λ with 𝒜*(λ) in the unit ball of the dual norm (‖·‖₂ for the nuclear norm, max |·| for ℓ1,
//! ‖·‖_F for ‖·‖_F) bound the run's norm of every matrix from below.

use crate::problem::Problem;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proof that no feasible matrix has a norm (the run's) below `lower_bound`; exported whole,
/// so that anyone can check the dual norm of 𝒜*(λ) and the bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// ⟨y, λ⟩ − δ‖λ‖₁: a lower bound on the norm of every feasible X.
    pub lower_bound: f64,
    /// |‖Z‖ − lower_bound| / ‖Z‖ for the returned Z.
    pub gap: f64,
    /// The largest violation of |⟨Aᵢ, Z⟩ − yᵢ| ≤ δ, relative to max(1, max|yᵢ|).
    pub feasibility: f64,
    /// λ, one multiplier per observation in the problem's order, 𝒜*(λ) in the dual unit ball.
    #[serde(serialize_with = "as_list", deserialize_with = "from_list")]
    pub multipliers: DVector<f64>,
}

fn as_list<S: Serializer>(v: &DVector<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    v.as_slice().serialize(serializer)
}

fn from_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DVector<f64>, D::Error> {
    Vec::<f64>::deserialize(deserializer).map(DVector::from_vec)
}

impl Certificate {
    /// The bound the certificate gives for any matrix X (feasible or not): ‖X‖* ≥ ⟨λ, 𝒜(X)⟩.
    pub fn bound_for(&self, problem: &Problem, x: &DMatrix<f64>) -> f64 {
        let mut observed = DVector::zeros(problem.observation_count());
        problem.observe_into(x, &mut observed);
        self.multipliers.dot(&observed)
    }
}
