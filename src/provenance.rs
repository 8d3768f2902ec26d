//! Where and how a result was made, for reports: implreg's version and commit, the CPU, the
//! arithmetic kernels, the threads, when.

use serde::{Deserialize, Serialize};

/// The build a result belongs to: what the result store keys a run by (AVX2/FMA and portable
/// kernels may differ in the last bits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Build {
    /// implreg's version.
    pub implreg: String,
    /// The digest of the sources it was built from (`build.rs`).
    pub source: String,
    /// `avx2+fma` or `portable` (`kernels::path`).
    pub kernels: String,
}

impl Build {
    /// This build.
    pub fn here() -> Self {
        Self {
            implreg: env!("CARGO_PKG_VERSION").to_string(),
            source: env!("IMPLREG_SOURCE").to_string(),
            kernels: crate::kernels::path().to_string(),
        }
    }
}

/// The facts a report records about the run that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// implreg's version.
    pub version: String,
    /// The git commit built from (`-dirty` with uncommitted changes), or `unknown`.
    pub commit: String,
    /// A digest of the sources built (`src/`, `Cargo.lock`): builds that share it compute alike.
    pub source: String,
    /// The CPU's model name where the system says it, else the architecture.
    pub cpu: String,
    /// `avx2+fma` or `portable` (`kernels::path`).
    pub kernels: String,
    /// Worker threads.
    pub threads: usize,
    /// When it ran, in UTC (`2026-11-29 15:04 UTC`).
    pub started: String,
}

impl Provenance {
    /// This process's provenance, started now.
    pub fn here() -> Self {
        let build = Build::here();
        Self {
            version: build.implreg,
            commit: env!("IMPLREG_COMMIT").to_string(),
            source: build.source,
            cpu: cpu(),
            kernels: build.kernels,
            threads: rayon::current_num_threads(),
            started: utc_now(),
        }
    }

    /// In a line, with the wall time: how a text report ends.
    pub fn line(&self, seconds: f64) -> String {
        format!(
            "implreg {} (commit {}, source {}) · {} kernels · {} threads · {} · started {} · {seconds:.1} s",
            self.version,
            self.commit,
            self.source,
            self.kernels,
            self.threads,
            self.cpu,
            self.started
        )
    }

    /// The facts as (name, value) pairs, for JUnit properties and report tables.
    pub fn pairs(&self) -> [(&'static str, String); 7] {
        [
            ("implreg", self.version.clone()),
            ("commit", self.commit.clone()),
            ("source", self.source.clone()),
            ("kernels", self.kernels.clone()),
            ("cpu", self.cpu.clone()),
            ("threads", self.threads.to_string()),
            ("started", self.started.clone()),
        ]
    }

    /// The same facts, stamped now.
    pub fn now(&self) -> Self {
        Self {
            started: utc_now(),
            ..self.clone()
        }
    }
}

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// The time now as `YYYY-MM-DD HH:MM UTC` (days to a civil date: Howard Hinnant's algorithm).
fn utc_now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil(seconds)
}

fn civil(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil() {
        assert_eq!(super::civil(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::civil(1_796_000_000), "2026-11-30 00:53 UTC");
        assert_eq!(super::civil(951_782_400), "2000-02-29 00:00 UTC");
    }
}
