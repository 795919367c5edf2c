//! Markov reward processes of the paper's illustrative examples (Xu et al. 2018, §2.3,
//! Figure 1), registered as `mrp/fig1a-lambda` and `mrp/fig1b-gamma`.
//!
//! The paper: "a 10-step Markov reward process that alternates between 'signal' and 'noise'
//! transitions" — +0.1 on leaving the signal states, N(0, 1) on leaving the noise states —
//! for the state-dependent discount γ(s); and "a 9-step MRP that alternates between random
//! rewards and the negation of whatever reward was received on the previous step" for the
//! state-dependent λ(s). Meta-parameters are indexed by the state a transition arrives in,
//! γ(Sₜ₊₁) and λ(Sₜ₊₁) in Sutton & Barto's notation.

mod chain;

pub use chain::{ChainMrp, StateReward};

use crate::registry::{self, EnvEntry, EnvOption};
use crate::{env_seed, EnvError, EnvSpec, VecEnv, Vectorized};

/// The `[env]` options of the Figure 1 chains, as [`ChainOptions`] reads them.
const OPTIONS: &[EnvOption] = &[EnvOption {
    name: "states",
    doc: "number of states, transitions per episode (at least 2; the paper's 9 or 10)",
    default: "none",
}];

/// Options of the Figure 1 chains.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainOptions {
    /// Number of states (transitions per episode); the paper's chain when absent.
    states: Option<usize>,
}

/// A chain's spec: a one-hot observation per state, no choice of action.
fn chain_spec(name: &str, options: &toml::Table, default_states: usize) -> Result<EnvSpec, EnvError> {
    let opts: ChainOptions = registry::options(name, options)?;
    let states = opts.states.unwrap_or(default_states);
    if states < 2 {
        let message = format!("`states` = {states} must be at least 2");
        return Err(EnvError::Option { env: name.into(), key: "states".into(), message });
    }
    Ok(EnvSpec { name: name.into(), obs_shape: vec![states], num_actions: 1, num_states: Some(states) })
}

fn chain_env(
    name: &str,
    num_envs: usize,
    seed: u64,
    options: &toml::Table,
    (default_states, reward): (usize, fn(usize) -> StateReward),
) -> Result<Box<dyn VecEnv>, EnvError> {
    let spec = chain_spec(name, options, default_states)?;
    let rewards: Vec<StateReward> = (0..spec.obs_len()).map(reward).collect();
    let envs = (0..num_envs).map(|i| ChainMrp::new(rewards.clone(), env_seed(seed, i))).collect();
    Ok(Box::new(Vectorized::new(spec, envs, None)?))
}

/// Figure 1(a), state-dependent λ(s), 9 states: a reward N(0, 1) on leaving each even
/// state and its negation on leaving the odd state after it (the last reward is random).
/// The value of an even state is exactly 0 and well known, so bootstrapping there (low λ)
/// is best; an odd state's value is −r, which the state does not show, so looking past it
/// (high λ) avoids its noise.
fn fig1a_reward(s: usize) -> StateReward {
    if s.is_multiple_of(2) {
        StateReward::Gaussian { mean: 0.0, std: 1.0 }
    } else {
        StateReward::NegatePrevious
    }
}

/// Figure 1(b), state-dependent γ(s), 10 states: reward N(0, 1) on leaving even states
/// (noise) and +0.1 on leaving odd states (signal); γ should end low on arriving in noise
/// states, cutting their noise off the returns, and high in signal states.
fn fig1b_reward(s: usize) -> StateReward {
    if s.is_multiple_of(2) {
        StateReward::Gaussian { mean: 0.0, std: 1.0 }
    } else {
        StateReward::Constant(0.1)
    }
}

fn spec_fig1a(options: &toml::Table) -> Result<EnvSpec, EnvError> {
    chain_spec("mrp/fig1a-lambda", options, 9)
}

fn spec_fig1b(options: &toml::Table) -> Result<EnvSpec, EnvError> {
    chain_spec("mrp/fig1b-gamma", options, 10)
}

fn make_fig1a(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    chain_env("mrp/fig1a-lambda", num_envs, seed, options, (9, fig1a_reward))
}

fn make_fig1b(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    chain_env("mrp/fig1b-gamma", num_envs, seed, options, (10, fig1b_reward))
}

inventory::submit! {
    EnvEntry {
        name: "mrp/fig1a-lambda",
        description: "9-step chain of Xu et al. 2018 Fig. 1(a): N(0,1) reward then its negation (state-dependent λ)",
        options: OPTIONS,
        spec: spec_fig1a,
        make: make_fig1a,
    }
}

inventory::submit! {
    EnvEntry {
        name: "mrp/fig1b-gamma",
        description: "10-step chain of Xu et al. 2018 Fig. 1(b): N(0,1) noise in even states, +0.1 in odd (state-dependent γ)",
        options: OPTIONS,
        spec: spec_fig1b,
        make: make_fig1b,
    }
}
