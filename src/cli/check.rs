//! The commands that run claims, `check` and `measure`, and what the shard commands
//! (`cli/shards.rs`) share with them: loading claims, the result store, evaluating in turn, the
//! outputs and the exit code.

use super::args::{MAX_THREADS, SeedsArg};
use super::progress::Progress;
use crate::Format;
use implreg::cancel::Cancel;
use implreg::claim::Context;
use implreg::claim::read::budget::Limits;
use implreg::claim::read::kept;
use implreg::claim::read::parameters::describe;
use implreg::claim::{self, Claim, ClaimSpec, Report, Seeds, Verdict};
use implreg::external::Permission;
use implreg::printable::printable;
use implreg::provenance::Provenance;
use implreg::solver::Bounds;
use implreg::store::{self, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Which claims, on which seeds, with which threads and limits.
pub struct Selection {
    pub paths: Vec<PathBuf>,
    pub seeds: Option<SeedsArg>,
    pub threads: Option<usize>,
    pub limits: Limits,
    /// Whether searched claims replay and keep counterexamples beside their specs.
    pub keep: bool,
    /// The programs external runs may run; `None` for a command that runs none (`plan`).
    pub permission: Option<Permission>,
}

impl Selection {
    /// The seeds a claim point runs on, when `--seeds` overrides its own.
    pub(crate) fn seeds_for(&self, spec: &ClaimSpec) -> Option<Seeds> {
        self.seeds.map(|s| s.for_claim(spec))
    }

    /// Starts the worker threads and loads the claims (checked against the seeds they will
    /// run on); on any error, prints every one and gives the exit code for bad input.
    pub(crate) fn load(&self) -> Result<Vec<Claim>, ExitCode> {
        let mut claims = prepare(&self.paths, self.threads, self.limits, |c| {
            if let Some(permission) = &self.permission {
                c.check_external(permission)?;
            }
            match self.seeds {
                Some(seeds) => c.check_seeds(|spec| seeds.for_claim(spec), self.limits),
                None => Ok(()),
            }
        })?;
        if !self.keep {
            for searched in claims.iter_mut().filter_map(|c| c.search.as_mut()) {
                searched.kept.clear();
            }
        }
        Ok(claims)
    }
}

/// Where runs are kept: `--store DIR`, the default, or none (`--no-store`).
pub fn store_at(store: Option<PathBuf>, no_store: bool) -> Option<PathBuf> {
    (!no_store).then(|| store.unwrap_or_else(store::default_root))
}

/// How a check is run beyond its claims.
pub struct Running {
    pub format: Format,
    pub run_seconds: Option<f64>,
    pub claim_seconds: Option<f64>,
    pub endpoints: bool,
    pub outputs: Outputs,
}

impl Running {
    /// Text, no budgets, no outputs: for commands that use the claims' runs, not their report.
    pub fn quiet() -> Self {
        Self {
            format: Format::Text,
            run_seconds: None,
            claim_seconds: None,
            endpoints: false,
            outputs: Outputs {
                report: None,
                figures: None,
            },
        }
    }
}

/// `implreg check`: every claim, its runs reused from `store` or solved (and kept there).
pub fn check(selection: &Selection, running: &Running, store: Option<PathBuf>) -> ExitCode {
    let claims = match selection.load() {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let cancel = catch_ctrl_c();
    let store = store.map(Store::open);
    let started = Instant::now();
    let reports = evaluate_all(&claims, selection, running, store.as_ref(), &cancel, true);
    tell_store(store.as_ref(), "");
    if selection.keep {
        keep_counterexamples(&claims, &reports);
    }
    let notes = store_note(store.as_ref());
    finish(&claims, &reports, running, &notes, &cancel, started)
}

/// Evaluates the claims in turn (stopping once `cancel` is cancelled), printing each text
/// report as it comes when `print` and the format is text.
pub(crate) fn evaluate_all(
    claims: &[Claim],
    selection: &Selection,
    running: &Running,
    store: Option<&Store>,
    cancel: &Cancel,
    print: bool,
) -> Vec<Report> {
    let mut reports: Vec<Report> = Vec::new();
    let progress = Progress::new(claims.len());
    for claim in claims {
        if cancel.is_cancelled() {
            break;
        }
        let deadline = running
            .claim_seconds
            .map(|s| Instant::now() + Duration::from_secs_f64(s));
        let report = progress.sweep(claim, |on_point, on_run| {
            let context = Context {
                bounds: Bounds {
                    run_seconds: running.run_seconds,
                    deadline,
                    work: Some(selection.limits.work),
                    cancel: cancel.clone(),
                },
                store,
                on_run,
                endpoints: running.endpoints,
                permission: selection.permission.clone().unwrap_or_default(),
            };
            claim::evaluate(claim, |s| selection.seeds_for(s), &context, on_point)
        });
        if let (Format::Text, true) = (running.format, print) {
            progress.suspend(|| emit!("{}", report.to_text()));
        }
        reports.push(report);
    }
    progress.finish();
    reports
}

/// The report in the format asked for, the files asked for, and the exit code.
pub(crate) fn finish(
    claims: &[Claim],
    reports: &[Report],
    running: &Running,
    notes: &[(String, String)],
    cancel: &Cancel,
    started: Instant,
) -> ExitCode {
    let provenance = Provenance::here();
    let seconds = started.elapsed().as_secs_f64();
    let interrupted = cancel.is_cancelled();
    if interrupted {
        let not_run: Vec<String> = claims[reports.len()..]
            .iter()
            .map(|c| printable(&c.first().id).into_owned())
            .collect();
        eprintln!(
            "implreg: interrupted; {} claims reported, {} not run: {}",
            reports.len(),
            not_run.len(),
            not_run.join(", ")
        );
    }
    let inconclusive = reports
        .iter()
        .filter(|r| !r.interrupted() && r.verdict() == Verdict::Inconclusive)
        .count();
    let mismatched = reports.iter().filter(|r| !r.matches()).count() - inconclusive;
    match running.format {
        Format::Text => emitln!(
            "{}{}\n{} claims: {} as expected, {} not, {} inconclusive",
            notes
                .iter()
                .map(|(key, value)| format!("{}: {}\n", printable(key), printable(value)))
                .collect::<String>(),
            provenance.line(seconds),
            reports.len(),
            reports.len() - mismatched - inconclusive,
            mismatched,
            inconclusive
        ),
        Format::Json => emitln!(
            "{}",
            serde_json::to_string_pretty(reports).expect("reports serialise")
        ),
        Format::Junit => emit!(
            "{}",
            implreg::render::junit::junit(reports, seconds, &provenance)
        ),
    }
    if !running.outputs.write(reports, &provenance, seconds, notes) {
        return ExitCode::from(1);
    }
    if interrupted {
        // The shell's convention for a process ended by SIGINT.
        ExitCode::from(130)
    } else if mismatched > 0 {
        ExitCode::from(1)
    } else if inconclusive > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Keeps every new confirmed counterexample beside its spec (`claim.counterexamples`), with
/// those kept before, and says so on stderr.
fn keep_counterexamples(claims: &[Claim], reports: &[Report]) {
    for (claim, report) in claims.iter().zip(reports) {
        let (Some(searched), Report::Search(search)) = (&claim.search, report) else {
            continue;
        };
        let Some(found) = &search.counterexample else {
            continue;
        };
        if searched.kept.contains(&found.settings) {
            continue;
        }
        let mut kept = searched.kept.clone();
        kept.push(found.settings.clone());
        let spec = &claim.first().file;
        match kept::write(spec, &kept) {
            Ok(file) => eprintln!(
                "implreg: kept the counterexample {} in {} (commit it: it is replayed first)",
                printable(&describe(&found.settings)),
                printable(&file.display().to_string())
            ),
            Err(e) => eprintln!(
                "implreg: cannot keep the counterexample of {} beside it: {}",
                printable(&spec.display().to_string()),
                printable(&e.to_string())
            ),
        }
    }
}

/// What the store gave, as a row of the report's provenance.
pub(crate) fn store_note(store: Option<&Store>) -> Vec<(String, String)> {
    store
        .map(|s| ("runs".to_string(), s.tally().summary()))
        .into_iter()
        .collect()
}

/// The command's cancel token, bound to Ctrl-C: it stops the runs under way; what is stored
/// stays, and the claims decided so far are still reported.
pub(crate) fn catch_ctrl_c() -> Cancel {
    let cancel = Cancel::new();
    let token = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || token.cancel()) {
        eprintln!("implreg: Ctrl-C will end the process at once: {e}");
    }
    cancel
}

/// Files named one by one on stderr before the rest are counted.
const SHOWN: usize = 20;

/// Says on stderr what the store gave, and the files it could not trust or write.
pub(crate) fn tell_store(store: Option<&Store>, prefix: &str) {
    let Some(store) = store else { return };
    let tally = store.tally();
    let what = if store.solves() {
        "recomputed"
    } else {
        "not used"
    };
    let files = [
        (&tally.damaged, format!("; {what}"), ""),
        (&tally.differs, String::new(), ""),
        (&tally.unwritten, String::new(), "cannot write "),
    ];
    for (list, after, before) in files {
        for (path, reason) in list.iter().take(SHOWN) {
            eprintln!(
                "implreg: store: {before}{}: {}{after}",
                printable(&path.display().to_string()),
                printable(reason)
            );
        }
        if list.len() > SHOWN {
            eprintln!("implreg: store: … and {} more", list.len() - SHOWN);
        }
    }
    let place = store
        .roots()
        .map(|p| printable(&p.display().to_string()).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!("implreg: {prefix}store {place}: {}", tally.summary());
}

/// `implreg measure`: every assertion counted over exactly `seeds`, runs reused from and kept in
/// `store`; Ctrl-C stops it as it stops `check`.
pub fn measure(
    paths: &[PathBuf],
    seeds: Seeds,
    format: Format,
    threads: Option<usize>,
    store: Option<PathBuf>,
    permission: Permission,
) -> ExitCode {
    let limits = Limits::default();
    let claims = match prepare(paths, threads, limits, |c| {
        c.check_external(&permission)?;
        c.check_seeds(|_| seeds, limits)
    }) {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let cancel = catch_ctrl_c();
    let store = store.map(Store::open);
    let mut reports = Vec::new();
    let progress = Progress::new(claims.len());
    for claim in &claims {
        if cancel.is_cancelled() {
            break;
        }
        let report = progress.sweep(claim, |on_point, on_run| {
            let context = Context {
                on_run,
                store: store.as_ref(),
                bounds: Bounds {
                    cancel: cancel.clone(),
                    ..Bounds::default()
                },
                endpoints: false,
                permission: permission.clone(),
            };
            claim::measure(claim, seeds, &context, on_point)
        });
        if let Format::Text = format {
            progress.suspend(|| emit!("{}", report.to_measurement_text()));
        }
        reports.push(report);
    }
    progress.finish();
    if let Format::Json | Format::Junit = format {
        emitln!(
            "{}",
            serde_json::to_string_pretty(&reports).expect("reports serialise")
        );
    }
    tell_store(store.as_ref(), "");
    if cancel.is_cancelled() {
        eprintln!("implreg: interrupted; the counts above are of the claims measured by then");
        return ExitCode::from(130);
    }
    ExitCode::SUCCESS
}

/// Starts the worker threads and loads the claims under `paths`, each also held to `check` (the
/// seeds it will run on); on any error, prints every one and gives the exit code for bad input.
pub fn prepare(
    paths: &[PathBuf],
    threads: Option<usize>,
    limits: Limits,
    check: impl Fn(&Claim) -> Result<(), claim::SpecError>,
) -> Result<Vec<Claim>, ExitCode> {
    if let Err(e) = start_threads(threads) {
        eprintln!("implreg: cannot start the worker threads: {e}");
        return Err(ExitCode::from(2));
    }
    let claims = load(paths, limits).and_then(|claims| {
        let refused: Vec<_> = claims.iter().filter_map(|c| check(c).err()).collect();
        if refused.is_empty() {
            Ok(claims)
        } else {
            Err(refused)
        }
    });
    claims.map_err(|errors| {
        for error in errors {
            eprintln!("error: {error}");
        }
        ExitCode::from(2)
    })
}

/// One worker thread per core, or `threads` (every command parses it with `parse_threads`;
/// refused here too, so that an option declared without it cannot start 2^64 threads).
fn start_threads(threads: Option<usize>) -> Result<(), String> {
    match threads {
        Some(n) if !(1..=MAX_THREADS).contains(&n) => {
            Err(format!("{n} threads asked for, at most {MAX_THREADS}"))
        }
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

/// Where `check` writes files beside its report on stdout.
pub struct Outputs {
    pub report: Option<PathBuf>,
    pub figures: Option<PathBuf>,
}

impl Outputs {
    /// Writes the report and the figures asked for; false (after saying why) if one failed.
    fn write(
        &self,
        reports: &[Report],
        provenance: &Provenance,
        seconds: f64,
        notes: &[(String, String)],
    ) -> bool {
        let mut ok = true;
        if let Some(dir) = &self.figures
            && let Err(e) = implreg::render::page::write_figures(dir, reports)
        {
            eprintln!(
                "implreg: cannot write the figures into {}: {}",
                printable(&dir.display().to_string()),
                printable(&e.to_string())
            );
            ok = false;
        }
        if let Some(dir) = &self.report {
            let contents = implreg::render::page::Contents {
                reports,
                provenance,
                seconds,
                notes,
            };
            let written = std::fs::create_dir_all(dir)
                .and_then(|()| implreg::render::page::write_report(dir, &contents));
            if let Err(e) = written {
                eprintln!(
                    "implreg: cannot write the report into {}: {}",
                    printable(&dir.display().to_string()),
                    printable(&e.to_string())
                );
                ok = false;
            }
        }
        ok
    }
}

/// Every claim under `paths`, or every error found in them.
fn load(paths: &[PathBuf], limits: Limits) -> Result<Vec<Claim>, Vec<claim::SpecError>> {
    let files = claim::claim_files(paths).map_err(|e| vec![e])?;
    if files.is_empty() {
        return Err(vec![claim::SpecError::Unreadable {
            file: paths.first().cloned().unwrap_or_default(),
            reason: "no claim files (*.yaml) found".into(),
        }]);
    }
    let mut claims = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match Claim::load_within(file, limits) {
            Ok(claim) => claims.push(claim),
            Err(error) => errors.push(error),
        }
    }
    let mut first: std::collections::BTreeMap<&str, &Path> = std::collections::BTreeMap::new();
    for claim in claims.iter().map(Claim::first) {
        if let Some(other) = first.insert(&claim.id, &claim.file) {
            errors.push(claim::SpecError::Invalid {
                file: claim.file.clone(),
                line: claim.id_at.0,
                column: claim.id_at.1,
                field: "id".into(),
                expected: format!(
                    "an id no other claim has; `{}` is also the id of {}",
                    claim.id,
                    other.display()
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(claims)
    } else {
        Err(errors)
    }
}
