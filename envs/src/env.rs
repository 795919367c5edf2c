//! A single environment, the unit that [`crate::VecEnv`] implementations step B of.

use crate::obs::Obs;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What one step of one environment produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    pub reward: f32,
    /// A terminal state was reached: the return after it is 0.
    pub terminated: bool,
    /// A time limit cut the episode: the return after it is unknown.
    pub truncated: bool,
}

/// One environment. It owns its random-number source (seeded at construction), so that the
/// same seed gives the same episodes; B of them are stepped together by a vectoriser that
/// handles automatic reset and the [`crate::StepBuffers`] layout.
///
/// Its serde form is its saved state ([`crate::VecEnv::save_state`]): it must hold everything
/// that decides the environment's future steps, its generator's state included (serde derived
/// on the struct does).
///
/// It writes its observations in the caller's element type ([`crate::obs`]): `f32` always,
/// `u8` too where they are bytes ([`Env::BYTE_SCALE`]).
pub trait Env: Send + Serialize + DeserializeOwned {
    /// For observations that are bytes, the scale s of their f32 values (s · byte); `None`
    /// for real-valued ones, which are only written as f32.
    const BYTE_SCALE: Option<f32> = None;

    /// Starts an episode and writes its first observation into `obs` (one row, `obs_len`).
    fn reset<O: Obs>(&mut self, obs: &mut [O]);

    /// Takes `action` (already checked to be in range) and writes the next observation into
    /// `obs`; at the end of an episode that is the final observation (no reset here).
    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition;

    /// The index of the current state, for environments that number their states.
    fn state_index(&self) -> Option<usize> {
        None
    }
}
