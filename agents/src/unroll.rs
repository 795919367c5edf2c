//! An unroll: T steps of B environments, what an actor hands a learner.
//!
//! Rows of observations, as a model evaluates them: x₀ … x_{T−1} (`[T·B]`, the states the
//! actions were taken in, whose heads carry targets), then x_T (`[B]`, the bootstrap of the
//! last step), then the final observation of every episode that ended inside the unroll
//! (`[K]`, the bootstrap of a truncated step). The value after step t of environment b is
//!
//!   V(xₜ₊₁) = V(final observation)  if the episode ended at step t,
//!             V(row (t+1)·B + b)     otherwise,
//!
//! so one forward pass over T·B + B + K rows gives every value a return needs.

use crate::meta::{Heads, Trajectory};
use anyhow::{ensure, Result};
use mgrl_core::{Batch, MetaValues, ReturnBatch};
use serde::{Deserialize, Serialize};

/// T steps of B environments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unroll {
    pub t: usize,
    pub b: usize,
    /// x₀ … x_T, `[(T+1)·B, obs_len]`.
    pub obs: Vec<f32>,
    /// The last observation of each episode that ended, `[K, obs_len]`, …
    pub final_obs: Vec<f32>,
    /// … and the step t·B + b it ended at, increasing.
    pub final_steps: Vec<usize>,
    /// aₜ, `[T·B]`.
    pub actions: Vec<usize>,
    /// log μ(aₜ|xₜ) of the behaviour policy, `[T·B]`.
    pub behaviour_log_probs: Vec<f64>,
    /// rₜ, `[T·B]`.
    pub rewards: Vec<f64>,
    /// dₜ: 0 when the episode terminated at xₜ₊₁, else 1, `[T·B]`.
    pub discounts: Vec<f64>,
    /// eₜ: 0 when the episode ended at xₜ₊₁ (terminated or truncated), else 1, `[T·B]`.
    pub episode_continues: Vec<f64>,
    /// The numbered state each transition arrives in, for per-state meta-parameters.
    pub states: Option<Vec<usize>>,
}

impl Unroll {
    /// The return's batch shape.
    pub fn batch(&self) -> Result<Batch> {
        Ok(Batch::new(self.t, self.b)?)
    }

    /// Every row a model evaluates (see the module doc), `[T·B + B + K, obs_len]`.
    pub fn rows(&self) -> Vec<f32> {
        [self.obs.as_slice(), &self.final_obs].concat()
    }

    /// V(xₜ₊₁) for every step, from the heads of [`Self::rows`].
    pub fn next_values(&self, heads: &Heads) -> Result<Vec<f64>> {
        let n = self.t * self.b;
        ensure!(
            heads.values.len() == n && heads.bootstrap.len() == self.b + self.final_steps.len(),
            "heads of {} + {} rows for an unroll of {n} steps, {} environments and {} episode ends",
            heads.values.len(),
            heads.bootstrap.len(),
            self.b,
            self.final_steps.len()
        );
        let mut next: Vec<f64> =
            heads.values[self.b.min(n)..].iter().chain(&heads.bootstrap[..self.b]).copied().collect();
        for (k, &step) in self.final_steps.iter().enumerate() {
            next[step] = heads.bootstrap[self.b + k];
        }
        Ok(next)
    }

    /// The return's view of the unroll under the heads of some θ: log ρₜ = log π(aₜ|xₜ) −
    /// log μ(aₜ|xₜ) for a policy, 0 for a prediction model.
    pub fn trajectory(&self, heads: &Heads) -> Result<Trajectory> {
        let log_rhos = match &heads.log_pi {
            Some(log_pi) => log_pi.iter().zip(&self.behaviour_log_probs).map(|(p, m)| p - m).collect(),
            None => vec![0.0; self.t * self.b],
        };
        let inputs = ReturnBatch {
            batch: self.batch()?,
            rewards: self.rewards.clone(),
            discounts: self.discounts.clone(),
            episode_continues: self.episode_continues.clone(),
            values: heads.values.clone(),
            next_values: self.next_values(heads)?,
            log_rhos,
            meta: MetaValues::new(),
        };
        Ok(Trajectory { inputs, states: self.states.clone(), network_meta: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_values_take_the_next_row_the_bootstrap_row_or_the_final_observation() {
        // T = 2, B = 2; environment 1 ended at step t = 0 (step index 1).
        let unroll = Unroll {
            t: 2,
            b: 2,
            obs: vec![0.0; 6],
            final_obs: vec![0.0],
            final_steps: vec![1],
            actions: vec![0; 4],
            behaviour_log_probs: vec![0.0; 4],
            rewards: vec![0.0; 4],
            discounts: vec![1.0; 4],
            episode_continues: vec![1.0, 0.0, 1.0, 1.0],
            states: None,
        };
        let heads = Heads {
            log_pi: None,
            values: vec![10.0, 11.0, 20.0, 21.0],
            entropy: None,
            bootstrap: vec![30.0, 31.0, 99.0],
            outer: None,
        };
        assert_eq!(unroll.next_values(&heads).unwrap(), vec![20.0, 99.0, 30.0, 31.0]);
    }
}
