//! Which seeds a claim runs and how many of them an assertion must hold for: a fixed block
//! counted by `all`, `any`, `at_least`, `fraction` (facts about those instances), or a sequence
//! with a budget decided by `rate` and `always` (claims about random instances, `decide`).

use crate::printable::printable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The default probability of refuting a claim whose every rate is at least p + δ.
pub const ALPHA: f64 = 0.01;
/// The default probability that an assertion whose rate is at most p − δ holds.
pub const BETA: f64 = 0.05;
/// The default indifference margin around a claimed rate.
pub const DELTA: f64 = 0.05;
/// `always` is the rate claim p = 0.95, δ = 0.05: it holds on every seed (a single failure
/// refutes it), and a failure rate of 10 % or more passes with probability at most β.
pub const ALWAYS: Rate = Rate {
    rate: 0.95,
    delta: 0.05,
};

/// A claimed rate: the assertion holds on a random seed with probability at least `rate`,
/// decided with indifference margin `delta`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// The claimed probability p.
    pub rate: f64,
    /// The indifference margin δ: rates in (p − δ, p + δ) may be decided either way.
    pub delta: f64,
}

impl Rate {
    /// 0 < p − δ < p + δ ≤ 1; the error says what was expected.
    pub fn check(&self) -> Result<(), String> {
        let (p, d) = (self.rate, self.delta);
        if !(p.is_finite() && d.is_finite() && d > 0.0 && p - d > 0.0 && p + d <= 1.0) {
            return Err(format!(
                "a rate p and margin δ with 0 < p − δ < p + δ ≤ 1; found rate {p} and delta {d}"
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if *self == ALWAYS {
            f.write_str("always")
        } else {
            write!(f, "rate ≥ {} (δ = {})", self.rate, self.delta)
        }
    }
}

/// The error rates a claim is decided with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRates {
    /// P(the claim is refuted) when every rate assertion's rate is at least p + δ; split
    /// equally across its rate assertions.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// P(an assertion holds) when its rate is at most p − δ; each assertion's own.
    #[serde(default = "default_beta")]
    pub beta: f64,
}

fn default_alpha() -> f64 {
    ALPHA
}

fn default_beta() -> f64 {
    BETA
}

impl Default for ErrorRates {
    fn default() -> Self {
        Self {
            alpha: ALPHA,
            beta: BETA,
        }
    }
}

impl ErrorRates {
    /// Both in (0, 0.5]; the error says what was expected.
    pub fn check(&self) -> Result<(), String> {
        for (name, x) in [("alpha", self.alpha), ("beta", self.beta)] {
            if !(x > 0.0 && x <= 0.5) {
                return Err(format!("`{name}` in (0, 0.5]; found {x}"));
            }
        }
        Ok(())
    }
}

/// The seeds `from`, `from + 1`, …, `from + count − 1`, one independent repetition each; for a
/// sequential claim, the most it may draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeds {
    /// The first seed.
    pub from: u64,
    /// How many seeds.
    pub count: u64,
}

/// `seeds:` as written: a fixed block (`count`) or a sequence with a budget (`budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeeds {
    /// The first seed.
    pub from: u64,
    /// A fixed block of this many seeds.
    pub count: Option<u64>,
    /// A sequence of at most this many seeds, drawn until the rates are decided.
    pub budget: Option<u64>,
}

/// How a claim's seeds are chosen and its assertions decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Every seed of a fixed block runs; `all`, `any`, `at_least` and `fraction` count them:
    /// facts about those instances.
    Fixed,
    /// Seeds are drawn in order until every `rate` and `always` is decided with these error
    /// rates, or the budget (the block's count) is spent: claims about random instances.
    Sequential(ErrorRates),
}

impl Seeds {
    /// The most seeds one claim runs: each seed holds every run's record in memory until the
    /// claim is decided.
    pub const MAX: u64 = 100_000;

    /// Every seed, in order.
    pub fn list(&self) -> Vec<u64> {
        (self.from..self.from + self.count).collect()
    }

    /// Between 1 and `MAX` seeds, the last of them below 2⁶⁴; the error says what was expected.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=Self::MAX).contains(&self.count) {
            return Err(format!(
                "between 1 and {} seeds; found {}",
                Self::MAX,
                self.count
            ));
        }
        if self.from.checked_add(self.count).is_none() {
            return Err(format!(
                "seeds that fit in 64 bits: from {} with {} seeds passes 2⁶⁴ − 1",
                self.from, self.count
            ));
        }
        Ok(())
    }
}

/// How many seeds an assertion must hold for: a count over a fixed block of seeds (`all`, `any`,
/// `at_least`, `fraction`: facts about those instances), or a rate over random instances
/// (`rate`, `always`: decided sequentially, `decide`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantifier {
    /// Every seed.
    All,
    /// At least one seed.
    Any,
    /// At least this many seeds.
    AtLeast(u64),
    /// At least this fraction of the seeds, in (0, 1].
    Fraction(f64),
    /// Holds on a random seed with at least this probability (`always` is `ALWAYS`).
    Rate(Rate),
}

impl Quantifier {
    /// The number of passing seeds out of `seeds` that a fixed quantifier needs (`None` for a
    /// rate, which is decided sequentially).
    pub fn needed(&self, seeds: u64) -> Option<u64> {
        Some(match *self {
            Quantifier::All => seeds,
            Quantifier::Any => 1,
            Quantifier::AtLeast(k) => k,
            Quantifier::Fraction(f) => (f * seeds as f64 - 1e-9).ceil().max(1.0) as u64,
            Quantifier::Rate(_) => return None,
        })
    }

    /// The claimed rate, for a quantifier over random instances.
    pub fn rate(&self) -> Option<Rate> {
        match *self {
            Quantifier::Rate(rate) => Some(rate),
            _ => None,
        }
    }
}

impl fmt::Display for Quantifier {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Quantifier::All => f.write_str("all"),
            Quantifier::Any => f.write_str("any"),
            Quantifier::AtLeast(k) => write!(f, "at least {k}"),
            Quantifier::Fraction(x) => write!(f, "at least {}%", x * 100.0),
            Quantifier::Rate(rate) => rate.fmt(f),
        }
    }
}

/// The quantifier's written forms.
const QUANTIFIER_FORMS: &str = "`all`, `any`, `always`, `{ at_least: K }`, `{ fraction: F }` or `{ rate: P }` with an optional `delta: D`";

impl<'de> Deserialize<'de> for Quantifier {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Quantifier;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(QUANTIFIER_FORMS)
            }

            fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<Quantifier, E> {
                match word {
                    "all" => Ok(Quantifier::All),
                    "any" => Ok(Quantifier::Any),
                    "always" => Ok(Quantifier::Rate(ALWAYS)),
                    other => Err(E::custom(format!(
                        "{QUANTIFIER_FORMS}; found `{}`",
                        printable(other)
                    ))),
                }
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Quantifier, A::Error> {
                use serde::de::Error;
                let mut fields: BTreeMap<String, f64> = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !["at_least", "fraction", "rate", "delta"].contains(&key.as_str()) {
                        return Err(A::Error::custom(format!(
                            "{QUANTIFIER_FORMS}; found unknown field `{}`",
                            printable(&key)
                        )));
                    }
                    if fields.insert(key.clone(), map.next_value()?).is_some() {
                        return Err(A::Error::custom(format!(
                            "each field once; `{key}` is given twice"
                        )));
                    }
                }
                let get = |k: &str| fields.get(k).copied();
                match (get("at_least"), get("fraction"), get("rate"), get("delta")) {
                    (Some(k), None, None, None)
                        if k >= 0.0 && k.fract() == 0.0 && k < 2f64.powi(53) =>
                    {
                        Ok(Quantifier::AtLeast(k as u64))
                    }
                    (Some(k), None, None, None) => Err(A::Error::custom(format!(
                        "`at_least: K` with a whole number K; found {k}"
                    ))),
                    (None, Some(f), None, None) => Ok(Quantifier::Fraction(f)),
                    (None, None, Some(rate), delta) => Ok(Quantifier::Rate(Rate {
                        rate,
                        delta: delta.unwrap_or(DELTA),
                    })),
                    _ => Err(A::Error::custom(format!(
                        "one of {QUANTIFIER_FORMS} (`delta` only with `rate`)"
                    ))),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A fixed quantifier needs a fixed block; a rate needs a sequence. Checks the numbers too.
pub fn check_quantifier(
    quantifier: Quantifier,
    seeds: Seeds,
    sampling: Sampling,
) -> Result<(), String> {
    match (quantifier, sampling) {
        (Quantifier::Rate(rate), Sampling::Sequential(_)) => rate.check(),
        (Quantifier::Rate(_), Sampling::Fixed) => Err(
            "`all`, `any`, `at_least` or `fraction` in a claim with a fixed `seeds.count`; `rate` and `always` are decided over a sequence of seeds: give `seeds.budget` instead".into(),
        ),
        (_, Sampling::Sequential(_)) => Err(
            "`rate` or `always` in a claim with `seeds.budget` (its seeds are drawn until the rates are decided, so there is no fixed count); `all`, `any`, `at_least` and `fraction` need a fixed `seeds.count`".into(),
        ),
        (Quantifier::AtLeast(k), Sampling::Fixed) if k == 0 || k > seeds.count => Err(format!(
            "`at_least: K` with 1 ≤ K ≤ seeds.count = {}",
            seeds.count
        )),
        (Quantifier::Fraction(f), Sampling::Fixed) if !(f > 0.0 && f <= 1.0) => {
            Err("`fraction: F` with 0 < F ≤ 1".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::Quantifier;

    /// `fraction` needs the count rounded up, `at_least` exactly K, `all` every seed.
    #[test]
    fn quantifiers_count_exactly() {
        assert_eq!(Quantifier::Fraction(0.6).needed(20), Some(12));
        assert_eq!(Quantifier::Fraction(0.6).needed(5), Some(3));
        assert_eq!(Quantifier::Fraction(0.61).needed(5), Some(4));
        assert_eq!(Quantifier::Fraction(0.01).needed(5), Some(1));
        assert_eq!(Quantifier::Fraction(1.0).needed(7), Some(7));
        assert_eq!(Quantifier::AtLeast(4).needed(5), Some(4));
        assert_eq!(
            (Quantifier::All.needed(9), Quantifier::Any.needed(9)),
            (Some(9), Some(1))
        );
    }
}
