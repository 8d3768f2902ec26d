//! The result store through the binary: a second check solves nothing and reports the same
//! bytes; editing an assertion re-runs nothing, editing a run re-runs that run only; damaged,
//! truncated and foreign records are reported and recomputed; `--no-store` writes nothing; a
//! run past its wall-time budget is `exhausted` and not stored.

use std::path::Path;

mod support;
use support::{implreg, records, scratch, stdout};

const SWEEP: &str = "tests/fixtures/sweep.yaml";

/// `check` of `claim` as JSON with the store at `store`: the report and what stderr says.
fn check(claim: &Path, store: &Path) -> (String, String) {
    let output = implreg(&[
        "check",
        &claim.display().to_string(),
        "--format",
        "json",
        "--store",
        &store.display().to_string(),
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1 | 3)),
        "{}",
        support::stderr(&output)
    );
    let stderr = support::stderr(&output);
    (stdout(&output), stderr)
}

/// The numbers in the store's line on stderr: (reused, solved).
fn tally(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.contains("runs reused"))
        .unwrap_or_else(|| panic!("no store line in {stderr}"));
    let number = |word: &str| -> u64 {
        let before = &line[..line.find(word).unwrap()];
        before.split_whitespace().last().unwrap().parse().unwrap()
    };
    (number(" runs reused"), number(" solved"))
}

#[test]
fn a_second_check_reuses_every_run_and_reports_the_same_bytes() {
    let dir = scratch("store-again");
    let store = dir.join("store");
    let (first, err) = check(Path::new(SWEEP), &store);
    let (reused, solved) = tally(&err);
    assert!(solved > 0, "{err}");
    let (second, err) = check(Path::new(SWEEP), &store);
    assert_eq!(tally(&err), (reused + solved, 0), "{err}");
    assert_eq!(first, second);
    // And both equal a check with no store at all.
    let output = implreg(&["check", SWEEP, "--format", "json", "--no-store"]);
    assert_eq!(stdout(&output), first);
    assert!(!support::stderr(&output).contains("runs reused"));
}

/// Two runs on three seeds of a 2×2 completion (Razin & Cohen's), quick to solve.
const TWO_RUNS: &str = r#"
id: two-runs
title: Two runs for the store's tests
source: { paper: "test", where: "tests/store.rs" }
seeds: { from: 0, count: 3 }
problem:
  explicit:
    rows: 2
    cols: 2
    entries: [{ row: 0, col: 1, value: 1 }, { row: 1, col: 0, value: 1 }, { row: 1, col: 1, value: 0 }]
runs:
  flat: { deep: { depth: 1, init: { gaussian: { scale: 1.0e-3 } }, optimizer: { gd: { lr: 0.5 } }, loss: sum, target_loss: 1.0e-8, steps: 1000 } }
  deep: { deep: { depth: 3, init: { gaussian: { scale: 1.0e-3 } }, optimizer: { gd: { lr: 0.5 } }, loss: sum, target_loss: 1.0e-8, steps: 1000 } }
expect:
  - that: abs(flat.entry(0, 0)) <= 1e-2
    over_seeds: all
    why: depth 1 has no gradient on unobserved entries
verdict: holds
"#;

#[test]
fn editing_an_assertion_reruns_nothing_and_editing_a_run_reruns_that_run() {
    let dir = scratch("store-edits");
    let store = dir.join("store");
    let claim = dir.join("claim.yaml");
    std::fs::write(&claim, TWO_RUNS).unwrap();
    let (_, err) = check(&claim, &store);
    assert_eq!(tally(&err), (0, 6), "{err}");
    // A tolerance changed: the same runs answer it.
    let edited = TWO_RUNS.replace("<= 1e-2", "< 1e-3");
    std::fs::write(&claim, &edited).unwrap();
    let (_, err) = check(&claim, &store);
    assert_eq!(tally(&err), (6, 0), "{err}");
    // The deep run's step size changed: it is solved again on every seed, `flat` reused.
    let changed = edited.replace(
        "depth: 3, init: { gaussian: { scale: 1.0e-3 } }, optimizer: { gd: { lr: 0.5 } }",
        "depth: 3, init: { gaussian: { scale: 1.0e-3 } }, optimizer: { gd: { lr: 0.4 } }",
    );
    assert_ne!(changed, edited);
    std::fs::write(&claim, &changed).unwrap();
    let (_, err) = check(&claim, &store);
    assert_eq!(tally(&err), (3, 3), "{err}");
    // Renaming a run changes nothing the store keys.
    let renamed = changed
        .replace("  flat:", "  shallow:")
        .replace("flat.", "shallow.");
    std::fs::write(&claim, renamed).unwrap();
    let (_, err) = check(&claim, &store);
    assert_eq!(tally(&err), (6, 0), "{err}");
}

#[test]
fn damaged_records_are_reported_recomputed_and_change_nothing() {
    let dir = scratch("store-damage");
    let store = dir.join("store");
    let (clean, _) = check(Path::new(SWEEP), &store);
    let files = records(&store);
    assert!(files.len() >= 3);
    // Truncated, a flipped byte in the body, and another version's record.
    let bytes = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &bytes[..bytes.len() / 2]).unwrap();
    let mut bytes = std::fs::read(&files[1]).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0x40;
    std::fs::write(&files[1], &bytes).unwrap();
    let text = String::from_utf8_lossy(&std::fs::read(&files[2]).unwrap()).into_owned();
    let version = format!("\\\"implreg\\\":\\\"{}\\\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{}", &text[..300]);
    let bytes = std::fs::read(&files[2]).unwrap();
    let header_end = bytes.iter().skip(40).position(|&b| b == b'\n').unwrap() + 40;
    let header = String::from_utf8(bytes[..header_end].to_vec()).unwrap();
    let mut foreign = header
        .replacen(&version, "\\\"implreg\\\":\\\"0.0.1\\\"", 1)
        .into_bytes();
    foreign.extend_from_slice(&bytes[header_end..]);
    std::fs::write(&files[2], &foreign).unwrap();
    let (repaired, err) = check(Path::new(SWEEP), &store);
    assert_eq!(repaired, clean);
    for reason in [
        "truncated",
        "corrupt: its body's checksum does not match",
        "made by another build (implreg 0.0.1",
    ] {
        assert!(err.contains(reason), "{reason} not in {err}");
    }
    assert_eq!(err.matches("; recomputed").count(), 3, "{err}");
    assert_eq!(tally(&err).1, 3, "{err}");
    // Repaired in place: the next check trusts every record.
    let (_, err) = check(Path::new(SWEEP), &store);
    assert_eq!(tally(&err).1, 0, "{err}");
    assert!(!err.contains("recomputed"), "{err}");
}

#[test]
fn no_store_writes_nothing() {
    let dir = scratch("store-none");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_implreg"))
        .args(["check", SWEEP, "--no-store"])
        .env("IMPLREG_STORE", dir.join("store"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(!dir.join("store").exists());
}

#[test]
fn a_run_past_its_wall_time_is_exhausted_and_not_stored() {
    let dir = scratch("store-time");
    let store = dir.join("store");
    let output = implreg(&[
        "check",
        "specs/low-rank-bias.yaml",
        "--seeds",
        "0:1",
        "--max-run-seconds",
        "0.001",
        "--format",
        "json",
        "--store",
        &store.display().to_string(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let run = &report[0]["runs"][0];
    assert_eq!(run["status"], "exhausted");
    assert_eq!(run["stop"], "time");
    assert!(!store.join("runs").exists(), "a timed-out run was stored");
}

#[test]
fn a_claim_past_its_wall_time_is_inconclusive() {
    let output = implreg(&[
        "check",
        "specs/low-rank-bias.yaml",
        "--max-claim-seconds",
        "0.001",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("left open: the claim's wall-time budget ran out"),
        "{text}"
    );
    // A sweep's assertions across points are not judged on runs its deadline stopped (they
    // refuted the sweep, whose every point holds).
    let output = implreg(&["check", SWEEP, "--no-store", "--max-claim-seconds", "1e-9"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("? across:") && !text.contains("- across:"),
        "{text}"
    );
}

#[test]
fn two_processes_writing_the_same_runs_at_once_leave_an_intact_store() {
    let dir = scratch("store-race");
    let store = dir.join("store");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_implreg"))
            .args(["check", SWEEP, "--format", "json", "--store"])
            .arg(&store)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!((a.status.code(), b.status.code()), (Some(0), Some(0)));
    assert_eq!(a.stdout, b.stdout);
    let (third, err) = check(Path::new(SWEEP), &store);
    assert_eq!(third.as_bytes(), a.stdout.as_slice());
    assert_eq!(tally(&err).1, 0, "{err}");
    assert!(!err.contains("recomputed"), "{err}");
    let leftovers = std::fs::read_dir(store.join("tmp")).unwrap().count();
    assert_eq!(leftovers, 0, "temporary files left behind");
}

/// A small completion problem and a deep run on it, for records made by hand.
fn small_run(steps: u32) -> (implreg::problem::ProblemSpec, implreg::solver::RunSpec) {
    let spec = serde_json::from_str(
        r#"{ "completion": { "rows": 5, "cols": 4, "rank": 1, "observed": 9 } }"#,
    )
    .unwrap();
    let run = serde_json::from_str(&format!(
        r#"{{ "deep": {{ "depth": 2, "init": {{ "gaussian": {{ "scale": 0.1 }} }},
             "optimizer": {{ "gd": {{ "lr": 0.1 }} }}, "loss": "sum", "steps": {steps} }} }}"#
    ))
    .unwrap();
    (spec, run)
}

/// A record read back is bit for bit the record written (NaN and ±∞ included: encoding it again
/// gives the same bytes), and no truncation, no flipped bit anywhere in the file and no other
/// key is ever read as a record.
#[test]
fn a_record_round_trips_exactly_and_every_damaged_byte_is_caught() {
    use implreg::provenance::Provenance;
    use implreg::solver;
    use implreg::store::{Build, RunKey, file};
    let (spec, run) = small_run(50);
    let mut record = solver::solve(&run, &spec.generate(3), 3);
    record.extremes.max_loss = f64::NAN;
    record.extremes.min_loss = f64::NEG_INFINITY;
    let build = Build::here();
    let key = RunKey::new(&build, &spec, &run, 3, &"what it watched");
    let bytes = file::encode(&key, &record, &Provenance::here(), 0.25);
    let read = file::decode(&bytes, &key, &build).expect("an intact record");
    assert_eq!(read.seconds, 0.25);
    assert_eq!(read.record.matrix, record.matrix);
    assert_eq!(read.record.factors, record.factors);
    assert_eq!(read.record.trace, record.trace);
    assert_eq!(
        file::encode(&key, &read.record, &read.provenance, read.seconds),
        bytes
    );
    for cut in 0..bytes.len() {
        assert!(
            file::decode(&bytes[..cut], &key, &build).is_err(),
            "cut at {cut}"
        );
    }
    for at in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        assert!(
            file::decode(&flipped, &key, &build).is_err(),
            "bit flipped at {at}"
        );
    }
    let other = RunKey::new(&build, &spec, &run, 4, &"what it watched");
    assert!(file::decode(&bytes, &other, &build).is_err());

    // Another run's body under this key's header, its length and checksum made to agree: the
    // body names the key it was solved under, so the record is refused.
    let theirs = file::encode(&other, &record, &Provenance::here(), 0.25);
    let body_of = |bytes: &[u8]| -> Vec<u8> {
        let second = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(1)
            .unwrap()
            .0;
        bytes[second + 1..].to_vec()
    };
    let body = body_of(&theirs);
    let header = format!(
        "{{\"settings\":{},\"body_bytes\":{},\"body_sha256\":\"{}\"}}",
        serde_json::to_string(&key.settings).unwrap(),
        body.len(),
        implreg::store::key::digest(&body)
    );
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap();
    let mut moved = [first_line, b"\n", header.as_bytes(), b"\n"].concat();
    moved.extend_from_slice(&body);
    let refused = file::decode(&moved, &key, &build).err().expect("refused");
    assert!(refused.contains("another run's record"), "{refused}");
}

/// Links planted in a store never lead a write out of it: a `runs/` that points elsewhere
/// leaves the folder it points to untouched (the runs are reported not written, and still
/// count), and a FIFO or an oversized file where a record should be is refused unread, then
/// replaced by the record solved.
#[test]
fn links_fifos_and_oversized_files_in_a_store_are_never_followed_or_read() {
    let dir = scratch("store-hostile");
    let claim = dir.join("two-runs.yaml");
    std::fs::write(&claim, TWO_RUNS).unwrap();
    let clean = dir.join("clean");
    let (expected, _) = check(&claim, &clean);
    let kept = records(&clean);

    let (store, outside) = (dir.join("store"), dir.join("outside"));
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, store.join("runs")).unwrap();
    let (report, err) = check(&claim, &store);
    assert_eq!(report, expected);
    assert!(err.contains("not written"), "{err}");
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "written through the link"
    );

    // Every record's place taken by a FIFO or a 3 GiB sparse file.
    let store = dir.join("store-kinds");
    for (k, record) in kept.iter().enumerate() {
        let place = store.join(record.strip_prefix(&clean).unwrap());
        std::fs::create_dir_all(place.parent().unwrap()).unwrap();
        if k % 2 == 0 {
            let made = std::process::Command::new("mkfifo").arg(&place).status();
            assert!(made.is_ok_and(|s| s.success()));
        } else {
            std::fs::File::create(&place)
                .unwrap()
                .set_len(3 << 30)
                .unwrap();
        }
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    let (claim_path, store_path) = (claim.clone(), store.clone());
    std::thread::spawn(move || sender.send(check(&claim_path, &store_path)));
    let (report, err) = receiver
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("a check that does not block on a FIFO");
    assert_eq!(report, expected);
    assert!(err.contains("damaged files not trusted"), "{err}");
    let (again, err) = check(&claim, &store);
    assert_eq!(again, expected);
    assert_eq!(
        tally(&err).1,
        0,
        "the solved records replaced the FIFOs and big files: {err}"
    );
}

/// A run held to its work at run time is reused from the store only where a fresh run under
/// the same limit would not have been stopped: a record solved under a generous limit and
/// checked again under a tight one gives the tight limit's report, byte for byte, and the
/// stopped run is not stored.
#[test]
fn a_stored_run_is_reused_only_within_the_work_limit() {
    use implreg::claim::{self, Claim, Context};
    use implreg::solver::{Bounds, Shape};
    use implreg::store::Store;
    let text = r#"
id: held-to-its-work
title: A certified 30×30 completion
source: { paper: "Candès, Recht 2009", where: "§1" }
seeds: { from: 0, count: 1 }
problem:
  completion: { rows: 30, cols: 30, rank: 2, observed: 250 }
runs:
  nuclear: { nuclear_norm: {} }
expect:
  - that: nuclear.converged
    over_seeds: all
    why: certified within the work it is given
verdict: holds
"#;
    let claim = Claim::parse(text, Path::new("held.yaml")).unwrap();
    let spec = &claim.points[0].spec;
    let per_step = spec.runs["nuclear"].cost(Shape::of(&spec.problem)).per_step;
    let dir = scratch("store-work");
    let store = Store::open(&dir);
    let report = |work: f64, store: Option<&Store>| {
        let context = Context {
            bounds: Bounds {
                work: Some(work),
                ..Bounds::default()
            },
            store,
            ..Context::default()
        };
        let report = claim::evaluate(&claim, |_| None, &context, &|_, _| {});
        serde_json::to_string(&report).unwrap()
    };
    let generous = report(1e15, Some(&store));
    assert!(generous.contains("\"stop\":\"certified\""), "{generous}");
    let tight = 50.0 * per_step;
    let fresh = report(tight, None);
    assert!(fresh.contains("\"stop\":\"work\""), "{fresh}");
    assert_eq!(report(tight, Some(&store)), fresh);
    assert_eq!(report(1e15, Some(&store)), generous);
    assert_eq!(records(&dir).len(), 1, "the stopped run is not stored");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `store stats` counts what a store holds by build; `store prune` removes what this build
/// cannot reach (another build's records, files of unknown format, temporary files an hour
/// old), and this build's records only when asked by age; a check afterwards reuses every run
/// that was kept.
#[test]
fn stats_and_prune_look_after_a_store() {
    use implreg::provenance::Provenance;
    use implreg::solver;
    use implreg::store::{Build, RunKey, file};
    let dir = scratch("store-care");
    let claim = dir.join("two-runs.yaml");
    std::fs::write(&claim, TWO_RUNS).unwrap();
    let store = dir.join("store");
    let (report, _) = check(&claim, &store);
    let ours = records(&store).len();
    assert_eq!(ours, 6);

    // Another build's record, a file of unknown format, a stale and a fresh temporary file.
    let (spec, run) = small_run(5);
    let other = Build {
        source: "another source".into(),
        ..Build::here()
    };
    let key = RunKey::new(&other, &spec, &run, 1, &"nothing");
    let bytes = file::encode(
        &key,
        &solver::solve(&run, &spec.generate(1), 1),
        &Provenance::here(),
        0.1,
    );
    let (a, b) = key.digest.split_at(2);
    std::fs::create_dir_all(store.join("runs").join(a)).unwrap();
    std::fs::write(store.join("runs").join(a).join(format!("{b}.run")), bytes).unwrap();
    std::fs::create_dir_all(store.join("runs/00")).unwrap();
    std::fs::write(store.join("runs/00/junk.run"), "not a record").unwrap();
    std::fs::create_dir_all(store.join("tmp")).unwrap();
    let stale = store.join("tmp/left.1.0");
    std::fs::write(&stale, "half").unwrap();
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(day_ago)
        .unwrap();
    std::fs::write(store.join("tmp/writing.2.0"), "in flight").unwrap();

    let text = |args: &[&str]| {
        let output = implreg(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            support::stderr(&output)
        );
        stdout(&output)
    };
    let root = store.to_str().unwrap();
    let stats = text(&["store", "stats", "--store", root]);
    assert!(stats.contains(": 6 files"), "{stats}");
    assert!(
        stats.contains("1 files") && stats.contains("of other builds"),
        "{stats}"
    );
    assert!(
        stats.contains("2 files") && stats.contains("temporary"),
        "{stats}"
    );
    let dry = text(&["store", "prune", "--store", root, "--dry-run"]);
    assert!(dry.contains("would remove 2 files"), "{dry}");
    assert_eq!(records(&store).len(), ours + 2);
    let pruned = text(&["store", "prune", "--store", root]);
    assert!(
        pruned.contains("removed 2 files") && pruned.contains("1 files"),
        "{pruned}"
    );
    assert_eq!(records(&store).len(), ours);
    assert!(!stale.exists() && store.join("tmp/writing.2.0").exists());
    let (again, err) = check(&claim, &store);
    assert_eq!((again, tally(&err)), (report.clone(), (6, 0)));

    // By age: this build's records untouched for a day go too, and are solved again.
    for record in records(&store) {
        std::fs::File::options()
            .write(true)
            .open(&record)
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
    }
    let pruned = text(&["store", "prune", "--store", root, "--older-than", "0.5"]);
    assert!(pruned.contains("removed 6 files"), "{pruned}");
    let (again, err) = check(&claim, &store);
    assert_eq!((again, tally(&err)), (report, (0, 6)));
}
