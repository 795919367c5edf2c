//! The vectorised environment interface.
//!
//! B environments are stepped together. Conventions (Gymnasium's, with same-step reset):
//!
//! - `step` takes one action per environment and fills a [`StepBuffers`]: the reward of the
//!   transition, whether the episode *terminated* (a terminal state: the return after it is
//!   0) or was *truncated* (a time limit: the return after it is unknown, bootstrap on the
//!   final observation), and the next observation.
//! - Automatic reset: when environment i terminates or is truncated, `obs[i]` already holds
//!   the first observation of its next episode, and `final_obs[i]` holds the last
//!   observation of the episode that ended (for the bootstrap value on truncation); for
//!   environments that did not end, `final_obs[i]` is not written.
//! - Every environment takes a seed: the same seed gives the same episodes.
//! - Observations are `f32`, one row of [`EnvSpec::obs_len`] per environment, in the layout
//!   of [`EnvSpec::obs_shape`] (channels first for images: `[C, H, W]`).

use crate::EnvError;

/// What an environment looks like to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSpec {
    /// The registered name, e.g. `minatar/breakout`.
    pub name: String,
    /// Shape of one observation (`[C, H, W]` for images, `[D]` for vectors).
    pub obs_shape: Vec<usize>,
    /// Number of discrete actions (1 for a Markov reward process).
    pub num_actions: usize,
    /// Number of states, for environments that number them (the Markov reward processes):
    /// per-state meta-parameters need it.
    pub num_states: Option<usize>,
}

impl EnvSpec {
    /// Elements of one observation.
    pub fn obs_len(&self) -> usize {
        self.obs_shape.iter().product()
    }
}

/// The outputs of one vectorised step, owned by the caller and reused across steps.
#[derive(Debug, Clone, Default)]
pub struct StepBuffers {
    /// `[B, obs_len]`: the next observation (after reset for environments that ended).
    pub obs: Vec<f32>,
    /// `[B, obs_len]`: the last observation of an episode that ended at this step.
    pub final_obs: Vec<f32>,
    /// `[B]`: the reward of the transition.
    pub rewards: Vec<f32>,
    /// `[B]`: the episode reached a terminal state.
    pub terminated: Vec<bool>,
    /// `[B]`: the episode was cut by a time limit.
    pub truncated: Vec<bool>,
}

impl StepBuffers {
    /// Buffers sized for `spec` and `num_envs`.
    pub fn new(spec: &EnvSpec, num_envs: usize) -> Self {
        StepBuffers {
            obs: vec![0.0; num_envs * spec.obs_len()],
            final_obs: vec![0.0; num_envs * spec.obs_len()],
            rewards: vec![0.0; num_envs],
            terminated: vec![false; num_envs],
            truncated: vec![false; num_envs],
        }
    }
}

/// B environments stepped together.
pub trait VecEnv: Send {
    fn spec(&self) -> &EnvSpec;

    /// B.
    fn num_envs(&self) -> usize;

    /// Starts a new episode in every environment and writes the first observations into
    /// `obs` (`[B, obs_len]`).
    fn reset(&mut self, obs: &mut [f32]) -> Result<(), EnvError>;

    /// Steps every environment with its action (see the module doc for resets).
    fn step(&mut self, actions: &[usize], out: &mut StepBuffers) -> Result<(), EnvError>;

    /// Writes the index of each environment's current state into `out` (`[B]`), for
    /// environments with [`EnvSpec::num_states`]; others return an error.
    fn state_indices(&self, out: &mut [usize]) -> Result<(), EnvError> {
        let _ = out;
        Err(EnvError::Config {
            env: self.spec().name.clone(),
            message: "this environment does not number its states (per-state meta-parameters need one that does)"
                .into(),
        })
    }
}
