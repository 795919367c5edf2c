//! What the meta-optimiser needs of an agent's model: its per-step *heads* as functions of
//! its parameters θ (tensors on the model's device), and the gradient of a weighted sum of them.
//!
//! The inner update of every agent here is linear in its targets (DESIGN.md §2), because it
//! is the gradient of a loss whose targets are constants:
//!
//!   g(θ) = ∇θ Σₜ [ w_pg,t · h_pg,t(θ) + w_v,t · h_v,t(θ) ] + (terms without targets),
//!   h_pg,t = log π_θ(aₜ|xₜ),   h_v,t = V_θ(xₜ),
//!   w_pg,t = −Aₜ / N,          w_v,t = −b (vₜ − V_θ(xₜ)) / N,
//!
//! with N = T·B and b the value cost. So ∂g/∂η = ∇θ Σₜ [ −(∂Aₜ/∂η)/N · h_pg,t − b(∂vₜ/∂η)/N · h_v,t ],
//! a weighted sum of the same heads: one backward pass. The entropy bonus −c·(1/N)Σₜ H(π_θ(·|xₜ))
//! is one of the terms without targets: it enters g, never ∂g/∂η.

use crate::net::Params;
use anyhow::Result;
use dfdx::prelude::{Device, Dtype};
use mgrl_core::Targets;

/// The heads of a model on a batch. The N rows that carry an action and a target come first;
/// the rows after them are there only for their values (bootstraps: the last state of an
/// unroll, the final observation of an episode that ended).
#[derive(Debug, Clone, PartialEq)]
pub struct Heads {
    /// log π_θ(aₜ|xₜ), `[N]`; `None` for a prediction agent, which has no policy.
    pub log_pi: Option<Vec<f64>>,
    /// V_θ(xₜ), `[N]`.
    pub values: Vec<f64>,
    /// H(π_θ(·|xₜ)), `[N]`; `None` without a policy.
    pub entropy: Option<Vec<f64>>,
    /// V_θ of the rows after the first N.
    pub bootstrap: Vec<f64>,
    /// The outer value head V̄_θ, if the model has one.
    pub outer: Option<OuterValues>,
}

/// The outer value head V̄_θ of Bonnet, Sreeram, Garg & Gretton (2022), "Debiasing
/// meta-gradient reinforcement learning by learning the outer value function": a second value
/// head, regressed towards the meta-objective's targets (under η̄), on which J′ bootstraps.
#[derive(Debug, Clone, PartialEq)]
pub struct OuterValues {
    /// V̄_θ(xₜ), `[N]`.
    pub values: Vec<f64>,
    /// V̄_θ of the rows after the first N.
    pub bootstrap: Vec<f64>,
}

impl Heads {
    /// The heads with the outer value head in place of the value head (J′'s view); the
    /// heads themselves when there is no outer head.
    pub fn outer_view(&self) -> Heads {
        match &self.outer {
            Some(o) => Heads { values: o.values.clone(), bootstrap: o.bootstrap.clone(), outer: None, ..self.clone() },
            None => self.clone(),
        }
    }
}

/// Per-step weights of the heads, and the weight of the summed entropy Σₜ H(π_θ(·|xₜ)), the
/// one term of the losses here that has no target.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadWeights {
    pub log_pi: Option<Vec<f64>>,
    pub values: Vec<f64>,
    pub entropy: f64,
    /// Weights of the outer value head V̄_θ(xₜ), if it is in the loss.
    pub outer: Option<Vec<f64>>,
}

/// θ of a model, on its device.
pub type ParamsOf<M> = Params<<M as HeadModel>::Dtype, <M as HeadModel>::Device>;

/// A differentiable model seen through its heads. `Batch` is whatever the model reads
/// (observations, actions, the η it is conditioned on), already on its device.
pub trait HeadModel {
    type Dtype: Dtype;
    type Device: Device<Self::Dtype>;
    type Batch;

    /// The heads at parameters θ.
    fn heads(&self, params: &ParamsOf<Self>, batch: &Self::Batch) -> Result<Heads>;

    /// ∇θ [Σₜ (w_pg,t h_pg,t(θ) + w_v,t h_v,t(θ)) + w_H Σₜ Hₜ(θ)] at θ: one backward pass.
    fn weighted_grad(&self, params: &ParamsOf<Self>, batch: &Self::Batch, w: &HeadWeights) -> Result<ParamsOf<Self>>;

    /// The heads at θ, and the gradient of [`Self::weighted_grad`] with the weights that
    /// `weights` makes of those heads (the targets of a loss depend on its values). A model
    /// that can keeps its forward pass for the backward one; this default runs two.
    fn heads_and_grad(
        &self,
        params: &ParamsOf<Self>,
        batch: &Self::Batch,
        weights: &mut dyn FnMut(&Heads) -> Result<HeadWeights>,
    ) -> Result<(Heads, ParamsOf<Self>)> {
        let heads = self.heads(params, batch)?;
        let w = weights(&heads)?;
        Ok((heads, self.weighted_grad(params, batch, &w)?))
    }
}

/// The inner loss's form: the value regression with cost `value_cost`, the policy gradient
/// when `policy` is set, and the entropy bonus with cost `entropy_cost`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetLoss {
    pub value_cost: f64,
    pub policy: bool,
    pub entropy_cost: f64,
}

impl TargetLoss {
    /// Value regression alone, as a prediction agent learns.
    pub const VALUE: TargetLoss = TargetLoss { value_cost: 1.0, policy: false, entropy_cost: 0.0 };

    /// The loss  (1/N) Σₜ [ b/2 (vₜ − V(xₜ))² − Aₜ log π(aₜ|xₜ) − c H(π(·|xₜ)) ]  with
    /// targets held constant.
    pub fn value(&self, targets: &Targets, heads: &Heads) -> f64 {
        let n = targets.values.len() as f64;
        let mut sum: f64 =
            targets.values.iter().zip(&heads.values).map(|(v, h)| 0.5 * self.value_cost * (v - h).powi(2)).sum();
        if let (true, Some(log_pi)) = (self.policy, &heads.log_pi) {
            sum -= targets.advantages.iter().zip(log_pi).map(|(a, l)| a * l).sum::<f64>();
        }
        if let (true, Some(entropy)) = (self.policy, &heads.entropy) {
            sum -= self.entropy_cost * entropy.iter().sum::<f64>();
        }
        sum / n
    }

    /// The weights of the outer value head's regression (1/N) Σₜ b/2 (v̄ₜ − V̄(xₜ))² towards
    /// targets v̄ that no η moves: a term without targets in the sense of the module doc.
    pub fn outer_weights(&self, targets: &Targets, outer: &OuterValues) -> Vec<f64> {
        let n = targets.values.len() as f64;
        targets.values.iter().zip(&outer.values).map(|(v, h)| -self.value_cost * (v - h) / n).collect()
    }

    /// The weights whose weighted-heads gradient is the loss's gradient.
    pub fn weights(&self, targets: &Targets, heads: &Heads) -> HeadWeights {
        let n = targets.values.len() as f64;
        HeadWeights {
            log_pi: self.policy.then(|| targets.advantages.iter().map(|a| -a / n).collect()),
            values: targets.values.iter().zip(&heads.values).map(|(v, h)| -self.value_cost * (v - h) / n).collect(),
            entropy: if self.policy { -self.entropy_cost / n } else { 0.0 },
            outer: None,
        }
    }

    /// The derivative of [`Self::weights`] along a tangent of the targets (the entropy's
    /// weight has no target, so its tangent is 0).
    pub fn weight_tangents(&self, d_targets: &Targets) -> HeadWeights {
        let n = d_targets.values.len() as f64;
        HeadWeights {
            log_pi: self.policy.then(|| d_targets.advantages.iter().map(|a| -a / n).collect()),
            values: d_targets.values.iter().map(|v| -self.value_cost * v / n).collect(),
            entropy: 0.0,
            outer: None,
        }
    }

    /// The transpose of [`Self::weight_tangents`]: the cotangent of the targets for a
    /// cotangent (c_pg, c_v) of the weights.
    pub fn target_cotangents(&self, c_log_pi: Option<&[f64]>, c_values: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = c_values.len() as f64;
        let values = c_values.iter().map(|c| -self.value_cost * c / n).collect();
        let advantages = match (self.policy, c_log_pi) {
            (true, Some(c)) => c.iter().map(|c| -c / n).collect(),
            _ => vec![0.0; c_values.len()],
        };
        (values, advantages)
    }
}
