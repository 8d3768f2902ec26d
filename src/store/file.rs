//! One stored run as a file: a first line naming the format, a line of JSON (the key's
//! settings, the body's length and SHA-256), then the body — the key it was solved under, the
//! provenance, the run's wall time and the record with its matrices in CBOR, which keeps every
//! f64 exactly (NaN and ±∞ included; JSON cannot). Every byte is checked on reading: the
//! settings against the key, the body against its length and checksum, and the body's own key
//! against the key (a body moved under another run's header, its checksum recomputed, is
//! refused); what is wrong is said. A co-user who can write the store can still plant a record
//! consistent in every part: the checks catch damage and mix-ups, not forgery.

use super::key::{self, Build, RunKey};
use crate::provenance::Provenance;
use crate::solver::RunRecord;
use crate::solver::watch::{MatrixAt, When};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// The first line of every record (format 2: the body names its key).
const MAGIC: &str = "implreg run record, format 2";

/// The most bytes a record may have when read: far above any run within the default memory
/// limit, far below what would exhaust memory.
pub const MAX_BYTES: u64 = 1 << 30;

/// What the second line says.
#[derive(Serialize, Deserialize)]
struct Header {
    /// The key's settings, exactly as hashed.
    settings: String,
    /// The body's length in bytes and its SHA-256.
    body_bytes: usize,
    body_sha256: String,
}

/// Who made the record and when, the run's wall time, the record and the matrices its JSON
/// form leaves out.
#[derive(Serialize)]
struct Body<'a> {
    key: &'a str,
    provenance: &'a Provenance,
    seconds: f64,
    #[serde(flatten)]
    outcome: Outcome<'a>,
}

#[derive(Deserialize)]
struct OwnedBody {
    key: String,
    provenance: Provenance,
    seconds: f64,
    record: RunRecord,
    matrix: DMatrix<f64>,
    factors: Vec<DMatrix<f64>>,
    moments: Vec<(When, Option<MatrixAt>)>,
    #[serde(default)]
    work: Option<f64>,
}

/// A record read back, with what its header says.
pub struct Read {
    /// The run's record, as it was solved.
    pub record: RunRecord,
    /// Who solved it and when.
    pub provenance: Provenance,
    /// How long it took.
    pub seconds: f64,
}

/// The bytes of the file for `record`, solved in `seconds` under `key`.
pub fn encode(key: &RunKey, record: &RunRecord, provenance: &Provenance, seconds: f64) -> Vec<u8> {
    let mut body = Vec::new();
    let parts = Body {
        key: &key.digest,
        provenance,
        seconds,
        outcome: Outcome::of(record),
    };
    ciborium::into_writer(&parts, &mut body).expect("a record encodes into memory");
    let header = Header {
        settings: key.settings.clone(),
        body_bytes: body.len(),
        body_sha256: key::digest(&body),
    };
    let mut bytes = format!(
        "{MAGIC}\n{}\n",
        serde_json::to_string(&header).expect("headers serialise")
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// What a run gave, as the store keeps it: the record with its matrices, without who made it
/// or how long it took.
#[derive(Serialize)]
struct Outcome<'a> {
    record: &'a RunRecord,
    matrix: &'a DMatrix<f64>,
    factors: &'a [DMatrix<f64>],
    moments: &'a [(When, Option<MatrixAt>)],
    work: Option<f64>,
}

impl<'a> Outcome<'a> {
    fn of(record: &'a RunRecord) -> Self {
        Self {
            record,
            matrix: &record.matrix,
            factors: &record.factors,
            moments: &record.moments,
            work: record.work,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        ciborium::into_writer(self, &mut bytes).expect("a record encodes into memory");
        bytes
    }
}

/// Whether two runs gave the same result bit for bit (every f64 as stored, NaN's bits too).
pub fn same_result(a: &RunRecord, b: &RunRecord) -> bool {
    Outcome::of(a).bytes() == Outcome::of(b).bytes()
}

/// The record in `bytes` if it is an intact record of `key` made by `build`; otherwise what is
/// wrong with it.
pub fn decode(bytes: &[u8], key: &RunKey, build: &Build) -> Result<Read, String> {
    let (magic, rest) = split_line(bytes).ok_or("empty or truncated before its first line")?;
    if magic != MAGIC.as_bytes() {
        return Err("not an implreg run record (its first line differs)".into());
    }
    let (header, body) = split_line(rest).ok_or("truncated in its header")?;
    let header: Header = serde_json::from_slice(header)
        .map_err(|e| format!("its header is not what implreg writes ({e})"))?;
    if key::digest(header.settings.as_bytes()) != key.digest {
        return Err(match key::build_of(&header.settings) {
            Some(other) if other != *build => format!(
                "made by another build (implreg {}, source {}, kernels {}; this is implreg {}, source {}, kernels {})",
                other.implreg,
                other.source,
                other.kernels,
                build.implreg,
                build.source,
                build.kernels
            ),
            _ => "a record of other settings under this key (foreign or altered)".into(),
        });
    }
    if body.len() != header.body_bytes {
        return Err(format!(
            "truncated or extended: its body has {} bytes, its header says {}",
            body.len(),
            header.body_bytes
        ));
    }
    if key::digest(body) != header.body_sha256 {
        return Err("corrupt: its body's checksum does not match".into());
    }
    let body: OwnedBody =
        ciborium::from_reader(body).map_err(|e| format!("its body does not decode ({e})"))?;
    if body.key != key.digest {
        return Err(
            "the body of another run's record under this key's header (moved or altered)".into(),
        );
    }
    let mut record = body.record;
    record.matrix = body.matrix;
    record.factors = body.factors;
    record.moments = body.moments;
    record.work = body.work;
    Ok(Read {
        record,
        provenance: body.provenance,
        seconds: body.seconds,
    })
}

/// The build that made the record starting with `start` (its first two lines are enough),
/// if it is a record of this format.
pub fn build_of(start: &[u8]) -> Option<Build> {
    let (magic, rest) = split_line(start)?;
    if magic != MAGIC.as_bytes() {
        return None;
    }
    let (header, _) = split_line(rest)?;
    let header: Header = serde_json::from_slice(header).ok()?;
    key::build_of(&header.settings)
}

/// The bytes before the first newline and those after it.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    Some((&bytes[..end], &bytes[end + 1..]))
}
