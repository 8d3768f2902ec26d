//! The CLI's parts: its argument parsers (`args`), the commands that run claims (`check`:
//! `check` and `measure`), the shard commands (`shards`: `check --shard`, `plan`, `merge`) and
//! the progress line (`progress`), and looking after a store (`store`: `store stats`,
//! `store prune`).

pub mod args;
pub mod check;
pub mod progress;
pub mod shards;
pub mod store;
