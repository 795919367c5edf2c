//! An actor: a vectorised environment and a behaviour policy, producing unrolls.
//!
//! Acting is kept apart from learning: the actor needs only a [`Behaviour`] (the TD agent's
//! uniform policy, or batched inference of a network at some θ), never the learner, so it can
//! run beside the learner or on another thread.

use crate::run::guard::catch_panic;
use crate::unroll::Unroll;
use anyhow::{bail, Result};
use mgrl_envs::{EnvError, EnvSpec, EnvState, StepBuffers, VecEnv};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Chooses the actions of B environments from their observations.
pub trait Behaviour {
    /// Writes aᵢ and log μ(aᵢ|xᵢ) for each environment's observation (`obs`: `[B, obs_len]`).
    fn act(&mut self, obs: &[f32], rng: &mut ChaCha8Rng, actions: &mut [usize], log_probs: &mut [f64]) -> Result<()>;
}

/// The uniformly random policy over `actions` actions (the TD agent's behaviour).
pub struct Uniform {
    pub actions: usize,
}

impl Behaviour for Uniform {
    fn act(&mut self, _obs: &[f32], rng: &mut ChaCha8Rng, actions: &mut [usize], log_probs: &mut [f64]) -> Result<()> {
        for (a, l) in actions.iter_mut().zip(log_probs) {
            *a = rng.gen_range(0..self.actions);
            *l = -(self.actions as f64).ln();
        }
        Ok(())
    }
}

/// B environments stepped T at a time.
pub struct Actor {
    env: Box<dyn VecEnv>,
    spec: EnvSpec,
    unroll_len: usize,
    /// The observation each environment is in, `[B, obs_len]`.
    obs: Vec<f32>,
    buffers: StepBuffers,
    /// The actor's random numbers (the behaviour's sampling).
    rng: ChaCha8Rng,
    /// The return of each environment's episode so far.
    episode_returns: Vec<f64>,
    /// Vectorised steps since the start; errors name the step by it.
    steps: u64,
}

impl Actor {
    /// An actor on `env`, reset, that collects unrolls of `unroll_len` steps.
    pub fn new(mut env: Box<dyn VecEnv>, unroll_len: usize, rng: ChaCha8Rng) -> Result<Self> {
        let spec = env.spec().clone();
        let b = env.num_envs();
        let mut obs = vec![0.0; b * spec.obs_len()];
        env.reset(&mut obs)?;
        Ok(Actor {
            buffers: StepBuffers::new(&spec, b),
            env,
            spec,
            unroll_len,
            obs,
            rng,
            episode_returns: vec![0.0; b],
            steps: 0,
        })
    }

    pub fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    /// B.
    pub fn num_envs(&self) -> usize {
        self.episode_returns.len()
    }

    /// T steps of every environment under `behaviour`; the returns of episodes that ended go
    /// to `finished`.
    pub fn unroll(&mut self, behaviour: &mut dyn Behaviour, finished: &mut Vec<f64>) -> Result<Unroll> {
        let (t_len, b, dim) = (self.unroll_len, self.num_envs(), self.spec.obs_len());
        let n = t_len * b;
        let mut u = Unroll {
            t: t_len,
            b,
            obs: Vec::with_capacity((n + b) * dim),
            final_obs: Vec::new(),
            final_steps: Vec::new(),
            actions: vec![0; n],
            behaviour_log_probs: vec![0.0; n],
            rewards: Vec::with_capacity(n),
            discounts: Vec::with_capacity(n),
            episode_continues: Vec::with_capacity(n),
            states: self.spec.num_states.map(|_| Vec::with_capacity(n)),
        };
        let mut state_buf = vec![0; b];
        for t in 0..t_len {
            u.obs.extend_from_slice(&self.obs);
            let (actions, log_probs) =
                (&mut u.actions[t * b..(t + 1) * b], &mut u.behaviour_log_probs[t * b..(t + 1) * b]);
            behaviour.act(&self.obs, &mut self.rng, actions, log_probs)?;
            let (env, buffers, step, name) = (&mut self.env, &mut self.buffers, self.steps, &self.spec.name);
            let actions = &u.actions[t * b..(t + 1) * b];
            catch_panic(|| env.step(actions, buffers)).unwrap_or_else(|message| {
                Err(EnvError::Config { env: name.clone(), message: format!("panicked at step {step}: {message}") })
            })?;
            self.steps += 1;
            let buf = &self.buffers;
            for e in 0..b {
                let r = buf.rewards[e] as f64;
                if !r.is_finite() {
                    bail!("environment `{}` returned reward {r} at step {step} (environment {e})", self.spec.name);
                }
                let ended = buf.terminated[e] || buf.truncated[e];
                u.rewards.push(r);
                u.discounts.push(if buf.terminated[e] { 0.0 } else { 1.0 });
                u.episode_continues.push(if ended { 0.0 } else { 1.0 });
                self.episode_returns[e] += r;
                if ended {
                    u.final_obs.extend_from_slice(&buf.final_obs[e * dim..(e + 1) * dim]);
                    u.final_steps.push(t * b + e);
                    finished.push(std::mem::take(&mut self.episode_returns[e]));
                }
            }
            self.obs.copy_from_slice(&self.buffers.obs);
            // The state each transition arrives in (after a reset, the next episode's first
            // state: its γₜ·dₜ is 0 or its eₜ is 0, so any index serves).
            if let Some(states) = &mut u.states {
                self.env.state_indices(&mut state_buf)?;
                states.extend_from_slice(&state_buf);
            }
        }
        u.obs.extend_from_slice(&self.obs);
        Ok(u)
    }
}

/// What an actor checkpoints: everything that decides its next unroll.
#[derive(Serialize, Deserialize)]
struct ActorState {
    env: EnvState,
    obs: Vec<f32>,
    rng: ChaCha8Rng,
    episode_returns: Vec<f64>,
    steps: u64,
}

impl Actor {
    /// The actor's state: its environments', its observations, random numbers and the
    /// returns of the episodes in progress.
    pub fn state(&self) -> Result<serde_json::Value> {
        let state = ActorState {
            env: self.env.save_state()?,
            obs: self.obs.clone(),
            rng: self.rng.clone(),
            episode_returns: self.episode_returns.clone(),
            steps: self.steps,
        };
        Ok(serde_json::to_value(state)?)
    }

    /// Continues from [`Self::state`].
    pub fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        let s = ActorState::deserialize(state).map_err(|e| anyhow::anyhow!("checkpoint's actor state: {e}"))?;
        if s.obs.len() != self.obs.len() || s.episode_returns.len() != self.episode_returns.len() {
            bail!(
                "checkpoint's actor has {} observations for {} environments, this one {} for {}",
                s.obs.len(),
                s.episode_returns.len(),
                self.obs.len(),
                self.episode_returns.len()
            );
        }
        self.env.load_state(&s.env)?;
        (self.obs, self.rng, self.episode_returns, self.steps) = (s.obs, s.rng, s.episode_returns, s.steps);
        Ok(())
    }
}
