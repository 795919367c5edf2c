//! Markov reward processes of the paper's illustrative examples (Xu et al. 2018, §3,
//! Figure 1), registered as `mrp/fig1a-lambda` and `mrp/fig1b-gamma`.

mod chain;

pub use chain::{ChainMrp, StateReward};

use crate::registry::{self, EnvEntry};
use crate::{env_seed, EnvError, EnvSpec, VecEnv, Vectorized};

/// Options of the Figure 1 chains.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainOptions {
    /// Number of states in the chain.
    #[serde(default = "ten")]
    states: usize,
}

fn ten() -> usize {
    10
}

fn chain_env(
    name: &str,
    num_envs: usize,
    seed: u64,
    options: &toml::Table,
    reward: fn(usize) -> StateReward,
) -> Result<Box<dyn VecEnv>, EnvError> {
    let opts: ChainOptions = registry::options(name, options)?;
    if opts.states < 2 {
        return Err(EnvError::Config {
            env: name.into(),
            message: format!("`states` = {} must be at least 2", opts.states),
        });
    }
    let rewards: Vec<StateReward> = (0..opts.states).map(reward).collect();
    let spec =
        EnvSpec { name: name.into(), obs_shape: vec![opts.states], num_actions: 1, num_states: Some(opts.states) };
    let envs = (0..num_envs).map(|i| ChainMrp::new(rewards.clone(), env_seed(seed, i))).collect();
    Ok(Box::new(Vectorized::new(spec, envs, None)?))
}

/// Figure 1(a), state-dependent λ(s): a zero-mean Gaussian reward N(0, 1) on leaving each
/// even state, and its negation on leaving the odd state after it, so that the return from
/// an even state cancels exactly when it looks one step further (λ high), while
/// bootstrapping there (λ low) keeps the noise.
fn fig1a_reward(s: usize) -> StateReward {
    if s.is_multiple_of(2) {
        StateReward::Gaussian { mean: 0.0, std: 1.0 }
    } else {
        StateReward::NegatePrevious
    }
}

/// Figure 1(b), state-dependent γ(s): reward N(0, 1) on leaving even states (noise) and
/// +0.1 on leaving odd states (signal).
fn fig1b_reward(s: usize) -> StateReward {
    if s.is_multiple_of(2) {
        StateReward::Gaussian { mean: 0.0, std: 1.0 }
    } else {
        StateReward::Constant(0.1)
    }
}

fn make_fig1a(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    chain_env("mrp/fig1a-lambda", num_envs, seed, options, fig1a_reward)
}

fn make_fig1b(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    chain_env("mrp/fig1b-gamma", num_envs, seed, options, fig1b_reward)
}

inventory::submit! {
    EnvEntry {
        name: "mrp/fig1a-lambda",
        description: "chain MRP of Xu et al. 2018 Fig. 1(a): N(0,1) reward then its negation (state-dependent λ)",
        make: make_fig1a,
    }
}

inventory::submit! {
    EnvEntry {
        name: "mrp/fig1b-gamma",
        description: "chain MRP of Xu et al. 2018 Fig. 1(b): N(0,1) noise in even states, +0.1 in odd (state-dependent γ)",
        make: make_fig1b,
    }
}
