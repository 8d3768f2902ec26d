//! A searched claim's points drawn in its domain (`check --report`): two parameters as the
//! axes (the search's `axes`), each point tried coloured by its decision, the shrink path from
//! the point found to the counterexample as a line, the counterexample ringed. Log-uniform
//! parameters are drawn on log₁₀ axes; choices at their index.

use super::svg::{PALETTE, SIZE, least_covered_corner};
use crate::claim::decide::search::Stage;
use crate::claim::read::parameters::Setting;
use crate::claim::read::spec::Verdict;
use crate::claim::report::search::SearchReport;
use plotters::prelude::*;

/// The figure's file name beside the others: `claim-id.domain.svg`.
pub const NAME: &str = "domain";

/// The points tried as an SVG document (none when the domain has a single parameter).
pub fn svg(report: &SearchReport, axes: &[String]) -> Option<String> {
    let [x, y] = axes else { return None };
    let mut out = String::new();
    // Drawing into a string fails only on a bug in the ranges, which `range` excludes.
    let _ = draw(report, (x, y), &mut out);
    Some(out)
}

/// Where a point stands along one parameter: its value (log₁₀ for a log-uniform one), or
/// its index among the choices seen.
fn coordinate(report: &SearchReport, settings: &[Setting], name: &str) -> f64 {
    let Some(setting) = settings.iter().find(|s| s.name == name) else {
        return f64::NAN;
    };
    let log = report
        .domain
        .iter()
        .any(|d| d.name == name && d.kind.starts_with("log-uniform"));
    match setting.value.as_f64() {
        Some(v) if log => v.log10(),
        Some(v) => v,
        None => choice_index(report, name, &setting.value),
    }
}

fn choice_index(report: &SearchReport, name: &str, value: &serde_yaml::Value) -> f64 {
    let label = crate::claim::read::parameters::label(value);
    report
        .domain
        .iter()
        .find(|d| d.name == name)
        .and_then(|d| d.kind.strip_prefix("choice "))
        .and_then(|c| c.split(", ").position(|v| v == label))
        .map_or(f64::NAN, |k| k as f64)
}

/// The range of `values` with a margin, never empty.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((high - low) * 0.06).max(0.5 * f64::EPSILON.sqrt() * low.abs().max(1.0));
    (low - pad, high + pad)
}

/// How a parameter's ticks read: integers and choices (by name) only at whole steps, reals as
/// plotters writes them.
fn ticks<'r>(report: &'r SearchReport, name: &str) -> impl Fn(&f64) -> String + 'r {
    let kind = report
        .domain
        .iter()
        .find(|d| d.name == name)
        .map_or("", |d| d.kind.as_str());
    let choices: Option<Vec<&str>> = kind
        .strip_prefix("choice ")
        .map(|c| c.split(", ").collect());
    let whole = kind.starts_with("int ");
    move |v: &f64| {
        let step = v.round();
        let at_step = (v - step).abs() < 1e-9;
        match &choices {
            Some(names) if at_step && step >= 0.0 => names
                .get(step as usize)
                .map_or(String::new(), |n| n.to_string()),
            Some(_) => String::new(),
            None if whole => {
                if at_step {
                    format!("{step}")
                } else {
                    String::new()
                }
            }
            None => format!("{}", (v * 1e6).round() / 1e6),
        }
    }
}

/// The shrink that started at `found`: that point, then each simpler candidate still refuted.
fn shrink_path<'r>(report: &'r SearchReport, found: &'r [Setting]) -> Vec<&'r [Setting]> {
    let Some(start) = report.trials.iter().rposition(|t| {
        t.stage != Stage::Shrink && t.stage != Stage::Confirm && t.settings == found
    }) else {
        return Vec::new();
    };
    let mut path = vec![found];
    path.extend(
        report.trials[start + 1..]
            .iter()
            .take_while(|t| t.stage == Stage::Shrink)
            .filter(|t| t.accepted)
            .map(|t| t.settings.as_slice()),
    );
    path
}

fn colour(verdict: Verdict) -> RGBColor {
    match verdict {
        Verdict::Holds => PALETTE[2],
        Verdict::Refuted => PALETTE[1],
        Verdict::Inconclusive => PALETTE[6],
    }
}

fn draw<'a>(
    report: &'a SearchReport,
    (x, y): (&'a str, &'a str),
    out: &'a mut String,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let at = |s: &[Setting]| (coordinate(report, s, x), coordinate(report, s, y));
    let tried: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t.stage != Stage::Confirm)
        .collect();
    let (x0, x1) = range(tried.iter().map(|t| at(&t.settings).0));
    let (y0, y1) = range(tried.iter().map(|t| at(&t.settings).1));
    let axis = |name: &str| {
        let log = report
            .domain
            .iter()
            .any(|d| d.name == name && d.kind.starts_with("log-uniform"));
        if log {
            format!("log₁₀ {name}")
        } else {
            name.to_string()
        }
    };
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: points tried (filled drawn, hollow shrink candidates; green held, orange refuted, grey open)",
                report.id
            ),
            ("sans-serif", 15),
        )
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let (x_tick, y_tick) = (ticks(report, x), ticks(report, y));
    chart
        .configure_mesh()
        .x_desc(axis(x))
        .y_desc(axis(y))
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(240, 240, 240))
        .label_style(("sans-serif", 13))
        .draw()?;
    for stage in [Stage::Search, Stage::Kept, Stage::Shrink] {
        let size = if stage == Stage::Shrink { 3 } else { 5 };
        chart.draw_series(tried.iter().filter(|t| t.stage == stage).map(|t| {
            let c = colour(t.verdict);
            let style = if stage == Stage::Shrink {
                c.stroke_width(1)
            } else {
                c.filled()
            };
            Circle::new(at(&t.settings), size, style)
        }))?;
    }
    if let Some(c) = &report.counterexample {
        let style = ShapeStyle::from(&PALETTE[7]).stroke_width(1);
        if c.found != c.settings {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    shrink_path(report, &c.found)
                        .iter()
                        .map(|s| at(s))
                        .collect::<Vec<_>>(),
                    style,
                )))?
                .label("its shrink path")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
        let ring = ShapeStyle::from(&PALETTE[7]).stroke_width(2);
        chart
            .draw_series(std::iter::once(Circle::new(at(&c.settings), 9, ring)))?
            .label("counterexample (confirmed)")
            .legend(move |(x, y)| Circle::new((x + 9, y), 5, ring));
        // The legend may cover a few points tried, never the counterexample.
        let place = |(px, py): (f64, f64)| ((px - x0) / (x1 - x0), (py - y0) / (y1 - y0));
        let placed: Vec<(f64, f64)> = tried
            .iter()
            .map(|t| place(at(&t.settings)))
            .chain(std::iter::repeat_n(place(at(&c.settings)), tried.len() + 1))
            .collect();
        chart
            .configure_series_labels()
            .position(least_covered_corner(&placed, 2))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 13))
            .draw()?;
    }
    root.present()?;
    Ok(())
}
