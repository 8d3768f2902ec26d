//! A claim file: its schema, and the validation that turns every impossible or misspelt setting
//! into an error naming the file, line, column, field and what was expected, before anything runs.

use super::budget::{self, Limits};
use super::decide::ErrorRates;
use super::expr::{Expr, ExprError, Scope};
use super::locate;
use super::registry;
use super::sampling::check_quantifier;
pub use super::sampling::{Quantifier, RawSeeds, Sampling, Seeds};
use super::source;
use crate::invalid::Invalid;
use crate::printable::printable;
use crate::problem::ProblemSpec;
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
    /// The error rates of a sequential claim's decisions (defaults `decide::ALPHA`, `BETA`).
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
}

/// Why a claim file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read (`file`, and why: `reason`).
    #[error("{}: cannot read: {}", printable(&file.display().to_string()), printable(reason))]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// Why it cannot be read.
        reason: String,
    },
    /// A located mistake in the file.
    #[error(
        "{}:{line}:{column}: {}: expected {}",
        printable(&file.display().to_string()),
        printable(field),
        printable(expected)
    )]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// The dotted path of the field (`runs.depth3.deep.depth`, `expect[1].that`).
        field: String,
        /// What would have been valid there.
        expected: String,
    },
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

    /// Reads and validates a claim file within the default limits.
    pub fn load(file: &Path) -> Result<ClaimSpec, SpecError> {
        Self::load_within(file, Limits::default())
    }

    /// Reads and validates a claim file whose estimated cost fits `limits`.
    pub fn load_within(file: &Path, limits: Limits) -> Result<ClaimSpec, SpecError> {
        let text = source::read(file).map_err(|reason| SpecError::Unreadable {
            file: file.to_path_buf(),
            reason,
        })?;
        Self::parse_within(&text, file, limits)
    }

    /// Validates the text of a claim within the default limits; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<ClaimSpec, SpecError> {
        Self::parse_within(text, file, Limits::default())
    }

    /// Validates the text of a claim whose estimated cost fits `limits`.
    pub fn parse_within(text: &str, file: &Path, limits: Limits) -> Result<ClaimSpec, SpecError> {
        // A UTF-8 byte-order mark is not part of the claim.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        source::scan(text).map_err(|refusal| SpecError::Invalid {
            file: file.to_path_buf(),
            line: refusal.line,
            column: refusal.column,
            field: "(document)".into(),
            expected: refusal.expected,
        })?;
        // Enums are written as one-key maps (`completion: {…}`), not YAML tags (`!completion`).
        let raw: RawClaim = serde_yaml::with::singleton_map_recursive::deserialize(
            serde_yaml::Deserializer::from_str(text),
        )
        .map_err(|e| yaml_error(&e, file))?;
        let invalid = |field: &str, expected: String| {
            let (line, column) = locate::locate(text, &locate::parse_path(field));
            SpecError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: field.to_string(),
                expected,
            }
        };
        let from_invalid = |e: Invalid| invalid(&e.field, e.expected);
        let (seeds, sampling) = validate_header(&raw).map_err(from_invalid)?;
        raw.problem
            .validate()
            .map_err(|e| from_invalid(e.within("problem")))?;
        let (rows, cols) = raw.problem.shape();
        for (name, run) in &raw.runs {
            let field = format!("runs.{name}");
            if !is_identifier(name) {
                return Err(invalid(
                    &field,
                    format!(
                        "a run name made of letters, digits and `_`, not starting with a digit, and none of the assertion language's words ({}); found `{name}`",
                        registry::reserved_words().join(", ")
                    ),
                ));
            }
            run.validate(rows, cols)
                .map_err(|e| from_invalid(e.within(&field)))?;
        }
        budget::check(&raw.problem, &raw.runs, seeds.count, limits)
            .map_err(|(resource, cost)| invalid(&cost.field, cost.expected(resource, limits)))?;
        let runs: Vec<(&str, RunKind)> = raw
            .runs
            .iter()
            .map(|(name, run)| (name.as_str(), run.kind()))
            .collect();
        let scope = Scope {
            runs: &runs,
            rows,
            cols,
            has_truth: raw.problem.has_truth(),
        };
        let assertions = raw
            .expect
            .iter()
            .enumerate()
            .map(|(k, a)| {
                check_quantifier(a.over_seeds, seeds, sampling)
                    .map_err(|expected| invalid(&format!("expect[{k}].over_seeds"), expected))?;
                let expr = Expr::parse(&a.that)
                    .and_then(|e| e.check_assertion(&scope).map(|_| e))
                    .map_err(|e| expression_error(text, file, k, &a.that, e))?;
                Ok(Assertion {
                    that: a.that.clone(),
                    expr,
                    over_seeds: a.over_seeds,
                    why: a.why.clone(),
                    over_seeds_at: locate::locate(
                        text,
                        &locate::parse_path(&format!("expect[{k}].over_seeds")),
                    ),
                })
            })
            .collect::<Result<Vec<_>, SpecError>>()?;
        Ok(ClaimSpec {
            file: file.to_path_buf(),
            id_at: locate::locate(text, &locate::parse_path("id")),
            id: raw.id,
            title: raw.title,
            source: raw.source,
            seeds,
            sampling,
            problem: raw.problem,
            runs: raw.runs,
            assertions,
            verdict: raw.verdict.into(),
        })
    }
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

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !registry::reserved_words().contains(&name)
}

/// yaml_serde's message is `path: what at line L column C`; split it into our parts.
fn yaml_error(error: &serde_yaml::Error, file: &Path) -> SpecError {
    let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
    let message = error.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    let (path, expected) = match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (Some(path), rest.to_string()),
        _ => (None, message.clone()),
    };
    // A missing field is named by its parent's path and the field itself.
    let missing = expected
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'));
    let field = match (path, missing) {
        (Some(path), Some(name)) => format!("{path}.{name}"),
        (None, Some(name)) => name.to_string(),
        (Some(path), None) => path.to_string(),
        (None, None) => "(document)".to_string(),
    };
    let expected = match (path, missing) {
        (None, None) => format!("valid YAML in the claim schema: {expected}"),
        _ => expected,
    };
    SpecError::Invalid {
        file: file.to_path_buf(),
        line,
        column,
        field,
        expected: readable(&expected),
    }
}

/// Turns serde's "unknown field `x`, expected one of …" into "one of …; found unknown field `x`".
fn readable(message: &str) -> String {
    let message = message
        .replace("expected usize", "expected a whole number ≥ 0")
        .replace("expected u64", "expected a whole number ≥ 0")
        .replace("expected f64", "expected a number");
    let message = message.as_str();
    // serde's "<prefix><found>, expected <expected>", with how to show what was found.
    let forms = [
        ("unknown field ", "unknown field "),
        ("unknown variant ", "unknown variant "),
        ("invalid type: ", ""),
        ("invalid value: ", ""),
    ];
    for (prefix, shown) in forms {
        if let Some((found, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            return format!("{expected}; found {shown}{found}");
        }
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        return format!("the required field {field}");
    }
    if let Some(field) = message.strip_prefix("duplicate field ") {
        return format!("each field once; {field} is given twice");
    }
    message.to_string()
}

/// Locates an error inside `expect[k].that`: the column in the file is the text's start plus the
/// column within the expression when the text is a one-line plain or quoted scalar.
fn expression_error(text: &str, file: &Path, k: usize, that: &str, error: ExprError) -> SpecError {
    let (line, start) = locate::locate(text, &locate::parse_path(&format!("expect[{k}].that")));
    let source_line = text.lines().nth(line - 1).unwrap_or("");
    let written: String = source_line.chars().skip(start - 1).collect();
    let quoted = written.starts_with('"') || written.starts_with('\'');
    let inline = written
        .trim_start_matches(['"', '\''])
        .starts_with(that.lines().next().unwrap_or(""));
    let column = if inline {
        start + usize::from(quoted) + error.column - 1
    } else {
        start
    };
    SpecError::Invalid {
        file: file.to_path_buf(),
        line,
        column,
        field: format!("expect[{k}].that"),
        expected: format!(
            "{} (column {} of the assertion `{that}`)",
            error.expected, error.column
        ),
    }
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
