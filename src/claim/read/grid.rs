//! A claim as a grid of points: each point is an ordinary claim (`ClaimSpec`) read from the
//! file with the sweep's `$name`s replaced by the point's values (`parameters`), and decided on
//! its own seeds as any claim is; then the assertions across points are judged and the figures'
//! data gathered. A claim without `sweep` is a grid of one point.

use crate::claim::read::across::Across;
use crate::claim::read::budget::Limits;
use crate::claim::read::errors::yaml_error;
use crate::claim::read::figure::Figure;
use crate::claim::read::locate;
use crate::claim::read::parameters::{self, Misuse, Parameter, Setting};
use crate::claim::read::source;
use crate::claim::read::spec::{ClaimSpec, Seeds, SpecError};
use std::path::Path;

/// The most text all the points of a grid may add up to (points × the file's length).
pub const MAX_GRID_TEXT: usize = 64 << 20;

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
}

impl Claim {
    /// The claim at its first point: its id, title, source, file and expected verdict, which
    /// every point shares.
    pub fn first(&self) -> &ClaimSpec {
        &self.points[0].spec
    }

    /// Whether it reports as a sweep (parameters, assertions across points or figures) rather
    /// than as one claim.
    pub fn is_sweep(&self) -> bool {
        !self.parameters.is_empty() || !self.across.is_empty() || !self.figures.is_empty()
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

    /// Validates the text of a claim, every point of its grid; an error at a point names the
    /// point and the place in the file where the parameter is used. The work limit is shared
    /// by the points (they run one after the other, so memory is not).
    pub fn parse_within(text: &str, file: &Path, limits: Limits) -> Result<Claim, SpecError> {
        let text = crate::claim::read::spec::scanned(text, file)?;
        let at = |field: &str| locate::locate(text, &locate::parse_path(field));
        let misuse = |m: Misuse| SpecError::Invalid {
            file: file.to_path_buf(),
            line: m.line,
            column: m.column,
            field: m.field,
            expected: m.expected,
        };
        let parameters = parameters::declared(text, &at).map_err(|e| match e {
            Ok(m) => misuse(m),
            Err(yaml) => yaml_error(&yaml, file),
        })?;
        let uses = parameters::uses(text);
        parameters::check_uses(&uses, &parameters, &at).map_err(misuse)?;
        let grid = parameters::grid(&parameters);
        // Every point's text is read in full: bound the total so that reading stays quick.
        if grid.len().saturating_mul(text.len()) > MAX_GRID_TEXT {
            let (line, column) = at("sweep");
            return Err(SpecError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: "sweep".into(),
                expected: format!(
                    "a grid whose points' texts add up to at most {} MiB; {} points of {} bytes",
                    MAX_GRID_TEXT >> 20,
                    grid.len(),
                    text.len()
                ),
            });
        }
        let share = shared(limits, grid.len());
        let mut points = Vec::with_capacity(grid.len());
        let mut spanning = None;
        for settings in grid {
            let (substituted, map) =
                parameters::substitute(text, &uses, &settings).map_err(misuse)?;
            let (spec, across, figures) =
                ClaimSpec::parse_point(&substituted, file, share, &parameters).map_err(
                    |error| match error {
                        SpecError::Invalid {
                            file,
                            line,
                            column,
                            field,
                            expected,
                        } if !settings.is_empty() => SpecError::Invalid {
                            // `across` and figures span the grid: no point to name.
                            expected: if field.starts_with("across") || field.starts_with("figures")
                            {
                                expected
                            } else {
                                format!(
                                    "{expected} (at the sweep point {})",
                                    parameters::describe(&settings)
                                )
                            },
                            file,
                            line,
                            column: map.column(line, column),
                            field,
                        },
                        other => other,
                    },
                )?;
            points.push(Point { settings, spec });
            // The `across` and `figures` blocks are not substituted: every point reads them alike.
            spanning.get_or_insert((across, figures));
        }
        let (across, figures) = spanning.expect("a grid has at least one point");
        Ok(Claim {
            parameters,
            points,
            across,
            figures,
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
}
