//! A claim as a grid of points: each point is an ordinary claim (`ClaimSpec`) read from the
//! file with the sweep's `$name`s replaced by the point's values (`parameters`), and decided on
//! its own seeds as any claim is; then the assertions across points are judged and the figures'
//! data gathered. A claim without `sweep` is a grid of one point.

use super::across::{AcrossReport, PointValues};
use super::budget::Limits;
use super::decide::Decision;
use super::evaluate::{Context, evaluate_in, measure_in};
use super::figure::{FigureData, PointData};
use super::locate;
use super::parameters::{self, Misuse, Parameter, Setting};
use super::report::ClaimReport;
use super::source;
use super::spec::{ClaimSpec, Seeds, Source, SpecError, Verdict};
use super::spec_errors::yaml_error;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// The most text all the points of a grid may add up to (points × the file's length).
pub const MAX_GRID_TEXT: usize = 64 << 20;

/// Each point's limits: the work is shared by the points, the memory is not (they run in turn).
fn shared(limits: Limits, points: usize) -> Limits {
    Limits {
        work: limits.work / points as f64,
        ..limits
    }
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The parameters' values here (none for a plain claim).
    pub settings: Vec<Setting>,
    /// The claim at this point.
    pub spec: ClaimSpec,
}

/// A validated claim: its parameters and the claim at each point of their grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The sweep's parameters, in the order declared (none for a plain claim).
    pub parameters: Vec<Parameter>,
    /// The points in grid order (the last parameter varying fastest); at least one.
    pub points: Vec<Point>,
}

impl Claim {
    /// The claim at its first point: its id, title, source, file, expected verdict, the
    /// assertions across points and the figures, which every point shares.
    pub fn first(&self) -> &ClaimSpec {
        &self.points[0].spec
    }

    /// Whether it reports as a sweep (parameters, assertions across points or figures) rather
    /// than as one claim.
    pub fn is_sweep(&self) -> bool {
        let first = self.first();
        !self.parameters.is_empty() || !first.across.is_empty() || !first.figures.is_empty()
    }

    /// Reads and validates a claim file whose estimated cost fits `limits`.
    pub fn load_within(file: &Path, limits: Limits) -> Result<Claim, SpecError> {
        let text = source::read(file).map_err(|reason| SpecError::Unreadable {
            file: file.to_path_buf(),
            reason,
        })?;
        Self::parse_within(&text, file, limits)
    }

    /// Reads and validates a claim file within the default limits.
    pub fn load(file: &Path) -> Result<Claim, SpecError> {
        Self::load_within(file, Limits::default())
    }

    /// Validates the text of a claim, every point of its grid; an error at a point names the
    /// point and the place in the file where the parameter is used. The work limit is shared
    /// by the points (they run one after the other, so memory is not).
    pub fn parse_within(text: &str, file: &Path, limits: Limits) -> Result<Claim, SpecError> {
        let text = super::spec::scanned(text, file)?;
        let at = |field: &str| locate::locate(text, &locate::parse_path(field));
        let misuse = |m: Misuse| SpecError::Invalid {
            file: file.to_path_buf(),
            line: m.line,
            column: m.column,
            field: m.field,
            expected: m.expected,
        };
        let parameters = parameters::declared(text, &at).map_err(|e| match e {
            Ok(m) => misuse(m),
            Err(yaml) => yaml_error(&yaml, file),
        })?;
        let uses = parameters::uses(text);
        parameters::check_uses(&uses, &parameters, &at).map_err(misuse)?;
        let grid = parameters::grid(&parameters);
        // Every point's text is read in full: bound the total so that reading stays quick.
        if grid.len().saturating_mul(text.len()) > MAX_GRID_TEXT {
            let (line, column) = at("sweep");
            return Err(SpecError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: "sweep".into(),
                expected: format!(
                    "a grid whose points' texts add up to at most {} MiB; {} points of {} bytes",
                    MAX_GRID_TEXT >> 20,
                    grid.len(),
                    text.len()
                ),
            });
        }
        let share = shared(limits, grid.len());
        let mut points = Vec::with_capacity(grid.len());
        for settings in grid {
            let (substituted, map) =
                parameters::substitute(text, &uses, &settings).map_err(misuse)?;
            let spec = ClaimSpec::parse_point(&substituted, file, share, &parameters).map_err(
                |error| match error {
                    SpecError::Invalid {
                        file,
                        line,
                        column,
                        field,
                        expected,
                    } if !settings.is_empty() => SpecError::Invalid {
                        // `across` and figures span the grid: no point to name.
                        expected: if field.starts_with("across") || field.starts_with("figures") {
                            expected
                        } else {
                            format!(
                                "{expected} (at the sweep point {})",
                                parameters::describe(&settings)
                            )
                        },
                        file,
                        line,
                        column: map.column(line, column),
                        field,
                    },
                    other => other,
                },
            )?;
            points.push(Point { settings, spec });
        }
        Ok(Claim { parameters, points })
    }

    /// Validates the text of a claim within the default limits.
    pub fn parse(text: &str, file: &Path) -> Result<Claim, SpecError> {
        Self::parse_within(text, file, Limits::default())
    }

    /// Checks every point for `ClaimSpec::check_seeds` and `check_cost` (with the work limit
    /// shared by the points), on the seeds `seeds_for` gives each.
    pub fn check_seeds(
        &self,
        seeds_for: impl Fn(&ClaimSpec) -> Seeds,
        limits: Limits,
    ) -> Result<(), SpecError> {
        let share = shared(limits, self.points.len());
        for point in &self.points {
            let seeds = seeds_for(&point.spec);
            point.spec.check_seeds(seeds)?;
            point.spec.check_cost(seeds, share)?;
        }
        Ok(())
    }
}

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
    /// Anything else.
    Sweep(SweepReport),
}

/// Evaluates every point of `claim` (on `seeds` when given, per point as `evaluate` does),
/// then the assertions across points and the figures' data. `on_point` hears of each point as
/// it starts (its index and the number of points); `context.on_run` of each run as it finishes. Stops
/// after the point under way once the context's token is cancelled.
pub fn evaluate(
    claim: &Claim,
    seeds: impl Fn(&ClaimSpec) -> Option<Seeds>,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
) -> Report {
    each_point(claim, context, on_point, |spec, context| {
        evaluate_in(spec, seeds(spec), context)
    })
}

/// Counts every assertion of every point over exactly the seeds of `block`, deciding nothing
/// (`evaluate::measure`), then judges the assertions across points and gathers the figures on
/// those seeds: how a sweep's rates are measured before they are claimed.
pub fn measure(
    claim: &Claim,
    block: Seeds,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
) -> Report {
    each_point(claim, context, on_point, |spec, context| {
        measure_in(spec, block, context)
    })
}

/// Runs `point` at every point in grid order (stopping after the one under way once the
/// context's token is cancelled) and gives the claim's report.
fn each_point(
    claim: &Claim,
    context: &Context,
    on_point: &dyn Fn(usize, usize),
    point: impl Fn(&ClaimSpec, &Context) -> ClaimReport,
) -> Report {
    let started = Instant::now();
    // The work limit is shared by the points, as when the claim was read.
    let mut share = context.clone();
    share.bounds.work = context.bounds.work.map(|w| w / claim.points.len() as f64);
    let mut points = Vec::with_capacity(claim.points.len());
    for (k, spec) in claim.points.iter().enumerate() {
        if k > 0 && context.bounds.cancel.is_cancelled() {
            break;
        }
        on_point(k, claim.points.len());
        points.push(PointReport {
            settings: spec.settings.clone(),
            report: point(&spec.spec, &share),
        });
    }
    if !claim.is_sweep() {
        let only = points.pop().expect("a claim has at least one point");
        return Report::Claim(only.report);
    }
    Report::Sweep(gather(claim, points, started.elapsed().as_secs_f64()))
}

/// The sweep's report from its points' reports.
fn gather(claim: &Claim, points: Vec<PointReport>, seconds: f64) -> SweepReport {
    let first = claim.first();
    let interrupted =
        points.len() < claim.points.len() || points.iter().any(|p| p.report.interrupted);
    let values: Vec<PointValues> = points
        .iter()
        .map(|p| PointValues {
            settings: &p.settings,
            recorded: &p.report.recorded,
            usable: !p.report.interrupted && !p.report.seeds.is_empty(),
        })
        .collect();
    let across: Vec<AcrossReport> = if interrupted {
        Vec::new()
    } else {
        first.across.iter().map(|a| a.evaluate(&values)).collect()
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
                .filter(|r| p.report.seeds.first() == Some(&r.seed) && !r.record.curve.is_empty())
                .map(|r| {
                    let quantities = spec
                        .spec
                        .curves
                        .get(&r.run)
                        .map_or_else(Vec::new, |q| q.iter().map(|q| q.text.as_str()).collect());
                    (r.run.as_str(), (r.record.curve.as_slice(), quantities))
                })
                .collect(),
        })
        .collect();
    let figures = first.figures.iter().map(|f| f.data(&data)).collect();
    let verdicts = points.iter().map(|p| p.report.verdict);
    let decisions: Vec<Decision> = across.iter().map(|a| a.decision).collect();
    let refuted =
        verdicts.clone().any(|v| v == Verdict::Refuted) || decisions.contains(&Decision::Refuted);
    let holds = verdicts.clone().all(|v| v == Verdict::Holds)
        && decisions.iter().all(|d| *d == Decision::Holds);
    let verdict = if refuted {
        Verdict::Refuted
    } else if holds && !interrupted {
        Verdict::Holds
    } else {
        Verdict::Inconclusive
    };
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
