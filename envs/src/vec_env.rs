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
//!   of [`EnvSpec::obs_shape`] (channels first for images: `[C, H, W]`). Environments whose
//!   observations are bytes ([`VecEnv::byte_scale`]: Atari, MinAtar) also hand them out as
//!   `u8` ([`VecEnv::reset_u8`], [`VecEnv::step_u8`]), the f32 value being scale · byte
//!   ([`crate::obs`]).
//! - Checkpoints: [`VecEnv::save_state`] saves everything that decides the future steps as
//!   JSON ([`EnvState`]), and [`VecEnv::load_state`] restores it in a fresh environment of the
//!   same spec and B, so that a resumed run goes on bit for bit without replaying its past.

use crate::obs::Obs;
use crate::EnvError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What an environment looks like to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvSpec {
    /// The registered name, e.g. `minatar/breakout`.
    pub name: String,
    /// Shape of one observation (`[C, H, W]` for images, `[D]` for vectors).
    pub obs_shape: Vec<usize>,
    /// Number of discrete actions (1 for a Markov reward process).
    pub num_actions: usize,
    /// Number of states, for environments that number them (the Markov reward processes):
    /// per-state meta-parameters need it.
    // Required in a saved state: a missing field is damage, not `None`.
    #[serde(deserialize_with = "Option::deserialize")]
    pub num_states: Option<usize>,
}

impl EnvSpec {
    /// Elements of one observation.
    pub fn obs_len(&self) -> usize {
        self.obs_shape.iter().product()
    }
}

/// The outputs of one vectorised step, owned by the caller and reused across steps;
/// observations as `f32`, or as bytes (`StepBuffers<u8>`, [`VecEnv::step_u8`]).
#[derive(Debug, Clone, Default)]
pub struct StepBuffers<O = f32> {
    /// `[B, obs_len]`: the next observation (after reset for environments that ended).
    pub obs: Vec<O>,
    /// `[B, obs_len]`: the last observation of an episode that ended at this step.
    pub final_obs: Vec<O>,
    /// `[B]`: the reward of the transition.
    pub rewards: Vec<f32>,
    /// `[B]`: the episode reached a terminal state.
    pub terminated: Vec<bool>,
    /// `[B]`: the episode was cut by a time limit.
    pub truncated: Vec<bool>,
}

impl<O: Obs> StepBuffers<O> {
    /// Buffers sized for `spec` and `num_envs`.
    pub fn new(spec: &EnvSpec, num_envs: usize) -> Self {
        StepBuffers {
            obs: vec![O::default(); num_envs * spec.obs_len()],
            final_obs: vec![O::default(); num_envs * spec.obs_len()],
            rewards: vec![0.0; num_envs],
            terminated: vec![false; num_envs],
            truncated: vec![false; num_envs],
        }
    }
}

/// The saved state of B environments ([`VecEnv::save_state`]): JSON, which an agent keeps in
/// its checkpoint as it is (an `EnvState` serialises as that JSON).
///
/// Beside the implementation's own form of the state it holds the spec and B of the
/// environments that saved it, so that [`EnvState::open`] refuses a state of another
/// environment, of another batch size or with a part missing with an [`EnvError::State`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EnvState(serde_json::Value);

/// The layout of an [`EnvState`]: who saved it, and their state.
#[derive(Serialize, Deserialize)]
struct Saved<S> {
    spec: EnvSpec,
    num_envs: usize,
    state: S,
}

impl EnvState {
    /// `state`, an implementation's own form of the state of `num_envs` environments of `spec`.
    pub fn new(spec: &EnvSpec, num_envs: usize, state: impl Serialize) -> Result<Self, EnvError> {
        serde_json::to_value(Saved { spec: spec.clone(), num_envs, state })
            .map(EnvState)
            .map_err(|e| EnvError::State { env: spec.name.clone(), message: format!("cannot save the state: {e}") })
    }

    /// The implementation's own form of the state, once checked to be that of `num_envs`
    /// environments of `spec` (the ones loading it) with no part missing.
    pub fn open<T: DeserializeOwned>(&self, spec: &EnvSpec, num_envs: usize) -> Result<T, EnvError> {
        let error = |message: String| EnvError::State { env: spec.name.clone(), message };
        let saved = Saved::<serde_json::Value>::deserialize(&self.0)
            .map_err(|e| error(format!("cannot load the saved state: it is not an environment's state ({e})")))?;
        if saved.spec.name != spec.name {
            return Err(error(format!("cannot load a state saved by `{}`", saved.spec.name)));
        }
        if saved.num_envs != num_envs {
            return Err(error(format!("cannot load the state of {} environments into {num_envs}", saved.num_envs)));
        }
        if saved.spec != *spec {
            return Err(error(format!(
                "cannot load a state saved with other options: observations {:?}, {} actions, states {:?} \
                 where this one has {:?}, {}, {:?}",
                saved.spec.obs_shape,
                saved.spec.num_actions,
                saved.spec.num_states,
                spec.obs_shape,
                spec.num_actions,
                spec.num_states
            )));
        }
        T::deserialize(saved.state).map_err(|e| error(format!("cannot load the saved state: {e}")))
    }
}

/// B environments stepped together.
///
/// Implementations save their state ([`VecEnv::save_state`]) for checkpoints: everything that
/// decides their future steps, so that another instance of the same environment, spec and B
/// (built with any seed) that loads it ([`VecEnv::load_state`]) gives, for the same actions,
/// the same observations, rewards, terminations, truncations and final observations bit for
/// bit. The observation of the current step is the caller's and is not part of the state.
pub trait VecEnv: Send {
    fn spec(&self) -> &EnvSpec;

    /// B.
    fn num_envs(&self) -> usize;

    /// Starts a new episode in every environment and writes the first observations into
    /// `obs` (`[B, obs_len]`).
    fn reset(&mut self, obs: &mut [f32]) -> Result<(), EnvError>;

    /// Steps every environment with its action (see the module doc for resets).
    fn step(&mut self, actions: &[usize], out: &mut StepBuffers) -> Result<(), EnvError>;

    /// For environments whose observations are bytes, the scale s of their f32 values
    /// (s · byte); `None` for others.
    fn byte_scale(&self) -> Option<f32> {
        None
    }

    /// [`VecEnv::reset`] with the observations as bytes; an error where
    /// [`VecEnv::byte_scale`] is `None`.
    fn reset_u8(&mut self, obs: &mut [u8]) -> Result<(), EnvError> {
        let _ = obs;
        Err(not_bytes(self.spec()))
    }

    /// [`VecEnv::step`] with the observations as bytes; an error where
    /// [`VecEnv::byte_scale`] is `None`.
    fn step_u8(&mut self, actions: &[usize], out: &mut StepBuffers<u8>) -> Result<(), EnvError> {
        let _ = (actions, out);
        Err(not_bytes(self.spec()))
    }

    /// The environments' state: every random-number generator, episode step counter and time
    /// limit, and each game's own (positions, timers, sticky action, difficulty ramp); see the
    /// trait doc for what loading it promises.
    fn save_state(&self) -> Result<EnvState, EnvError>;

    /// Restores a state saved by [`VecEnv::save_state`] of an environment with the same spec
    /// and B. A state of another environment or B, or a damaged one, is an
    /// [`EnvError::State`] naming this environment, and leaves it as it was.
    fn load_state(&mut self, state: &EnvState) -> Result<(), EnvError>;

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

/// The error of asking an environment whose observations are not bytes for bytes.
pub(crate) fn not_bytes(spec: &EnvSpec) -> EnvError {
    EnvError::Config {
        env: spec.name.clone(),
        message: "its observations are not bytes (take them as f32: `reset`, `step`)".into(),
    }
}
