//! Hostile input on the newer surfaces, generated: records and shard manifests damaged at
//! random inside a store, and the command line's options given hostile values. A damaged record
//! is refused or read back exactly as it was written, never trusted otherwise; a damaged
//! manifest gives the manifests or an error naming it; an option gives a check or exit 2 with
//! an error naming the option. Never a panic, an abort or a hang. `PROPTEST_CASES` sets the
//! number of cases (CI: the defaults below).

use implreg::problem::ProblemSpec;
use implreg::provenance::Provenance;
use implreg::shard::Manifest;
use implreg::solver::{self, RunSpec};
use implreg::store::{Build, RunKey, Store, file};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

mod support;

/// A record of a small run, its key, and its bytes as the store writes them.
fn record() -> &'static (RunKey, Vec<u8>) {
    static RECORD: OnceLock<(RunKey, Vec<u8>)> = OnceLock::new();
    RECORD.get_or_init(|| {
        let spec: ProblemSpec = serde_json::from_str(
            r#"{ "completion": { "rows": 4, "cols": 3, "rank": 1, "observed": 6 } }"#,
        )
        .unwrap();
        let run: RunSpec = serde_json::from_str(
            r#"{ "deep": { "depth": 2, "init": { "gaussian": { "scale": 0.1 } },
                 "optimizer": { "gd": { "lr": 0.1 } }, "loss": "sum", "steps": 20 } }"#,
        )
        .unwrap();
        let key = RunKey::new(&Build::here(), &spec, &run, 1, &"hostile");
        let solved = solver::solve(&run, &spec.generate(1), 1);
        let bytes = file::encode(&key, &solved, &Provenance::here(), 0.5);
        (key, bytes)
    })
}

/// A folder of this process's for case `name`, emptied.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("implreg-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One damage to a file's bytes.
#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Replace(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, bits)| Damage::Flip(at, bits)),
        any::<usize>().prop_map(Damage::Cut),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Damage::Insert(at, bytes)),
        prop::collection::vec(any::<u8>(), 0..256).prop_map(Damage::Replace),
    ]
}

fn apply(bytes: &[u8], damage: &Damage) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match damage {
        Damage::Flip(at, bits) if !out.is_empty() => {
            let at = at % out.len();
            out[at] ^= bits;
        }
        Damage::Flip(..) => {}
        Damage::Cut(at) => out.truncate(at % (bytes.len() + 1)),
        Damage::Insert(at, inserted) => {
            let at = at % (out.len() + 1);
            out.splice(at..at, inserted.iter().copied());
        }
        Damage::Replace(replaced) => out = replaced.clone(),
    }
    out
}

/// A manifest as a shard writes it, as JSON text.
fn manifest_text() -> String {
    serde_json::json!({
        "shard": { "index": 1, "count": 2 },
        "paths": ["tests/fixtures/holds.yaml"],
        "files": [["tests/fixtures/holds.yaml", "0".repeat(64)]],
        "seeds": null,
        "solved_seeds": 3,
        "provenance": Provenance::here(),
    })
    .to_string()
}

/// Hostile values for the command line's options.
const OPTION_VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e19",
    "1e300",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e-400",
    "18446744073709551615",
    "18446744073709551616:1",
    "0:0",
    "5:",
    ":5",
    "a",
    "",
    " ",
    "1GiB",
    "99999999TiB",
    "1e15",
    "0.0000001",
    "2/1",
    "1/0",
    "0/1",
    "100001/100001",
    "\u{1b}[2J",
    "1\n2",
];

/// Every command's options that take a value: the command, the option, and the arguments
/// that follow it (`STORE` stands for the case's store, `REPORT` for a JSON report).
const OPTIONS: &[(&str, &str, &[&str])] = &[
    ("check", "--seeds", CHECK),
    ("check", "--threads", CHECK),
    ("check", "--max-memory", CHECK),
    ("check", "--max-work", CHECK),
    ("check", "--max-run-seconds", CHECK),
    ("check", "--max-claim-seconds", CHECK),
    ("check", "--format", CHECK),
    ("check", "--shard", CHECK),
    ("measure", "--seeds", CHECK),
    ("measure", "--threads", CHECK),
    ("plan", "--shards", CHECK),
    ("merge", "--threads", &["STORE"]),
    ("diff", "--rel", &["REPORT", "REPORT"]),
    ("diff", "--abs", &["REPORT", "REPORT"]),
    ("diff", "--most", &["REPORT", "REPORT"]),
    (
        "store prune",
        "--older-than",
        &["--store", "STORE", "--dry-run"],
    ),
    ("store verify", "--fraction", VERIFY),
    ("store verify", "--threads", VERIFY),
    ("export", "--seed", EXPORT),
    ("export", "--point", EXPORT),
    ("export", "--run", &["tests/fixtures/holds.yaml"]),
];
const CHECK: &[&str] = &["--store", "STORE", "tests/fixtures/holds.yaml"];
const EXPORT: &[&str] = &["--run", "flat", "tests/fixtures/holds.yaml"];
const VERIFY: &[&str] = &["tests/fixtures/holds.yaml", "--store", "STORE"];

/// A JSON report of the fixture `holds.yaml`, for `diff`.
fn report() -> &'static PathBuf {
    static REPORT: OnceLock<PathBuf> = OnceLock::new();
    REPORT.get_or_init(|| {
        let output = support::implreg(&[
            "check",
            "--no-store",
            "--format",
            "json",
            "tests/fixtures/holds.yaml",
        ]);
        let path = support::scratch("hostile-options-report").join("report.json");
        std::fs::write(&path, output.stdout).unwrap();
        path
    })
}

proptest! {
    #![proptest_config(support::config(300))]

    /// A record damaged any way is refused (and solved again), or read back as written.
    #[test]
    fn damaged_records_are_never_trusted(damages in prop::collection::vec(damage(), 1..4)) {
        let (key, bytes) = record();
        let mut damaged = bytes.clone();
        for d in &damages {
            damaged = apply(&damaged, d);
        }
        let root = folder("record");
        let path = Store::path(&root, key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &damaged).unwrap();
        let store = Store::reading(vec![root.clone()]);
        match store.fetch(key) {
            Some(_) => {
                // Trusted only as written: what it decodes to encodes to the original bytes.
                let read = file::decode(&damaged, key, &Build::here()).unwrap();
                let again = file::encode(key, &read.record, &read.provenance, read.seconds);
                prop_assert_eq!(&again, bytes);
            }
            None => prop_assert!(damaged != *bytes),
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    /// A manifest damaged any way gives the manifests or an error that names it.
    #[test]
    fn damaged_manifests_are_refused_by_name(damages in prop::collection::vec(damage(), 1..4)) {
        let mut text = manifest_text().into_bytes();
        for d in &damages {
            text = apply(&text, d);
        }
        let root = folder("manifest");
        std::fs::create_dir_all(root.join("shards")).unwrap();
        std::fs::write(root.join("shards/1-of-2.json"), &text).unwrap();
        match Manifest::read_all(std::slice::from_ref(&root)) {
            Ok(found) => {
                for (_, manifest) in &found {
                    prop_assert!((1..=manifest.shard.count).contains(&manifest.shard.index));
                    prop_assert!(manifest.shard.count <= implreg::shard::MAX_SHARDS);
                }
                let _ = implreg::shard::agreed(&found);
            }
            Err(e) => prop_assert!(e.contains("1-of-2.json"), "{}", e),
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}

proptest! {
    #![proptest_config(support::config(60))]

    /// An option of any command with a hostile value runs the command or exits 2 naming the
    /// option.
    #[test]
    fn hostile_options_are_refused_by_name(
        option in 0..OPTIONS.len(),
        value in 0..OPTION_VALUES.len(),
    ) {
        let ((command, option, rest), value) = (OPTIONS[option], OPTION_VALUES[value]);
        let store = folder("options");
        let argument = format!("{option}={value}");
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push(&argument);
        let report = report().to_str().unwrap();
        args.extend(rest.iter().map(|a| match *a {
            "STORE" => store.to_str().unwrap(),
            "REPORT" => report,
            other => other,
        }));
        // Run from an empty folder, fixtures named from the crate's root: whatever the option,
        // nothing is written beside the command nor anywhere in the store but its folders.
        let cwd = folder("options-cwd");
        let fixture = |a: &str| {
            if a.starts_with("tests/") {
                format!("{}/{a}", env!("CARGO_MANIFEST_DIR"))
            } else {
                a.to_string()
            }
        };
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_implreg"))
            .args(args.iter().map(|a| fixture(a)))
            .current_dir(&cwd)
            .output()
            .unwrap();
        let names = |dir: &std::path::Path| -> Vec<String> {
            std::fs::read_dir(dir).map_or_else(
                |_| Vec::new(),
                |entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
            )
        };
        prop_assert!(names(&cwd).is_empty(), "{:?} wrote {:?} beside it", args, names(&cwd));
        let stray: Vec<String> = names(&store)
            .into_iter()
            .filter(|n| !["runs", "tmp", "shards"].contains(&n.as_str()))
            .collect();
        prop_assert!(stray.is_empty(), "{:?} wrote {:?} into the store", args, stray);
        let stderr = support::stderr(&output);
        prop_assert!(!stderr.contains("panicked"), "{:?}: {}", args, stderr);
        let code = output.status.code();
        // 4: a merge that needs another round.
        prop_assert!(matches!(code, Some(0..=4)), "{:?}: {:?} {}", args, code, stderr);
        if code == Some(2) {
            prop_assert!(stderr.contains(option) || stderr.contains("error"), "{} {:?}: {}", option, value, stderr);
        }
        let _ = std::fs::remove_dir_all(&store);
    }
}
