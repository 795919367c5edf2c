//! B single environments stepped together as one [`VecEnv`], with same-step automatic reset,
//! an optional time limit, and the batch split over the machine's cores. Its saved state is
//! the time limit, each environment's step counter and each environment's serde form.
//!
//! The shares run on the threads of [`mgrl_core::parallel`], started once and parked between
//! steps: handing a share over costs some 10–15 µs (BENCHMARKS.md), where starting a thread per
//! step cost 60–140 µs.

use crate::obs::Obs;
use crate::vec_env::not_bytes;
use crate::{Env, EnvError, EnvSpec, EnvState, StepBuffers, VecEnv};
use serde::{Deserialize, Serialize};

/// By default a share of the batch goes to another thread for every this many environments at
/// most. A share costs 10–15 µs to hand over, so 256 environments pay for it when one step takes
/// some 100 ns or more, as MinAtar's do (see [`Vectorized::with_min_envs_per_thread`]).
const MIN_ENVS_PER_THREAD: usize = 256;

/// A per-environment seed derived from the experiment's seed (splitmix64 of seed + index),
/// so that environments are independent and the same seed gives the same episodes.
pub fn env_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// B environments of one kind.
pub struct Vectorized<E: Env> {
    spec: EnvSpec,
    envs: Vec<E>,
    /// Steps taken in each environment's current episode.
    episode_steps: Vec<u64>,
    max_episode_steps: Option<u64>,
    threads: usize,
    min_envs_per_thread: usize,
}

impl<E: Env> Vectorized<E> {
    /// `envs` must be non-empty; `max_episode_steps` truncates longer episodes.
    pub fn new(spec: EnvSpec, envs: Vec<E>, max_episode_steps: Option<u64>) -> Result<Self, EnvError> {
        if envs.is_empty() {
            return Err(EnvError::Config {
                env: spec.name,
                message: "needs at least one environment (num_envs ≥ 1)".into(),
            });
        }
        let threads = mgrl_core::parallel::threads();
        Ok(Vectorized {
            episode_steps: vec![0; envs.len()],
            spec,
            envs,
            max_episode_steps,
            threads,
            min_envs_per_thread: MIN_ENVS_PER_THREAD,
        })
    }

    /// Steps on at most `threads` threads (1: the calling thread only).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Gives each thread at least `n` environments (default 256), so that a batch is split
    /// only where a thread's share of the work outweighs handing it over (10–15 µs):
    /// environments that step in tens of nanoseconds need thousands each.
    pub fn with_min_envs_per_thread(mut self, n: usize) -> Self {
        self.min_envs_per_thread = n.max(1);
        self
    }

    /// The environments, e.g. to put one in a given state after [`VecEnv::reset`].
    pub fn envs_mut(&mut self) -> &mut [E] {
        &mut self.envs
    }

    /// Resets into a buffer of `O` (see [`VecEnv::reset`]).
    fn reset_into<O: Obs>(&mut self, obs: &mut [O]) -> Result<(), EnvError> {
        let len = self.spec.obs_len();
        self.check("observations", obs.len(), self.envs.len() * len)?;
        for (env, row) in self.envs.iter_mut().zip(obs.chunks_exact_mut(len)) {
            env.reset(row);
        }
        self.episode_steps.fill(0);
        Ok(())
    }

    /// Steps into buffers of `O` (see [`VecEnv::step`]).
    fn step_into<O: Obs>(&mut self, actions: &[usize], out: &mut StepBuffers<O>) -> Result<(), EnvError> {
        let (b, len) = (self.envs.len(), self.spec.obs_len());
        self.check("actions", actions.len(), b)?;
        if let Some((index, &action)) = actions.iter().enumerate().find(|(_, &a)| a >= self.spec.num_actions) {
            return Err(EnvError::InvalidAction {
                env: self.spec.name.clone(),
                index,
                action,
                num_actions: self.spec.num_actions,
            });
        }
        self.check("observation buffer", out.obs.len(), b * len)?;
        self.check("final-observation buffer", out.final_obs.len(), b * len)?;
        self.check("reward buffer", out.rewards.len(), b)?;
        self.check("terminated buffer", out.terminated.len(), b)?;
        self.check("truncated buffer", out.truncated.len(), b)?;

        let threads = self.threads.min(b / self.min_envs_per_thread).max(1);
        let per = b.div_ceil(threads);
        let max = self.max_episode_steps;
        let chunks =
            self.envs
                .chunks_mut(per)
                .zip(self.episode_steps.chunks_mut(per))
                .zip(actions.chunks(per))
                .zip(out.obs.chunks_mut(per * len).zip(out.final_obs.chunks_mut(per * len)))
                .zip(out.rewards.chunks_mut(per).zip(out.terminated.chunks_mut(per)).zip(out.truncated.chunks_mut(per)))
                .map(|((((envs, episode_steps), actions), (obs, final_obs)), ((rewards, terminated), truncated))| {
                    Chunk { envs, episode_steps, actions, obs, final_obs, rewards, terminated, truncated }
                });
        // The calling thread steps the first chunk while the pool's threads step the others.
        mgrl_core::parallel::for_each_share(chunks, |c| c.step(len, max));
        Ok(())
    }

    fn check(&self, what: &str, got: usize, expected: usize) -> Result<(), EnvError> {
        if got != expected {
            return Err(EnvError::Shape { env: self.spec.name.clone(), what: what.into(), expected, got });
        }
        Ok(())
    }
}

/// The state of a [`Vectorized`] as saved: borrowed to save it, owned when loaded.
#[derive(Serialize, Deserialize)]
struct VectorizedState<Steps, Envs> {
    // Required: a missing time limit is damage, not "no limit".
    #[serde(deserialize_with = "Option::deserialize")]
    max_episode_steps: Option<u64>,
    episode_steps: Steps,
    envs: Envs,
}

/// Steps a contiguous slice of environments with their slices of the buffers (observations
/// of element type `O`).
struct Chunk<'a, E, O> {
    envs: &'a mut [E],
    episode_steps: &'a mut [u64],
    actions: &'a [usize],
    obs: &'a mut [O],
    final_obs: &'a mut [O],
    rewards: &'a mut [f32],
    terminated: &'a mut [bool],
    truncated: &'a mut [bool],
}

impl<E: Env, O: Obs> Chunk<'_, E, O> {
    fn step(self, obs_len: usize, max_episode_steps: Option<u64>) {
        let rows = self.obs.chunks_exact_mut(obs_len).zip(self.final_obs.chunks_exact_mut(obs_len));
        for (i, (env, (obs, final_obs))) in self.envs.iter_mut().zip(rows).enumerate() {
            let t = env.step(self.actions[i], obs);
            self.episode_steps[i] += 1;
            let truncated = t.truncated || max_episode_steps.is_some_and(|m| self.episode_steps[i] >= m);
            self.rewards[i] = t.reward;
            self.terminated[i] = t.terminated;
            self.truncated[i] = truncated && !t.terminated;
            if t.terminated || truncated {
                final_obs.copy_from_slice(obs);
                env.reset(obs);
                self.episode_steps[i] = 0;
            }
        }
    }
}

impl<E: Env> VecEnv for Vectorized<E> {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn num_envs(&self) -> usize {
        self.envs.len()
    }

    fn reset(&mut self, obs: &mut [f32]) -> Result<(), EnvError> {
        self.reset_into(obs)
    }

    fn step(&mut self, actions: &[usize], out: &mut StepBuffers) -> Result<(), EnvError> {
        self.step_into(actions, out)
    }

    fn byte_scale(&self) -> Option<f32> {
        E::BYTE_SCALE
    }

    fn reset_u8(&mut self, obs: &mut [u8]) -> Result<(), EnvError> {
        self.byte_scale().ok_or_else(|| not_bytes(&self.spec))?;
        self.reset_into(obs)
    }

    fn step_u8(&mut self, actions: &[usize], out: &mut StepBuffers<u8>) -> Result<(), EnvError> {
        self.byte_scale().ok_or_else(|| not_bytes(&self.spec))?;
        self.step_into(actions, out)
    }

    fn save_state(&self) -> Result<EnvState, EnvError> {
        let state = VectorizedState {
            max_episode_steps: self.max_episode_steps,
            episode_steps: &self.episode_steps,
            envs: &self.envs,
        };
        EnvState::new(&self.spec, self.envs.len(), state)
    }

    fn load_state(&mut self, state: &EnvState) -> Result<(), EnvError> {
        let b = self.envs.len();
        let saved: VectorizedState<Vec<u64>, Vec<E>> = state.open(&self.spec, b)?;
        for (what, got) in [("environments", saved.envs.len()), ("episode step counters", saved.episode_steps.len())] {
            if got != b {
                return Err(EnvError::State {
                    env: self.spec.name.clone(),
                    message: format!("cannot load the saved state: it has {got} {what} for a batch of {b}"),
                });
            }
        }
        (self.max_episode_steps, self.episode_steps, self.envs) =
            (saved.max_episode_steps, saved.episode_steps, saved.envs);
        Ok(())
    }

    fn state_indices(&self, out: &mut [usize]) -> Result<(), EnvError> {
        self.check("state indices", out.len(), self.envs.len())?;
        for (o, env) in out.iter_mut().zip(&self.envs) {
            *o = env.state_index().ok_or_else(|| EnvError::Config {
                env: self.spec.name.clone(),
                message: "this environment does not number its states (per-state meta-parameters need one that does)"
                    .into(),
            })?;
        }
        Ok(())
    }
}
