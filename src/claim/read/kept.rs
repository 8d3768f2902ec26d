//! Kept counterexamples: the confirmed counterexamples of a searched claim, in a file beside
//! its spec (`claim.yaml` → `claim.counterexamples`, committed by the user as proptest's
//! regression files are) and replayed before any new point. The file is a YAML list of
//! points, each a mapping from every parameter of the domain to its value; it is read from a
//! regular file of bounded size with located errors, and written whole, never through a link.

use crate::claim::read::domain::Domain;
use crate::claim::read::errors::{SpecError, yaml_error};
use crate::claim::read::locate;
use crate::claim::read::parameters::{Setting, label};
use crate::claim::read::source;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most counterexamples a file may keep: as many as a search may draw.
pub const MAX_KEPT: usize = crate::claim::read::domain::MAX_POINTS;

/// What a YAML node is, in words.
fn kind_of(value: &serde_yaml::Value) -> &'static str {
    match value {
        serde_yaml::Value::Mapping(_) => "a mapping",
        serde_yaml::Value::Sequence(_) => "a list",
        _ => "a single value",
    }
}

/// The file where the counterexamples of the claim in `spec` are kept.
pub fn path_for(spec: &Path) -> PathBuf {
    spec.with_extension("counterexamples")
}

/// The counterexamples kept for the claim in `spec` (none when no file is there), each
/// checked against `domain`'s parameters (a point its constraints no longer admit is read,
/// and reported as outside the domain when replayed).
pub fn read(spec: &Path, domain: &Domain) -> Result<Vec<Vec<Setting>>, SpecError> {
    let file = path_for(spec);
    let Ok(metadata) = std::fs::symlink_metadata(&file) else {
        return Ok(Vec::new());
    };
    // Implied by the spec's name, not named by the user: never read through a link.
    if metadata.file_type().is_symlink() {
        return Err(SpecError::Unreadable {
            file,
            reason: "a link (kept counterexamples are read from a regular file beside the spec, never through a link)".into(),
        });
    }
    let text = source::read(&file).map_err(|reason| SpecError::Unreadable {
        file: file.clone(),
        reason,
    })?;
    let text = crate::claim::read::spec::scanned(&text, &file)?;
    let document: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| yaml_error(&e, &file))?;
    let invalid = |field: String, expected: String| {
        let (line, column) = locate::locate(text, &locate::parse_path(&field));
        SpecError::Invalid {
            file: file.clone(),
            line,
            column,
            field,
            expected,
        }
    };
    const FORM: &str = "a list of counterexamples, each `- { parameter: value, … }`";
    let points = match document {
        serde_yaml::Value::Null => Vec::new(),
        serde_yaml::Value::Sequence(points) => points,
        other => {
            return Err(invalid(
                "(document)".into(),
                format!("{FORM}; found {}", kind_of(&other)),
            ));
        }
    };
    if points.len() > MAX_KEPT {
        return Err(invalid(
            format!("[{MAX_KEPT}]"),
            format!(
                "at most {MAX_KEPT} kept counterexamples (each is replayed before any new point); found {}",
                points.len()
            ),
        ));
    }
    let mut kept = Vec::new();
    for (k, point) in points.into_iter().enumerate() {
        let serde_yaml::Value::Mapping(mut point) = point else {
            return Err(invalid(
                format!("[{k}]"),
                format!("{FORM}; found {}", kind_of(&point)),
            ));
        };
        let mut settings = Vec::new();
        for dimension in &domain.dimensions {
            let Some(value) = point.remove(dimension.name.as_str()) else {
                return Err(invalid(
                    format!("[{k}]"),
                    format!(
                        "a value for every parameter of the domain; `{}` is missing",
                        dimension.name
                    ),
                ));
            };
            if !dimension.of_kind(&value) {
                return Err(invalid(
                    format!("[{k}].{}", dimension.name),
                    format!(
                        "a value of `{}` ({}); found `{}`",
                        dimension.name,
                        dimension.describe(),
                        label(&value)
                    ),
                ));
            }
            settings.push(Setting {
                name: dimension.name.clone(),
                value,
            });
        }
        if let Some((name, _)) = point.into_iter().next() {
            let name = label(&name);
            return Err(invalid(
                format!("[{k}].{name}"),
                format!("parameters of the domain only; `{name}` is not one"),
            ));
        }
        if !kept.contains(&settings) {
            kept.push(settings);
        }
    }
    Ok(kept)
}

/// The file's text for `points`.
pub fn render(spec: &Path, points: &[Vec<Setting>]) -> String {
    let name = spec
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let mut text = format!(
        "# Counterexamples implreg confirmed for the claim in {name}, replayed before any new point.\n# Commit this file; delete a line once its counterexample is understood and fixed.\n"
    );
    for point in points {
        let fields: Vec<String> = point
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s.name,
                    crate::claim::read::parameters::flow(&s.value)
                )
            })
            .collect();
        text += &format!("- {{ {} }}\n", fields.join(", "));
    }
    text
}

/// Writes `points` as the kept counterexamples of `spec`: into a new file beside it, then
/// renamed over the kept file, so that a reader never sees half of it and a link planted at
/// either name is never followed.
pub fn write(spec: &Path, points: &[Vec<Setting>]) -> std::io::Result<PathBuf> {
    let file = path_for(spec);
    if let Ok(metadata) = std::fs::symlink_metadata(&file)
        && !metadata.is_file()
    {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            file.display()
        )));
    }
    let tmp = file.with_extension(format!("counterexamples.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(render(spec, points).as_bytes()))
        .and_then(|()| std::fs::rename(&tmp, &file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| file)
}
