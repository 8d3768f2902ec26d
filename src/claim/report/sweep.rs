//! What a sweep says: each point's report, the assertions across points and the figures' data;
//! and `Report`, what any claim file gives (a plain claim's report, a sweep's or a search's).

use crate::claim::decide::across::{AcrossReport, PointValues};
use crate::claim::decide::sequential::Ending;
use crate::claim::decide::verdict;
use crate::claim::read::grid::Claim;
use crate::claim::read::parameters::Setting;
use crate::claim::read::spec::{Source, Verdict};
use crate::claim::report::claim::ClaimReport;
use crate::claim::report::figure::{FigureData, PointData};
use crate::claim::report::search::SearchReport;
use serde::Serialize;

/// The outcome of a sweep: each point's report, the assertions across points, the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepReport {
    /// The claim's name.
    pub id: String,
    /// What it claims.
    pub title: String,
    /// The file it came from.
    pub file: String,
    /// Where it comes from.
    pub source: Source,
    /// The parameters and their values.
    pub parameters: Vec<ParameterReport>,
    /// Refuted when a point or an assertion across points is, holds when all hold,
    /// inconclusive otherwise.
    pub verdict: Verdict,
    /// The verdict the claim expects.
    pub expected: Verdict,
    /// Whether the two agree (never when interrupted).
    pub matches: bool,
    /// Whether a run was stopped from outside: then the verdict decides nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Each point evaluated, in grid order (fewer than the grid's when interrupted).
    pub points: Vec<PointReport>,
    /// The assertions across points.
    pub across: Vec<AcrossReport>,
    /// The data of each figure.
    pub figures: Vec<FigureData>,
    /// Wall-clock time; left out of the JSON and of snapshots.
    #[serde(skip)]
    pub seconds: f64,
}

/// A parameter and its values, as reports show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterReport {
    /// The name.
    pub name: String,
    /// The values.
    pub values: Vec<serde_yaml::Value>,
}

/// One point's settings and its claim's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointReport {
    /// The parameters' values here.
    pub settings: Vec<Setting>,
    /// The claim's report at this point.
    pub report: ClaimReport,
}

/// What a claim file gives: a plain claim's report as before sweeps existed, or a sweep's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// A claim of one point with no figures or assertions across points.
    Claim(ClaimReport),
    /// A grid of points, assertions across them or figures.
    Sweep(SweepReport),
    /// A searched claim.
    Search(Box<SearchReport>),
}

impl SweepReport {
    /// The sweep's report from its points' reports.
    pub fn gather(claim: &Claim, points: Vec<PointReport>, seconds: f64) -> SweepReport {
        let first = claim.first();
        let interrupted =
            points.len() < claim.points.len() || points.iter().any(|p| p.report.interrupted);
        let values: Vec<PointValues> = points
            .iter()
            .map(|p| PointValues {
                settings: &p.settings,
                recorded: &p.report.recorded,
                // Runs stopped by the claim's deadline say nothing of their settings.
                usable: !p.report.interrupted
                    && p.report.ending != Ending::Time
                    && !p.report.seeds.is_empty(),
            })
            .collect();
        let across: Vec<AcrossReport> = if interrupted {
            Vec::new()
        } else {
            claim.across.iter().map(|a| a.evaluate(&values)).collect()
        };
        let data: Vec<PointData> = points
            .iter()
            .zip(&claim.points)
            .map(|(p, spec)| PointData {
                settings: &p.settings,
                recorded: &p.report.recorded,
                curves: p
                    .report
                    .runs
                    .iter()
                    .filter(|r| {
                        p.report.seeds.first() == Some(&r.seed) && !r.record.curve.is_empty()
                    })
                    .map(|r| {
                        let quantities =
                            spec.spec.curves.get(&r.run).map_or_else(Vec::new, |q| {
                                q.iter().map(|q| q.text.as_str()).collect()
                            });
                        (r.run.as_str(), (r.record.curve.as_slice(), quantities))
                    })
                    .collect(),
            })
            .collect();
        let figures = claim.figures.iter().map(|f| f.data(&data)).collect();
        let verdict = verdict::of(
            points
                .iter()
                .map(|p| verdict::as_decision(p.report.verdict))
                .chain(across.iter().map(|a| a.decision)),
            interrupted,
        );
        SweepReport {
            id: first.id.clone(),
            title: first.title.clone(),
            file: first.file.display().to_string(),
            source: first.source.clone(),
            parameters: claim
                .parameters
                .iter()
                .map(|p| ParameterReport {
                    name: p.name.clone(),
                    values: p.values.clone(),
                })
                .collect(),
            verdict,
            expected: first.verdict,
            matches: verdict == first.verdict && !interrupted,
            interrupted,
            points,
            across,
            figures,
            seconds,
        }
    }
}
