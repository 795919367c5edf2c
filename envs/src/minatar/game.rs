//! What every MinAtar game provides: the rules of one game on a 10 × 10 board, without
//! sticky actions or the choice of action set (those are [`super::MinAtar`]'s).

use super::RandomSource;
use crate::Obs;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// MinAtar's full action set, in the reference's order (`action_map = ['n','l','u','r','d','f']`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    Noop,
    Left,
    Up,
    Right,
    Down,
    Fire,
}

/// The rules of one game, after the reference's `minatar/environments/<game>.py`. Its serde
/// form is its saved state: everything that decides its next frames.
pub trait Game: Send + Serialize + DeserializeOwned {
    /// The registered name, e.g. `minatar/breakout`.
    const NAME: &'static str;

    /// The channels of an observation, in the reference's order (its `channels` dict).
    const CHANNELS: &'static [&'static str];

    /// The actions an agent chooses among (the reference's `minimal_action_set`), in order.
    const ACTIONS: &'static [Action];

    /// A game before its first episode; `ramping` turns difficulty ramping on where the game
    /// has it (Freeway and Breakout have none).
    fn new(ramping: bool) -> Self;

    /// Starts an episode.
    fn reset(&mut self, random: &mut impl RandomSource);

    /// Plays one frame with `action`; returns the reward and whether the game is over. A
    /// game that is over stays over and gives 0 (as the reference's `act`).
    fn act(&mut self, action: Action, random: &mut impl RandomSource) -> (f32, bool);

    /// Writes the observation into `obs` (`[channels, 10, 10]`, already all 0): 1 at every
    /// cell a channel marks.
    fn write_obs<O: Obs>(&self, obs: &mut [O]);

    /// How far difficulty has ramped (the reference's `difficulty_ramp`); `None` for games
    /// without ramping.
    fn difficulty_ramp(&self) -> Option<u32>;
}
