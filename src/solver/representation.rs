//! The representation cost, one measure of simplicity across models: R(f) = min{‖θ‖² : f_θ = f},
//! the least squared norm of parameters of the run's own architecture that compute its function
//! (Dai, Karzand, Srebro 2021; Jacot 2023, whose bottleneck rank is its depth → ∞ limit). Weight
//! decay penalises it, and small initialisation biases toward it. It reduces, family by family:
//! - a depth-L chain W = W_L ⋯ W_1 (hidden widths ≥ rank W): L·Σᵢ σᵢ(W)^{2/L} — the singular
//!   values of the product, by AM–GM over balanced factors (L = 1: ‖W‖_F²; L = 2: 2‖W‖*);
//! - a diagonal network w = u^{⊙D} − v^{⊙D}: Σᵢ |wᵢ|^{2/D} = ‖w‖_{2/D}^{2/D} (one of u, v carries
//!   each entry; D separate layers w₁ ⊙ ⋯ ⊙ w_D would cost D times as much);
//! - a depth-L circular convolutional network β = w_L ⊛ ⋯ ⊛ w_1: (L/d)·Σ_k |β̂_k|^{2/L}, the same
//!   on the unnormalised Fourier coefficients (Parseval: ‖w‖² = ‖ŵ‖²/d, and β̂ = ∏ ŵ_l);
//! - a quadratic network W = UᵀU: tr W (every U with UᵀU = W has ‖U‖_F² = tr W);
//! - a two-layer ReLU network: 2·Σⱼ |aⱼ|·‖wⱼ‖, twice the variation norm of its own units, the
//!   least ‖θ‖² over the rescalings that keep the function — an upper bound on R(f), exact
//!   when no two units share a direction (units that do merge into one cheaper unit);
//! - a CP factorisation of order N: N·Σ_r ‖T_r‖^{2/N} over its own components T_r, the least
//!   Σ‖a_r⁽ⁿ⁾‖² over their rescalings — an upper bound on R(T), which minimises over every CP
//!   decomposition (NP-hard in general, as tensor rank is).

use super::relu;
use crate::measure;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// How a trained run's parameters compute its matrix: what its representation cost reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameterisation {
    /// W = W_L ⋯ W_1.
    Chain {
        /// L.
        depth: usize,
    },
    /// w = u^{⊙D} − v^{⊙D}.
    Diagonal {
        /// D.
        depth: u32,
    },
    /// β = w_L ⊛ ⋯ ⊛ w_1.
    Convolutional {
        /// L.
        depth: usize,
    },
    /// W = UᵀU.
    Quadratic,
    /// Values Σⱼ aⱼσ(⟨wⱼ, xᵢ⟩) from factors [W, a].
    Relu,
    /// T = Σ_r a_r⁽¹⁾ ⊗ ⋯ ⊗ a_r⁽ᴺ⁾ from factor matrices A⁽¹⁾, …, A⁽ᴺ⁾.
    Cp,
}

impl Parameterisation {
    /// R of the run's matrix `matrix` (its singular values `singular` for a chain, computed by
    /// the caller that shares them) or, for a ReLU network, of its factors.
    pub fn cost(
        &self,
        matrix: &DMatrix<f64>,
        singular: impl FnOnce() -> Vec<f64>,
        factors: &[DMatrix<f64>],
    ) -> f64 {
        match *self {
            Parameterisation::Chain { depth } => {
                let power = 2.0 / depth as f64;
                depth as f64 * singular().iter().map(|s| s.powf(power)).sum::<f64>()
            }
            Parameterisation::Diagonal { depth } => {
                let power = 2.0 / f64::from(depth);
                matrix.iter().map(|w| w.abs().powf(power)).sum()
            }
            Parameterisation::Convolutional { depth } => {
                let power = 2.0 / depth as f64;
                let sum: f64 = measure::fourier::magnitudes(matrix)
                    .iter()
                    .map(|m| m.powf(power))
                    .sum();
                depth as f64 / matrix.len() as f64 * sum
            }
            Parameterisation::Quadratic => matrix.trace(),
            Parameterisation::Relu => match factors {
                [weights, outputs] => relu::balanced_cost(weights, outputs),
                _ => f64::NAN,
            },
            Parameterisation::Cp => {
                let order = factors.len() as f64;
                let norms = measure::component_norms(factors);
                order * norms.iter().map(|c| c.powf(2.0 / order)).sum::<f64>()
            }
        }
    }
}
