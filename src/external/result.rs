//! What a program writes back (`docs/external.md`, `docs/external-result.schema.json`), read
//! and checked before anything of it is believed: the JSON's types and fields (serde's line and
//! column), then every matrix's shape against the problem's, steps strictly increasing, sizes
//! within caps. A number may be `null`: a value the program could not represent (NaN or ±∞ after
//! divergence), read as NaN.

use crate::solver::replay::Reported;
use nalgebra::DMatrix;
use serde::Deserialize;

/// The largest result file read, in bytes.
pub const MAX_BYTES: u64 = 256 << 20;

/// The most trajectory samples a result may hold.
pub const MAX_SAMPLES: usize = 100_000;

/// The most factors a result may hold.
pub const MAX_FACTORS: usize = 64;

/// The result file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    /// The end-to-end matrix the run ended at, as a list of rows.
    matrix: Vec<Vec<Option<f64>>>,
    /// The steps the run took.
    steps: usize,
    /// The factors W_1, …, W_N it ended with, each a list of rows.
    #[serde(default)]
    factors: Vec<Vec<Vec<Option<f64>>>>,
    /// Samples along the way, by increasing step, each before `steps`.
    #[serde(default)]
    trajectory: Vec<WrittenSample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenSample {
    step: usize,
    matrix: Vec<Vec<Option<f64>>>,
}

/// Reads the bytes of a result for a rows×cols problem whose settings ask for `target_loss`;
/// the error is located in the file (line and column) or names the field.
pub fn read(
    bytes: &[u8],
    rows: usize,
    cols: usize,
    target_loss: Option<f64>,
) -> Result<Reported, String> {
    let written: Written = serde_json::from_slice(bytes)
        .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()))?;
    if written.trajectory.len() > MAX_SAMPLES {
        return Err(format!(
            "trajectory: at most {MAX_SAMPLES} samples; found {}",
            written.trajectory.len()
        ));
    }
    if written.factors.len() > MAX_FACTORS {
        return Err(format!(
            "factors: at most {MAX_FACTORS}; found {}",
            written.factors.len()
        ));
    }
    let mut samples = Vec::with_capacity(written.trajectory.len() + 1);
    let mut last = None;
    for (k, sample) in written.trajectory.iter().enumerate() {
        let at = format!("trajectory[{k}]");
        if last.is_some_and(|l| sample.step <= l) || sample.step > written.steps {
            return Err(format!(
                "{at}.step: a step after the sample before it and at most `steps` ({}); found {}",
                written.steps, sample.step
            ));
        }
        last = Some(sample.step);
        let matrix = matrix(&sample.matrix, Some((rows, cols)), &format!("{at}.matrix"))?;
        // The end is given by `matrix` itself.
        if sample.step < written.steps {
            samples.push((sample.step, matrix));
        }
    }
    samples.push((
        written.steps,
        matrix(&written.matrix, Some((rows, cols)), "matrix")?,
    ));
    let factors = written
        .factors
        .iter()
        .enumerate()
        .map(|(k, f)| matrix(f, None, &format!("factors[{k}]")))
        .collect::<Result<_, _>>()?;
    Ok(Reported {
        samples,
        factors,
        target_loss,
    })
}

/// A list of rows as a matrix, of `shape` if given; `null` read as NaN.
fn matrix(
    written: &[Vec<Option<f64>>],
    shape: Option<(usize, usize)>,
    field: &str,
) -> Result<DMatrix<f64>, String> {
    let rows = written.len();
    let cols = written.first().map_or(0, Vec::len);
    let (want_rows, want_cols) = shape.unwrap_or((rows, cols));
    if rows != want_rows || rows == 0 {
        return Err(format!(
            "{field}: {} rows; found {rows}",
            if shape.is_some() {
                want_rows.to_string()
            } else {
                "at least one row".into()
            }
        ));
    }
    for (i, row) in written.iter().enumerate() {
        if row.len() != want_cols || row.is_empty() {
            return Err(format!(
                "{field}[{i}]: {} numbers (as many as every row); found {}",
                want_cols.max(1),
                row.len()
            ));
        }
    }
    Ok(DMatrix::from_fn(rows, want_cols, |i, j| {
        written[i][j].unwrap_or(f64::NAN)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_read_with_its_samples_and_its_end_last() {
        let text = br#"{"matrix": [[1, 2], [3, null]], "steps": 10,
            "trajectory": [{"step": 0, "matrix": [[0, 0], [0, 0]]}, {"step": 10, "matrix": [[9, 9], [9, 9]]}]}"#;
        let read = read(text, 2, 2, Some(1e-3)).unwrap();
        let steps: Vec<usize> = read.samples.iter().map(|(s, _)| *s).collect();
        assert_eq!(steps, [0, 10]);
        assert_eq!(read.samples[1].1[(1, 0)], 3.0);
        assert!(read.samples[1].1[(1, 1)].is_nan());
    }

    #[test]
    fn mistakes_are_named_by_field_or_located() {
        let wrong = |text: &str| read(text.as_bytes(), 2, 2, None).unwrap_err();
        assert!(
            wrong(r#"{"matrix": [[1, 2]], "steps": 1}"#).starts_with("matrix: 2 rows; found 1")
        );
        assert!(
            wrong(r#"{"matrix": [[1, 2], [3]], "steps": 1}"#).starts_with("matrix[1]: 2 numbers")
        );
        assert!(
            wrong("{\"matrix\": [[1, 2], [3, 4]],\n \"step\": 1}").starts_with("line 2, column")
        );
        assert!(
            wrong(r#"{"matrix": [[1, 2], [3, 4]], "steps": 5, "trajectory": [{"step": 3, "matrix": [[1, 2], [3, 4]]}, {"step": 3, "matrix": [[1, 2], [3, 4]]}]}"#)
                .starts_with("trajectory[1].step")
        );
        assert!(wrong(r#"{"matrix": [[1, 2], [3, 4]], "steps": -1}"#).starts_with("line 1"));
    }
}
