//! A check split across processes that share nothing but files: `plan` says which seeds of
//! which claim points still need solving (given what a result store already holds), and deals
//! them to N shards; each shard solves its seeds into a store (`claim::run::point::solve_seeds`)
//! and leaves a manifest; merging reads every shard's store and evaluates the claims from it,
//! solving nothing, so the report is the one a single process gives, byte for byte.
//!
//! Rate claims draw seeds until decided, so their work is not known in advance. A round deals
//! each undecided claim point a window of seeds from the first one the store lacks: at first the
//! fewest seeds that could decide it (29 for `always`), later as many as it has already used
//! (doubling), never past its budget. After a round, merging decides what it can and names
//! the claims that need another; the next round is planned from the pooled store.
//!
//! Dealing is per claim and ignores what the store holds, so adding a claim never moves another
//! claim's seeds and shards that plan at different moments of a round (one sharing a store with
//! another that has finished) still agree: a claim's candidate seeds (a fixed block whole, a
//! rate's window) are sorted by their estimated cost (`claim::read::budget::seed_work`, largest first) and
//! dealt in a snake over the shards from a shard chosen by the claim's id; then each shard
//! solves those of its seeds the store lacks. Disagreement can only cost a round, never a
//! result: merging evaluates whatever the stores hold.

use crate::claim::Context;
use crate::claim::decide::search::Stage;
use crate::claim::read::budget::seed_work;
use crate::claim::read::parameters::describe;
use crate::claim::run::point::{self, fewest_seeds};
use crate::claim::run::search;
use crate::claim::{Claim, ClaimSpec, Sampling, Seeds};
use crate::confined::{Folder, Unread};
use crate::printable::printable;
use crate::provenance::Provenance;
use crate::store::{self, Store, key::digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// Shard K of N, 1 ≤ K ≤ N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl ShardId {
    /// `K/N` as written on the command line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || format!("K/N with 1 ≤ K ≤ N ≤ {MAX_SHARDS}, e.g. 2/7; found `{text}`");
        let (k, n) = text.split_once('/').ok_or_else(expected)?;
        let (index, count): (usize, usize) = match (k.trim().parse(), n.trim().parse()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => return Err(expected()),
        };
        if !(1..=count).contains(&index) || count > MAX_SHARDS {
            return Err(expected());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The most shards a plan deals to.
pub const MAX_SHARDS: usize = 100_000;

/// The most bytes a manifest may have when read (one lists its claim files and their digests).
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// A claim point's seeds still to solve this round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Work {
    /// The claim's id.
    pub claim: String,
    /// The claim's index among those planned.
    #[serde(skip)]
    pub index: usize,
    /// The grid point (0 for a plain claim).
    pub point: usize,
    /// The block of seeds the point is evaluated on (its first draws the figures' curves).
    #[serde(skip)]
    pub block: Seeds,
    /// The seeds to solve, ascending.
    pub seeds: Vec<u64>,
    /// The shard (0-based) each seed goes to.
    pub shards: Vec<usize>,
    /// Estimated operations of one seed.
    pub seed_cost: f64,
    /// A searched claim's point beyond those drawn (a kept counterexample, a shrink candidate,
    /// a confirmation): where and why, in words; its claim is `spec`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// That point's claim, as its decision runs it.
    #[serde(skip)]
    pub spec: Option<Box<ClaimSpec>>,
}

impl Work {
    /// The claim the work's seeds are solved for.
    pub fn spec<'c>(&'c self, claim: &'c Claim) -> &'c ClaimSpec {
        self.spec
            .as_deref()
            .unwrap_or(&claim.points[self.point].spec)
    }
}

/// One round of work, dealt to shards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// How many shards.
    pub shards: usize,
    /// The work, claim by claim, point by point.
    pub work: Vec<Work>,
    /// Claims decided (or fully solved) from the store already.
    pub done: Vec<String>,
}

impl Plan {
    /// Shard `shard`'s seeds (0-based), work item by work item.
    pub fn share(&self, shard: usize) -> Vec<(&Work, Vec<u64>)> {
        self.work
            .iter()
            .map(|w| {
                let seeds = w
                    .seeds
                    .iter()
                    .zip(&w.shards)
                    .filter(|(_, s)| **s == shard)
                    .map(|(seed, _)| *seed)
                    .collect();
                (w, seeds)
            })
            .filter(|(_, seeds): &(_, Vec<u64>)| !seeds.is_empty())
            .collect()
    }

    /// Each shard's estimated operations.
    pub fn loads(&self) -> Vec<f64> {
        let mut loads = vec![0.0; self.shards];
        for w in &self.work {
            for shard in &w.shards {
                loads[*shard] += w.seed_cost;
            }
        }
        loads
    }

    /// Whether nothing is left to solve.
    pub fn is_empty(&self) -> bool {
        self.work.is_empty()
    }
}

/// The next round for `claims` given what `store` holds (read only): for every claim point,
/// the seeds its evaluation would need next, dealt to `shards` shards. `seeds` overrides a
/// point's seeds as `check --seeds` does.
pub fn plan(
    claims: &[Claim],
    seeds: impl Fn(&ClaimSpec) -> Option<Seeds>,
    store: &Store,
    shards: usize,
) -> Plan {
    let context = Context {
        store: Some(store),
        ..Context::default()
    };
    let mut work = Vec::new();
    let mut done = Vec::new();
    for (index, claim) in claims.iter().enumerate() {
        let mut needed = Vec::new();
        // A search past its drawn points needs one decision at a time; drawing, it needs
        // every drawn point's seeds (dealt at once, as a sweep's points are); decided from
        // the store, nothing more.
        let mut drawing = true;
        if let Some(searched) = &claim.search {
            match search::next_needed(claim, searched, &seeds, &context) {
                None => drawing = false,
                Some(need) if need.stage == Stage::Search => {}
                Some(need) => {
                    drawing = false;
                    needed.push((
                        Work {
                            claim: need.spec.id.clone(),
                            index,
                            point: 0,
                            block: need.block,
                            seeds: candidates(&need.spec, need.block, &need.missing),
                            shards: Vec::new(),
                            seed_cost: seed_work(&need.spec.problem, &need.spec.runs),
                            search: Some(format!("{} {}", need.stage, describe(&need.settings))),
                            spec: Some(Box::new(need.spec)),
                        },
                        need.missing,
                    ));
                }
            }
        }
        let drawn = claim.points.iter().map(|p| &p.spec).enumerate();
        for (point, spec) in drawn.filter(|_| drawing) {
            let block = seeds(spec).unwrap_or(spec.seeds);
            let report = point::evaluate(spec, seeds(spec), &context);
            let candidates = candidates(spec, block, &report.missing);
            if !candidates.is_empty() {
                needed.push((
                    Work {
                        claim: spec.id.clone(),
                        index,
                        point,
                        block,
                        seeds: candidates,
                        shards: Vec::new(),
                        seed_cost: seed_work(&spec.problem, &spec.runs),
                        search: None,
                        spec: None,
                    },
                    report.missing,
                ));
            }
        }
        if needed.is_empty() {
            done.push(claim.first().id.clone());
            continue;
        }
        let (mut items, missing): (Vec<Work>, Vec<Vec<u64>>) = needed.into_iter().unzip();
        deal(&claim.first().id, &mut items, shards);
        for (mut item, missing) in items.into_iter().zip(missing) {
            // A fixed block was dealt whole; its shards solve only what the store lacks.
            if let Sampling::Fixed = item.spec(claim).sampling {
                let missing: BTreeSet<u64> = missing.into_iter().collect();
                (item.seeds, item.shards) = item
                    .seeds
                    .iter()
                    .zip(&item.shards)
                    .filter(|(seed, _)| missing.contains(seed))
                    .unzip();
            }
            if !item.seeds.is_empty() {
                work.push(item);
            }
        }
    }
    Plan { shards, work, done }
}

/// The seeds dealt for a point this round, given the seeds its evaluation found missing: a
/// fixed block whole, a rate's window from the first seed missing.
fn candidates(spec: &ClaimSpec, block: Seeds, missing: &[u64]) -> Vec<u64> {
    let Some(&first) = missing.iter().min() else {
        return Vec::new();
    };
    match spec.sampling {
        Sampling::Fixed => block.list(),
        Sampling::Sequential(_) => {
            let end = block.from.saturating_add(block.count);
            let window = fewest_seeds(spec).max(first - block.from);
            (first..first.saturating_add(window).min(end)).collect()
        }
    }
}

/// Deals a claim's seeds: the costliest first, in a snake over the shards from a shard chosen
/// by the claim's id.
fn deal(id: &str, work: &mut [Work], shards: usize) {
    let start = u64::from_str_radix(&digest(id.as_bytes())[..12], 16).expect("hex") as usize;
    let mut order: Vec<(usize, usize)> = work
        .iter()
        .enumerate()
        .flat_map(|(w, item)| (0..item.seeds.len()).map(move |s| (w, s)))
        .collect();
    // Stable: equal costs keep point and seed order.
    order.sort_by(|a, b| work[b.0].seed_cost.total_cmp(&work[a.0].seed_cost));
    for item in work.iter_mut() {
        item.shards = vec![0; item.seeds.len()];
    }
    for (i, (w, s)) in order.into_iter().enumerate() {
        let (round, place) = (i / shards, i % shards);
        let place = if round % 2 == 0 {
            place
        } else {
            shards - 1 - place
        };
        work[w].shards[s] = (start + place) % shards;
    }
}

/// What a shard leaves beside its records, so that merging can check it has every shard of a
/// plan and the very claims they ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Which shard.
    pub shard: ShardId,
    /// The claim paths as given to `check`.
    pub paths: Vec<String>,
    /// Every claim file read, with the SHA-256 of its text.
    pub files: Vec<(String, String)>,
    /// `--seeds` as given, if it was.
    pub seeds: Option<String>,
    /// Seeds this shard solved.
    pub solved_seeds: usize,
    /// Who ran it, where and when.
    pub provenance: Provenance,
}

impl Manifest {
    /// Where a shard's manifest lives in its store (the last round's replaces the earlier).
    pub fn path(root: &Path, shard: ShardId) -> PathBuf {
        root.join(Self::relative(shard))
    }

    /// Where a shard's manifest lives inside a store.
    fn relative(shard: ShardId) -> PathBuf {
        Path::new("shards").join(format!("{}-of-{}.json", shard.index, shard.count))
    }

    /// Writes it into the store at `root` (whole, then renamed into place).
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).expect("manifests serialise");
        store::write_whole(root, &Self::relative(self.shard), text.as_bytes())
    }

    /// Every manifest in the stores at `roots`, with the file each came from; an unreadable
    /// one is an error naming it. Manifests are read from inside each store (no link leads
    /// out), only from regular files of at most `MAX_MANIFEST_BYTES`, and their shard must be
    /// one `--shard` accepts.
    pub fn read_all(roots: &[PathBuf]) -> Result<Vec<(PathBuf, Manifest)>, String> {
        let mut found = Vec::new();
        for root in roots {
            let Ok(folder) = Folder::open(root) else {
                continue;
            };
            let shards = Path::new("shards");
            let names = folder.names(shards).map_err(|e| {
                format!(
                    "{}: {e}",
                    printable(&root.join(shards).display().to_string())
                )
            })?;
            for name in names.iter().filter(|n| n.ends_with(".json")) {
                let file = root.join(shards).join(name);
                let named = || printable(&file.display().to_string()).into_owned();
                let bytes = match folder.read(&shards.join(name), MAX_MANIFEST_BYTES) {
                    Ok(bytes) => bytes,
                    Err(Unread::Missing) => continue,
                    Err(Unread::Refused(why)) => return Err(format!("{}: {why}", named())),
                };
                let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                    format!("{}: not a shard manifest implreg wrote ({e})", named())
                })?;
                ShardId::parse(&manifest.shard.to_string())
                    .map_err(|e| format!("{}: its shard: expected {e}", named()))?;
                found.push((file, manifest));
            }
        }
        Ok(found)
    }
}

impl Manifest {
    /// Whether the claim files its paths name now are the ones the shards ran, byte for byte:
    /// checked before any is parsed, so that a manifest naming other files never has them
    /// read as claims (nor their text quoted in an error). Each is read as a claim is (a
    /// regular file of bounded size).
    pub fn same_claim_files(&self) -> Result<(), String> {
        let paths: Vec<PathBuf> = self.paths.iter().map(PathBuf::from).collect();
        let files = crate::claim::claim_files(&paths).map_err(|e| e.to_string())?;
        let named: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let ran: Vec<&String> = self.files.iter().map(|(file, _)| file).collect();
        if named.iter().collect::<Vec<_>>() != ran {
            return Err(format!(
                "the shards' paths ({}) now name other claim files than the {} they ran; merge from the folder the shards ran in",
                self.paths.join(", "),
                ran.len()
            ));
        }
        for (file, digest) in &self.files {
            let now = crate::claim::read::source::read(Path::new(file))
                .map(|t| store::key::digest(t.as_bytes()));
            if now.as_ref().ok() != Some(digest) {
                return Err(format!(
                    "{file}: not the claim file the shards ran (changed or gone since); merge from the folder the shards ran in"
                ));
            }
        }
        Ok(())
    }
}

/// The claim files, paths and seeds every manifest agrees on; otherwise which disagrees.
pub fn agreed(manifests: &[(PathBuf, Manifest)]) -> Result<&Manifest, String> {
    let Some((_, first)) = manifests.first() else {
        return Err("no shard manifests (shards/K-of-N.json) in the folders given: were they written by `implreg check --shard K/N --store DIR`?".into());
    };
    for (file, m) in manifests {
        if (&m.paths, &m.files, &m.seeds) != (&first.paths, &first.files, &first.seeds) {
            return Err(format!(
                "{} ran other claims or seeds than {} (paths {:?}, seeds {:?})",
                file.display(),
                manifests[0].0.display(),
                m.paths,
                m.seeds
            ));
        }
    }
    Ok(first)
}

/// The shards (`K/N`) of every split found that left no manifest: stopped before they
/// finished (killed, cancelled, out of time), or their store was not given.
pub fn lacking(manifests: &[(PathBuf, Manifest)]) -> Vec<String> {
    let mut splits: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (_, m) in manifests {
        splits.entry(m.shard.count).or_default().push(m.shard.index);
    }
    let mut lacking = Vec::new();
    for (count, mut have) in splits {
        have.sort_unstable();
        have.dedup();
        lacking.extend(
            (1..=count)
                .filter(|k| have.binary_search(k).is_err())
                .map(|k| format!("{k}/{count}")),
        );
    }
    lacking
}

/// Every claim file under `paths` with the SHA-256 of its text, as a manifest records them.
pub fn fingerprints(files: &[PathBuf]) -> std::io::Result<Vec<(String, String)>> {
    files
        .iter()
        .map(|f| {
            let text = crate::claim::read::source::read(f).map_err(std::io::Error::other)?;
            Ok((f.display().to_string(), digest(text.as_bytes())))
        })
        .collect()
}

/// Seeds as people read them: `0-28, 31, 40-41`.
pub fn ranges(seeds: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seeds.len() {
        let mut j = i;
        while j + 1 < seeds.len() && seeds[j + 1] == seeds[j] + 1 {
            j += 1;
        }
        parts.push(if j == i {
            seeds[i].to_string()
        } else {
            format!("{}-{}", seeds[i], seeds[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ids_are_checked() {
        assert_eq!(ShardId::parse("2/7"), Ok(ShardId { index: 2, count: 7 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"] {
            assert!(ShardId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_compress_runs() {
        assert_eq!(ranges(&[0, 1, 2, 5, 7, 8]), "0-2, 5, 7-8");
        assert_eq!(ranges(&[]), "");
    }

    fn work(cost: f64, n: usize) -> Work {
        Work {
            claim: "c".into(),
            index: 0,
            point: 0,
            block: Seeds {
                from: 0,
                count: n as u64,
            },
            seeds: (0..n as u64).collect(),
            shards: Vec::new(),
            seed_cost: cost,
            search: None,
            spec: None,
        }
    }

    /// The snake keeps every shard within the costliest seed of the mean.
    #[test]
    fn dealing_balances_a_claim() {
        let mut items = vec![work(10.0, 7), work(1.0, 30), work(3.0, 5)];
        deal("claim", &mut items, 4);
        let plan = Plan {
            shards: 4,
            work: items,
            done: Vec::new(),
        };
        let loads = plan.loads();
        let mean = loads.iter().sum::<f64>() / 4.0;
        assert!(loads.iter().all(|l| (l - mean).abs() <= 10.0), "{loads:?}");
        let dealt: usize = (0..4)
            .map(|s| plan.share(s).iter().map(|(_, v)| v.len()).sum::<usize>())
            .sum();
        assert_eq!(dealt, 42);
    }
}
