//! Reward clipping (Mnih et al. 2015, "Human-level control through deep reinforcement
//! learning"), with the threshold as a meta-parameter: from rewards rₜ and thresholds cₜ > 0,
//! both for t ∈ [0, T),
//!
//!   r̃ₜ = clamp(rₜ, −cₜ, cₜ),   ∂r̃/∂r = 1[|rₜ| < cₜ],   ∂r̃/∂c = sign(rₜ)·1[|rₜ| ≥ cₜ]
//!
//! (the almost-everywhere derivatives; at |rₜ| = cₜ the threshold's).

use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{MetaParamSpec, MetaValues, Result, RewardInputs, RewardTransform};
use serde::{Deserialize, Serialize};

use crate::elementwise;

const META: &[MetaParamSpec] = &[MetaParamSpec::positive("threshold", "clipping threshold c: r̃ ∈ [−c, c]", 1.0)];

/// Hard clipping to [−c, c] (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clip {}

/// r̃ = clamp(r, −c, c).
fn value(r: f64, c: f64) -> f64 {
    r.clamp(-c, c)
}

/// (∂r̃/∂r, ∂r̃/∂c) at one step.
fn partials(r: f64, c: f64) -> (f64, f64) {
    if r.abs() < c {
        (1.0, 0.0)
    } else {
        (0.0, r.signum())
    }
}

#[mgrl_core::plugin(
    name = "clip",
    description = "reward clipping r̃ = clamp(r, −c, c) (Mnih et al. 2015), threshold c learnable",
    meta = META,
)]
impl RewardTransform for Clip {
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
