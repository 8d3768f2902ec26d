//! Reports as insta snapshots: no timings or traces, one line per seed, every number rounded
//! to 4 significant digits so that another CPU's last bits (AVX2/FMA against portable kernels)
//! do not fail them.

use crate::claim::report::claim::ClaimReport;
use crate::digits::round_significant;

impl ClaimReport {
    /// The report for an insta snapshot: no traces or timings, every number rounded to 4
    /// significant digits so that a different CPU's last bits do not fail it.
    pub fn snapshot(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("reports serialise");
        if let Some(object) = value.as_object_mut() {
            object.remove("seconds");
            object.remove("file");
            // Each seed's values are in its runs below and the worst seed's in `worst`: one line
            // per seed keeps a sequential claim's snapshot reviewable.
            if let Some(assertions) = object.get_mut("assertions").and_then(|a| a.as_array_mut()) {
                for assertion in assertions.iter_mut().filter_map(|a| a.as_object_mut()) {
                    if let Some(per_seed) = assertion.get_mut("per_seed") {
                        let lines = seed_lines(per_seed);
                        *per_seed = serde_json::json!(lines);
                    }
                }
            }
            if let Some(runs) = object.get_mut("runs").and_then(|r| r.as_array_mut()) {
                runs.iter_mut()
                    .filter_map(|r| r.as_object_mut())
                    .for_each(|r| {
                        r.remove("trace");
                        // A figure's data carries the curve.
                        r.remove("curve");
                        // Snapshots were taken before runs named their stopping reason;
                        // `status` summarises it.
                        r.remove("stop");
                        if let Some(c) = r.get_mut("certificate").and_then(|c| c.as_object_mut()) {
                            c.remove("multipliers");
                            // Far below every solver's tolerance (≥ 1e-10) a gap or a violation
                            // is rounding, which another CPU's kernels do differently.
                            for field in ["gap", "feasibility"] {
                                if let Some(x) = c.get_mut(field)
                                    && x.as_f64().is_some_and(|v| v.abs() < ROUNDING)
                                {
                                    *x = serde_json::json!(0.0);
                                }
                            }
                        }
                    });
            }
        }
        round_numbers(&mut value, 4);
        value
    }
}

/// Certificate gaps and violations below this are shown as 0 in snapshots.
const ROUNDING: f64 = 1e-12;

/// `seed 3: passed, margin 0.8646`, one line per seed of an assertion's `per_seed`.
fn seed_lines(per_seed: &serde_json::Value) -> Vec<String> {
    let seeds = per_seed.as_array().map(Vec::as_slice).unwrap_or_default();
    seeds
        .iter()
        .map(|s| {
            let passed = s["passed"].as_bool().unwrap_or(false);
            let margin = s["margin"]
                .as_f64()
                .map_or(f64::NAN, |m| round_significant(m, 4));
            format!(
                "seed {}: {}, margin {margin}",
                s["seed"],
                if passed { "passed" } else { "failed" }
            )
        })
        .collect()
}

/// Rounds every float in `value` to `digits` significant digits; integers stay exact.
pub fn round_numbers(value: &mut serde_json::Value, digits: i32) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            *value = serde_json::json!(round_significant(x, digits));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| round_numbers(v, digits)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| round_numbers(v, digits)),
        _ => {}
    }
}
