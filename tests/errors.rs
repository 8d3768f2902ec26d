//! Bad claims are answered by a located, readable error, never a panic: each file of
//! `tests/bad-specs/` holds one mistake, and the messages are snapshotted for review.

use implreg::claim::{Claim, SpecError, claim_files};
use std::path::{Path, PathBuf};

fn bad_specs() -> Vec<PathBuf> {
    claim_files(&[PathBuf::from("tests/bad-specs")]).unwrap()
}

#[test]
fn every_bad_spec_gets_a_located_error() {
    let files = bad_specs();
    assert!(
        files.len() >= 12,
        "the corpus has only {} bad specs",
        files.len()
    );
    let mut messages = String::new();
    for file in &files {
        match Claim::load(file) {
            Ok(_) => panic!("{} was accepted", file.display()),
            Err(SpecError::Invalid {
                file: named,
                line,
                column,
                field,
                expected,
            }) => {
                assert_eq!(&named, file);
                let lines = std::fs::read_to_string(file).unwrap().lines().count();
                assert!(
                    (1..=lines.max(1)).contains(&line),
                    "{}: line {line}",
                    file.display()
                );
                assert!(column >= 1, "{}: column {column}", file.display());
                assert!(!field.is_empty() && !expected.is_empty());
            }
            Err(other) => panic!("{}: not located: {other}", file.display()),
        }
        let error = Claim::load(file).unwrap_err().to_string();
        messages.push_str(&error.replace('\\', "/"));
        messages.push('\n');
    }
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("bad-spec-errors", messages);
    });
}

#[test]
fn errors_point_into_the_expression() {
    let error = Claim::load(Path::new("tests/bad-specs/unknown-metric.yaml")).unwrap_err();
    let SpecError::Invalid {
        line,
        column,
        field,
        expected,
        ..
    } = error
    else {
        panic!("{error}")
    };
    // `  - that: deep3.test_mes < 1`: the metric starts at column 17 of line 15.
    assert_eq!((line, column, field.as_str()), (15, 17, "expect[0].that"));
    assert!(
        expected.contains("found `test_mes`") && expected.contains("column 7 of the assertion")
    );
}

/// The commonest mistake, a misspelt name, gets the nearest known name, and implreg's own
/// message (the whole vocabulary) is never cut.
#[test]
fn a_misspelt_name_gets_the_nearest_and_the_message_is_whole() {
    let text = std::fs::read_to_string("tests/bad-specs/unknown-metric.yaml").unwrap();
    let dir = std::env::temp_dir().join(format!("implreg-misspelt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (from, to, says) in [
        (
            "deep3.test_mes < 1",
            "deep3.efective_rank < 2",
            "did you mean `effective_rank`?",
        ),
        (
            "deep3.test_mes < 1",
            "deep4.test_mse < 1",
            "did you mean `deep3`?",
        ),
        (
            "deep3.test_mes < 1",
            "sqr(deep3.rank) < 1",
            "did you mean `sqrt`?",
        ),
        ("    depth: 3", "    depht: 3", "did you mean `depth`?"),
    ] {
        let file = dir.join("misspelt.yaml");
        std::fs::write(&file, text.replace(from, to)).unwrap();
        let message = Claim::load(&file).unwrap_err().to_string();
        assert!(message.contains(says), "{message}");
        assert!(!message.contains("characters)"), "cut: {message}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_truncation_of_a_valid_claim_panics() {
    let text = std::fs::read_to_string("specs/low-rank-bias.yaml").unwrap();
    for end in (0..text.len()).filter(|&end| text.is_char_boundary(end)) {
        let _ = Claim::parse(&text[..end], Path::new("truncated.yaml"));
    }
}

#[test]
fn unreadable_files_are_named() {
    let error = Claim::load(Path::new("tests/bad-specs/does-not-exist.yaml")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("tests/bad-specs/does-not-exist.yaml: cannot read")
    );
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_claim() {
    let text = std::fs::read_to_string("tests/fixtures/holds.yaml").unwrap();
    let plain = Claim::parse(&text, Path::new("plain.yaml")).unwrap();
    let marked = Claim::parse(&format!("\u{feff}{text}"), Path::new("plain.yaml")).unwrap();
    assert_eq!(plain, marked);
}

/// Limits are estimates from the settings, checked before anything runs; raising one admits a
/// claim it refused, and the estimate scales with what it counts.
#[test]
fn limits_refuse_by_estimate_and_can_be_raised() {
    use implreg::claim::read::budget::Limits;
    let text = std::fs::read_to_string("tests/bad-specs/work-beyond-the-limit.yaml").unwrap();
    let file = Path::new("work.yaml");
    assert!(Claim::parse(&text, file).is_err());
    let raised = Limits {
        work: 1e20,
        ..Limits::default()
    };
    assert!(Claim::parse_within(&text, file, raised).is_ok());
    // Just below and above the default work limit: 1e14 operations.
    let steps = |n: u64| text.replace("steps: 1000000000000", &format!("steps: {n}"));
    let fits = |n: u64| Claim::parse(&steps(n), file).is_ok();
    let mut low = 1u64;
    let mut high = 1_000_000_000_000u64;
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if fits(middle) {
            low = middle
        } else {
            high = middle
        }
    }
    assert!(fits(low) && !fits(low + 1));
    // A 6×5 depth-3 step costs a few thousand operations: the boundary is near 1e14 / that.
    assert!((1e9..1e12).contains(&(low as f64)), "{low}");
    let tight = Limits {
        memory: 1024.0,
        ..Limits::default()
    };
    let valid = std::fs::read_to_string("tests/fixtures/holds.yaml").unwrap();
    let error = Claim::parse_within(&valid, file, tight)
        .unwrap_err()
        .to_string();
    assert!(error.contains("--max-memory"), "{error}");
}

/// Each limit at its boundary: the last accepted size and the first refused one.
#[test]
fn limits_hold_at_their_boundaries() {
    use implreg::claim::Seeds;
    use implreg::claim::read::source::MAX_BYTES;
    let seeds = |from, count| Seeds { from, count }.check();
    assert!(seeds(0, Seeds::MAX).is_ok() && seeds(0, Seeds::MAX + 1).is_err());
    assert!(seeds(u64::MAX - 1, 1).is_ok() && seeds(u64::MAX, 1).is_err());
    assert!(seeds(0, 0).is_err());
    let dir = std::env::temp_dir().join(format!("implreg-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("tests/fixtures/holds.yaml").unwrap();
    let padded = |bytes: u64| {
        let padding = bytes as usize - text.len() - 1;
        format!("{text}#{}", "x".repeat(padding))
    };
    let file = dir.join("sized.yaml");
    std::fs::write(&file, padded(MAX_BYTES)).unwrap();
    assert!(Claim::load(&file).is_ok());
    std::fs::write(&file, padded(MAX_BYTES + 1)).unwrap();
    let error = Claim::load(&file).unwrap_err().to_string();
    assert!(
        error.contains("cannot read") && error.contains("bytes"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The workloads the documentation advertises fit the default limits (a 1000×1000 certified
/// nuclear-norm solve, whose cost is held at run time; five normalised-GD runs at Arora et al.'s
/// 100×100 scale with the default step cap), while absurd settings are still refused at once,
/// where they are written.
#[test]
fn advertised_workloads_fit_and_absurd_ones_are_refused() {
    for fixture in ["certified-1000", "arora-scale-five"] {
        let file = format!("tests/fixtures/workloads/{fixture}.yaml");
        assert!(Claim::load(Path::new(&file)).is_ok(), "{file}");
    }
    let text = std::fs::read_to_string("tests/fixtures/workloads/arora-scale-five.yaml").unwrap();
    let file = Path::new("absurd.yaml");
    let steps = text.replacen(
        "target_loss: 5.0e-7 } }",
        "target_loss: 5.0e-7, steps: 1000000000000 } }",
        1,
    );
    let layers = text.replacen("depth: 4,", "depth: 1000000,", 1);
    for (absurd, field) in [(steps, "runs.depth2.deep.steps"), (layers, "runs.depth4")] {
        match Claim::parse(&absurd, file) {
            Err(SpecError::Invalid { line, field: f, .. }) => {
                assert_eq!((line > 1, f.as_str()), (true, field))
            }
            other => panic!("{field}: {other:?}"),
        }
    }
}

/// A mistake inside a claim's ratings file is located in that file, not in the claim.
#[test]
fn a_ratings_files_mistake_is_located_in_it() {
    let claim = Path::new("tests/fixtures/ratings/broken.yaml");
    let Err(SpecError::Invalid {
        file,
        line,
        column,
        field,
        expected,
    }) = Claim::load(claim)
    else {
        panic!("a broken ratings file is refused, located")
    };
    assert_eq!(file, Path::new("tests/fixtures/ratings/broken.data"));
    assert_eq!(
        (line, column, field.as_str()),
        (2, 6, "problem.ratings.file")
    );
    assert!(expected.contains("`four`"), "{expected}");
}
