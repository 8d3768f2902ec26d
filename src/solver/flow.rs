//! Gradient flow dθ_j/dt = −∂ℓ/∂θ_j of any `Model`, integrated with the embedded Runge–Kutta pair of Dormand
//! & Prince (1980), "DOPRI5" in Hairer, Nørsett & Wanner, *Solving ODEs I* (§II.5 and §II.4 for
//! the step control): fifth-order steps, a fourth-order error estimate, first-same-as-last. Claims
//! about gradient flow (Razin & Cohen 2020; Arora et al. 2019) are then checked as flow, with the
//! discretisation error held to `rtol`/`atol` instead of hidden in a learning rate.

use super::driver::{Endpoint, Iterate};
use super::model::Model;
use super::optimizer::FlowSpec;
use super::record::Stop;
use nalgebra::DMatrix;

/// a_sj of the Dormand–Prince tableau (the flow is autonomous, so the c_s are not needed);
/// stage 7 is the fifth-order solution, which makes the pair first-same-as-last.
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// b − b̂: the fifth-order weights minus the embedded fourth-order ones.
const ERROR: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// Step-size control (Hairer et al., §II.4): h ← h·clamp(0.9·err^{−1/5}, 0.2, 5).
const SAFETY: f64 = 0.9;
const SHRINK_LIMIT: f64 = 0.2;
const GROW_LIMIT: f64 = 5.0;

/// The integrator's state; all buffers are allocated once.
pub struct Flow<M> {
    model: M,
    spec: FlowSpec,
    time: f64,
    /// The next step to try; 0 before the first step.
    step: f64,
    rejected: usize,
    /// The accepted point y_n.
    start: Vec<DMatrix<f64>>,
    /// ∂ℓ/∂W at the seven stage points (k_s = −gradients[s]).
    gradients: [Vec<DMatrix<f64>>; 7],
    loss: f64,
}

impl<M: Model> Flow<M> {
    /// The flow of `model` under `spec`, from its current factors.
    pub fn new(mut model: M, spec: FlowSpec) -> Self {
        let loss = model.loss_and_gradients();
        let start = model.parameters().to_vec();
        let mut gradients: [Vec<DMatrix<f64>>; 7] = std::array::from_fn(|_| start.clone());
        copy_all(&mut gradients[0], model.gradients());
        Self {
            model,
            spec,
            time: 0.0,
            step: 0.0,
            rejected: 0,
            start,
            gradients,
            loss,
        }
    }

    /// The RMS of (value, size) pairs weighted as value/(atol + rtol·size) (Hairer et al., eq.
    /// II.4.11).
    fn scaled_norm(&self, pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
        let FlowSpec { rtol, atol, .. } = self.spec;
        let (mut sum, mut count) = (0.0, 0usize);
        for (value, size) in pairs {
            let scaled = value / (atol + rtol * size);
            sum += scaled * scaled;
            count += 1;
        }
        (sum / count.max(1) as f64).sqrt()
    }

    /// h₀ = 0.01·‖y‖/‖y′‖ in the scaled norm (the first part of Hairer et al.'s rule, §II.4).
    fn initial_step(&self) -> f64 {
        let size = self.scaled_norm(entries(&self.start).map(|v| (v, v.abs())));
        let slope = self.scaled_norm(
            entries(&self.gradients[0])
                .zip(entries(&self.start))
                .map(|(d, v)| (d, v.abs())),
        );
        if size < 1e-5 || slope < 1e-5 {
            1e-6
        } else {
            0.01 * size / slope
        }
    }

    /// One trial step of size h from `start`; returns its scaled error estimate. Leaves the
    /// fifth-order point in the model with its loss and gradients (stage 7).
    fn attempt(&mut self, h: f64) -> f64 {
        for (stage, row) in A.iter().enumerate().skip(1) {
            for (j, w) in self
                .model
                .parameters_and_gradients()
                .0
                .iter_mut()
                .enumerate()
            {
                w.copy_from(&self.start[j]);
                for (a, g) in row.iter().zip(&self.gradients).take(stage) {
                    if *a != 0.0 {
                        w.zip_apply(&g[j], |x, d| *x -= h * a * d);
                    }
                }
            }
            self.loss = self.model.loss_and_gradients();
            copy_all(&mut self.gradients[stage], self.model.gradients());
        }
        let (end, start, gradients) = (self.model.parameters(), &self.start, &self.gradients);
        let pairs = (0..end.len()).flat_map(|j| {
            (0..end[j].len()).map(move |k| {
                let error: f64 = ERROR
                    .iter()
                    .zip(gradients)
                    .map(|(e, g)| -h * e * g[j][k])
                    .sum();
                (error, end[j][k].abs().max(start[j][k].abs()))
            })
        });
        self.scaled_norm(pairs)
    }
}

impl<M: Model> Iterate for Flow<M> {
    fn follows_the_loss(&self) -> bool {
        true
    }

    /// The loss at the accepted point (computed by the last stage of the step that reached it).
    fn evaluate(&mut self) -> f64 {
        self.loss
    }

    /// Tries steps until one is accepted (each rejection counts in `rejected`). A non-finite
    /// error is accepted, so that the driver reports the NaN/Inf loss as divergence.
    fn advance(&mut self) {
        if self.step == 0.0 {
            self.step = self.initial_step();
        }
        let mut rejected_here = false;
        loop {
            let h = self.step.min(self.spec.end() - self.time);
            let error = self.attempt(h);
            let factor = if error == 0.0 {
                GROW_LIMIT
            } else {
                (SAFETY * error.powf(-0.2)).clamp(SHRINK_LIMIT, GROW_LIMIT)
            };
            if error <= 1.0 || !error.is_finite() {
                self.time += h;
                // After a rejection, do not grow at once (Hairer et al., §II.4).
                self.step = h * if rejected_here {
                    factor.min(1.0)
                } else {
                    factor
                };
                copy_all(&mut self.start, self.model.parameters());
                let (first, rest) = self.gradients.split_at_mut(1);
                copy_all(&mut first[0], &rest[5]);
                return;
            }
            self.rejected += 1;
            rejected_here = true;
            self.step = h * factor;
        }
    }

    fn stop(&self) -> Option<Stop> {
        (self.time >= self.spec.end()).then_some(Stop::Horizon)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        self.model.product()
    }

    fn components(&self, norms: &mut Vec<f64>) -> bool {
        self.model.components(norms)
    }

    fn time(&self) -> f64 {
        self.time
    }

    fn rejected(&self) -> usize {
        self.rejected
    }

    fn kkt_residual(&mut self) -> Option<f64> {
        super::model::kkt_residual(&mut self.model)
    }

    fn finish(self) -> Endpoint {
        self.model.finish()
    }
}

/// Every entry of every factor, in order.
fn entries(factors: &[DMatrix<f64>]) -> impl Iterator<Item = f64> + '_ {
    factors.iter().flat_map(|w| w.iter().copied())
}

/// Copies every matrix of `from` into the same-shaped `to`.
fn copy_all(to: &mut [DMatrix<f64>], from: &[DMatrix<f64>]) {
    for (t, f) in to.iter_mut().zip(from) {
        t.copy_from(f);
    }
}
