//! `implreg store verify`: what the store's checks cannot catch — a record forged consistent in
//! every part (its checksum and key recomputed) — a fresh run of its settings does. A check
//! trusts the forgery; `verify` names it and exits 1; a store nobody touched passes.

use implreg::store::{Build, RunKey, file, key};
use std::path::Path;

mod support;
use support::{implreg, records, scratch};

const CLAIMS: [&str; 2] = ["tests/fixtures/holds.yaml", "tests/fixtures/sweep.yaml"];

fn verify(store: &Path, fraction: Option<&str>) -> std::process::Output {
    let mut args = vec!["store", "verify"];
    args.extend(CLAIMS);
    args.extend(["--store", store.to_str().unwrap()]);
    if let Some(fraction) = fraction {
        args.extend(["--fraction", fraction]);
    }
    implreg(&args)
}

/// The record at `path` with its end-to-end matrix's first entry moved by one ulp, written
/// back consistent in every part: the body names its key, the checksum is recomputed.
fn forge(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let header = bytes.split(|&b| b == b'\n').nth(1).unwrap();
    let header: serde_json::Value = serde_json::from_slice(header).unwrap();
    let settings = header["settings"].as_str().unwrap().to_string();
    let key = RunKey {
        digest: key::digest(settings.as_bytes()),
        settings,
    };
    let mut read = file::decode(&bytes, &key, &Build::here()).expect("an intact record");
    let entry = &mut read.record.matrix[(0, 0)];
    *entry = f64::from_bits(entry.to_bits() + 1);
    std::fs::write(
        path,
        file::encode(&key, &read.record, &read.provenance, read.seconds),
    )
    .unwrap();
}

#[test]
fn verify_passes_an_untouched_store_and_names_a_forged_record() {
    let dir = scratch("store-verify");
    let store = dir.join("store");
    let mut args = vec!["check", "--store", store.to_str().unwrap()];
    args.extend(CLAIMS);
    assert_eq!(implreg(&args).status.code(), Some(0));

    let output = verify(&store, None);
    let err = support::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let runs = records(&store).len();
    assert!(
        err.contains(&format!("{runs} solved again: {runs} identical, 0 differ")),
        "{err}"
    );

    let forged = &records(&store)[0];
    forge(forged);
    // The store's own checks cannot tell: a check reads the forgery as intact.
    let output = implreg(&args);
    assert!(!support::stderr(&output).contains("damaged"));

    let output = verify(&store, None);
    let err = support::stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let name = forged.file_name().unwrap().to_str().unwrap();
    assert!(
        err.contains(name) && err.contains("differs from a fresh run of its settings"),
        "{err}"
    );
    assert!(err.contains("1 differ"), "{err}");

    // A fraction solves the same records again every time, fewer than all.
    let sampled = |output: std::process::Output| {
        let err = support::stderr(&output);
        let at = err.find(" solved again").expect("a verify line");
        err[..at]
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    let some = sampled(verify(&store, Some("0.5")));
    assert!(0 < some && some < runs, "{some} of {runs}");
    assert_eq!(sampled(verify(&store, Some("0.5"))), some);
}
