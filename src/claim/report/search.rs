//! What a searched claim says: the minimal counterexample with its decision on the claim's
//! seeds and its confirmation on disjoint ones, the point it was shrunk from and every shrink
//! candidate with its decision, the kept counterexamples and what became of them, the points
//! that held and how they covered the domain, and the bound on a false counterexample.

use crate::claim::decide::search::{self, Ending, Outcome, Replay, Stage};
use crate::claim::read::domain::Dimension;
use crate::claim::read::grid::{Claim, Searched};
use crate::claim::read::parameters::{Setting, describe, label};
use crate::claim::read::spec::{ClaimSpec, Sampling, Source, Verdict};
use crate::claim::report::claim::{ClaimReport, heading, mark};
use crate::digits::round_significant;
use crate::printable::printable;
use serde::Serialize;
use std::fmt::Write;

/// The outcome of a searched claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    /// The claim's name.
    pub id: String,
    /// What it claims.
    pub title: String,
    /// The file it came from.
    pub file: String,
    /// Where it comes from.
    pub source: Source,
    /// The domain's parameters.
    pub domain: Vec<DimensionReport>,
    /// The constraints between them.
    pub constraints: Vec<String>,
    /// The search seed, and its budgets.
    pub search: Budgets,
    /// `refuted` (a confirmed counterexample), `holds` (every point tried held) or
    /// `inconclusive` (points left open, or the budget stopped the search).
    pub verdict: Verdict,
    /// The verdict the claim expects.
    pub expected: Verdict,
    /// Whether the two agree (never when interrupted).
    pub matches: bool,
    /// Whether a run was stopped from outside: then the verdict decides nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// How the search ended.
    pub ending: Ending,
    /// P(a confirmed counterexample) when the claim holds with margin at every point, at most
    /// (2·N + K)·α·α_c with K kept counterexamples replayed (a sequential claim; a fixed
    /// block's error is its quantifier's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub false_counterexample_bound: Option<f64>,
    /// The minimal counterexample, confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// The kept counterexamples, replayed first.
    pub kept: Vec<KeptReport>,
    /// Every decision in order: kept, drawn points, shrink candidates, confirmations.
    pub trials: Vec<TrialReport>,
    /// How the points tried covered the domain.
    pub coverage: Coverage,
    /// What the search cost.
    pub spent: Spent,
    /// Wall-clock time; left out of the JSON and of snapshots.
    #[serde(skip)]
    pub seconds: f64,
}

/// A parameter of the domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionReport {
    /// Its name.
    pub name: String,
    /// Its kind and range, in words.
    pub kind: String,
    /// The value shrinking moves toward.
    pub simplest: serde_yaml::Value,
}

/// The search seed and budgets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budgets {
    /// The seed the points are drawn from.
    pub seed: u64,
    /// The most points drawn.
    pub points: usize,
    /// The most candidates one shrink decides.
    pub shrink: usize,
    /// The wall-time budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// α_c, the confirmation's level (a sequential claim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<f64>,
    /// The two parameters the figure of the points tried draws.
    pub axes: Vec<String>,
}

/// The counterexample reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterexample {
    /// Where.
    pub settings: Vec<Setting>,
    /// The drawn (or kept) point it was shrunk from.
    pub found: Vec<Setting>,
    /// The claim there on its own seeds.
    pub decided: ClaimReport,
    /// The claim there on the disjoint seeds that follow them.
    pub confirmed: ClaimReport,
    /// The claim at this point alone, ready to run (`implreg check` reproduces the refutation).
    pub claim: String,
}

/// A kept counterexample replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeptReport {
    /// Where.
    pub settings: Vec<Setting>,
    /// What became of it.
    pub replay: Replay,
}

/// One decision, as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialReport {
    /// Why it was decided.
    pub stage: Stage,
    /// Where.
    pub settings: Vec<Setting>,
    /// The verdict there.
    pub verdict: Verdict,
    /// A shrink candidate taken as the new counterexample.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub accepted: bool,
    /// The seeds its decision used.
    pub seeds: usize,
    /// Seeds whose runs the store lacked (`merge`: another round of shards is needed).
    #[serde(skip_serializing_if = "is_zero")]
    pub missing: usize,
    /// Why the point could not be read, when it could not (a shrink candidate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How the points tried covered the domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Drawn points decided.
    pub points: usize,
    /// Among them, those that held on their own seeds.
    pub held: usize,
    /// Those refuted on their own seeds whose confirmation (of the point, or of its shrunk
    /// form) held on the disjoint seeds: not counterexamples, and not points that held.
    pub unconfirmed: usize,
    /// Draws the constraints rejected before the points were found.
    pub rejected_draws: usize,
    /// Per parameter, the values the drawn points took: `min..max`, or the choices seen.
    pub ranges: Vec<(String, String)>,
}

/// What a search cost: decisions, the seeds they drew, the runs on those seeds (solved or
/// reused from the store).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spent {
    /// Points decided (drawn, kept, shrink candidates, confirmations).
    pub decisions: usize,
    /// Seeds drawn over all of them.
    pub seeds: usize,
    /// Runs on those seeds.
    pub runs: usize,
}

/// What the run layer keeps of one decision: the point's report (its runs only when it
/// refuted), or why the point could not be read.
pub type Detail = Result<ClaimReport, String>;

impl SearchReport {
    /// The report of `claim`'s search from its outcome.
    pub fn gather(
        claim: &Claim,
        searched: &Searched,
        outcome: Outcome<Detail>,
        seconds: f64,
    ) -> Self {
        let first = claim.first();
        let spec = &searched.spec;
        let confirm = match first.sampling {
            Sampling::Sequential(errors) => Some(spec.confirm.unwrap_or(errors.alpha)),
            Sampling::Fixed => None,
        };
        let alpha = match first.sampling {
            Sampling::Sequential(errors) => Some(errors.alpha),
            Sampling::Fixed => None,
        };
        let interrupted = outcome
            .trials
            .iter()
            .any(|t| t.detail.as_ref().is_ok_and(|r| r.interrupted));
        let verdict = outcome.verdict();
        let replayed = outcome.replayed();
        let counterexample = found_counterexample(first, searched, &outcome);
        let trials: Vec<TrialReport> = outcome
            .trials
            .iter()
            .map(|t| TrialReport {
                stage: t.stage,
                settings: t.settings.clone(),
                verdict: t.verdict,
                accepted: t.accepted,
                seeds: t.detail.as_ref().map_or(0, |r| r.seeds.len()),
                missing: t.detail.as_ref().map_or(0, |r| r.missing.len()),
                error: t.detail.as_ref().err().cloned(),
            })
            .collect();
        let coverage = Coverage::of(&trials, outcome.points, searched);
        let seeds: usize = trials.iter().map(|t| t.seeds).sum();
        let spent = Spent {
            decisions: trials.len(),
            seeds,
            runs: seeds * first.runs.len(),
        };
        SearchReport {
            id: first.id.clone(),
            title: first.title.clone(),
            file: first.file.display().to_string(),
            source: first.source.clone(),
            domain: spec
                .domain
                .dimensions
                .iter()
                .map(DimensionReport::of)
                .collect(),
            constraints: spec
                .domain
                .constraints
                .iter()
                .map(|c| c.text.clone())
                .collect(),
            search: Budgets {
                seed: spec.seed,
                points: spec.points,
                shrink: spec.shrink,
                seconds: spec.seconds,
                confirm,
                axes: spec.axes.clone(),
            },
            verdict,
            expected: first.verdict,
            matches: verdict == first.verdict && !interrupted,
            interrupted,
            ending: outcome.ending,
            false_counterexample_bound: alpha
                .zip(confirm)
                .map(|(a, c)| search::false_counterexample_bound(spec.points, replayed, a, c)),
            counterexample,
            kept: outcome
                .kept
                .into_iter()
                .map(|(settings, replay)| KeptReport { settings, replay })
                .collect(),
            trials,
            coverage,
            spent,
            seconds,
        }
    }

    /// The kept counterexamples' replays, then the counterexample with its decision and
    /// confirmation.
    fn kept_and_found(&self) -> String {
        let mut text = String::new();
        for kept in &self.kept {
            let what = match kept.replay {
                Replay::Refutes => "still refutes",
                Replay::Unconfirmed => "refuted, but not on the disjoint seeds",
                Replay::NoLongerRefutes => {
                    "no longer refutes (fixed, or the claim now holds there)"
                }
                Replay::OutsideDomain => "outside the domain or its constraints now: not run",
            };
            let _ = writeln!(
                text,
                "     kept counterexample {}: {what}",
                printable(&describe(&kept.settings))
            );
        }
        if let Some(c) = &self.counterexample {
            let _ = writeln!(
                text,
                "     counterexample: {}",
                printable(&describe(&c.settings))
            );
            if c.found != c.settings {
                let _ = writeln!(
                    text,
                    "       shrunk from {}",
                    printable(&describe(&c.found))
                );
            }
            let _ = writeln!(
                text,
                "       decided {} on {}",
                c.decided.verdict,
                c.decided.seed_words()
            );
            text += &c.decided.timed_out("         ");
            text += &c.decided.assertion_lines("         ");
            let _ = writeln!(
                text,
                "       confirmed {} on the disjoint {}",
                c.confirmed.verdict,
                c.confirmed.seed_words()
            );
        }
        text
    }

    /// How many points held and what they covered; that holding is no proof.
    fn coverage_lines(&self) -> String {
        let mut text = String::new();
        let covered: Vec<String> = self
            .coverage
            .ranges
            .iter()
            .map(|(name, range)| format!("{name} {range}"))
            .collect();
        if self.coverage.points > 0 {
            let _ = writeln!(
                text,
                "     {} of {} points drawn held{}; they covered {}; drawing the {} points, the constraints rejected {} draws",
                self.coverage.held,
                self.coverage.points,
                match self.coverage.unconfirmed {
                    0 => String::new(),
                    n => format!(", {n} more refuted on their seeds but not on the disjoint ones"),
                },
                printable(&covered.join(", ")),
                self.search.points,
                self.coverage.rejected_draws
            );
        }
        if self.counterexample.is_none() && self.verdict == Verdict::Holds {
            text += "     no counterexample in these points: evidence at the points tried, not a proof over the domain\n";
        }
        text
    }

    /// The search as it went, past the points that held (the coverage sums those up): each
    /// point not held, the candidates its shrink decided (→ where one was simpler and still
    /// refuted) and each confirmation on the disjoint seeds.
    fn search_log(&self) -> String {
        let mut text = String::new();
        for trial in &self.trials {
            let described = describe(&trial.settings);
            let at = printable(&described);
            let error = trial
                .error
                .as_ref()
                .map_or(String::new(), |e| format!(" ({})", printable(e)));
            let _ = match trial.stage {
                Stage::Kept => Ok(()),
                Stage::Search if trial.verdict == Verdict::Holds => Ok(()),
                Stage::Search => writeln!(text, "     point {at}: {}{error}", trial.verdict),
                Stage::Shrink => writeln!(
                    text,
                    "       {} shrink candidate {at}: {}{error}",
                    if trial.accepted { "→" } else { " " },
                    trial.verdict,
                ),
                Stage::Confirm => writeln!(
                    text,
                    "       confirming {at} on disjoint seeds: {}{error}",
                    trial.verdict
                ),
            };
        }
        text
    }

    /// A verdict line, the counterexample and its confirmation, the shrink path, the kept
    /// counterexamples, the points that held and the coverage.
    pub fn to_text(&self) -> String {
        let verdict = if self.interrupted {
            "interrupted (by Ctrl-C, or runs missing from the store), no verdict".to_string()
        } else {
            self.verdict.to_string()
        };
        let shrunk = self
            .trials
            .iter()
            .filter(|t| t.stage == Stage::Shrink)
            .count();
        let mut text = heading(
            mark(self.interrupted, self.matches, self.verdict),
            &self.id,
            &format!(
                "{verdict} (expected {}){} searching {} of {} points, {shrunk} shrink candidates",
                self.expected,
                match self.kept.len() {
                    0 => String::new(),
                    n => format!(
                        " replaying {n} kept counterexample{},",
                        if n == 1 { "" } else { "s" }
                    ),
                },
                self.coverage.points,
                self.search.points
            ),
            self.seconds,
            &self.title,
            &self.source,
        );
        text += &self.kept_and_found();
        text += &self.search_log();
        text += &self.coverage_lines();
        let _ = writeln!(
            text,
            "     spent {} decisions, {} seeds, {} runs",
            self.spent.decisions, self.spent.seeds, self.spent.runs
        );
        if let Some(bound) = self.false_counterexample_bound {
            let replayed = self.kept.iter().any(|k| k.replay != Replay::OutsideDomain);
            let formula = if replayed {
                "(2·N + K)·α·α_c"
            } else {
                "2·N·α·α_c"
            };
            let _ = writeln!(
                text,
                "     P(a false counterexample) ≤ {formula} = {} when the claim holds with margin everywhere",
                round_significant(bound, 2)
            );
        }
        text
    }

    /// The claim reports inside: the counterexample's decision and confirmation.
    pub fn points(&self) -> Vec<(String, &ClaimReport)> {
        self.counterexample
            .iter()
            .flat_map(|c| {
                let at = describe(&c.settings);
                [
                    (at.clone(), &c.decided),
                    (format!("{at} (confirmation)"), &c.confirmed),
                ]
            })
            .collect()
    }
}

/// The confirmed counterexample of `outcome`, with the point it was shrunk from and its claim
/// written alone.
fn found_counterexample(
    first: &ClaimSpec,
    searched: &Searched,
    outcome: &Outcome<Detail>,
) -> Option<Counterexample> {
    let (at, confirmed) = outcome.counterexample?;
    let found = outcome.trials[..=at]
        .iter()
        .rev()
        .find(|t| matches!(t.stage, Stage::Search | Stage::Kept))
        .map_or_else(Vec::new, |t| t.settings.clone());
    let report = |k: usize| {
        outcome.trials[k]
            .detail
            .clone()
            .expect("a refuted point was read")
    };
    let settings = &outcome.trials[at].settings;
    Some(Counterexample {
        settings: settings.clone(),
        found,
        decided: report(at),
        confirmed: report(confirmed),
        claim: format!(
            "# The counterexample implreg's search of `{}` confirmed, at {}; checked alone,\n# this claim is refuted.\n{}",
            first.id,
            describe(settings),
            searched.template.standalone(settings, "refuted")
        ),
    })
}

impl Coverage {
    /// How the drawn points among `trials` (`points` of them decided) covered the domain.
    fn of(trials: &[TrialReport], points: usize, searched: &Searched) -> Self {
        let drawn: Vec<&TrialReport> = trials.iter().filter(|t| t.stage == Stage::Search).collect();
        Coverage {
            points,
            held: drawn.iter().filter(|t| t.verdict == Verdict::Holds).count(),
            unconfirmed: drawn
                .iter()
                .filter(|t| {
                    t.verdict == Verdict::Refuted
                        && last_verdict(trials, &t.settings) == Verdict::Holds
                })
                .count(),
            rejected_draws: searched.rejected,
            // No points drawn (a kept counterexample refuted first) cover nothing.
            ranges: searched
                .spec
                .domain
                .dimensions
                .iter()
                .enumerate()
                .filter(|_| !drawn.is_empty())
                .map(|(k, d)| {
                    (
                        d.name.clone(),
                        range(drawn.iter().map(|t| &t.settings[k].value)),
                    )
                })
                .collect(),
        }
    }
}

impl DimensionReport {
    fn of(d: &Dimension) -> Self {
        DimensionReport {
            name: d.name.clone(),
            kind: d.describe(),
            simplest: d.simplest.clone(),
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The last verdict decided at `settings` outside shrinking (a confirmation's, if any).
fn last_verdict(trials: &[TrialReport], settings: &[Setting]) -> Verdict {
    trials
        .iter()
        .rev()
        .find(|t| t.stage != Stage::Shrink && t.settings == settings)
        .map_or(Verdict::Inconclusive, |t| t.verdict)
}

/// `min..max` of numbers, or the distinct values seen in order.
fn range<'v>(values: impl Iterator<Item = &'v serde_yaml::Value>) -> String {
    let values: Vec<&serde_yaml::Value> = values.collect();
    let numbers: Option<Vec<f64>> = values.iter().map(|v| v.as_f64()).collect();
    match numbers {
        Some(n) if !n.is_empty() => {
            let low = n.iter().copied().fold(f64::INFINITY, f64::min);
            let high = n.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{low}..{high}")
        }
        _ => {
            let mut seen: Vec<String> = Vec::new();
            for v in values {
                let v = label(v);
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            format!("{{{}}}", seen.join(", "))
        }
    }
}
