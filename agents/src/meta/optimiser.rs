//! The meta-optimiser (DESIGN.md §2; Xu, van Hasselt & Silver 2018, "Meta-Gradient
//! Reinforcement Learning", eq. 1–4).
//!
//! After an inner step θ′ = θ + o − s ⊙ g(τ, θ, η) it computes, for every learnt number x
//! behind the meta-parameters (η = squash(x)),
//!
//!   dJ′/dx = g′ᵀ dθ′/dx = −(s ⊙ g′)ᵀ ∂g/∂x,     g′ = ∂J′(τ′, θ′, η̄)/∂θ′,
//!
//! with first-order gradients only, by one of two exact methods:
//!
//! (a) surrogate: for each x_k, the return's JVP gives ∂(v, A)/∂x_k; the weighted-heads
//!     gradient with the matching weights is ∂g/∂x_k (one backward pass per number);
//! (b) cotangent: cₜ = ∇θ hₜ · (s ⊙ g′) for every head, by a central difference of the heads
//!     along d = s ⊙ g′ (two forward passes), then one VJP of the return for all numbers.
//!
//! It never names a concrete return: the pipeline's plugins supply the JVP and VJP.

use super::{HeadModel, HeadWeights, Heads, ParamsOf, PipelineCotangents, ReturnPipeline, TargetLoss, Trajectory};
use crate::meta::pipeline::Evaluation;
use crate::net::Params;
use crate::optim::{Optimizer, OptimizerConfig, OptimizerState};
use crate::Divergence;
use anyhow::{bail, Result};
use dfdx::prelude::{Cpu, Device, Dtype};
use mgrl_core::config::{MetaConfig, MetaMethod};
use mgrl_core::TargetCotangents;

/// Relative size of the central-difference step of method (b): ε = STEP·max(‖θ‖, 1)/‖d‖.
/// Its error is O(ε²): below 1e-8 relative in f64 for smooth heads, exact for linear ones.
const DIRECTIONAL_STEP: f64 = 1e-4;

/// The inner step just taken, as the meta-gradient needs it.
pub struct InnerStep<'a, M: HeadModel> {
    pub model: &'a M,
    /// θ, before the step.
    pub params: &'a ParamsOf<M>,
    /// τ, as the model reads it.
    pub batch: &'a M::Batch,
    /// τ, as the return reads it.
    pub traj: &'a Trajectory,
    /// The pipeline's evaluation on τ (its targets made g).
    pub evaluation: &'a Evaluation,
    /// The loss whose gradient g was.
    pub loss: TargetLoss,
    /// s of Δθ = o − s ⊙ g, the preconditioned learning rate (times a gradient-clipping
    /// factor, if any) held fixed.
    pub scale: &'a ParamsOf<M>,
}

/// The learnt numbers x as one host tensor, for Adam.
fn host(x: &[f64]) -> Params<f64, Cpu> {
    Params::from_host(&Cpu::default(), &[x.to_vec()])
}

/// Learns the meta-parameters of a [`ReturnPipeline`] by the gradient of J′. `E` and `D` are
/// the dtype and device of the agent's θ (for the traces of method (a) with μ > 0).
#[derive(Debug)]
pub struct MetaOptimiser<E: Dtype, D: Device<E>> {
    /// The meta-objective's return, with the reference values η̄.
    pub objective: ReturnPipeline,
    /// The form of J′ (value regression, policy gradient, entropy) as a target loss.
    pub objective_loss: TargetLoss,
    /// Whether J′ uses the next batch τ′ (else τ itself).
    pub next_batch: bool,
    /// Whether J′ regresses the outer value head V̄ (Bonnet et al. 2022) instead of V: the
    /// heads given to [`Self::objective`] are then the outer view ([`Heads::outer_view`]).
    pub outer_value: bool,
    method: MetaMethod,
    adam: Optimizer<f64, Cpu>,
    trace_decay: f64,
    /// z_k = μ z_k + dθ′/dx_k, one per learnt number (method (a) with μ > 0).
    traces: Vec<Params<E, D>>,
}

impl<E: Dtype, D: Device<E>> MetaOptimiser<E, D> {
    /// The meta-optimiser of a `[meta]` section for the learnt numbers and network outputs of
    /// `pipeline`.
    pub fn new(
        cfg: &MetaConfig,
        objective_loss: TargetLoss,
        pipeline: &ReturnPipeline,
        n_states: Option<usize>,
    ) -> Result<Self> {
        let (learnt, networks) = (pipeline.num_learnt(), pipeline.networks());
        let method = match cfg.method {
            // Method (b) costs two forward passes whatever is learnt, (a) a backward pass
            // (about three forward passes) per learnt number; (a) alone keeps μ's trace.
            MetaMethod::Auto if cfg.trace_decay > 0.0 => MetaMethod::Surrogate,
            MetaMethod::Auto => MetaMethod::Cotangent,
            m => m,
        };
        if let (MetaMethod::Surrogate, Some((name, _))) = (method, networks.first()) {
            bail!(
                "`{name}` is produced by a network, whose weights only method (b) learns: set [meta] method = \"cotangent\" \
                 (or \"auto\") and trace_decay = 0"
            );
        }
        Ok(MetaOptimiser {
            objective: ReturnPipeline::from_return(&cfg.objective, n_states)?,
            objective_loss,
            next_batch: cfg.next_batch,
            outer_value: false,
            method,
            adam: Optimizer::new(OptimizerConfig::adam(cfg.lr), &host(&vec![0.0; learnt])),
            trace_decay: cfg.trace_decay,
            traces: Vec::new(),
        })
    }

    /// The method in use after resolving `auto`.
    pub fn method(&self) -> MetaMethod {
        self.method
    }

    /// J′(τ′, θ′, η̄) and the weights of the heads whose weighted gradient is g′ = ∂J′/∂θ′,
    /// given the heads of θ′ on τ′ (`traj` holds their values). The targets of J′ are
    /// constants, computed once here.
    pub fn objective_weights(&self, traj: &Trajectory, heads: &Heads) -> Result<(f64, HeadWeights)> {
        let targets = self.objective.evaluate(traj)?.targets;
        let mut w = self.objective_loss.weights(&targets, heads);
        if self.outer_value {
            w.outer = Some(std::mem::replace(&mut w.values, vec![0.0; targets.values.len()]));
        }
        Ok((self.objective_loss.value(&targets, heads), w))
    }

    /// dJ′/dx for every learnt number of `pipeline`, and dJ′/d(output) for every network
    /// output, given g′.
    pub fn gradient<M: HeadModel<Dtype = E, Device = D>>(
        &mut self,
        pipeline: &ReturnPipeline,
        step: &InnerStep<M>,
        g_prime: &ParamsOf<M>,
    ) -> Result<PipelineCotangents> {
        let learnt = pipeline.num_learnt();
        match self.method {
            MetaMethod::Cotangent => cotangent_gradient(pipeline, step, g_prime),
            _ => {
                if self.traces.len() != learnt {
                    self.traces = vec![g_prime.zeros_like(); learnt];
                }
                let mut grad = Vec::with_capacity(learnt);
                for (k, trace) in self.traces.iter_mut().enumerate() {
                    let d_targets = pipeline.jvp(step.traj, step.evaluation, k)?;
                    let w = step.loss.weight_tangents(&d_targets);
                    let dg = step.model.weighted_grad(step.params, step.batch, &w)?;
                    // dθ′/dx_k = −s ⊙ ∂g/∂x_k, accumulated into the trace z_k = μ z_k + dθ′/dx_k.
                    let s_dg = step.scale.zip(&dg, |s, d| s * d);
                    *trace = trace.map(|z| z * crate::net::scalar::<E>(self.trace_decay)).add_scaled(&s_dg, -1.0);
                    grad.push(g_prime.dot(trace));
                }
                Ok(PipelineCotangents { learnt: grad, networks: Vec::new() })
            }
        }
    }

    /// One Adam step on the learnt numbers, descending J′; a meta-parameter that stops being
    /// finite or leaves its domain stops the run with its name.
    pub fn apply(&mut self, pipeline: &mut ReturnPipeline, grad: &[f64]) -> Result<()> {
        if let Some(i) = grad.iter().position(|g| !g.is_finite()) {
            return Err(
                Divergence { quantity: format!("meta-gradient[{i}]"), detail: format!("value {}", grad[i]) }.into()
            );
        }
        if grad.is_empty() {
            return Ok(()); // nothing learnt but a network's weights, which the agent steps
        }
        let mut x = host(&pipeline.params());
        let step = self.adam.prepare(&host(grad));
        self.adam.commit(step, &mut x);
        let x = x.to_host().remove(0);
        let names = pipeline.learnt_names();
        if let Some(i) = x.iter().position(|x| !x.is_finite()) {
            let quantity = format!("{} (its unconstrained number x)", names[i]);
            return Err(Divergence { quantity, detail: format!("x = {} after the meta-update", x[i]) }.into());
        }
        pipeline.set_params(&x)?;
        for (name, v) in pipeline.meta_values() {
            if !v.is_finite() {
                return Err(Divergence { quantity: name, detail: format!("value {v} after the meta-update") }.into());
            }
        }
        Ok(())
    }

    /// The Adam state on the learnt numbers, and the traces, for checkpoints.
    pub fn state(&self) -> (&OptimizerState<f64, Cpu>, &[Params<E, D>]) {
        (&self.adam.state, &self.traces)
    }

    /// Restores [`Self::state`].
    pub fn restore(&mut self, adam: OptimizerState<f64, Cpu>, traces: Vec<Params<E, D>>) {
        self.adam.state = adam;
        self.traces = traces;
    }
}

/// Method (b): per-step cotangents of the heads along d = s ⊙ g′, then one VJP.
fn cotangent_gradient<M: HeadModel>(
    pipeline: &ReturnPipeline,
    step: &InnerStep<M>,
    g_prime: &ParamsOf<M>,
) -> Result<PipelineCotangents> {
    let d = step.scale.zip(g_prime, |s, g| s * g);
    let d_norm = d.norm();
    if d_norm == 0.0 {
        let networks = vec![vec![0.0; step.traj.batch().len()]; pipeline.networks().len()];
        return Ok(PipelineCotangents { learnt: vec![0.0; pipeline.num_learnt()], networks });
    }
    let eps = DIRECTIONAL_STEP * step.params.norm().max(1.0) / d_norm;
    let plus = step.model.heads(&step.params.add_scaled(&d, eps), step.batch)?;
    let minus = step.model.heads(&step.params.add_scaled(&d, -eps), step.batch)?;
    let diff = |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(a, b)| (a - b) / (2.0 * eps)).collect() };
    let c_values = diff(&plus.values, &minus.values);
    let c_log_pi = match (&plus.log_pi, &minus.log_pi) {
        (Some(p), Some(m)) => Some(diff(p, m)),
        _ => None,
    };
    // dJ′/dx = −Σₜ (∂wₜ/∂x) cₜ: the transpose of the weight tangents, negated.
    let (values, advantages) = step.loss.target_cotangents(c_log_pi.as_deref(), &c_values);
    let neg = |v: Vec<f64>| -> Vec<f64> { v.into_iter().map(|x| -x).collect() };
    let (values, advantages) = (neg(values), neg(advantages));
    pipeline.vjp(step.traj, step.evaluation, &TargetCotangents { values: &values, advantages: &advantages })
}
