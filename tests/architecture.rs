//! The module graph of `src/` has no circle, and its imports run down the layer tables of
//! docs/design.md (the modules' layers, and the order of the claim layer's wings): data flows
//! down. Every file is a node; every path it names (`use crate::…`, `use super::…`, and inline
//! `crate::…` paths, tests excluded) is an edge to the deepest module file the path reaches. The
//! tests fail with the circle, or the import running up, that they find.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file's module path: `src/solver/deep.rs` → ["solver", "deep"], `src/solver/mod.rs` →
/// ["solver"], `src/lib.rs` → [].
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix("src").unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("main.rs") {
            found.push(path);
        }
    }
}

/// The code of a file without its tests, comments and string literals.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut code = String::new();
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut in_string = false;
        for c in line.chars() {
            if c == '"' {
                in_string = !in_string;
            } else if !in_string {
                code.push(c);
            }
        }
        code.push('\n');
    }
    code
}

/// Every path named after `crate::` or `super::` (with `use` groups expanded far enough to
/// name the module: `use super::{a::X, b}` gives `super::a::X` and `super::b`).
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < bytes.len() {
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .find(|p| bytes[i..].iter().take(p.len()).copied().eq(p.chars()));
        if let Some(prefix) = starts
            && (i == 0 || !word(bytes[i - 1]))
        {
            let root = prefix.trim_end_matches(':').to_string();
            let mut segments = vec![root];
            let mut j = i + prefix.len();
            loop {
                if bytes.get(j) == Some(&'{') {
                    // A group: each member starts a path of its own.
                    let mut depth = 0;
                    let mut member = String::new();
                    for &c in &bytes[j..] {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        if (c == ',' && depth == 1) || (c == '}' && depth == 0) {
                            let written: String = member
                                .trim()
                                .chars()
                                .take_while(|c| word(*c) || *c == ':')
                                .collect();
                            let mut path = segments.clone();
                            path.extend(
                                written
                                    .split("::")
                                    .filter(|s| !s.is_empty() && *s != "self")
                                    .map(String::from),
                            );
                            if path.len() > segments.len() {
                                found.push(path);
                            }
                            member.clear();
                        } else if depth >= 1 && !(c == '{' && depth == 1) {
                            member.push(c);
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                    break;
                }
                let start = j;
                while j < bytes.len() && word(bytes[j]) {
                    j += 1;
                }
                if j > start {
                    segments.push(bytes[start..j].iter().collect());
                }
                if bytes[j..].starts_with(&[':', ':']) {
                    j += 2;
                    continue;
                }
                break;
            }
            found.push(segments);
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

/// Every module of `src/` (but the binary's root) and the modules each one names.
fn module_graph() -> BTreeMap<Vec<String>, Vec<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    let modules: BTreeMap<Vec<String>, PathBuf> =
        files.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut edges: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let mut text = code(&std::fs::read_to_string(file).unwrap());
        // `use child::…` in a module names its own child module.
        for child in modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        {
            let name = child.last().unwrap();
            text = text.replace(&format!("use {name}::"), &format!("use self::{name}::"));
        }
        let mut targets = Vec::new();
        for path in paths(&text) {
            let mut resolved: Vec<String> = match path[0].as_str() {
                "crate" => Vec::new(),
                "self" => module.clone(),
                _ => module[..module.len().saturating_sub(1)].to_vec(),
            };
            let mut deepest = resolved.clone();
            for segment in &path[1..] {
                if segment == "super" {
                    resolved.pop();
                } else {
                    resolved.push(segment.clone());
                }
                if modules.contains_key(&resolved) {
                    deepest = resolved.clone();
                }
            }
            if &deepest != module && modules.contains_key(&deepest) && !deepest.is_empty() {
                targets.push(deepest);
            }
        }
        targets.sort();
        targets.dedup();
        edges.insert(module.clone(), targets);
    }
    edges
}

#[test]
fn the_module_graph_has_no_circle() {
    let edges = module_graph();
    // Depth-first search for a back edge.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, Vec<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in &edges[node] {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut circle = stack[from..].to_vec();
                    circle.push(next.clone());
                    return Some(circle);
                }
                0 => {
                    if let Some(circle) = visit(next, edges, state, stack) {
                        return Some(circle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(circle) = visit(node, &edges, &mut state, &mut stack) {
                let names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
                panic!("an import circle: {}", names.join(" → "));
            }
        }
    }
    let count: usize = edges.values().map(Vec::len).sum();
    assert!(
        count > 50,
        "only {count} edges found: is the scan reading the sources?"
    );
}

#[test]
fn paths_are_read_from_use_groups() {
    let found = paths("use super::{a::X, b};\nlet x = crate::measure::test_mse(w);");
    let shown: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        shown,
        [
            "super::a::X",
            "super::b",
            "super",
            "crate::measure::test_mse"
        ]
    );
}

/// The rows of the markdown table under `header` in `text`: each row's first cell and the
/// names written in backticks in its second (`cli/` as `cli`, `main.rs` left out).
fn table(text: &str, header: &str) -> Vec<(usize, Vec<String>)> {
    let from = text.find(header).expect("docs/design.md has the table") + header.len();
    text[from..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let order = cells[1].parse().expect("a row's first cell is its order");
            let names = cells[2]
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|name| !name.ends_with(".rs"))
                .map(|name| name.trim_end_matches('/').to_string())
                .collect();
            (order, names)
        })
        .collect()
}

/// A name's order in a table.
fn orders(rows: &[(usize, Vec<String>)]) -> BTreeMap<String, usize> {
    rows.iter()
        .flat_map(|(order, names)| names.iter().map(move |n| (n.clone(), *order)))
        .collect()
}

/// Why an edge runs up the tables, if it does: a module importing one of a higher layer, or a
/// wing of `claim` importing a later wing.
fn upward(
    from: &[String],
    to: &[String],
    layers: &BTreeMap<String, usize>,
    wings: &BTreeMap<String, usize>,
) -> Option<String> {
    let layer = |m: &[String]| layers.get(&m[0]).copied();
    let (a, b) = (layer(from)?, layer(to)?);
    if a < b {
        return Some(format!("layer {a} imports layer {b}"));
    }
    if from[0] == "claim" && to[0] == "claim" && from.len() > 1 && to.len() > 1 {
        let (a, b) = (wings.get(&from[1])?, wings.get(&to[1])?);
        if a < b {
            return Some(format!("wing {} imports wing {}", from[1], to[1]));
        }
    }
    None
}

#[test]
fn imports_run_down_the_layer_tables() {
    let design = std::fs::read_to_string("docs/design.md").unwrap();
    let layers = orders(&table(&design, "| layer | module | one job |"));
    let wings = orders(&table(&design, "| order | wing | one job | files |"));
    assert_eq!(
        wings.keys().collect::<Vec<_>>(),
        ["decide", "language", "read", "report", "run"]
    );
    let edges = module_graph();
    let mut found = Vec::new();
    for (from, targets) in &edges {
        if from.is_empty() {
            continue;
        }
        assert!(
            layers.contains_key(&from[0]),
            "`{}` is in no row of docs/design.md's layer table",
            from[0]
        );
        if from[0] == "claim" && from.len() > 1 {
            assert!(
                wings.contains_key(&from[1]),
                "`claim::{}` is in no row of docs/design.md's table of wings",
                from[1]
            );
        }
        for to in targets
            .iter()
            .filter(|to| !to.is_empty() && !to.starts_with(from))
        {
            if let Some(why) = upward(from, to, &layers, &wings) {
                found.push(format!("{} → {} ({why})", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports running up:\n{}",
        found.join("\n")
    );
}

#[test]
fn an_import_up_a_table_is_found() {
    let wings = orders(&[(1, vec!["read".into()]), (4, vec!["run".into()])]);
    let up = |from: &str, to: &str, layers: &[(usize, Vec<String>)]| {
        let path = |p: &str| p.split("::").map(String::from).collect::<Vec<_>>();
        upward(&path(from), &path(to), &orders(layers), &wings).is_some()
    };
    let layers = [(0, vec!["measure".into()]), (2, vec!["solver".into()])];
    assert!(up("measure", "solver::deep", &layers));
    assert!(!up("solver::deep", "measure", &layers));
    // Wings are judged only where the layer table knows `claim`.
    assert!(!up("claim::read::spec", "claim::run::seed", &layers));
    let layers = [(4, vec!["claim".into()])];
    assert!(up("claim::read::spec", "claim::run::seed", &layers));
    assert!(!up("claim::run::seed", "claim::read::spec", &layers));
}
