//! Smooth reward squashing, a differentiable variant of clipping with the same threshold:
//!
//!   r̃ₜ = cₜ · tanh(rₜ / cₜ),   ∂r̃/∂r = 1 − tanh²(r/c),   ∂r̃/∂c = tanh(r/c) − (r/c)(1 − tanh²(r/c)).
//!
//! It is the identity for |r| ≪ c and tends to ±c for |r| ≫ c.

use mgrl_core::registry::PluginOption;
use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{MetaParamSpec, PluginEntry, PluginKind, Result, RewardInputs, RewardTransform};
use serde::{Deserialize, Serialize};

use crate::elementwise;

const META: &[MetaParamSpec] = &[MetaParamSpec::positive("threshold", "squashing scale c: r̃ ∈ (−c, c)", 1.0)];

/// Smooth squashing r̃ = c·tanh(r/c) (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftClip {}

inventory::submit! {
    PluginEntry {
        name: "soft_clip",
        kind: PluginKind::RewardTransform,
        description: "smooth reward squashing r̃ = c·tanh(r/c), threshold c learnable",
        meta_params: META,
        options: &[] as &[PluginOption],
    }
}

/// (∂r̃/∂r, ∂r̃/∂c) at one step.
fn partials(r: f64, c: f64) -> (f64, f64) {
    let th = (r / c).tanh();
    let sech2 = 1.0 - th * th;
    (sech2, th - (r / c) * sech2)
}

#[typetag::serde(name = "soft_clip")]
impl RewardTransform for SoftClip {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn apply(&self, x: &RewardInputs) -> Result<Vec<f64>> {
        x.validate(META)?;
        Ok(x.rewards.iter().zip(x.meta[0]).map(|(r, c)| c * (r / c).tanh()).collect())
    }

    fn jvp(&self, x: &RewardInputs, d_rewards: Option<&[f64]>, d_meta: &[Option<&[f64]>]) -> Result<Vec<f64>> {
        x.validate(META)?;
        elementwise::jvp(x, d_rewards, d_meta, partials)
    }

    fn vjp(&self, x: &RewardInputs, cot: &[f64]) -> Result<RewardCotangents> {
        x.validate(META)?;
        elementwise::vjp(x, cot, partials)
    }
}
