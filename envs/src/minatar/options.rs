//! The `[env]` options shared by the MinAtar games, and building B copies of one.

use super::{Game, MinAtar, SeededSource, SIDE};
use crate::registry::{self, EnvOption};
use crate::{env_seed, EnvError, EnvSpec, VecEnv, Vectorized};

/// The `[env]` options of every `minatar/*` game, as [`MinAtarOptions`] reads them.
pub const OPTIONS: &[EnvOption] = &[
    EnvOption {
        name: "sticky_action_prob",
        doc: "probability that a step repeats the previous action instead of the chosen one (0 to 1)",
        default: "0.1",
    },
    EnvOption {
        name: "difficulty_ramping",
        doc: "games speed up as an episode goes on (Breakout and Freeway have no ramp)",
        default: "true",
    },
    EnvOption {
        name: "max_episode_steps",
        doc: "episodes longer than this are truncated (at least 1)",
        default: "none",
    },
];

/// The `[env]` options of every `minatar/*` game (the reference `Environment`'s arguments).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MinAtarOptions {
    /// Probability that a step repeats the previous action instead of the chosen one
    /// (default 0.1, in [0, 1]).
    pub sticky_action_prob: f64,
    /// Games speed up as an episode goes on (default true; Breakout and Freeway have no ramp).
    pub difficulty_ramping: bool,
    /// Episodes longer than this are truncated (default: none, as in the reference).
    pub max_episode_steps: Option<u64>,
}

impl Default for MinAtarOptions {
    fn default() -> Self {
        MinAtarOptions { sticky_action_prob: 0.1, difficulty_ramping: true, max_episode_steps: None }
    }
}

impl MinAtarOptions {
    fn validate(&self, env: &str) -> Result<(), EnvError> {
        let bad = |key: &str, message: String| Err(EnvError::Option { env: env.into(), key: key.into(), message });
        if !(0.0..=1.0).contains(&self.sticky_action_prob) {
            let message = format!("`sticky_action_prob` = {} must be between 0 and 1", self.sticky_action_prob);
            return bad("sticky_action_prob", message);
        }
        if self.max_episode_steps == Some(0) {
            return bad("max_episode_steps", "`max_episode_steps` must be at least 1".into());
        }
        Ok(())
    }
}

/// What game `G` looks like: `[channels, 10, 10]` observations and its minimal action set.
pub fn spec<G: Game>() -> EnvSpec {
    EnvSpec {
        name: G::NAME.into(),
        obs_shape: vec![G::CHANNELS.len(), SIDE, SIDE],
        num_actions: G::ACTIONS.len(),
        num_states: None,
    }
}

/// B copies of game `G` from the `[env]` options; copy i is seeded with [`env_seed`]`(seed, i)`.
pub fn vectorized<G: Game>(
    num_envs: usize,
    seed: u64,
    options: &toml::Table,
) -> Result<Vectorized<MinAtar<G>>, EnvError> {
    let opts = checked_options::<G>(options)?;
    let envs = (0..num_envs)
        .map(|i| MinAtar::new(SeededSource::new(env_seed(seed, i)), opts.sticky_action_prob, opts.difficulty_ramping))
        .collect();
    Vectorized::new(spec::<G>(), envs, opts.max_episode_steps)
}

fn checked_options<G: Game>(options: &toml::Table) -> Result<MinAtarOptions, EnvError> {
    let opts: MinAtarOptions = registry::options(G::NAME, options)?;
    opts.validate(G::NAME)?;
    Ok(opts)
}

/// [`spec`] once the `[env]` options are checked, for the registry.
pub fn spec_of<G: Game>(options: &toml::Table) -> Result<EnvSpec, EnvError> {
    checked_options::<G>(options).map(|_| spec::<G>())
}

/// [`vectorized`] behind the [`VecEnv`] interface, for the registry.
pub fn make<G: Game + 'static>(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    Ok(Box::new(vectorized::<G>(num_envs, seed, options)?))
}
