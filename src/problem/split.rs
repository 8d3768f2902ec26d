//! The ratings family: a real matrix (users × items) whose known entries are ratings from a
//! file, split by the seed into the observations a run is trained on and the entries held out
//! to test its predictions (`test_rmse`, in the ratings' units). There is no ground truth: the
//! missing entries are what is predicted. The file is read with the claim, from inside its
//! folder (`claim::read::data`), and its SHA-256 is part of every run's key.

use super::instance::{Family, Form, HeldOut, Observations, Problem, Testing};
use super::ratings::{self, Ratings, RatingsError};
use crate::invalid::{Invalid, require};
use crate::random::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The ratings family as a claim writes it:
/// `ratings: {file: data/ml-100k.inter, test: 0.2, block: {users: 100, items: 100}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingsSpec {
    /// The ratings file, relative to the claim's folder, as MovieLens (`u.data`) or RecBole
    /// (`.inter`) writes it.
    pub file: String,
    /// The fraction of the ratings held out for testing, drawn uniformly by the seed.
    pub test: f64,
    /// Keep only the dense block of the most active users and items (`Ratings::most_active`);
    /// the whole matrix, every user and item the file names, without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<Block>,
    /// SHA-256 of the file, taken when the claim is read (never written in a claim): what the
    /// key covers of the data.
    #[serde(default, skip_deserializing)]
    pub digest: String,
    /// The matrix's known entries, loaded with the claim.
    #[serde(skip)]
    pub data: Option<Arc<Rated>>,
}

/// The size of a block of the most active users and items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// Users (rows).
    pub users: usize,
    /// Items (columns).
    pub items: usize,
}

/// A real matrix's known entries: rows are users and columns items, each by increasing id.
#[derive(Clone, PartialEq)]
pub struct Rated {
    /// Users.
    pub rows: usize,
    /// Items.
    pub cols: usize,
    /// (row, column, rating), in column-major order.
    pub entries: Vec<(usize, usize, f64)>,
}

impl fmt::Debug for Rated {
    /// The size, not a hundred thousand entries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Rated({}×{}, {} ratings)",
            self.rows,
            self.cols,
            self.entries.len()
        )
    }
}

/// Why a ratings file gives no matrix: a mistake in it, or a block it cannot fill.
#[derive(Debug, Clone, PartialEq)]
pub enum Unloaded {
    /// A mistake in the file, located in it.
    File(RatingsError),
    /// A setting the file's ratings cannot meet.
    Setting(Invalid),
}

impl RatingsSpec {
    /// Reads the matrix from `text`, the file's contents whose SHA-256 is `digest`.
    pub fn load(&mut self, text: &str, digest: String) -> Result<(), Unloaded> {
        let ratings = ratings::parse(text).map_err(Unloaded::File)?;
        let (users, items) = match self.block {
            Some(block) => {
                let (users, items) = ratings.most_active(block.users, block.items);
                available("block.users", block.users, users.len(), "users")?;
                available("block.items", block.items, items.len(), "items")?;
                (users, items)
            }
            None => all_ids(&ratings),
        };
        let mut entries = ratings.entries(&users, &items);
        entries.sort_unstable_by_key(|&(i, j, _)| (j, i));
        let rated = Rated {
            rows: users.len(),
            cols: items.len(),
            entries,
        };
        let n = rated.entries.len();
        let held = held_out_count(self.test, n);
        require(held >= 1 && held < n, "test", || {
            format!(
                "a fraction that holds out at least one of the {n} ratings and keeps one to train on; {} holds out {held}",
                self.test
            )
        })
        .map_err(Unloaded::Setting)?;
        self.digest = digest;
        self.data = Some(Arc::new(rated));
        Ok(())
    }

    /// The loaded matrix; every instance is drawn after the claim loaded it.
    fn rated(&self) -> &Rated {
        self.data
            .as_deref()
            .expect("a ratings problem is loaded with its claim (claim::read::data)")
    }

    fn held_out_count(&self) -> usize {
        self.data
            .as_deref()
            .map_or(0, |d| held_out_count(self.test, d.entries.len()))
    }
}

/// round(test · n): how many of n ratings are held out.
fn held_out_count(test: f64, n: usize) -> usize {
    (test * n as f64).round() as usize
}

/// Every user and every item the file names, by increasing id.
fn all_ids(ratings: &Ratings) -> (Vec<u64>, Vec<u64>) {
    let mut users: Vec<u64> = ratings.ratings.iter().map(|r| r.user).collect();
    let mut items: Vec<u64> = ratings.ratings.iter().map(|r| r.item).collect();
    for ids in [&mut users, &mut items] {
        ids.sort_unstable();
        ids.dedup();
    }
    (users, items)
}

/// A block asks no more users (or items) than the file has.
fn available(field: &str, asked: usize, found: usize, what: &str) -> Result<(), Unloaded> {
    require(asked == found, field, || {
        format!("at most the {found} {what} the file has; found {asked}")
    })
    .map_err(Unloaded::Setting)
}

impl Family for RatingsSpec {
    /// Users × items; 1×1 before the file is loaded (nothing is run then).
    fn shape(&self) -> (usize, usize) {
        self.data.as_deref().map_or((1, 1), |d| (d.rows, d.cols))
    }

    fn has_truth(&self) -> bool {
        false
    }

    fn observations(&self) -> usize {
        let known = self.data.as_deref().map_or(0, |d| d.entries.len());
        known - self.held_out_count()
    }

    fn observes_entries(&self) -> bool {
        true
    }

    fn held_out(&self) -> Option<(Testing, usize)> {
        Some((Testing::Entries, self.held_out_count()))
    }

    /// The settings alone; the file and what it holds are checked as it is loaded (`load`).
    fn validate(&self) -> Result<(), Invalid> {
        require(self.test > 0.0 && self.test < 1.0, "test", || {
            format!(
                "the fraction of the ratings held out, in (0, 1); found {}",
                self.test
            )
        })?;
        if let Some(block) = self.block {
            require(block.users >= 1, "block.users", || "at least 1 user".into())?;
            require(block.items >= 1, "block.items", || "at least 1 item".into())?;
        }
        crate::confined::require_inside(&self.file, "file", "path")
    }

    /// The held-out ratings drawn uniformly without replacement; the rest are observed, both in
    /// column-major order.
    fn draw(&self, rng: &mut Rng) -> Problem {
        let rated = self.rated();
        let n = rated.entries.len();
        let mut held = rand::seq::index::sample(rng, n, self.held_out_count()).into_vec();
        held.sort_unstable();
        let (mut at, mut values) = (Vec::new(), Vec::new());
        let (mut test_at, mut test_values) = (Vec::new(), Vec::new());
        let mut next = held.iter().peekable();
        for (k, &(i, j, r)) in rated.entries.iter().enumerate() {
            if next.next_if_eq(&&k).is_some() {
                test_at.push((i, j));
                test_values.push(r);
            } else {
                at.push((i, j));
                values.push(r);
            }
        }
        Problem {
            rows: rated.rows,
            cols: rated.cols,
            observations: Observations::Entries { at, values },
            truth: None,
            fit: Default::default(),
            held_out: Some(HeldOut::Entries {
                at: test_at,
                values: test_values,
            }),
            form: Form::Matrix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random;

    fn loaded(test: f64, block: Option<Block>) -> RatingsSpec {
        let text = "1\t10\t5\n2\t10\t4\n3\t10\t3\n1\t20\t2\n2\t20\t1\n3\t20\t5\n3\t30\t4\n";
        let mut spec = RatingsSpec {
            file: "r.data".into(),
            test,
            block,
            digest: String::new(),
            data: None,
        };
        spec.load(text, "d".into()).unwrap();
        spec
    }

    #[test]
    fn a_split_is_a_partition_drawn_from_the_seed() {
        let spec = loaded(0.3, None);
        assert_eq!(spec.shape(), (3, 3));
        let draw = |seed| spec.draw(&mut random::problem_stream(seed));
        let problem = draw(1);
        let Some(HeldOut::Entries { at, values }) = &problem.held_out else {
            panic!("ratings hold out entries")
        };
        assert_eq!((at.len(), problem.observation_count()), (2, 5));
        let Observations::Entries { at: seen, .. } = &problem.observations else {
            panic!("ratings observe entries")
        };
        let mut all: Vec<_> = seen.iter().chain(at).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 7);
        assert_eq!(draw(1), problem);
        assert!((0..20).any(|seed| draw(seed).held_out != problem.held_out));
        // A prediction of every held-out rating exactly has no error; one star off, one.
        let mut w = nalgebra::DMatrix::zeros(3, 3);
        for (&(i, j), &v) in at.iter().zip(values) {
            w[(i, j)] = v;
        }
        let held_out = problem.held_out.as_ref().unwrap();
        assert_eq!(held_out.rmse_of(&w), Some(0.0));
        w.add_scalar_mut(1.0);
        assert_eq!(held_out.rmse_of(&w), Some(1.0));
    }

    #[test]
    fn a_block_and_a_split_are_refused_where_the_file_cannot_fill_them() {
        let block = |users, items| Some(Block { users, items });
        assert_eq!(loaded(0.5, block(2, 2)).shape(), (2, 2));
        let mut spec = loaded(0.5, None);
        spec.block = block(4, 2);
        let Err(Unloaded::Setting(e)) = spec.load("1\t10\t5\n2\t10\t4\n", "d".into()) else {
            panic!("a block larger than the file is refused")
        };
        assert_eq!(e.field, "block.users", "{e:?}");
        spec.block = None;
        spec.test = 0.1;
        assert!(matches!(
            spec.load("1\t10\t5\n2\t10\t4\n", "d".into()),
            Err(Unloaded::Setting(_))
        ));
        assert!(matches!(
            spec.load("1\t10\tfive\n", "d".into()),
            Err(Unloaded::File(_))
        ));
    }
}
