//! The reward-transform trait: a map applied to rewards before the return (DESIGN.md §3),
//! r̃ₜ = f(rₜ; ηₜ), such as clipping to [−c, c] or adding a learned reward r_η(s, a).

use crate::return_fn::validate_meta;
use crate::{Batch, MetaParamSpec, Result};

/// The inputs of a reward transform, `[T, B]` arrays.
#[derive(Debug, Clone, Copy)]
pub struct RewardInputs<'a> {
    pub batch: Batch,
    /// rₜ for t ∈ [0, T).
    pub rewards: &'a [f64],
    /// ηₜ, one array per declared meta-parameter, in declaration order. For a
    /// [`crate::MetaKind::Network`] meta-parameter, the network's per-step output.
    pub meta: &'a [&'a [f64]],
}

impl RewardInputs<'_> {
    /// Checks shapes, finiteness and meta-parameter domains.
    pub fn validate(&self, specs: &[MetaParamSpec]) -> Result<()> {
        self.batch.check_steps("rewards", self.rewards)?;
        validate_meta(&self.batch, specs, self.meta)
    }
}

/// Cotangents of a reward transform's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardCotangents {
    pub rewards: Vec<f64>,
    /// One per declared meta-parameter, in declaration order.
    pub meta: Vec<Vec<f64>>,
}

/// A differentiable map of the rewards, registered like a return plugin.
#[typetag::serde(tag = "type")]
pub trait RewardTransform: std::fmt::Debug + Send + Sync {
    /// The meta-parameters this transform reads, in the order of [`RewardInputs::meta`].
    fn meta_params(&self) -> &'static [MetaParamSpec];

    /// r̃ₜ for every step.
    fn apply(&self, x: &RewardInputs) -> Result<Vec<f64>>;

    /// The tangent of r̃ for a tangent of the rewards and of each meta-parameter (`None` is zero).
    fn jvp(&self, x: &RewardInputs, d_rewards: Option<&[f64]>, d_meta: &[Option<&[f64]>]) -> Result<Vec<f64>>;

    /// The cotangents of the rewards and of each meta-parameter for a cotangent of r̃.
    fn vjp(&self, x: &RewardInputs, cot: &[f64]) -> Result<RewardCotangents>;
}
