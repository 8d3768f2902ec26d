//! External runs: a claim is refused without permission to run its program; a program that
//! hangs is ended within its seconds, its whole process group with it; one that fails, writes
//! nothing or writes garbage is a failed run with a located reason; and the numpy reference
//! trainer (`reference/numpy_deep.py`) ends where implreg's own solver ends, sample for sample,
//! while its planted bugs are caught by claims.

use implreg::claim::{self, Claim, ClaimSpec, Context, SpecError};
use implreg::external::Permission;
use implreg::solver::{RunSpec, Status, Stop};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// A Python 3 with numpy: `python3` if it has numpy, otherwise a virtual environment made once
/// under `target/` with numpy installed from the package registry.
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| python_with(&["numpy"], "python-numpy"))
}

/// A Python 3 with numpy and JAX (`reference/jax_deep.py`), made as `python` makes its own.
fn python_with_jax() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| python_with(&["numpy", "jax"], "python-jax"))
}

/// `python3` if it imports every one of `modules`; otherwise the virtual environment `venv`
/// under `target/`, made with them from the package registry if it lacks them; otherwise the
/// user's site-packages (a Debian Python without the venv module).
fn python_with(modules: &[&str], venv: &str) -> String {
    let imports = |python: &str| {
        let script = format!("import {}", modules.join(", "));
        Command::new(python)
            .args(["-c", &script])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if imports("python3") {
        return "python3".into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(venv);
    let python = venv.join("bin/python3").display().to_string();
    if imports(&python) {
        return python;
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(modules)
            .status()
            .is_ok_and(|s| s.success());
        if installed && imports(&python) {
            return python;
        }
    }
    let installed = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--user",
            "--break-system-packages",
        ])
        .args(modules)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed && imports("python3"),
        "the external-run tests need Python 3 with {modules:?}: neither a venv nor pip could provide them"
    );
    "python3".into()
}

/// The reference trainer's folder: claims here are written as if they sat in it.
fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("reference")
}

/// The claim of `text` (its `PYTHON` replaced by a Python with numpy), read as if it were the
/// file `name` in `reference/`.
fn claim(text: &str, name: &str) -> Result<ClaimSpec, SpecError> {
    let text = text.replace("PYTHON", python());
    let mut claim = Claim::parse(&text, &reference().join(name))?;
    Ok(claim.points.remove(0).spec)
}

/// Everything allowed.
fn allowed() -> Context<'static> {
    Context {
        permission: Permission {
            all: true,
            commands: Vec::new(),
        },
        ..Context::default()
    }
}

/// A one-run claim on a 2×2 completion problem whose run is `command` for `seconds`.
fn one_run(command: &str, seconds: f64) -> ClaimSpec {
    let text = format!(
        "id: one\ntitle: one\nsource: {{ paper: test, where: here }}\nseeds: {{ from: 0, count: 1 }}\nproblem:\n  completion: {{ rows: 2, cols: 2, rank: 1, observed: 3 }}\nruns:\n  program:\n    external:\n      command: {command}\n      seconds: {seconds}\n      settings: {{ deep: {{ depth: 2, init: {{ gaussian: {{ scale: 1.0e-2 }} }}, optimizer: {{ gd: {{ lr: 0.1 }} }}, steps: 10 }} }}\nexpect:\n  - that: program.steps >= 0\n    over_seeds: all\n    why: test\nverdict: holds\n"
    );
    claim(&text, "one.yaml").unwrap()
}

/// The one run's record after evaluating `spec` with everything allowed, and the seconds taken.
fn record(spec: &ClaimSpec) -> (implreg::solver::RunRecord, f64) {
    let started = Instant::now();
    let mut report = claim::run::point::evaluate(spec, None, &allowed());
    let run = report.runs.remove(0);
    (run.record, started.elapsed().as_secs_f64())
}

const SAME: &str = include_str!("fixtures/external/same.yaml");

#[test]
fn a_claim_with_an_external_run_is_refused_without_permission() {
    let spec = claim(SAME, "same.yaml").unwrap();
    let Err(SpecError::Invalid {
        line,
        column,
        field,
        expected,
        ..
    }) = spec.check_external(&Permission::default())
    else {
        panic!("refused");
    };
    assert_eq!(field, "runs.adam.external.command");
    let written = SAME.lines().nth(line - 1).unwrap();
    assert!(
        written[column - 1..].starts_with("[PYTHON"),
        "{line}:{column}"
    );
    assert!(expected.contains("--allow-external"), "{expected}");
    let named = Permission {
        all: false,
        commands: vec![python().to_string()],
    };
    assert!(spec.check_external(&named).is_ok());
    // Refused at the run too, should a caller skip the check: a failed run, never a run.
    let mut report = claim::run::point::evaluate(&spec, None, &Context::default());
    let run = report.runs.remove(0);
    assert_eq!(run.record.stop, Stop::Failed);
}

/// The JAX trainer, whose gradients are JAX's automatic differentiation of the loss, ends where
/// implreg ends too (two seeds: a JAX program compiles its step first).
#[test]
fn jax_ends_where_implreg_ends_sample_for_sample() {
    let jax = SAME
        .replace("[PYTHON, numpy_deep.py]", "[JAX, jax_deep.py]")
        .replace(
            "files: [numpy_deep.py]",
            "files: [jax_deep.py, numpy_deep.py]",
        )
        .replace("JAX", python_with_jax());
    let spec = claim(&jax, "same.yaml").unwrap();
    let seeds = implreg::claim::Seeds { from: 0, count: 2 };
    let report = claim::run::point::evaluate(&spec, Some(seeds), &allowed());
    for assertion in &report.assertions {
        assert_eq!(assertion.per_seed.len(), 2);
        for seed in &assertion.per_seed {
            assert!(seed.passed, "{}: {seed:?}", assertion.that);
        }
    }
}

#[test]
fn numpy_ends_where_implreg_ends_sample_for_sample() {
    let spec = claim(SAME, "same.yaml").unwrap();
    let report = claim::run::point::evaluate(&spec, None, &allowed());
    for assertion in &report.assertions {
        for seed in &assertion.per_seed {
            assert!(seed.passed, "{}: {seed:?}", assertion.that);
        }
    }
    assert!(report.matches);
}

#[test]
fn a_hanging_program_is_ended_within_its_seconds_with_its_children() {
    let pid_file = std::env::temp_dir().join(format!("implreg-hang-{}", std::process::id()));
    let script = format!("sleep 60 & echo $! > {}; wait", pid_file.display());
    let spec = one_run(&format!("[sh, -c, \"{script}\"]"), 1.0);
    let (record, seconds) = record(&spec);
    assert_eq!(
        (record.stop, record.status()),
        (Stop::Time, Status::Exhausted)
    );
    assert!(seconds < 10.0, "took {seconds} s");
    let child: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    // The background sleep was in the program's group: ended too (reaped by init).
    std::thread::sleep(std::time::Duration::from_millis(200));
    let alive = Path::new(&format!("/proc/{child}")).exists()
        && !std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|s| s.contains(") Z"));
    assert!(!alive, "the program's child {child} outlived it");
}

#[test]
fn failures_are_runs_that_failed_with_their_reason() {
    let cases = [
        (
            "[sh, -c, \"echo oops >&2; exit 3\"]",
            vec!["exit status: 3", "oops"],
        ),
        ("[\"true\"]", vec!["wrote no result"]),
        ("[no-such-program-implreg]", vec!["could not be started"]),
        (
            r#"[sh, -c, "printf '{\"matrix\": [[1, 2]], \"steps\": 1}' > ${IMPLREG_RESULT}"]"#,
            vec!["matrix: 2 rows; found 1"],
        ),
        (
            r#"[sh, -c, "printf '{\"matrix\": [[1, 2], [3, 4]],\n \"steps\": x}' > ${IMPLREG_RESULT}"]"#,
            vec!["line 2, column"],
        ),
        (
            r#"[sh, -c, "ln -s /etc/passwd ${IMPLREG_RESULT}"]"#,
            vec!["the result ($IMPLREG_RESULT)"],
        ),
    ];
    for (command, says) in cases {
        let (record, _) = record(&one_run(command, 10.0));
        assert_eq!(record.stop, Stop::Failed, "{command}");
        let failure = record.failure.unwrap();
        for said in says {
            assert!(failure.contains(said), "{command}: {failure}");
        }
    }
}

/// The planted bugs fail the claims that should catch them, where the trainer without them
/// passes: the wrong initialisation scale loses the low-rank bias; Adam without its bias
/// correction leaves implreg's Adam.
#[test]
fn planted_bugs_are_caught_by_claims() {
    let low_rank = include_str!("fixtures/external/low-rank.yaml");
    for (plant, expected) in [("", true), ("--plant, init-scale", false)] {
        let text = low_rank.replace("PLANT", plant).replace("[, ", "[");
        let spec = claim(&text, "low-rank.yaml").unwrap();
        let report = claim::run::point::evaluate(&spec, None, &allowed());
        let held = report
            .assertions
            .iter()
            .all(|a| a.per_seed.iter().all(|s| s.passed));
        assert_eq!(held, expected, "plant `{plant}`: {:?}", report.to_text());
    }
    let adam = SAME.replace(
        "[PYTHON, numpy_deep.py]",
        "[PYTHON, numpy_deep.py, --plant, adam-bias]",
    );
    let spec = claim(&adam, "same.yaml").unwrap();
    let report = claim::run::point::evaluate(&spec, None, &allowed());
    let failed: Vec<&str> = report
        .assertions
        .iter()
        .filter(|a| a.per_seed.iter().any(|s| !s.passed))
        .map(|a| a.that.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("adam"), "{failed:?}");
}

/// `spec` with every deep run made by the numpy reference trainer instead, from the same
/// settings; the other runs stay implreg's.
fn through_numpy(spec: &ClaimSpec) -> ClaimSpec {
    use implreg::solver::RunSpec;
    use implreg::solver::external::{ExternalSpec, Settings};
    let mut numpy = spec.clone();
    for run in numpy.runs.values_mut() {
        if let RunSpec::Deep(deep) = run {
            *run = RunSpec::External(ExternalSpec {
                command: vec![python().to_string(), "numpy_deep.py".into()],
                files: vec!["numpy_deep.py".into()],
                seconds: 600.0,
                workdir: None,
                settings: Settings::Deep(deep.clone()),
                repeat: None,
                digests: Default::default(),
                folder: reference(),
                at: (1, 1),
            });
        }
    }
    numpy
}

/// The deep-GD claims of `specs/` give the same outcome on every seed and assertion, so the
/// same verdict, when their deep runs are the numpy trainer's (on the first `seeds` seeds of
/// each: the trainer is a Python loop).
#[test]
fn deep_gd_specs_give_the_same_verdicts_through_numpy() {
    let specs = [
        ("razin-cohen-depth2-discrete.yaml", 5),
        ("razin-cohen-norms-grow.yaml", 2),
        ("commuting-measurements.yaml", 1),
        ("incremental-learning.yaml", 3),
    ];
    for (file, count) in specs {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs")
            .join(file);
        let claim = Claim::load(&path).unwrap();
        for point in &claim.points {
            let spec = &point.spec;
            let seeds = implreg::claim::Seeds {
                from: spec.seeds.from,
                count,
            };
            let native = claim::run::point::evaluate(spec, Some(seeds), &allowed());
            let numpy = claim::run::point::evaluate(&through_numpy(spec), Some(seeds), &allowed());
            assert_eq!(
                numpy.verdict,
                native.verdict,
                "{file}\n{}\n{}",
                native.to_text(),
                numpy.to_text()
            );
            for (a, b) in native.assertions.iter().zip(&numpy.assertions) {
                let passed = |r: &implreg::claim::report::claim::AssertionReport| {
                    r.per_seed
                        .iter()
                        .map(|s| (s.seed, s.passed))
                        .collect::<Vec<_>>()
                };
                assert_eq!(passed(a), passed(b), "{file}: {}", a.that);
            }
        }
    }
}

/// The store keeps an external run under a key that covers its files' digests: checking again
/// reuses it, and a changed file is run again.
#[test]
fn the_store_reuses_an_external_run_until_its_files_change() {
    use implreg::store::Store;
    let folder =
        std::env::temp_dir().join(format!("implreg-external-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let trainer = folder.join("numpy_deep.py");
    std::fs::copy(reference().join("numpy_deep.py"), &trainer).unwrap();
    let text = include_str!("fixtures/external/low-rank.yaml")
        .replace(", PLANT", "")
        .replace("PYTHON", python());
    let file = folder.join("low-rank.yaml");
    std::fs::write(&file, text).unwrap();
    let store = Store::open(folder.join("store"));
    let check = || {
        let spec = Claim::load(&file).unwrap().points.remove(0).spec;
        let context = Context {
            store: Some(&store),
            ..allowed()
        };
        claim::run::point::evaluate(&spec, None, &context);
        let tally = store.tally();
        (tally.solved, tally.reused)
    };
    assert_eq!(check(), (3, 0));
    assert_eq!(check(), (3, 3));
    // A comment more: another digest, another key.
    let mut changed = std::fs::read_to_string(&trainer).unwrap();
    changed.push_str("\n# changed\n");
    std::fs::write(&trainer, changed).unwrap();
    assert_eq!(check(), (6, 3));
    std::fs::remove_dir_all(&folder).unwrap();
}

/// `repeat` runs the program again on each seed: a program whose endpoint changes from run to
/// run fails, the reference trainer does not.
#[test]
fn repeat_catches_a_nondeterministic_program() {
    let random = r#"[PYTHON, -c, "import json, os, random; json.dump({'matrix': [[random.random(), 0], [0, 0]], 'steps': 1}, open(os.environ['IMPLREG_RESULT'], 'w'))"]"#;
    let mut spec = one_run(&random.replace("PYTHON", python()), 30.0);
    let implreg::solver::RunSpec::External(external) = spec.runs.get_mut("program").unwrap() else {
        panic!("an external run");
    };
    external.repeat = Some(implreg::solver::external::Repeat {
        times: 3,
        tolerance: 1e-12,
    });
    let (record, _) = record(&spec);
    assert!(
        record
            .failure
            .as_deref()
            .unwrap_or("")
            .contains("nondeterministic"),
        "{record:?}"
    );
    let same = SAME.replace(
        "      seconds: 120\n",
        "      seconds: 120\n      repeat: { times: 2, tolerance: 0 }\n",
    );
    let report = claim::run::point::evaluate(&claim(&same, "same.yaml").unwrap(), None, &allowed());
    assert!(report.matches, "{}", report.to_text());
}

/// A process that leaves the program's group and keeps its output open cannot hold implreg: the
/// run ends once the program has, and what it printed by then is kept.
#[test]
fn a_descendant_holding_the_output_open_does_not_hold_the_run() {
    let script = r#"setsid sleep 20 & echo started; printf '{\"matrix\": [[0, 0], [0, 0]], \"steps\": 0}' > ${IMPLREG_RESULT}"#;
    let (record, seconds) = record(&one_run(&format!("[sh, -c, \"{script}\"]"), 60.0));
    assert_eq!(record.stop, Stop::Budget, "{record:?}");
    assert!(seconds < 10.0, "took {seconds} s");
}

/// The documented schemas (docs/external-*.schema.json) accept what implreg writes for a program
/// and what the reference trainer writes back, checked by the `jsonschema` package (Draft
/// 2020-12) on a completion and a sensing instance.
#[test]
fn the_protocol_schemas_accept_what_is_written() {
    let python = python_with(&["numpy", "jsonschema"], "python-jsonschema");
    let dir = std::env::temp_dir().join(format!("implreg-schemas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A program that keeps copies of both files beside the claim, then lets the trainer run.
    let trainer = reference().join("numpy_deep.py");
    let keep = format!(
        "import os, shutil, subprocess, sys\nshutil.copy(os.environ['IMPLREG_INSTANCE'], 'instance.json')\ncode = subprocess.call([sys.executable, {trainer:?}])\nshutil.copy(os.environ['IMPLREG_RESULT'], 'result.json')\nsys.exit(code)\n"
    );
    std::fs::write(dir.join("keep.py"), keep).unwrap();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for problem in [
        "completion: { rows: 6, cols: 5, rank: 1, observed: 20 }",
        "sensing: { rows: 6, cols: 5, rank: 1, measurements: 20 }",
    ] {
        let text = format!(
            "id: schemas\ntitle: schemas\nsource: {{ paper: test, where: here }}\nseeds: {{ from: 0, count: 1 }}\nproblem:\n  {problem}\nruns:\n  program:\n    external:\n      command: [{python}, keep.py]\n      seconds: 60\n      settings: {{ deep: {{ depth: 2, init: {{ gaussian: {{ scale: 1.0e-2 }} }}, optimizer: {{ gd: {{ lr: 0.1 }} }}, steps: 300 }} }}\nexpect:\n  - that: program.steps == 300\n    over_seeds: all\n    why: test\nverdict: holds\n"
        );
        let spec = Claim::parse(&text, &dir.join("schemas.yaml"))
            .unwrap()
            .points
            .remove(0)
            .spec;
        let report = claim::run::point::evaluate(&spec, None, &allowed());
        assert!(report.matches, "{}", report.to_text());
        let check = Command::new(&python)
            .current_dir(&dir)
            .args(["-c", "import json, sys, jsonschema\nfor doc, schema in zip(sys.argv[1::2], sys.argv[2::2]):\n    jsonschema.validate(json.load(open(doc)), json.load(open(schema)), cls=jsonschema.Draft202012Validator)"])
            .arg("instance.json")
            .arg(docs.join("external-instance.schema.json"))
            .arg("result.json")
            .arg(docs.join("external-result.schema.json"))
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{problem}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On real-data problems a program sees the observed ratings only, and its predictions of the
/// held-out ones are measured as implreg's own are.
#[test]
fn numpy_predicts_held_out_ratings_as_implreg_does() {
    let text = include_str!("fixtures/external/ratings.yaml").replace("PYTHON", python());
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/external/ratings.yaml");
    let spec = Claim::parse(&text, &file).unwrap().points.remove(0).spec;
    let report = claim::run::point::evaluate(&spec, None, &allowed());
    for assertion in &report.assertions {
        for seed in &assertion.per_seed {
            assert!(seed.passed, "{}: {seed:?}", assertion.that);
        }
    }
    let problem = spec.problem.generate(0);
    let RunSpec::Deep(deep) = &spec.runs["native_gd"] else {
        panic!("a deep run")
    };
    let instance = implreg::export::instance(&problem, deep, 0);
    let written = instance.to_string();
    assert!(!written.contains("held_out"), "{written}");
    assert_eq!(
        instance["observations"]["entries"].as_array().map(Vec::len),
        Some(problem.observation_count())
    );
}
