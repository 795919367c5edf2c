//! Models the learner trains, on dfdx: their parameters as device tensors and the one trait
//! the learner needs of them.

mod actor_critic;
mod params;
mod reward;
mod sparse;

pub use actor_critic::{ActorCritic, NetBatch, NetworkConfig};
pub use params::{scalar, to_f64, upload, Flat, Params};
pub use reward::RewardNet;

use crate::meta::{HeadModel, ParamsOf};
use anyhow::Result;
use rand_chacha::ChaCha8Rng;

/// A model the shared learner trains: a [`HeadModel`] that starts from initial parameters and
/// reads rows of observations.
pub trait Model: HeadModel {
    /// The names of θ's tensors, in order (checkpoints and divergence messages use them).
    fn param_names(&self) -> Vec<String>;

    /// Initial parameters, drawn from `rng` on the host and placed on the model's device.
    fn init(&self, rng: &mut ChaCha8Rng) -> ParamsOf<Self>;

    /// The batch of `obs` (rows of observations, `[R, obs_len]`), of which the first
    /// `actions.len()` rows carry heads (the actions taken there) and the rest only values,
    /// with the network conditioned on `eta` (held constant: no gradient flows into it).
    fn batch(&self, obs: &[f32], actions: &[usize], eta: &[f64]) -> Result<Self::Batch>;

    /// `batch` conditioned on another η; cheap (the observations are shared, not rebuilt).
    fn condition(&self, batch: &Self::Batch, eta: &[f64]) -> Result<Self::Batch>;
}
