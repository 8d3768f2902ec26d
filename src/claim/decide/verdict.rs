//! The rules that turn evidence into decisions and decisions into verdicts, in one place: a
//! fixed quantifier's count over its block, and the one verdict rule that a claim applies to its
//! assertions and a sweep to its points and its assertions across points.

use crate::claim::decide::sequential::{Decision, Ending};
use crate::claim::read::spec::Verdict;

/// A fixed quantifier's decision: holds when `passed` reaches the `needed` count, refuted
/// when it does not; open when the quantifier is a rate (a rate counted over a fixed block,
/// as `implreg measure` does, is measured, not decided) or the claim's evaluation ended other
/// than decided (its seeds count for nothing).
pub fn count(needed: Option<u64>, passed: u64, ending: Ending) -> Decision {
    match needed {
        _ if ending != Ending::Decided => Decision::Open,
        Some(needed) if passed >= needed => Decision::Holds,
        Some(_) => Decision::Refuted,
        None => Decision::Open,
    }
}

/// Refuted when one decision is, holds when all do (and nothing was cut short), inconclusive
/// otherwise.
pub fn of(decisions: impl IntoIterator<Item = Decision>, interrupted: bool) -> Verdict {
    let (mut refuted, mut all_hold) = (false, true);
    for decision in decisions {
        refuted |= decision == Decision::Refuted;
        all_hold &= decision == Decision::Holds;
    }
    if refuted {
        Verdict::Refuted
    } else if all_hold && !interrupted {
        Verdict::Holds
    } else {
        Verdict::Inconclusive
    }
}

/// A verdict read as a decision, for a sweep that decides over its points' verdicts.
pub fn as_decision(verdict: Verdict) -> Decision {
    match verdict {
        Verdict::Holds => Decision::Holds,
        Verdict::Refuted => Decision::Refuted,
        Verdict::Inconclusive => Decision::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Holds, Open, Refuted};

    #[test]
    fn a_count_decides_at_its_edge_and_only_when_decided() {
        assert_eq!(count(Some(3), 3, Ending::Decided), Holds);
        assert_eq!(count(Some(3), 2, Ending::Decided), Refuted);
        assert_eq!(count(Some(0), 0, Ending::Decided), Holds);
        assert_eq!(count(None, 5, Ending::Decided), Open);
        for ending in [Ending::Budget, Ending::Interrupted, Ending::Time] {
            assert_eq!(count(Some(3), 3, ending), Open);
            assert_eq!(count(Some(3), 0, ending), Open);
        }
    }

    #[test]
    fn one_refutation_refutes_and_holding_needs_all() {
        assert_eq!(of([Holds, Holds], false), Verdict::Holds);
        assert_eq!(of([Holds, Refuted, Open], false), Verdict::Refuted);
        assert_eq!(of([Holds, Open], false), Verdict::Inconclusive);
        assert_eq!(of([Holds, Holds], true), Verdict::Inconclusive);
        assert_eq!(of([Refuted], true), Verdict::Refuted);
        assert_eq!(of([], false), Verdict::Holds);
        for v in [Verdict::Holds, Verdict::Refuted, Verdict::Inconclusive] {
            assert_eq!(of([as_decision(v)], false), v);
        }
    }
}
