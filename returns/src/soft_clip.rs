//! Smooth reward squashing, a differentiable variant of clipping with the same threshold:
//! from rewards rₜ and thresholds cₜ > 0, both for t ∈ [0, T),
//!
//!   r̃ₜ = cₜ · tanh(rₜ / cₜ),   ∂r̃/∂r = 1 − tanh²(r/c),   ∂r̃/∂c = tanh(r/c) − (r/c)(1 − tanh²(r/c)).
//!
//! It is the identity for |r| ≪ c and tends to ±c for |r| ≫ c.

use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{MetaParamSpec, MetaValues, Result, RewardInputs, RewardTransform};
use serde::{Deserialize, Serialize};

use crate::elementwise;

const META: &[MetaParamSpec] = &[MetaParamSpec::positive("threshold", "squashing scale c: r̃ ∈ (−c, c)", 1.0)];

/// Smooth squashing r̃ = c·tanh(r/c) (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftClip {}

/// r̃ = c·tanh(r/c).
fn value(r: f64, c: f64) -> f64 {
    c * (r / c).tanh()
}

/// (∂r̃/∂r, ∂r̃/∂c) at one step. Where tanh(r/c) rounds to ±1, 1 − tanh² is 0 and so is
/// (r/c)(1 − tanh²) (r/c may have overflowed: ∞·0 would be NaN).
fn partials(r: f64, c: f64) -> (f64, f64) {
    let z = r / c;
    let th = z.tanh();
    let sech2 = 1.0 - th * th;
    (sech2, if sech2 == 0.0 { th } else { th - z * sech2 })
}

#[mgrl_core::plugin(
    name = "soft_clip",
    description = "smooth reward squashing r̃ = c·tanh(r/c), threshold c learnable",
    meta = META,
)]
impl RewardTransform for SoftClip {
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
