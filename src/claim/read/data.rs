//! The files a claim reads besides itself, from inside its folder: a `ratings` problem's data
//! (read, digested and loaded here, its mistakes located in it) and an external run's files
//! (digested in `external`). Only regular files of bounded size are read, never through a link
//! out of the claim's folder (`confined::Folder`).

use crate::claim::read::errors::SpecError;
use crate::confined::{Folder, Unread};
use crate::problem::{ProblemSpec, Unloaded};
use std::path::Path;

/// The largest file a claim may name, in bytes (MovieLens-1M's ratings are 24 MB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The folder of the claim in `file`, which the paths a claim names are relative to.
pub fn claim_folder(file: &Path) -> &Path {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The bytes of `name`, relative to the claim's folder `folder`; the error says what was
/// expected of it, and `hint` where there is no such file.
pub fn read_beside(folder: &Path, name: &str, hint: &str) -> Result<Vec<u8>, String> {
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
            Unread::Missing => expected(format!("there is none{hint}")),
            Unread::Refused(why) => expected(why),
        })
}

/// Where a missing ratings file comes from.
const FETCH_HINT: &str =
    " (data that may not be committed is fetched: MovieLens-100k by `scripts/fetch-movielens`)";

/// Loads the data `problem` reads (a `ratings` file) for the claim in `file`; `invalid`
/// locates an error at a field of the claim, and a mistake inside the data file is located in
/// that file.
pub fn load(
    problem: &mut ProblemSpec,
    file: &Path,
    invalid: impl Fn(&str, String) -> SpecError,
) -> Result<(), SpecError> {
    let ProblemSpec::Ratings(spec) = problem else {
        return Ok(());
    };
    const FIELD: &str = "problem.ratings.file";
    let folder = claim_folder(file);
    let bytes =
        read_beside(folder, &spec.file, FETCH_HINT).map_err(|expected| invalid(FIELD, expected))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        invalid(
            FIELD,
            format!("a ratings file in UTF-8 text; `{}`: {e}", spec.file),
        )
    })?;
    let digest = crate::store::key::digest(&bytes);
    spec.load(text, digest).map_err(|why| match why {
        Unloaded::File(e) => SpecError::Invalid {
            file: folder.join(&spec.file),
            line: e.line,
            column: e.column,
            field: FIELD.into(),
            expected: e.expected,
        },
        Unloaded::Setting(e) => {
            let e = e.within("problem.ratings");
            invalid(&e.field, e.expected)
        }
    })
}
