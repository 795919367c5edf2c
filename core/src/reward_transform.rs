//! The reward-transform trait: a map applied to rewards before the return (DESIGN.md §3),
//! r̃ₜ = f(rₜ; ηₜ), such as clipping to [−c, c] or adding a learned reward r_η(s, a).

use crate::{Batch, MetaParamSpec, MetaValues, Result};

/// The inputs of a reward transform: `[T, B]` rewards and the meta-parameters by name.
#[derive(Debug, Clone, Copy)]
pub struct RewardInputs<'a> {
    pub batch: Batch,
    /// rₜ for t ∈ [0, T).
    pub rewards: &'a [f64],
    /// ηₜ of every declared meta-parameter, by name. For a [`crate::MetaKind::Network`]
    /// meta-parameter, the network's per-step output.
    pub meta: &'a MetaValues,
}

impl RewardInputs<'_> {
    /// Checks shapes, finiteness and meta-parameter domains.
    pub fn validate(&self, specs: &[MetaParamSpec]) -> Result<()> {
        self.batch.check_steps("rewards", self.rewards)?;
        self.meta.validate(&self.batch, specs)
    }
}

/// Cotangents of a reward transform's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardCotangents {
    pub rewards: Vec<f64>,
    /// One per declared meta-parameter, by name.
    pub meta: MetaValues,
}

/// A differentiable map of the rewards, registered like a return plugin ([`crate::plugin`]).
#[typetag::serde(tag = "type")]
pub trait RewardTransform: std::fmt::Debug + Send + Sync {
    /// The meta-parameters this transform reads (written by [`crate::plugin`]).
    fn meta_params(&self) -> &'static [MetaParamSpec];

    /// r̃ₜ for every step.
    fn apply(&self, x: &RewardInputs) -> Result<Vec<f64>>;

    /// The tangent of r̃ for a tangent of the rewards (`None` is zero) and of the
    /// meta-parameters, by name (one left out is zero).
    fn jvp(&self, x: &RewardInputs, d_rewards: Option<&[f64]>, d_meta: &MetaValues) -> Result<Vec<f64>>;

    /// The cotangents of the rewards and of each meta-parameter for a cotangent of r̃.
    fn vjp(&self, x: &RewardInputs, cot: &[f64]) -> Result<RewardCotangents>;
}
