//! The command line's values: seeds, byte and operation limits, thread counts, seconds; each
//! parser says what it expected.

use implreg::claim::{ClaimSpec, Seeds};

/// `--seeds`: a new first seed for each claim's own count, or a block of seeds for all.
#[derive(Clone, Copy)]
pub enum SeedsArg {
    From(u64),
    Block(Seeds),
}

impl SeedsArg {
    /// The seeds `claim` runs on.
    pub fn for_claim(self, claim: &ClaimSpec) -> Seeds {
        match self {
            SeedsArg::From(from) => Seeds {
                from,
                count: claim.seeds.count,
            },
            SeedsArg::Block(seeds) => seeds,
        }
    }
}

impl std::fmt::Display for SeedsArg {
    /// As `parse_seeds` reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            SeedsArg::From(from) => write!(f, "{from}"),
            SeedsArg::Block(seeds) => write!(f, "{}:{}", seeds.from, seeds.count),
        }
    }
}

pub fn parse_seeds(text: &str) -> Result<SeedsArg, String> {
    let (from, count) = match text.split_once(':') {
        Some((from, count)) => (from, Some(count)),
        None => (text, None),
    };
    let from = from
        .trim()
        .parse()
        .map_err(|_| format!("FROM must be a whole number, found `{from}`"))?;
    // `FROM` and `FROM:` both keep each claim's own count or budget.
    let Some(count) = count.filter(|c| !c.trim().is_empty()) else {
        return Ok(SeedsArg::From(from));
    };
    let count: u64 = count
        .trim()
        .parse()
        .map_err(|_| format!("COUNT must be a whole number, found `{count}`"))?;
    let seeds = Seeds { from, count };
    seeds.check()?;
    Ok(SeedsArg::Block(seeds))
}

/// `FROM:COUNT`, a block of seeds.
pub fn parse_block(text: &str) -> Result<Seeds, String> {
    match parse_seeds(text)? {
        SeedsArg::Block(seeds) => Ok(seeds),
        SeedsArg::From(_) => Err(format!("FROM:COUNT, e.g. 0:100, found `{text}`")),
    }
}

/// Bytes, plain or with a binary unit: `4294967296`, `4GiB`, `512MiB`, `8G`.
pub fn parse_bytes(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.trim().parse().map_err(|_| {
        format!("a number of bytes with an optional unit (KiB, MiB, GiB, TiB), found `{text}`")
    })?;
    let scale = match unit.trim().trim_end_matches("iB").trim_end_matches('B') {
        "" => 1.0,
        "K" | "k" => 1024.0,
        "M" => 1024f64.powi(2),
        "G" => 1024f64.powi(3),
        "T" => 1024f64.powi(4),
        other => return Err(format!("a unit KiB, MiB, GiB or TiB, found `{other}`")),
    };
    positive(number * scale)
}

/// A positive number of operations, e.g. `1e15`.
pub fn parse_work(text: &str) -> Result<f64, String> {
    positive_number(text, "a number of operations such as 1e15")
}

/// A number of worker threads from 1 to 1024.
pub fn parse_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "a number of threads from 1 to {MAX_THREADS}, found `{text}`"
        )),
    }
}

/// The most worker threads a command starts.
pub const MAX_THREADS: usize = 1024;

/// A number of shards from 1 to `shard::MAX_SHARDS`.
pub fn parse_shards(text: &str) -> Result<usize, String> {
    let most = implreg::shard::MAX_SHARDS;
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(format!(
            "a number of shards from 1 to {most}, found `{text}`"
        )),
    }
}

/// The most seconds a time budget may give: about 32 years, far inside what a clock's
/// instant can be moved by (`Instant + Duration` panics past its range).
pub const MAX_SECONDS: f64 = 1e9;

/// A positive number of seconds, at most `MAX_SECONDS`.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds = positive_number(text, "a number of seconds")?;
    if seconds > MAX_SECONDS {
        return Err(format!(
            "at most {MAX_SECONDS:e} seconds (about 32 years), found `{text}`"
        ));
    }
    Ok(seconds)
}

/// A positive number of days, at most 100 years.
pub fn parse_days(text: &str) -> Result<f64, String> {
    let days = positive_number(text, "a number of days")?;
    if days > 36_500.0 {
        return Err(format!("at most 36500 days, found `{text}`"));
    }
    Ok(days)
}

/// A fraction in (0, 1]: how many of a store's records `store verify` solves again.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let fraction = positive_number(text, "a fraction in (0, 1]")?;
    if fraction > 1.0 {
        return Err(format!("a fraction in (0, 1], found `{text}`"));
    }
    Ok(fraction)
}

/// `text` as a positive, finite number; `what` says what was expected.
fn positive_number(text: &str, what: &str) -> Result<f64, String> {
    let number: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{what}, found `{text}`"))?;
    positive(number)
}

fn positive(x: f64) -> Result<f64, String> {
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("a positive, finite limit, found {x}"))
    }
}

/// Which programs a claim's external runs may run: none unless told, so that a claim file from
/// elsewhere is safe to check.
#[derive(clap::Args)]
pub struct AllowArgs {
    /// Let claims run the programs their external runs name (any program: only for claims you
    /// trust).
    #[arg(long)]
    pub allow_external: bool,
    /// Let claims run this program (an external run's `command[0]` as written); repeatable.
    #[arg(long, value_name = "PROGRAM")]
    pub allow_command: Vec<String>,
}

impl AllowArgs {
    pub fn permission(self) -> implreg::external::Permission {
        implreg::external::Permission {
            all: self.allow_external,
            commands: self.allow_command,
        }
    }
}
