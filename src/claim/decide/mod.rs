//! Deciding: the statistics of rate claims (`sequential`: the sequential test, the sequence of
//! seeds, the exact interval), the rules that turn counts and decisions into verdicts
//! (`verdict`), the judgements across a sweep's points (`across`), and the search of a
//! claim's domain for a counterexample, shrunk and confirmed (`search`).

pub mod across;
pub mod search;
pub mod sequential;
pub mod verdict;
