//! What a claim's evaluation says: per assertion its decision and why it stopped, the seeds it
//! used and passed, the exact interval for its rate, its test or count, and the worst seed with
//! its values; the verdict and whether it matches the expectation. Rendered as text for people,
//! as JSON for machines, and as a rounded YAML snapshot for regression tests.

use crate::claim::decide::sequential::{CONFIDENCE, Decision, Ending, Sprt, clopper_pearson};
use crate::claim::decide::verdict;
use crate::claim::language::measured::Measured;
use crate::claim::language::recorded::RecordedValues;
use crate::claim::read::sampling::Rate;
use crate::claim::read::spec::{Assertion, Sampling, Source, Verdict};
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

/// Why an assertion's evidence ends where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stopped {
    /// A fixed block of seeds: every seed ran and the quantifier counted them.
    Block,
    /// Its sequential test crossed a boundary.
    Evidence,
    /// Another assertion refuted the claim first.
    ClaimRefuted,
    /// The seed budget was spent.
    Budget,
    /// A run was stopped from outside (Ctrl-C), or a read-only store lacked one.
    Interrupted,
    /// The claim's wall-time budget ran out.
    Time,
}

impl Stopped {
    /// The reason in words, for people.
    fn words(self) -> &'static str {
        match self {
            Stopped::Block => "fixed seeds",
            Stopped::Evidence => "decided by the evidence",
            Stopped::ClaimRefuted => "left open: another assertion refuted the claim",
            Stopped::Budget => "left open: the seed budget ran out",
            Stopped::Interrupted => "left open: interrupted",
            Stopped::Time => "left open: the claim's wall-time budget ran out",
        }
    }
}

/// A rate assertion's sequential test, as it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestReport {
    /// The claimed rate p and margin δ.
    #[serde(flatten)]
    pub rate: Rate,
    /// This assertion's share of the claim's α: P(refuted | rate ≥ p + δ) ≤ alpha.
    pub alpha: f64,
    /// P(holds | rate ≤ p − δ) ≤ beta.
    pub beta: f64,
    /// ln of the likelihood ratio of rate p + δ to p − δ at the stop.
    pub log_ratio: f64,
    /// `holds` at or above ln(1/β), `refuted` at or below −ln(1/α).
    pub boundaries: [f64; 2],
}

/// One assertion over the seeds that decided it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssertionReport {
    /// The assertion as written.
    pub that: String,
    /// Why its tolerance is what it is.
    pub why: String,
    /// Its quantifier, in words.
    pub over_seeds: String,
    /// What the evidence says.
    pub decision: Decision,
    /// Why the evidence ends where it does.
    pub stopped: Stopped,
    /// Seeds its decision used.
    pub seeds: u64,
    /// Seeds among them it held for.
    pub passed: u64,
    /// The exact (Clopper–Pearson) interval at `decide::sequential::CONFIDENCE` for its rate on those seeds.
    pub interval: [f64; 2],
    /// Seeds a fixed quantifier needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed: Option<u64>,
    /// A rate's sequential test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<TestReport>,
    /// The seed with the smallest margin (none when the first seed was interrupted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<SeedResult>,
    /// Every seed's result, in seed order.
    pub per_seed: Vec<SeedResult>,
}

impl AssertionReport {
    /// A fixed quantifier's count over its block of seeds (a rate's count is left open, and
    /// so is any count the claim's `ending` cut short).
    pub fn fixed(assertion: &Assertion, per_seed: Vec<SeedResult>, ending: Ending) -> Self {
        let seeds = per_seed.len() as u64;
        let passed = per_seed.iter().filter(|s| s.passed).count() as u64;
        let needed = assertion.over_seeds.needed(seeds);
        let decision = verdict::count(needed, passed, ending);
        let stopped = match ending {
            Ending::Interrupted => Stopped::Interrupted,
            Ending::Time => Stopped::Time,
            Ending::Decided | Ending::Budget => Stopped::Block,
        };
        Self::new(assertion, per_seed, decision, stopped, needed, None)
    }

    /// A rate's sequential test, over the seeds up to its decision (or the claim's stop).
    pub fn sequential(
        assertion: &Assertion,
        mut per_seed: Vec<SeedResult>,
        test: &Sprt,
        errors: (f64, f64),
        ending: Ending,
    ) -> Self {
        per_seed.truncate(test.seeds() as usize);
        let decision = test.decision();
        let stopped = match (decision, ending) {
            (Decision::Holds | Decision::Refuted, _) => Stopped::Evidence,
            (Decision::Open, Ending::Decided) => Stopped::ClaimRefuted,
            (Decision::Open, Ending::Budget) => Stopped::Budget,
            (Decision::Open, Ending::Interrupted) => Stopped::Interrupted,
            (Decision::Open, Ending::Time) => Stopped::Time,
        };
        let (upper, lower) = test.boundaries();
        let report = assertion.over_seeds.rate().map(|rate| TestReport {
            rate,
            alpha: errors.0,
            beta: errors.1,
            log_ratio: test.log_ratio(),
            boundaries: [upper, lower],
        });
        Self::new(assertion, per_seed, decision, stopped, None, report)
    }

    fn new(
        assertion: &Assertion,
        per_seed: Vec<SeedResult>,
        decision: Decision,
        stopped: Stopped,
        needed: Option<u64>,
        test: Option<TestReport>,
    ) -> Self {
        let seeds = per_seed.len() as u64;
        let passed = per_seed.iter().filter(|s| s.passed).count() as u64;
        let (low, high) = clopper_pearson(passed, seeds, CONFIDENCE);
        let worst = per_seed
            .iter()
            .min_by(|a, b| {
                (a.passed, a.margin)
                    .partial_cmp(&(b.passed, b.margin))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .cloned();
        Self {
            that: assertion.that.clone(),
            why: assertion.why.clone(),
            over_seeds: assertion.over_seeds.to_string(),
            decision,
            stopped,
            seeds,
            passed,
            interval: [low, high],
            needed,
            test,
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
    /// The matrix and factors it ended at, when asked for (`ClaimReport::with_endpoints`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<serde_json::Value>,
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
            endpoint: None,
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
    /// How the seeds were chosen: a fixed block, or a sequence with its error rates.
    pub sampling: Sampling,
    /// The seeds evaluated, in order.
    pub seeds: Vec<u64>,
    /// Why the seeds end where they do.
    pub ending: Ending,
    /// Every assertion's outcome.
    pub assertions: Vec<AssertionReport>,
    /// The verdict the evidence gives.
    pub verdict: Verdict,
    /// The verdict the claim expects.
    pub expected: Verdict,
    /// Whether the two agree (never for an interrupted claim).
    pub matches: bool,
    /// Whether a run was stopped from outside (Ctrl-C) or missing from a read-only store: then
    /// the verdict decides nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Every run on every seed, by seed, then run name.
    pub runs: Vec<RunReport>,
    /// What the seeds recorded for assertions across sweep points and for figures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recorded: Vec<RecordedValues>,
    /// Wall-clock time; left out of the JSON (which is a function of the claim, seeds and
    /// build alone) and of snapshots.
    #[serde(skip)]
    pub seconds: f64,
    /// Seeds whose runs a read-only store lacked (how shards plan the next round).
    #[serde(skip)]
    pub missing: Vec<u64>,
}

impl ClaimReport {
    /// One verdict line, then one line per assertion.
    pub fn to_text(&self) -> String {
        let mark = mark(self.interrupted, self.matches, self.verdict);
        let verdict = if self.interrupted {
            "interrupted (by Ctrl-C, or runs missing from the store), no verdict".to_string()
        } else {
            self.verdict.to_string()
        };
        let sampling = match self.sampling {
            Sampling::Fixed => self.seed_words(),
            Sampling::Sequential(errors) => format!(
                "{}; α = {}, β = {}",
                self.seed_words(),
                errors.alpha,
                errors.beta
            ),
        };
        let outcome = format!("{verdict} (expected {}) on {sampling}", self.expected);
        heading(
            mark,
            &self.id,
            &outcome,
            self.seconds,
            &self.title,
            &self.source,
        ) + &self.timed_out("     ")
            + &self.assertion_lines("     ")
    }

    /// Lines naming the runs that hit their wall-time budget or their share of the work limit
    /// (empty when none did): their `exhausted` depends on this machine's speed, or on the
    /// limit; and the runs whose program failed, with the first one's reason.
    pub fn timed_out(&self, indent: &str) -> String {
        let stopped_by = |stop: crate::solver::Stop, why: &str| {
            let runs: Vec<String> = self
                .runs
                .iter()
                .filter(|r| r.record.stop == stop)
                .map(|r| format!("{} on seed {}", printable(&r.run), r.seed))
                .collect();
            if runs.is_empty() {
                return String::new();
            }
            format!(
                "{indent}! {} runs stopped by {why}: {}\n",
                runs.len(),
                runs.join(", ")
            )
        };
        let failed = stopped_by(
            crate::solver::Stop::Failed,
            "their program's failure (an external run's: every metric of it is NaN)",
        );
        let reason = self
            .runs
            .iter()
            .find_map(|r| Some((r, r.record.failure.as_ref()?)))
            .map(|(r, why)| {
                let why = crate::printable::shortened(why, 1000);
                format!(
                    "{indent}  {} on seed {}: {why}\n",
                    printable(&r.run),
                    r.seed
                )
            })
            .unwrap_or_default();
        stopped_by(
            crate::solver::Stop::Time,
            "their wall-time budget (--max-run-seconds, or an external run's seconds), exhausted on this machine",
        ) + &stopped_by(
            crate::solver::Stop::Work,
            "their share of the work limit (--max-work), exhausted under that limit",
        ) + &failed
            + &reason
    }

    /// How the seeds were sampled and how far: `13 seeds drawn from 0, until decided`.
    pub fn seed_words(&self) -> String {
        match self.sampling {
            Sampling::Fixed => match (self.seeds.first(), self.seeds.last()) {
                (Some(first), Some(last)) if self.seeds.len() > 1 => {
                    format!("{} fixed seeds ({first}–{last})", self.seeds.len())
                }
                _ => format!("{} fixed seeds", self.seeds.len()),
            },
            Sampling::Sequential(_) => format!(
                "{} seeds drawn from {}, {}",
                self.seeds.len(),
                self.seeds.first().copied().unwrap_or_default(),
                match self.ending {
                    Ending::Decided => "until decided",
                    Ending::Budget => "the whole budget",
                    Ending::Interrupted => "until interrupted",
                    Ending::Time => "until the claim's time ran out",
                },
            ),
        }
    }

    /// One line per assertion, each starting with `indent`: its decision, seeds, interval,
    /// test and worst seed.
    pub fn assertion_lines(&self, indent: &str) -> String {
        let mut text = String::new();
        for a in &self.assertions {
            let sign = a.decision.sign();
            let needs = match (a.needed, &a.test) {
                (Some(needed), _) => format!("needs {} ({needed})", a.over_seeds),
                (None, Some(test)) => format!(
                    "claims {}, ln LR {:.2} in ({:.2}, {:.2}), {}",
                    a.over_seeds,
                    test.log_ratio,
                    test.boundaries[1],
                    test.boundaries[0],
                    a.stopped.words()
                ),
                (None, None) => a.stopped.words().to_string(),
            };
            let worst = a.worst.as_ref().map_or(String::new(), |worst| {
                let values: Vec<String> = worst
                    .values
                    .iter()
                    .map(|(k, v)| format!("{} = {}", printable(k), number(*v)))
                    .collect();
                format!("; worst seed {}: {}", worst.seed, values.join(", "))
            });
            let _ = writeln!(
                text,
                "{indent}{sign} {that}: {decision}, {passed}/{seeds} seeds (rate {low:.2}–{high:.2} at {confidence}%), {needs}{worst}",
                that = printable(&a.that),
                decision = a.decision,
                passed = a.passed,
                seeds = a.seeds,
                low = a.interval[0],
                high = a.interval[1],
                confidence = CONFIDENCE * 100.0,
            );
        }
        text
    }

    /// What a decided point keeps of its runs: their endpoints as JSON when asked (`check
    /// --final`), never their matrices, so that a sweep or a search holds one point's matrices
    /// at a time, as the memory budget counts them (every point's were kept to the end).
    pub fn settle(mut self, endpoints: bool) -> Self {
        if endpoints {
            self = self.with_endpoints();
        }
        for run in &mut self.runs {
            run.record.matrix = nalgebra::DMatrix::zeros(0, 0);
            run.record.factors = Vec::new();
            run.record.moments = Vec::new();
        }
        self
    }

    /// Adds every run's final matrix and factors to the report (`check --final`), so that
    /// another implementation can compare endpoints, not only starts (`implreg export`).
    fn with_endpoints(mut self) -> Self {
        for run in &mut self.runs {
            run.endpoint = Some(crate::export::endpoint(
                &run.record.matrix,
                &run.record.factors,
            ));
        }
        self
    }

    /// Per assertion, the seeds it held for, the exact interval for its rate and the seeds it
    /// failed on: what to read before writing a rate (`implreg measure`).
    pub fn to_measurement_text(&self) -> String {
        let first = self.seeds.first().copied().unwrap_or_default();
        let mut text = format!(
            "{id}: {n} seeds from {first}{interrupted}\n",
            id = printable(&self.id),
            n = self.seeds.len(),
            interrupted = if self.interrupted {
                " (interrupted)"
            } else {
                ""
            },
        );
        for a in &self.assertions {
            let failed: Vec<String> = a
                .per_seed
                .iter()
                .filter(|s| !s.passed)
                .map(|s| s.seed.to_string())
                .collect();
            let shown = failed.len().min(20);
            let more = if failed.len() > shown { ", …" } else { "" };
            let _ = writeln!(
                text,
                "  {passed:>5}/{seeds} (95% interval {low:.2}–{high:.2})  {that}{sep}{list}{more}",
                passed = a.passed,
                seeds = a.seeds,
                low = a.interval[0],
                high = a.interval[1],
                that = printable(&a.that),
                sep = if failed.is_empty() {
                    ""
                } else {
                    "; failed on "
                },
                list = failed[..shown].join(", "),
            );
        }
        text
    }
}

/// A claim's first two lines: its mark, id, `outcome` (verdict, expectation, seeds) and time;
/// its title and source.
pub fn heading(
    mark: &str,
    id: &str,
    outcome: &str,
    seconds: f64,
    title: &str,
    source: &Source,
) -> String {
    format!(
        "{mark} {id}: {outcome}, in {seconds:.1} s\n     {title} [{paper}, {location}]\n",
        id = printable(id),
        title = printable(title),
        paper = printable(&source.paper),
        location = printable(&source.location),
    )
}

/// The mark a verdict line starts with: as expected, not, inconclusive, interrupted.
pub fn mark(interrupted: bool, matches: bool, verdict: Verdict) -> &'static str {
    match (interrupted, matches, verdict) {
        (true, _, _) => "INT ",
        (false, true, _) => "ok  ",
        (false, false, Verdict::Inconclusive) => "INC ",
        (false, false, _) => "FAIL",
    }
}

/// A number for people: whole numbers (steps, ranks, true/false as 1/0) as they are, others in
/// scientific notation with 4 significant digits.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e9 {
        format!("{x}")
    } else {
        format!("{x:.3e}")
    }
}
