//! A claim's external runs as read: where each is written, the folder its paths are relative
//! to, and the digests of the files it names (read as regular files of bounded size, from
//! inside the claim's folder, never through a link out of it); and the refusal to run any
//! of them without the user's permission (`external::Permission`), located at its `command`.

use crate::claim::read::locate;
use crate::external::Permission;
use crate::solver::RunSpec;
use std::collections::BTreeMap;
use std::path::Path;

/// Fills in each external run of `runs` (of the claim in `file`, whose text is `text`): its
/// folder, where its command is written, and its files' digests; the error names the field.
pub fn resolve(
    runs: &mut BTreeMap<String, RunSpec>,
    text: &str,
    file: &Path,
) -> Result<(), (String, String)> {
    let folder = super::data::claim_folder(file);
    for (name, run) in runs.iter_mut() {
        let RunSpec::External(spec) = run else {
            continue;
        };
        let field = format!("runs.{name}.external");
        // Absolute: the program runs in it, and a relative program path is resolved in it.
        spec.folder = std::path::absolute(folder).map_err(|e| {
            (
                format!("{field}.command"),
                format!("a claim folder that can be named: {e}"),
            )
        })?;
        spec.at = locate::locate(text, &locate::parse_path(&format!("{field}.command")));
        let mut digests = BTreeMap::new();
        for (k, name) in spec.files.iter().enumerate() {
            let bytes = super::data::read_beside(folder, name, "")
                .map_err(|expected| (format!("{field}.files[{k}]"), expected))?;
            digests.insert(name.clone(), crate::store::key::digest(&bytes));
        }
        spec.digests = digests;
    }
    Ok(())
}

/// The first external run of `runs` that `permission` does not allow: its field, where its
/// `command` is written, and what was expected (a claim file from elsewhere must be safe to
/// check).
pub fn refusal(
    runs: &BTreeMap<String, RunSpec>,
    permission: &Permission,
) -> Option<(String, (usize, usize), String)> {
    runs.iter().find_map(|(name, run)| match run {
        RunSpec::External(spec) if !permission.allows(spec) => {
            let program = crate::printable::printable(&spec.command[0]);
            Some((
                format!("runs.{name}.external.command"),
                spec.at,
                format!(
                    "permission to run `{program}`: checking a claim runs no program unless told (`--allow-external`, or `--allow-command {program}`)"
                ),
            ))
        }
        _ => None,
    })
}
