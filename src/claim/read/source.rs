//! A claim's text before YAML sees it: only regular files of bounded size are read, and a scan
//! refuses what YAML allows but a claim must not contain, each at its line and column: tags
//! (`!foo`: yaml_serde would ignore them), anchors and aliases (`&a`, `*a`: one alias can stand
//! for megabytes), and flow collections nested deeper than `MAX_FLOW_DEPTH` (the YAML parser
//! takes quadratic time on them).

use std::io::Read;
use std::path::Path;

/// The largest claim file read, in bytes.
pub const MAX_BYTES: u64 = 1 << 20;

/// The deepest nesting of `[…]` and `{…}`.
pub const MAX_FLOW_DEPTH: usize = 32;

/// Why a text is refused, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was expected there.
    pub expected: String,
}

/// The text of a regular file of at most `MAX_BYTES`; the error says what the file is instead.
/// Nothing is opened before its kind is known, so a FIFO or a device never blocks or floods.
pub fn read(file: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(file).map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file (a claim is read from a plain .yaml file)".into());
    }
    if metadata.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes, more than a claim may have ({MAX_BYTES})",
            metadata.len()
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("more than {MAX_BYTES} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}

/// What a node starting with `c` would need to be, when `c` starts one implreg refuses: a
/// tag, an anchor or an alias.
fn refused_at_node_start(c: char) -> Option<&'static str> {
    match c {
        '!' => Some("no YAML tags (`!…`): a claim's values are plain, and a tag would be ignored"),
        '&' | '*' => Some("no YAML anchors or aliases (`&name`, `*name`): write each value out"),
        _ => None,
    }
}

/// Whether `line` (indented `indent`) continues the plain scalar opened at indent `plain`
/// (then it is text, where no node starts); `plain` is closed by a comment in it, or by a line
/// that does not continue it (outside quotes and flow, `open`). Blank lines continue it.
fn continues_plain(line: &str, indent: usize, open: bool, plain: &mut Option<usize>) -> bool {
    let Some(parent) = *plain else {
        return false;
    };
    if line.trim().is_empty() {
        return true;
    }
    if indent > parent && open {
        // A comment ends the scalar: nothing after it continues it.
        if line.trim_start().starts_with('#') || line.contains(" #") {
            *plain = None;
        }
        return true;
    }
    *plain = None;
    false
}

/// Refuses tags, anchors, aliases and deep flow nesting, outside quotes, comments and block
/// scalars.
pub fn scan(text: &str) -> Result<(), Refusal> {
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    // Lines indented more than this belong to a block scalar (`|`, `>`).
    let mut block: Option<usize> = None;
    // Lines indented more than this continue a plain scalar begun above (`that: a\n  * b` is
    // `a * b`, as YAML reads it): text, where no node starts.
    let mut plain: Option<usize> = None;
    for (number, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(block_indent) = block {
            if line.trim().is_empty() || indent > block_indent {
                continue;
            }
            block = None;
        }
        if continues_plain(line, indent, quote.is_none() && depth == 0, &mut plain) {
            continue;
        }
        // Whether the line ends inside a plain scalar that the next lines may continue.
        let mut plain_here = false;
        // A node may start here: at the line's start, after `- `, `: `, `? `, `[`, `{`, `,`.
        let mut node_start = quote.is_none();
        let mut previous = ' ';
        let chars: Vec<char> = line.chars().collect();
        let refuse = |column: usize, expected: String| {
            Err(Refusal {
                line: number + 1,
                column: column + 1,
                expected,
            })
        };
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if let Some(q) = quote {
                if c == '\\' && q == '"' {
                    i += 1;
                } else if c == q {
                    if q == '\'' && next == '\'' {
                        i += 1;
                    } else {
                        quote = None;
                    }
                }
                i += 1;
                previous = c;
                continue;
            }
            if c == '#' && previous.is_whitespace() {
                plain_here = false;
                break;
            }
            if node_start && depth == 0 && !c.is_whitespace() {
                plain_here = !matches!(c, '"' | '\'' | '|' | '>' | '[' | '{' | '-' | '?' | ':')
                    || (matches!(c, '-' | '?' | ':') && !next.is_whitespace());
            }
            if node_start {
                if let Some(expected) = refused_at_node_start(c) {
                    return refuse(i, expected.into());
                }
                match c {
                    '"' | '\'' => quote = Some(c),
                    '|' | '>' => {
                        block = Some(indent);
                        break;
                    }
                    _ => {}
                }
            }
            match c {
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return refuse(
                            i,
                            format!("at most {MAX_FLOW_DEPTH} nested `[…]` or `{{…}}`"),
                        );
                    }
                    node_start = true;
                }
                ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    node_start = false;
                }
                ',' => node_start = true,
                '-' | '?' | ':' if node_start || c == ':' => {
                    node_start = next.is_whitespace() || (c == ':' && depth > 0);
                    if node_start && depth == 0 {
                        // A key or an entry's indicator: its value comes after.
                        plain_here = false;
                    }
                }
                c if c.is_whitespace() => {}
                _ => node_start = false,
            }
            previous = c;
            i += 1;
        }
        if plain_here && quote.is_none() && block.is_none() {
            plain = Some(indent);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_claims_pass() {
        let text = "id: a\ntitle: 'it''s & ok'\nwhy: depth 3's * is fine # & comment\nthat: a.x * 10 <= b != c\nnote: |\n  !tag & *alias\n  [[[\nruns: { a: { deep: [1, 2] } }\n- \"esc \\\" ! &\"\n";
        assert_eq!(scan(text), Ok(()));
        for spec in std::fs::read_dir("specs").unwrap() {
            let text = std::fs::read_to_string(spec.unwrap().path()).unwrap();
            assert_eq!(scan(&text), Ok(()));
        }
    }

    #[test]
    fn tags_anchors_aliases_and_deep_nesting_are_refused_where_they_are() {
        let at = |text: &str| {
            scan(text)
                .map(|_| (0, 0))
                .unwrap_or_else(|r| (r.line, r.column))
        };
        assert_eq!(at("a: 1\nrows: !foo 6\n"), (2, 7));
        assert_eq!(at("a: !!binary aGk=\n"), (1, 4));
        assert_eq!(at("a: &x [1]\n"), (1, 4));
        assert_eq!(at("b: [*x, 2]\n"), (1, 5));
        assert_eq!(at("- *x\n"), (1, 3));
        let deep = format!("title: {}{}\n", "[".repeat(40_000), "]".repeat(40_000));
        assert_eq!(at(&deep), (1, 8 + MAX_FLOW_DEPTH));
        let fine = format!(
            "title: {}{}\n",
            "[".repeat(MAX_FLOW_DEPTH),
            "]".repeat(MAX_FLOW_DEPTH)
        );
        assert_eq!(at(&fine), (0, 0));
        // Aliases where a continuation line is not one: after a comment, at the key's indent,
        // after a key with no value, in a sequence entry's own line.
        assert_eq!(at("a: b # c\n  *x\n"), (2, 3));
        assert_eq!(at("a: b\nc: *x\n"), (2, 4));
        assert_eq!(at("a:\n  *x\n"), (2, 3));
        assert_eq!(at("- a\n- *x\n"), (2, 3));
        assert_eq!(at("a: [b,\n  *x]\n"), (2, 3));
    }

    /// A plain scalar folded over lines, its continuation starting with `*` or `&` (as YAML
    /// emitters fold long assertions), is the text YAML reads, not an alias.
    #[test]
    fn a_folded_plain_scalar_continues_with_any_character() {
        let text = "expect:\n  - that: deep3.test_mse\n      * 10 <= depth2.test_mse\n    why: a\n      & b\n      ! c\n";
        assert_eq!(scan(text), Ok(()));
        let value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(
            value["expect"][0]["that"].as_str(),
            Some("deep3.test_mse * 10 <= depth2.test_mse")
        );
        assert_eq!(value["expect"][0]["why"].as_str(), Some("a & b ! c"));
    }
}
