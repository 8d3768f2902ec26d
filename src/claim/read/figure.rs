//! Figures a claim asks for, and the data behind them: a metric against a sweep parameter (one
//! series per run; the median over seeds with the interquartile band), or quantities along a
//! run's trajectory against its step, time or loss (the first seed of each point, sampled a
//! hundred times a decade: `solver::curve`), with optional horizontal reference lines. Drawing
//! is `render`'s job; this module only says what is drawn.

use crate::claim::language::expr::Scope;
use crate::claim::language::recorded::{self, FieldError, Place, Recorded};
use crate::claim::read::parameters::{Parameter, names};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// The most figures a claim may ask for, and series a figure may draw.
pub const MAX_FIGURES: usize = 32;
/// See `MAX_FIGURES`.
pub const MAX_SERIES: usize = 64;

/// A figure as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFigure {
    /// Its name: the file's, with letters, digits, `-` and `_`.
    pub name: String,
    /// Its title.
    pub title: String,
    /// A sweep parameter, or `step`, `time` or `loss` for a trajectory.
    pub x: String,
    /// Metrics drawn for each run (`test_mse`) or quantities naming their runs
    /// (`rel_distance(limit, l1)`), or along a trajectory, quantities of the run's own matrix
    /// (`sigma(1)`, `abs(entry(0, 0))`).
    pub y: Vec<String>,
    /// The runs drawn; all of them by default.
    pub runs: Option<Vec<String>>,
    /// The axes drawn on a log scale: `[x]`, `[y]`, `[x, y]`.
    #[serde(default)]
    pub log: Vec<Axis>,
    /// The y axis's label; the metrics by default.
    pub y_label: Option<String>,
    /// Horizontal reference lines.
    #[serde(default)]
    pub lines: Vec<RawLine>,
}

/// An axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// The horizontal axis.
    X,
    /// The vertical axis.
    Y,
}

/// A horizontal reference line as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLine {
    /// Its label.
    pub label: String,
    /// A number or a quantity of the runs' ends or the truth (`truth.sigma(1)`,
    /// `nuclear.test_mse`): its median over the seeds drawn.
    #[serde(deserialize_with = "text_or_number")]
    pub y: String,
}

fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_yaml::Value::deserialize(deserializer)? {
        serde_yaml::Value::String(s) => Ok(s),
        serde_yaml::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom(
            "a number or a quantity such as `truth.sigma(1)`",
        )),
    }
}

/// What a trajectory is drawn against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Along {
    /// The step.
    Step,
    /// Σ of the step sizes (GD) or t (flow).
    Time,
    /// The run's loss.
    Loss,
}

/// What a figure's horizontal axis is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A sweep parameter with numbers for values.
    Parameter(String),
    /// A trajectory, against its step, time or loss.
    Trajectory(Along),
}

/// One series: a label and what it reads (`run.metric`, or a run and a curve's index).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    /// Its label.
    pub label: String,
    /// The run (empty for a quantity naming its own runs).
    pub run: String,
    /// The recorded quantity (`Parameter`) or the curve's quantity (`Trajectory`).
    pub quantity: String,
}

/// A checked figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Its horizontal axis.
    pub kind: Kind,
    /// Its series (at each point, for a trajectory; for each line of the grid, for a parameter).
    pub series: Vec<SeriesSpec>,
    /// Reference lines: label and recorded quantity.
    pub lines: Vec<(String, String)>,
    /// Log scales.
    pub log_x: bool,
    /// Log scales.
    pub log_y: bool,
    /// The y axis's label.
    pub y_label: String,
}

impl RawFigure {
    /// Checks figure `k`; adds what it needs at every seed to `record`, and along each run to
    /// `curves`.
    pub fn check(
        &self,
        k: usize,
        parameters: &[Parameter],
        scope: &Scope,
        record: &mut Vec<Recorded>,
        curves: &mut BTreeMap<String, Vec<Recorded>>,
    ) -> Result<Figure, FieldError> {
        let field = |name: &str| format!("figures[{k}].{name}");
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            return Err(FieldError::field(
                field("name"),
                "a file name of at most 64 letters, digits, `-` and `_`",
            ));
        }
        if self.title.trim().is_empty() {
            return Err(FieldError::field(field("title"), "a non-empty text"));
        }
        let kind = self.kind(parameters, &field)?;
        let runs = self.runs(k, scope)?;
        let series = self.series(k, &kind, &runs, scope, record, curves)?;
        let mut lines = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let quantity = recorded::quantity(
                &format!("figures[{k}].lines[{i}].y"),
                &line.y,
                scope,
                Place::End,
            )?;
            lines.push((line.label.clone(), quantity.text.clone()));
            recorded::add(record, quantity);
        }
        let y_label = self.y_label.clone().unwrap_or_else(|| {
            self.y
                .iter()
                .map(|y| y.trim())
                .collect::<Vec<_>>()
                .join(", ")
        });
        Ok(Figure {
            name: self.name.clone(),
            title: self.title.clone(),
            kind,
            series,
            lines,
            log_x: self.log.contains(&Axis::X),
            log_y: self.log.contains(&Axis::Y),
            y_label,
        })
    }

    /// What the x axis is: a trajectory's step, time or loss, or a numeric sweep parameter.
    fn kind(
        &self,
        parameters: &[Parameter],
        field: &dyn Fn(&str) -> String,
    ) -> Result<Kind, FieldError> {
        let parameter = parameters.iter().find(|p| p.name == self.x);
        Ok(match (self.x.as_str(), parameter) {
            ("step" | "time" | "loss", Some(_)) => {
                return Err(FieldError::field(
                    field("x"),
                    format!(
                        "`{}` names both a trajectory axis and a parameter: rename the parameter",
                        self.x
                    ),
                ));
            }
            ("step", None) => Kind::Trajectory(Along::Step),
            ("time", None) => Kind::Trajectory(Along::Time),
            ("loss", None) => Kind::Trajectory(Along::Loss),
            (_, Some(p)) if p.numbers().is_none() => {
                return Err(FieldError::field(
                    field("x"),
                    format!(
                        "a parameter whose values are all numbers; `{}` has others",
                        p.name
                    ),
                ));
            }
            (_, Some(p)) => Kind::Parameter(p.name.clone()),
            (x, None) => {
                return Err(FieldError::field(
                    field("x"),
                    format!(
                        "`step`, `time` or `loss` (a trajectory) or a sweep parameter ({}); found `{x}`",
                        names(parameters)
                    ),
                ));
            }
        })
    }

    /// The runs drawn: those named, each a run of the claim, or all of them.
    fn runs(&self, k: usize, scope: &Scope) -> Result<Vec<String>, FieldError> {
        let all: Vec<String> = scope.runs.iter().map(|(n, _)| n.to_string()).collect();
        let runs = self.runs.clone().unwrap_or(all.clone());
        if runs.is_empty() {
            return Err(FieldError::field(
                format!("figures[{k}].runs"),
                "at least one run",
            ));
        }
        for (i, run) in runs.iter().enumerate() {
            if !all.contains(run) {
                return Err(FieldError::field(
                    format!("figures[{k}].runs[{i}]"),
                    format!("a run of this claim ({}); found `{run}`", all.join(", ")),
                ));
            }
        }
        Ok(runs)
    }

    /// The series drawn, recording what each needs. Against a parameter, a quantity that
    /// names its own runs (`rel_distance(limit, l1)`, `limit.relative_error`) is one series; a
    /// bare metric is one for each run.
    fn series(
        &self,
        k: usize,
        kind: &Kind,
        runs: &[String],
        scope: &Scope,
        record: &mut Vec<Recorded>,
        curves: &mut BTreeMap<String, Vec<Recorded>>,
    ) -> Result<Vec<SeriesSpec>, FieldError> {
        if self.y.is_empty() {
            return Err(FieldError::field(
                format!("figures[{k}].y"),
                "at least one quantity",
            ));
        }
        let too_many = |count: usize| {
            FieldError::field(
                format!("figures[{k}].y"),
                format!("at most {MAX_SERIES} series (runs × quantities); these give {count}"),
            )
        };
        // Counted before any is read or built: each quantity is at least one series.
        if self.y.len() > MAX_SERIES {
            return Err(too_many(self.y.len()));
        }
        let mut own = Vec::new();
        let mut each_run = Vec::new();
        for (i, y) in self.y.iter().enumerate() {
            let at = format!("figures[{k}].y[{i}]");
            match kind {
                Kind::Parameter(_) => match recorded::quantity(&at, y, scope, Place::End) {
                    Ok(quantity) => own.push(quantity),
                    Err(_) => each_run.push((at, y)),
                },
                Kind::Trajectory(_) => each_run.push((at, y)),
            }
        }
        let count = runs.len().saturating_mul(each_run.len()) + own.len();
        if count > MAX_SERIES {
            return Err(too_many(count));
        }
        let mut series = Vec::new();
        for run in runs {
            for (at, y) in &each_run {
                let label = match (runs.len(), each_run.len()) {
                    (_, 1) => run.clone(),
                    (1, _) => y.trim().to_string(),
                    _ => format!("{run}: {}", y.trim()),
                };
                let quantity = match kind {
                    Kind::Parameter(_) => {
                        let quantity = of_run(at, run, y, scope)?;
                        let text = quantity.text.clone();
                        recorded::add(record, quantity);
                        text
                    }
                    Kind::Trajectory(_) => {
                        let quantity = recorded::quantity(at, y, scope, Place::AlongRun(run))?;
                        let text = quantity.text.clone();
                        recorded::add(curves.entry(run.clone()).or_default(), quantity);
                        text
                    }
                };
                series.push(SeriesSpec {
                    label,
                    run: run.clone(),
                    quantity,
                });
            }
        }
        for quantity in own {
            series.push(SeriesSpec {
                label: quantity.text.clone(),
                run: String::new(),
                quantity: quantity.text.clone(),
            });
            recorded::add(record, quantity);
        }
        Ok(series)
    }
}

/// A bare metric `y` of `run` at its end (`run.y`), its errors located within `y`.
fn of_run(at: &str, run: &str, y: &str, scope: &Scope) -> Result<Recorded, FieldError> {
    recorded::quantity(at, &format!("{run}.{}", y.trim()), scope, Place::End).map_err(|e| match e {
        FieldError::Expression(f, _, mut error) => {
            // The column within `y`, not within `run.y`.
            error.column = error.column.saturating_sub(run.len() + 1).max(1);
            FieldError::Expression(f, y.trim().to_string(), error)
        }
        other => other,
    })
}
