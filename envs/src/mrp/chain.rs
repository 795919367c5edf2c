//! Chain Markov reward processes: the illustrative examples of Xu, van Hasselt & Silver
//! (2018), "Meta-Gradient Reinforcement Learning", §3 and Figure 1.
//!
//! Every episode visits states 0, 1, …, N−1 in order; leaving state s gives reward R(s)
//! and the episode terminates after state N−1. Observations are one-hot vectors of the
//! state (a linear value on them is tabular); there is one action.

use crate::Obs;
use crate::{Env, Transition};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The reward for leaving a state.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StateReward {
    /// Always the same.
    Constant(f64),
    /// mean + std·ε, ε ~ N(0, 1).
    Gaussian { mean: f64, std: f64 },
    /// The negation of the reward received on leaving the previous state.
    NegatePrevious,
}

/// A chain MRP: `rewards[s]` is the reward for leaving state s. Its serde form is its saved
/// state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChainMrp {
    rewards: Vec<StateReward>,
    state: usize,
    last_reward: f64,
    rng: ChaCha8Rng,
}

impl ChainMrp {
    pub fn new(rewards: Vec<StateReward>, seed: u64) -> Self {
        ChainMrp { rewards, state: 0, last_reward: 0.0, rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    pub fn num_states(&self) -> usize {
        self.rewards.len()
    }

    fn write_obs<O: Obs>(&self, state: Option<usize>, obs: &mut [O]) {
        obs.fill(O::default());
        if let Some(s) = state {
            obs[s] = O::from_byte(1, 1.0);
        }
    }
}

impl Env for ChainMrp {
    /// One-hot: 0 or 1.
    const BYTE_SCALE: Option<f32> = Some(1.0);

    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        self.state = 0;
        self.last_reward = 0.0;
        self.write_obs(Some(0), obs);
    }

    fn step<O: Obs>(&mut self, _action: usize, obs: &mut [O]) -> Transition {
        let reward = match self.rewards[self.state] {
            StateReward::Constant(r) => r,
            StateReward::Gaussian { mean, std } => {
                let eps: f64 = StandardNormal.sample(&mut self.rng);
                mean + std * eps
            }
            StateReward::NegatePrevious => -self.last_reward,
        };
        self.last_reward = reward;
        self.state += 1;
        let terminated = self.state == self.rewards.len();
        // The terminal state has no index: its observation is all zeros.
        self.write_obs((!terminated).then_some(self.state), obs);
        Transition { reward: reward as f32, terminated, truncated: false }
    }

    fn state_index(&self) -> Option<usize> {
        Some(self.state.min(self.rewards.len() - 1))
    }
}
