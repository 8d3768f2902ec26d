//! A claim's `search:` block, read on its own before the rest: the domain to search
//! (`read::domain`), the search seed, its budgets (points, shrink decisions, wall time), the
//! confirmation's level and the two parameters its figure draws. Every error is located in
//! the file.

use crate::claim::read::domain::{Constraint, Dimension, Domain, MAX_POINTS, RawDimension};
use crate::claim::read::errors::readable;
use crate::claim::read::parameters::{Misuse, is_identifier, uses};
use serde::Deserialize;

/// How a claim's domain is searched.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpec {
    /// The parameters and constraints.
    pub domain: Domain,
    /// The seed the points are drawn from.
    pub seed: u64,
    /// The most points drawn and decided.
    pub points: usize,
    /// The most candidates one shrink decides.
    pub shrink: usize,
    /// The search's wall-time budget: past it, no new decision starts.
    pub seconds: Option<f64>,
    /// α_c, the level of the confirmation on disjoint seeds (by default the claim's α).
    pub confirm: Option<f64>,
    /// The two parameters the figure of the points tried draws as its axes.
    pub axes: Vec<String>,
}

/// `search:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    #[serde(default)]
    seed: u64,
    points: usize,
    shrink: Option<usize>,
    seconds: Option<f64>,
    confirm: Option<f64>,
    axes: Option<Vec<String>>,
    domain: serde_yaml::Mapping,
    #[serde(default)]
    constraints: Vec<String>,
}

/// The claim's `search:` block, and whether the blocks that span a grid are there; the rest of
/// the document is skipped.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    search: Option<RawSearch>,
    #[serde(default)]
    across: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    figures: Option<serde::de::IgnoredAny>,
}

/// The shrink budget when none is given: enough to bisect every parameter of a few dozen
/// values twice over.
fn default_shrink(dimensions: usize) -> usize {
    (12 * dimensions).min(MAX_POINTS)
}

/// A mistake in the block: the field, and what was expected there.
type Mistake = (String, String);

fn mistake<T>(field: &str, expected: String) -> Result<T, Mistake> {
    Err((field.to_string(), expected))
}

/// Reads the `search:` block of `text` (none when there is none). `at` locates a field path;
/// yaml errors come back through the inner `Err`.
pub fn declared(
    text: &str,
    at: &dyn Fn(&str) -> (usize, usize),
) -> Result<Option<SearchSpec>, Result<Misuse, serde_yaml::Error>> {
    let header: Header = serde_yaml::from_str(text).map_err(Err)?;
    let Some(raw) = header.search else {
        return Ok(None);
    };
    let located = |(field, expected): Mistake| {
        let (line, column) = at(&field);
        Ok(Misuse {
            line,
            column,
            field,
            expected,
        })
    };
    for (field, given) in [
        ("across", header.across.is_some()),
        ("figures", header.figures.is_some()),
    ] {
        if given {
            return Err(located((
                field.to_string(),
                format!(
                    "no `{field}` in a searched claim: its points are drawn, not a grid (its report draws the points tried)"
                ),
            )));
        }
    }
    read(raw).map(Some).map_err(located)
}

/// The block checked field by field.
fn read(raw: RawSearch) -> Result<SearchSpec, Mistake> {
    let shrink = budgets(&raw)?;
    let dimensions = dimensions(raw.domain)?;
    let names: Vec<String> = dimensions.iter().map(|d| d.name.clone()).collect();
    let axes = axes(raw.axes, &names)?;
    let domain = Domain {
        constraints: raw
            .constraints
            .into_iter()
            .map(|text| Constraint { text })
            .collect(),
        dimensions,
    };
    constraints(&domain, &names)?;
    Ok(SearchSpec {
        domain,
        seed: raw.seed,
        points: raw.points,
        shrink,
        seconds: raw.seconds,
        confirm: raw.confirm,
        axes,
    })
}

/// The points, shrink, wall-time and confirmation budgets in range; the shrink budget.
fn budgets(raw: &RawSearch) -> Result<usize, Mistake> {
    if !(1..=MAX_POINTS).contains(&raw.points) {
        return mistake(
            "search.points",
            format!("between 1 and {MAX_POINTS} points; found {}", raw.points),
        );
    }
    let shrink = raw.shrink.unwrap_or(default_shrink(raw.domain.len()));
    if shrink > MAX_POINTS {
        return mistake(
            "search.shrink",
            format!("at most {MAX_POINTS} shrink decisions; found {shrink}"),
        );
    }
    if let Some(s) = raw.seconds.filter(|s| !(*s > 0.0 && *s <= 1e7)) {
        return mistake(
            "search.seconds",
            format!("a wall-time budget in seconds, above 0 and at most 10⁷; found {s}"),
        );
    }
    if let Some(c) = raw.confirm.filter(|c| !(*c > 0.0 && *c <= 0.5)) {
        return mistake(
            "search.confirm",
            format!("the confirmation's level α_c in (0, 0.5]; found {c}"),
        );
    }
    Ok(shrink)
}

/// The domain's parameters, each named and of one kind.
fn dimensions(domain: serde_yaml::Mapping) -> Result<Vec<Dimension>, Mistake> {
    if domain.is_empty() {
        return mistake("search.domain", "at least one parameter".into());
    }
    let mut dimensions: Vec<Dimension> = Vec::new();
    for (key, value) in domain {
        let Some(name) = key.as_str().map(str::to_string) else {
            return mistake("search.domain", "parameter names that are texts".into());
        };
        let field = format!("search.domain.{name}");
        if !is_identifier(&name) {
            return mistake(
                &field,
                format!(
                    "a parameter name of letters, digits and `_`, not starting with a digit; found `{name}`"
                ),
            );
        }
        let dimension = serde_yaml::from_value::<RawDimension>(value)
            .map_err(|e| readable(&e.to_string()))
            .and_then(|raw| Dimension::read(name, raw));
        match dimension {
            Ok(d) => dimensions.push(d),
            Err(expected) => return mistake(&field, expected),
        }
    }
    Ok(dimensions)
}

/// The figure's two axes: those named, or the first two parameters.
fn axes(axes: Option<Vec<String>>, names: &[String]) -> Result<Vec<String>, Mistake> {
    let axes = axes.unwrap_or_else(|| names.iter().take(2).cloned().collect());
    if let Some(axis) = axes.iter().find(|a| !names.contains(a)) {
        return mistake(
            "search.axes",
            format!(
                "parameters of the domain ({}); found `{axis}`",
                names.join(", ")
            ),
        );
    }
    if axes.len() > 2
        || (axes.len() < 2 && names.len() >= 2)
        || (axes.len() == 2 && axes[0] == axes[1])
    {
        return mistake(
            "search.axes",
            "two different parameters, the figure's x and y".into(),
        );
    }
    Ok(axes)
}

/// Every constraint names parameters of the domain and reads as a condition (checked at the
/// simplest point).
fn constraints(domain: &Domain, names: &[String]) -> Result<(), Mistake> {
    for (k, constraint) in domain.constraints.iter().enumerate() {
        let field = format!("search.constraints[{k}]");
        if let Some((_, _, name, _)) = uses(&constraint.text)
            .into_iter()
            .find(|u| !names.contains(&u.2))
        {
            return mistake(
                &field,
                format!(
                    "a parameter of the domain ({}); found `${name}`",
                    names.join(", ")
                ),
            );
        }
        if let Err(e) = constraint.expression(&domain.simplest()) {
            return mistake(
                &field,
                format!(
                    "{} (column {} of `{}`)",
                    e.expected, e.column, constraint.text
                ),
            );
        }
    }
    Ok(())
}
