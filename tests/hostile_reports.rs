//! Hostile input to `implreg diff`, generated: JSON reports of real claims damaged at random
//! (values replaced by hostile ones, claims duplicated or dropped, keys renamed, text cut or
//! spliced) and read back as `diff` reads them. Every pair gives the changes or an error naming
//! which report is not one, never a panic, an abort or a hang; a report `diff` accepts differs
//! from itself in nothing; a report holding an id twice is refused. `PROPTEST_CASES` sets the
//! number of cases (CI: the default below).

use implreg::claim::{self, Claim, Seeds};
use implreg::compare::{self, Changes, Tolerance};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod support;

/// The JSON reports (as `check --format json` writes them) of the fixtures: a claim, a
/// mismatch, a sweep with figures and a searched claim, one seed each where they allow it.
fn reports() -> &'static [String] {
    static REPORTS: OnceLock<Vec<String>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let files = [
            "tests/fixtures/holds.yaml",
            "tests/fixtures/mismatch.yaml",
            "tests/fixtures/sweep.yaml",
            "tests/fixtures/search/search.yaml",
        ];
        let reports: Vec<claim::Report> = files
            .iter()
            .map(|f| {
                let claim = Claim::load(Path::new(f)).expect("a fixture loads");
                let one = |spec: &claim::ClaimSpec| {
                    let seeds = Seeds {
                        from: spec.seeds.from,
                        count: 1,
                    };
                    spec.check_seeds(seeds).is_ok().then_some(seeds)
                };
                claim::evaluate(&claim, one, &claim::Context::default(), &|_, _| {})
            })
            .collect();
        let mut texts: Vec<String> = reports
            .iter()
            .map(|r| serde_json::to_string_pretty(std::slice::from_ref(r)).unwrap())
            .collect();
        texts.push(serde_json::to_string_pretty(&reports).unwrap());
        texts
    })
}

/// JSON values a hostile report holds where a value belongs.
const VALUES: &[&str] = &[
    "null",
    "true",
    "0",
    "-0",
    "1e308",
    "-1e308",
    "1e999",
    "5e-324",
    "18446744073709551615",
    "-9223372036854775808",
    "123456789012345678901234567890",
    "\"\"",
    "\"holds\"",
    "\"refuted\"",
    "\"inconclusive\"",
    "\"\\u001b[2J\\u0000\"",
    "\"\\ud800\"",
    "\"<script>alert(1)</script>\"",
    "[]",
    "{}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{\"id\": \"x\"}",
    "[{\"id\": \"x\"}, {\"id\": \"x\"}]",
];

/// One change to a report's text.
#[derive(Debug, Clone)]
enum Damage {
    /// The k-th value after a `": "` becomes `VALUES[v]`.
    Value(usize, usize),
    /// The k-th key is renamed.
    Key(usize),
    /// The first claim object is written twice (an id held twice).
    Duplicate,
    /// Byte k is replaced by byte b.
    Byte(usize, u8),
    /// The text ends at byte k.
    Truncate(usize),
    /// The text from byte k is written again after byte j.
    Splice(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => (any::<usize>(), 0..VALUES.len()).prop_map(|(k, v)| Damage::Value(k, v)),
        2 => any::<usize>().prop_map(Damage::Key),
        1 => Just(Damage::Duplicate),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(k, b)| Damage::Byte(k, b)),
        1 => any::<usize>().prop_map(Damage::Truncate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(k, j)| Damage::Splice(k, j)),
    ]
}

/// Byte offsets of the values after `": "` (to the end of the line, a trailing comma kept).
fn values(text: &str) -> Vec<(usize, usize)> {
    text.match_indices("\": ")
        .map(|(at, m)| {
            let start = at + m.len();
            let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
            let end = if text[..end].ends_with(',') {
                end - 1
            } else {
                end
            };
            (start, end)
        })
        .filter(|(start, end)| end > start)
        .collect()
}

fn apply(text: &[u8], damage: &Damage) -> Vec<u8> {
    let at = |k: usize| k % (text.len() + 1);
    let utf8 = String::from_utf8_lossy(text).into_owned();
    match *damage {
        Damage::Value(k, v) => {
            let spots = values(&utf8);
            if spots.is_empty() {
                return text.to_vec();
            }
            let (start, end) = spots[k % spots.len()];
            format!("{}{}{}", &utf8[..start], VALUES[v], &utf8[end..]).into_bytes()
        }
        Damage::Key(k) => {
            let keys: Vec<usize> = utf8.match_indices("\": ").map(|(at, _)| at).collect();
            if keys.is_empty() {
                return text.to_vec();
            }
            let mut out = utf8.clone();
            out.insert_str(keys[k % keys.len()], "_renamed");
            out.into_bytes()
        }
        Damage::Duplicate => {
            let (Some(open), Some(close)) = (utf8.find("\n  {"), utf8.find("\n  }")) else {
                return text.to_vec();
            };
            let end = close + "\n  }".len();
            format!("{},{}{}", &utf8[..end], &utf8[open..end], &utf8[end..]).into_bytes()
        }
        Damage::Byte(k, b) => {
            let mut out = text.to_vec();
            if !out.is_empty() {
                let k = k % out.len();
                out[k] = b;
            }
            out
        }
        Damage::Truncate(k) => text[..at(k)].to_vec(),
        Damage::Splice(k, j) => {
            let (k, j) = (at(k), at(j));
            [&text[..j], &text[k..], &text[j..]].concat()
        }
    }
}

/// A file of this thread's to hold a case's report, read back as `diff` reads it.
fn file(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| support::scratch("hostile-reports"));
    dir.join(format!("{name}-{:?}.json", std::thread::current().id()))
}

const EXACT: Tolerance = Tolerance {
    relative: 0.0,
    absolute: 0.0,
};

proptest! {
    #![proptest_config(support::config(300))]

    #[test]
    fn damaged_reports_diff_or_are_refused(
        base in any::<prop::sample::Index>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let reports = reports();
        let original = reports[base.index(reports.len())].as_bytes();
        let mut bytes = original.to_vec();
        for d in &damages {
            bytes = apply(&bytes, d);
        }
        let path = file("damaged");
        std::fs::write(&path, &bytes).unwrap();
        let old: serde_json::Value = serde_json::from_slice(original).unwrap();
        match compare::read_report(&path) {
            Ok(new) => {
                for (a, b, which) in [(&old, &new, "the new report"), (&new, &old, "the old report")] {
                    match compare::compare(a, b, EXACT) {
                        Ok(changes) => {
                            let _ = changes.to_text(10);
                            let _ = changes.flips();
                        }
                        Err(e) => prop_assert!(e.starts_with(which), "{e}"),
                    }
                }
                if let Ok(itself) = compare::compare(&new, &new, EXACT) {
                    prop_assert!(itself == Changes::default(), "{}", itself.to_text(10));
                }
            }
            Err(e) => prop_assert!(e.starts_with("not JSON"), "{e}"),
        }
    }
}

#[test]
fn a_report_holding_an_id_twice_is_refused() {
    let text = &reports()[0];
    let doubled = String::from_utf8(apply(text.as_bytes(), &Damage::Duplicate)).unwrap();
    let report: serde_json::Value = serde_json::from_str(&doubled).expect("still JSON");
    let err = compare::compare(&report, &report, EXACT).unwrap_err();
    assert!(err.contains("each claim id once"), "{err}");
}
