//! What an evaluation says: a claim's report (`claim`), a sweep's and what any claim file gives
//! (`sweep`), a searched claim's (`search`), the figures' data (`figure`), the text and accessors every shape shares
//! (`outcome`), and reports as snapshots (`snapshot`). `render` draws them.

pub mod claim;
pub mod figure;
pub mod outcome;
pub mod search;
pub mod snapshot;
pub mod sweep;
