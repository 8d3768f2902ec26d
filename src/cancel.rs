//! Cancellation that belongs to one evaluation, not to the process: a caller makes a token,
//! hands clones of it to what it starts (the claim's context, every run's bounds) and cancels
//! them all at once; another evaluation in the same process, with its own token, goes on. The
//! CLI binds Ctrl-C to the token of the command it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag shared by the clones of one token: cancelling any clone cancels them all.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token nobody has cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything holding a clone to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether any clone was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::Cancel;

    #[test]
    fn a_token_cancels_its_clones_and_no_other() {
        let (one, other) = (Cancel::new(), Cancel::new());
        let clone = one.clone();
        assert!(!one.is_cancelled() && !clone.is_cancelled());
        clone.cancel();
        assert!(one.is_cancelled() && clone.is_cancelled());
        assert!(!other.is_cancelled());
    }
}
