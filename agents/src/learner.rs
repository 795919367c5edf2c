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

use crate::actor::Actor;
use crate::agent::{AgentState, Divergence, StateTensor, UpdateReport};
use crate::meta::{
    Evaluation, HeadModel, Heads, InnerStep, MetaOptimiser, ParamsOf, ReturnPipeline, TargetLoss, Trajectory,
};
use crate::net::{scalar, Model, Params, RewardNet};
use crate::optim::{Optimizer, OptimizerConfig, OptimizerState};
use crate::unroll::Unroll;
use anyhow::{bail, ensure, Context, Result};
use dfdx::prelude::{Cpu, Device, Dtype, HasShape};
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

/// An unroll as a model and the return see it under some θ and η.
struct Evaluated<M: HeadModel> {
    batch: M::Batch,
    heads: Heads,
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
        let meta = match meta {
            Some(cfg) => {
                let mut meta = MetaOptimiser::new(cfg, options.loss, &pipeline, n_states)?;
                meta.outer_value = options.outer_value;
                Some(meta)
            }
            None if options.outer_value => {
                bail!("the outer value head learns the meta-objective's targets: it needs [meta]")
            }
            None => None,
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

    /// The learned reward's network, if any.
    pub fn reward_network(&self) -> Option<&RewardNet<M::Dtype, M::Device>> {
        self.reward.as_ref().map(|r| &r.net)
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

    fn evaluate(&self, unroll: &Unroll, batch: M::Batch, params: &ParamsOf<M>) -> Result<Evaluated<M>> {
        let heads = self.model.heads(params, &batch)?;
        check_heads(&heads)?;
        let mut traj = unroll.trajectory(&heads)?;
        match (&self.reward, self.pipeline.networks().first()) {
            (Some(r), _) => traj.network_meta = vec![r.net.rewards(&r.params, &unroll.obs, &unroll.actions)?],
            (None, Some((name, _))) => bail!("`{name}` is produced by a network, which this agent does not have"),
            (None, None) => {}
        }
        Ok(Evaluated { traj, batch, heads })
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
        let tau = self.evaluate(&tau_unroll, batch, &self.params)?;
        let evaluation = self.pipeline.evaluate(&tau.traj)?;
        report.scalars.push(("loss".into(), self.options.loss.value(&evaluation.targets, &tau.heads)));
        if let Some(h) = &tau.heads.entropy {
            report.scalars.push(("entropy".into(), h.iter().sum::<f64>() / h.len() as f64));
        }

        let mut w = self.options.loss.weights(&evaluation.targets, &tau.heads);
        if let (Some(outer), Some(meta)) = (&tau.heads.outer, &self.meta) {
            // V̄ regresses towards the targets of J′'s return under η̄, bootstrapping on V̄.
            let targets = meta.objective.evaluate(&tau_unroll.trajectory(&tau.heads.outer_view())?)?.targets;
            let outer_loss = TargetLoss { policy: false, ..self.options.loss };
            report.scalars.push(("outer_value_loss".into(), outer_loss.value(&targets, &tau.heads.outer_view())));
            w.outer = Some(self.options.loss.outer_weights(&targets, outer));
        }
        let g = self.model.weighted_grad(&self.params, &tau.batch, &w)?;
        self.check_finite(&g, "the gradient of")?;
        let norm = g.norm();
        report.scalars.push(("grad_norm".into(), norm));
        // κ = min(1, c/‖g‖), held fixed: it scales the step like the preconditioner.
        let kappa = self.options.max_grad_norm.map_or(1.0, |c| (c / norm).min(1.0));
        let g = if kappa < 1.0 { g.map(|t| t * scalar::<M::Dtype>(kappa)) } else { g };
        let step = self.optim.prepare(&g);
        let scale = if kappa < 1.0 { step.scale.map(|s| s * scalar::<M::Dtype>(kappa)) } else { step.scale.clone() };
        let theta = self.params.clone();
        self.optim.commit(step, &mut self.params);
        self.check_finite(&self.params, "parameter")?;

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
        let next = self.evaluate(&next_unroll, next_batch, &self.params)?;
        let (objective, g_prime) = if next.heads.outer.is_some() {
            let heads = next.heads.outer_view();
            meta.objective(&self.model, &self.params, &next.batch, &next_unroll.trajectory(&heads)?, &heads)?
        } else {
            meta.objective(&self.model, &self.params, &next.batch, &next.traj, &next.heads)?
        };
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
            if let Some(i) = r.params.first_non_finite() {
                let quantity = format!("the learned reward's parameter `{}`", r.net.param_names()[i]);
                return Err(Divergence { quantity, detail: "NaN or infinite entries".into() }.into());
            }
            self.last_reward_gradient = Some(g);
        }
        if meta.next_batch {
            self.pending = Some((next_unroll, next.batch));
        }
        Ok(())
    }

    /// A [`Divergence`] naming the first tensor of `p` that is not finite.
    fn check_finite(&self, p: &ParamsOf<M>, what: &str) -> Result<()> {
        match p.first_non_finite() {
            None => Ok(()),
            Some(i) => {
                let name = self.model.param_names().get(i).cloned().unwrap_or_else(|| format!("#{i}"));
                Err(Divergence { quantity: format!("{what} `{name}`"), detail: "NaN or infinite entries".into() }
                    .into())
            }
        }
    }

    /// The state of an agent made of this learner and `actor`.
    pub fn agent_state(&self, actor: &Actor) -> Result<AgentState> {
        let mut tensors = Vec::new();
        let mut extra = serde_json::Map::new();
        self.state(&mut tensors, &mut extra);
        extra.insert("actor".into(), actor.state()?);
        Ok(AgentState { tensors, extra: extra.into() })
    }

    /// Continues an agent made of this learner and `actor` from [`Self::agent_state`].
    pub fn restore_agent(&mut self, actor: &mut Actor, state: AgentState) -> Result<()> {
        let extra = state.extra.as_object().context("checkpoint's agent state is not a JSON object")?;
        self.restore(&state.tensors, extra)?;
        actor.restore(extra.get("actor").context("checkpoint lacks the actor's state")?)
    }

    /// The learner's state: θ, the optimiser's moments, the learnt numbers and the
    /// meta-optimiser's Adam state and traces as arrays; counters and the pending unroll's
    /// shape as JSON.
    fn state(&self, tensors: &mut Vec<StateTensor>, extra: &mut serde_json::Map<String, serde_json::Value>) {
        let names = self.model.param_names();
        put(tensors, "theta", &names, &self.params);
        put(tensors, "optim.m", &names, &self.optim.state.m);
        put(tensors, "optim.v", &names, &self.optim.state.v);
        extra.insert("optim.t".into(), self.optim.state.t.into());
        if let Some(meta) = &self.meta {
            let (adam, traces) = meta.state();
            for (k, z) in traces.iter().enumerate() {
                put(tensors, &format!("meta.trace.{k}"), &names, z);
            }
            let x = Params::from_host(&Cpu::default(), &[self.pipeline.params()]);
            for (prefix, p) in [("meta.x", &x), ("meta.adam.m", &adam.m), ("meta.adam.v", &adam.v)] {
                put(tensors, prefix, &["all".into()], p);
            }
            extra.insert("meta.adam.t".into(), adam.t.into());
            extra.insert("meta.traces".into(), traces.len().into());
        }
        if let Some(r) = &self.reward {
            let names = r.net.param_names();
            put(tensors, "reward", &names, &r.params);
            put(tensors, "reward.adam.m", &names, &r.adam.state.m);
            put(tensors, "reward.adam.v", &names, &r.adam.state.v);
            extra.insert("reward.adam.t".into(), r.adam.state.t.into());
        }
        if let Some((u, _)) = &self.pending {
            extra.insert("pending".into(), serde_json::to_value(PendingShape::of(u)).expect("plain numbers"));
            tensors.extend(pending_tensors(u));
        }
    }

    /// Continues from [`Self::state`].
    fn restore(&mut self, tensors: &[StateTensor], extra: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
        let get = |name: &str| -> Result<Vec<f64>> {
            tensors
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.data.clone())
                .with_context(|| format!("checkpoint lacks `{name}`"))
        };
        let count = |key: &str| -> Result<u64> {
            extra.get(key).and_then(|v| v.as_u64()).with_context(|| format!("checkpoint lacks `{key}`"))
        };
        let names = self.model.param_names();
        let theta = |prefix: &str| load(&get, prefix, &names, &self.params);
        let (params, m, v) = (theta("theta")?, theta("optim.m")?, theta("optim.v")?);
        let traces = match &self.meta {
            Some(_) => (0..count("meta.traces")?).map(|k| theta(&format!("meta.trace.{k}"))).collect::<Result<_>>()?,
            None => Vec::new(),
        };
        self.params = params;
        self.optim.state = OptimizerState { m, v, t: count("optim.t")? };
        if let Some(meta) = &mut self.meta {
            let one = Params::from_host(&Cpu::default(), &[vec![0.0; self.pipeline.num_learnt()]]);
            let numbers = |prefix: &str| load(&get, prefix, &["all".into()], &one);
            self.pipeline.set_params(&numbers("meta.x")?.to_host()[0])?;
            let adam =
                OptimizerState { m: numbers("meta.adam.m")?, v: numbers("meta.adam.v")?, t: count("meta.adam.t")? };
            meta.restore(adam, traces);
        }
        if let Some(r) = &mut self.reward {
            let names = r.net.param_names();
            let eta = |prefix: &str| load(&get, prefix, &names, &r.params);
            let (params, m, v) = (eta("reward")?, eta("reward.adam.m")?, eta("reward.adam.v")?);
            r.params = params;
            r.adam.state = OptimizerState { m, v, t: count("reward.adam.t")? };
        }
        self.pending = match extra.get("pending") {
            Some(shape) => {
                let shape: PendingShape = serde_json::from_value(shape.clone()).context("checkpoint `pending`")?;
                let unroll = shape.restore(&get)?;
                let batch = self.batch(&unroll, &self.eta())?;
                Some((unroll, batch))
            }
            None => None,
        };
        Ok(())
    }
}

/// Appends the tensors of `p` as `prefix/name` arrays.
fn put<E: Dtype, D: Device<E>>(tensors: &mut Vec<StateTensor>, prefix: &str, names: &[String], p: &Params<E, D>) {
    for (name, data) in names.iter().zip(p.to_host()) {
        tensors.push(StateTensor { name: format!("{prefix}/{name}"), shape: vec![data.len()], data });
    }
}

/// The `prefix/name` arrays written by [`put`], checked against the shapes of `like` and placed
/// on its device.
fn load<E: Dtype, D: Device<E>>(
    get: &dyn Fn(&str) -> Result<Vec<f64>>,
    prefix: &str,
    names: &[String],
    like: &Params<E, D>,
) -> Result<Params<E, D>> {
    let mut host = Vec::new();
    for (name, t) in names.iter().zip(&like.tensors) {
        let data = get(&format!("{prefix}/{name}"))?;
        let expected = t.shape().0;
        ensure!(
            data.len() == expected,
            "checkpoint `{prefix}/{name}` has {} entries, the network {expected}",
            data.len()
        );
        host.push(data);
    }
    Ok(Params::from_host(like.tensors[0].device(), &host))
}

/// The meta-parameters a network is conditioned on: every learnt scalar of `pipeline` (per-state
/// tables are not inputs), none when `conditioning` is off.
pub fn eta_names(pipeline: &ReturnPipeline, conditioning: bool) -> Vec<String> {
    if !conditioning {
        return Vec::new();
    }
    pipeline.learnt_names().into_iter().filter(|n| !n.contains('[')).collect()
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

/// The shape of a pending unroll; its arrays are checkpointed as `pending.*` tensors.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingShape {
    t: usize,
    b: usize,
    states: bool,
}

impl PendingShape {
    fn of(u: &Unroll) -> Self {
        PendingShape { t: u.t, b: u.b, states: u.states.is_some() }
    }

    fn restore(&self, get: &dyn Fn(&str) -> Result<Vec<f64>>) -> Result<Unroll> {
        let floats = |name: &str| -> Result<Vec<f32>> { Ok(get(name)?.into_iter().map(|x| x as f32).collect()) };
        let indices = |name: &str| -> Result<Vec<usize>> { Ok(get(name)?.into_iter().map(|x| x as usize).collect()) };
        Ok(Unroll {
            t: self.t,
            b: self.b,
            obs: floats("pending.obs")?,
            final_obs: floats("pending.final_obs")?,
            final_steps: indices("pending.final_steps")?,
            actions: indices("pending.actions")?,
            behaviour_log_probs: get("pending.behaviour_log_probs")?,
            rewards: get("pending.rewards")?,
            discounts: get("pending.discounts")?,
            episode_continues: get("pending.episode_continues")?,
            states: if self.states { Some(indices("pending.states")?) } else { None },
        })
    }
}

/// The arrays of a pending unroll (f32 observations and indices are exact in f64).
fn pending_tensors(u: &Unroll) -> Vec<StateTensor> {
    let t = |name: &str, data: Vec<f64>| StateTensor { name: format!("pending.{name}"), shape: vec![data.len()], data };
    let floats = |x: &[f32]| x.iter().map(|&v| v as f64).collect();
    let indices = |x: &[usize]| x.iter().map(|&v| v as f64).collect();
    let mut all = vec![
        t("obs", floats(&u.obs)),
        t("final_obs", floats(&u.final_obs)),
        t("final_steps", indices(&u.final_steps)),
        t("actions", indices(&u.actions)),
        t("behaviour_log_probs", u.behaviour_log_probs.clone()),
        t("rewards", u.rewards.clone()),
        t("discounts", u.discounts.clone()),
        t("episode_continues", u.episode_continues.clone()),
    ];
    if let Some(s) = &u.states {
        all.push(t("states", indices(s)));
    }
    all
}
