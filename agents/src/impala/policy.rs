//! The behaviour of an actor-critic actor: one batched forward pass of the policy network on
//! the B current observations, then a sample from each row of π(·|x).

use crate::actor::Behaviour;
use crate::agent::Divergence;
use crate::net::{ActorCritic, Params};
use anyhow::Result;
use dfdx::prelude::{Device, Dtype};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The policy of a network at parameters θ, conditioned on η.
pub struct NetPolicy<'a, E: Dtype, D: Device<E>> {
    pub net: &'a ActorCritic<E, D>,
    pub params: &'a Params<E, D>,
    pub eta: &'a [f64],
}

impl<E: Dtype, D: Device<E>> Behaviour for NetPolicy<'_, E, D> {
    fn act(&mut self, obs: &[f32], rng: &mut ChaCha8Rng, actions: &mut [usize], log_probs: &mut [f64]) -> Result<()> {
        let log_policy = self.net.log_policy(self.params, obs, self.eta)?;
        let num_actions = log_policy.len() / actions.len().max(1);
        for (e, row) in log_policy.chunks_exact(num_actions).enumerate() {
            if row.iter().any(|l| !l.is_finite()) {
                let detail = format!("log π(·|x) of environment {e} is {row:?}");
                return Err(Divergence { quantity: "the network's policy while acting".into(), detail }.into());
            }
            actions[e] = sample(row, rng.gen());
            log_probs[e] = row[actions[e]];
        }
        Ok(())
    }
}

/// The action whose cumulative probability first exceeds u ∈ [0, 1) (the last one if rounding
/// leaves the sum below u).
fn sample(log_p: &[f64], u: f64) -> usize {
    let mut cumulative = 0.0;
    for (a, l) in log_p.iter().enumerate() {
        cumulative += l.exp();
        if u < cumulative {
            return a;
        }
    }
    log_p.len() - 1
}

#[cfg(test)]
mod tests {
    use super::sample;

    #[test]
    fn sampling_inverts_the_cumulative_distribution() {
        let log_p = [0.2f64.ln(), 0.5f64.ln(), 0.3f64.ln()];
        assert_eq!(sample(&log_p, 0.1), 0);
        assert_eq!(sample(&log_p, 0.69), 1);
        assert_eq!(sample(&log_p, 0.71), 2);
        assert_eq!(sample(&log_p, 0.999_999_999_999), 2);
    }
}
