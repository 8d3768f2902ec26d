//! The claims as JUnit XML for CI systems (`check --format junit`, quick-junit): a test suite
//! per claim with a case for its verdict and one for each assertion (per point of a sweep) and
//! each assertion across points (and, for a searched claim, the counterexample's assertions
//! and one case per kept counterexample). A case fails exactly where the claim's outcome is not what it
//! expects: the verdict case when the verdict differs (inconclusive and interrupted too), an
//! assertion case when the claim expects `holds` and it is refuted or left open. The decision,
//! the seeds and the interval are properties of each case.

use crate::claim::decide::search::Replay;
use crate::claim::decide::sequential::Decision;
use crate::claim::read::parameters::describe;
use crate::claim::report::search::SearchReport;
use crate::claim::{Report, Verdict};
use crate::provenance::Provenance;
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The reports as a JUnit XML document; each suite carries the provenance as properties
/// (`implreg.commit`, …).
pub fn junit(reports: &[Report], seconds: f64, provenance: &Provenance) -> String {
    let mut document = quick_junit::Report::new("implreg");
    document.set_time(Duration::from_secs_f64(seconds.max(0.0)));
    for report in reports {
        let mut suite = suite(report);
        for (name, value) in provenance.pairs() {
            suite.add_property(Property::new(format!("implreg.{name}"), value));
        }
        document.add_test_suite(suite);
    }
    document
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->\n"))
}

fn failure(message: String, kind: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message).set_type(kind);
    status
}

fn suite(report: &Report) -> TestSuite {
    let mut suite = TestSuite::new(report.id());
    suite.set_time(Duration::from_secs_f64(report.seconds().max(0.0)));
    suite.add_property(Property::new("expected", report.expected().to_string()));
    suite.add_property(Property::new("verdict", report.verdict().to_string()));
    let verdict_status = if report.interrupted() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message("interrupted: a run was stopped, no verdict");
        status
    } else if report.matches() {
        TestCaseStatus::success()
    } else if report.verdict() == Verdict::Inconclusive {
        failure(
            "inconclusive: the seed budget ran out before the evidence decided".into(),
            "inconclusive",
        )
    } else {
        failure(
            format!("{} (expected {})", report.verdict(), report.expected()),
            "verdict",
        )
    };
    let mut verdict = TestCase::new("verdict", verdict_status);
    verdict.set_classname(report.id());
    suite.add_test_case(verdict);
    let strict = report.expected() == Verdict::Holds;
    for (at, claim) in report.points() {
        let seeds = match (claim.seeds.first(), claim.seeds.last()) {
            (Some(first), Some(last)) => format!("{first}-{last}"),
            _ => "none".into(),
        };
        for a in &claim.assertions {
            let name = if at.is_empty() {
                a.that.clone()
            } else {
                format!("at {at}: {}", a.that)
            };
            let status = match a.decision {
                Decision::Refuted if strict => failure(
                    format!("refuted: {}/{} seeds", a.passed, a.seeds),
                    "refuted",
                ),
                Decision::Open if strict => {
                    failure(format!("open: {}/{} seeds", a.passed, a.seeds), "open")
                }
                _ => TestCaseStatus::success(),
            };
            let mut case = TestCase::new(name, status);
            case.set_classname(report.id());
            case.add_properties([
                Property::new("decision", a.decision.to_string()),
                Property::new("over_seeds", a.over_seeds.clone()),
                Property::new("seeds", seeds.clone()),
                Property::new("passed", format!("{}/{}", a.passed, a.seeds)),
                Property::new(
                    "interval",
                    format!("{:.4}-{:.4}", a.interval[0], a.interval[1]),
                ),
            ]);
            suite.add_test_case(case);
        }
    }
    if let Report::Sweep(sweep) = report {
        for across in &sweep.across {
            let status = match across.decision {
                Decision::Holds => TestCaseStatus::success(),
                _ if !strict => TestCaseStatus::success(),
                decision => failure(format!("{decision}"), "across"),
            };
            let mut case = TestCase::new(format!("across: {}", across.that), status);
            case.set_classname(report.id());
            case.add_property(Property::new("decision", across.decision.to_string()));
            suite.add_test_case(case);
        }
    }
    if let Report::Search(search) = report {
        search_properties(&mut suite, search);
    }
    suite
}

/// A search's counterexample, shrink origin, coverage and error bound as the suite's
/// properties, and a case for each kept counterexample (failing when it no longer refutes a
/// claim expected refuted: the report says what changed).
fn search_properties(suite: &mut TestSuite, search: &SearchReport) {
    let mut add = |name: &str, value: String| {
        suite.add_property(Property::new(name, value));
    };
    add(
        "points",
        format!(
            "{} of {} drawn, {} held, {} refuted but unconfirmed",
            search.coverage.points,
            search.search.points,
            search.coverage.held,
            search.coverage.unconfirmed
        ),
    );
    if let Some(c) = &search.counterexample {
        add("counterexample", describe(&c.settings));
        add("shrunk_from", describe(&c.found));
        add("confirmed_on", c.confirmed.seed_words());
    }
    if let Some(bound) = search.false_counterexample_bound {
        add("false_counterexample_bound", format!("{bound:.4}"));
    }
    for kept in &search.kept {
        let status = match kept.replay {
            Replay::Refutes => TestCaseStatus::success(),
            _ if search.expected != Verdict::Refuted => TestCaseStatus::success(),
            replay => failure(format!("{replay:?}"), "kept"),
        };
        let mut case = TestCase::new(
            format!("kept counterexample at {}", describe(&kept.settings)),
            status,
        );
        case.set_classname(search.id.clone());
        suite.add_test_case(case);
    }
}
