//! The `implreg` command: parse arguments, call the library, print. Exit codes: 0 when every
//! claim's verdict matches its expectation, 1 when a decided verdict does not, 3 when none
//! contradicts its expectation but one is inconclusive (its seed or time budget ran out first),
//! 4 when a merge needs another round of shards, 2 on bad input, 130 when Ctrl-C stopped it (the
//! claims decided by then are reported; the runs finished are stored).

use clap::{Args, Parser, Subcommand, ValueEnum};
use cli::args::AllowArgs;
use implreg::claim::read::budget::Limits;
use implreg::claim::{self, Claim, Seeds};
use implreg::printable::printable;
use implreg::shard::ShardId;
use implreg::solver::RunSpec;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `print!` that ends the process quietly when stdout is closed (`implreg check | head`), with
/// the shell's code for SIGPIPE, instead of panicking.
macro_rules! emit {
    ($($arg:tt)*) => { $crate::write_out(&format!($($arg)*)) };
}

/// `println!`, as `emit!`.
macro_rules! emitln {
    ($($arg:tt)*) => { $crate::write_out(&format!("{}\n", format!($($arg)*))) };
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

mod cli;

use cli::{args, check, shards};

use args::{
    SeedsArg, parse_block, parse_bytes, parse_seconds, parse_seeds, parse_shards, parse_threads,
    parse_work,
};
use check::{Outputs, Running, Selection};

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
        after_help = "Exit codes: 0 every verdict as expected; 1 a decided verdict is not; 2 bad input; 3 none contradicts its expectation but one is inconclusive (its seed budget ran out: raise it with --seeds FROM:COUNT; or its --max-claim-seconds); 130 Ctrl-C (finished runs stay stored).\n\nThe result store: every finished run is kept under a key of its settings, seed and build; checking again reuses it. Clean it with `rm -rf .implreg/store`."
    )]
    Check(CheckArgs),
    /// Say what each of N shards would solve in the next round of a check, given the store.
    Plan {
        /// Claim files or folders of them.
        #[arg(default_value = "specs")]
        paths: Vec<PathBuf>,
        /// How many shards.
        #[arg(long, value_parser = parse_shards)]
        shards: usize,
        /// Seeds as `check --seeds` takes them.
        #[arg(long, value_parser = parse_seeds)]
        seeds: Option<SeedsArg>,
        /// The result store the shards will write (by default `.implreg/store`).
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
        /// `text` for people, `json` for the plan.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Worker threads, 1 to 1024.
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
    },
    /// The report of the claims shards ran (`check --shard K/N --store DIR`), from their stores
    /// alone: byte for byte what one process gives. Exit 4 when a claim needs another round.
    Merge {
        /// The shards' stores (one shared store, or one per shard).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// `text`, `json` or `junit`, as `check` gives them.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also copy every record read into this store, so that the next round reads one.
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
        /// Write a reproduction report into this folder, as `check --report`.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Write every claim's figures into this folder.
        #[arg(long, value_name = "DIR")]
        figures: Option<PathBuf>,
        /// Worker threads, 1 to 1024.
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
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
        /// The result store, as for `check` (a later check reuses the runs measured).
        #[arg(long, value_name = "DIR", conflicts_with = "no_store")]
        store: Option<PathBuf>,
        /// Solve every run; read and write no store.
        #[arg(long)]
        no_store: bool,
        #[command(flatten)]
        allow: AllowArgs,
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
    /// Look after a result store: what it holds, and removing what no check of this build can
    /// reach.
    #[command(subcommand)]
    Store(cli::store::StoreCommand),
    /// Print the assertion language's vocabulary (metrics, pairwise quantities, moments,
    /// functions) as the Markdown tables the README carries.
    Vocabulary,
    /// Print one seed's instance of a claim as JSON for another implementation: the problem,
    /// its ground truth, and a deep run's settings and initial factors (an external run's: what its
    /// program receives).
    Export {
        /// The claim file.
        claim: PathBuf,
        /// The deep or external run whose settings and initial factors to export.
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

/// `implreg check`'s arguments.
#[derive(Args)]
struct CheckArgs {
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
    /// Wall-clock seconds any one run may take; a run past them stops `exhausted` (stop
    /// `time`: its result depends on this machine, and it is not stored). None by default.
    #[arg(long, value_parser = parse_seconds)]
    max_run_seconds: Option<f64>,
    /// Wall-clock seconds any one claim (a sweep: all its points) may take; past them its
    /// runs still going are stopped and the claim is inconclusive. None by default.
    #[arg(long, value_parser = parse_seconds)]
    max_claim_seconds: Option<f64>,
    /// The result store: runs are reused from it and kept in it. By default
    /// `.implreg/store` in the working directory (or `$IMPLREG_STORE`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_store")]
    store: Option<PathBuf>,
    /// Solve every run; read and write no store.
    #[arg(long)]
    no_store: bool,
    /// Solve only shard K of N of the next round (`implreg plan` shows it) into the store,
    /// and leave a manifest there for `implreg merge`; decides nothing.
    #[arg(
        long,
        value_name = "K/N",
        value_parser = ShardId::parse,
        conflicts_with_all = ["no_store", "report", "figures", "endpoints", "max_claim_seconds"]
    )]
    shard: Option<ShardId>,
    /// Write a reproduction report into this folder: `index.html` (figures inlined),
    /// `report.md` and `figures/*.svg`, with each claim's verdict, decisions and figures
    /// and the run's provenance.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Write every claim's figures into this folder as `claim-id.figure-name.svg`.
    #[arg(long, value_name = "DIR")]
    figures: Option<PathBuf>,
    /// Searched claims: neither replay the counterexamples kept beside a spec
    /// (`claim.counterexamples`) nor keep new ones there; search from scratch.
    #[arg(long)]
    no_keep: bool,
    #[command(flatten)]
    allow: AllowArgs,
}

impl CheckArgs {
    /// Checks the claims as the arguments say (or solves one shard of them).
    fn run(self) -> ExitCode {
        let CheckArgs {
            paths,
            format,
            seeds,
            threads,
            max_memory,
            max_work,
            max_run_seconds,
            max_claim_seconds,
            endpoints,
            report,
            figures,
            store,
            no_store,
            shard,
            no_keep,
            allow,
        } = self;
        let defaults = Limits::default();
        let selection = Selection {
            paths,
            seeds,
            threads,
            limits: Limits {
                memory: max_memory.unwrap_or(defaults.memory),
                work: max_work.unwrap_or(defaults.work),
            },
            keep: !no_keep,
            permission: Some(allow.permission()),
        };
        let running = Running {
            format,
            run_seconds: max_run_seconds,
            claim_seconds: max_claim_seconds,
            endpoints,
            outputs: Outputs { report, figures },
        };
        let store = check::store_at(store, no_store);
        match (shard, store) {
            (Some(shard), Some(store)) => shards::run_shard(&selection, &running, store, shard),
            (_, store) => check::check(&selection, &running, store),
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(args) => args.run(),
        Command::Plan {
            paths,
            shards,
            seeds,
            store,
            format,
            threads,
        } => {
            let selection = Selection {
                paths,
                seeds,
                threads,
                limits: Limits::default(),
                keep: true,
                // `plan` runs nothing.
                permission: None,
            };
            let store = check::store_at(store, false).expect("a store");
            shards::plan(&selection, store, shards, format)
        }
        Command::Merge {
            dirs,
            format,
            into,
            report,
            figures,
            threads,
        } => {
            let running = Running {
                format,
                run_seconds: None,
                claim_seconds: None,
                endpoints: false,
                outputs: Outputs { report, figures },
            };
            shards::merge(dirs, threads, &running, into)
        }
        Command::Measure {
            paths,
            seeds,
            format,
            threads,
            store,
            no_store,
            allow,
        } => check::measure(
            &paths,
            seeds,
            format,
            threads,
            check::store_at(store, no_store),
            allow.permission(),
        ),
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
        Command::Store(command) => cli::store::run(command),
        Command::Vocabulary => {
            emit!("{}", claim::language::registry::markdown());
            ExitCode::SUCCESS
        }
    }
}

fn diff(old: &Path, new: &Path, relative: f64, absolute: f64, most: usize) -> ExitCode {
    let tolerance = implreg::compare::Tolerance { relative, absolute };
    if !(relative >= 0.0 && absolute >= 0.0 && relative.is_finite() && absolute.is_finite()) {
        eprintln!("error: --rel and --abs: expected finite tolerances ≥ 0");
        return ExitCode::from(2);
    }
    let read = implreg::compare::read_report;
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
    // An external run's program receives its settings' instance (without the claim's `sample`).
    let deep_of = |spec: &RunSpec| match spec {
        RunSpec::Deep(deep) => Some(deep.clone()),
        RunSpec::External(external) => Some(external.settings.deep().clone()),
        _ => None,
    };
    let Some(spec) = claim.runs.get(run).and_then(deep_of) else {
        let deep: Vec<&str> = claim
            .runs
            .iter()
            .filter(|(_, spec)| deep_of(spec).is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        eprintln!(
            "error: {}: `--run {}`: expected one of the claim's deep or external runs: {}",
            printable(&file.display().to_string()),
            printable(run),
            deep.join(", ")
        );
        return ExitCode::from(2);
    };
    let problem = claim.problem.generate(seed);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = implreg::export::write_instance(&problem, &spec, seed, &mut out)
        .map_err(std::io::Error::from)
        .and_then(|()| {
            use std::io::Write;
            out.write_all(b"\n").and_then(|()| out.flush())
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(141),
        Err(e) => {
            eprintln!("implreg: cannot write the instance: {e}");
            ExitCode::from(1)
        }
    }
}
