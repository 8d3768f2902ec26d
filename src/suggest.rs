//! "Did you mean …?": the known name nearest a misspelt one, as rustc, cargo and clap say it.
//! Near means an optimal-string-alignment edit distance (strsim) of at most a third of the
//! name's length (at least one edit: `d4` for `d3`), or a Jaro–Winkler similarity of 0.85 and
//! more (a transposed or dropped letter in a long name); the nearest wins, the first listed on
//! a tie, so a message is the same on every run.

/// The name in `known` nearest `name`, if one is near enough to be what was meant.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = name.chars().count();
    let most_edits = (length / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        if candidate == name {
            continue;
        }
        let edits = strsim::osa_distance(name, candidate);
        let near = edits <= most_edits || strsim::jaro_winkler(name, candidate) >= 0.85;
        if near && best.is_none_or(|(fewest, _)| edits < fewest) {
            best = Some((edits, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `: did you mean `x`?` for the name in `known` nearest `name`, or nothing.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, known).map_or_else(String::new, |n| format!(": did you mean `{n}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_known_name_is_suggested_and_far_ones_are_not() {
        let metrics = ["test_mse", "effective_rank", "nuclear_norm", "rank"];
        assert_eq!(nearest("efective_rank", metrics), Some("effective_rank"));
        assert_eq!(nearest("effective_rnak", metrics), Some("effective_rank"));
        assert_eq!(nearest("nuclear", metrics), Some("nuclear_norm"));
        assert_eq!(nearest("test_mes", metrics), Some("test_mse"));
        assert_eq!(nearest("d4", ["d2", "d3"]), Some("d2"));
        assert_eq!(nearest("frobenius", metrics), None);
        assert_eq!(nearest("x", ["effective_rank"]), None);
        assert_eq!(
            did_you_mean("ranq", metrics),
            ": did you mean `rank`?".to_string()
        );
        assert_eq!(did_you_mean("zzz", metrics), String::new());
    }
}
