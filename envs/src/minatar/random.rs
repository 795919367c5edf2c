//! Where a MinAtar game's randomness comes from.
//!
//! The reference games (`minatar` on PyPI, Young & Tian 2019) draw from one numpy
//! `RandomState` shared by the game and its sticky-action wrapper, through two calls:
//! `rand()` (a float uniform in [0, 1)) and `randint(low, high)` (an integer uniform in
//! [low, high)); vector draws (`rand(8)`, `randint(1, 6, 8)` in Freeway) are the same calls
//! repeated. Our games ask a [`RandomSource`] for exactly those draws in the reference's
//! order, so a source that hands back recorded values ([`ReplaySource`]) replays a
//! reference episode step for step, and [`SeededSource`] plays new ones.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The draws a MinAtar game makes, named after numpy's `RandomState` methods. A source's serde
/// form is its state (saved with the game's).
pub trait RandomSource: Send + Serialize + DeserializeOwned {
    /// A float uniform in [0, 1) (`RandomState.rand()`).
    fn rand(&mut self) -> f64;

    /// An integer uniform in [`low`, `high`) (`RandomState.randint(low, high)`); `low < high`.
    fn randint(&mut self, low: i64, high: i64) -> i64;
}

/// Fresh draws from a seeded ChaCha8 generator: the same seed gives the same draws. Its serde
/// form is the generator's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeededSource {
    rng: ChaCha8Rng,
}

impl SeededSource {
    pub fn new(seed: u64) -> Self {
        SeededSource { rng: ChaCha8Rng::seed_from_u64(seed) }
    }
}

impl RandomSource for SeededSource {
    fn rand(&mut self) -> f64 {
        self.rng.gen::<f64>()
    }

    fn randint(&mut self, low: i64, high: i64) -> i64 {
        self.rng.gen_range(low..high)
    }
}

/// One recorded draw: which call was made and what it returned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Draw {
    /// `rand()` returned this value.
    Rand(f64),
    /// `randint(low, high)` returned `value`.
    RandInt { low: i64, high: i64, value: i64 },
}

/// Hands back recorded draws in order. A call of another kind than the next recorded one
/// (or with other bounds), or a call when none is left, is a mismatch: the first one is
/// kept as a message ([`ReplaySource::mismatch`]) and the call answers 0 (or `low`), so a
/// test can report where a game's draws diverged from the reference's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReplaySource {
    draws: VecDeque<Draw>,
    taken: usize,
    mismatch: Option<String>,
}

impl ReplaySource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues recorded draws after those not yet taken.
    pub fn extend(&mut self, draws: impl IntoIterator<Item = Draw>) {
        self.draws.extend(draws);
    }

    /// Draws queued and not yet taken.
    pub fn remaining(&self) -> usize {
        self.draws.len()
    }

    /// The first call that did not match the recording, if any.
    pub fn mismatch(&self) -> Option<&str> {
        self.mismatch.as_deref()
    }

    fn next(&mut self, call: &str) -> Option<Draw> {
        let draw = self.draws.pop_front();
        if draw.is_none() {
            self.fail(format!("draw {} ({call}) was not recorded: the recording has no draw left", self.taken));
        }
        self.taken += 1;
        draw
    }

    fn fail(&mut self, message: String) {
        self.mismatch.get_or_insert(message);
    }
}

impl RandomSource for ReplaySource {
    fn rand(&mut self) -> f64 {
        match self.next("rand()") {
            Some(Draw::Rand(value)) => value,
            Some(other) => {
                self.fail(format!("draw {} is rand() but the recording has {other:?}", self.taken - 1));
                0.0
            }
            None => 0.0,
        }
    }

    fn randint(&mut self, low: i64, high: i64) -> i64 {
        match self.next("randint") {
            Some(Draw::RandInt { low: l, high: h, value }) if (l, h) == (low, high) => value,
            Some(other) => {
                self.fail(format!("draw {} is randint({low}, {high}) but the recording has {other:?}", self.taken - 1));
                low
            }
            None => low,
        }
    }
}
