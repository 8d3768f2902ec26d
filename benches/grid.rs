//! The configurations every performance figure is taken on, shared by the criterion benches and
//! the side-by-side with numpy (`examples/timings.rs`, `benches/reference.py`): deep GD at
//! depths 2, 3, 4 on completion and sensing at n = 2, 30, 100, 200. At n = 2 completion is Razin &
//! Cohen's 2×2 problem with their GD; elsewhere Arora et al.'s settings (normalised GD, lr 1e-3,
//! Gaussian initialisation of scale 1e-3).

use implreg::problem::{
    CompletionSpec, ExplicitEntry, ExplicitSpec, Problem, ProblemSpec, Reduction, SensingSpec,
};
use implreg::random;
use implreg::solver::{DeepFactorisation, Descent, InitSpec, OptimizerSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Completion,
    Sensing,
}

/// One problem size and depth.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub kind: Kind,
    pub n: usize,
    pub depth: usize,
    pub rank: usize,
    /// Observed entries (completion) or measurements (sensing).
    pub observations: usize,
}

/// Every configuration, smallest first.
pub fn grid() -> Vec<Config> {
    let sizes = [
        (Kind::Completion, 2, 1, 3),
        (Kind::Completion, 30, 2, 250),
        (Kind::Completion, 100, 5, 2000),
        (Kind::Completion, 200, 5, 8000),
        (Kind::Sensing, 2, 1, 3),
        (Kind::Sensing, 30, 2, 250),
        (Kind::Sensing, 100, 5, 1000),
        (Kind::Sensing, 200, 5, 1000),
    ];
    sizes
        .into_iter()
        .flat_map(|(kind, n, rank, observations)| {
            [2, 3, 4].map(|depth| Config {
                kind,
                n,
                depth,
                rank,
                observations,
            })
        })
        .collect()
}

impl Config {
    /// Razin & Cohen's problem at n = 2 in completion.
    fn razin_cohen(&self) -> bool {
        self.kind == Kind::Completion && self.n == 2
    }

    pub fn name(&self) -> String {
        let problem = match (self.kind, self.razin_cohen()) {
            (Kind::Completion, true) => "razin-cohen",
            (Kind::Completion, false) => "completion",
            (Kind::Sensing, _) => "sensing",
        };
        format!("{problem}/n{}/depth{}", self.n, self.depth)
    }

    /// The instance of seed 0.
    pub fn problem(&self) -> Problem {
        let (rows, cols, rank) = (self.n, self.n, self.rank);
        let spec = match self.kind {
            Kind::Completion if self.razin_cohen() => ProblemSpec::Explicit(ExplicitSpec {
                rows,
                cols,
                entries: Some(
                    [(0, 1, 1.0), (1, 0, 1.0), (1, 1, 0.0)]
                        .map(|(row, col, value)| ExplicitEntry { row, col, value })
                        .to_vec(),
                ),
                measurements: None,
                truth: None,
            }),
            Kind::Completion => ProblemSpec::Completion(CompletionSpec {
                rows,
                cols,
                rank,
                observed: self.observations,
            }),
            Kind::Sensing => ProblemSpec::Sensing(SensingSpec {
                rows,
                cols,
                rank,
                measurements: self.observations,
            }),
        };
        spec.generate(0)
    }

    pub fn optimizer(&self) -> OptimizerSpec {
        if self.razin_cohen() {
            OptimizerSpec::Gd { lr: 1e-2 }
        } else {
            OptimizerSpec::NormalisedGd {
                lr: 1e-3,
                decay: 0.99,
                eps: 1e-4,
            }
        }
    }

    pub fn reduction(&self) -> Reduction {
        if self.razin_cohen() {
            Reduction::Sum
        } else {
            Reduction::Mean
        }
    }

    pub fn init_scale(&self) -> f64 {
        if self.razin_cohen() { 1.4142e-2 } else { 1e-3 }
    }

    /// Deep GD on `problem` from seed 0's Gaussian initialisation.
    pub fn descent<'p>(&self, problem: &'p Problem) -> Descent<DeepFactorisation<'p>> {
        let init = InitSpec::Gaussian {
            scale: self.init_scale(),
        };
        let mut rng = random::named_stream(0, "bench");
        let factors = init.factors(self.depth, self.n, self.n, self.n, &mut rng);
        Descent {
            model: DeepFactorisation::new(problem, self.reduction(), factors),
            rule: self
                .optimizer()
                .integrator()
                .step_rule()
                .expect("a step rule"),
        }
    }
}
