//! What the CLI and tests read of a claim's outcome, whichever shape it has: a plain claim's
//! `ClaimReport`, a `SweepReport` or a `SearchReport` (verdict, text, snapshot, figures).

use crate::claim::decide::across::AcrossReport;
use crate::claim::read::parameters::describe;
use crate::claim::read::spec::{Source, Verdict};
use crate::claim::report::claim::{ClaimReport, heading, mark, number};
use crate::claim::report::figure::FigureData;
use crate::claim::report::snapshot::round_numbers;
use crate::claim::report::sweep::{Report, SweepReport};
use crate::printable::printable;
use std::fmt::Write;

impl Report {
    /// The claim's id.
    pub fn id(&self) -> &str {
        match self {
            Report::Claim(r) => &r.id,
            Report::Sweep(r) => &r.id,
            Report::Search(r) => &r.id,
        }
    }

    /// The verdict the evidence gives.
    pub fn verdict(&self) -> Verdict {
        match self {
            Report::Claim(r) => r.verdict,
            Report::Sweep(r) => r.verdict,
            Report::Search(r) => r.verdict,
        }
    }

    /// The verdict expected.
    pub fn expected(&self) -> Verdict {
        match self {
            Report::Claim(r) => r.expected,
            Report::Sweep(r) => r.expected,
            Report::Search(r) => r.expected,
        }
    }

    /// Whether the verdict is the one expected.
    pub fn matches(&self) -> bool {
        match self {
            Report::Claim(r) => r.matches,
            Report::Sweep(r) => r.matches,
            Report::Search(r) => r.matches,
        }
    }

    /// Whether a run was stopped from outside.
    pub fn interrupted(&self) -> bool {
        match self {
            Report::Claim(r) => r.interrupted,
            Report::Sweep(r) => r.interrupted,
            Report::Search(r) => r.interrupted,
        }
    }

    /// Wall time.
    pub fn seconds(&self) -> f64 {
        match self {
            Report::Claim(r) => r.seconds,
            Report::Sweep(r) => r.seconds,
            Report::Search(r) => r.seconds,
        }
    }

    /// What it claims.
    pub fn title(&self) -> &str {
        match self {
            Report::Claim(r) => &r.title,
            Report::Sweep(r) => &r.title,
            Report::Search(r) => &r.title,
        }
    }

    /// Where it comes from.
    pub fn source(&self) -> &Source {
        match self {
            Report::Claim(r) => &r.source,
            Report::Sweep(r) => &r.source,
            Report::Search(r) => &r.source,
        }
    }

    /// The claim reports inside with their points (`observed = 500`; empty for a plain claim):
    /// the claim's own, or each point's.
    pub fn points(&self) -> Vec<(String, &ClaimReport)> {
        match self {
            Report::Claim(r) => vec![(String::new(), r)],
            Report::Sweep(s) => s
                .points
                .iter()
                .map(|p| (describe(&p.settings), &p.report))
                .collect(),
            Report::Search(s) => s.points(),
        }
    }

    /// Whether runs were missing from the store (`merge`: another round of shards is needed),
    /// at any point or any decision of a search.
    pub fn lacks_runs(&self) -> bool {
        let search = match self {
            Report::Search(s) => s.trials.iter().any(|t| t.missing > 0),
            _ => false,
        };
        search || self.points().iter().any(|(_, c)| !c.missing.is_empty())
    }

    /// The figures' data.
    pub fn figures(&self) -> &[FigureData] {
        match self {
            Report::Claim(_) | Report::Search(_) => &[],
            Report::Sweep(r) => &r.figures,
        }
    }

    /// What `implreg measure` prints: per point, each assertion's count over the block, its
    /// interval and the seeds it failed on; then the assertions across points.
    pub fn to_measurement_text(&self) -> String {
        match self {
            Report::Claim(r) => r.to_measurement_text(),
            Report::Search(r) => r.to_text(),
            Report::Sweep(r) => {
                let mut text = String::new();
                for point in &r.points {
                    if !point.settings.is_empty() {
                        let _ = writeln!(text, "at {}:", printable(&describe(&point.settings)));
                    }
                    text += &point.report.to_measurement_text();
                }
                for across in &r.across {
                    text += &across_lines(across);
                }
                text
            }
        }
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        match self {
            Report::Claim(r) => r.to_text(),
            Report::Sweep(r) => r.to_text(),
            Report::Search(r) => r.to_text(),
        }
    }

    /// The report for an insta snapshot (`ClaimReport::snapshot` at every point; the figures'
    /// data rounded to 4 significant digits).
    pub fn snapshot(&self) -> serde_json::Value {
        match self {
            Report::Claim(r) => r.snapshot(),
            Report::Search(r) => {
                let mut value = serde_json::to_value(r).expect("reports serialise");
                if let Some(object) = value.as_object_mut() {
                    object.remove("file");
                    if let (Some(c), Some(reported)) =
                        (object.get_mut("counterexample"), &r.counterexample)
                    {
                        c["decided"] = reported.decided.snapshot();
                        c["confirmed"] = reported.confirmed.snapshot();
                    }
                }
                round_numbers(&mut value, 4);
                value
            }
            Report::Sweep(r) => {
                let mut value = serde_json::to_value(r).expect("reports serialise");
                if let Some(object) = value.as_object_mut() {
                    object.remove("seconds");
                    object.remove("file");
                    if let Some(points) = object.get_mut("points").and_then(|p| p.as_array_mut()) {
                        for (point, report) in points.iter_mut().zip(&r.points) {
                            point["report"] = report.report.snapshot();
                            // Every seed's values are in the assertions' seed lines and the
                            // figures' quartiles; one seed's runs a point show a regression in a
                            // run's summary without a grid's worth of them.
                            let first = report.report.seeds.first().copied();
                            if let Some(runs) = point["report"]
                                .get_mut("runs")
                                .and_then(|r| r.as_array_mut())
                            {
                                runs.retain(|run| run["seed"].as_u64() == first);
                            }
                        }
                    }
                    // A trajectory has hundreds of samples; a few dozen show a regression.
                    let figures = object.get_mut("figures").and_then(|f| f.as_array_mut());
                    for series in figures
                        .into_iter()
                        .flatten()
                        .filter_map(|f| f.get_mut("series").and_then(|s| s.as_array_mut()))
                        .flatten()
                    {
                        if let Some(points) =
                            series.get_mut("points").and_then(|p| p.as_array_mut())
                        {
                            thin(points, SNAPSHOT_SAMPLES);
                        }
                    }
                }
                round_numbers(&mut value, 4);
                value
            }
        }
    }
}

/// The most samples of a series a snapshot keeps.
const SNAPSHOT_SAMPLES: usize = 24;

/// Keeps at most `keep` items, evenly spaced, the first and the last among them.
fn thin(items: &mut Vec<serde_json::Value>, keep: usize) {
    let n = items.len();
    if n <= keep {
        return;
    }
    let chosen: Vec<serde_json::Value> = (0..keep)
        .map(|k| items[k * (n - 1) / (keep - 1)].clone())
        .collect();
    *items = chosen;
}

impl SweepReport {
    /// A verdict line, then each point's decisions, the assertions across points and the
    /// figures.
    pub fn to_text(&self) -> String {
        let verdict = if self.interrupted {
            "interrupted (by Ctrl-C, or runs missing from the store), no verdict".to_string()
        } else {
            self.verdict.to_string()
        };
        let points = match self.points.len() {
            1 => String::new(),
            n => format!(" over {n} points"),
        };
        let mut text = heading(
            mark(self.interrupted, self.matches, self.verdict),
            &self.id,
            &format!("{verdict} (expected {}){points}", self.expected),
            self.seconds,
            &self.title,
            &self.source,
        );
        for point in &self.points {
            let r = &point.report;
            let at = if point.settings.is_empty() {
                "decided".to_string()
            } else {
                format!("at {}", printable(&describe(&point.settings)))
            };
            let _ = writeln!(text, "     {at}: {} on {}", r.verdict, r.seed_words());
            if r.interrupted {
                text += "       interrupted: a run was stopped, this point decides nothing\n";
            }
            text += &r.timed_out("       ");
            text += &r.assertion_lines("       ");
        }
        for across in &self.across {
            text += &across_lines(across);
        }
        for figure in &self.figures {
            let _ = writeln!(
                text,
                "     figure {}: {} ({} series)",
                printable(&figure.name),
                printable(&figure.title),
                figure.series.len()
            );
        }
        text
    }
}

fn across_lines(across: &AcrossReport) -> String {
    let sign = across.decision.sign();
    let mut text = format!(
        "     {sign} across: {}: {}\n",
        printable(&across.that),
        across.decision
    );
    for line in &across.lines {
        let statistic: Vec<String> = line
            .statistic
            .iter()
            .map(|row| {
                row.iter()
                    .map(|x| number(*x))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        let fixed = if line.fixed.is_empty() {
            String::new()
        } else {
            format!("({}) ", printable(&line.fixed))
        };
        let _ = writeln!(
            text,
            "         {fixed}{} = {}: [{}]: {}",
            printable(&across.along),
            line.along.join(", "),
            statistic.join("] vs ["),
            printable(&line.found)
        );
    }
    text
}
