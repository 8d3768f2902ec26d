//! Two JSON reports compared (`implreg diff OLD.json NEW.json`): every claim whose verdict
//! flipped, claims only one side has, and every number that moved beyond a tolerance, by its
//! path in the report. Reports are read as plain JSON, so reports of other versions compare too;
//! wall-clock times are not results and are skipped.

use crate::printable::printable;
use serde_json::Value;
use std::collections::BTreeMap;

/// How far a number may move: |a − b| ≤ `absolute` + `relative`·max(|a|, |b|).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative part.
    pub relative: f64,
    /// Absolute part.
    pub absolute: f64,
}

/// What changed between two reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Claims whose verdict differs: id, old verdict, new verdict.
    pub flipped: Vec<(String, String, String)>,
    /// Claims only the old report has.
    pub removed: Vec<String>,
    /// Claims only the new report has.
    pub added: Vec<String>,
    /// Numbers that moved: claim id, path, old, new.
    pub moved: Vec<(String, String, f64, f64)>,
    /// Values that changed kind or text (not numbers): claim id and path.
    pub changed: Vec<(String, String)>,
}

/// Fields that are not results: they change from run to run.
const SKIPPED: [&str; 2] = ["seconds", "file"];

/// The claims of a `check --format json` report by id, or why it is not one.
fn claims(report: &Value) -> Result<BTreeMap<String, &Value>, String> {
    let list = report
        .as_array()
        .ok_or("a list of claim reports (`implreg check --format json`)")?;
    let mut claims = BTreeMap::new();
    for (k, claim) in list.iter().enumerate() {
        let id = claim["id"]
            .as_str()
            .ok_or_else(|| format!("a claim report with an `id` at [{k}]"))?;
        // `check` refuses two claims of one id, so a report holding one twice was not written
        // by it; compared by id, one of the two would go unseen.
        if claims.insert(id.to_string(), claim).is_some() {
            return Err(format!(
                "each claim id once (as `check` writes them); `{}` again at [{k}]",
                printable(id)
            ));
        }
    }
    Ok(claims)
}

/// The most bytes a report may have when read.
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// The JSON report in `file`, read to at most `MAX_REPORT_BYTES` (the file is the user's own
/// to name: a pipe is read too, a device only to the cap).
pub fn read_report(file: &std::path::Path) -> Result<Value, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_REPORT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(format!(
            "more than the {MAX_REPORT_BYTES} bytes a report may have"
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

/// Compares `old` with `new`; the error says which is not a report.
pub fn compare(old: &Value, new: &Value, tolerance: Tolerance) -> Result<Changes, String> {
    let old = claims(old).map_err(|e| format!("the old report: expected {e}"))?;
    let new = claims(new).map_err(|e| format!("the new report: expected {e}"))?;
    let mut changes = Changes::default();
    for (id, before) in &old {
        let Some(after) = new.get(id) else {
            changes.removed.push(id.clone());
            continue;
        };
        let verdict = |v: &Value| v["verdict"].as_str().unwrap_or("none").to_string();
        if verdict(before) != verdict(after) {
            changes
                .flipped
                .push((id.clone(), verdict(before), verdict(after)));
        }
        walk(id, String::new(), before, after, tolerance, &mut changes);
    }
    changes.added = new
        .keys()
        .filter(|id| !old.contains_key(*id))
        .cloned()
        .collect();
    Ok(changes)
}

fn walk(id: &str, path: String, a: &Value, b: &Value, tolerance: Tolerance, changes: &mut Changes) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let bound = tolerance.absolute + tolerance.relative * x.abs().max(y.abs());
            if (x - y).abs() > bound {
                changes.moved.push((id.to_string(), path, x, y));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                if SKIPPED.contains(&key.as_str()) {
                    continue;
                }
                let inner = format!("{path}.{key}");
                match y.get(key) {
                    Some(other) => walk(id, inner, value, other, tolerance, changes),
                    None => changes.changed.push((id.to_string(), inner)),
                }
            }
            for key in y
                .keys()
                .filter(|k| !x.contains_key(*k) && !SKIPPED.contains(&k.as_str()))
            {
                changes
                    .changed
                    .push((id.to_string(), format!("{path}.{key}")));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (k, (value, other)) in x.iter().zip(y).enumerate() {
                walk(id, format!("{path}[{k}]"), value, other, tolerance, changes);
            }
        }
        _ if a == b => {}
        _ => changes.changed.push((id.to_string(), path)),
    }
}

impl Changes {
    /// Whether a verdict flipped.
    pub fn flips(&self) -> bool {
        !self.flipped.is_empty()
    }

    /// The changes for people: flips first, then claims added and removed, then at most
    /// `most` moved numbers and changed values per claim, with a count of the rest.
    pub fn to_text(&self, most: usize) -> String {
        let mut text = String::new();
        for (id, before, after) in &self.flipped {
            text += &format!(
                "FLIP {}: {} -> {}\n",
                printable(id),
                printable(before),
                printable(after)
            );
        }
        for id in &self.removed {
            text += &format!("gone {}: only in the old report\n", printable(id));
        }
        for id in &self.added {
            text += &format!("new  {}: only in the new report\n", printable(id));
        }
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        let mut hidden: BTreeMap<&str, usize> = BTreeMap::new();
        let lines = self
            .moved
            .iter()
            .map(|(id, path, x, y)| (id.as_str(), format!("{}: {x:e} -> {y:e}", printable(path))))
            .chain(
                self.changed
                    .iter()
                    .map(|(id, path)| (id.as_str(), format!("{}: changed", printable(path)))),
            );
        for (id, line) in lines {
            let count = shown.entry(id).or_default();
            if *count < most {
                *count += 1;
                text += &format!("moved {}{line}\n", printable(id));
            } else {
                *hidden.entry(id).or_default() += 1;
            }
        }
        for (id, n) in hidden {
            text += &format!("moved {}: {n} more\n", printable(id));
        }
        let flips = self.flipped.len();
        text += &format!(
            "{flips} verdicts flipped, {} numbers moved, {} values changed, {} claims added, {} removed\n",
            self.moved.len(),
            self.changed.len(),
            self.added.len(),
            self.removed.len()
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TIGHT: Tolerance = Tolerance {
        relative: 1e-6,
        absolute: 0.0,
    };

    #[test]
    fn a_report_equals_itself_and_a_flip_is_named() {
        let old =
            json!([{ "id": "a", "verdict": "holds", "runs": [{ "test_mse": 1.0, "seconds": 3 }] }]);
        assert_eq!(compare(&old, &old, TIGHT).unwrap(), Changes::default());
        let new = json!([{ "id": "a", "verdict": "refuted", "runs": [{ "test_mse": 1.5, "seconds": 9 }] }]);
        let changes = compare(&old, &new, TIGHT).unwrap();
        assert!(changes.flips());
        assert_eq!(
            changes.moved,
            [("a".into(), ".runs[0].test_mse".into(), 1.0, 1.5)]
        );
        assert!(changes.to_text(5).starts_with("FLIP a: holds -> refuted\n"));
        let loose = Tolerance {
            relative: 0.5,
            absolute: 0.0,
        };
        assert!(compare(&old, &new, loose).unwrap().moved.is_empty());
    }

    #[test]
    fn claims_only_one_side_has_are_listed_and_non_reports_refused() {
        let old = json!([{ "id": "a", "verdict": "holds" }]);
        let new = json!([{ "id": "b", "verdict": "holds" }]);
        let changes = compare(&old, &new, TIGHT).unwrap();
        assert_eq!(
            (changes.removed, changes.added),
            (vec!["a".into()], vec!["b".into()])
        );
        assert!(
            compare(&json!({"id": 1}), &new, TIGHT)
                .unwrap_err()
                .contains("the old report")
        );
    }
}
