//! `implreg store stats`, `prune` and `verify`: what a result store holds, removing what no
//! check of this build can reach (`implreg::store::care`), and trusting a store only after a
//! fresh run of the records the claims use gives them bit for bit.

use super::args::{AllowArgs, parse_days, parse_fraction, parse_threads};
use super::check::{Running, Selection, catch_ctrl_c, evaluate_all, tell_store};
use clap::Subcommand;
use implreg::claim::read::budget::Limits;
use implreg::printable::printable;
use implreg::store::care::{self, Tally};
use implreg::store::{self, Build, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

/// What to do with a store.
#[derive(Subcommand)]
pub enum StoreCommand {
    /// What the store holds: records this build reads, records of other builds (every edit of
    /// `src/` makes a new build), files of unknown format, temporary files, shard manifests.
    Stats {
        /// The store (by default `.implreg/store`, or `$IMPLREG_STORE`).
        #[arg(long)]
        store: Option<PathBuf>,
    },
    /// Remove what no check of this build can reach: records of other builds or of unknown
    /// format, and temporary files an hour old; safe while other processes check with the store.
    Prune {
        /// The store (by default `.implreg/store`, or `$IMPLREG_STORE`).
        #[arg(long)]
        store: Option<PathBuf>,
        /// Also remove this build's records not changed for this many days.
        #[arg(long, value_parser = parse_days)]
        older_than: Option<f64>,
        /// Say what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Solve again the runs of PATHS' claims that the store holds and compare them bit for bit:
    /// what a store filled by others (a shared disk, shards) gives can be trusted once it
    /// passes. Damaged or differing records are named; nothing is written.
    Verify {
        /// Claim files or folders whose runs are verified.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The store (by default `.implreg/store`, or `$IMPLREG_STORE`).
        #[arg(long)]
        store: Option<PathBuf>,
        /// Solve again this fraction of the records read (chosen by their keys, the same
        /// ones every time), not all of them.
        #[arg(long, value_parser = parse_fraction, default_value = "1")]
        fraction: f64,
        /// Worker threads, 1 to 1024; by default one per core.
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
        #[command(flatten)]
        allow: AllowArgs,
    },
}

/// Runs `command`.
pub fn run(command: StoreCommand) -> ExitCode {
    let build = Build::here();
    match command {
        StoreCommand::Stats { store } => {
            let root = store.unwrap_or_else(store::default_root);
            match care::stats(&root, &build) {
                Ok(stats) => {
                    emitln!(
                        "{}: {} of this build, {} of other builds, {} of unknown format, {} temporary, {} shard manifests",
                        shown(&root),
                        tally(stats.this_build),
                        tally(stats.other_builds),
                        tally(stats.unknown),
                        tally(stats.temporary),
                        stats.manifests
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => failed(&root, &e),
            }
        }
        StoreCommand::Prune {
            store,
            older_than,
            dry_run,
        } => {
            let root = store.unwrap_or_else(store::default_root);
            let before = older_than.and_then(|days| {
                SystemTime::now().checked_sub(Duration::from_secs_f64(days * 86_400.0))
            });
            match care::prune(&root, &build, before, dry_run) {
                Ok(pruned) => {
                    emitln!(
                        "{}: {} {}, {} temporary",
                        shown(&root),
                        if dry_run { "would remove" } else { "removed" },
                        tally(pruned.records),
                        tally(pruned.temporary)
                    );
                    for (file, why) in &pruned.failed {
                        eprintln!(
                            "implreg: {}: not removed: {}",
                            printable(file),
                            printable(why)
                        );
                    }
                    if pruned.failed.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => failed(&root, &e),
            }
        }
        StoreCommand::Verify {
            paths,
            store,
            fraction,
            threads,
            allow,
        } => verify(
            Selection {
                paths,
                seeds: None,
                threads,
                limits: Limits::default(),
                keep: false,
                // Verifying runs a stored external run's program again.
                permission: Some(allow.permission()),
            },
            store.unwrap_or_else(store::default_root),
            fraction,
        ),
    }
}

/// `implreg store verify`: the claims evaluated over a verifying store, the report dropped;
/// exit 1 if a record read was damaged or differs from its fresh run.
fn verify(selection: Selection, root: PathBuf, fraction: f64) -> ExitCode {
    let claims = match selection.load() {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let cancel = catch_ctrl_c();
    let store = Store::verifying(root, fraction);
    let running = Running::quiet();
    evaluate_all(&claims, &selection, &running, Some(&store), &cancel, false);
    tell_store(Some(&store), "verify: ");
    let tally = store.tally();
    if cancel.is_cancelled() {
        ExitCode::from(130)
    } else if tally.damaged.is_empty() && tally.differs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn shown(root: &Path) -> String {
    printable(&root.display().to_string()).into_owned()
}

/// `12 files (3.4 MB)`.
fn tally(t: Tally) -> String {
    format!("{} files ({:.1} MB)", t.files, t.bytes as f64 / 1e6)
}

fn failed(root: &Path, e: &std::io::Error) -> ExitCode {
    eprintln!("error: {}: {}", shown(root), printable(&e.to_string()));
    ExitCode::from(2)
}
