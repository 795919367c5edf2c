//! The learner every agent shares: the inner step on τ, then the meta-step on τ′, written
//! once (Xu, van Hasselt & Silver 2018, §2 and Algorithm 1; DESIGN.md §2).
//!
//!   1. heads of θ on τ, the network conditioned on η; targets (vₜ, Aₜ) = G(τ; η);
//!   2. g = κ ∇θ L(τ, θ, η), κ = min(1, c / ‖∇θ L‖) (IMPALA's global-norm clipping);
//!      θ′ = θ + o − s ⊙ g, with the optimiser's offset o and scale s;
//!   3. τ′, the next unroll (acted with θ′); heads of θ′ on τ′ conditioned on η̄;
//!      J′ = L(τ′, θ′, η̄) with targets under η̄, g′ = ∇θ′ J′;
//!   4. dJ′/dη = −(κ s ⊙ g′)ᵀ ∂g/∂η by the meta-optimiser, κ, s, o and the η input of the
//!      network held fixed; η ← Adam(dJ′/dη);
//!   5. τ′ is the τ of the next update.
//!
//! Nothing the size of θ leaves the model's device: only `[T, B]` arrays (heads, targets,
//! weights) cross to the return plugins, and scalars (norms, inner products) come back.

use crate::agent::{Divergence, UpdateReport};
mod checkpoint;

use crate::meta::{
    Evaluation, HeadModel, Heads, InnerStep, MetaOptimiser, ParamsOf, ReturnPipeline, TargetLoss, Trajectory,
};
use crate::net::{scalar, Model, Params, RewardNet};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::unroll::Unroll;
use anyhow::{bail, Result};
use dfdx::prelude::{Device, Dtype};
use mgrl_core::config::MetaConfig;
use rand_chacha::ChaCha8Rng;

/// How an agent acts for the learner: `act(θ, η)` steps its environments under the policy of θ
/// conditioned on η and returns the unroll.
pub type Act<'a, M> = dyn FnMut(&ParamsOf<M>, &[f64]) -> Result<Unroll> + 'a;

/// How the learner's loss and step are shaped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnerOptions {
    /// The inner loss (value cost, policy gradient, entropy cost).
    pub loss: TargetLoss,
    /// c of global-norm gradient clipping; `None` for none.
    pub max_grad_norm: Option<f64>,
    /// Whether the network takes η as an input (J′ then evaluates it with η̄).
    pub eta_conditioning: bool,
    /// Whether the network has the outer value head V̄ of Bonnet et al. (2022): the inner loss
    /// also regresses V̄ towards the meta-objective's targets (under η̄, bootstrapping on V̄),
    /// and J′ bootstraps on and regresses V̄ instead of V.
    pub outer_value: bool,
}

/// τ as the model and the return saw it in the inner step.
struct Evaluated<M: HeadModel> {
    batch: M::Batch,
    traj: Trajectory,
}

/// The learned reward's network r_η, its weights η and their Adam state.
struct LearnedReward<E: Dtype, D: Device<E>> {
    net: RewardNet<E, D>,
    params: Params<E, D>,
    adam: Optimizer<E, D>,
}

/// A model, its parameters and optimiser, the return pipeline and the meta-optimiser.
pub struct Learner<M: Model> {
    pub model: M,
    pub params: ParamsOf<M>,
    optim: Optimizer<M::Dtype, M::Device>,
    pub pipeline: ReturnPipeline,
    meta: Option<MetaOptimiser<M::Dtype, M::Device>>,
    options: LearnerOptions,
    /// τ′ of the last meta-step, with the model's batch of it: the τ of the next update.
    pending: Option<(Unroll, M::Batch)>,
    /// The network behind a learned reward, when the pipeline has one.
    reward: Option<LearnedReward<M::Dtype, M::Device>>,
    /// dJ′/dx of the last meta-step, one per learnt number (in the order of
    /// [`ReturnPipeline::learnt_names`]).
    pub last_meta_gradient: Vec<f64>,
    /// dJ′/dη of the last meta-step for the learned reward's network.
    pub last_reward_gradient: Option<ParamsOf<M>>,
}

impl<M: Model> Learner<M> {
    /// A learner with θ drawn by the model from `rng`.
    pub fn new(
        model: M,
        rng: &mut ChaCha8Rng,
        optimizer: OptimizerConfig,
        pipeline: ReturnPipeline,
        meta: Option<&MetaConfig>,
        n_states: Option<usize>,
        options: LearnerOptions,
    ) -> Result<Self> {
        let params = model.init(rng);
        // With nothing learnt (and no outer value head to train on J′'s targets) a meta-step
        // would only cost time: `[meta]` is then left unused.
        let learns = pipeline.num_learnt() > 0 || !pipeline.networks().is_empty() || options.outer_value;
        let meta = match meta {
            Some(cfg) if learns => {
                let mut meta = MetaOptimiser::new(cfg, options.loss, &pipeline, n_states)?;
                meta.outer_value = options.outer_value;
                Some(meta)
            }
            None if options.outer_value => {
                bail!("the outer value head learns the meta-objective's targets: it needs [meta]")
            }
            Some(_) | None => None,
        };
        Ok(Learner {
            optim: Optimizer::new(optimizer, &params),
            params,
            model,
            pipeline,
            meta,
            options,
            pending: None,
            reward: None,
            last_meta_gradient: Vec::new(),
            last_reward_gradient: None,
        })
    }

    /// Gives the learner the network r_η(x, a) behind the pipeline's learned reward, its
    /// weights drawn from `rng` and learnt by Adam at `lr` (the meta learning rate).
    pub fn with_reward_network(mut self, net: RewardNet<M::Dtype, M::Device>, rng: &mut ChaCha8Rng, lr: f64) -> Self {
        let params = net.init(rng);
        self.reward = Some(LearnedReward { adam: Optimizer::new(OptimizerConfig::adam(lr), &params), params, net });
        self
    }

    /// The learned reward network's weights η, if any.
    pub fn reward_params(&self) -> Option<&ParamsOf<M>> {
        self.reward.as_ref().map(|r| &r.params)
    }

    /// The inner optimiser (its moments).
    pub fn optimizer(&self) -> &Optimizer<M::Dtype, M::Device> {
        &self.optim
    }

    /// The names of the meta-parameters the network is conditioned on.
    pub fn eta_names(&self) -> Vec<String> {
        eta_names(&self.pipeline, self.options.eta_conditioning)
    }

    /// η, the current values of [`Self::eta_names`].
    pub fn eta(&self) -> Vec<f64> {
        let values = self.pipeline.meta_values();
        self.eta_names().iter().map(|n| values.iter().find(|(m, _)| m == n).map_or(0.0, |(_, v)| *v)).collect()
    }

    /// η̄: the meta-objective's value of each name of η, or η's own where the objective's
    /// return does not declare it (a reward transform's threshold, say).
    fn eta_bar(&self, meta: &MetaOptimiser<M::Dtype, M::Device>) -> Vec<f64> {
        let reference = meta.objective.meta_values();
        self.eta_names()
            .iter()
            .zip(self.eta())
            .map(|(n, v)| reference.iter().find(|(m, _)| m == n).map_or(v, |(_, r)| *r))
            .collect()
    }

    /// The model's batch of an unroll, conditioned on η.
    fn batch(&self, unroll: &Unroll, eta: &[f64]) -> Result<M::Batch> {
        self.model.batch(&unroll.rows(), &unroll.actions, eta)
    }

    /// The return's view of an unroll under `heads`, with the learned reward's outputs.
    fn trajectory(&self, unroll: &Unroll, heads: &Heads) -> Result<Trajectory> {
        check_heads(heads)?;
        let mut traj = unroll.trajectory(heads)?;
        match (&self.reward, self.pipeline.networks().first()) {
            (Some(r), _) => traj.network_meta = vec![r.net.rewards(&r.params, &unroll.obs, &unroll.actions)?],
            (None, Some((name, _))) => bail!("`{name}` is produced by a network, which this agent does not have"),
            (None, None) => {}
        }
        Ok(traj)
    }

    /// One update: the inner step on τ (the pending unroll, or one collected now), and, with
    /// a meta-optimiser, the meta-step on τ′. `collect(θ, η)` acts with θ conditioned on η.
    pub fn update(&mut self, collect: &mut Act<M>) -> Result<UpdateReport> {
        let mut report = UpdateReport::default();
        let eta = self.eta();
        let (tau_unroll, batch) = match self.pending.take() {
            Some((u, batch)) => {
                let batch = self.model.condition(&batch, &eta)?;
                (u, batch)
            }
            None => {
                let u = collect(&self.params, &eta)?;
                report.frames += (u.t * u.b) as u64;
                let batch = self.batch(&u, &eta)?;
                (u, batch)
            }
        };
        // Heads of θ on τ, targets, and g in one pass of the model.
        let mut evaluated = None;
        let (heads, g) = self.model.heads_and_grad(&self.params, &batch, &mut |heads| {
            let traj = self.trajectory(&tau_unroll, heads)?;
            let evaluation = self.pipeline.evaluate(&traj)?;
            let mut w = self.options.loss.weights(&evaluation.targets, heads);
            let mut outer_loss = None;
            if let (Some(outer), Some(meta)) = (&heads.outer, &self.meta) {
                // V̄ regresses towards the targets of J′'s return under η̄, bootstrapping on V̄.
                let outer_view = heads.outer_view();
                let targets = meta.objective.evaluate(&tau_unroll.trajectory(&outer_view)?)?.targets;
                let loss = TargetLoss { policy: false, ..self.options.loss };
                outer_loss = Some(loss.value(&targets, &outer_view));
                w.outer = Some(self.options.loss.outer_weights(&targets, outer));
            }
            evaluated = Some((traj, evaluation, outer_loss));
            Ok(w)
        })?;
        let (traj, evaluation, outer_loss) = evaluated.expect("the weights were asked for");
        report.scalars.push(("loss".into(), self.options.loss.value(&evaluation.targets, &heads)));
        if let Some(h) = &heads.entropy {
            report.scalars.push(("entropy".into(), h.iter().sum::<f64>() / h.len() as f64));
        }
        if let Some(l) = outer_loss {
            report.scalars.push(("outer_value_loss".into(), l));
        }
        let tau = Evaluated { batch, traj };
        check_finite(&g, &self.model.param_names(), "the gradient of")?;
        let norm = g.norm();
        report.scalars.push(("grad_norm".into(), norm));
        // κ = min(1, c/‖g‖), held fixed: it scales the step like the preconditioner.
        let kappa = self.options.max_grad_norm.map_or(1.0, |c| (c / norm).min(1.0));
        let g = if kappa < 1.0 { g.map(|t| t * scalar::<M::Dtype>(kappa)) } else { g };
        let step = self.optim.prepare(&g);
        let scale = if kappa < 1.0 { step.scale.map(|s| s * scalar::<M::Dtype>(kappa)) } else { step.scale.clone() };
        let theta = self.params.clone();
        self.optim.commit(step, &mut self.params);
        check_finite(&self.params, &self.model.param_names(), "parameter")?;

        if let Some(mut meta) = self.meta.take() {
            let result =
                self.meta_step(&mut meta, &mut report, collect, (&theta, &tau, &tau_unroll, &evaluation, &scale));
            self.meta = Some(meta);
            result?;
        }
        Ok(report)
    }

    /// Steps 3 and 4 of the module doc.
    fn meta_step(
        &mut self,
        meta: &mut MetaOptimiser<M::Dtype, M::Device>,
        report: &mut UpdateReport,
        collect: &mut Act<M>,
        (theta, tau, tau_unroll, evaluation, scale): (&ParamsOf<M>, &Evaluated<M>, &Unroll, &Evaluation, &ParamsOf<M>),
    ) -> Result<()> {
        let next_unroll = if meta.next_batch {
            let u = collect(&self.params, &self.eta())?;
            report.frames += (u.t * u.b) as u64;
            u
        } else {
            tau_unroll.clone()
        };
        let next_batch = self.batch(&next_unroll, &self.eta_bar(meta))?;
        // Heads of θ′ on τ′ and g′ in one pass; J′ bootstraps on V̄ when there is one.
        let mut objective = 0.0;
        let (_, g_prime) = self.model.heads_and_grad(&self.params, &next_batch, &mut |heads| {
            check_heads(heads)?;
            let heads = heads.outer_view();
            let (value, w) = meta.objective_weights(&next_unroll.trajectory(&heads)?, &heads)?;
            objective = value;
            Ok(w)
        })?;
        let inner = InnerStep {
            model: &self.model,
            params: theta,
            batch: &tau.batch,
            traj: &tau.traj,
            evaluation,
            loss: self.options.loss,
            scale,
        };
        let grad = meta.gradient(&self.pipeline, &inner, &g_prime)?;
        report.scalars.push(("meta_objective".into(), objective));
        report.scalars.push(("meta_grad_norm".into(), grad.learnt.iter().map(|g| g * g).sum::<f64>().sqrt()));
        meta.apply(&mut self.pipeline, &grad.learnt)?;
        self.last_meta_gradient = grad.learnt;
        if let (Some(r), Some(cot)) = (&mut self.reward, grad.networks.first()) {
            // dJ′/dη = ∇η Σₜ cₜ r_η(xₜ, aₜ) on τ, then Adam on η.
            let g = r.net.pullback(&r.params, &tau_unroll.obs, &tau_unroll.actions, cot)?;
            report.scalars.push(("reward_meta_grad_norm".into(), g.norm()));
            let step = r.adam.prepare(&g);
            r.adam.commit(step, &mut r.params);
            check_finite(&r.params, &r.net.param_names(), "the learned reward's parameter")?;
            self.last_reward_gradient = Some(g);
        }
        if meta.next_batch {
            self.pending = Some((next_unroll, next_batch));
        }
        Ok(())
    }
}

/// The meta-parameters a network is conditioned on: every learnt scalar of `pipeline` (per-state
/// tables are not inputs), none when `conditioning` is off.
pub fn eta_names(pipeline: &ReturnPipeline, conditioning: bool) -> Vec<String> {
    if !conditioning {
        return Vec::new();
    }
    pipeline.learnt_names().into_iter().filter(|n| !n.contains('[')).collect()
}

/// A [`Divergence`] naming the first tensor of `p` (named by `names`) that is not finite.
fn check_finite<E: Dtype, D: Device<E>>(p: &Params<E, D>, names: &[String], what: &str) -> Result<()> {
    match p.first_non_finite() {
        None => Ok(()),
        Some(i) => {
            let name = names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
            Err(Divergence { quantity: format!("{what} `{name}`"), detail: "NaN or infinite entries".into() }.into())
        }
    }
}

/// A NaN or infinity in a network's output stops the run, naming the head.
fn check_heads(heads: &Heads) -> Result<()> {
    let named = [
        ("value head", Some(&heads.values)),
        ("value head (bootstrap rows)", Some(&heads.bootstrap)),
        ("policy log-probabilities", heads.log_pi.as_ref()),
    ];
    for (what, x) in named {
        if let Some(i) = x.and_then(|x| x.iter().position(|v| !v.is_finite())) {
            return Err(Divergence {
                quantity: format!("the network's {what}"),
                detail: format!("row {i} is not finite"),
            }
            .into());
        }
    }
    Ok(())
}
