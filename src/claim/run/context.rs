//! What an evaluation runs within: its bounds (time budgets, work limit, cancel token), the
//! result store and who hears of each finished run.

use crate::external::Permission;
use crate::solver::Bounds;
use crate::store::Store;

/// How a claim's runs are obtained: the bounds from outside (time budgets, the evaluation's
/// cancel token), a result store to read and keep them in, and whom to tell as each run
/// finishes (from any worker thread: how a progress display counts the work done).
#[derive(Clone)]
pub struct Context<'a> {
    /// The run's budget (past it: `exhausted`, stop `time`), the claim's deadline (past it:
    /// every run still going is interrupted and the claim ends `time`), the claim's work
    /// limit (each run that counts its work as it runs may do its share, the limit over the
    /// seeds and runs: past it `exhausted`, stop `work`) and the cancel token (once cancelled:
    /// every run still going is interrupted, and so is the claim).
    pub bounds: Bounds,
    /// Where runs are reused from and kept; none solves everything.
    pub store: Option<&'a Store>,
    /// Called as each run finishes.
    pub on_run: &'a (dyn Fn() + Sync),
    /// Whether each point's report keeps its runs' endpoints (`check --final`): a point's
    /// matrices are dropped once it is decided.
    pub endpoints: bool,
    /// The programs external runs may run (none by default: `ClaimSpec::check_external` refuses
    /// a claim that needs another before anything runs, and a run not allowed here fails).
    pub permission: Permission,
}

fn nothing() {}

impl<'a> Context<'a> {
    /// The context of one of `parts` equal shares of this one's work limit (the points of a
    /// grid; the seeds and runs of a point), all else alike.
    pub fn shared(&self, parts: f64) -> Context<'a> {
        let mut share = self.clone();
        share.bounds.work = self.bounds.work.map(|w| w / parts);
        share
    }
}

impl Default for Context<'_> {
    /// No limits, no store, nobody told.
    fn default() -> Self {
        Self {
            bounds: Bounds::default(),
            store: None,
            on_run: &nothing,
            endpoints: false,
            permission: Permission::default(),
        }
    }
}
