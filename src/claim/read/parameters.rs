//! A sweep's parameters and their substitution. A claim may declare `sweep:`, a mapping from
//! parameter names to lists of values; the grid is their product (the last parameter varying
//! fastest). Every `$name` outside comments and outside the `sweep`, `across` and `figures`
//! blocks is replaced, at each grid point, by the parameter's value, and the resulting text is
//! read as an ordinary claim. Values stay on the line they replace, and `LineMap` carries every
//! column back to the file as written, so an error at one point names the `$name` it came from.

use super::values::inline;
pub use super::values::{flow, label, written_len};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most grid points a sweep may have.
pub const MAX_POINTS: usize = 1000;

/// The top-level blocks where `$name` is not substituted: the declarations themselves (a
/// search's constraints are substituted on their own), and the blocks that name parameters
/// without `$` (they span the grid, not one point).
const UNSUBSTITUTED: [&str; 4] = ["sweep", "search", "across", "figures"];

/// One parameter as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its name, used as `$name`.
    pub name: String,
    /// Its values, in the order written (the order of `across` and of figures' axes).
    pub values: Vec<serde_yaml::Value>,
}

impl Parameter {
    /// The values as numbers, if every one is a number.
    pub fn numbers(&self) -> Option<Vec<f64>> {
        self.values.iter().map(serde_yaml::Value::as_f64).collect()
    }

    /// The most bytes one of its values takes written into a point's text.
    pub fn longest_written(&self) -> usize {
        self.values.iter().map(written_len).max().unwrap_or(0)
    }
}

/// A parameter's value at a grid point, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// The parameter.
    pub name: String,
    /// Its value here.
    pub value: serde_yaml::Value,
}

/// `name = value, …`, as messages and reports show a grid point.
pub fn describe(settings: &[Setting]) -> String {
    settings
        .iter()
        .map(|s| format!("{} = {}", s.name, label(&s.value)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parameters' names for messages: `observed, depth`, or `none declared`.
pub fn names(parameters: &[Parameter]) -> String {
    if parameters.is_empty() {
        return "none declared".into();
    }
    let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
    names.join(", ")
}

/// The lines of the grid along `along`: the points grouped by the settings of the other
/// parameters (named by them: `depth = 3`, empty with one parameter), each line in grid order,
/// which is the order of `along`'s values.
pub fn lines_along<'p, T>(
    points: &'p [T],
    settings: impl Fn(&T) -> &[Setting],
    along: &str,
) -> Vec<(String, Vec<&'p T>)> {
    // Lines are told apart by their values (a number and a text that print alike are two).
    let mut lines: Vec<(Vec<Setting>, Vec<&T>)> = Vec::new();
    for point in points {
        let others: Vec<Setting> = settings(point)
            .iter()
            .filter(|s| s.name != along)
            .cloned()
            .collect();
        match lines.iter_mut().find(|(k, _)| *k == others) {
            Some((_, line)) => line.push(point),
            None => lines.push((others, vec![point])),
        }
    }
    lines
        .into_iter()
        .map(|(others, line)| (describe(&others), line))
        .collect()
}

/// A mistake in the declaration or a use, at a 1-based line and column of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misuse {
    /// The line.
    pub line: usize,
    /// The column, in characters.
    pub column: usize,
    /// The field.
    pub field: String,
    /// What was expected.
    pub expected: String,
}

impl Misuse {
    /// `expected` at `field`, located by `at`.
    pub fn at(at: &dyn Fn(&str) -> (usize, usize), field: &str, expected: String) -> Misuse {
        let (line, column) = at(field);
        Misuse {
            line,
            column,
            field: field.into(),
            expected,
        }
    }
}

/// The `sweep:` block of a claim, read on its own: the rest of the document is skipped.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    sweep: Option<Declared>,
}

/// The parameters in the order written, refusing a name given twice.
struct Declared(Vec<(String, Vec<serde_yaml::Value>)>);

impl<'de> Deserialize<'de> for Declared {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = Declared;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from parameter names to lists of values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Declared, A::Error> {
                let mut declared: Vec<(String, Vec<serde_yaml::Value>)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if declared.iter().any(|(n, _)| *n == name) {
                        return Err(de::Error::custom(format!(
                            "each parameter declared once; `{name}` is declared twice"
                        )));
                    }
                    declared.push((name, map.next_value()?));
                }
                Ok(Declared(declared))
            }
        }
        deserializer.deserialize_map(Names)
    }
}

/// Reads the parameters declared in `text` (none when there is no `sweep:`). `at` locates a
/// field path in the file; yaml errors come back through `yaml`.
pub fn declared(
    text: &str,
    at: &dyn Fn(&str) -> (usize, usize),
) -> Result<Vec<Parameter>, Result<Misuse, serde_yaml::Error>> {
    let header: Header = serde_yaml::from_str(text).map_err(Err)?;
    let Some(Declared(declared)) = header.sweep else {
        return Ok(Vec::new());
    };
    let misuse = |field: String, expected: String| {
        let (line, column) = at(&field);
        Err(Ok(Misuse {
            line,
            column,
            field,
            expected,
        }))
    };
    if declared.is_empty() {
        return misuse("sweep".into(), "at least one parameter".into());
    }
    let mut points = 1usize;
    let mut parameters = Vec::new();
    for (name, values) in declared {
        let field = format!("sweep.{name}");
        if !is_identifier(&name) {
            return misuse(
                field,
                format!(
                    "a parameter name of letters, digits and `_`, not starting with a digit; found `{name}`"
                ),
            );
        }
        if values.is_empty() {
            return misuse(field, "a list of at least one value".into());
        }
        for (k, value) in values.iter().enumerate() {
            let field = format!("{field}[{k}]");
            let fits = match value {
                serde_yaml::Value::Number(_) | serde_yaml::Value::Bool(_) => true,
                serde_yaml::Value::String(s) => !s.chars().any(char::is_control),
                serde_yaml::Value::Mapping(_) | serde_yaml::Value::Sequence(_) => true,
                _ => false,
            };
            if !fits {
                return misuse(
                    field,
                    "a number, a one-line text, true/false, or a mapping or list of them".into(),
                );
            }
            if values[..k].contains(value) {
                return misuse(
                    field,
                    format!("each value once; `{}` is given twice", label(value)),
                );
            }
        }
        points = points.saturating_mul(values.len());
        if points > MAX_POINTS {
            return misuse(
                field,
                format!(
                    "a grid of at most {MAX_POINTS} points; the parameters up to here give {points}"
                ),
            );
        }
        parameters.push(Parameter { name, values });
    }
    Ok(parameters)
}

/// Letters, digits and `_`, not starting with a digit: a parameter's name.
pub fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// The grid: every combination of the parameters' values, the last varying fastest.
pub fn grid(parameters: &[Parameter]) -> Vec<Vec<Setting>> {
    let mut points: Vec<Vec<Setting>> = vec![Vec::new()];
    for parameter in parameters {
        points = points
            .into_iter()
            .flat_map(|point| {
                parameter.values.iter().map(move |value| {
                    let mut point = point.clone();
                    point.push(Setting {
                        name: parameter.name.clone(),
                        value: value.clone(),
                    });
                    point
                })
            })
            .collect();
    }
    points
}

/// Where the substituted text's columns come from: per line, each replacement's original
/// column, original length and new length (in characters), in order.
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    lines: Vec<Vec<(usize, usize, usize)>>,
}

impl LineMap {
    /// The column in the file as written of `column` on `line` of the substituted text (both
    /// 1-based): inside a replacement, the `$` of the name it replaced.
    pub fn column(&self, line: usize, column: usize) -> usize {
        let Some(replacements) = line.checked_sub(1).and_then(|l| self.lines.get(l)) else {
            return column;
        };
        let mut shift = 0isize;
        for &(start, old, new) in replacements {
            let new_start = (start as isize + shift) as usize;
            if column < new_start {
                break;
            }
            if column < new_start + new {
                return start;
            }
            shift += new as isize - old as isize;
        }
        (column as isize - shift).max(1) as usize
    }
}

/// One `$name` in a claim's text: its 1-based line and column, the name, and whether it stands
/// alone as a node (`key: $name`, `- $name`, `[$name]`).
pub type Use = (usize, usize, String, bool);

/// Every `$name` in `text` outside comments and the unsubstituted blocks, in reading order: read
/// once per claim, then checked (`check_uses`) and written at every point (`substitute`).
pub fn uses(text: &str) -> Vec<Use> {
    let mut found = Vec::new();
    let mut skipping = false;
    for (number, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        // A top-level key starts a block; a top-level `- item` continues the one above.
        if let Some(first) = chars
            .first()
            .filter(|c| !c.is_whitespace() && !['#', '-'].contains(c))
        {
            let key: String = std::iter::once(*first)
                .chain(chars[1..].iter().copied())
                .take_while(|c| *c != ':')
                .collect();
            skipping = UNSUBSTITUTED.contains(&key.trim());
        }
        if skipping {
            continue;
        }
        let mut quote: Option<char> = None;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '#' && (i == 0 || chars[i - 1].is_whitespace()) => break,
                None if c == '"' || c == '\'' => {
                    let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
                    if matches!(before, None | Some(':' | '-' | '[' | '{' | ',')) {
                        quote = Some(c);
                    }
                }
                None => {}
            }
            let starts_name = chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphabetic() || *n == '_');
            if c == '$' && starts_name {
                let end = (i + 1..chars.len())
                    .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'))
                    .unwrap_or(chars.len());
                let name: String = chars[i + 1..end].iter().collect();
                let after = chars[end..].iter().find(|c| !c.is_whitespace());
                let alone = quote.is_none()
                    && node_starts_before(&chars[..i])
                    && matches!(after, None | Some('#' | ',' | ']' | '}'));
                found.push((number + 1, i + 1, name, alone));
                i = end;
                continue;
            }
            i += 1;
        }
    }
    found
}

/// Whether a YAML node starts after `before` (the line up to a `$name`): at the line's start,
/// after an indicator `- `, `: ` or `? `, or after `[`, `{` or `,`; not after a `-` or `:`
/// inside a word (`id: per-point-$v` is text).
fn node_starts_before(before: &[char]) -> bool {
    let end = before.iter().rposition(|c| !c.is_whitespace());
    let Some(end) = end else {
        return true;
    };
    match before[end] {
        '[' | '{' | ',' => true,
        '-' | ':' | '?' => {
            let spaced_after = end + 1 < before.len();
            let spaced_before = end == 0 || before[end - 1].is_whitespace() || before[end] == ':';
            spaced_after && spaced_before
        }
        _ => false,
    }
}

/// The fields a claim has once for all its points: a parameter there would be read at the
/// first point only (`verdict: $v` expected the first point's verdict of every point).
const CLAIM_WIDE: [&str; 4] = ["id", "title", "source", "verdict"];

/// The top-level key each line of `text` belongs to (a top-level `- item` continues the one
/// above).
fn blocks(text: &str) -> Vec<String> {
    let mut current = String::new();
    text.lines()
        .map(|line| {
            let first = line.chars().next();
            if first.is_some_and(|c| !c.is_whitespace() && !['#', '-'].contains(&c)) {
                current = line.chars().take_while(|c| *c != ':').collect::<String>();
                current = current.trim().to_string();
            }
            current.clone()
        })
        .collect()
}

/// Refuses a parameter in a field the claim has once for all its points, where it is used.
pub fn check_claim_wide(text: &str, uses: &[Use]) -> Result<(), Misuse> {
    let blocks = blocks(text);
    for (line, column, name, _) in uses {
        let block = blocks.get(line - 1).map(String::as_str).unwrap_or("");
        if CLAIM_WIDE.contains(&block) {
            return Err(Misuse {
                line: *line,
                column: *column,
                field: block.to_string(),
                expected: format!(
                    "no parameter in `{block}`: a claim has one id, title, source and expected verdict for all its points; found `${name}`"
                ),
            });
        }
    }
    Ok(())
}

/// Checks every use against the parameters `names` declared in `block` (`sweep` or
/// `search.domain`): an unknown name is an error where it is used, a parameter never used an
/// error where it is declared.
pub fn check_uses(
    uses: &[Use],
    names: &[&str],
    block: &str,
    at: &dyn Fn(&str) -> (usize, usize),
) -> Result<(), Misuse> {
    if let Some((line, column, name, _)) = uses.iter().find(|u| !names.contains(&u.2.as_str())) {
        let declared = if names.is_empty() {
            "none: declare it under `sweep:` or `search.domain:`".to_string()
        } else {
            names.join(", ")
        };
        return Err(Misuse {
            line: *line,
            column: *column,
            field: format!("${name}"),
            expected: format!(
                "a parameter declared in `{block}` ({declared}); found `${name}`{}",
                crate::suggest::nearest(name, names.iter().copied())
                    .map_or_else(String::new, |n| format!(": did you mean `${n}`?"))
            ),
        });
    }
    if let Some(unused) = names.iter().find(|n| !uses.iter().any(|u| u.2 == **n)) {
        let field = format!("{block}.{unused}");
        let (line, column) = at(&field);
        return Err(Misuse {
            line,
            column,
            field,
            expected: format!(
                "a parameter used somewhere as `${unused}` (in the problem, a run or an assertion)"
            ),
        });
    }
    Ok(())
}

/// The text at one grid point and where its columns come from. A value standing alone as a
/// node is written as JSON (a flow node YAML reads with its type); inside other text (an
/// assertion, `at`) a number, text or true/false is written as itself.
pub fn substitute(
    text: &str,
    uses: &[Use],
    point: &[Setting],
) -> Result<(String, LineMap), Misuse> {
    let mut map = LineMap::default();
    let mut out = String::with_capacity(text.len());
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut replacements = Vec::new();
        let mut next = 0;
        for (_, column, name, alone) in uses.iter().filter(|u| u.0 == number + 1) {
            let start = column - 1;
            let value = &point
                .iter()
                .find(|s| s.name == *name)
                .expect("uses are checked before substitution")
                .value;
            let written = if *alone {
                flow(value)
            } else {
                inline(value).map_err(|expected| Misuse {
                    line: number + 1,
                    column: *column,
                    field: format!("${name}"),
                    expected: format!("`${name}` here to be {expected}; found `{}`", label(value)),
                })?
            };
            out.extend(&chars[next..start]);
            out.push_str(&written);
            let old = name.chars().count() + 1;
            replacements.push((*column, old, written.chars().count()));
            next = start + old;
        }
        out.extend(&chars[next..]);
        map.lines.push(replacements);
    }
    Ok((out, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(name: &str, values: &str) -> Parameter {
        Parameter {
            name: name.into(),
            values: serde_yaml::from_str(values).unwrap(),
        }
    }

    #[test]
    fn the_grid_is_the_product_last_fastest() {
        let grid = grid(&[parameter("a", "[1, 2]"), parameter("b", "[x, y, z]")]);
        let described: Vec<String> = grid.iter().map(|p| describe(p)).collect();
        assert_eq!(described[0], "a = 1, b = x");
        assert_eq!(described[1], "a = 1, b = y");
        assert_eq!(described[5], "a = 2, b = z");
    }

    #[test]
    fn substitution_keeps_types_and_columns() {
        let text = "sweep: {m: [1]}\nproblem: { observed: $m, name: $s } # $m\nthat: \"x <= $m\"\n";
        let point = vec![
            Setting {
                name: "m".into(),
                value: serde_yaml::from_str("250").unwrap(),
            },
            Setting {
                name: "s".into(),
                value: serde_yaml::from_str("'a b'").unwrap(),
            },
        ];
        let (out, map) = substitute(text, &uses(text), &point).unwrap();
        assert_eq!(
            out,
            "sweep: {m: [1]}\nproblem: { observed: 250, name: \"a b\" } # $m\nthat: \"x <= 250\"\n"
        );
        // `250` starts at column 22 where `$m` was; `name` after it moved one column right.
        assert_eq!(map.column(2, 22), 22);
        assert_eq!(map.column(2, 24), 22);
        assert_eq!(map.column(2, 27), 26);
        assert_eq!(map.column(2, 33), 32);
        assert_eq!(map.column(1, 5), 5);
    }

    fn at(name: &str, yaml: &str) -> Vec<Setting> {
        vec![Setting {
            name: name.into(),
            value: serde_yaml::from_str(yaml).unwrap(),
        }]
    }

    /// A value keeps its type alone (NaN and ±∞ were written as JSON's `null`), inside other
    /// text is a number, true/false or a word (a text that would change what the text says is
    /// refused), and a `-` or `:` inside a word does not make a value stand alone.
    #[test]
    fn values_are_values_and_never_change_the_text_around_them() {
        let substituted = |text: &str, point: &[Setting]| {
            substitute(text, &uses(text), point).map(|(out, _)| out)
        };
        for (yaml, written) in [(".nan", ".nan"), ("-.inf", "-.inf"), ("'1'", "\"1\"")] {
            let out = substituted("x: $v\n", &at("v", yaml)).unwrap();
            assert_eq!(out, format!("x: {written}\n"));
            let read: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
            let expected: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
            assert!(
                read["x"] == expected || read["x"].as_f64().is_some_and(f64::is_nan),
                "{out}"
            );
        }
        for (text, yaml) in [
            ("that: \"x <= $v\"\n", "'1 or true'"),
            ("that: x <= $v\n", "'1 # comment'"),
            ("that: \"x <= $v\"\n", "'1\" , y: \"2'"),
            ("that: x <= $v\n", "'1'"),
            ("title: per $v\n", "[1, 2]"),
        ] {
            let error = substituted(text, &at("v", yaml)).unwrap_err();
            assert!(
                error
                    .expected
                    .contains("must not change what the text says"),
                "{text}"
            );
        }
        assert_eq!(
            substituted("id: per-point-$v\n", &at("v", "a")).unwrap(),
            "id: per-point-a\n"
        );
        assert_eq!(
            substituted("that: $v.rank < 2\n", &at("v", "d3")).unwrap(),
            "that: d3.rank < 2\n"
        );
        assert_eq!(
            substituted("- $v\ny: [$v]\nz: {a: $v}\n", &at("v", "'a b'")).unwrap(),
            "- \"a b\"\ny: [\"a b\"]\nz: {a: \"a b\"}\n"
        );
    }

    /// A number and a text that print alike are two values, shown apart.
    #[test]
    fn a_number_and_a_text_that_print_alike_are_shown_apart() {
        assert_ne!(describe(&at("v", "1")), describe(&at("v", "'1'")));
        assert_eq!(describe(&at("v", "'1'")), "v = \"1\"");
        assert_eq!(describe(&at("v", "small")), "v = small");
        assert_eq!(describe(&at("v", "'true'")), "v = \"true\"");
        assert_eq!(describe(&at("v", ".nan")), "v = .nan");
    }

    #[test]
    fn unknown_and_unused_parameters_are_located() {
        let parameters = ["m", "n"];
        let at = |_: &str| (1, 8);
        let text = "sweep: {m: [1], n: [2]}\nx: $m\ny: [$mm]\n";
        let error = check_uses(&uses(text), &parameters, "sweep", &at).unwrap_err();
        assert_eq!((error.line, error.column), (3, 5));
        assert!(error.expected.contains("found `$mm`"), "{}", error.expected);
        let error = check_uses(&uses("x: $m\n"), &parameters, "sweep", &at).unwrap_err();
        assert_eq!(error.field, "sweep.n");
    }
}
