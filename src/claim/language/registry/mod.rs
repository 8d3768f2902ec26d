//! The claim vocabulary, one entry per word: every metric, pairwise quantity, moment and
//! function an assertion can use, with how it is written, what it means, which subjects it
//! applies to, what a run must watch to compute it, and how it is computed. The parser, the
//! checker, watch planning, evaluation, the reserved words, error messages and the README's
//! tables all read these tables; adding a word is one entry (in `metrics` or `words`), its
//! computation and its test.

mod entry;
mod metrics;
mod words;

pub use entry::{Applies, Args, Arity, Function, Metric, MomentKind, MomentWord, Needs, Pairwise};
pub use metrics::METRICS;
pub use words::{FUNCTIONS, KEYWORDS, MOMENTS, PAIRWISE};

/// The metric called `name`.
pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// The pairwise quantity called `name`.
pub fn pairwise(name: &str) -> Option<&'static Pairwise> {
    PAIRWISE.iter().find(|p| p.name == name)
}

/// The function called `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The moment called `name`.
pub fn moment(name: &str) -> Option<&'static MomentWord> {
    MOMENTS.iter().find(|m| m.name == name)
}

/// The words that cannot name a run: they would read as the language's own.
pub fn reserved_words() -> Vec<&'static str> {
    let functions = FUNCTIONS.iter().map(|f| f.name);
    let pairwise = PAIRWISE.iter().map(|p| p.name);
    KEYWORDS
        .iter()
        .copied()
        .chain(functions)
        .chain(pairwise)
        .collect()
}

/// Every way of writing a metric, in order, for messages.
pub fn metric_forms() -> Vec<&'static str> {
    METRICS
        .iter()
        .flat_map(|m| {
            if m.forms.is_empty() {
                std::slice::from_ref(&m.name)
            } else {
                m.forms
            }
        })
        .copied()
        .collect()
}

/// The README's tables of the vocabulary, generated from the entries (a test keeps the README
/// equal to this).
pub fn markdown() -> String {
    let mut text = String::from("| metric | meaning | applies to |\n|---|---|---|\n");
    for m in METRICS {
        let forms: Vec<String> = if m.forms.is_empty() {
            vec![format!("`{}`", m.name)]
        } else {
            m.forms.iter().map(|f| format!("`{f}`")).collect()
        };
        text += &format!(
            "| {} | {} | {} |\n",
            forms.join(", "),
            m.meaning,
            m.applies.describe()
        );
    }
    text += "\n| pairwise | meaning |\n|---|---|\n";
    for p in PAIRWISE {
        text += &format!("| `{}` | {} |\n", p.form, p.meaning);
    }
    text += "\n| moment | meaning |\n|---|---|\n";
    for m in MOMENTS {
        text += &format!("| `{}` | {} |\n", m.form, m.meaning);
    }
    text += "\n| function | meaning |\n|---|---|\n";
    for f in FUNCTIONS {
        text += &format!("| `{}` | {} |\n", f.form, f.meaning);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_never_a_run_name() {
        let mut names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        names.extend(MOMENTS.iter().map(|m| m.name));
        names.extend(reserved_words());
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a word has two entries");
    }

    #[test]
    fn arguments_are_checked() {
        let sigma = metric("sigma").unwrap();
        assert!(sigma.check_args(&[2.0]).is_ok());
        assert!(sigma.check_args(&[0.0]).is_err());
        assert!(metric("det").unwrap().check_shape(&[], 2, 3).is_err());
        assert!(
            metric("entry")
                .unwrap()
                .check_shape(&[1.0, 2.0], 2, 3)
                .is_ok()
        );
        assert!(
            metric("entry")
                .unwrap()
                .check_shape(&[2.0, 0.0], 2, 3)
                .is_err()
        );
    }

    #[test]
    fn functions_propagate_nan() {
        let min = function("min").unwrap().apply;
        let max = function("max").unwrap().apply;
        assert!(min(&[1.0, f64::NAN]).is_nan() && max(&[f64::NAN, 1.0]).is_nan());
        assert_eq!((min(&[3.0, -1.0]), max(&[3.0, -1.0])), (-1.0, 3.0));
    }
}
