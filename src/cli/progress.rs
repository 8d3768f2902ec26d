//! The progress line on stderr: claims done of all, the point and runs of the claim under way,
//! elapsed time and an estimate, drawn only when stderr is a terminal (indicatif draws nothing
//! otherwise: pipes, CI logs).

use implreg::claim::Claim;
use implreg::printable::printable;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;

/// Claims done of all, the claim under way and its runs done, elapsed time and an estimate, on
/// stderr when it is a terminal; indicatif draws nothing otherwise (pipes, CI logs).
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(claims: usize) -> Self {
        let bar = ProgressBar::new(claims as u64);
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:12}] {pos}/{len} claims, ~{eta} left · {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "));
        if let Ok(style) = style {
            bar.set_style(style);
        }
        Self { bar }
    }

    /// Runs `evaluate` for `claim`, showing the point under way and the runs done.
    pub fn sweep<T>(
        &self,
        claim: &Claim,
        evaluate: impl FnOnce(&dyn Fn(usize, usize), &(dyn Fn() + Sync)) -> T,
    ) -> T {
        let id = printable(&claim.first().id).into_owned();
        let state = Mutex::new((String::new(), 0usize));
        let show = |state: &(String, usize)| {
            self.bar
                .set_message(format!("{id}{}: {} runs done", state.0, state.1));
        };
        let on_point = |k: usize, n: usize| {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            if n > 1 {
                state.0 = format!(" point {}/{n}", k + 1);
            }
            show(&state);
        };
        let on_run = || {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            state.1 += 1;
            show(&state);
        };
        let result = evaluate(&on_point, &on_run);
        self.bar.inc(1);
        result
    }

    /// Prints without tearing the bar.
    pub fn suspend(&self, print: impl FnOnce()) {
        self.bar.suspend(print);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
