//! Turning what went wrong while reading a claim into a `SpecError` at a line and column:
//! yaml_serde's messages made readable, and errors inside an expression placed at their column
//! in the file.

use crate::claim::language::expr::ExprError;
use crate::claim::read::locate;
use crate::printable::{MAX_MESSAGE, printable, shortened};
use std::path::{Path, PathBuf};

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
        shortened(expected, MAX_MESSAGE)
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

/// yaml_serde's message is `path: what at line L column C`; split it into our parts.
pub fn yaml_error(error: &serde_yaml::Error, file: &Path) -> SpecError {
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
pub fn readable(message: &str) -> String {
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
            // serde names the known fields and variants in backticks: suggest the nearest.
            let known = expected.split('`').skip(1).step_by(2);
            let suggestion = crate::suggest::did_you_mean(found.trim_matches('`'), known);
            return format!("{expected}; found {shown}{found}{suggestion}");
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

/// Locates an error inside the expression at `field`: the column in the file is the text's start plus the
/// column within the expression when the text is a one-line plain or quoted scalar.
pub fn expression_error(
    text: &str,
    file: &Path,
    field: &str,
    that: &str,
    error: ExprError,
) -> SpecError {
    let (line, start) = locate::locate(text, &locate::parse_path(field));
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
        field: field.to_string(),
        expected: format!(
            "{} (column {} of the {} `{that}`)",
            error.expected,
            error.column,
            if field.ends_with(".that") {
                "assertion"
            } else {
                "expression"
            }
        ),
    }
}
