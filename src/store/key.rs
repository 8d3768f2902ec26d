//! A stored run's content key: the SHA-256 of its canonical settings — the problem and run as
//! a claim states them (not the run's name), the seed, what the run was asked to watch, and the
//! build that solves it (implreg's version, a digest of its sources, the arithmetic kernels:
//! AVX2/FMA and portable kernels may differ in the last bits).

use crate::problem::ProblemSpec;
pub use crate::provenance::Build;
use crate::solver::RunSpec;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The version of the settings' layout; a change makes every older record foreign.
const FORMAT: u32 = 1;

/// Serialised in field order: the canonical text is a function of the values alone (maps in
/// the specs are ordered; floats are written shortest-exact).
#[derive(Serialize)]
struct Settings<'a, W: Serialize> {
    format: u32,
    build: &'a Build,
    problem: &'a ProblemSpec,
    run: &'a RunSpec,
    seed: u64,
    watch: &'a W,
}

/// A run's key: its canonical settings and their digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    /// The canonical settings, as JSON text.
    pub settings: String,
    /// SHA-256 of `settings`, 64 hex digits: the record's file name.
    pub digest: String,
}

impl RunKey {
    /// The key of `run` on `problem`'s instance for `seed`, watching `watch` (any canonical
    /// description of what the record must hold beyond the defaults), solved by `build`.
    pub fn new(
        build: &Build,
        problem: &ProblemSpec,
        run: &RunSpec,
        seed: u64,
        watch: &impl Serialize,
    ) -> Self {
        let settings = serde_json::to_string(&Settings {
            format: FORMAT,
            build,
            problem,
            run,
            seed,
            watch,
        })
        .expect("settings serialise");
        let digest = digest(settings.as_bytes());
        Self { settings, digest }
    }
}

/// SHA-256 of `bytes` in hex.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The build a key's settings name, if they can be read.
pub fn build_of(settings: &str) -> Option<Build> {
    let value: serde_json::Value = serde_json::from_str(settings).ok()?;
    serde_json::from_value(value.get("build")?.clone()).ok()
}
