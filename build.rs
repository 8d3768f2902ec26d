//! Records, for reports' provenance and the result store's keys:
//! - `IMPLREG_COMMIT`: the git commit implreg is built from (with `-dirty` for uncommitted
//!   changes); `unknown` outside a git checkout or without git;
//! - `IMPLREG_SOURCE`: a SHA-256 digest of the sources (`src/`, `Cargo.lock`), so that a stored
//!   run is reused only by a build of the same code, committed or not.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Every file under `dir`, in a fixed order.
fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, found);
        } else {
            found.push(path);
        }
    }
}

/// The digest of the files' paths and contents, 16 hex digits.
fn source_digest() -> String {
    let mut paths = Vec::new();
    files(Path::new("src"), &mut paths);
    paths.push(PathBuf::from("Cargo.lock"));
    paths.sort();
    let mut hash = Sha256::new();
    for path in &paths {
        hash.update(path.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(path).unwrap_or_default());
        hash.update([0]);
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).map_or_else(
        || "unknown".to_string(),
        |hash| match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{hash}-dirty"),
            _ => hash,
        },
    );
    println!("cargo:rustc-env=IMPLREG_COMMIT={commit}");
    println!("cargo:rustc-env=IMPLREG_SOURCE={}", source_digest());
    for path in [".git/HEAD", ".git/index", ".git/refs", "src", "Cargo.lock"] {
        if Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
