//! A claim file: its schema, and the validation that turns every impossible or misspelt setting
//! into an error naming the file, line, column, field and what was expected, before anything runs.

use crate::claim::language::expr::{Expr, Scope};
use crate::claim::language::recorded::{FieldError, Recorded};
use crate::claim::language::registry;
use crate::claim::read::across::{Across, RawAcross};
use crate::claim::read::budget::{self, Limits};
use crate::claim::read::data;
pub use crate::claim::read::errors::SpecError;
use crate::claim::read::errors::{expression_error, yaml_error};
use crate::claim::read::external;
use crate::claim::read::figure::{Figure, MAX_FIGURES, RawFigure};
use crate::claim::read::locate;
use crate::claim::read::parameters::Parameter;
use crate::claim::read::sampling::ErrorRates;
use crate::claim::read::sampling::check_quantifier;
pub use crate::claim::read::sampling::{Quantifier, RawSeeds, Sampling, Seeds};
use crate::claim::read::source;
use crate::external::Permission;
use crate::invalid::Invalid;
use crate::problem::{Fit, ProblemSpec};
use crate::solver::{RunKind, RunSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a claim comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The paper, e.g. "Arora, Cohen, Hu, Luo 2019".
    pub paper: String,
    /// Where in it (`where:`): a section, table or figure.
    #[serde(rename = "where")]
    pub location: String,
}

/// What the evidence says about a claim, and what its author expects it to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every assertion holds over its seeds.
    Holds,
    /// Some assertion fails: the literature's claim is refuted by this spec.
    Refuted,
    /// The seed budget was spent before the evidence decided (never expected: `Expected`).
    Inconclusive,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Refuted => "refuted",
            Verdict::Inconclusive => "inconclusive",
        })
    }
}

/// An assertion as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAssertion {
    /// The assertion in the expression language.
    pub that: String,
    /// How many seeds it must hold for.
    pub over_seeds: Quantifier,
    /// Why the tolerance is what it is.
    pub why: String,
    /// In a sweep, a condition on the parameters (`$observed >= 2000`): the assertion is made
    /// at the points where it holds.
    pub at: Option<String>,
}

/// The file as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClaim {
    /// The claim's unique name (its snapshot's too).
    pub id: String,
    /// One line saying what is claimed.
    pub title: String,
    /// Where the claim comes from.
    pub source: Source,
    /// The seeds, one independent repetition each.
    pub seeds: RawSeeds,
    /// The error rates of a sequential claim's decisions (defaults `read::sampling::ALPHA`, `BETA`).
    pub error_rates: Option<ErrorRates>,
    /// The problem family and its settings.
    pub problem: ProblemSpec,
    /// The runs by name, each named once.
    #[serde(deserialize_with = "unique_runs")]
    pub runs: BTreeMap<String, RunSpec>,
    /// The assertions.
    pub expect: Vec<RawAssertion>,
    /// What the claim's author expects.
    pub verdict: Expected,
    /// The sweep's parameters (read by `read::parameters` before the rest).
    pub sweep: Option<serde_yaml::Value>,
    /// How the claim's domain is searched (read by `read::search` before the rest).
    pub search: Option<serde_yaml::Value>,
    /// Assertions across the sweep's points.
    #[serde(default)]
    pub across: Vec<RawAcross>,
    /// Figures.
    #[serde(default)]
    pub figures: Vec<RawFigure>,
}

/// The verdicts a claim may expect: never `inconclusive`, which is what the evidence says when a
/// budget runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// Every assertion holds.
    Holds,
    /// Some assertion fails.
    Refuted,
}

impl From<Expected> for Verdict {
    fn from(expected: Expected) -> Self {
        match expected {
            Expected::Holds => Verdict::Holds,
            Expected::Refuted => Verdict::Refuted,
        }
    }
}

/// A checked assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// The assertion as written.
    pub that: String,
    /// The assertion, parsed and checked.
    pub expr: Expr,
    /// How many seeds it must hold for.
    pub over_seeds: Quantifier,
    /// Why the tolerance is what it is.
    pub why: String,
    /// Where `over_seeds` is written (line, column), for errors about it after parsing.
    pub over_seeds_at: (usize, usize),
}

/// A validated claim, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimSpec {
    /// The file it was read from.
    pub file: PathBuf,
    /// The claim's unique name.
    pub id: String,
    /// Where the id is written (line, column), for errors about it after parsing.
    pub id_at: (usize, usize),
    /// One line saying what is claimed.
    pub title: String,
    /// Where the claim comes from.
    pub source: Source,
    /// The seeds: the fixed block, or the sequence's first seed and budget.
    pub seeds: Seeds,
    /// Whether the seeds are a fixed block or a sequence decided by rates.
    pub sampling: Sampling,
    /// The problem family and its settings.
    pub problem: ProblemSpec,
    /// Runs in name order.
    pub runs: BTreeMap<String, RunSpec>,
    /// The checked assertions.
    pub assertions: Vec<Assertion>,
    /// What the claim's author expects.
    pub verdict: Verdict,
    /// What the seeds record for `across` and the figures, beyond the assertions.
    pub recorded: Vec<Recorded>,
    /// What each run's curve follows for the figures (on the first seed only).
    pub curves: BTreeMap<String, Vec<Recorded>>,
}

impl ClaimSpec {
    /// Checks that running the claim on `seeds` instead of its own keeps every assertion's
    /// meaning: `at_least: K` counts seeds of the claim's own number, so another number is
    /// refused at the quantifier (`all`, `any` and `fraction` scale).
    pub fn check_seeds(&self, seeds: Seeds) -> Result<(), SpecError> {
        seeds.check().map_err(|expected| SpecError::Invalid {
            file: self.file.clone(),
            line: 1,
            column: 1,
            field: "--seeds".into(),
            expected,
        })?;
        for (k, assertion) in self.assertions.iter().enumerate() {
            if let Quantifier::AtLeast(needed) = assertion.over_seeds
                && seeds.count != self.seeds.count
            {
                let (line, column) = assertion.over_seeds_at;
                return Err(SpecError::Invalid {
                    file: self.file.clone(),
                    line,
                    column,
                    field: format!("expect[{k}].over_seeds"),
                    expected: format!(
                        "the claim's own {} seeds for `at_least: {needed}` (--seeds asks for {}); use `fraction` to run other counts",
                        self.seeds.count, seeds.count
                    ),
                });
            }
        }
        Ok(())
    }

    /// Refuses the claim if it has an external run `permission` does not allow, at the run's
    /// `command` (`external::refusal`).
    pub fn check_external(&self, permission: &Permission) -> Result<(), SpecError> {
        match external::refusal(&self.runs, permission) {
            Some((field, (line, column), expected)) => Err(SpecError::Invalid {
                file: self.file.clone(),
                line,
                column,
                field,
                expected,
            }),
            None => Ok(()),
        }
    }

    /// Checks that running the claim on `seeds` (its count, or its budget) fits `limits`, as its
    /// own seeds were checked when it was read.
    pub fn check_cost(&self, seeds: Seeds, limits: Limits) -> Result<(), SpecError> {
        budget::check(&self.problem, &self.runs, seeds.count, limits).map_err(|(resource, cost)| {
            SpecError::Invalid {
                file: self.file.clone(),
                line: 1,
                column: 1,
                field: "--seeds".into(),
                expected: format!(
                    "{} seeds within the limits: {} (at `{}`)",
                    seeds.count,
                    cost.expected(resource, limits),
                    cost.field
                ),
            }
        })
    }

    /// Validates the text of one point of a sweep over `parameters` (none for a plain claim),
    /// its `$name`s already replaced (`read::parameters`): the point's claim, and the
    /// assertions across points and figures the grid shares (checked against this point's
    /// runs, and recording what they need at its seeds).
    pub fn parse_point(
        text: &str,
        file: &Path,
        limits: Limits,
        parameters: &[Parameter],
    ) -> Result<(ClaimSpec, Vec<Across>, Vec<Figure>), SpecError> {
        let reading = Reading {
            text: scanned(text, file)?,
            file,
        };
        // Enums are written as one-key maps (`completion: {…}`), not YAML tags (`!completion`).
        let mut raw: RawClaim = serde_yaml::with::singleton_map_recursive::deserialize(
            serde_yaml::Deserializer::from_str(reading.text),
        )
        .map_err(|e| yaml_error(&e, file))?;
        if raw.sweep.is_some() && parameters.is_empty() {
            return Err(reading.invalid(
                "sweep",
                "a claim without `sweep` here: a sweep is read by `claim::Claim`, as the CLI does"
                    .into(),
            ));
        }
        let (seeds, sampling) = validate_header(&raw).map_err(|e| reading.located(e))?;
        reading.runs(&mut raw)?;
        external::resolve(&mut raw.runs, reading.text, file)
            .map_err(|(field, expected)| reading.invalid(&field, expected))?;
        let runs: Vec<(&str, RunKind)> = raw
            .runs
            .iter()
            .map(|(name, run)| (name.as_str(), run.kind()))
            .collect();
        let (rows, cols) = raw.problem.shape();
        let scope = Scope {
            runs: &runs,
            rows,
            cols,
            has_truth: raw.problem.has_truth(),
            labels: matches!(raw.problem.fit(), Fit::Margin(_)),
            held_out: raw.problem.held_out(),
        };
        let assertions = reading.assertions(&raw, &scope, seeds, sampling)?;
        // After the assertions: a misspelt word is reported before what the claim would cost.
        budget::check(&raw.problem, &raw.runs, seeds.count, limits).map_err(
            |(resource, cost)| reading.invalid(&cost.field, cost.expected(resource, limits)),
        )?;
        let mut recorded = Vec::new();
        let mut curves = BTreeMap::new();
        let across = raw
            .across
            .iter()
            .enumerate()
            .map(|(k, a)| a.check(k, parameters, &scope, &mut recorded))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| reading.field_error(e))?;
        let figures = reading.figures(&raw, parameters, &scope, &mut recorded, &mut curves)?;
        let spec = ClaimSpec {
            file: file.to_path_buf(),
            id_at: locate::locate(reading.text, &locate::parse_path("id")),
            id: raw.id,
            title: raw.title,
            source: raw.source,
            seeds,
            sampling,
            problem: raw.problem,
            runs: raw.runs,
            assertions,
            verdict: raw.verdict.into(),
            recorded,
            curves,
        };
        Ok((spec, across, figures))
    }
}

/// One point's text being read: where its errors are located.
struct Reading<'t> {
    text: &'t str,
    file: &'t Path,
}

impl Reading<'_> {
    /// An error at `field`, located in the text.
    fn invalid(&self, field: &str, expected: String) -> SpecError {
        let (line, column) = locate::locate(self.text, &locate::parse_path(field));
        SpecError::Invalid {
            file: self.file.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            expected,
        }
    }

    fn located(&self, e: Invalid) -> SpecError {
        self.invalid(&e.field, e.expected)
    }

    fn field_error(&self, e: FieldError) -> SpecError {
        match e {
            FieldError::Field(field, expected) => self.invalid(&field, expected),
            FieldError::Expression(field, written, error) => {
                expression_error(self.text, self.file, &field, &written, error)
            }
        }
    }

    /// The problem and every run, validated, with names the language leaves free.
    fn runs(&self, raw: &mut RawClaim) -> Result<(), SpecError> {
        raw.problem
            .validate()
            .map_err(|e| self.located(e.within("problem")))?;
        data::load(&mut raw.problem, self.file, |field, expected| {
            self.invalid(field, expected)
        })?;
        let (rows, cols) = raw.problem.shape();
        for (name, run) in &raw.runs {
            let field = format!("runs.{name}");
            if !is_identifier(name) {
                return Err(self.invalid(
                    &field,
                    format!(
                        "a run name made of letters, digits and `_`, not starting with a digit, and none of the assertion language's words ({}); found `{name}`",
                        registry::reserved_words().join(", ")
                    ),
                ));
            }
            run.validate(rows, cols)
                .map_err(|e| self.located(e.within(&field)))?;
            run.validate_for(&raw.problem)
                .map_err(|e| self.located(e.within(&field)))?;
        }
        Ok(())
    }

    /// The assertions made at this point (`at` true here), parsed and checked against `scope`.
    fn assertions(
        &self,
        raw: &RawClaim,
        scope: &Scope,
        seeds: Seeds,
        sampling: Sampling,
    ) -> Result<Vec<Assertion>, SpecError> {
        let mut assertions = Vec::new();
        for (k, a) in raw.expect.iter().enumerate() {
            let over_seeds = format!("expect[{k}].over_seeds");
            check_quantifier(a.over_seeds, seeds, sampling)
                .map_err(|expected| self.invalid(&over_seeds, expected))?;
            let that = format!("expect[{k}].that");
            let expr = Expr::parse(&a.that)
                .and_then(|e| e.check_assertion(scope).map(|_| e))
                .map_err(|e| expression_error(self.text, self.file, &that, &a.that, e))?;
            if let Some(at) = &a.at {
                let field = format!("expect[{k}].at");
                if !at_point(at)
                    .map_err(|e| expression_error(self.text, self.file, &field, at, e))?
                {
                    continue;
                }
            }
            assertions.push(Assertion {
                that: a.that.clone(),
                expr,
                over_seeds: a.over_seeds,
                why: a.why.clone(),
                over_seeds_at: locate::locate(self.text, &locate::parse_path(&over_seeds)),
            });
        }
        if assertions.is_empty() && sampling != Sampling::Fixed {
            return Err(self.invalid(
                "expect",
                "at least one assertion at every point of a sequential sweep (its seeds are drawn until they decide); here every `at` is false".into(),
            ));
        }
        Ok(assertions)
    }

    /// The figures, checked, each named once.
    fn figures(
        &self,
        raw: &RawClaim,
        parameters: &[Parameter],
        scope: &Scope,
        recorded: &mut Vec<Recorded>,
        curves: &mut BTreeMap<String, Vec<Recorded>>,
    ) -> Result<Vec<Figure>, SpecError> {
        if raw.figures.len() > MAX_FIGURES {
            return Err(self.invalid("figures", format!("at most {MAX_FIGURES} figures")));
        }
        let mut figures: Vec<Figure> = Vec::new();
        for (k, f) in raw.figures.iter().enumerate() {
            let figure = f
                .check(k, parameters, scope, recorded, curves)
                .map_err(|e| self.field_error(e))?;
            if figures.iter().any(|other| other.name == figure.name) {
                return Err(self.invalid(
                    &format!("figures[{k}].name"),
                    format!(
                        "a name no other figure of this claim has; `{}` is taken",
                        figure.name
                    ),
                ));
            }
            figures.push(figure);
        }
        Ok(figures)
    }
}

/// The claim's text without a byte-order mark, after `source::scan` refused what a claim must
/// not contain.
pub fn scanned<'t>(text: &'t str, file: &Path) -> Result<&'t str, SpecError> {
    // A UTF-8 byte-order mark is not part of the claim.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    source::scan(text).map_err(|refusal| SpecError::Invalid {
        file: file.to_path_buf(),
        line: refusal.line,
        column: refusal.column,
        field: "(document)".into(),
        expected: refusal.expected,
    })?;
    Ok(text)
}

/// The runs' map, refusing a name given twice (a plain map would keep the second silently).
fn unique_runs<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, RunSpec>, D::Error> {
    struct Runs;
    impl<'de> serde::de::Visitor<'de> for Runs {
        type Value = BTreeMap<String, RunSpec>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping from run names to runs")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut runs = BTreeMap::new();
            while let Some(name) = map.next_key::<String>()? {
                if runs.contains_key(&name) {
                    return Err(serde::de::Error::custom(format!(
                        "each run named once; `{name}` is defined twice"
                    )));
                }
                let run = map.next_value()?;
                runs.insert(name, run);
            }
            Ok(runs)
        }
    }
    deserializer.deserialize_map(Runs)
}

/// Checks the header and returns the claim's seeds and how they are sampled.
fn validate_header(raw: &RawClaim) -> Result<(Seeds, Sampling), Invalid> {
    let text_fields = [
        ("id", &raw.id),
        ("title", &raw.title),
        ("source.paper", &raw.source.paper),
        ("source.where", &raw.source.location),
    ];
    for (field, value) in text_fields {
        if value.trim().is_empty() {
            return Err(Invalid::new(field, "a non-empty text"));
        }
    }
    let (count, sampling, field) = match (raw.seeds.count, raw.seeds.budget, raw.error_rates) {
        (Some(count), None, None) => (count, Sampling::Fixed, "seeds.count"),
        (None, Some(budget), rates) => {
            let rates = rates.unwrap_or_default();
            rates
                .check()
                .map_err(|expected| Invalid::new("error_rates", expected))?;
            (budget, Sampling::Sequential(rates), "seeds.budget")
        }
        (Some(_), None, Some(_)) => {
            return Err(Invalid::new(
                "error_rates",
                "no `error_rates` with a fixed `seeds.count`: they decide rates, which need `seeds.budget`",
            ));
        }
        _ => {
            return Err(Invalid::new(
                "seeds",
                "either `count` (a fixed block of seeds, for `all`, `any`, `at_least`, `fraction`) or `budget` (seeds drawn until each `rate` and `always` is decided), not both",
            ));
        }
    };
    if count == 0 {
        return Err(Invalid::new(field, "at least 1 seed"));
    }
    let seeds = Seeds {
        from: raw.seeds.from,
        count,
    };
    seeds
        .check()
        .map_err(|expected| Invalid::new("seeds", expected))?;
    if raw.runs.is_empty() {
        return Err(Invalid::new("runs", "at least one run"));
    }
    if raw.expect.is_empty() {
        return Err(Invalid::new("expect", "at least one assertion"));
    }
    Ok((seeds, sampling))
}

/// Whether a condition on the parameters, their values already written in (`2000 >= 1000`),
/// holds: numbers, comparisons, `and`, `or`, `not` and functions only.
fn at_point(condition: &str) -> Result<bool, crate::claim::language::expr::ExprError> {
    let expr = Expr::parse(condition)?;
    let scope = Scope {
        runs: &[],
        rows: 0,
        cols: 0,
        has_truth: false,
        labels: false,
        held_out: None,
    };
    if let Some(reference) = expr.references().first() {
        return Err(crate::claim::language::expr::ExprError {
            column: reference.parts[0] + 1,
            expected: "a condition on the sweep's parameters alone (`$observed >= 2000`), naming no run or metric".into(),
        });
    }
    expr.check_assertion(&scope)?;
    Ok(expr.truth(&|_| f64::NAN))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !registry::reserved_words().contains(&name)
}

/// The claim files named by `paths`: files as given, folders as their `*.yaml`/`*.yml` files in
/// name order (never the file system's order).
pub fn claim_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SpecError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| SpecError::Unreadable {
                file: path.clone(),
                reason: e.to_string(),
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}
