//! The reproduction report (`implreg check … --report DIR`): one HTML page with every figure
//! inlined (it opens anywhere, alone) and the same content in Markdown beside the SVG files.
//! Each claim shows its verdict, every assertion's decision with its seeds, interval and worst
//! seed (per point for a sweep), the assertions across points, a search's decisions and its
//! points in the domain (its counterexample written as a claim of its own), and its figures; the page
//! starts with the provenance of the run.

use super::domain;
use super::svg::svg;
use crate::claim::decide::across::AcrossReport;
use crate::claim::read::parameters::describe;
use crate::claim::report::claim::number;
use crate::claim::report::search::{Counterexample, SearchReport};
use crate::claim::{Report, Verdict};
use crate::provenance::Provenance;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What the report is made of.
pub struct Contents<'r> {
    /// The claims' reports, in the order checked.
    pub reports: &'r [Report],
    /// Where and how they were made.
    pub provenance: &'r Provenance,
    /// The whole check's wall time.
    pub seconds: f64,
    /// Further rows for the provenance table: what the result store gave (`runs`), each
    /// merged shard's provenance.
    pub notes: &'r [(String, String)],
}

/// A figure's file name: `claim-id.figure-name.svg`, with anything but letters, digits, `-`
/// and `_` in the id replaced by `_`.
pub fn figure_file(id: &str, name: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{id}.{name}.svg")
}

/// Writes every figure of `reports` into `dir` as SVG; returns the files written.
pub fn write_figures(dir: &Path, reports: &[Report]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for report in reports {
        for data in report.figures() {
            let path = dir.join(figure_file(report.id(), &data.name));
            std::fs::write(&path, svg(data))?;
            written.push(path);
        }
        if let Some(drawn) = domain_svg(report) {
            let path = dir.join(figure_file(report.id(), domain::NAME));
            std::fs::write(&path, drawn)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// A searched claim's points drawn in its domain.
fn domain_svg(report: &Report) -> Option<String> {
    match report {
        Report::Search(search) => domain::svg(search, &search.search.axes),
        _ => None,
    }
}

/// Where a searched claim's counterexample is written as a claim of its own, in the report's
/// folder: `counterexamples/claim-id.yaml`.
pub fn counterexample_file(id: &str) -> String {
    let name = figure_file(id, "x");
    format!("counterexamples/{}.yaml", name.trim_end_matches(".x.svg"))
}

/// A searched claim's decisions as table rows: stage, point, verdict (a taken shrink
/// candidate marked →).
fn trial_rows(search: &SearchReport) -> Vec<[String; 3]> {
    search
        .trials
        .iter()
        .map(|t| {
            let stage =
                format!("{}{:?}", if t.accepted { "→ " } else { "" }, t.stage).to_lowercase();
            [stage, describe(&t.settings), t.verdict.to_string()]
        })
        .collect()
}

/// Writes `index.html`, `report.md` and `figures/*.svg` into `dir`.
pub fn write_report(dir: &Path, contents: &Contents) -> std::io::Result<()> {
    write_figures(&dir.join("figures"), contents.reports)?;
    for report in contents.reports {
        if let Report::Search(search) = report
            && let Some(c) = &search.counterexample
        {
            let path = dir.join(counterexample_file(&search.id));
            std::fs::create_dir_all(dir.join("counterexamples"))?;
            std::fs::write(path, &c.claim)?;
        }
    }
    std::fs::write(dir.join("index.html"), html(contents))?;
    std::fs::write(dir.join("report.md"), markdown(contents))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `text` as one Markdown table cell and as inert text: control characters escaped, `&`, `<`
/// and `>` as entities (a renderer passes raw HTML through: an id must not carry a script),
/// `|` escaped.
fn cell(text: &str) -> String {
    crate::printable::escaped(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// `as expected`, `NOT as expected`, `inconclusive` or `interrupted`.
fn outcome(report: &Report) -> &'static str {
    match (report.interrupted(), report.matches(), report.verdict()) {
        (true, _, _) => "interrupted",
        (false, true, _) => "as expected",
        (false, false, Verdict::Inconclusive) => "inconclusive",
        (false, false, _) => "NOT as expected",
    }
}

/// One row per assertion: point, assertion, decision, seeds passed, interval, worst seed, why.
fn assertion_rows(report: &Report) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    for (at, claim) in report.points() {
        for a in &claim.assertions {
            let worst = a.worst.as_ref().map_or(String::new(), |w| {
                let values: Vec<String> = w
                    .values
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", number(*v)))
                    .collect();
                format!("seed {}: {}", w.seed, values.join(", "))
            });
            rows.push([
                at.clone(),
                a.that.clone(),
                format!("{} ({})", a.decision, a.over_seeds),
                format!("{}/{}", a.passed, a.seeds),
                format!("{:.2}–{:.2}", a.interval[0], a.interval[1]),
                worst,
                a.why.clone(),
            ]);
        }
    }
    rows
}

/// The lines naming runs that a budget stopped or whose program failed, at every point
/// (`ClaimReport::timed_out`), prefixed by the point where there are several.
fn stopped_lines(report: &Report) -> Vec<String> {
    report
        .points()
        .into_iter()
        .flat_map(|(point, r)| {
            r.timed_out("")
                .lines()
                .map(|line| {
                    if point.is_empty() {
                        line.trim().to_string()
                    } else {
                        format!("{point}: {}", line.trim())
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn across_rows(across: &[AcrossReport]) -> Vec<[String; 3]> {
    across
        .iter()
        .map(|a| {
            let lines: Vec<String> = a
                .lines
                .iter()
                .map(|l| {
                    let fixed = if l.fixed.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", l.fixed)
                    };
                    format!("{fixed}{}", l.found)
                })
                .collect();
            [a.that.clone(), a.decision.to_string(), lines.join("; ")]
        })
        .collect()
}

fn seeds_used(report: &Report) -> usize {
    report.points().iter().map(|(_, c)| c.seeds.len()).sum()
}

fn provenance_rows<'c>(contents: &Contents<'c>) -> Vec<(&'c str, String)> {
    let p = contents.provenance;
    let expected = contents.reports.iter().filter(|r| r.matches()).count();
    let mut rows = vec![
        (
            "implreg",
            format!("{} (commit {}, source {})", p.version, p.commit, p.source),
        ),
        ("CPU", p.cpu.clone()),
        ("arithmetic kernels", p.kernels.clone()),
        ("threads", p.threads.to_string()),
        ("started", p.started.clone()),
        ("wall time", format!("{:.1} s", contents.seconds)),
        (
            "claims",
            format!("{} checked, {expected} as expected", contents.reports.len()),
        ),
    ];
    rows.extend(
        contents
            .notes
            .iter()
            .map(|(key, value)| (key.as_str(), value.clone())),
    );
    rows
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}td,th{border:1px solid #ddd;padding:.3em .55em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}.ok{color:#086b2e;font-weight:600}.bad{color:#a40000;font-weight:600}.inc{color:#8a5a00;font-weight:600}\
section{border-top:2px solid #ddd;margin-top:2em}figure{margin:1em 0}figure svg{max-width:100%;height:auto}code{font-size:.92em}";

/// The report as one self-contained HTML page.
pub fn html(contents: &Contents) -> String {
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>implreg report</title><style>{STYLE}</style></head><body>\n<h1>implreg reproduction report</h1>\n<table>\n"
    );
    for (key, value) in provenance_rows(contents) {
        let _ = writeln!(page, "<tr><th>{key}</th><td>{}</td></tr>", escape(&value));
    }
    page += "</table>\n<table><tr><th>claim</th><th>verdict</th><th>expected</th><th>outcome</th><th>seeds</th><th>time</th></tr>\n";
    for report in contents.reports {
        let class = match outcome(report) {
            "as expected" => "ok",
            "NOT as expected" => "bad",
            _ => "inc",
        };
        let _ = writeln!(
            page,
            "<tr><td><a href=\"#{id}\">{id}</a></td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{:.1} s</td></tr>",
            report.verdict(),
            report.expected(),
            outcome(report),
            seeds_used(report),
            report.seconds(),
            id = escape(report.id()),
        );
    }
    page += "</table>\n";
    for report in contents.reports {
        let (title, source) = (report.title(), report.source());
        let _ = writeln!(
            page,
            "<section id=\"{id}\"><h2>{id}: {verdict} ({outcome})</h2>\n<p>{title}<br><small>{paper}, {location}</small></p>",
            id = escape(report.id()),
            verdict = report.verdict(),
            outcome = outcome(report),
            title = escape(title),
            paper = escape(&source.paper),
            location = escape(&source.location),
        );
        // A plain claim has no points to name.
        let sweep = matches!(report, Report::Search(_))
            || matches!(report, Report::Sweep(s) if s.points.iter().any(|p| !p.settings.is_empty()));
        page += "<table><tr>";
        if sweep {
            page += "<th>point</th>";
        }
        page += "<th>assertion (why)</th><th>decision</th><th>passed</th><th>95 % interval</th><th>worst seed</th></tr>\n";
        for [point, that, decision, passed, interval, worst, why] in assertion_rows(report) {
            page += "<tr>";
            if sweep {
                let _ = write!(page, "<td>{}</td>", escape(&point));
            }
            let _ = write!(
                page,
                "<td><code>{}</code><br><small>{}</small></td>",
                escape(&that),
                escape(&why)
            );
            for value in [decision, passed, interval, worst] {
                let _ = write!(page, "<td>{}</td>", escape(&value));
            }
            page += "</tr>\n";
        }
        page += "</table>\n";
        for line in stopped_lines(report) {
            let _ = writeln!(page, "<p><small>{}</small></p>", escape(&line));
        }
        if let Report::Sweep(sweep) = report
            && !sweep.across.is_empty()
        {
            page += "<table><tr><th>across points</th><th>decision</th><th>found</th></tr>\n";
            for [that, decision, found] in across_rows(&sweep.across) {
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&that),
                    escape(&decision),
                    escape(&found)
                );
            }
            page += "</table>\n";
        }
        if let Report::Search(search) = report {
            page += &search_html(search);
        }
        for drawn in report.figures().iter().map(svg).chain(domain_svg(report)) {
            // The XML declaration, if any, cannot stand inside HTML.
            let inline = drawn.find("<svg").map_or(drawn.as_str(), |k| &drawn[k..]);
            let _ = writeln!(page, "<figure>{inline}</figure>");
        }
        page += "</section>\n";
    }
    page += "</body></html>\n";
    page
}

/// ", shrunk from …" when the counterexample is not the point as found.
fn shrunk_from(c: &Counterexample) -> String {
    if c.found == c.settings {
        String::new()
    } else {
        format!(", shrunk from {}", describe(&c.found))
    }
}

/// A searched claim's counterexample (linked to its claim file) and every decision.
fn search_html(search: &SearchReport) -> String {
    let mut html = String::new();
    if let Some(c) = &search.counterexample {
        let _ = writeln!(
            html,
            "<p>Counterexample <b>{}</b>{}, confirmed {} on the disjoint {}: <a href=\"{}\">the claim at this point alone</a>.</p>",
            escape(&describe(&c.settings)),
            escape(&shrunk_from(c)),
            c.confirmed.verdict,
            escape(&c.confirmed.seed_words()),
            escape(&counterexample_file(&search.id))
        );
    }
    html += "<table><tr><th>stage</th><th>point</th><th>verdict</th></tr>\n";
    for [stage, point, verdict] in trial_rows(search) {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&stage),
            escape(&point),
            escape(&verdict)
        );
    }
    html + "</table>\n"
}

/// The report as Markdown, its figures linked from `figures/`.
pub fn markdown(contents: &Contents) -> String {
    let mut page = String::from("# implreg reproduction report\n\n| | |\n|---|---|\n");
    for (key, value) in provenance_rows(contents) {
        let _ = writeln!(page, "| {key} | {} |", cell(&value));
    }
    page +=
        "\n| claim | verdict | expected | outcome | seeds | time |\n|---|---|---|---|---|---|\n";
    for report in contents.reports {
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} | {} | {:.1} s |",
            cell(report.id()),
            report.verdict(),
            report.expected(),
            outcome(report),
            seeds_used(report),
            report.seconds()
        );
    }
    for report in contents.reports {
        let title = report.title();
        let _ = write!(
            page,
            "\n## {}: {} ({})\n\n{}\n\n| point | assertion | decision | passed | 95 % interval | worst seed |\n|---|---|---|---|---|---|\n",
            cell(report.id()),
            report.verdict(),
            outcome(report),
            cell(title)
        );
        for row in assertion_rows(report) {
            let cells: Vec<String> = row[..6].iter().map(|c| cell(c)).collect();
            let _ = writeln!(page, "| {} |", cells.join(" | "));
        }
        for line in stopped_lines(report) {
            let _ = write!(page, "\n> {}\n", cell(&line));
        }
        if let Report::Sweep(sweep) = report
            && !sweep.across.is_empty()
        {
            page += "\n| across points | decision | found |\n|---|---|---|\n";
            for row in across_rows(&sweep.across) {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                let _ = writeln!(page, "| {} |", cells.join(" | "));
            }
        }
        if let Report::Search(search) = report {
            if let Some(c) = &search.counterexample {
                let _ = writeln!(
                    page,
                    "\nCounterexample **{}**{}, confirmed {} on the disjoint {}: [the claim at this point alone]({}).",
                    cell(&describe(&c.settings)),
                    cell(&shrunk_from(c)),
                    c.confirmed.verdict,
                    cell(&c.confirmed.seed_words()),
                    counterexample_file(&search.id)
                );
            }
            page += "\n| stage | point | verdict |\n|---|---|---|\n";
            for row in trial_rows(search) {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                let _ = writeln!(page, "| {} |", cells.join(" | "));
            }
            if domain_svg(report).is_some() {
                let _ = writeln!(
                    page,
                    "\n![points tried](figures/{})",
                    figure_file(report.id(), domain::NAME)
                );
            }
        }
        for data in report.figures() {
            let _ = writeln!(
                page,
                "\n![{}](figures/{})",
                cell(&data.title),
                figure_file(report.id(), &data.name)
            );
        }
    }
    page
}
