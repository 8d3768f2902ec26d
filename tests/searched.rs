//! Searched claims from the command line: a search finds, shrinks, confirms and keeps its
//! counterexample beside the spec; the next check replays it first, and says when it no longer
//! refutes; the report writes it as a claim of its own; a kept file with a mistake is a located
//! error. The claim is `tests/fixtures/search/search.yaml`, cheap and false at large α.

use std::path::{Path, PathBuf};

mod support;
use support::{implreg, scratch, stderr, stdout};

/// A folder for test `name` holding the fixture as `search.yaml`, and that file's path.
fn searched(name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let spec = dir.join("search.yaml");
    std::fs::copy("tests/fixtures/search/search.yaml", &spec).expect("the fixture");
    (dir, spec)
}

fn check_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let output = implreg(&all);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|_| panic!("JSON on stdout; stderr: {}", stderr(&output)));
    (output.status.code(), report[0].clone())
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

#[test]
fn a_counterexample_is_found_shrunk_confirmed_kept_and_replayed_first() {
    let (dir, spec) = searched("search-keeps");
    let first = implreg(&["check", path(&spec)]);
    assert_eq!(first.status.code(), Some(0), "{}", stdout(&first));
    let text = stdout(&first);
    assert!(
        text.contains("search: refuted (expected refuted)"),
        "{text}"
    );
    assert!(
        text.contains("counterexample: features = 40, alpha = 0.0841"),
        "{text}"
    );
    assert!(
        text.contains("confirmed refuted on the disjoint 3 fixed seeds (3–5)"),
        "{text}"
    );
    // Points refuted on their seeds but not on the disjoint ones are said to be, not counted
    // as held.
    assert!(
        text.contains("3 more refuted on their seeds but not on the disjoint ones"),
        "{text}"
    );
    assert!(stderr(&first).contains("kept the counterexample"));
    let kept = dir.join("search.counterexamples");
    let written = std::fs::read_to_string(&kept).expect("the kept file");
    assert!(
        written
            .lines()
            .any(|l| l == "- { features: 40, alpha: 0.0841 }"),
        "{written}"
    );

    // The next check replays it before any new point, and refutes on it alone.
    let (code, report) = check_json(&[path(&spec)]);
    assert_eq!(code, Some(0));
    assert_eq!(report["kept"][0]["replay"], "refutes");
    assert_eq!(report["trials"][0]["stage"], "kept");
    assert_eq!(report["trials"][1]["stage"], "confirm");
    assert_eq!(report["trials"].as_array().map(Vec::len), Some(2));
    assert_eq!(report["coverage"]["points"], 0);
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), written);

    // Fixed (here: a claim loose enough to hold everywhere), the replay says so and the search
    // goes on; the kept file stays for the user to edit.
    let text = std::fs::read_to_string(&spec).unwrap();
    let loose = text
        .replace("rel_distance(q3, l1) <= 0.05", "rel_distance(q3, l1) <= 10")
        .replace("verdict: refuted", "verdict: holds");
    std::fs::write(&spec, loose).unwrap();
    let fixed = implreg(&["check", path(&spec)]);
    let text = stdout(&fixed);
    assert_eq!(fixed.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "kept counterexample features = 40, alpha = 0.0841: no longer refutes (fixed, or the claim now holds there)"
        ),
        "{text}"
    );
    assert!(text.contains("20 of 20 points drawn held"), "{text}");
    assert!(text.contains("not a proof over the domain"), "{text}");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), written);

    // Narrowed so that the kept point lies outside, it is not run.
    let narrowed = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("features: { int: [20, 40] }", "features: { int: [20, 30] }");
    std::fs::write(&spec, narrowed).unwrap();
    let (_, report) = check_json(&[path(&spec)]);
    assert_eq!(report["kept"][0]["replay"], "outside_domain");
    assert_eq!(report["trials"][0]["stage"], "search");
}

#[test]
fn no_keep_writes_nothing_and_the_search_is_alike_at_any_thread_count() {
    let (dir, spec) = searched("search-no-keep");
    let json = |threads: &str| {
        let args = [
            "check",
            "--no-keep",
            "--format",
            "json",
            "--threads",
            threads,
            path(&spec),
        ];
        stdout(&implreg(&args))
    };
    let (one, two) = (json("1"), json("2"));
    assert!(one == two, "the JSON differs between 1 and 2 threads");
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    let one = &one[0];
    assert_eq!(one["verdict"], "refuted");
    assert!(!dir.join("search.counterexamples").exists());
    // The figure of the domain has two axes: the first two parameters when none are named.
    assert_eq!(
        one["search"]["axes"],
        serde_json::json!(["features", "alpha"])
    );
}

#[test]
fn the_report_writes_the_counterexample_as_a_claim_that_refutes_alone() {
    let (dir, spec) = searched("search-report");
    let report = dir.join("report");
    let output = implreg(&["check", "--no-keep", "--report", path(&report), path(&spec)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("points tried"), "the domain figure is inline");
    let counterexample = report.join("counterexamples").join("search.yaml");
    let claim = std::fs::read_to_string(&counterexample).expect("the counterexample's claim");
    assert!(
        claim.contains("features: 40") && !claim.contains("search:"),
        "{claim}"
    );
    let alone = implreg(&["check", path(&counterexample)]);
    let text = stdout(&alone);
    assert_eq!(alone.status.code(), Some(0), "{text}");
    assert!(text.contains("refuted (expected refuted)"), "{text}");
}

#[test]
fn a_kept_file_with_a_mistake_is_a_located_error() {
    let (dir, spec) = searched("search-bad-kept");
    let kept = dir.join("search.counterexamples");
    let many = "- { features: 30, alpha: 0.01 }\n".repeat(1001);
    for (text, at, says) in [
        ("- { features: 30 }\n", ":1:3:", "`alpha` is missing"),
        (
            "- { features: 30, alpha: 0.01, depth: 2 }\n",
            ":1:39:",
            "`depth` is not one",
        ),
        (
            "# a comment\n- { features: thirty, alpha: 0.01 }\n",
            ":2:15:",
            "a value of `features` (int 20..40)",
        ),
        ("features: 30\n", ":1:1:", "a list"),
        (
            many.as_str(),
            ":1001:3:",
            "at most 1000 kept counterexamples",
        ),
    ] {
        std::fs::write(&kept, text).unwrap();
        let output = implreg(&["check", path(&spec)]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains(&format!("search.counterexamples{at}")) && message.contains(says),
            "{text}: {message}"
        );
    }
    // Only a regular file is read, and none is written through a link.
    std::fs::remove_file(&kept).unwrap();
    let elsewhere = dir.join("elsewhere");
    std::fs::write(&elsewhere, "- { features: 30, alpha: 0.01 }\n").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&elsewhere, &kept).unwrap();
        let output = implreg(&["check", path(&spec)]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains("search.counterexamples"));
        assert_eq!(
            std::fs::read_to_string(&elsewhere).unwrap(),
            "- { features: 30, alpha: 0.01 }\n"
        );
    }
}

/// Shards solve a search in rounds: the drawn points at once, then each decision the search
/// makes after a refuted point (it is adaptive). Merged, the report is the single process's.
#[test]
fn shards_and_merge_finish_a_search_in_rounds_as_one_process_does() {
    let (dir, spec) = searched("search-shards");
    let store = dir.join("store");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_implreg"))
            .args(args)
            .output()
            .expect("the binary runs")
    };
    let plan = || {
        let args = [
            "plan",
            path(&spec),
            "--shards",
            "2",
            "--store",
            path(&store),
        ];
        stdout(&run(&args))
    };
    let first = plan();
    assert!(first.contains("search point 19: seeds"), "{first}");
    let mut rounds = 0;
    let merged = loop {
        rounds += 1;
        assert!(rounds <= 100, "no end to the rounds");
        for k in ["1/2", "2/2"] {
            let shard = run(&["check", path(&spec), "--shard", k, "--store", path(&store)]);
            assert_eq!(shard.status.code(), Some(0), "{}", stderr(&shard));
        }
        if rounds == 2 {
            let second = plan();
            assert!(
                second.contains("search shrink candidate features = "),
                "{second}"
            );
        }
        let merge = run(&["merge", path(&store), "--format", "json"]);
        match merge.status.code() {
            Some(4) => continue,
            code => {
                assert_eq!(code, Some(0), "{}", stderr(&merge));
                break serde_json::from_str::<serde_json::Value>(&stdout(&merge)).unwrap();
            }
        }
    };
    assert!(rounds > 2, "the shrink took {rounds} rounds");
    let (_, alone) = check_json(&["--no-keep", "--no-store", path(&spec)]);
    assert_eq!(
        support::timeless(merged[0].clone()),
        support::timeless(alone)
    );
    assert!(
        !dir.join("search.counterexamples").exists(),
        "shards and merge keep nothing"
    );
}

/// The demonstration's kept counterexample, replayed from a copy of the spec: the report's
/// claim at that point is checked alone, and `export` hands out its instance and start.
#[test]
fn a_kept_counterexample_of_a_spec_is_written_checkable_and_exportable() {
    let dir = scratch("search-spec-report");
    for ext in ["yaml", "counterexamples"] {
        let name = format!("normalized-norm-search.{ext}");
        std::fs::copy(format!("specs/{name}"), dir.join(&name)).expect("the spec");
    }
    let spec = dir.join("normalized-norm-search.yaml");
    let report = dir.join("report");
    let output = implreg(&["check", "--report", path(&report), path(&spec)]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("kept counterexample n = 10, rank = 2, observed = 40: still refutes"),
        "{text}"
    );
    let claim = report.join("counterexamples/normalized-norm-search.yaml");
    let alone = implreg(&["check", path(&claim)]);
    assert_eq!(alone.status.code(), Some(0), "{}", stdout(&alone));
    let export = implreg(&["export", path(&claim), "--run", "depth3", "--seed", "3"]);
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    let instance: serde_json::Value = serde_json::from_str(&stdout(&export)).unwrap();
    assert_eq!(
        (instance["rows"].as_u64(), instance["seed"].as_u64()),
        (Some(10), Some(3))
    );
    assert_eq!(instance["factors"].as_array().map(Vec::len), Some(3));
}
