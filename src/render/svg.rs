//! A figure's data drawn as SVG with plotters' SVG backend: no system fonts (text is left to
//! the viewer's sans-serif), and the same bytes for the same data. Log axes are drawn as
//! log₁₀ of the data on linear axes, labelled at whole decades.

use crate::claim::report::figure::{FigureData, SeriesData};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// The figure's size in pixels.
pub const SIZE: (u32, u32) = (760, 460);

/// Distinct colours for series (Okabe–Ito, readable with colour-blindness), then greys.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

/// The figure as an SVG document.
pub fn svg(figure: &FigureData) -> String {
    let mut out = String::new();
    // Drawing into a string fails only on a bug in the data's ranges, which `bounds` excludes.
    let _ = draw(figure, &mut out);
    out
}

/// A value as drawn on an axis: log₁₀ for a log axis, NaN where it cannot be drawn.
fn scaled(x: f64, log: bool) -> f64 {
    match (log, x.is_finite()) {
        (_, false) => f64::NAN,
        (true, _) if x <= 0.0 => f64::NAN,
        (true, _) => x.log10(),
        (false, _) => x,
    }
}

/// The range to draw: the finite values with a margin, or (0, 1) when there are none.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if low > high {
        return (0.0, 1.0);
    }
    let pad = if high > low { (high - low) * 0.05 } else { 0.5 };
    (low - pad, high + pad)
}

/// The corner the legend covers least data in (see `least_covered_corner`).
fn legend_corner(figure: &FigureData, x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let points: Vec<(f64, f64)> = figure
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|p| {
            let px = (scaled(p[0], figure.log_x) - x.0) / (x.1 - x.0);
            let py = (scaled(p[1], figure.log_y) - y.0) / (y.1 - y.0);
            (px, py)
        })
        .collect();
    least_covered_corner(&points, figure.series.len() + figure.lines.len())
}

/// The corner a legend of `entries` lines covers fewest of `points` (each in 0..1 across
/// the plot from its lower left) in: upper right unless another has fewer (the legend spans
/// about 30 % of the width and, a line per entry, of the height).
pub(super) fn least_covered_corner(points: &[(f64, f64)], entries: usize) -> SeriesLabelPosition {
    let height = (0.06 * entries as f64 + 0.04).min(0.9);
    let covered = |right: bool, upper: bool| {
        points
            .iter()
            .filter(|(px, py)| px.is_finite() && py.is_finite())
            .filter(|(px, py)| {
                let across = if right { *px >= 0.68 } else { *px <= 0.32 };
                let down = if upper {
                    *py >= 1.0 - height
                } else {
                    *py <= height
                };
                across && down
            })
            .count()
    };
    [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ]
    .into_iter()
    .min_by_key(|(_, right, upper)| covered(*right, *upper))
    .map_or(SeriesLabelPosition::UpperRight, |(corner, _, _)| corner)
}

/// An f64 axis marked where `marks` says (plotters' own `WithKeyPoints` over f64 has no
/// formatter for the mesh; labels come from `tick` through the mesh's label formatters).
struct Marked {
    range: RangedCoordf64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Marked {
    type ValueType = f64;
    type FormatOption = NoDefaultFormatting;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.range()
    }
}

impl ValueFormatter<f64> for Marked {
    fn format(value: &f64) -> String {
        tick(*value, false)
    }
}

/// Where an axis from `low` to `high` is marked (bold, with labels) and lined (light): whole
/// decades and the 2…9 between them on a log axis; round steps (1, 2 or 5 × 10ᵏ, at most ten)
/// and fifths of them otherwise.
fn marks(low: f64, high: f64, log: bool) -> (Vec<f64>, Vec<f64>) {
    let within = |v: &f64| *v >= low && *v <= high;
    if log {
        let decades = (low.floor() as i64..=high.ceil() as i64).map(|d| d as f64);
        let bold: Vec<f64> = decades.clone().filter(within).collect();
        let light = decades
            .flat_map(|d| (2..10).map(move |k| d + f64::from(k).log10()))
            .filter(within)
            .collect();
        return (bold, light);
    }
    let span = (high - low).max(f64::MIN_POSITIVE);
    let unit = 10f64.powf((span / 10.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * unit)
        .find(|step| span / step <= 10.0)
        .unwrap_or(10.0 * unit);
    let grid = |step: f64| -> Vec<f64> {
        let first = (low / step).ceil() as i64;
        let last = (high / step).floor() as i64;
        (first..=last).map(|k| k as f64 * step).collect()
    };
    (grid(step), grid(step / 5.0))
}

/// A tick label: a decade as `1e-3` on a log axis (nothing between decades), a plain number
/// otherwise.
/// A parameter's value as its tick's label: `0.3`, `2000`, `1e-4`.
fn value_label(x: f64) -> String {
    let x = crate::digits::round_significant(x, 3);
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:e}")
    } else {
        let text = format!("{x:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn tick(v: f64, log: bool) -> String {
    if log {
        if (v - v.round()).abs() < 1e-9 {
            format!("1e{}", v.round() as i64)
        } else {
            String::new()
        }
    } else if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.0e}")
    } else {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The plotted ranges and the marks of both axes; a parameter's axis is marked at its values,
/// others at decades or round numbers.
struct Axes {
    x: (f64, f64),
    y: (f64, f64),
    x_marks: (Vec<f64>, Vec<f64>),
    y_marks: (Vec<f64>, Vec<f64>),
    parameter: bool,
}

impl Axes {
    fn of(figure: &FigureData) -> Self {
        let (log_x, log_y) = (figure.log_x, figure.log_y);
        let xs = || {
            figure
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| scaled(p[0], log_x)))
        };
        let ys = figure
            .series
            .iter()
            .flat_map(|s| {
                s.points
                    .iter()
                    .flat_map(|p| p[1..].iter().map(|y| scaled(*y, log_y)))
            })
            .chain(figure.lines.iter().map(|l| scaled(l.y, log_y)));
        let (x, y) = (bounds(xs()), bounds(ys));
        let parameter = !figure.series.is_empty() && figure.series.iter().all(|s| s.band);
        let x_marks = if parameter {
            let mut values: Vec<f64> = xs().filter(|x| x.is_finite()).collect();
            values.sort_by(f64::total_cmp);
            values.dedup();
            (values, Vec::new())
        } else {
            marks(x.0, x.1, log_x)
        };
        Self {
            x,
            y,
            x_marks,
            y_marks: marks(y.0, y.1, log_y),
            parameter,
        }
    }
}

/// A series' points on the plotted scales, (x, y, low, high), without those off the chart.
fn plotted(series: &SeriesData, log_x: bool, log_y: bool) -> Vec<(f64, f64, f64, f64)> {
    series
        .points
        .iter()
        .map(|p| {
            (
                scaled(p[0], log_x),
                scaled(p[1], log_y),
                scaled(p[2], log_y),
                scaled(p[3], log_y),
            )
        })
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect()
}

/// The interquartile band's outline: along the highs, back along the lows.
fn band(points: &[(f64, f64, f64, f64)]) -> Vec<(f64, f64)> {
    let banded = || points.iter().filter(|p| p.2.is_finite() && p.3.is_finite());
    banded()
        .map(|p| (p.0, p.3))
        .chain(banded().rev().map(|p| (p.0, p.2)))
        .collect()
}

fn draw<'a>(
    figure: &'a FigureData,
    out: &'a mut String,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let (log_x, log_y) = (figure.log_x, figure.log_y);
    let Axes {
        x: (x0, x1),
        y: (y0, y1),
        x_marks: (x_bold, x_light),
        y_marks: (y_bold, y_light),
        parameter,
    } = Axes::of(figure);
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&figure.title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            Marked {
                range: (x0..x1).into(),
                bold: x_bold,
                light: x_light,
            },
            Marked {
                range: (y0..y1).into(),
                bold: y_bold,
                light: y_light,
            },
        )?;
    chart
        .configure_mesh()
        .x_desc(&figure.x_label)
        .y_desc(&figure.y_label)
        .x_label_formatter(&|v| {
            if parameter {
                value_label(if log_x { 10f64.powf(*v) } else { *v })
            } else {
                tick(*v, log_x)
            }
        })
        .y_label_formatter(&|v| tick(*v, log_y))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(240, 240, 240))
        .label_style(("sans-serif", 13))
        .draw()?;
    for (k, series) in figure.series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points = plotted(series, log_x, log_y);
        if series.band {
            let band = band(&points);
            if band.len() >= 4 {
                chart.draw_series(std::iter::once(Polygon::new(
                    band,
                    color.mix(0.18).filled(),
                )))?;
            }
        }
        let style = ShapeStyle::from(&color).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), style))?
            .label(&series.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        if series.band {
            chart.draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), 3, color.filled())),
            )?;
        }
    }
    for line in &figure.lines {
        let y = scaled(line.y, log_y);
        if !y.is_finite() {
            continue;
        }
        let style = ShapeStyle::from(&BLACK.mix(0.7)).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new([(x0, y), (x1, y)], 6, 4, style))?
            .label(&line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    chart
        .configure_series_labels()
        .position(legend_corner(figure, (x0, x1), (y0, y1)))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 12))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::report::figure::LineData;

    fn figure() -> FigureData {
        FigureData {
            name: "f".into(),
            title: "A figure".into(),
            x_label: "observed".into(),
            y_label: "test_mse".into(),
            log_x: false,
            log_y: true,
            series: vec![SeriesData {
                label: "depth3".into(),
                band: true,
                points: vec![[1.0, 1e-2, 5e-3, 2e-2], [2.0, 1e-4, 5e-5, 0.0]],
            }],
            lines: vec![LineData {
                label: "1e-3".into(),
                y: 1e-3,
            }],
        }
    }

    #[test]
    fn the_same_data_gives_the_same_bytes() {
        let first = svg(&figure());
        assert!(first.starts_with("<svg"), "{}", &first[..80]);
        assert!(first.contains("depth3") && first.contains("A figure"));
        assert_eq!(first, svg(&figure()));
    }

    #[test]
    fn nothing_drawable_still_gives_a_figure() {
        let mut empty = figure();
        empty.series[0].points = vec![[f64::NAN, -1.0, f64::INFINITY, 0.0]];
        empty.lines.clear();
        assert!(svg(&empty).contains("A figure"));
    }

    #[test]
    fn axes_are_marked_at_round_numbers() {
        let (bold, light) = marks(-3.2, -0.5, true);
        assert_eq!(bold, [-3.0, -2.0, -1.0]);
        assert_eq!(light.len(), 3 + 8 + 8 + 2);
        let (bold, _) = marks(-0.4, 21.3, false);
        assert_eq!(bold, [0.0, 5.0, 10.0, 15.0, 20.0]);
    }

    #[test]
    fn decades_are_labelled_and_nothing_between() {
        assert_eq!(tick(-3.0, true), "1e-3");
        assert_eq!(tick(-2.5, true), "");
        assert_eq!(tick(2000.0, false), "2000");
        assert_eq!(tick(0.25, false), "0.25");
    }
}
