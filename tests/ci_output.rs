//! What CI reads: `check --format junit` (a suite per claim, a case per verdict and assertion,
//! failing exactly where the outcome is not the expected one) and `implreg diff` (no change
//! against itself; exit 1 naming a flipped verdict).

mod support;
use support::{implreg, stdout};

#[test]
fn junit_has_a_case_per_verdict_and_assertion() {
    let output = implreg(&[
        "check",
        "tests/fixtures/holds.yaml",
        "tests/fixtures/mismatch.yaml",
        "tests/fixtures/sweep.yaml",
        "--format",
        "junit",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let xml = stdout(&output);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 3);
    // holds: verdict + 1; mismatch: verdict + 1 (both failing); sweep: verdict + 3 + 2 across.
    assert_eq!(xml.matches("<testcase ").count(), 2 + 2 + 6);
    assert_eq!(xml.matches("<failure ").count(), 2);
    assert!(xml.contains("<failure message=\"refuted (expected holds)\" type=\"verdict\"/>"));
    assert!(xml.contains("name=\"at observed = 30: deep3.test_mse &lt;= 1.0e-2\""));
    assert!(xml.contains("<property name=\"seeds\" value=\"0-3\"/>"));
}

#[test]
fn diff_finds_nothing_in_a_report_and_names_a_flip() {
    let dir = std::env::temp_dir().join(format!("implreg-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = implreg(&["check", "tests/fixtures", "--format", "json"]);
    let old = dir.join("old.json");
    std::fs::write(&old, &output.stdout).unwrap();
    let same = implreg(&["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0));
    assert!(stdout(&same).starts_with("0 verdicts flipped, 0 numbers moved"));
    let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report[0]["verdict"] = "refuted".into();
    let flipped = dir.join("new.json");
    std::fs::write(&flipped, report.to_string()).unwrap();
    let diff = implreg(&["diff", old.to_str().unwrap(), flipped.to_str().unwrap()]);
    assert_eq!(diff.status.code(), Some(1));
    assert!(
        stdout(&diff).starts_with("FLIP tiny-holds: holds -> refuted\n"),
        "{}",
        stdout(&diff)
    );
    let bad = implreg(&["diff", old.to_str().unwrap(), "tests/fixtures/holds.yaml"]);
    assert_eq!(bad.status.code(), Some(2));
    // A report holding a claim twice, its second copy flipped: refused, never "0 flipped".
    let mut twice: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut copy = twice[0].clone();
    copy["verdict"] = "refuted".into();
    twice.as_array_mut().unwrap().push(copy);
    let doubled = dir.join("twice.json");
    std::fs::write(&doubled, twice.to_string()).unwrap();
    let diff = implreg(&["diff", old.to_str().unwrap(), doubled.to_str().unwrap()]);
    assert_eq!(diff.status.code(), Some(2), "{}", stdout(&diff));
    assert!(support::stderr(&diff).contains("each claim id once"));
    // A device is read only to the cap, never whole.
    let zero = implreg(&["diff", old.to_str().unwrap(), "/dev/zero"]);
    assert_eq!(zero.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
