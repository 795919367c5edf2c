//! One MinAtar game as an [`Env`]: the reference's `minatar.Environment` wrapper, which adds
//! sticky actions and maps the agent's action set onto the game's.

use super::{Action, Game, RandomSource, SeededSource, CELLS};
use crate::Obs;
use crate::{Env, Transition};

/// A game `G` drawing from `R`, with sticky actions.
///
/// Each step, before the game moves, one draw u = `rand()` decides stickiness: if
/// u < `sticky_action_prob` the previous action is repeated instead of the chosen one
/// (Machado et al. 2018, "Revisiting the Arcade Learning Environment", JAIR; MinAtar's
/// `Environment.act`). As in the reference, the previous action starts as no-op and is not
/// forgotten at a reset: the first frame of an episode may repeat the last of the one before.
///
/// Its serde form (the game, the source's generator, the sticky action) is its saved state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MinAtar<G, R = SeededSource> {
    game: G,
    random: R,
    sticky_action_prob: f64,
    last_action: Action,
}

impl<G: Game, R: RandomSource> MinAtar<G, R> {
    /// `sticky_action_prob` in [0, 1] (checked by the options that build it).
    pub fn new(random: R, sticky_action_prob: f64, difficulty_ramping: bool) -> Self {
        MinAtar { game: G::new(difficulty_ramping), random, sticky_action_prob, last_action: Action::Noop }
    }

    /// Elements of one observation: channels × 10 × 10.
    pub fn obs_len() -> usize {
        G::CHANNELS.len() * CELLS
    }

    pub fn game(&self) -> &G {
        &self.game
    }

    /// The source of draws, e.g. to queue recorded ones in a [`super::ReplaySource`].
    pub fn random_mut(&mut self) -> &mut R {
        &mut self.random
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        obs.fill(O::default());
        self.game.write_obs(obs);
    }
}

impl<G: Game, R: RandomSource> Env for MinAtar<G, R> {
    /// Each cell of each channel is 0 or 1.
    const BYTE_SCALE: Option<f32> = Some(1.0);

    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        self.game.reset(&mut self.random);
        self.write_obs(obs);
    }

    /// `action` indexes [`Game::ACTIONS`] (checked by the vectoriser).
    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition {
        let mut action = G::ACTIONS[action];
        if self.random.rand() < self.sticky_action_prob {
            action = self.last_action;
        }
        self.last_action = action;
        let (reward, terminated) = self.game.act(action, &mut self.random);
        self.write_obs(obs);
        Transition { reward, terminated, truncated: false }
    }
}
