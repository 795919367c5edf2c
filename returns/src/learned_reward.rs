//! A learned reward added to the environment's (Zheng, Oh & Singh 2018, "On Learning
//! Intrinsic Rewards for Policy Gradient Methods"; Xu et al. 2018 §1): from rewards rₜ and
//! the reward network's outputs r_η(xₜ, aₜ), both for t ∈ [0, T),
//!
//!   r̃ₜ = rₜ + r_η(xₜ, aₜ),   ∂r̃/∂r = 1,   ∂r̃/∂r_η = 1.
//!
//! Its meta-parameter `reward` is of kind `Network`: the per-step meta input is the output of
//! a reward network that the agent owns; the VJP hands the cotangent of r̃ to that output,
//! and the agent backpropagates it into the network's weights (method (b) of DESIGN.md §2).

use mgrl_core::meta_param::{Domain, MetaKind, Squash};
use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{MetaParamSpec, MetaValues, Result, RewardInputs, RewardTransform};
use serde::{Deserialize, Serialize};

use crate::elementwise;

const META: &[MetaParamSpec] = &[MetaParamSpec {
    name: "reward",
    doc: "the reward network's output r_η(xₜ, aₜ)",
    domain: Domain::REAL,
    default: 0.0,
    squash: Squash::Identity,
    learnable: true,
    per_state: false,
    kind: MetaKind::Network,
}];

/// r̃ = r + r_η(s, a) (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedReward {}

/// r̃ = r + r_η.
fn value(r: f64, bonus: f64) -> f64 {
    r + bonus
}

/// (∂r̃/∂r, ∂r̃/∂r_η) = (1, 1).
fn partials(_r: f64, _bonus: f64) -> (f64, f64) {
    (1.0, 1.0)
}

#[mgrl_core::plugin(
    name = "learned_reward",
    description = "learned reward r̃ = r + r_η(s, a), η the weights of an agent-owned reward network",
    meta = META,
)]
impl RewardTransform for LearnedReward {
    fn apply(&self, x: &RewardInputs) -> Result<Vec<f64>> {
        elementwise::apply(x, META, value)
    }

    fn jvp(&self, x: &RewardInputs, d_rewards: Option<&[f64]>, d_meta: &MetaValues) -> Result<Vec<f64>> {
        elementwise::jvp(x, META, d_rewards, d_meta, partials)
    }

    fn vjp(&self, x: &RewardInputs, cot: &[f64]) -> Result<RewardCotangents> {
        elementwise::vjp(x, META, cot, partials)
    }
}
