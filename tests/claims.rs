//! Every claim in `specs/` is a test: it fails unless the verdict computed by running the solvers
//! matches the claim's expected verdict, and its report must match the reviewed snapshot in
//! `snapshots/` (numbers rounded to 4 significant digits). The longer runs in `reproductions/` are
//! only checked to be valid claims, but for the MovieLens block, which is checked like a spec on
//! the real data (fetched first by `scripts/fetch-movielens`, with pip, into
//! `reproductions/data/`: it cannot be committed). As `implreg check specs/` does, the claims share one result
//! store, fresh for each run of the tests: a run two claims (or two points of a sweep) state
//! alike is solved once (reports are byte-identical with and without a store: tests/store.rs).

use implreg::claim::{self, Claim};
use implreg::store::Store;
use std::path::Path;
use std::sync::OnceLock;

/// This process's store, in a folder of its own; earlier processes' folders are removed.
fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("claims-stores");
        let _ = std::fs::remove_dir_all(&parent);
        Store::open(parent.join(std::process::id().to_string()))
    })
}

/// MovieLens-100k in `reproductions/data/`, fetched once for this process.
fn fetch_movielens() {
    static FETCHED: OnceLock<()> = OnceLock::new();
    FETCHED.get_or_init(|| {
        let status = std::process::Command::new("bash")
            .arg("scripts/fetch-movielens")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("bash runs scripts/fetch-movielens");
        assert!(status.success(), "scripts/fetch-movielens failed");
    });
}

/// Loads a claim, fetching the real data first for one that reads it.
fn load(path: &Path) -> datatest_stable::Result<Claim> {
    if path.starts_with("reproductions") {
        fetch_movielens();
    }
    Ok(Claim::load(path)?)
}

fn claim_matches_its_expected_verdict(path: &Path) -> datatest_stable::Result<()> {
    let spec = load(path)?;
    let context = claim::Context {
        store: Some(store()),
        ..claim::Context::default()
    };
    let report = claim::evaluate(&spec, |_| None, &context, &|_, _| {});
    if !report.matches() {
        return Err(format!(
            "the claim's verdict differs from its expectation:\n{}",
            report.to_text()
        )
        .into());
    }
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("claim")
        .to_string();
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => spec.first().title.clone(),
    }, {
        insta::assert_yaml_snapshot!(name, report.snapshot());
    });
    Ok(())
}

/// The longer reproductions are run from the CLI, not here; they must still be valid claims.
fn reproduction_is_a_valid_claim(path: &Path) -> datatest_stable::Result<()> {
    load(path)?;
    Ok(())
}

datatest_stable::harness! {
    { test = claim_matches_its_expected_verdict, root = "specs", pattern = r"\.ya?ml$" },
    { test = reproduction_is_a_valid_claim, root = "reproductions", pattern = r"\.ya?ml$" },
    { test = claim_matches_its_expected_verdict, root = "reproductions", pattern = r"movielens-block\.yaml$" },
}
