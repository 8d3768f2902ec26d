//! The `implreg` binary end to end: exit code 0 when every claim matches its expectation, 1 when
//! one does not, 2 on bad input, 3 when a rate claim's budget runs out undecided; `--format json`
//! prints the full report.

use std::process::Command;

mod support;
use support::{claim_scratch, implreg, stdout, timeless};

#[test]
fn a_matching_claim_exits_0() {
    let output = implreg(&["check", "tests/fixtures/holds.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("ok   tiny-holds: holds (expected holds)"));
    assert!(stdout(&output).ends_with("1 claims: 1 as expected, 0 not, 0 inconclusive\n"));
    // The progress bar draws only on a terminal: a piped stderr has the store's line alone.
    let stderr = support::stderr(&output);
    assert!(
        stderr.lines().count() == 1 && stderr.contains("runs reused"),
        "{stderr}"
    );
}

#[test]
fn a_mismatching_claim_exits_1() {
    let output = implreg(&[
        "check",
        "tests/fixtures/holds.yaml",
        "tests/fixtures/mismatch.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("FAIL tiny-mismatch: refuted (expected holds)"));
    assert!(stdout(&output).contains("2 claims: 1 as expected, 1 not"));
}

#[test]
fn bad_input_exits_2_with_a_located_error() {
    let output = implreg(&[
        "check",
        "tests/fixtures/holds.yaml",
        "tests/bad-specs/zero-depth.yaml",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::stderr(&output);
    assert!(
        stderr.contains("tests/bad-specs/zero-depth.yaml:10:14: runs.deep3.deep.depth"),
        "{stderr}"
    );
    assert!(
        stdout(&output).is_empty(),
        "nothing runs when a claim is bad"
    );
    assert_eq!(implreg(&["check", "no/such/folder"]).status.code(), Some(2));
    // A budget or count from the command line is held to the same limits as the spec's own.
    let output = implreg(&[
        "check",
        "--seeds",
        "0:100000",
        "specs/penalty-needs-adam.yaml",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::stderr(&output);
    assert!(
        stderr.contains("--seeds: expected 100000 seeds within the limits"),
        "{stderr}"
    );
    assert_eq!(
        implreg(&["check", "--seeds", "five", "tests/fixtures"])
            .status
            .code(),
        Some(2)
    );
}

/// Options past their representable range are refused with exit 2, never a panic: a time
/// budget of 10^19 seconds once overflowed the clock.
#[test]
fn options_out_of_range_are_refused_never_a_panic() {
    for (option, value) in [
        ("--max-claim-seconds", "1e19"),
        ("--max-claim-seconds", "1e300"),
        ("--max-run-seconds", "1e19"),
        ("--max-run-seconds", "inf"),
        ("--max-claim-seconds", "0"),
        ("--max-work", "1e400"),
        ("--threads", "0"),
        ("--seeds", "18446744073709551615:2"),
    ] {
        let output = implreg(&[
            "check",
            "--no-store",
            option,
            value,
            "tests/fixtures/holds.yaml",
        ]);
        let stderr = support::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{option} {value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{option} {value}: {stderr}");
        assert!(stderr.contains(option), "{option} {value}: {stderr}");
    }
}

#[test]
fn folders_are_read_in_name_order_and_json_carries_the_full_report() {
    let output = implreg(&[
        "check",
        "--format",
        "json",
        "--seeds",
        "7:3",
        "--threads",
        "1",
        "tests/fixtures",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    let ids: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["tiny-holds", "tiny-mismatch", "tiny-rate", "tiny-sweep"]
    );
    let first = &reports[0];
    assert_eq!(first["seeds"], serde_json::json!([7, 8, 9]));
    assert_eq!(first["verdict"], "holds");
    assert_eq!(first["runs"][0]["status"], "converged");
    assert!(first["runs"][0]["trace"].as_array().unwrap().len() > 3);
}

#[test]
fn json_exports_a_checkable_certificate() {
    let output = implreg(&[
        "check",
        "--format",
        "json",
        "specs/commuting-measurements.yaml",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    let nuclear = reports[0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run"] == "nuclear")
        .expect("the convex run is reported");
    let certificate = &nuclear["certificate"];
    // One measurement ⟨diag(1, 2, 3), W⟩ = 6: ‖𝒜*(λ)‖₂ = 3|λ| ≤ 1 and the bound 6λ = 2 need λ = 1/3.
    let lambda = certificate["multipliers"][0].as_f64().unwrap();
    assert!((lambda - 1.0 / 3.0).abs() <= 1e-9, "λ = {lambda}");
    assert!(3.0 * lambda.abs() <= 1.0 + 1e-12);
    let bound = certificate["lower_bound"].as_f64().unwrap();
    assert!((bound - 6.0 * lambda).abs() <= 1e-12 && (bound - 2.0).abs() <= 1e-6);
    assert!(certificate["gap"].as_f64().unwrap() <= 1e-6);
}

/// `implreg export` hands another implementation the instance a run starts from: the problem,
/// the run's settings and its initial factors; a run that is not deep is a located error.
#[test]
fn export_gives_the_instance_a_run_starts_from() {
    let output = implreg(&[
        "export",
        "specs/commuting-measurements.yaml",
        "--run",
        "depth2",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let instance: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(
        (instance["rows"].as_u64(), instance["seed"].as_u64()),
        (Some(3), Some(0))
    );
    let operator = &instance["observations"]["measurements"]["operator"];
    // Row k of the operator is vec(A_k), column-major: diag(1, 2, 3) has its 2 at index 4.
    assert_eq!(operator[0][4].as_f64(), Some(2.0));
    assert_eq!(
        instance["run"]["optimizer"]["gd"]["lr"].as_f64(),
        Some(0.01)
    );
    let factor = |j: usize, i: usize, k: usize| instance["factors"][j][i][k].as_f64().unwrap();
    // Identity initialisation with scale 1e-3 at depth 2: √(1e-3)·I per factor.
    for j in 0..2 {
        for (i, k) in [(0, 0), (1, 1), (2, 2), (0, 1)] {
            let expected = if i == k { 1e-3f64.sqrt() } else { 0.0 };
            assert!((factor(j, i, k) - expected).abs() <= 1e-15);
        }
    }
    // Written as serialised (no JSON value of the instance is built), byte for byte what a
    // JSON value of it gives, for completion and sensing, with and without a truth.
    let spec: implreg::solver::DeepSpec = serde_json::from_value(instance["run"].clone()).unwrap();
    for (k, sensing) in [(0, false), (1, true), (2, false), (3, true)] {
        let problem = support::problem(4 + k, 3 + k, sensing, k as u64);
        let mut streamed = Vec::new();
        implreg::export::write_instance(&problem, &spec, 7, &mut streamed).unwrap();
        let value = implreg::export::instance(&problem, &spec, 7);
        assert_eq!(String::from_utf8(streamed).unwrap(), value.to_string());
    }
    let unknown = implreg(&[
        "export",
        "specs/commuting-measurements.yaml",
        "--run",
        "nuclear",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    let message = support::stderr(&unknown);
    assert!(
        message.contains("commuting-measurements.yaml") && message.contains("depth1"),
        "{message}"
    );
}

/// A `--seeds` that would change what an assertion means, or that overflows, is refused before
/// anything runs; two files with one id are refused too.
#[test]
fn overrides_and_duplicates_that_change_a_verdict_are_refused() {
    let (dir, text) = claim_scratch("cli");
    let at_least = dir.join("at-least.yaml");
    std::fs::write(
        &at_least,
        text.replace("over_seeds: all", "over_seeds: { at_least: 2 }"),
    )
    .unwrap();
    let path = at_least.to_str().unwrap();
    let refused = implreg(&["check", path, "--seeds", "0:5"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = support::stderr(&refused);
    assert!(
        message.contains("at-least.yaml:14:17: expect[0].over_seeds"),
        "{message}"
    );
    assert!(stdout(&refused).is_empty(), "nothing runs");
    // The same count on other seeds keeps the meaning, written as a block or as a first seed.
    assert_eq!(
        implreg(&["check", path, "--seeds", "7:2"]).status.code(),
        Some(0)
    );
    let shifted = implreg(&["check", path, "--seeds", "7", "--format", "json"]);
    let reports: serde_json::Value = serde_json::from_str(&stdout(&shifted)).unwrap();
    assert_eq!(reports[0]["seeds"], serde_json::json!([7, 8]));
    for seeds in ["18446744073709551615:2", "0:18446744073709551615", "0:0"] {
        let output = implreg(&["check", path, "--seeds", seeds]);
        assert_eq!(output.status.code(), Some(2), "--seeds {seeds}");
    }
    let copy = dir.join("copy.yaml");
    std::fs::write(&copy, &text).unwrap();
    let twice = implreg(&["check", "tests/fixtures/holds.yaml", copy.to_str().unwrap()]);
    assert_eq!(twice.status.code(), Some(2));
    let message = support::stderr(&twice);
    assert!(
        message.contains("copy.yaml:1:5: id") && message.contains("tiny-holds"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Ids, titles and field names reach the terminal escaped: a newline cannot forge a report line,
/// an escape sequence cannot clear the screen.
#[test]
fn user_text_is_escaped_in_reports_and_errors() {
    let (dir, text) = claim_scratch("escape");
    let forged = dir.join("forged.yaml");
    std::fs::write(
        &forged,
        text.replace("id: tiny-holds", "id: \"x\\nok   other: holds\\u001b[2J\""),
    )
    .unwrap();
    let output = implreg(&["check", forged.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let shown = stdout(&output);
    assert!(shown.contains("x\\nok   other: holds\\u{1b}[2J"), "{shown}");
    // In the report's Markdown an id or a title carries no live HTML (HTML escapes it too).
    let scripted = dir.join("scripted.yaml");
    std::fs::write(
        &scripted,
        text.replace("id: tiny-holds", "id: \"<script>alert(1)</script>\"")
            .replace("title: ", "title: <img src=x onerror=alert(2)> | "),
    )
    .unwrap();
    let report = dir.join("report");
    let output = implreg(&[
        "check",
        scripted.to_str().unwrap(),
        "--no-store",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::stderr(&output)
    );
    // A report folder that cannot be made is named escaped.
    let output = implreg(&[
        "check",
        scripted.to_str().unwrap(),
        "--no-store",
        "--report",
        "/dev/null/\u{1b}[2Jreport",
    ]);
    let message = support::stderr(&output);
    assert!(
        message.contains("\\u{1b}[2Jreport") && !message.contains('\u{1b}'),
        "{message}"
    );
    for page in ["report.md", "index.html"] {
        let page = std::fs::read_to_string(report.join(page)).unwrap();
        assert!(
            !page.contains("<script>") && !page.contains("<img"),
            "{page}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
    }
    assert!(
        !shown.contains('\u{1b}') && shown.lines().filter(|l| l.starts_with("ok")).count() == 1
    );
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        text.replace("\nseeds:", "\n\"s\\u001b[2Jeeds\": 1\nseeds:"),
    )
    .unwrap();
    let output = implreg(&["check", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = support::stderr(&output);
    assert!(
        message.contains("s\\u{1b}[2Jeeds") && !message.contains('\u{1b}'),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run past its wall-time budget is exhausted (stop `time`), which its claim reads as it reads
/// a spent step budget; Ctrl-C stops a check promptly with no verdict for the claim under way,
/// the claims decided before it still reported (text and JSON alike) and their runs stored.
#[test]
fn interrupted_runs_decide_nothing_and_keep_what_was_decided() {
    let (dir, text) = claim_scratch("interrupt");
    std::fs::write(dir.join("a-quick.yaml"), &text).unwrap();
    // Far within the work limit, far beyond a second: 2×2 depth-1 steps, 10⁸ of them, no target,
    // and a step so small that the loss never underflows (which would end the run early).
    let long = text
        .replace("id: tiny-holds", "id: tiny-long")
        .replace("lr: 0.5", "lr: 1.0e-9")
        .replace("target_loss: 1.0e-8, steps: 1000", "steps: 100000000");
    std::fs::write(dir.join("b-long.yaml"), &long).unwrap();
    let folder = dir.to_str().unwrap();
    let budget = implreg(&[
        "check",
        folder,
        "--max-run-seconds",
        "0.3",
        "--format",
        "json",
    ]);
    assert_eq!(budget.status.code(), Some(1), "{}", stdout(&budget));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&budget)).unwrap();
    assert_eq!(reports[0]["matches"], true);
    assert_eq!(
        (&reports[1]["interrupted"], &reports[1]["verdict"]),
        (&serde_json::Value::Null, &serde_json::json!("refuted"))
    );
    assert_eq!(reports[1]["runs"][0]["stop"], "time");
    assert_eq!(reports[1]["runs"][0]["status"], "exhausted");
    let store = dir.join("store");

    for format in ["text", "json"] {
        let _ = std::fs::remove_dir_all(&store);
        let child = Command::new(env!("CARGO_BIN_EXE_implreg"))
            .args(["check", folder, "--format", format])
            .env("IMPLREG_STORE", &store)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Ctrl-C once the quick claim's 2 runs are stored and the long one is under way.
        let waited = std::time::Instant::now();
        while support::records(&store).len() < 2 && waited.elapsed().as_secs() < 120 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        let signal = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(signal.success());
        let started = std::time::Instant::now();
        let output = child.wait_with_output().unwrap();
        assert!(started.elapsed().as_secs() < 10, "Ctrl-C took effect late");
        assert_eq!(output.status.code(), Some(130), "{format}");
        let shown = stdout(&output);
        match format {
            "text" => assert!(
                shown.contains("ok   tiny-holds") && shown.contains("INT  tiny-long"),
                "{shown}"
            ),
            _ => {
                let reports: serde_json::Value = serde_json::from_str(&shown).unwrap();
                assert_eq!(reports[0]["id"], "tiny-holds");
                assert_eq!(reports[1]["interrupted"], true);
            }
        }
        // What finished before Ctrl-C is stored: the quick claim is not solved again.
        let quick = dir.join("a-quick.yaml");
        let again = implreg(&[
            "check",
            quick.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ]);
        let stderr = support::stderr(&again);
        assert!(stderr.contains("2 runs reused, 0 solved"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The small claim as a rate over random initialisations, decided sequentially.
fn rate_claim(name: &str) -> std::path::PathBuf {
    let (dir, text) = claim_scratch(name);
    let text = text
        .replace(
            "seeds: { from: 0, count: 2 }",
            "seeds: { from: 0, budget: 100 }",
        )
        .replace("over_seeds: all", "over_seeds: always");
    let file = dir.join("rate.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

/// `always` holds after 29 straight successes (ln 20 / ln(1/0.9)), with the test's numbers in the
/// report, and the decision and every number are the same at one worker thread and at three.
#[test]
fn a_rate_claim_is_decided_sequentially_and_alike_at_any_thread_count() {
    let file = rate_claim("rate");
    let file = file.to_str().unwrap();
    let run = |threads: &str| {
        let output = implreg(&["check", "--format", "json", "--threads", threads, file]);
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        timeless(serde_json::from_str(&stdout(&output)).expect("valid JSON"))
    };
    let one = run("1");
    assert_eq!(one, run("3"));
    let report = &one[0];
    assert_eq!(report["seeds"].as_array().unwrap().len(), 29);
    assert_eq!(report["ending"], "decided");
    let assertion = &report["assertions"][0];
    assert_eq!(
        (&assertion["decision"], &assertion["stopped"]),
        (&serde_json::json!("holds"), &serde_json::json!("evidence"))
    );
    assert_eq!(
        (assertion["passed"].as_u64(), assertion["seeds"].as_u64()),
        (Some(29), Some(29))
    );
    let low = assertion["interval"][0].as_f64().unwrap();
    assert!((low - 0.025f64.powf(1.0 / 29.0)).abs() < 1e-9, "{low}");
    assert_eq!(assertion["test"]["rate"], 0.95);
}

/// A budget spent before the evidence decides gives `inconclusive` and exit code 3; `--seeds`
/// moves the sequence's start and sets its budget.
#[test]
fn an_undecided_budget_is_inconclusive_and_exits_3() {
    let file = rate_claim("inconclusive");
    let output = implreg(&["check", "--seeds", "500:5", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("INC  tiny-holds: inconclusive (expected holds) on 5 seeds drawn from 500"),
        "{text}"
    );
    assert!(
        text.contains("left open: the seed budget ran out"),
        "{text}"
    );
    assert!(
        text.ends_with("1 claims: 0 as expected, 0 not, 1 inconclusive\n"),
        "{text}"
    );
}

/// `measure` counts every assertion over exactly the seeds asked for and decides nothing.
#[test]
fn measure_counts_each_assertion_over_a_block() {
    let file = rate_claim("measure");
    let output = implreg(&["measure", "--seeds", "3:4", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.starts_with("tiny-holds: 4 seeds from 3\n"), "{text}");
    assert!(
        text.contains("4/4 (95% interval 0.40–1.00)  flat.converged"),
        "{text}"
    );
    assert_eq!(
        implreg(&["measure", "--seeds", "3", "tests/fixtures"])
            .status
            .code(),
        Some(2)
    );
}

/// `--final` adds each run's endpoint: the end-to-end matrix is the product of its factors
/// (W = W_N ⋯ W_1), and without the flag the report leaves them out.
#[test]
fn final_gives_each_runs_endpoint() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--format",
            "json",
            "specs/commuting-measurements.yaml",
        ];
        args.extend_from_slice(extra);
        let output = implreg(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        serde_json::from_str::<serde_json::Value>(&stdout(&output)).expect("valid JSON")
    };
    let matrix = |value: &serde_json::Value| {
        let rows: Vec<Vec<f64>> = serde_json::from_value(value.clone()).unwrap();
        nalgebra::DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
    };
    let reports = run(&["--final"]);
    let depth3 = reports[0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run"] == "depth3")
        .unwrap();
    let factors: Vec<_> = depth3["endpoint"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(matrix)
        .collect();
    assert_eq!(factors.len(), 3);
    let product = &factors[2] * &factors[1] * &factors[0];
    let end = matrix(&depth3["endpoint"]["matrix"]);
    assert!((product - &end).norm() <= 1e-12 * end.norm(), "W ≠ W₃W₂W₁");
    assert!(reports[0]["runs"][0].get("endpoint").is_some());
    assert!(run(&[])[0]["runs"][0].get("endpoint").is_none());
}

/// A claim with an external run is refused before anything runs unless its program is allowed
/// (`--allow-command` by name, or `--allow-external`), by `check` and `measure` alike.
#[test]
fn external_runs_need_permission_on_the_command_line() {
    let (dir, _) = support::claim_scratch("external-permission");
    let claim = dir.join("echo.yaml");
    std::fs::write(
        &claim,
        "id: echo\ntitle: a program that writes its result\nsource: { paper: test, where: here }\nseeds: { from: 0, count: 1 }\nproblem:\n  completion: { rows: 1, cols: 1, rank: 1, observed: 1 }\nruns:\n  program:\n    external:\n      command: [sh, -c, \"echo '{\\\"matrix\\\": [[0]], \\\"steps\\\": 0}' > ${IMPLREG_RESULT}\"]\n      seconds: 10\n      settings: { deep: { depth: 1, init: { gaussian: { scale: 1.0 } }, optimizer: { gd: { lr: 0.1 } }, steps: 1 } }\nexpect:\n  - that: program.steps == 0\n    over_seeds: all\n    why: test\nverdict: holds\n",
    )
    .unwrap();
    let path = claim.to_str().unwrap();
    for command in ["check", "measure"] {
        let refused = implreg(&[command, path]);
        assert_eq!(refused.status.code(), Some(2), "{command}");
        assert!(
            support::stderr(&refused).contains("echo.yaml:10:16: runs.program.external.command"),
            "{}",
            support::stderr(&refused)
        );
        assert!(stdout(&refused).is_empty(), "nothing runs");
    }
    assert_eq!(
        implreg(&["check", path, "--allow-command", "python3"])
            .status
            .code(),
        Some(2)
    );
    for allow in [&["--allow-command", "sh"][..], &["--allow-external"][..]] {
        let output = implreg(&[&["check", path][..], allow].concat());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            support::stderr(&output)
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `export --run` of an external run writes the instance its program receives: the same bytes as
/// for the deep run of the same settings.
#[test]
fn an_external_run_exports_what_its_program_receives() {
    // The fixture's files are the reference trainer's, beside it.
    let dir = support::scratch("export-external");
    std::fs::copy("reference/numpy_deep.py", dir.join("numpy_deep.py")).unwrap();
    let claim = dir.join("same.yaml");
    std::fs::copy("tests/fixtures/external/same.yaml", &claim).unwrap();
    let claim = claim.to_str().unwrap();
    let of = |run: &str| implreg(&["export", claim, "--run", run, "--seed", "2"]);
    let (external, deep) = (of("gd"), of("native_gd"));
    assert_eq!(
        external.status.code(),
        Some(0),
        "{}",
        support::stderr(&external)
    );
    assert_eq!(external.stdout, deep.stdout);
    std::fs::remove_dir_all(dir).unwrap();
}
