//! Sweeps end to end through the binary: a claim over a grid reports each point, the assertions
//! across points and its figures; `--report` and `--figures` write files whose bytes do not
//! depend on the thread count; bad sweeps are located errors.

use std::path::Path;

mod support;
use support::{implreg, scratch, stdout, timeless};

const SWEEP: &str = "tests/fixtures/sweep.yaml";

#[test]
fn a_sweep_reports_points_across_and_figures() {
    let output = implreg(&["check", SWEEP]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    for expected in [
        "ok   tiny-sweep: holds (expected holds) over 2 points",
        "at observed = 14: holds on 4 fixed seeds",
        "+ across: median of deep3.test_mse decreasing along observed",
        "`deep3.test_mse <= 0` never",
        "figure sigmas: Singular values along the run (4 series)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // `at: $observed >= 30` makes the second assertion at the second point only.
    assert_eq!(text.matches("deep3.test_mse <= 1.0e-2: holds").count(), 1);
    let json: serde_json::Value =
        serde_json::from_slice(&implreg(&["check", SWEEP, "--format", "json"]).stdout).unwrap();
    let report = &json[0];
    assert_eq!(report["points"].as_array().unwrap().len(), 2);
    assert_eq!(report["points"][1]["settings"][0]["value"], 30);
    assert_eq!(report["across"][0]["decision"], "holds");
    // Against a parameter a bare metric is drawn for each run, a quantity naming its runs once.
    let error = report["figures"][0]["series"].as_array().unwrap();
    assert_eq!(error.len(), 2);
    assert_eq!(
        (&error[0]["label"], &error[1]["label"]),
        (&"deep3".into(), &"deep3.test_mse * 2".into())
    );
    for (single, double) in error[0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .zip(error[1]["points"].as_array().unwrap())
    {
        assert_eq!(
            double[1].as_f64().unwrap(),
            2.0 * single[1].as_f64().unwrap()
        );
    }
    let figure = &report["figures"][1];
    assert_eq!(figure["series"].as_array().unwrap().len(), 4);
    // A hundred samples a decade: far more than the trace's ten.
    let samples = figure["series"][0]["points"].as_array().unwrap().len();
    let trace = report["points"][0]["report"]["runs"][0]["trace"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        samples > 5 * trace,
        "{samples} curve samples, {trace} trace samples"
    );
}

#[test]
fn reports_and_figures_do_not_depend_on_threads() {
    let dir = scratch("threads");
    let run = |threads: &str| {
        let report = dir.join(format!("report-{threads}"));
        let figures = dir.join(format!("figures-{threads}"));
        let output = implreg(&[
            "check",
            SWEEP,
            "--threads",
            threads,
            "--format",
            "json",
            "--report",
            report.to_str().unwrap(),
            "--figures",
            figures.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (timeless(json), report, figures)
    };
    let (one, report, figures) = run("1");
    let (three, _, figures3) = run("3");
    assert_eq!(one, three);
    let svg = |dir: &Path, name: &str| std::fs::read(dir.join(name)).unwrap();
    for name in ["tiny-sweep.error.svg", "tiny-sweep.sigmas.svg"] {
        assert_eq!(svg(&figures, name), svg(&figures3, name), "{name}");
        assert_eq!(svg(&figures, name), svg(&report.join("figures"), name));
        assert!(svg(&figures, name).starts_with(b"<svg"));
    }
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    let markdown = std::fs::read_to_string(report.join("report.md")).unwrap();
    for page in [&html, &markdown] {
        for expected in [
            "arithmetic kernels",
            "commit",
            "threads",
            "tiny-sweep",
            "as expected",
        ] {
            assert!(page.contains(expected), "missing {expected:?}");
        }
    }
    // The HTML page stands alone: its figures are inlined.
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(markdown.contains("](figures/tiny-sweep.sigmas.svg)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_misspelt_parameter_is_located_and_nothing_runs() {
    let dir = scratch("misspelt");
    let text = std::fs::read_to_string(SWEEP)
        .unwrap()
        .replace("observed: $observed", "observed: $observd");
    let file = dir.join("bad.yaml");
    std::fs::write(&file, text).unwrap();
    let output = implreg(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::stderr(&output);
    assert!(
        stderr.contains(
            "bad.yaml:10:54: $observd: expected a parameter declared in `sweep` (observed)"
        ),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_takes_a_point_of_the_grid() {
    let entries = |point: &str| {
        let output = implreg(&["export", SWEEP, "--run", "deep3", "--point", point]);
        assert_eq!(output.status.code(), Some(0));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json["observations"]["entries"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!((entries("0"), entries("1")), (14, 30));
    let output = implreg(&["export", SWEEP, "--run", "deep3", "--point", "2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(support::stderr(&output).contains("a grid point from 0 to 1"));
}

#[test]
fn measure_counts_each_point_and_judges_across() {
    let output = implreg(&["measure", SWEEP, "--seeds", "0:4"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("at observed = 30:\ntiny-sweep: 4 seeds from 0"),
        "{text}"
    );
    assert!(
        text.contains("+ across: median of deep3.test_mse decreasing"),
        "{text}"
    );
    let output = implreg(&["measure", SWEEP, "--seeds", "0:4", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json[0]["points"][1]["report"]["seeds"],
        serde_json::json!([0, 1, 2, 3])
    );
}

#[test]
fn a_grid_too_large_to_read_is_refused_at_sweep() {
    let dir = scratch("large");
    let values: Vec<String> = (1..=1000).map(|v| v.to_string()).collect();
    let padding = format!("# {}\n", "x".repeat(100)).repeat(700);
    let text = std::fs::read_to_string(SWEEP).unwrap().replace(
        "observed: [14, 30]",
        &format!("observed: [{}]", values.join(", ")),
    ) + &padding;
    let file = dir.join("large.yaml");
    std::fs::write(&file, text).unwrap();
    let started = std::time::Instant::now();
    let output = implreg(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::stderr(&output);
    assert!(
        stderr.contains(
            "large.yaml:7:3: sweep: expected a grid whose points' texts add up to at most 64 MiB"
        ),
        "{stderr}"
    );
    assert!(started.elapsed().as_secs() < 10);

    // Two points of a small file, but a long value written 700 times: bounded by what the
    // points' texts expand to, not by the file's size.
    let long = "a".repeat(100_000);
    let text = std::fs::read_to_string(SWEEP)
        .unwrap()
        .replace(
            "observed: [14, 30]",
            &format!("observed: [14, 30]\n  word: [b, {long}]"),
        )
        .replace(
            "why: a loose bound, true everywhere",
            &format!("why: {}", "$word ".repeat(700)),
        );
    std::fs::write(&file, text).unwrap();
    let started = std::time::Instant::now();
    let output = implreg(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::stderr(&output);
    assert!(stderr.contains("add up to at most 64 MiB"), "{stderr}");
    assert!(started.elapsed().as_secs() < 10);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A figure's series are counted before any is read or built: 100 runs × 1,000 quantities
/// once took 52 s before the 64-series limit was checked.
#[test]
fn a_figure_of_too_many_series_is_refused_before_it_is_built() {
    let dir = scratch("many-series");
    let runs: String = (0..100)
        .map(|k| {
            format!("  r{k}: {{ deep: {{ depth: 1, init: {{ gaussian: {{ scale: 0.1 }} }}, optimizer: {{ gd: {{ lr: 0.1 }} }}, steps: 10 }} }}\n")
        })
        .collect();
    let quantities: Vec<String> = (0..1000).map(|k| format!("\"sigma(1) * {k}\"")).collect();
    let text = std::fs::read_to_string(SWEEP)
        .unwrap()
        .replace("runs:\n", &format!("runs:\n{runs}"))
        .replace(
            "y: [test_mse, \"deep3.test_mse * 2\"]",
            "y: [\"deep3.test_mse * 2\"]",
        )
        .replace(
            "y: [sigma(1), sigma(2)]",
            &format!("y: [{}]", quantities.join(", ")),
        );
    let file = dir.join("many.yaml");
    std::fs::write(&file, text).unwrap();
    let started = std::time::Instant::now();
    let output = implreg(&["check", file.to_str().unwrap()]);
    let stderr = support::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("at most 64 series (runs × quantities); these give 1000"),
        "{stderr}"
    );
    assert!(started.elapsed().as_secs() < 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cancelling_one_evaluation_leaves_another_running() {
    use implreg::cancel::Cancel;
    use implreg::claim::{self, Claim, Context};
    let claim = Claim::load(Path::new(SWEEP)).unwrap();
    let cancelled = Cancel::new();
    cancelled.cancel();
    let context = |cancel: Cancel| Context {
        bounds: implreg::solver::Bounds {
            cancel,
            ..Default::default()
        },
        ..Context::default()
    };
    let (stopped, going) = std::thread::scope(|s| {
        let stopped =
            s.spawn(|| claim::evaluate(&claim, |_| None, &context(cancelled.clone()), &|_, _| {}));
        let going =
            s.spawn(|| claim::evaluate(&claim, |_| None, &context(Cancel::new()), &|_, _| {}));
        (stopped.join().unwrap(), going.join().unwrap())
    });
    // The cancelled one stops at its first point's first check and decides nothing.
    assert!(stopped.interrupted() && !stopped.matches());
    assert_eq!(stopped.points().len(), 1);
    assert!(
        !going.interrupted() && going.matches(),
        "{}",
        going.to_text()
    );
    assert_eq!(going.points().len(), 2);
}

/// A decided point keeps no matrices (a sweep held every point's to its end, while the memory
/// budget counts one point's), and keeps its runs' endpoints as JSON only when asked
/// (`check --final`).
#[test]
fn a_decided_point_keeps_its_endpoints_only_when_asked_and_never_its_matrices() {
    use implreg::claim::{self, Claim, Context};
    let claim = Claim::load(Path::new(SWEEP)).unwrap();
    for endpoints in [false, true] {
        let context = Context {
            endpoints,
            ..Context::default()
        };
        let report = claim::evaluate(&claim, |_| None, &context, &|_, _| {});
        assert!(report.matches(), "{}", report.to_text());
        let points = report.points();
        assert_eq!(points.len(), 2);
        for (_, point) in points {
            assert!(!point.runs.is_empty());
            for run in &point.runs {
                assert_eq!(run.record.matrix.len(), 0);
                assert!(run.record.factors.is_empty() && run.record.moments.is_empty());
                assert_eq!(run.endpoint.is_some(), endpoints);
            }
        }
    }
}
