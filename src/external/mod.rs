//! Another program's run, through the external-run protocol (`docs/external.md`): implreg writes
//! the seed's instance and the run's settings with its initial factors (`export`'s format) into
//! a scratch folder of its own, runs the claim's argument list (never a shell) in its own
//! process group with the paths in environment variables, and reads back only the result file
//! in that folder, checked (`result`), then plays its samples to the run's observers
//! (`solver::replay`). A program that fails, writes nothing or outlives its seconds is an
//! outcome of the run (`Stop::Failed`, `Stop::Time`), never a crash; its group is ended. Only
//! a user's permission (`Permission`) lets the claim layer call `run` at all.

pub mod result;

use crate::confined::{Folder, Unread};
use crate::export::Sampling;
use crate::problem::Problem;
use crate::solver::replay::{self, Reported};
use crate::solver::trace::Schedule;
use crate::solver::watch::{CONDITION_PER_DECADE, EVERY_STEP_ENTRIES};
use crate::solver::{Bounds, ExternalSpec, RunRecord, Status, Stop, Watch, When};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable naming the instance file the program reads.
pub const INSTANCE: &str = "IMPLREG_INSTANCE";
/// The environment variable naming the result file the program writes.
pub const RESULT: &str = "IMPLREG_RESULT";
/// The environment variable holding the seed.
pub const SEED: &str = "IMPLREG_SEED";
/// The environment variable naming the scratch folder the program may write in.
pub const SCRATCH: &str = "IMPLREG_SCRATCH";

/// The instance's and the result's names in the scratch folder.
const INSTANCE_FILE: &str = "instance.json";
const RESULT_FILE: &str = "result.json";

/// The bytes kept of each of the program's stdout and stderr: the last ones (a traceback ends
/// there).
pub const OUTPUT_KEPT: usize = 2 << 10;

/// Which programs the user allows a claim to run: none unless told (`check --allow-external`
/// for all, `--allow-command NAME` for those named by `command[0]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Permission {
    /// Every program.
    pub all: bool,
    /// The programs allowed by their `command[0]`, as a claim writes it.
    pub commands: Vec<String>,
}

impl Permission {
    /// Whether `spec`'s program may be run.
    pub fn allows(&self, spec: &ExternalSpec) -> bool {
        self.all || self.commands.iter().any(|c| *c == spec.command[0])
    }
}

/// The run `spec` on `problem`'s instance for `seed`, watching what `watch` asks at the
/// program's samples, within `bounds` (its seconds, and the claim's deadline and cancel token).
pub fn run(
    spec: &ExternalSpec,
    problem: &Problem,
    seed: u64,
    watch: &Watch,
    bounds: &Bounds,
) -> RunRecord {
    let call = Call {
        spec,
        problem,
        seed,
        watch,
        bounds,
    };
    let first = call.once();
    let Some(repeat) = spec.repeat else {
        return first;
    };
    for k in 2..=repeat.times {
        if first.status() == Status::Failed || first.matrix.is_empty() {
            break;
        }
        let again = call.once();
        if again.matrix.is_empty() {
            return again;
        }
        let apart =
            (&again.matrix - &first.matrix).norm() / first.matrix.norm().max(f64::MIN_POSITIVE);
        // A NaN distance (a non-finite endpoint) is not within any tolerance.
        if apart.is_nan() || apart > repeat.tolerance {
            return RunRecord::failed(format!(
                "nondeterministic: run {k} of the same seed ended {apart:.3e} (‖ΔW‖_F/‖W‖_F) from the first, above the repeat's tolerance {:e}",
                repeat.tolerance
            ));
        }
    }
    first
}

/// What one run of the program is given.
struct Call<'a> {
    spec: &'a ExternalSpec,
    problem: &'a Problem,
    seed: u64,
    watch: &'a Watch<'a>,
    bounds: &'a Bounds,
}

impl Call<'_> {
    /// One run of the program.
    fn once(&self) -> RunRecord {
        let Call {
            spec,
            problem,
            seed,
            watch,
            bounds,
        } = *self;
        let settings = spec.settings.deep();
        let scratch = match Scratch::new() {
            Ok(scratch) => scratch,
            Err(e) => return RunRecord::failed(format!("no scratch folder: {e}")),
        };
        let instance = scratch.path.join(INSTANCE_FILE);
        let sample = sampling(problem, settings.step_budget(), watch);
        if let Err(e) = write_instance(&instance, problem, settings, seed, &sample) {
            return RunRecord::failed(format!("the instance could not be written: {e}"));
        }
        let ran = match execute(spec, &scratch.path, seed, bounds) {
            Ok(ran) => ran,
            Err(e) => {
                return RunRecord::failed(format!(
                    "`{}` could not be started: {e}",
                    spec.command[0]
                ));
            }
        };
        let said = ran.said();
        match ran.end {
            End::Exited(status) if !status.success() => {
                RunRecord::failed(format!("the program exited with {status}{said}"))
            }
            End::Exited(_) => match read_result(&scratch.path, problem, settings.target_loss) {
                Ok(reported) => replay::replay(reported, problem, settings.loss, watch),
                Err(e) => RunRecord::failed(format!("{e}{said}")),
            },
            End::Outlived(stop) => RunRecord {
                stop,
                ..RunRecord::failed(format!("ended after {:.1} s{said}", ran.seconds))
            },
        }
    }
}

/// The instance for the program, written as `implreg export` writes it.
fn write_instance(
    path: &Path,
    problem: &Problem,
    settings: &crate::solver::DeepSpec,
    seed: u64,
    sample: &Sampling,
) -> std::io::Result<()> {
    let file = std::fs::File::create_new(path)?;
    let mut out = std::io::BufWriter::new(file);
    crate::export::write_sampled(problem, settings, seed, Some(sample), &mut out)?;
    std::io::Write::flush(&mut out)
}

/// The samples the program is asked for: every step on a matrix of at most
/// `EVERY_STEP_ENTRIES` entries (as implreg checks its own conditions there), otherwise the
/// steps implreg checks its own costly `when` conditions at (`CONDITION_PER_DECADE` a decade)
/// up to the run's budget, and every step a claim reads (`at_step`), in order.
fn sampling(problem: &Problem, budget: usize, watch: &Watch) -> Sampling {
    let every_step = problem.rows * problem.cols <= EVERY_STEP_ENTRIES;
    let mut steps: Vec<usize> = watch
        .moments
        .iter()
        .filter_map(|when| match when {
            When::AtStep(k) if *k <= budget => Some(*k),
            _ => None,
        })
        .collect();
    if !every_step {
        let mut schedule = Schedule::per_decade(CONDITION_PER_DECADE);
        let mut step = 0;
        while step <= budget {
            if schedule.due(step) {
                steps.push(step);
            }
            // The next due step: the schedule's steps are log-spaced, so jump between them.
            step = schedule.next().max(step + 1);
        }
    }
    steps.sort_unstable();
    steps.dedup();
    Sampling { every_step, steps }
}

/// The result the program left in the scratch folder, checked.
fn read_result(
    scratch: &Path,
    problem: &Problem,
    target_loss: Option<f64>,
) -> Result<Reported, String> {
    let folder = Folder::open(scratch).map_err(|e| format!("the scratch folder: {e}"))?;
    let bytes = match folder.read(Path::new(RESULT_FILE), result::MAX_BYTES) {
        Ok(bytes) => bytes,
        Err(Unread::Missing) => return Err(format!("the program wrote no result (${RESULT})")),
        Err(Unread::Refused(why)) => return Err(format!("the result (${RESULT}): {why}")),
    };
    result::read(&bytes, problem.rows, problem.cols, target_loss)
        .map_err(|e| format!("the result (${RESULT}): {e}"))
}

/// A folder of the run's own under the system's temporary folder, made afresh (never one that
/// was there) and removed with everything in it when the run is done.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new() -> std::io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("implreg-external-{}-{n}", std::process::id()));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Only the folder made here; a program's links inside are removed, not followed.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// How the program ended.
enum End {
    /// By itself.
    Exited(ExitStatus),
    /// Ended here: past its seconds (`Time`), or the claim's deadline or a cancel
    /// (`Interrupted`).
    Outlived(Stop),
}

/// A finished program: how it ended, in how long, and the end of what it printed.
struct Ran {
    end: End,
    seconds: f64,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// What it printed, for a failure's message.
    fn said(&self) -> String {
        let mut said = String::new();
        for (name, text) in [("stderr", &self.stderr), ("stdout", &self.stdout)] {
            if !text.trim().is_empty() {
                said.push_str(&format!("; its {name} ends:\n{}", text.trim_end()));
            }
        }
        crate::printable::escaped(&said).into_owned()
    }
}

/// Runs the program in `workdir` with the protocol's environment, until it exits or must end.
fn execute(
    spec: &ExternalSpec,
    scratch: &Path,
    seed: u64,
    bounds: &Bounds,
) -> std::io::Result<Ran> {
    let workdir = spec
        .workdir
        .as_ref()
        .map_or(spec.folder.clone(), |w| spec.folder.join(w));
    let program = &spec.command[0];
    // A path is the claim's (relative to its folder); a bare name is looked up on PATH.
    let program = if program.contains('/') {
        spec.folder.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut command = Command::new(program);
    command
        .args(&spec.command[1..])
        .current_dir(workdir)
        .env(INSTANCE, scratch.join(INSTANCE_FILE))
        .env(RESULT, scratch.join(RESULT_FILE))
        .env(SEED, seed.to_string())
        .env(SCRATCH, scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let stdout = keep_last(child.stdout.take());
    let stderr = keep_last(child.stderr.take());
    let seconds = bounds
        .run_seconds
        .map_or(spec.seconds, |s| s.min(spec.seconds));
    let end = wait(&mut child, started, seconds, bounds);
    end_group(&child);
    let ended = Instant::now();
    Ok(Ran {
        end,
        seconds: started.elapsed().as_secs_f64(),
        stdout: stdout.text(ended + OUTPUT_GRACE),
        stderr: stderr.text(ended + OUTPUT_GRACE),
    })
}

/// Waits for `child` until it exits, its `seconds` pass, or `bounds` end it from outside.
fn wait(child: &mut Child, started: Instant, seconds: f64, bounds: &Bounds) -> End {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return End::Exited(status),
            Ok(None) => {}
            Err(_) => return End::Outlived(Stop::Failed),
        }
        let outside =
            bounds.cancel.is_cancelled() || bounds.deadline.is_some_and(|d| Instant::now() >= d);
        let over = started.elapsed().as_secs_f64() > seconds;
        if outside || over {
            end_group(child);
            let _ = child.wait();
            return End::Outlived(if outside {
                Stop::Interrupted
            } else {
                Stop::Time
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Ends the program's whole process group (what it started, too).
fn end_group(child: &Child) {
    #[cfg(unix)]
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group; the group is the
        // child's own (`process_group(0)`), so nothing else is signalled.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// How long the end of the program's output is waited for once its group has ended.
const OUTPUT_GRACE: Duration = Duration::from_secs(2);

/// What a thread reading one of the program's streams keeps: its last bytes so far, and a
/// signal when the stream ends.
struct Kept {
    bytes: Arc<Mutex<Vec<u8>>>,
    ended: Receiver<()>,
}

impl Kept {
    /// The last `OUTPUT_KEPT` bytes, once the stream has ended or `by` has come (a process that
    /// left the group and kept the pipe open must not hold implreg).
    fn text(self, by: Instant) -> String {
        let _ = self
            .ended
            .recv_timeout(by.saturating_duration_since(Instant::now()));
        let kept = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let start = kept.len().saturating_sub(OUTPUT_KEPT);
        String::from_utf8_lossy(&kept[start..]).into_owned()
    }
}

/// Reads `from` to its end on a thread, keeping its last `OUTPUT_KEPT` bytes or so.
fn keep_last(from: Option<impl Read + Send + 'static>) -> Kept {
    let (done, ended) = mpsc::channel();
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&bytes);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        if let Some(mut from) = from {
            while let Ok(n) = from.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let mut kept = into.lock().unwrap_or_else(|p| p.into_inner());
                kept.extend_from_slice(&buffer[..n]);
                if kept.len() > 2 * OUTPUT_KEPT {
                    let excess = kept.len() - OUTPUT_KEPT;
                    kept.drain(..excess);
                }
            }
        }
        let _ = done.send(());
    });
    Kept { bytes, ended }
}
