//! Looking after a store: what it holds (`stats`: records of this build and of others, bytes,
//! temporary files, shard manifests) and a `prune` of what no check of this build can reach —
//! records of other builds or of an unknown format, records older than a cut-off if asked, and
//! temporary files left an hour or more ago. Safe while other processes check with the store:
//! a record is removed whole (a reader that opened it keeps it; the next to look solves it
//! again), and a temporary file younger than an hour, a writer's file in flight, is never touched.
//! Every path is opened from inside the store (`confined`).

use super::file;
use super::key::Build;
use crate::confined::{Folder, Unread};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How much of a record is read to know its build: its first line and its header.
const HEADER_BYTES: u64 = 1 << 20;

/// A temporary file this old was left by a writer that is gone.
const STALE: Duration = Duration::from_secs(3600);

/// What a store holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Records this build reads.
    pub this_build: Tally,
    /// Records of other builds (another version, source or kernels): no check of this build
    /// reads them.
    pub other_builds: Tally,
    /// Files under `runs/` that are not records of this format.
    pub unknown: Tally,
    /// Files in `tmp/`.
    pub temporary: Tally,
    /// Shard manifests in `shards/`.
    pub manifests: u64,
}

/// A count of files and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Files.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.files += 1;
        self.bytes += bytes;
    }
}

/// One file of the store: where, how large, when last changed, and what it is.
struct Entry {
    path: PathBuf,
    bytes: u64,
    changed: SystemTime,
    kind: Kind,
}

#[derive(PartialEq)]
enum Kind {
    ThisBuild,
    OtherBuild,
    Unknown,
    Temporary,
}

/// Every record and temporary file in the store at `root`, classified.
fn entries(folder: &Folder, build: &Build) -> std::io::Result<Vec<Entry>> {
    let mut found = Vec::new();
    let runs = Path::new("runs");
    for dir in folder.names(runs)? {
        let dir = runs.join(dir);
        let Ok(names) = folder.names(&dir) else {
            continue;
        };
        for name in names {
            let path = dir.join(name);
            let Ok((bytes, changed)) = folder.file(&path) else {
                continue;
            };
            let kind = match folder.read_start(&path, HEADER_BYTES) {
                Ok(start) => match file::build_of(&start) {
                    Some(made) if made == *build => Kind::ThisBuild,
                    Some(_) => Kind::OtherBuild,
                    None => Kind::Unknown,
                },
                Err(Unread::Missing) => continue,
                Err(Unread::Refused(_)) => Kind::Unknown,
            };
            found.push(Entry {
                path,
                bytes,
                changed,
                kind,
            });
        }
    }
    let tmp = Path::new("tmp");
    for name in folder.names(tmp)? {
        let path = tmp.join(name);
        if let Ok((bytes, changed)) = folder.file(&path) {
            found.push(Entry {
                path,
                bytes,
                changed,
                kind: Kind::Temporary,
            });
        }
    }
    Ok(found)
}

/// What the store at `root` holds, as this `build` sees it.
pub fn stats(root: &Path, build: &Build) -> std::io::Result<Stats> {
    let folder = Folder::open(root)?;
    let mut stats = Stats::default();
    for entry in entries(&folder, build)? {
        let tally = match entry.kind {
            Kind::ThisBuild => &mut stats.this_build,
            Kind::OtherBuild => &mut stats.other_builds,
            Kind::Unknown => &mut stats.unknown,
            Kind::Temporary => &mut stats.temporary,
        };
        tally.add(entry.bytes);
    }
    stats.manifests = folder
        .names(Path::new("shards"))?
        .iter()
        .filter(|n| n.ends_with(".json"))
        .count() as u64;
    Ok(stats)
}

/// What a prune removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pruned {
    /// Records and files of unknown format.
    pub records: Tally,
    /// Stale temporary files.
    pub temporary: Tally,
    /// Files that could not be removed, and why.
    pub failed: Vec<(String, String)>,
}

/// Removes from the store at `root` what this `build` cannot reach: records of other builds
/// or of unknown format, records of this build not changed since `before` (when given), and
/// temporary files an hour old; with `dry`, removes nothing and says what it would.
pub fn prune(
    root: &Path,
    build: &Build,
    before: Option<SystemTime>,
    dry: bool,
) -> std::io::Result<Pruned> {
    let folder = Folder::open(root)?;
    let now = SystemTime::now();
    let mut pruned = Pruned::default();
    for entry in entries(&folder, build)? {
        let old = |cut: SystemTime| entry.changed < cut;
        let (goes, tally) = match entry.kind {
            Kind::OtherBuild | Kind::Unknown => (true, &mut pruned.records),
            Kind::ThisBuild => (before.is_some_and(old), &mut pruned.records),
            Kind::Temporary => (
                now.checked_sub(STALE).is_some_and(old),
                &mut pruned.temporary,
            ),
        };
        if !goes {
            continue;
        }
        match if dry {
            Ok(())
        } else {
            folder.remove(&entry.path)
        } {
            Ok(()) => tally.add(entry.bytes),
            Err(e) => pruned
                .failed
                .push((entry.path.display().to_string(), e.to_string())),
        }
    }
    Ok(pruned)
}
