//! Deciding: the statistics of rate claims (`sequential`: the sequential test, the sequence of
//! seeds, the exact interval), the rules that turn counts and decisions into verdicts
//! (`verdict`), and the judgements across a sweep's points (`across`).

pub mod across;
pub mod sequential;
pub mod verdict;
