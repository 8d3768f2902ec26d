//! The result store: every finished run kept under its content key (`key`), one checksummed
//! file each (`file`), so that checking again re-runs only what changed, an interrupted check
//! resumes, and shards on many machines pool their runs. A damaged, truncated or foreign file
//! is reported and recomputed, never trusted. Writers put a whole file in `tmp/` and rename it
//! into place, so a reader (or a second writer of the same run) never sees half a record.
//! Every path is opened from inside the store (`crate::confined`): a link planted in it never
//! leads a read or a write out of it, and only regular files of bounded size are read.
//!
//! Layout under the root: `runs/ab/cdef….run` (the key's 64 hex digits, split after two),
//! `tmp/` (files being written), `shards/` (what each shard ran: `crate::shard`).

pub mod care;
pub mod file;
pub mod key;

pub use key::{Build, RunKey};

use crate::confined::{Folder, Unread};
use crate::provenance::Provenance;
use crate::solver::RunRecord;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Where the store is when neither `--store` nor `IMPLREG_STORE` says: `.implreg/store` in the
/// working directory.
pub const DEFAULT: &str = ".implreg/store";

/// The store's folder: `IMPLREG_STORE` when set, else `DEFAULT`.
pub fn default_root() -> PathBuf {
    std::env::var_os("IMPLREG_STORE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT), PathBuf::from)
}

/// What a check did with the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Runs read from the store.
    pub reused: u64,
    /// Runs solved here (and kept, unless stopped from outside or by a time budget).
    pub solved: u64,
    /// Files that could not be trusted, and why; each was recomputed (or counted missing).
    pub damaged: Vec<(PathBuf, String)>,
    /// Files that could not be written, and why (the runs still count).
    pub unwritten: Vec<(PathBuf, String)>,
    /// Seconds the solved runs took, summed over threads.
    pub solver_seconds: f64,
    /// Records solved again (`Store::verifying`) and found identical, bit for bit.
    pub verified: u64,
    /// Records solved again whose fresh run was stopped (a time budget, Ctrl-C): not compared.
    pub unverified: u64,
    /// Records solved again that differ from their fresh run: not trusted, the fresh run used.
    pub differs: Vec<(PathBuf, String)>,
}

impl Tally {
    /// In a line: `812 runs reused, 3 solved (41.2 s), 1 damaged file recomputed`.
    pub fn summary(&self) -> String {
        let mut parts = vec![
            format!("{} runs reused", self.reused),
            format!("{} solved ({:.1} s)", self.solved, self.solver_seconds),
        ];
        if !self.damaged.is_empty() {
            parts.push(format!("{} damaged files not trusted", self.damaged.len()));
        }
        if !self.unwritten.is_empty() {
            parts.push(format!("{} not written", self.unwritten.len()));
        }
        if self.verified + self.unverified > 0 || !self.differs.is_empty() {
            parts.push(format!(
                "{} solved again: {} identical, {} differ, {} stopped before the end",
                self.verified + self.unverified + self.differs.len() as u64,
                self.verified,
                self.differs.len(),
                self.unverified
            ));
        }
        parts.join(", ")
    }
}

/// A result store: at most one folder written, any number read.
pub struct Store {
    /// Where runs are written (and read first).
    root: Option<PathBuf>,
    /// Read after `root`, never written (shards' stores being merged).
    others: Vec<PathBuf>,
    /// Whether a run no folder has is solved (else it is `missing`).
    solves: bool,
    build: Build,
    provenance: Provenance,
    tally: Mutex<Tally>,
    /// Distinguishes this process's temporary files.
    written: AtomicU64,
    /// The fraction of the records read that are solved again and compared (`verifying`).
    verify: f64,
}

impl Store {
    /// The store at `root`, read and written; its folders are made on first write.
    pub fn open(root: impl Into<PathBuf>) -> Self {
        Self::new(Some(root.into()), Vec::new(), true)
    }

    /// The stores at `roots`, only read: a run none has is not solved (`get_or_solve` gives
    /// `None`; the claim lists the seed in `ClaimReport::missing`).
    pub fn reading(roots: Vec<PathBuf>) -> Self {
        Self::new(None, roots, false)
    }

    /// The stores at `roots`, read; every record found in them is also copied into `into`
    /// (when given), so that the next round reads one store. Nothing is solved.
    pub fn merging(into: Option<PathBuf>, roots: Vec<PathBuf>) -> Self {
        Self::new(into, roots, false)
    }

    /// The store at `root`, only read: every record found is trusted only after a fresh run of
    /// its settings gives it bit for bit, for a `fraction` of the records (chosen by their keys,
    /// so the same ones on every run); a run it lacks is solved, nothing is written.
    pub fn verifying(root: PathBuf, fraction: f64) -> Self {
        Self {
            verify: fraction,
            ..Self::new(None, vec![root], true)
        }
    }

    fn new(root: Option<PathBuf>, others: Vec<PathBuf>, solves: bool) -> Self {
        Self {
            root,
            others,
            solves,
            build: Build::here(),
            provenance: Provenance::here(),
            tally: Mutex::new(Tally::default()),
            written: AtomicU64::new(0),
            verify: 0.0,
        }
    }

    /// The folder written, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Every folder read, the written one first.
    pub fn roots(&self) -> impl Iterator<Item = &Path> {
        self.root.iter().chain(&self.others).map(PathBuf::as_path)
    }

    /// The build whose records this store trusts.
    pub fn build(&self) -> &Build {
        &self.build
    }

    /// Where the record of `key` lives under `root`.
    pub fn path(root: &Path, key: &RunKey) -> PathBuf {
        root.join(Self::relative(key))
    }

    /// Where the record of `key` lives inside a store: `runs/ab/cdef….run`.
    fn relative(key: &RunKey) -> PathBuf {
        let (dir, name) = key.digest.split_at(2);
        Path::new("runs").join(dir).join(format!("{name}.run"))
    }

    /// The record of `key`: read from a store that has it intact, else solved by `solve` and
    /// kept (unless the store is read-only: then `None`). Runs stopped from outside or by a
    /// wall-time budget are not kept: they say nothing about their settings.
    pub fn get_or_solve(
        &self,
        key: &RunKey,
        solve: impl FnOnce() -> RunRecord,
    ) -> Option<RunRecord> {
        if let Some(record) = self.fetch(key) {
            if !self.sampled(key) {
                return Some(record);
            }
            let fresh = solve();
            self.compare(key, &record, &fresh);
            return Some(fresh);
        }
        if !self.solves {
            return None;
        }
        let started = Instant::now();
        let record = solve();
        let seconds = started.elapsed().as_secs_f64();
        {
            let mut tally = self.tally();
            tally.solved += 1;
            tally.solver_seconds += seconds;
        }
        if record.stop.keeps() {
            self.keep(key, &record, seconds);
        }
        Some(record)
    }

    /// The intact record of `key` in the first store that has one; damaged files are noted.
    /// A record found in a store other than the written one is copied into it.
    pub fn fetch(&self, key: &RunKey) -> Option<RunRecord> {
        for (k, root) in self.roots().enumerate() {
            let path = Self::path(root, key);
            let Ok(folder) = Folder::open(root) else {
                continue;
            };
            let bytes = match folder.read(&Self::relative(key), file::MAX_BYTES) {
                Ok(bytes) => bytes,
                Err(Unread::Missing) => continue,
                Err(Unread::Refused(reason)) => {
                    self.tally().damaged.push((path, reason));
                    continue;
                }
            };
            match file::decode(&bytes, key, &self.build) {
                Ok(read) => {
                    self.tally().reused += 1;
                    if k > 0
                        && let Some(into) = &self.root
                    {
                        self.write(into, key, &bytes);
                    }
                    return Some(read.record);
                }
                Err(reason) => self.tally().damaged.push((path, reason)),
            }
        }
        None
    }

    /// Whether the record of `key` is among the fraction solved again: its key's first 32 bits,
    /// read as a point of (0, 1), below that fraction (every record at 1, none at 0).
    fn sampled(&self, key: &RunKey) -> bool {
        let head = u32::from_str_radix(&key.digest[..8], 16).unwrap_or(0);
        (f64::from(head) + 0.5) / 2f64.powi(32) < self.verify
    }

    /// Tallies whether `stored` is what `fresh`, a new run of its settings, gave.
    fn compare(&self, key: &RunKey, stored: &RunRecord, fresh: &RunRecord) {
        let mut tally = self.tally();
        if !fresh.stop.keeps() {
            tally.unverified += 1;
        } else if file::same_result(stored, fresh) {
            tally.verified += 1;
        } else {
            let path = self.roots().next().map(|root| Self::path(root, key));
            tally.differs.push((
                path.unwrap_or_default(),
                "differs from a fresh run of its settings: not trusted".into(),
            ));
        }
    }

    /// Keeps the record of `key` in the written store, if there is one.
    fn keep(&self, key: &RunKey, record: &RunRecord, seconds: f64) {
        if let Some(root) = &self.root {
            let bytes = file::encode(key, record, &self.provenance.now(), seconds);
            self.write(root, key, &bytes);
        }
    }

    fn write(&self, root: &Path, key: &RunKey, bytes: &[u8]) {
        let n = self.written.fetch_add(1, Ordering::Relaxed);
        let stem = format!("{}.{}.{n}", key.digest, std::process::id());
        if let Err(e) = write_whole_as(root, &Self::relative(key), &stem, bytes) {
            self.tally()
                .unwritten
                .push((Self::path(root, key), e.to_string()));
        }
    }

    /// Whether runs it lacks are solved.
    pub fn solves(&self) -> bool {
        self.solves
    }

    /// What this store was used for so far.
    pub fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes `bytes` to `path` (relative to the store at `root`) whole: into `tmp/` first, under a
/// name created exclusively, then renamed into place, so that no reader sees part of it and no
/// link planted in the store is followed.
pub fn write_whole(root: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static N: AtomicU64 = AtomicU64::new(0);
    let stem = format!(
        "file.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    write_whole_as(root, path, &stem, bytes)
}

fn write_whole_as(root: &Path, path: &Path, stem: &str, bytes: &[u8]) -> std::io::Result<()> {
    Folder::create(root)?.write_whole(path, Path::new("tmp"), stem, bytes)
}
