//! `implreg store stats` and `implreg store prune`: what a result store holds, and removing what
//! no check of this build can reach (`implreg::store::care`).

use super::args::parse_days;
use clap::Subcommand;
use implreg::printable::printable;
use implreg::store::care::{self, Tally};
use implreg::store::{self, Build};
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
