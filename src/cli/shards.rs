//! The commands that split a check across processes: `check --shard K/N` (one shard's share
//! of the next round, solved into a store), `plan` (what each shard would solve) and `merge`
//! (the report from the shards' stores alone).

use super::check::{
    Running, Selection, catch_ctrl_c, evaluate_all, finish, store_note, tell_store,
};
use crate::Format;
use implreg::claim;
use implreg::claim::Context;
use implreg::claim::read::budget::Limits;
use implreg::claim::run::{grid, point};
use implreg::printable::printable;
use implreg::provenance::Provenance;
use implreg::shard::{self, Manifest, ShardId};
use implreg::solver::Bounds;
use implreg::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The exit code of a merge that needs another round of shards.
pub const ANOTHER_ROUND: u8 = 4;

/// `implreg check --shard K/N`: solves this shard's share of the next round into `store` and
/// leaves a manifest there; decides nothing.
pub fn run_shard(
    selection: &Selection,
    running: &Running,
    store: PathBuf,
    id: ShardId,
) -> ExitCode {
    let claims = match selection.load() {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let files = match claim::claim_files(&selection.paths).and_then(|files| {
        shard::fingerprints(&files).map_err(|e| claim::SpecError::Unreadable {
            file: selection.paths[0].clone(),
            reason: e.to_string(),
        })
    }) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cancel = catch_ctrl_c();
    let started = Instant::now();
    let plan = shard::plan(
        &claims,
        |s| selection.seeds_for(s),
        &Store::reading(vec![store.clone()]),
        id.count,
    );
    let share = plan.share(id.index - 1);
    let writing = Store::open(&store);
    let context = Context {
        bounds: Bounds {
            run_seconds: running.run_seconds,
            deadline: None,
            work: Some(selection.limits.work),
            cancel: cancel.clone(),
        },
        store: Some(&writing),
        ..Context::default()
    };
    let mut solved_seeds = 0;
    for (work, seeds) in &share {
        if cancel.is_cancelled() {
            break;
        }
        let claim = &claims[work.index];
        let context = grid::per_point(claim, &context);
        point::solve_seeds(work.spec(claim), work.block, seeds, &context);
        solved_seeds += seeds.len();
    }
    let manifest = Manifest {
        shard: id,
        paths: selection
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        files,
        seeds: selection.seeds.map(|s| s.to_string()),
        solved_seeds,
        provenance: Provenance::here(),
    };
    tell_store(Some(&writing), &format!("shard {id}: "));
    if cancel.is_cancelled() {
        eprintln!("implreg: shard {id} interrupted; what it solved is stored");
        return ExitCode::from(130);
    }
    if let Err(e) = manifest.write(&store) {
        eprintln!(
            "implreg: cannot write the shard's manifest into {}: {e}",
            printable(&store.display().to_string())
        );
        return ExitCode::from(1);
    }
    emitln!(
        "shard {id}: {solved_seeds} seeds of {} claim points in {:.1} s; {} claims already decided by the store; records in {}",
        share.len(),
        started.elapsed().as_secs_f64(),
        plan.done.len(),
        printable(&store.display().to_string())
    );
    ExitCode::SUCCESS
}

/// `implreg plan --shards N`: what each shard would solve next, given the store.
pub fn plan(selection: &Selection, store: PathBuf, shards: usize, format: Format) -> ExitCode {
    let claims = match selection.load() {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let reading = Store::reading(vec![store.clone()]);
    let plan = shard::plan(&claims, |s| selection.seeds_for(s), &reading, shards);
    match format {
        Format::Json => {
            emitln!(
                "{}",
                serde_json::to_string_pretty(&plan).expect("plans serialise")
            );
            return ExitCode::SUCCESS;
        }
        Format::Junit => {
            eprintln!("error: `--format`: a plan is `text` or `json`");
            return ExitCode::from(2);
        }
        Format::Text => {}
    }
    let loads = plan.loads();
    let total: f64 = loads.iter().sum();
    let seeds: usize = plan.work.iter().map(|w| w.seeds.len()).sum();
    emitln!(
        "{} claims; {} decided from the store {}; {seeds} seeds of {} claim points to solve next, ~{total:.1e} operations at most, over {shards} shards",
        claims.len(),
        plan.done.len(),
        printable(&store.display().to_string()),
        plan.work.len(),
    );
    for (k, load) in loads.iter().enumerate() {
        let share = plan.share(k);
        let count: usize = share.iter().map(|(_, s)| s.len()).sum();
        let percent = if total > 0.0 {
            100.0 * load / total
        } else {
            0.0
        };
        emitln!(
            "shard {}/{shards}: {count} seeds, ~{load:.1e} operations ({percent:.0} %)",
            k + 1
        );
        for (work, seeds) in share {
            let at = match &work.search {
                Some(at) => format!(" {}", printable(at)),
                None if claims[work.index].is_sweep() => format!(" point {}", work.point),
                None => String::new(),
            };
            emitln!(
                "  {}{at}: seeds {}",
                printable(&work.claim),
                shard::ranges(&seeds)
            );
        }
    }
    ExitCode::SUCCESS
}

/// "shard 2/4", or the first of many and how many more.
fn shards_named(shards: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut named = shards[..shards.len().min(SHOWN)].join(", ");
    if shards.len() > SHOWN {
        named.push_str(&format!(" and {} more", shards.len() - SHOWN));
    }
    let noun = if shards.len() == 1 { "shard" } else { "shards" };
    format!("{noun} {named}")
}

/// `implreg merge DIR…`: the report of the claims the shards ran, from their stores alone.
/// A round is finished when every shard left its manifest and no claim needs more seeds;
/// otherwise the exit code asks for another round (a killed shard is made good by the next).
pub fn merge(
    dirs: Vec<PathBuf>,
    threads: Option<usize>,
    running: &Running,
    into: Option<PathBuf>,
) -> ExitCode {
    let manifests = Manifest::read_all(&dirs)
        .and_then(|all| shard::agreed(&all).cloned().map(|agreed| (agreed, all)));
    let (manifest, all) = match manifests {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {}", printable(&e));
            return ExitCode::from(2);
        }
    };
    if let Err(e) = manifest.same_claim_files() {
        eprintln!("error: {}", printable(&e));
        return ExitCode::from(2);
    }
    let seeds = match manifest.seeds.as_deref().map(super::args::parse_seeds) {
        None => None,
        Some(Ok(seeds)) => Some(seeds),
        Some(Err(e)) => {
            eprintln!("error: a shard manifest's seeds: {e}");
            return ExitCode::from(2);
        }
    };
    let selection = Selection {
        paths: manifest.paths.iter().map(PathBuf::from).collect(),
        seeds,
        threads,
        limits: Limits {
            work: f64::INFINITY,
            ..Limits::default()
        },
        keep: true,
        // Merging reads the shards' stores and runs nothing.
        permission: None,
    };
    let claims = match selection.load() {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let cancel = catch_ctrl_c();
    let store = Store::merging(into, dirs);
    let started = Instant::now();
    let reports = evaluate_all(&claims, &selection, running, Some(&store), &cancel, false);
    tell_store(Some(&store), "merge: ");
    let pending: Vec<&str> = reports
        .iter()
        .filter(|r| r.lacks_runs())
        .map(|r| r.id())
        .collect();
    let stopped = shard::lacking(&all);
    if !stopped.is_empty() {
        eprintln!(
            "implreg: {} left no manifest: stopped before it finished (killed, cancelled, out of time), or its store was not given.",
            shards_named(&stopped)
        );
    }
    if !pending.is_empty() {
        eprintln!(
            "implreg: {} claims need another round of shards: {}.",
            pending.len(),
            printable(&pending.join(", "))
        );
    }
    if !(stopped.is_empty() && pending.is_empty()) {
        eprintln!(
            "implreg: run the shards again over one store holding these records (merge --into DIR pools them), then merge; or finish here with `implreg check` over that store."
        );
        return ExitCode::from(ANOTHER_ROUND);
    }
    if let Format::Text = running.format {
        for report in &reports {
            emit!("{}", report.to_text());
        }
    }
    let mut notes = store_note(Some(&store));
    notes.extend(all.iter().map(|(_, m)| {
        let p = &m.provenance;
        (
            format!("shard {}", m.shard),
            format!(
                "implreg {} (commit {}), {} kernels, {} threads, {}, started {}",
                p.version, p.commit, p.kernels, p.threads, p.cpu, p.started
            ),
        )
    }));
    finish(&claims, &reports, running, &notes, &cancel, started)
}
