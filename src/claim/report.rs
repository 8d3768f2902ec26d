//! What a claim's evaluation says: per assertion how many seeds passed, the worst seed and its
//! values; the verdict and whether it matches the expectation. Rendered as text for people, as
//! JSON for machines, and as a rounded YAML snapshot for regression tests.

use super::spec::{Assertion, Source, Verdict};
use crate::metrics::Metrics;
use crate::solver::Status;
use crate::trace::Trace;
use crate::watch::Extremes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One assertion on one seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedResult {
    pub seed: u64,
    pub passed: bool,
    /// How comfortably it held (> 0) or failed (< 0), relative to the compared numbers.
    pub margin: f64,
    /// Every reference of the assertion with its value on this seed.
    pub values: BTreeMap<String, f64>,
}

/// One assertion over all seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssertionReport {
    pub that: String,
    pub why: String,
    pub over_seeds: String,
    pub passed: u64,
    pub needed: u64,
    pub seeds: u64,
    pub holds: bool,
    /// The seed with the smallest margin.
    pub worst: SeedResult,
    pub per_seed: Vec<SeedResult>,
}

impl AssertionReport {
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

/// The outcome of one run on one seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub run: String,
    pub seed: u64,
    pub status: Status,
    pub steps: usize,
    pub train_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_mse: Option<f64>,
    pub effective_rank: f64,
    pub nuclear_norm: f64,
    /// Σ of the step sizes (GD) or the time reached (flow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub rejected_steps: usize,
    /// Extremes over every step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extremes: Option<Extremes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateRecord>,
    pub trace: Trace,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// A convex run's certificate as exported: anyone can check ‖𝒜*(λ)‖₂ ≤ 1 and the bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateRecord {
    pub lower_bound: f64,
    pub gap: f64,
    pub feasibility: f64,
    /// λ, one multiplier per observation in the problem's order; left out of snapshots.
    pub multipliers: Vec<f64>,
}

impl RunRecord {
    pub fn new(run: &str, seed: u64, metrics: &Metrics, trace: Trace) -> Self {
        Self {
            run: run.to_string(),
            seed,
            status: metrics.status,
            steps: metrics.steps,
            train_loss: metrics.train_loss,
            test_mse: metrics.test_mse,
            effective_rank: metrics.spectrum.effective_rank,
            nuclear_norm: metrics.spectrum.nuclear_norm,
            time: Some(metrics.time).filter(|t| !t.is_nan()),
            rejected_steps: metrics.rejected,
            extremes: metrics.extremes.clone(),
            certificate: metrics.certificate.as_ref().map(|c| CertificateRecord {
                lower_bound: c.lower_bound,
                gap: c.gap,
                feasibility: c.feasibility,
                multipliers: c.multipliers.iter().copied().collect(),
            }),
            trace,
        }
    }
}

/// The evaluation of one claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimReport {
    pub id: String,
    pub title: String,
    pub file: String,
    pub source: Source,
    pub seeds: Vec<u64>,
    pub assertions: Vec<AssertionReport>,
    pub verdict: Verdict,
    pub expected: Verdict,
    pub matches: bool,
    pub runs: Vec<RunRecord>,
    /// Wall-clock time; left out of snapshots.
    pub seconds: f64,
}

impl ClaimReport {
    /// One verdict line, then one line per assertion.
    pub fn to_text(&self) -> String {
        let mark = if self.matches { "ok  " } else { "FAIL" };
        let mut text = format!(
            "{mark} {id}: {verdict} (expected {expected}) in {seconds:.1} s\n     {title} [{paper}, {location}]\n",
            id = self.id,
            verdict = self.verdict,
            expected = self.expected,
            seconds = self.seconds,
            title = self.title,
            paper = self.source.paper,
            location = self.source.location,
        );
        for a in &self.assertions {
            let sign = if a.holds { '+' } else { '-' };
            let values: Vec<String> = a
                .worst
                .values
                .iter()
                .map(|(k, v)| format!("{k} = {}", figure(*v)))
                .collect();
            let _ = writeln!(
                text,
                "     {sign} {that}: {passed}/{seeds} seeds, needs {quantifier} ({needed}); worst seed {seed}: {values}",
                that = a.that,
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
