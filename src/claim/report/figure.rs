//! The data behind a claim's figures: a metric against a sweep parameter (the median over seeds
//! with the interquartile band), or quantities along a run's trajectory (the first seed of each
//! point). Drawing is `render`'s job; this module only says what is drawn.

use crate::claim::language::recorded::{self, RecordedValues, quartiles};
use crate::claim::read::figure::{Along, Figure, Kind};
use crate::claim::read::parameters::{Setting, describe, lines_along};
use crate::solver::CurveSample;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one grid point gives a figure.
pub struct PointData<'p> {
    /// The point's settings.
    pub settings: &'p [Setting],
    /// Its recorded quantities, at each of its seeds.
    pub recorded: &'p [RecordedValues],
    /// Each run's curve on the point's first seed, and the quantities it holds, in order.
    pub curves: BTreeMap<&'p str, (&'p [CurveSample], Vec<&'p str>)>,
}

/// A series as drawn: (x, y, low, high) with the band from low to high.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesData {
    /// The legend's text.
    pub label: String,
    /// Whether it has an interquartile band.
    pub band: bool,
    /// The points: x, the median (or the value), the lower and upper quartiles.
    pub points: Vec<[f64; 4]>,
}

/// A reference line as drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineData {
    /// The legend's text.
    pub label: String,
    /// Its height.
    pub y: f64,
}

/// Everything a renderer needs to draw a figure, and what a snapshot keeps of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureData {
    /// The file's name.
    pub name: String,
    /// The title.
    pub title: String,
    /// The horizontal axis's label.
    pub x_label: String,
    /// The vertical axis's label.
    pub y_label: String,
    /// Log scales.
    pub log_x: bool,
    /// Log scales.
    pub log_y: bool,
    /// The series.
    pub series: Vec<SeriesData>,
    /// The reference lines.
    pub lines: Vec<LineData>,
}

impl Figure {
    /// The data behind the figure, from the points in grid order.
    pub fn data(&self, points: &[PointData]) -> FigureData {
        let (x_label, series) = match &self.kind {
            Kind::Parameter(parameter) => {
                (parameter.clone(), self.parameter_series(parameter, points))
            }
            Kind::Trajectory(along) => {
                let label = match along {
                    Along::Step => "step",
                    Along::Time => "time",
                    Along::Loss => "loss",
                };
                (label.to_string(), self.trajectory_series(*along, points))
            }
        };
        let lines = self
            .lines
            .iter()
            .map(|(label, text)| {
                let all: Vec<f64> = points
                    .iter()
                    .flat_map(|p| recorded::values(p.recorded, text).iter().copied())
                    .collect();
                LineData {
                    label: label.clone(),
                    y: quartiles(&all)[1],
                }
            })
            .collect();
        FigureData {
            name: self.name.clone(),
            title: self.title.clone(),
            x_label,
            y_label: self.y_label.clone(),
            log_x: self.log_x,
            log_y: self.log_y,
            series,
            lines,
        }
    }

    fn parameter_series(&self, parameter: &str, points: &[PointData]) -> Vec<SeriesData> {
        // One line of the grid for each setting of the other parameters.
        let lines = lines_along(points, |p| p.settings, parameter);
        let mut series = Vec::new();
        for (fixed, line) in &lines {
            for spec in &self.series {
                let points = line
                    .iter()
                    .map(|p| {
                        let x = p
                            .settings
                            .iter()
                            .find(|s| s.name == parameter)
                            .and_then(|s| s.value.as_f64())
                            .unwrap_or(f64::NAN);
                        let [low, median, high] =
                            quartiles(recorded::values(p.recorded, &spec.quantity));
                        [x, median, low, high]
                    })
                    .collect();
                let label = if fixed.is_empty() {
                    spec.label.clone()
                } else {
                    format!("{} ({fixed})", spec.label)
                };
                series.push(SeriesData {
                    label,
                    band: true,
                    points,
                });
            }
        }
        series
    }

    fn trajectory_series(&self, along: Along, points: &[PointData]) -> Vec<SeriesData> {
        let mut series = Vec::new();
        for point in points {
            for spec in &self.series {
                let Some((samples, quantities)) = point.curves.get(spec.run.as_str()) else {
                    continue;
                };
                let Some(index) = quantities.iter().position(|q| *q == spec.quantity) else {
                    continue;
                };
                let points = samples
                    .iter()
                    .map(|s| {
                        let x = match along {
                            Along::Step => s.step as f64,
                            Along::Time => s.time.unwrap_or(f64::NAN),
                            Along::Loss => s.loss,
                        };
                        let y = s.values.get(index).copied().unwrap_or(f64::NAN);
                        [x, y, y, y]
                    })
                    .collect();
                let label = if point.settings.is_empty() {
                    spec.label.clone()
                } else {
                    format!("{} ({})", spec.label, describe(point.settings))
                };
                series.push(SeriesData {
                    label,
                    band: false,
                    points,
                });
            }
        }
        series
    }
}
