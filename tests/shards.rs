//! Shards through the binary, as a cluster would run them: N processes each solve their share
//! into a store of their own, `merge` pools them; while a rate claim needs more seeds, the next
//! round's shards run at once over the pooled store, then merge again. The merged JSON equals
//! the single process's byte for byte, for N = 1, 2, 3 and 7.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{implreg, scratch, stdout};

/// A sweep of rate claims that need several rounds, and a sweep of fixed blocks with a figure
/// drawn along the first seed's runs.
const CLAIMS: [&str; 2] = ["tests/fixtures/rate.yaml", "tests/fixtures/sweep.yaml"];

fn shard(k: usize, n: usize, store: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_implreg"))
        .arg("check")
        .args(CLAIMS)
        .args(["--shard", &format!("{k}/{n}"), "--threads", "1", "--store"])
        .arg(store)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn finished(child: std::process::Child) -> Output {
    let output = child.wait_with_output().expect("the shard ends");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::stderr(&output)
    );
    output
}

fn merge(dirs: &[PathBuf], into: Option<&Path>) -> Output {
    let mut args = vec!["merge".to_string(), "--format".into(), "json".into()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    if let Some(into) = into {
        args.extend(["--into".into(), into.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    implreg(&args)
}

/// The merged report of N shards and the number of rounds it took.
fn sharded(n: usize) -> (String, usize) {
    let dir = scratch(&format!("shards-{n}"));
    let pool = dir.join("pool");
    // Round 1: one store per shard, as on machines that share no disk.
    let stores: Vec<PathBuf> = (1..=n).map(|k| dir.join(format!("shard-{k}"))).collect();
    let children: Vec<_> = (1..=n).map(|k| shard(k, n, &stores[k - 1])).collect();
    children.into_iter().for_each(|c| {
        finished(c);
    });
    let mut output = merge(&stores, Some(&pool));
    let mut rounds = 1;
    // Later rounds: every shard at once over the pooled store, as on a shared disk.
    while output.status.code() == Some(4) {
        rounds += 1;
        assert!(rounds <= 12, "no end of rounds");
        let children: Vec<_> = (1..=n).map(|k| shard(k, n, &pool)).collect();
        children.into_iter().for_each(|c| {
            finished(c);
        });
        output = merge(std::slice::from_ref(&pool), None);
    }
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::stderr(&output)
    );
    (stdout(&output), rounds)
}

#[test]
fn merged_shards_report_what_one_process_reports() {
    let mut args = vec!["check", "--no-store", "--format", "json"];
    args.extend(CLAIMS);
    let single = implreg(&args);
    assert_eq!(single.status.code(), Some(0));
    let single = stdout(&single);
    for n in [1, 2, 3, 7] {
        let (merged, rounds) = sharded(n);
        assert!(rounds >= 2, "tiny-rate should need a second round");
        assert!(merged == single, "{n} shards: the merged report differs");
    }
}

#[test]
fn a_plan_deals_every_seed_once_and_keeps_a_claims_seeds_when_another_is_added() {
    let dir = scratch("shards-plan");
    let store = dir.join("store").display().to_string();
    let plan = |claims: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "plan", "--shards", "3", "--format", "json", "--store", &store,
        ];
        args.extend(claims);
        serde_json::from_slice(&implreg(&args).stdout).expect("a JSON plan")
    };
    let alone = plan(&CLAIMS[..1]);
    let both = plan(&CLAIMS);
    let first = |plan: &serde_json::Value| -> Vec<serde_json::Value> {
        plan["work"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["claim"] == "tiny-rate")
            .cloned()
            .collect()
    };
    assert_eq!(first(&alone), first(&both));
    for work in both["work"].as_array().unwrap() {
        let seeds: Vec<u64> = serde_json::from_value(work["seeds"].clone()).unwrap();
        let shards: Vec<usize> = serde_json::from_value(work["shards"].clone()).unwrap();
        // One shard for each seed, each seed once, every shard in range.
        assert_eq!(seeds.len(), shards.len());
        assert!(seeds.windows(2).all(|pair| pair[0] < pair[1]), "{seeds:?}");
        assert!(shards.iter().all(|&s| s < 3));
    }
    // The first round deals the fixed sweep's whole block and a window of the rate claim.
    let dealt: usize = both["work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["seeds"].as_array().unwrap().len())
        .sum();
    assert!(dealt >= 2 * 4 + 2 * 8, "{dealt} seeds dealt");
}

/// A shard killed mid-run (SIGKILL, as a node failure or a scheduler's kill) leaves what it
/// solved and no manifest: `merge` names it and asks for another round, which makes it good,
/// to the single process's report. A folder without manifests is an error.
#[test]
fn a_killed_shard_is_made_good_by_the_next_round() {
    let dir = scratch("shards-killed");
    // Killed once it has stored a record: mid-run, not before it began. On a machine so loaded
    // that the shard finishes first, again in a fresh store.
    let store = (1..=5)
        .map(|attempt| dir.join(format!("store-{attempt}")))
        .find(|store| {
            let mut killed = shard(2, 2, store);
            let started = std::time::Instant::now();
            while support::records(store).is_empty() && started.elapsed().as_secs() < 60 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            killed.kill().expect("the shard is killed");
            let _ = killed.wait();
            !store.join("shards/2-of-2.json").exists()
        })
        .expect("a shard killed mid-run in one of 5 attempts");
    finished(shard(1, 2, &store));
    let output = merge(std::slice::from_ref(&store), None);
    let err = support::stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(err.contains("shard 2/2 left no manifest"), "{err}");
    let mut rounds = 0;
    let mut output = output;
    while output.status.code() == Some(4) {
        rounds += 1;
        assert!(rounds <= 12, "no end of rounds");
        let children: Vec<_> = (1..=2).map(|k| shard(k, 2, &store)).collect();
        children.into_iter().for_each(|c| {
            finished(c);
        });
        output = merge(std::slice::from_ref(&store), None);
    }
    let mut args = vec!["check", "--no-store", "--format", "json"];
    args.extend(CLAIMS);
    assert!(
        stdout(&output) == stdout(&implreg(&args)),
        "the report differs"
    );

    let output = merge(&[dir.join("nothing")], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(support::stderr(&output).contains("no shard manifests"));
}

/// A manifest is read only from a regular file of bounded size inside the store, for a shard
/// `--shard` accepts, and the claim files it names are checked byte for byte before any is
/// parsed: a manifest naming another file never has that file's text printed.
#[test]
fn hostile_manifests_are_refused_without_reading_what_they_name() {
    let dir = scratch("shards-hostile");
    let store = dir.join("store");
    // Rounds of one shard until merging needs no more.
    for _ in 0..20 {
        finished(shard(1, 1, &store));
        if merge(std::slice::from_ref(&store), None).status.code() == Some(0) {
            break;
        }
    }
    let manifest = store.join("shards/1-of-1.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let refused = |why: &str| {
        let output = merge(std::slice::from_ref(&store), None);
        let err = support::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains(why), "expected `{why}` in {err}");
        err
    };

    // Provenance with an escape sequence reaches the terminal escaped.
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["provenance"]["cpu"] = serde_json::json!("\u{1b}[2Jforged");
    std::fs::write(&manifest, json.to_string()).unwrap();
    let output = implreg(&["merge", store.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::stderr(&output)
    );
    let shown = stdout(&output);
    assert!(
        shown.contains("\\u{1b}[2Jforged") && !shown.contains('\u{1b}'),
        "{shown}"
    );

    // 10^18 shards: refused as `--shard` would refuse it, not counted to.
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["shard"]["count"] = serde_json::json!(1_000_000_000_000_000_000u64);
    std::fs::write(&manifest, json.to_string()).unwrap();
    refused("its shard: expected K/N with 1 ≤ K ≤ N ≤ 100000");

    // Paths naming a file with a secret in it: refused before it is read as a claim.
    let secret = dir.join("secret.yaml");
    std::fs::write(&secret, "token: hunter2-SECRET\n").unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["paths"] = serde_json::json!([secret.display().to_string()]);
    std::fs::write(&manifest, json.to_string()).unwrap();
    let err = refused("now name other claim files than the 2 they ran");
    assert!(!err.contains("hunter2"), "{err}");

    // A FIFO where a manifest should be: refused, never waited on.
    std::fs::remove_file(&manifest).unwrap();
    let made = Command::new("mkfifo").arg(&manifest).status();
    assert!(made.is_ok_and(|s| s.success()));
    refused("not a regular file");

    // A link out of the store where its shards/ folder should be: not followed.
    std::fs::remove_dir_all(store.join("shards")).unwrap();
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("1-of-1.json"), &text).unwrap();
    std::os::unix::fs::symlink(&elsewhere, store.join("shards")).unwrap();
    refused("a link inside leads out of the folder: never followed");
}
