//! A run made by another program: the settings a claim gives it, and nothing it runs. The claim
//! names an argument list (never a shell string), the files the program depends on, a time
//! budget and a working directory, and the run the program is asked to make (`settings`, any
//! run the claim could make itself). Running it is the `external` module's job, and only when
//! the user allowed it (`docs/external.md`: a claim file from elsewhere must be safe to check).

use super::deep::DeepSpec;
use crate::confined::require_inside;
use crate::invalid::{Invalid, require};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The most seconds an external run may be given.
pub const MAX_SECONDS: f64 = 86_400.0;

/// The most arguments, files and bytes of each that a claim may name for one program.
pub const MAX_ARGUMENTS: usize = 256;

/// An external run as a claim writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalSpec {
    /// The program and its arguments: `command[0]` is looked up on `PATH` unless it names a
    /// path (it has a `/`), which is then relative to the claim's folder.
    pub command: Vec<String>,
    /// The files the program depends on, relative to the claim's folder: their digests are part
    /// of the run's key, so a changed file is run again and an unchanged one reused.
    #[serde(default)]
    pub files: Vec<String>,
    /// Wall-clock seconds one run may take; past them its whole process group is ended and the
    /// run is `exhausted` (stop `time`, not stored).
    pub seconds: f64,
    /// Where the program runs, relative to the claim's folder (the folder itself by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// The run the program is asked to make: its settings are written for it, with the initial
    /// factors it draws from the seed.
    pub settings: Settings,
    /// Run the program this many times on each seed and fail the run if its endpoints differ by
    /// more than the tolerance: how a claim states that an implementation must be
    /// deterministic (without it, the first result is kept and reused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Repeat>,
    /// SHA-256 of each of `files`, by name, taken when the claim is read (never written in a
    /// claim): what the key covers besides the settings.
    #[serde(default, skip_deserializing)]
    pub digests: BTreeMap<String, String>,
    /// The claim's folder, which the paths above are relative to (not part of the key: a store
    /// is shared between machines).
    #[serde(skip)]
    pub folder: PathBuf,
    /// Where `command` is written in the claim (line, column), for the refusal to run it.
    #[serde(skip)]
    pub at: (usize, usize),
}

impl ExternalSpec {
    /// Rejects settings no program could be run with; the files are read later, with the claim's
    /// folder (`claim::read`).
    pub fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        require(
            !self.command.is_empty() && self.command.len() <= MAX_ARGUMENTS,
            "command",
            || format!("a program and its arguments, 1 to {MAX_ARGUMENTS} strings"),
        )?;
        require(!self.command[0].trim().is_empty(), "command[0]", || {
            "the program's name or path".into()
        })?;
        for (k, argument) in self.command.iter().enumerate() {
            require(!argument.contains('\0'), &format!("command[{k}]"), || {
                "an argument without NUL bytes".into()
            })?;
        }
        require(self.files.len() <= MAX_ARGUMENTS, "files", || {
            format!("at most {MAX_ARGUMENTS} files")
        })?;
        for (k, file) in self.files.iter().enumerate() {
            require_inside(file, &format!("files[{k}]"), "path")?;
        }
        if let Some(workdir) = &self.workdir {
            require_inside(workdir, "workdir", "folder")?;
        }
        require(
            self.seconds.is_finite() && self.seconds > 0.0 && self.seconds <= MAX_SECONDS,
            "seconds",
            || format!("seconds in (0, {MAX_SECONDS}]; found {}", self.seconds),
        )?;
        if let Some(repeat) = self.repeat {
            require(
                (2..=MAX_REPEATS).contains(&repeat.times),
                "repeat.times",
                || {
                    format!(
                        "2 to {MAX_REPEATS} runs on each seed; found {}",
                        repeat.times
                    )
                },
            )?;
            require(
                repeat.tolerance.is_finite() && repeat.tolerance >= 0.0,
                "repeat.tolerance",
                || format!("a tolerance ≥ 0; found {}", repeat.tolerance),
            )?;
        }
        let Settings::Deep(deep) = &self.settings;
        deep.validate(rows, cols)
            .map_err(|e| e.within("settings.deep"))
    }
}

/// How often a program is run on each seed, and how far apart its endpoints may end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// Runs on each seed, 2 to `MAX_REPEATS`.
    pub times: usize,
    /// The largest ‖W_k − W_1‖_F / ‖W_1‖_F allowed (0: bit for bit).
    pub tolerance: f64,
}

/// The most runs a `repeat` may ask for.
pub const MAX_REPEATS: usize = 10;

/// The runs the protocol can ask a program to make, written as a claim writes a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Settings {
    /// A deep factorisation, with the initial factors its `init` draws (`export`'s format).
    Deep(DeepSpec),
}

impl Settings {
    /// The deep run asked for.
    pub fn deep(&self) -> &DeepSpec {
        let Settings::Deep(deep) = self;
        deep
    }
}
