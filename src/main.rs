//! The `implreg` command: parse arguments, call the library, print. Exit codes: 0 when every
//! claim's verdict matches its expectation, 1 when a decided verdict does not (or a run hit
//! `--max-run-seconds`), 3 when none contradicts its expectation but one is inconclusive (its seed
//! budget ran out first), 2 on bad input, 130 when Ctrl-C stopped it (the claims decided by then
//! are reported).

use clap::{Parser, Subcommand, ValueEnum};
use implreg::claim::budget::Limits;
use implreg::claim::{self, Claim, Report, Seeds, Verdict};
use implreg::printable::printable;
use implreg::provenance::Provenance;
use implreg::solver::RunSpec;
use implreg::solver::driver::INTERRUPTED;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

/// `print!` that ends the process quietly when stdout is closed (`implreg check | head`), with
/// the shell's code for SIGPIPE, instead of panicking.
macro_rules! emit {
    ($($arg:tt)*) => { write_out(&format!($($arg)*)) };
}

/// `println!`, as `emit!`.
macro_rules! emitln {
    ($($arg:tt)*) => { write_out(&format!("{}\n", format!($($arg)*))) };
}

fn write_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("implreg: cannot write the report: {e}");
        std::process::exit(1);
    }
}

#[path = "cli/args.rs"]
mod args;
#[path = "cli/progress.rs"]
mod progress;

use progress::Progress;

use args::{
    SeedsArg, parse_block, parse_bytes, parse_seconds, parse_seeds, parse_threads, parse_work,
};

#[derive(Parser)]
#[command(
    version,
    about = "Claims of the implicit-regularisation literature as seeded, executable checks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run claims and compare each verdict with the one the claim expects.
    #[command(
        after_help = "Exit codes: 0 every verdict as expected; 1 a decided verdict is not; 2 bad input; 3 none contradicts its expectation but one is inconclusive (its seed budget ran out: raise it with --seeds FROM:COUNT); 130 Ctrl-C."
    )]
    Check {
        /// Claim files or folders of them.
        #[arg(default_value = "specs")]
        paths: Vec<PathBuf>,
        /// `text` for people, `json` for the full report (with every run's trace).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Run every claim on other seeds: `FROM` (or `FROM:`) starts each claim's seeds (a fixed
        /// block of its own count, or a sequence with its own budget) at FROM; `FROM:COUNT`, e.g. `100:50`,
        /// also sets the count of a fixed block and the budget of a sequence (a fixed claim with
        /// `at_least` refuses another count). Claims must not depend on a lucky block of seeds.
        #[arg(long, value_parser = parse_seeds)]
        seeds: Option<SeedsArg>,
        /// Worker threads, 1 to 1024 (results do not depend on it); by default one per core.
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
        /// The most memory a claim may need, estimated before it runs: bytes, or with a unit
        /// (`8GiB`, `512MiB`); by default 4 GiB.
        #[arg(long, value_parser = parse_bytes)]
        max_memory: Option<f64>,
        /// The most floating-point operations a claim's step budgets may take, e.g. `1e15`; by
        /// default 1e14 (about an hour on two cores).
        #[arg(long, value_parser = parse_work)]
        max_work: Option<f64>,
        /// With `--format json`: every run's final end-to-end matrix and factors (lists of rows),
        /// to compare endpoints with another implementation.
        #[arg(long = "final")]
        endpoints: bool,
        /// Wall-clock seconds any one run may take; a run past it stops and its claim is
        /// reported interrupted, with no verdict. None by default.
        #[arg(long, value_parser = parse_seconds)]
        max_run_seconds: Option<f64>,
        /// Write a reproduction report into this folder: `index.html` (figures inlined),
        /// `report.md` and `figures/*.svg`, with each claim's verdict, decisions and figures
        /// and the run's provenance.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Write every claim's figures into this folder as `claim-id.figure-name.svg`.
        #[arg(long, value_name = "DIR")]
        figures: Option<PathBuf>,
    },
    /// Count how often each assertion holds on exactly the seeds given, deciding nothing: how a
    /// rate is measured (over at least 100 seeds) before it is claimed.
    Measure {
        /// Claim files or folders of them.
        #[arg(default_value = "specs")]
        paths: Vec<PathBuf>,
        /// The block of seeds `FROM:COUNT`, e.g. `0:100`.
        #[arg(long, value_parser = parse_block, default_value = "0:100")]
        seeds: Seeds,
        /// `text` for people (counts, intervals, failing seeds), `json` for the full report.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Worker threads, 1 to 1024; by default one per core.
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
    },
    /// Compare two JSON reports (`check --format json`): every verdict that flipped (exit 1),
    /// claims only one has, and the numbers that moved beyond the tolerance, by path.
    Diff {
        /// The old report.
        old: PathBuf,
        /// The new report.
        new: PathBuf,
        /// Relative tolerance: a number moved when |a − b| > abs + rel·max(|a|, |b|).
        #[arg(long, default_value_t = 1e-6)]
        rel: f64,
        /// Absolute tolerance.
        #[arg(long, default_value_t = 0.0)]
        abs: f64,
        /// Lines of moved numbers shown per claim (the rest are counted).
        #[arg(long, default_value_t = 20)]
        most: usize,
    },
    /// Print the assertion language's vocabulary (metrics, pairwise quantities, moments,
    /// functions) as the Markdown tables the README carries.
    Vocabulary,
    /// Print one seed's instance of a claim as JSON for another implementation: the problem,
    /// its ground truth, and a deep run's settings and initial factors.
    Export {
        /// The claim file.
        claim: PathBuf,
        /// The deep run whose settings and initial factors to export.
        #[arg(long)]
        run: String,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// For a sweep, the grid point (0 is the first; the last parameter varies fastest).
        #[arg(long, default_value_t = 0)]
        point: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    /// JUnit XML (check only): a test suite per claim, a case per verdict and assertion.
    Junit,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check {
            paths,
            format,
            seeds,
            threads,
            max_memory,
            max_work,
            max_run_seconds,
            endpoints,
            report,
            figures,
        } => {
            let defaults = Limits::default();
            let limits = Limits {
                memory: max_memory.unwrap_or(defaults.memory),
                work: max_work.unwrap_or(defaults.work),
            };
            check(
                &paths,
                format,
                seeds,
                threads,
                limits,
                max_run_seconds,
                endpoints,
                Outputs { report, figures },
            )
        }
        Command::Measure {
            paths,
            seeds,
            format,
            threads,
        } => measure(&paths, seeds, format, threads),
        Command::Export {
            claim,
            run,
            seed,
            point,
        } => export(&claim, &run, seed, point),
        Command::Diff {
            old,
            new,
            rel,
            abs,
            most,
        } => diff(&old, &new, rel, abs, most),
        Command::Vocabulary => {
            emit!("{}", claim::registry::markdown());
            ExitCode::SUCCESS
        }
    }
}

fn measure(paths: &[PathBuf], seeds: Seeds, format: Format, threads: Option<usize>) -> ExitCode {
    let limits = Limits::default();
    let claims = match prepare(paths, threads, limits, |c| c.check_seeds(|_| seeds, limits)) {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    let mut reports = Vec::new();
    let progress = Progress::new(claims.len());
    for claim in &claims {
        let report = progress.sweep(claim, |on_point, on_run| {
            claim::sweep::measure(claim, seeds, on_point, on_run)
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
    ExitCode::SUCCESS
}

/// Starts the worker threads and loads the claims under `paths`, each also held to `check` (the
/// seeds it will run on); on any error, prints every one and gives the exit code for bad input.
fn prepare(
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

/// One worker thread per core, or `threads`.
fn start_threads(threads: Option<usize>) -> Result<(), rayon::ThreadPoolBuildError> {
    match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global(),
        None => Ok(()),
    }
}

/// Where `check` writes files beside its report on stdout.
struct Outputs {
    report: Option<PathBuf>,
    figures: Option<PathBuf>,
}

impl Outputs {
    /// Writes the report and the figures asked for; false (after saying why) if one failed.
    fn write(&self, reports: &[Report], provenance: &Provenance, seconds: f64) -> bool {
        let mut ok = true;
        if let Some(dir) = &self.figures
            && let Err(e) = implreg::render::page::write_figures(dir, reports)
        {
            eprintln!(
                "implreg: cannot write the figures into {}: {e}",
                dir.display()
            );
            ok = false;
        }
        if let Some(dir) = &self.report {
            let contents = implreg::render::page::Contents {
                reports,
                provenance,
                seconds,
            };
            let written = std::fs::create_dir_all(dir)
                .and_then(|()| implreg::render::page::write_report(dir, &contents));
            if let Err(e) = written {
                eprintln!(
                    "implreg: cannot write the report into {}: {e}",
                    dir.display()
                );
                ok = false;
            }
        }
        ok
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    paths: &[PathBuf],
    format: Format,
    seeds: Option<SeedsArg>,
    threads: Option<usize>,
    limits: Limits,
    run_seconds: Option<f64>,
    endpoints: bool,
    outputs: Outputs,
) -> ExitCode {
    let claims = match prepare(paths, threads, limits, |c| match seeds {
        Some(seeds) => c.check_seeds(|spec| seeds.for_claim(spec), limits),
        None => Ok(()),
    }) {
        Ok(claims) => claims,
        Err(code) => return code,
    };
    // Ctrl-C stops the runs under way; the claims decided so far are still reported.
    if let Err(e) = ctrlc::set_handler(implreg::solver::driver::interrupt) {
        eprintln!("implreg: Ctrl-C will end the process at once: {e}");
    }
    let provenance = Provenance::here();
    let started = std::time::Instant::now();
    let mut reports: Vec<Report> = Vec::new();
    let progress = Progress::new(claims.len());
    for claim in &claims {
        if INTERRUPTED.load(Ordering::Relaxed) {
            break;
        }
        let mut report = progress.sweep(claim, |on_point, on_run| {
            claim::sweep::evaluate(
                claim,
                |spec| seeds.map(|s| s.for_claim(spec)),
                run_seconds,
                on_point,
                on_run,
            )
        });
        if endpoints {
            report = report.with_endpoints();
        }
        if let Format::Text = format {
            progress.suspend(|| emit!("{}", report.to_text()));
        }
        reports.push(report);
    }
    progress.finish();
    let interrupted = INTERRUPTED.load(Ordering::Relaxed);
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
    match format {
        Format::Text => emitln!(
            "{} claims: {} as expected, {} not, {} inconclusive",
            reports.len(),
            reports.len() - mismatched - inconclusive,
            mismatched,
            inconclusive
        ),
        Format::Json => emitln!(
            "{}",
            serde_json::to_string_pretty(&reports).expect("reports serialise")
        ),
        Format::Junit => emit!(
            "{}",
            implreg::render::junit::junit(&reports, started.elapsed().as_secs_f64())
        ),
    }
    if !outputs.write(&reports, &provenance, started.elapsed().as_secs_f64()) {
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

fn diff(old: &Path, new: &Path, relative: f64, absolute: f64, most: usize) -> ExitCode {
    let tolerance = implreg::compare::Tolerance { relative, absolute };
    if !(relative >= 0.0 && absolute >= 0.0 && relative.is_finite() && absolute.is_finite()) {
        eprintln!("error: --rel and --abs: expected finite tolerances ≥ 0");
        return ExitCode::from(2);
    }
    let read = |file: &Path| -> Result<serde_json::Value, String> {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
    };
    let reports = read(old)
        .map_err(|e| (old, e))
        .and_then(|a| read(new).map(|b| (a, b)).map_err(|e| (new, e)));
    let (a, b) = match reports {
        Ok(pair) => pair,
        Err((file, e)) => {
            eprintln!(
                "error: {}: {}",
                printable(&file.display().to_string()),
                printable(&e)
            );
            return ExitCode::from(2);
        }
    };
    match implreg::compare::compare(&a, &b, tolerance) {
        Ok(changes) => {
            emit!("{}", changes.to_text(most));
            if changes.flips() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {}", printable(&e));
            ExitCode::from(2)
        }
    }
}

fn export(file: &Path, run: &str, seed: u64, point: usize) -> ExitCode {
    let sweep = match Claim::load(file) {
        Ok(claim) => claim,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let Some(claim) = sweep.points.get(point).map(|p| &p.spec) else {
        eprintln!(
            "error: {}: `--point {point}`: expected a grid point from 0 to {}",
            printable(&file.display().to_string()),
            sweep.points.len() - 1
        );
        return ExitCode::from(2);
    };
    let Some(RunSpec::Deep(spec)) = claim.runs.get(run) else {
        let deep: Vec<&str> = claim
            .runs
            .iter()
            .filter(|(_, spec)| matches!(spec, RunSpec::Deep(_)))
            .map(|(name, _)| name.as_str())
            .collect();
        eprintln!(
            "error: {}: `--run {}`: expected one of the claim's deep runs: {}",
            printable(&file.display().to_string()),
            printable(run),
            deep.join(", ")
        );
        return ExitCode::from(2);
    };
    let problem = claim.problem.generate(seed);
    let instance = implreg::export::instance(&problem, spec, seed);
    emitln!(
        "{}",
        serde_json::to_string(&instance).expect("instances serialise")
    );
    ExitCode::SUCCESS
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
