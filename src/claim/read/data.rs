//! The files a claim reads besides itself, from inside its folder: a `ratings` problem's data
//! (read, digested and loaded here, its mistakes located in it) and an external run's files
//! (digested in `external`). Only regular files of bounded size are read, never through a link
//! out of the claim's folder (`confined::Folder`).

use crate::confined::{Folder, Unread};
use crate::problem::{ProblemSpec, Unloaded};
use std::path::{Path, PathBuf};

/// The largest file a claim may name, in bytes (MovieLens-1M's ratings are 24 MB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The folder of the claim in `file`, which the paths a claim names are relative to.
pub fn claim_folder(file: &Path) -> &Path {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The bytes of `name`, relative to the claim's folder `folder`; the error says what was
/// expected of it.
pub fn read_beside(folder: &Path, name: &str) -> Result<Vec<u8>, String> {
    let expected = |why: String| {
        format!(
            "a regular file of at most {} MiB inside the claim's folder; `{name}`: {why}",
            MAX_FILE_BYTES >> 20
        )
    };
    let folder = Folder::open(folder)
        .map_err(|e| expected(format!("the claim's folder could not be opened: {e}")))?;
    folder
        .read(Path::new(name), MAX_FILE_BYTES)
        .map_err(|why| match why {
            Unread::Missing => expected("there is none".into()),
            Unread::Refused(why) => expected(why),
        })
}

/// Why a claim's data could not be loaded.
pub enum DataError {
    /// The claim's field (a dotted path) and what was expected of it.
    Field(String, String),
    /// A mistake inside the data file: the file, its line and column, what was expected.
    Inside(PathBuf, usize, usize, String),
}

/// Loads the data `problem` reads (a `ratings` file) for the claim in `file`.
pub fn load(problem: &mut ProblemSpec, file: &Path) -> Result<(), DataError> {
    let ProblemSpec::Ratings(spec) = problem else {
        return Ok(());
    };
    let folder = claim_folder(file);
    let field = |name: &str| format!("problem.ratings.{name}");
    let bytes = read_beside(folder, &spec.file).map_err(|expected| {
        let hint = if expected.ends_with("there is none") {
            " (data that may not be committed is fetched: MovieLens-100k by `scripts/fetch-movielens`)"
        } else {
            ""
        };
        DataError::Field(field("file"), format!("{expected}{hint}"))
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        DataError::Field(
            field("file"),
            format!("a ratings file in UTF-8 text; `{}`: {e}", spec.file),
        )
    })?;
    let digest = crate::store::key::digest(&bytes);
    spec.load(text, digest).map_err(|why| match why {
        Unloaded::File(e) => {
            DataError::Inside(folder.join(&spec.file), e.line, e.column, e.expected)
        }
        Unloaded::Setting(invalid) => {
            let invalid = invalid.within("problem.ratings");
            DataError::Field(invalid.field, invalid.expected)
        }
    })
}
