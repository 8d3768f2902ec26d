//! A claim as a grid of points: each point is an ordinary claim (`ClaimSpec`) read from the
//! file with the sweep's `$name`s replaced by the point's values (`parameters`), and decided on
//! its own seeds as any claim is; then the assertions across points are judged and the figures'
//! data gathered. A claim without `sweep` is a grid of one point.

use crate::claim::read::across::Across;
use crate::claim::read::budget::Limits;
use crate::claim::read::errors::yaml_error;
use crate::claim::read::figure::Figure;
use crate::claim::read::kept;
use crate::claim::read::locate;
use crate::claim::read::parameters::{self, Misuse, Parameter, Setting, Use};
use crate::claim::read::search::{self, SearchSpec};
use crate::claim::read::source;
use crate::claim::read::spec::{ClaimSpec, Seeds, SpecError};
use std::path::{Path, PathBuf};

/// The most text all the points of a grid may add up to (points × the file's length).
pub const MAX_GRID_TEXT: usize = 64 << 20;

/// A mistake in a declaration or a use, as a located error of `file`.
fn misuse(file: &Path, m: Misuse) -> SpecError {
    SpecError::Invalid {
        file: file.to_path_buf(),
        line: m.line,
        column: m.column,
        field: m.field,
        expected: m.expected,
    }
}

/// Every point's text is read in full: the total is bounded so that reading stays quick. A
/// point's text is bounded by the text with each `$name` written as its parameter's longest
/// value (`longest`), so that long values used many times cannot expand past the bound.
fn bound_text(
    text: &str,
    file: &Path,
    points: usize,
    field: &str,
    uses: &[Use],
    longest: &dyn Fn(&str) -> usize,
) -> Result<(), SpecError> {
    let point = uses
        .iter()
        .fold(text.len(), |sum, u| sum.saturating_add(longest(&u.2)));
    if points.saturating_mul(point) <= MAX_GRID_TEXT {
        return Ok(());
    }
    let (line, column) = locate::locate(text, &locate::parse_path(field));
    Err(SpecError::Invalid {
        file: file.to_path_buf(),
        line,
        column,
        field: field.into(),
        expected: format!(
            "a {} whose points' texts add up to at most {} MiB; {points} points of {} bytes",
            if field == "sweep" {
                "grid"
            } else {
                "search (drawn points and shrink candidates)"
            },
            MAX_GRID_TEXT >> 20,
            point
        ),
    })
}

/// A claim's text with its `$name`s, from which the claim at any point is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    text: String,
    uses: Vec<Use>,
    file: PathBuf,
    /// Each point's limits.
    limits: Limits,
}

impl Template {
    /// The claim at `settings`, with the assertions across points and the figures; an error
    /// names the point (`what`: `sweep point`, `search point`) and the `$name` it came from.
    fn point(
        &self,
        settings: &[Setting],
        parameters: &[Parameter],
        what: &str,
    ) -> Result<(ClaimSpec, Vec<Across>, Vec<Figure>), SpecError> {
        let file = &self.file;
        let (substituted, map) = parameters::substitute(&self.text, &self.uses, settings)
            .map_err(|m| misuse(file, m))?;
        ClaimSpec::parse_point(&substituted, file, self.limits, parameters).map_err(|error| {
            match error {
                SpecError::Invalid {
                    file,
                    line,
                    column,
                    field,
                    expected,
                } if !settings.is_empty() => SpecError::Invalid {
                    // `across` and figures span the grid: no point to name.
                    expected: if field.starts_with("across") || field.starts_with("figures") {
                        expected
                    } else {
                        format!(
                            "{expected} (at the {what} {})",
                            parameters::describe(settings)
                        )
                    },
                    file,
                    line,
                    column: map.column(line, column),
                    field,
                },
                other => other,
            }
        })
    }

    /// The text at `settings` as a claim of its own: the `search:` block left out, the
    /// `$name`s written, expecting `verdict` (how a counterexample is written to be rerun).
    pub fn standalone(&self, settings: &[Setting], verdict: &str) -> String {
        let (text, _) = parameters::substitute(&self.text, &self.uses, settings)
            .unwrap_or_else(|_| (self.text.clone(), Default::default()));
        let mut out = String::new();
        let mut skipping = false;
        for line in text.split_inclusive('\n') {
            let top = line
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-');
            if top {
                skipping = line.starts_with("search:");
            }
            if skipping {
                continue;
            }
            if top && line.starts_with("verdict:") {
                out += &format!("verdict: {verdict}\n");
            } else {
                out += line;
            }
        }
        out
    }
}

/// Each point's limits: the work is shared by the points, the memory is not (they run in turn).
fn shared(limits: Limits, points: usize) -> Limits {
    Limits {
        work: limits.work / points as f64,
        ..limits
    }
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The parameters' values here (none for a plain claim).
    pub settings: Vec<Setting>,
    /// The claim at this point.
    pub spec: ClaimSpec,
}

/// A validated claim: its parameters, the claim at each point of their grid, and what spans
/// the grid (assertions across points, figures).
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The sweep's parameters, in the order declared (none for a plain claim).
    pub parameters: Vec<Parameter>,
    /// The points in grid order (the last parameter varying fastest); at least one.
    pub points: Vec<Point>,
    /// Assertions across the points.
    pub across: Vec<Across>,
    /// Figures, drawn from every point.
    pub figures: Vec<Figure>,
    /// How its domain is searched, for a searched claim (whose `points` are those drawn).
    pub search: Option<Searched>,
}

/// A searched claim beyond its drawn points: the search, the counterexamples kept for it, the
/// draws its constraints rejected, and the text every other point is read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Searched {
    /// The `search:` block.
    pub spec: SearchSpec,
    /// The counterexamples kept beside the spec, replayed first.
    pub kept: Vec<Vec<Setting>>,
    /// Draws the constraints rejected on the way to the points.
    pub rejected: usize,
    /// The claim's text.
    pub template: Template,
}

impl Searched {
    /// Reads a searched claim: its points drawn, each read as an ordinary claim, and the
    /// counterexamples kept beside `file`.
    fn read(
        text: &str,
        file: &Path,
        limits: Limits,
        spec: SearchSpec,
        uses: Vec<Use>,
    ) -> Result<Claim, SpecError> {
        let at = |field: &str| locate::locate(text, &locate::parse_path(field));
        let names: Vec<&str> = spec
            .domain
            .dimensions
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        parameters::check_uses(&uses, &names, "search.domain", &at).map_err(|m| misuse(file, m))?;
        parameters::check_claim_wide(text, &uses).map_err(|m| misuse(file, m))?;
        let kept = kept::read(file, &spec.domain)?;
        let longest = |name: &str| {
            spec.domain
                .dimensions
                .iter()
                .find(|d| d.name == name)
                .map_or(0, |d| d.longest_written())
        };
        let decisions = spec.points + spec.shrink + kept.len();
        bound_text(text, file, decisions, "search", &uses, &longest)?;
        let (drawn, rejected) = spec.domain.draw(spec.seed, spec.points).map_err(|k| {
            let field = if spec.domain.constraints.is_empty() { "search.domain" } else { "search.constraints" };
            misuse(file, Misuse::at(&at, field, format!(
                "constraints that points of the domain meet: none of {} draws for point {k} did",
                crate::claim::read::domain::MAX_DRAWS
            )))
        })?;
        // Every decision shares the work: the points, the shrink candidates, the confirmations.
        let decisions = spec.points + spec.shrink + 2 * (kept.len() + 1);
        let template = Template {
            text: text.to_string(),
            uses,
            file: file.to_path_buf(),
            limits: shared(limits, decisions),
        };
        let mut points = Vec::with_capacity(drawn.len());
        for settings in drawn {
            // `across` and `figures` were refused with the search block (`search::declared`).
            let (spec, _, _) = template.point(&settings, &[], "search point")?;
            points.push(Point { settings, spec });
        }
        for settings in kept.iter().filter(|k| spec.domain.admits(k)) {
            template.point(settings, &[], "kept counterexample")?;
        }
        let first = &points[0].spec;
        if first
            .seeds
            .from
            .checked_add(first.seeds.count.saturating_mul(2))
            .is_none()
        {
            return Err(misuse(
                file,
                Misuse::at(
                    &at,
                    "seeds",
                    "seeds whose confirmation block (the next as many) fits in 64 bits".into(),
                ),
            ));
        }
        Ok(Claim {
            parameters: Vec::new(),
            points,
            across: Vec::new(),
            figures: Vec::new(),
            search: Some(Searched {
                spec,
                kept,
                rejected,
                template,
            }),
        })
    }

    /// The claim at `settings` (a shrink candidate, a kept counterexample).
    pub fn at(&self, settings: &[Setting]) -> Result<ClaimSpec, SpecError> {
        self.template
            .point(settings, &[], "search point")
            .map(|(spec, _, _)| spec)
    }
}

impl Claim {
    /// The claim at its first point: its id, title, source, file and expected verdict, which
    /// every point shares.
    pub fn first(&self) -> &ClaimSpec {
        &self.points[0].spec
    }

    /// Whether its points report as a sweep's (parameters, assertions across points, figures,
    /// a search's drawn points) rather than as one claim.
    pub fn is_sweep(&self) -> bool {
        !self.parameters.is_empty()
            || !self.across.is_empty()
            || !self.figures.is_empty()
            || self.search.is_some()
    }

    /// Reads and validates a claim file whose estimated cost fits `limits`.
    pub fn load_within(file: &Path, limits: Limits) -> Result<Claim, SpecError> {
        let text = source::read(file).map_err(|reason| SpecError::Unreadable {
            file: file.to_path_buf(),
            reason,
        })?;
        Self::parse_within(&text, file, limits)
    }

    /// Reads and validates a claim file within the default limits.
    pub fn load(file: &Path) -> Result<Claim, SpecError> {
        Self::load_within(file, Limits::default())
    }

    /// Validates the text of a claim, every point of its grid (or every point its search will
    /// draw, and every counterexample kept for it); an error at a point names the point and
    /// the place in the file where the parameter is used. The work limit is shared by the
    /// points (they run one after the other, so memory is not).
    pub fn parse_within(text: &str, file: &Path, limits: Limits) -> Result<Claim, SpecError> {
        let text = crate::claim::read::spec::scanned(text, file)?;
        let at = |field: &str| locate::locate(text, &locate::parse_path(field));
        let located = |e: Result<Misuse, serde_yaml::Error>| match e {
            Ok(m) => misuse(file, m),
            Err(yaml) => yaml_error(&yaml, file),
        };
        let parameters = parameters::declared(text, &at).map_err(located)?;
        let search = search::declared(text, &at).map_err(located)?;
        let uses = parameters::uses(text);
        if let Some(search) = search {
            if !parameters.is_empty() {
                return Err(misuse(
                    file,
                    Misuse::at(
                        &at,
                        "search",
                        "a claim with `sweep` or `search`, not both".into(),
                    ),
                ));
            }
            return Searched::read(text, file, limits, search, uses);
        }
        let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
        parameters::check_uses(&uses, &names, "sweep", &at).map_err(|m| misuse(file, m))?;
        parameters::check_claim_wide(text, &uses).map_err(|m| misuse(file, m))?;
        let grid = parameters::grid(&parameters);
        let longest = |name: &str| {
            parameters
                .iter()
                .find(|p| p.name == name)
                .map_or(0, Parameter::longest_written)
        };
        bound_text(text, file, grid.len(), "sweep", &uses, &longest)?;
        let template = Template {
            text: text.to_string(),
            uses,
            file: file.to_path_buf(),
            limits: shared(limits, grid.len()),
        };
        let mut points = Vec::with_capacity(grid.len());
        let mut spanning = None;
        for settings in grid {
            let (spec, across, figures) = template.point(&settings, &parameters, "sweep point")?;
            points.push(Point { settings, spec });
            // The `across` and `figures` blocks are not substituted: every point reads them alike.
            spanning.get_or_insert((across, figures));
        }
        let (across, figures) = spanning.expect("a grid has at least one point");
        if across.is_empty() && points.iter().all(|p| p.spec.assertions.is_empty()) {
            return Err(misuse(
                file,
                Misuse::at(
                    &at,
                    "expect",
                    "at least one assertion made at some point of the grid (or one `across` it): every `at` is false at every point, and a claim that asserts nothing would hold having said nothing".into(),
                ),
            ));
        }
        Ok(Claim {
            parameters,
            points,
            across,
            figures,
            search: None,
        })
    }

    /// Validates the text of a claim within the default limits.
    pub fn parse(text: &str, file: &Path) -> Result<Claim, SpecError> {
        Self::parse_within(text, file, Limits::default())
    }

    /// Checks every point for `ClaimSpec::check_seeds` and `check_cost` (with the work limit
    /// shared by the points), on the seeds `seeds_for` gives each.
    pub fn check_seeds(
        &self,
        seeds_for: impl Fn(&ClaimSpec) -> Seeds,
        limits: Limits,
    ) -> Result<(), SpecError> {
        let share = shared(limits, self.points.len());
        for point in &self.points {
            let seeds = seeds_for(&point.spec);
            point.spec.check_seeds(seeds)?;
            point.spec.check_cost(seeds, share)?;
        }
        Ok(())
    }

    /// Refuses the claim if one of its points has an external run `permission` does not allow.
    pub fn check_external(
        &self,
        permission: &crate::external::Permission,
    ) -> Result<(), SpecError> {
        self.points
            .iter()
            .try_for_each(|point| point.spec.check_external(permission))
    }
}
