//! What a claim's evaluation says: per assertion how many seeds passed, the worst seed and its
//! values; the verdict and whether it matches the expectation. Rendered as text for people, as
//! JSON for machines, and as a rounded YAML snapshot for regression tests.

use super::measured::Measured;
use super::spec::{Assertion, Source, Verdict};
use crate::printable::printable;
use crate::solver::{RunRecord, Status};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One assertion on one seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Whether the assertion held.
    pub passed: bool,
    /// How comfortably it held (> 0) or failed (< 0), relative to the compared numbers.
    pub margin: f64,
    /// Every reference of the assertion with its value on this seed.
    pub values: BTreeMap<String, f64>,
}

/// One assertion over all seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssertionReport {
    /// The assertion as written.
    pub that: String,
    /// Why its tolerance is what it is.
    pub why: String,
    /// Its quantifier, in words.
    pub over_seeds: String,
    /// Seeds it held for.
    pub passed: u64,
    /// Seeds it had to hold for.
    pub needed: u64,
    /// Seeds it was evaluated on.
    pub seeds: u64,
    /// Whether it holds over the seeds.
    pub holds: bool,
    /// The seed with the smallest margin.
    pub worst: SeedResult,
    /// Every seed's result, in seed order.
    pub per_seed: Vec<SeedResult>,
}

impl AssertionReport {
    /// Counts the seeds `assertion` held for and finds the worst.
    pub fn new(assertion: &Assertion, per_seed: Vec<SeedResult>) -> Self {
        let seeds = per_seed.len() as u64;
        let passed = per_seed.iter().filter(|s| s.passed).count() as u64;
        let needed = assertion.over_seeds.needed(seeds);
        let worst = per_seed
            .iter()
            .min_by(|a, b| {
                (a.passed, a.margin)
                    .partial_cmp(&(b.passed, b.margin))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .cloned()
            .expect("a claim has at least one seed");
        Self {
            that: assertion.that.clone(),
            why: assertion.why.clone(),
            over_seeds: assertion.over_seeds.to_string(),
            passed,
            needed,
            seeds,
            holds: passed >= needed,
            worst,
            per_seed,
        }
    }
}

/// One run on one seed: its record, as the driver made it, with its name, seed and the
/// headline measurements of the matrix it ended at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The run's name in the claim.
    pub run: String,
    /// The seed.
    pub seed: u64,
    /// How it ended (the record's `stop` says why).
    pub status: Status,
    /// The run's loss at its end, under its reduction.
    pub train_loss: f64,
    /// The test MSE at its end, where the problem has a ground truth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_mse: Option<f64>,
    /// The effective rank at its end.
    pub effective_rank: f64,
    /// The nuclear norm at its end.
    pub nuclear_norm: f64,
    /// Everything else the run produced.
    #[serde(flatten)]
    pub record: RunRecord,
}

/// `train_loss`, `test_mse`, `effective_rank`, `nuclear_norm` of a run's end.
pub type Summary = (f64, Option<f64>, f64, f64);

impl RunReport {
    /// The headline measurements of a run's end.
    pub fn summary(end: &Measured) -> Summary {
        let spectrum = end.spectrum();
        (
            end.train_loss(),
            end.test_mse(),
            spectrum.effective_rank,
            spectrum.nuclear_norm,
        )
    }

    /// The report of `record`, the run `run` on `seed`.
    pub fn new(run: &str, seed: u64, summary: Summary, record: RunRecord) -> Self {
        let (train_loss, test_mse, effective_rank, nuclear_norm) = summary;
        Self {
            run: run.to_string(),
            seed,
            status: record.status(),
            train_loss,
            test_mse,
            effective_rank,
            nuclear_norm,
            record,
        }
    }
}

/// The evaluation of one claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimReport {
    /// The claim's name.
    pub id: String,
    /// What it claims.
    pub title: String,
    /// The file it came from.
    pub file: String,
    /// Where it comes from.
    pub source: Source,
    /// The seeds evaluated.
    pub seeds: Vec<u64>,
    /// Every assertion's outcome.
    pub assertions: Vec<AssertionReport>,
    /// The verdict the evidence gives.
    pub verdict: Verdict,
    /// The verdict the claim expects.
    pub expected: Verdict,
    /// Whether the two agree (never for an interrupted claim).
    pub matches: bool,
    /// Whether a run was stopped from outside (Ctrl-C, the per-run time budget): then the
    /// verdict decides nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Every run on every seed, by seed, then run name.
    pub runs: Vec<RunReport>,
    /// Wall-clock time; left out of snapshots.
    pub seconds: f64,
}

impl ClaimReport {
    /// One verdict line, then one line per assertion.
    pub fn to_text(&self) -> String {
        let mark = match (self.interrupted, self.matches) {
            (true, _) => "INT ",
            (false, true) => "ok  ",
            (false, false) => "FAIL",
        };
        let verdict = if self.interrupted {
            "interrupted (a run was stopped by Ctrl-C or --max-run-seconds), no verdict".to_string()
        } else {
            self.verdict.to_string()
        };
        let mut text = format!(
            "{mark} {id}: {verdict} (expected {expected}) in {seconds:.1} s\n     {title} [{paper}, {location}]\n",
            id = printable(&self.id),
            expected = self.expected,
            seconds = self.seconds,
            title = printable(&self.title),
            paper = printable(&self.source.paper),
            location = printable(&self.source.location),
        );
        for a in &self.assertions {
            let sign = if a.holds { '+' } else { '-' };
            let values: Vec<String> = a
                .worst
                .values
                .iter()
                .map(|(k, v)| format!("{} = {}", printable(k), figure(*v)))
                .collect();
            let _ = writeln!(
                text,
                "     {sign} {that}: {passed}/{seeds} seeds, needs {quantifier} ({needed}); worst seed {seed}: {values}",
                that = printable(&a.that),
                passed = a.passed,
                seeds = a.seeds,
                quantifier = a.over_seeds,
                needed = a.needed,
                seed = a.worst.seed,
                values = values.join(", "),
            );
        }
        text
    }

    /// The report for an insta snapshot: no traces or timings, every number rounded to 4
    /// significant digits so that a different CPU's last bits do not fail it.
    pub fn snapshot(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("reports serialise");
        if let Some(object) = value.as_object_mut() {
            object.remove("seconds");
            object.remove("file");
            if let Some(runs) = object.get_mut("runs").and_then(|r| r.as_array_mut()) {
                runs.iter_mut()
                    .filter_map(|r| r.as_object_mut())
                    .for_each(|r| {
                        r.remove("trace");
                        // Snapshots were taken before runs named their stopping reason;
                        // `status` summarises it.
                        r.remove("stop");
                        if let Some(c) = r.get_mut("certificate").and_then(|c| c.as_object_mut()) {
                            c.remove("multipliers");
                        }
                    });
            }
        }
        round_numbers(&mut value, 4);
        value
    }
}

/// A number for people: whole numbers (steps, ranks, true/false as 1/0) as they are, others in
/// scientific notation with 4 significant digits.
fn figure(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e9 {
        format!("{x}")
    } else {
        format!("{x:.3e}")
    }
}

/// Rounds every float in `value` to `digits` significant digits; integers stay exact.
fn round_numbers(value: &mut serde_json::Value, digits: i32) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            *value = serde_json::json!(round_significant(x, digits));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| round_numbers(v, digits)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| round_numbers(v, digits)),
        _ => {}
    }
}

/// `x` rounded to `digits` significant digits.
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let text = format!("{:.*e}", (digits - 1) as usize, x);
    text.parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::round_significant;

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(round_significant(1.234567, 4), 1.235);
        assert_eq!(round_significant(-1.23456e-7, 4), -1.235e-7);
        assert_eq!(round_significant(0.0, 4), 0.0);
    }
}
