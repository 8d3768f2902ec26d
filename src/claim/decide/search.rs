//! The search for a counterexample over a claim's domain, whatever decides a point: kept
//! counterexamples are replayed first, then the drawn points in turn until one is refuted; that
//! one is shrunk toward the simplest point still refuted (one parameter at a time, bisecting
//! toward its simplest value, then all together), and the shrunk point is confirmed on a
//! disjoint sequence of seeds before it is reported. When the claim holds with margin at every
//! point, each decision refutes with probability at most α and each confirmation with at most
//! α_c, independently (disjoint seeds), and at most two confirmations follow a refutation, so a
//! search of N points reports a false counterexample with probability at most 2·N·α·α_c
//! (`false_counterexample_bound`; each kept counterexample replayed, confirmed at most once,
//! adds α·α_c).

use crate::claim::read::domain::Domain;
use crate::claim::read::parameters::{Setting, describe};
use crate::claim::read::spec::Verdict;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a point was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// A counterexample kept from an earlier check, replayed first.
    Kept,
    /// A point drawn from the search seed.
    Search,
    /// A simpler candidate while shrinking.
    Shrink,
    /// A refuted point decided again on a disjoint sequence of seeds.
    Confirm,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Kept => "kept counterexample",
            Stage::Search => "search point",
            Stage::Shrink => "shrink candidate",
            Stage::Confirm => "confirming",
        })
    }
}

/// One decision of the search.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial<T> {
    /// Why it was decided.
    pub stage: Stage,
    /// Where.
    pub settings: Vec<Setting>,
    /// What the point's claim gave.
    pub verdict: Verdict,
    /// A shrink candidate that was refuted and taken as the new counterexample.
    pub accepted: bool,
    /// What the decider says besides (the point's report).
    pub detail: T,
}

/// What became of a kept counterexample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Replay {
    /// Refuted again and confirmed: the counterexample stands.
    Refutes,
    /// Refuted, but not on the disjoint seeds.
    Unconfirmed,
    /// Decided `holds` (or left open) there now: fixed, or the claim changed.
    NoLongerRefutes,
    /// Outside the domain or its constraints as they are now: not run.
    OutsideDomain,
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// A counterexample was confirmed.
    Refuted,
    /// Every drawn point was decided.
    Points,
    /// Stopped from outside (the wall-time budget, the claim's deadline or Ctrl-C).
    Stopped,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    /// Every decision in order.
    pub trials: Vec<Trial<T>>,
    /// The kept counterexamples and what became of each.
    pub kept: Vec<(Vec<Setting>, Replay)>,
    /// The trial (its index) of the counterexample as decided, and of its confirmation.
    pub counterexample: Option<(usize, usize)>,
    /// Drawn points decided.
    pub points: usize,
    /// How it ended.
    pub ending: Ending,
}

impl<T> Outcome<T> {
    /// The kept counterexamples decided again (those outside the domain are not).
    pub fn replayed(&self) -> usize {
        self.kept
            .iter()
            .filter(|(_, r)| *r != Replay::OutsideDomain)
            .count()
    }

    /// `refuted` with a confirmed counterexample; `holds` when every point decided held (a
    /// refuted one held on its disjoint seeds) and every drawn point was decided; else
    /// `inconclusive`.
    pub fn verdict(&self) -> Verdict {
        if self.counterexample.is_some() {
            return Verdict::Refuted;
        }
        let mut last: BTreeMap<String, Verdict> = BTreeMap::new();
        for trial in self.trials.iter().filter(|t| t.stage != Stage::Shrink) {
            last.insert(describe(&trial.settings), trial.verdict);
        }
        if self.ending == Ending::Points && last.values().all(|v| *v == Verdict::Holds) {
            Verdict::Holds
        } else {
            Verdict::Inconclusive
        }
    }
}

/// P(a confirmed counterexample) when the claim holds with margin at every point, for a search
/// of `points` drawn points after `kept` replays, at level `alpha` and confirmation level
/// `confirm`: at most (2·N + K)·α·α_c, capped at 1.
pub fn false_counterexample_bound(points: usize, kept: usize, alpha: f64, confirm: f64) -> f64 {
    ((2 * points + kept) as f64 * alpha * confirm).min(1.0)
}

/// Decides a point at a stage: the claim's verdict there, and what the caller keeps of it.
pub type Decide<'a, T> = dyn FnMut(&[Setting], Stage) -> (Verdict, T) + 'a;

/// Searches `points` (after replaying `kept`) for a counterexample, shrinking the first refuted
/// one with at most `shrink` decisions and confirming it; `stopped` is asked before every
/// decision.
pub fn search<T>(
    domain: &Domain,
    kept: &[Vec<Setting>],
    points: &[Vec<Setting>],
    shrink: usize,
    decide: &mut Decide<T>,
    stopped: &dyn Fn() -> bool,
) -> Outcome<T> {
    let mut search = Search {
        trials: Vec::new(),
        decide,
        stopped,
    };
    let mut outcome = Outcome {
        trials: Vec::new(),
        kept: Vec::new(),
        counterexample: None,
        points: 0,
        ending: Ending::Points,
    };
    for point in kept {
        let replay = if !domain.admits(point) {
            Replay::OutsideDomain
        } else if search.stopped_now() {
            break;
        } else if search.decide(point, Stage::Kept) != Verdict::Refuted {
            Replay::NoLongerRefutes
        } else if search.decide(point, Stage::Confirm) == Verdict::Refuted {
            let n = search.trials.len();
            outcome.counterexample = Some((n - 2, n - 1));
            Replay::Refutes
        } else {
            Replay::Unconfirmed
        };
        outcome.kept.push((point.clone(), replay));
        if replay == Replay::Refutes {
            outcome.ending = Ending::Refuted;
            outcome.trials = search.trials;
            return outcome;
        }
    }
    for point in points {
        if search.stopped_now() {
            outcome.ending = Ending::Stopped;
            break;
        }
        outcome.points += 1;
        if search.decide(point, Stage::Search) != Verdict::Refuted {
            continue;
        }
        let found = search.trials.len() - 1;
        let shrunk = search.shrink(domain, found, shrink);
        let mut candidates = vec![shrunk];
        if shrunk != found {
            candidates.push(found);
        }
        for at in candidates {
            if search.stopped_now() {
                break;
            }
            let settings = search.trials[at].settings.clone();
            if search.decide(&settings, Stage::Confirm) == Verdict::Refuted {
                outcome.counterexample = Some((at, search.trials.len() - 1));
                outcome.ending = Ending::Refuted;
                outcome.trials = search.trials;
                return outcome;
            }
        }
    }
    if search.stopped_now() && outcome.points < points.len() {
        outcome.ending = Ending::Stopped;
    }
    outcome.trials = search.trials;
    outcome
}

/// A search under way: its decisions so far, and how to make more.
struct Search<'d, 'a, T> {
    trials: Vec<Trial<T>>,
    decide: &'d mut Decide<'a, T>,
    stopped: &'d dyn Fn() -> bool,
}

impl<T> Search<'_, '_, T> {
    fn stopped_now(&self) -> bool {
        (self.stopped)()
    }

    fn decide(&mut self, settings: &[Setting], stage: Stage) -> Verdict {
        let (verdict, detail) = (self.decide)(settings, stage);
        self.trials.push(Trial {
            stage,
            settings: settings.to_vec(),
            verdict,
            accepted: false,
            detail,
        });
        verdict
    }

    /// Shrinks the refuted trial `from` with at most `budget` decisions; the trial of the
    /// simplest point still refuted (`from` itself when none simpler is).
    fn shrink(&mut self, domain: &Domain, from: usize, budget: usize) -> usize {
        let mut shrink = Shrink {
            domain,
            best: from,
            spent: 0,
            budget,
            seen: BTreeMap::from([(describe(&self.trials[from].settings), true)]),
        };
        loop {
            let before = shrink.best;
            for k in 0..domain.dimensions.len() {
                shrink.along(self, k);
            }
            for fraction in [1.0, 0.5] {
                if shrink.jointly(self, fraction) {
                    break;
                }
            }
            if shrink.best == before || shrink.spent >= budget {
                return shrink.best;
            }
        }
    }
}

/// The state of one shrink: the best (simplest refuted) trial, the decisions spent, and every
/// point seen with whether it refuted (never decided twice).
struct Shrink<'d> {
    domain: &'d Domain,
    best: usize,
    spent: usize,
    budget: usize,
    seen: BTreeMap<String, bool>,
}

/// Halvings of a real parameter's gap before its value is rounded.
const REAL_HALVINGS: usize = 6;

impl Shrink<'_> {
    fn best_settings<T>(&self, search: &Search<T>) -> Vec<Setting> {
        search.trials[self.best].settings.clone()
    }

    /// Whether `point` is refuted: never run when it breaks a constraint, when the budget is
    /// spent or the search is stopped (then false); taken as the best when it is.
    fn refutes<T>(&mut self, search: &mut Search<T>, point: Vec<Setting>) -> bool {
        let key = describe(&point);
        if let Some(refutes) = self.seen.get(&key) {
            return *refutes;
        }
        if !self.domain.admits(&point) || self.spent >= self.budget || search.stopped_now() {
            return false;
        }
        self.spent += 1;
        let refutes = search.decide(&point, Stage::Shrink) == Verdict::Refuted;
        self.seen.insert(key, refutes);
        if refutes {
            self.best = search.trials.len() - 1;
            search.trials[self.best].accepted = true;
        }
        refutes
    }

    /// Moves parameter `k` toward its simplest value: the simplest itself, else bisecting the
    /// gap between the last distance that held and the last that refuted; a real's gap is
    /// halved a few times, then its value rounded to fewer significant digits.
    fn along<T>(&mut self, search: &mut Search<T>, k: usize) {
        let dimension = &self.domain.dimensions[k];
        let from = self.best_settings(search);
        let at = |d: f64| {
            let mut point = from.clone();
            point[k].value = dimension.toward(&from[k].value, d);
            point
        };
        let mut refuted = dimension.distance(&from[k].value);
        if refuted == 0.0 || self.refutes(search, at(0.0)) {
            return;
        }
        let mut held = 0.0;
        let mut halvings = 0;
        while self.spent < self.budget && !search.stopped_now() {
            let middle = if dimension.is_discrete() {
                let middle = ((held + refuted) / 2.0).floor();
                // Whole steps apart, or (past 2^53) no float between: nothing left to bisect.
                if refuted - held <= 1.0 || middle <= held || middle >= refuted {
                    break;
                }
                middle
            } else {
                if halvings == REAL_HALVINGS {
                    break;
                }
                halvings += 1;
                (held + refuted) / 2.0
            };
            if self.refutes(search, at(middle)) {
                refuted = middle;
            } else {
                held = middle;
            }
        }
        for digits in 1..=3 {
            let now = self.best_settings(search);
            if let Some(value) = dimension.rounded(&now[k].value, digits) {
                let mut point = now.clone();
                point[k].value = value;
                if dimension.distance(&point[k].value) <= dimension.distance(&from[k].value)
                    && self.refutes(search, point)
                {
                    return;
                }
            }
        }
    }

    /// Moves every parameter `fraction` of its distance toward its simplest value at once (how
    /// constrained parameters move together); whether that point refuted.
    fn jointly<T>(&mut self, search: &mut Search<T>, fraction: f64) -> bool {
        let from = self.best_settings(search);
        let point: Vec<Setting> = self
            .domain
            .dimensions
            .iter()
            .zip(&from)
            .map(|(d, s)| Setting {
                name: s.name.clone(),
                value: d.toward(&s.value, d.distance(&s.value) * (1.0 - fraction)),
            })
            .collect();
        point != from && self.refutes(search, point)
    }
}
