//! A folder implreg was given to read and write in (the result store with its shard
//! manifests): every path inside it is opened relative to the folder, component by component
//! (cap-std), so that no link planted inside can lead a read or a write out of it. A file is
//! read only when it is a regular file of bounded size, opened without blocking, so that a
//! FIFO, a device or a huge file never hangs, floods or exhausts memory. A file is written
//! whole: into a temporary name created exclusively (a name planted beforehand, a link
//! included, is never opened), then renamed into place (a link at the final name is replaced,
//! never followed).

use crate::invalid::Invalid;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A folder whose paths are opened from inside it.
pub struct Folder {
    dir: Dir,
    root: PathBuf,
}

/// Why a file inside a folder was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum Unread {
    /// There is no such file: nothing to say.
    Missing,
    /// There is something, and it was refused or could not be read: why.
    Refused(String),
}

/// `e`, saying what cap-std's refusal of a path that leaves the folder means here.
fn explained(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::PermissionDenied && e.to_string().contains("outside") {
        io::Error::new(
            e.kind(),
            "a link inside leads out of the folder: never followed",
        )
    } else {
        e
    }
}

/// Temporary names tried before a write gives up (each taken one was planted or is another
/// writer's).
const TEMPORARY_TRIES: u64 = 16;

impl Folder {
    /// The folder at `root`, which must exist (the path to it is the caller's to trust).
    pub fn open(root: &Path) -> io::Result<Self> {
        let dir = Dir::open_ambient_dir(root, cap_std::ambient_authority())?;
        Ok(Self {
            dir,
            root: root.to_path_buf(),
        })
    }

    /// The folder at `root`, made first if it is not there.
    pub fn create(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Self::open(root)
    }

    /// Where it is.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The first `most` bytes (or fewer) of the regular file at `path`, however long it is.
    pub fn read_start(&self, path: &Path, most: u64) -> Result<Vec<u8>, Unread> {
        self.read_within(path, most, false)
    }

    /// The bytes of the regular file at `path` (relative to the folder), at most `cap` of
    /// them.
    pub fn read(&self, path: &Path, cap: u64) -> Result<Vec<u8>, Unread> {
        self.read_within(path, cap, true)
    }

    /// The size and the last change of the file at `path`, not following a link.
    pub fn file(&self, path: &Path) -> io::Result<(u64, std::time::SystemTime)> {
        let metadata = self.dir.symlink_metadata(path).map_err(explained)?;
        Ok((metadata.len(), metadata.modified()?.into_std()))
    }

    /// Removes the file at `path` (a link is removed, not what it points to).
    pub fn remove(&self, path: &Path) -> io::Result<()> {
        self.dir.remove_file(path).map_err(explained)
    }

    /// The regular file at `path`: whole (refused past `cap`), or its first `cap` bytes.
    fn read_within(&self, path: &Path, cap: u64, whole: bool) -> Result<Vec<u8>, Unread> {
        let refused = |e: io::Error| Unread::Refused(explained(e).to_string());
        let mut options = OpenOptions::new();
        options.read(true).custom_flags(libc::O_NONBLOCK);
        let file = match self.dir.open_with(path, &options) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Unread::Missing),
            Err(e) => return Err(refused(e)),
        };
        let metadata = file.metadata().map_err(refused)?;
        if !metadata.is_file() {
            return Err(Unread::Refused("not a regular file".into()));
        }
        if whole && metadata.len() > cap {
            return Err(Unread::Refused(format!(
                "{} bytes, more than the {cap} such a file may have",
                metadata.len()
            )));
        }
        let mut bytes = Vec::new();
        file.take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(refused)?;
        if bytes.len() as u64 > cap {
            if !whole {
                bytes.truncate(cap as usize);
                return Ok(bytes);
            }
            return Err(Unread::Refused(format!(
                "more than the {cap} bytes such a file may have"
            )));
        }
        Ok(bytes)
    }

    /// Writes `bytes` to `path` whole: into `temporary` (a folder inside) under a name made
    /// from `stem` and created exclusively, then renamed into place.
    pub fn write_whole(
        &self,
        path: &Path,
        temporary: &Path,
        stem: &str,
        bytes: &[u8],
    ) -> io::Result<()> {
        self.folders(temporary)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.folders(parent)?;
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        let mut last = None;
        for attempt in 0..TEMPORARY_TRIES {
            let tmp = temporary.join(format!("{stem}.{attempt}"));
            let mut file = match self.dir.open_with(&tmp, &options) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    last = Some(e);
                    continue;
                }
                Err(e) => return Err(explained(e)),
            };
            let written = file
                .write_all(bytes)
                .and_then(|()| self.dir.rename(&tmp, &self.dir, path));
            if written.is_err() {
                let _ = self.dir.remove_file(&tmp);
            }
            return written.map_err(explained);
        }
        Err(last.unwrap_or_else(|| io::Error::other("no temporary name could be made")))
    }

    /// Makes the folder `path` and those above it inside this one; something else standing
    /// where one should be (a link out of the folder, a file) is an error saying so.
    fn folders(&self, path: &Path) -> io::Result<()> {
        self.dir.create_dir_all(path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                io::Error::new(
                    e.kind(),
                    format!(
                        "`{}` is not a folder inside (a link inside leads out of the folder: never followed)",
                        path.display()
                    ),
                )
            } else {
                e
            }
        })
    }

    /// The names in the folder `path` (relative to this one), sorted; none when it is not
    /// there.
    pub fn names(&self, path: &Path) -> io::Result<Vec<String>> {
        let entries = match self.dir.read_dir(path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(explained(e)),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }
}

/// Whether `path` is relative and stays inside the folder it is relative to.
pub fn relative_inside(path: &str) -> bool {
    let path = std::path::Path::new(path);
    !path.as_os_str().is_empty()
        && path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// Refuses a `what` (a path, a folder) a claim names at `field` that is not relative to the
/// claim's folder and inside it.
pub fn require_inside(path: &str, field: &str, what: &str) -> Result<(), Invalid> {
    crate::invalid::require(relative_inside(path), field, || {
        format!(
            "a {what} relative to the claim's folder, inside it (no `..`, not absolute); found `{path}`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("implreg-confined-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_link_out_of_the_folder_is_never_followed() {
        let dir = scratch("link");
        let (inside, outside) = (dir.join("inside"), dir.join("outside"));
        std::fs::create_dir_all(&inside).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"kept").unwrap();
        std::os::unix::fs::symlink(&outside, inside.join("runs")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), inside.join("file")).unwrap();
        let folder = Folder::open(&inside).unwrap();
        let refused = folder.write_whole(Path::new("runs/secret"), Path::new("tmp"), "x", b"bad");
        let why = refused.unwrap_err();
        assert!(why.to_string().contains("never followed"), "{why:?}");
        assert!(matches!(
            folder.read(Path::new("runs/secret"), 100),
            Err(Unread::Refused(_))
        ));
        assert!(matches!(
            folder.read(Path::new("file"), 100),
            Err(Unread::Refused(_))
        ));
        // A link at the final name is replaced, not written through.
        folder
            .write_whole(Path::new("file"), Path::new("tmp"), "x", b"new")
            .unwrap();
        assert_eq!(std::fs::read(outside.join("secret")).unwrap(), b"kept");
        assert_eq!(folder.read(Path::new("file"), 100), Ok(b"new".to_vec()));
    }

    #[test]
    fn a_planted_temporary_name_is_skipped_never_opened() {
        let dir = scratch("planted");
        let target = dir.join("target");
        std::fs::write(&target, b"kept").unwrap();
        let inside = dir.join("store");
        std::fs::create_dir_all(inside.join("tmp")).unwrap();
        std::os::unix::fs::symlink(&target, inside.join("tmp/x.0")).unwrap();
        let folder = Folder::open(&inside).unwrap();
        folder
            .write_whole(Path::new("a/b"), Path::new("tmp"), "x", b"new")
            .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"kept");
        assert_eq!(std::fs::read(inside.join("a/b")).unwrap(), b"new");
    }

    #[test]
    fn fifos_devices_and_oversized_files_are_refused_unread() {
        let dir = scratch("kinds");
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "mkfifo (coreutils) makes a FIFO"
        );
        let folder = Folder::open(&dir).unwrap();
        assert!(matches!(
            folder.read(Path::new("fifo"), 100),
            Err(Unread::Refused(_))
        ));
        let big = std::fs::File::create(dir.join("big")).unwrap();
        big.set_len(3 << 30).unwrap();
        let refused = folder.read(Path::new("big"), 1 << 20);
        assert!(matches!(&refused, Err(Unread::Refused(why)) if why.contains("3221225472 bytes")));
        assert_eq!(folder.read(Path::new("none"), 100), Err(Unread::Missing));
        assert_eq!(
            folder.names(Path::new("absent")).unwrap(),
            Vec::<String>::new()
        );
    }
}
