//! Gradient flow and the determinant-sign control on random inputs (proptest with a fixed seed):
//! the integrator meets a closed form, GD converges to the flow at first order in its step, the
//! flow conserves balancedness, and the det-sign draw is deterministic and right.

use implreg::measure;
use implreg::problem::Observations;
use implreg::random;
use implreg::solver::{
    self, DeepSpec, DetSign, FlowSpec, InitSpec, OptimizerSpec, RunSpec, Stop, When, deep,
};
use nalgebra::DMatrix;
use proptest::prelude::*;
use support::{config, problem};

mod support;

fn deep_run(
    depth: usize,
    init: InitSpec,
    optimizer: OptimizerSpec,
    steps: Option<usize>,
) -> RunSpec {
    RunSpec::Deep(DeepSpec {
        depth,
        width: None,
        init,
        optimizer,
        loss: Default::default(),
        steps,
        target_loss: None,
        penalty: None,
        det_sign: None,
    })
}

/// Gradient flow to time `horizon` at tight tolerances.
fn flow(depth: usize, init: InitSpec, horizon: f64) -> RunSpec {
    let optimizer = OptimizerSpec::GradientFlow(FlowSpec {
        rtol: 1e-10,
        atol: 1e-12,
        horizon: Some(horizon),
    });
    deep_run(depth, init, optimizer, None)
}

proptest! {
    #![proptest_config(config(24))]

    /// Depth 1, completion, mean loss: each observed entry relaxes as y + (w₀ − y)·e^{−t/k} and
    /// the others never move.
    #[test]
    fn depth_one_flow_is_the_exponential_relaxation(
        rows in 1usize..6, cols in 1usize..6, horizon in 0.1f64..50.0, seed in 0u64..1000,
    ) {
        let problem = problem(rows, cols, false, seed);
        let init = InitSpec::Gaussian { scale: 1.0 };
        let solution = solver::solve(&flow(1, init, horizon), &problem, seed);
        prop_assert_eq!(solution.stop, Stop::Horizon);
        prop_assert!((solution.time.unwrap() - horizon).abs() <= 1e-12 * horizon);
        let start = solution.moment(&When::Initial).unwrap().matrix.clone();
        let mut expected = start.clone();
        let Observations::Entries { at, values } = &problem.observations else { unreachable!() };
        let decay = (-horizon / at.len() as f64).exp();
        for (&(i, j), &y) in at.iter().zip(values) {
            expected[(i, j)] = y + (start[(i, j)] - y) * decay;
        }
        let error = (&solution.matrix - &expected).amax();
        prop_assert!(error <= 1e-8 * expected.amax().max(1.0), "error {error}");
    }

    /// GD with step η for T/η steps ends O(η) from the flow at time T: the gap is a small
    /// fraction of the distance travelled and halves (first order) with η.
    #[test]
    fn gradient_descent_approaches_the_flow_at_first_order(
        rows in 2usize..5, cols in 2usize..5, depth in 1usize..=3, sensing: bool, seed in 0u64..1000,
    ) {
        let problem = problem(rows, cols, sensing, seed);
        let init = InitSpec::Balanced { scale: 1.0 };
        let horizon = 2.0;
        let exact = solver::solve(&flow(depth, init, horizon), &problem, seed).matrix;
        let gap = |steps: usize| {
            let gd = deep_run(depth, init, OptimizerSpec::Gd { lr: horizon / steps as f64 }, Some(steps));
            (solver::solve(&gd, &problem, seed).matrix - &exact).norm()
        };
        let (coarse, fine) = (gap(200), gap(400));
        let start = solver::solve(&deep_run(depth, init, OptimizerSpec::Gd { lr: 1.0 }, Some(1)), &problem, seed)
            .moment(&When::Initial).unwrap().matrix.clone();
        let travelled = (&exact - start).norm();
        prop_assume!(travelled > 1e-6);
        prop_assert!(coarse <= 0.05 * travelled, "gap {coarse} against a motion of {travelled}");
        prop_assert!(fine <= 0.6 * coarse + 1e-12, "halving η took the gap from {coarse} to {fine}");
    }

    /// W_{j+1}ᵀW_{j+1} − W_jW_jᵀ is constant along the flow (Arora, Cohen, Hazan 2018), so a
    /// balanced start stays balanced to the integrator's tolerance.
    #[test]
    fn gradient_flow_conserves_balancedness(
        rows in 2usize..5, cols in 2usize..5, depth in 2usize..=4, sensing: bool, seed in 0u64..1000,
    ) {
        let problem = problem(rows, cols, sensing, seed);
        let solution = solver::solve(&flow(depth, InitSpec::Balanced { scale: 1.0 }, 5.0), &problem, seed);
        let size = solution.factors.iter().map(|w| w.norm_squared()).fold(1.0, f64::max);
        let drift = measure::balancedness(&solution.factors);
        prop_assert!(drift <= 1e-7 * size, "balancedness {drift} for factors of size {size}");
    }

    /// The redraw is deterministic and always lands on the requested sign, at every scale that
    /// validation lets through (det W(0) ≈ scale^n within 1e±DET_RANGE).
    #[test]
    fn the_determinant_sign_draw_is_deterministic_and_right(
        n in 1usize..6, depth in 1usize..=4, balanced: bool, positive: bool, seed in 0u64..1000,
        decades in -1.0f64..=1.0,
    ) {
        let sign = if positive { DetSign::Positive } else { DetSign::Negative };
        let scale = 10f64.powf(decades * deep::DET_RANGE / n as f64);
        let init = if balanced { InitSpec::Balanced { scale } } else { InitSpec::Gaussian { scale } };
        let mut spec = match deep_run(depth, init, OptimizerSpec::Gd { lr: 0.1 }, Some(1)) {
            RunSpec::Deep(spec) => spec,
            _ => unreachable!("a deep run"),
        };
        spec.det_sign = Some(sign);
        prop_assert!(RunSpec::Deep(spec.clone()).validate(n, n).is_ok());
        let draw = || {
            let mut rng = random::named_stream(seed, &spec.stream_name(n, n));
            spec.initial_factors(n, n, &mut rng)
        };
        let factors = draw();
        prop_assert_eq!(&factors, &draw());
        let det = deep::product(&factors).determinant();
        prop_assert!(sign.holds_for(det), "det {det} for {sign:?}");
    }
}

/// A run under det_sign starts with that sign in a solved run too (the watched initial matrix).
#[test]
fn a_solved_run_starts_with_the_requested_sign() {
    let problem = problem(3, 3, false, 1);
    for sign in [DetSign::Positive, DetSign::Negative] {
        let mut spec = match deep_run(
            3,
            InitSpec::Balanced { scale: 0.1 },
            OptimizerSpec::Gd { lr: 0.1 },
            Some(5),
        ) {
            RunSpec::Deep(spec) => spec,
            _ => unreachable!("a deep run"),
        };
        spec.det_sign = Some(sign);
        let solution = solver::solve(&RunSpec::Deep(spec), &problem, 4);
        let start: &DMatrix<f64> = &solution.moment(&When::Initial).unwrap().matrix;
        assert!(sign.holds_for(start.determinant()));
    }
}
