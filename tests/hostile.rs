//! Hostile input, generated: valid claims mutated one or more places at a time (hostile values
//! in scalars, broken assertions, duplicated or dropped lines, stray characters, truncation) and
//! raw text. Every case must give a claim or a located error, never a panic, an abort or a
//! stack overflow; every accepted claim runs (one seed, half a GiB, 0.05 s a run) to a report
//! without panicking. `PROPTEST_CASES` sets the number of cases (CI: the default below).

use implreg::claim::read::budget::Limits;
use implreg::claim::{self, Claim, Seeds, SpecError};
use proptest::prelude::*;
use std::path::Path;
use std::time::Instant;

mod support;

/// Valid claims to start from: every spec, fixture and reproduction.
fn bases() -> Vec<String> {
    let mut texts = Vec::new();
    let folders = [
        "specs",
        "tests/fixtures",
        "tests/fixtures/classification",
        "reproductions",
    ];
    for folder in folders {
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        texts.extend(files.iter().map(|f| std::fs::read_to_string(f).unwrap()));
    }
    texts
}

/// Values a hostile user writes where a scalar belongs.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "1e308",
    "1e-324",
    "5e-324",
    "-0.0",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "18446744073709551615",
    "18446744073709551616",
    "4294967297",
    "1000000000000",
    "1e12",
    "\"x\"",
    "[]",
    "{}",
    "[[[[[[[[",
    "!foo 1",
    "!!binary aGk=",
    "&a 1",
    "*a",
    "~",
    "null",
    "true",
    "\"\\u001b[2J\\n\"",
    "'",
    "\"",
    "|",
    ">-",
    "- 1",
    "{ a: 1 }",
    "[1, 2, 3]",
    "sqrt",
    "truth",
    "completion",
    "sensing",
    "deep",
    "nuclear_norm",
    "gaussian",
    "balanced",
    "identity",
    "positive",
    "negative",
    "mean",
    "sum",
    "$observed",
    "$x",
    "\"$observed\"",
    "[1, 1]",
    "all",
    "any",
    "{ at_least: 100 }",
    "{ fraction: 0 }",
    "{ fraction: 1.5 }",
    "{ rate: 0.9 }",
    "\"<script>alert(1)</script>\"",
    "<img src=x onerror=alert(1)>",
    "\"a | b\\n| --- |\"",
    "\"</svg><script>x</script>\"",
];

/// What no output may carry raw: markup that would run in a browser (escaped, `&lt;img … onerror`
/// is text).
const ACTIVE: &[&str] = &["<script", "<img"];

/// Plausible numbers, for settings that stay valid but unusual.
const NUMBERS: &[&str] = &[
    "1", "2", "3", "4", "7", "10", "100", "1000", "0.1", "0.99", "1.0e-3", "1.0e-6", "1.0e-12",
    "3", "30", "64",
];

/// Pieces a hostile user writes into an assertion.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "((((((((((",
    "and",
    "or",
    "not",
    "not not not",
    "<",
    "<=",
    "==",
    "!=",
    "+",
    "*",
    "/",
    "-",
    ",",
    ".",
    "1e308",
    "-1e308",
    "0",
    "1e-324",
    "NaN",
    "sigma(0)",
    "sigma(1e9)",
    "entry(-1, 0)",
    "rank(0)",
    "det",
    "min(",
    "max(1)",
    "abs(1, 2)",
    "sqrt(-1)",
    "log10(0)",
    "truth.steps",
    "when(",
    "when(sigma(1) > 1)",
    "at_step(1e300)",
    "at_step(-1)",
    "at_loss(0)",
    "initial",
    "certified_gap(truth, truth)",
    "rel_distance(x, y)",
    "\u{1b}",
    "\u{202e}",
    "≤",
    "×",
    "−",
    "$",
];

/// One change to a text.
#[derive(Debug, Clone)]
enum Mutation {
    /// The k-th `key: value` scalar becomes `VALUES[v]`.
    Scalar(usize, usize),
    /// The k-th `key: value` scalar becomes `NUMBERS[n]`.
    Number(usize, usize),
    /// The k-th word of an assertion becomes `TOKENS[t]`.
    Token(usize, usize),
    /// Line k is written twice.
    DuplicateLine(usize),
    /// Line k is dropped.
    DropLine(usize),
    /// A character at position k.
    Insert(usize, char),
    /// The text ends at position k.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..VALUES.len()).prop_map(|(k, v)| Mutation::Scalar(k, v)),
        4 => (any::<usize>(), 0..NUMBERS.len()).prop_map(|(k, n)| Mutation::Number(k, n)),
        3 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(k, t)| Mutation::Token(k, t)),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => any::<usize>().prop_map(Mutation::DropLine),
        1 => (any::<usize>(), any::<char>()).prop_map(|(k, c)| Mutation::Insert(k, c)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Byte offsets of the scalars after `: ` (to the end of the scalar) in `text`.
fn scalars(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b':' && bytes[i + 1] == b' ' {
            let start = i + 2;
            let end = text[start..]
                .find([',', '}', '\n', ']'])
                .map_or(text.len(), |e| start + e);
            if end > start {
                found.push((start, end));
            }
        }
        i += 1;
    }
    found
}

/// The k-th scalar (cyclically) of `text` replaced by `value`.
fn replace_scalar(text: &str, k: usize, value: &str) -> String {
    let spots = scalars(text);
    if spots.is_empty() {
        return text.to_string();
    }
    let (start, end) = spots[k % spots.len()];
    format!("{}{}{}", &text[..start], value, &text[end..])
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = |k: usize, n: usize| if n == 0 { 0 } else { k % n };
    match *mutation {
        Mutation::Scalar(k, v) => replace_scalar(text, k, VALUES[v]),
        Mutation::Number(k, n) => replace_scalar(text, k, NUMBERS[n]),
        Mutation::Token(k, t) => {
            let Some(line) = lines
                .iter()
                .position(|l| l.trim_start().starts_with("- that:"))
            else {
                return text.to_string();
            };
            let words: Vec<&str> = lines[line].split(' ').collect();
            let w = at(k, words.len());
            let mut changed = words.clone();
            changed[w] = TOKENS[t];
            let mut out = lines.clone();
            let replaced = changed.join(" ");
            out[line] = &replaced;
            out.join("\n")
        }
        Mutation::DuplicateLine(k) => {
            let mut out = lines.clone();
            if let Some(line) = lines.get(at(k, lines.len())) {
                out.insert(at(k, lines.len()), line);
            }
            out.join("\n")
        }
        Mutation::DropLine(k) => {
            let mut out = lines.clone();
            if !out.is_empty() {
                out.remove(at(k, lines.len()));
            }
            out.join("\n")
        }
        Mutation::Insert(k, c) => {
            let mut out = text.to_string();
            let mut k = at(k, text.len() + 1);
            while !out.is_char_boundary(k) {
                k -= 1;
            }
            out.insert(k, c);
            out
        }
        Mutation::Truncate(k) => {
            let mut k = at(k, text.len() + 1);
            while !text.is_char_boundary(k) {
                k -= 1;
            }
            text[..k].to_string()
        }
    }
}

/// Each accepted claim's runs stop after this many seconds (`HOSTILE_RUN_SECONDS`, 0.05 by
/// default; a long campaign sets it lower).
fn run_seconds() -> f64 {
    std::env::var("HOSTILE_RUN_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.05)
}

/// How many cases ran a claim (printed with `--nocapture`).
static RAN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Half a GiB at most; the runs' wall-time budget (`exercise`) bounds the time.
fn limits() -> Limits {
    Limits {
        memory: 512.0 * 1024.0 * 1024.0,
        ..Limits::default()
    }
}

/// Parses `text`; an accepted claim runs on one seed for at most `run_seconds` per run. Panics (the
/// finding) on a panic below, or on an error without a location.
fn exercise(text: &str) {
    let started = Instant::now();
    match Claim::parse_within(text, Path::new("case.yaml"), limits()) {
        Ok(claim) => {
            // One seed at every point, where the claim's quantifiers allow it.
            let one = |spec: &claim::ClaimSpec| {
                let one = Seeds {
                    from: spec.seeds.from,
                    count: 1,
                };
                spec.check_seeds(one).is_ok().then_some(one)
            };
            let context = claim::Context {
                bounds: implreg::solver::Bounds {
                    run_seconds: Some(run_seconds()),
                    ..Default::default()
                },
                ..Default::default()
            };
            let report = claim::evaluate(&claim, one, &context, &|_, _| {});
            every_output(std::slice::from_ref(&report));
            RAN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Err(SpecError::Invalid {
            line,
            column,
            field,
            expected,
            ..
        }) => {
            assert!(line >= 1 && column >= 1 && !field.is_empty() && !expected.is_empty());
            // YAML counts a lone CR as a line break too; the end of the text may be one past.
            let lines = text
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .lines()
                .count();
            assert!(line <= lines.max(1) + 1, "line {line} of {text:?}");
        }
        Err(other) => panic!("a parse error without a location: {other}"),
    }
    assert!(
        started.elapsed().as_secs_f64() < 10.0,
        "a case took {:?}: {text:?}",
        started.elapsed()
    );
}

/// Every output of `reports`: text, JSON, JUnit, the HTML page (its figures inlined) and the
/// Markdown report, none carrying active markup raw; the JSON read back by `diff` equals itself.
fn every_output(reports: &[claim::Report]) {
    let provenance = implreg::provenance::Provenance::here();
    let contents = implreg::render::page::Contents {
        reports,
        provenance: &provenance,
        seconds: 1.0,
        notes: &[],
    };
    for report in reports {
        assert!(!report.to_text().is_empty());
    }
    let page = implreg::render::page::html(&contents);
    let markdown = implreg::render::page::markdown(&contents);
    let junit = implreg::render::junit::junit(reports, 1.0, &provenance);
    for (what, text) in [("HTML", &page), ("Markdown", &markdown), ("JUnit", &junit)] {
        let lower = text.to_lowercase();
        for active in ACTIVE {
            if let Some(at) = lower.find(active) {
                let around = text.get(at.saturating_sub(100)..(at + 100).min(text.len()));
                panic!("{what} carries {active} raw: {around:?}");
            }
        }
    }
    let json = serde_json::to_value(reports).expect("reports serialise");
    let exact = implreg::compare::Tolerance {
        relative: 0.0,
        absolute: 0.0,
    };
    let changes = implreg::compare::compare(&json, &json, exact).expect("a report diffs");
    assert!(
        changes == implreg::compare::Changes::default(),
        "a report differs from itself: {}",
        changes.to_text(10)
    );
}

proptest! {
    #![proptest_config(support::config(300))]

    #[test]
    fn mutated_claims_never_crash(
        base in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let bases = bases();
        let mut text = bases[base.index(bases.len())].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        exercise(&text);
        if RAN.load(std::sync::atomic::Ordering::Relaxed).is_power_of_two() {
            eprintln!("hostile: {} claims ran so far", RAN.load(std::sync::atomic::Ordering::Relaxed));
        }
    }

    #[test]
    fn raw_text_never_crashes(text in ".{0,400}") {
        exercise(&text);
    }

    #[test]
    fn raw_assertions_never_crash(
        pieces in prop::collection::vec(0..TOKENS.len(), 1..30),
    ) {
        let that: Vec<&str> = pieces.iter().map(|&t| TOKENS[t]).collect();
        let text = std::fs::read_to_string("tests/fixtures/holds.yaml").unwrap().replace(
            "flat.converged and abs(flat.entry(0, 0)) < 1e-2",
            &format!("\"{}\"", that.join(" ").replace('\\', "\\\\").replace('"', "\\\"")),
        );
        exercise(&text);
    }
}
