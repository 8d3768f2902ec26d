//! What a claim will cost, estimated from its settings before anything runs, and the limits it
//! must fit: memory (for each seed running at once, one per worker thread, its instance and the
//! working memory of all its runs, which run at once too; plus every seed's records, held until
//! the claim is decided) and work (floating-point
//! operations over every run's step budget and every seed). Estimates are upper bounds up to
//! small factors; they refuse absurd sizes with a located error instead of an abort on
//! allocation or a run that never ends. `--max-memory` and `--max-work` raise the limits.

use crate::problem::ProblemSpec;
use crate::solver::{RunSpec, Shape};
use std::collections::BTreeMap;

/// The limits a claim must fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes.
    pub memory: f64,
    /// Floating-point operations (with a fixed cost per step and per matrix for bookkeeping).
    pub work: f64,
}

impl Default for Limits {
    /// 4 GiB, and 1e14 operations (about an hour on two cores at this project's measured rates).
    fn default() -> Self {
        Self {
            memory: 4.0 * (1u64 << 30) as f64,
            work: 1e14,
        }
    }
}

/// The setting a cost is charged to, and the cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// The dotted path of the setting that dominates it.
    pub field: String,
    /// Bytes or operations.
    pub amount: f64,
}

/// Which limit a cost passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Bytes held at once.
    Memory,
    /// Operations.
    Work,
}

impl Cost {
    /// What was expected, for a located error.
    pub fn expected(&self, resource: Resource, limits: Limits) -> String {
        match resource {
            Resource::Memory => format!(
                "a claim that fits in {} of memory (raise it with --max-memory); this one needs about {}, most of it here",
                bytes(limits.memory),
                bytes(self.amount)
            ),
            Resource::Work => format!(
                "a claim whose step budgets fit {:.0e} operations (raise it with --max-work); this one may take {:.1e}, most of it here",
                limits.work, self.amount
            ),
        }
    }
}

/// Bytes for people: `3.5 GiB`.
fn bytes(amount: f64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = amount;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if !value.is_finite() {
        "more than f64 can count".into()
    } else if value >= 1024.0 {
        format!("{amount:.1e} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Refuses a claim beyond `limits`, naming the setting that dominates and the estimate: the
/// sum of what each run states it costs (`solver::cost`) over the seeds.
pub fn check(
    problem: &ProblemSpec,
    runs: &BTreeMap<String, RunSpec>,
    seeds: u64,
    limits: Limits,
) -> Result<(), (Resource, Cost)> {
    // Seeds run at once, one per worker thread.
    let at_once = (seeds as f64).min(rayon::current_num_threads() as f64);
    let shape = Shape::of(problem);
    let instance = at_once * problem.instance_bytes();
    let mut memory = Cost {
        field: "problem".into(),
        amount: instance,
    };
    let mut total_memory = instance;
    let mut work = Cost {
        field: "seeds".into(),
        amount: 0.0,
    };
    let mut total_work = 0.0;
    for (name, run) in runs {
        let cost = run.cost(shape);
        let bytes = at_once * cost.working + seeds as f64 * cost.record;
        total_memory += bytes;
        if bytes > memory.amount {
            memory = Cost {
                field: format!("runs.{name}"),
                amount: bytes,
            };
        }
        let operations = cost.work() * seeds as f64;
        total_work += operations;
        if operations > work.amount {
            work = Cost {
                field: format!("runs.{name}.{}", cost.setting),
                amount: operations,
            };
        }
    }
    if !fits(total_memory, limits.memory) {
        let cost = Cost {
            amount: total_memory,
            ..memory
        };
        return Err((Resource::Memory, cost));
    }
    if !fits(total_work, limits.work) {
        let cost = Cost {
            amount: total_work,
            ..work
        };
        return Err((Resource::Work, cost));
    }
    Ok(())
}

/// The operations one seed of a claim may take: every run's step budget (an upper bound; how
/// shards balance their work).
pub fn seed_work(problem: &ProblemSpec, runs: &BTreeMap<String, RunSpec>) -> f64 {
    let shape = Shape::of(problem);
    runs.values().map(|run| run.cost(shape).work()).sum()
}

/// Whether `amount` is at most `limit` (NaN never fits).
fn fits(amount: f64, limit: f64) -> bool {
    matches!(
        amount.partial_cmp(&limit),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    )
}
