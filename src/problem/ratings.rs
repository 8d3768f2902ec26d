//! A ratings file as MovieLens publishes it (`u.data`: user, item, rating and timestamp,
//! tab-separated, no header) or as RecBole's `ml-100k.inter` carries it (the same columns after
//! a header line naming them, `user_id:token`, `item_id:token`, `rating:float`, …), read with
//! located errors: the entries of a real matrix whose missing entries are what is predicted,
//! and the dense sub-block of its most active users and items (for claims small enough to test).
//! The text is the caller's to read (from a folder it was given, with a size cap).

use std::collections::BTreeMap;

/// One rating: user `user` gave item `item` the value `value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// The user's id, as the file writes it.
    pub user: u64,
    /// The item's id, as the file writes it.
    pub item: u64,
    /// The rating.
    pub value: f64,
}

/// The ratings of a file, in its order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ratings {
    /// Every rating, one per user and item.
    pub ratings: Vec<Rating>,
}

/// A mistake in a ratings file: where (1-based line and column) and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingsError {
    /// The line.
    pub line: usize,
    /// The column (in characters).
    pub column: usize,
    /// What would have been valid there.
    pub expected: String,
}

/// The most ratings a file may hold (MovieLens-25M has 25,000,095).
pub const MAX_RATINGS: usize = 50_000_000;

/// The ratings in `text`, or the first mistake in it.
pub fn parse(text: &str) -> Result<Ratings, RatingsError> {
    let mut ratings = Vec::new();
    let mut seen: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for (k, line) in text.lines().enumerate() {
        let number = k + 1;
        if line.trim().is_empty() {
            continue;
        }
        if number == 1 && line.starts_with("user_id") {
            check_header(line)?;
            continue;
        }
        let fields = fields(line);
        let at = |field: usize, expected: String| RatingsError {
            line: number,
            column: fields.get(field).map_or(line.chars().count() + 1, |f| f.0),
            expected,
        };
        if fields.len() < 3 {
            return Err(at(
                fields.len(),
                format!(
                    "a user, an item and a rating separated by tabs (and a timestamp); found {} field(s)",
                    fields.len()
                ),
            ));
        }
        let id = |field: usize, what: &str| {
            fields[field].1.parse::<u64>().map_err(|_| {
                at(
                    field,
                    format!("{what}: a whole number ≥ 0; found `{}`", fields[field].1),
                )
            })
        };
        let (user, item) = (id(0, "a user id")?, id(1, "an item id")?);
        let value = fields[2]
            .1
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                at(
                    2,
                    format!("a rating, a finite number; found `{}`", fields[2].1),
                )
            })?;
        if let Some(first) = seen.insert((user, item), number) {
            return Err(at(
                0,
                format!(
                    "one rating for each user and item: user {user} rated item {item} on line {first} already"
                ),
            ));
        }
        if ratings.len() == MAX_RATINGS {
            return Err(at(0, format!("at most {MAX_RATINGS} ratings")));
        }
        ratings.push(Rating { user, item, value });
    }
    Ok(Ratings { ratings })
}

/// RecBole's header names the user, the item and the rating first.
fn check_header(line: &str) -> Result<(), RatingsError> {
    let names: Vec<&str> = line
        .split('\t')
        .map(|f| f.split(':').next().unwrap_or(""))
        .collect();
    if names.len() >= 3 && names[..3] == ["user_id", "item_id", "rating"] {
        Ok(())
    } else {
        Err(RatingsError {
            line: 1,
            column: 1,
            expected: "a header naming `user_id`, `item_id` and `rating` first (RecBole's `.inter`), or a first rating".into(),
        })
    }
}

/// A line's tab-separated fields, each with the column it starts at.
fn fields(line: &str) -> Vec<(usize, &str)> {
    let mut column = 1;
    line.split('\t')
        .map(|field| {
            let start = column;
            column += field.chars().count() + 1;
            (start, field.trim())
        })
        .collect()
}

impl Ratings {
    /// The dense sub-block of the most active: the `items` items with the most ratings, then
    /// the `users` users with the most ratings of those items (ties to the smaller id), each
    /// list by increasing id.
    pub fn most_active(&self, users: usize, items: usize) -> (Vec<u64>, Vec<u64>) {
        let top = |counts: BTreeMap<u64, usize>, k: usize| {
            let mut ranked: Vec<(u64, usize)> = counts.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut chosen: Vec<u64> = ranked.into_iter().take(k).map(|(id, _)| id).collect();
            chosen.sort_unstable();
            chosen
        };
        let mut item_counts = BTreeMap::new();
        for r in &self.ratings {
            *item_counts.entry(r.item).or_insert(0) += 1;
        }
        let chosen_items = top(item_counts, items);
        let mut user_counts = BTreeMap::new();
        for r in self
            .ratings
            .iter()
            .filter(|r| chosen_items.binary_search(&r.item).is_ok())
        {
            *user_counts.entry(r.user).or_insert(0) += 1;
        }
        (top(user_counts, users), chosen_items)
    }

    /// The ratings inside the block of `users` × `items` (each sorted by id) as entries (row,
    /// column, rating), in the file's order.
    pub fn entries(&self, users: &[u64], items: &[u64]) -> Vec<(usize, usize, f64)> {
        self.ratings
            .iter()
            .filter_map(|r| {
                let row = users.binary_search(&r.user).ok()?;
                let col = items.binary_search(&r.item).ok()?;
                Some((row, col, r.value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_are_read() {
        let data = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n";
        let inter = format!("user_id:token\titem_id:token\trating:float\ttimestamp:float\n{data}");
        let first = Rating {
            user: 196,
            item: 242,
            value: 3.0,
        };
        assert_eq!(parse(data).unwrap().ratings[0], first);
        assert_eq!(parse(&inter).unwrap(), parse(data).unwrap());
        assert_eq!(parse("1\t2\t4.5").unwrap().ratings[0].value, 4.5);
    }

    #[test]
    fn mistakes_are_located() {
        let wrong = |text: &str| parse(text).unwrap_err();
        let e = wrong("1\t2\t3\t4\n1\t2x\t3\t4\n");
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.expected.starts_with("an item id"), "{}", e.expected);
        let e = wrong("1\t2\tNaN\t4\n");
        assert_eq!((e.line, e.column), (1, 5));
        // Spaces are no separator: one field, and the second is missing at the end.
        assert_eq!(wrong("1 2 3 4\n").column, 8);
        let e = wrong("1\t2\t3\n5\t6\t1\n1\t2\t4\n");
        assert_eq!(e.line, 3);
        assert!(e.expected.contains("on line 1 already"), "{}", e.expected);
        assert_eq!(wrong("user_id:token\trating:float\n").line, 1);
        assert_eq!(wrong("1\t-2\t3\n").column, 3);
    }

    #[test]
    fn the_most_active_block_is_dense_and_deterministic() {
        // Items 10 and 20 are rated by everyone, 30 once; user 3 rates the most of them.
        let text = "1\t10\t5\n2\t10\t4\n3\t10\t3\n1\t20\t2\n2\t20\t1\n3\t20\t5\n3\t30\t4\n";
        let ratings = parse(text).unwrap();
        let (users, items) = ratings.most_active(2, 2);
        assert_eq!(items, [10, 20]);
        // Users 1, 2 and 3 tie on the two items: the smaller ids.
        assert_eq!(users, [1, 2]);
        let entries = ratings.entries(&users, &items);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0], (0, 0, 5.0));
    }
}
