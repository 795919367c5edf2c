//! The return pipeline of an experiment: its reward transforms, then its return, each with
//! the sources of its meta-parameters; and the two derivatives the meta-optimiser needs of
//! it, with respect to the *learnt numbers* x behind the sources (η = squash(x)).
//!
//! Targets are computed as  r̃ = fₖ(…f₁(r; η₁)…; ηₖ),  (v, A) = G(r̃, d, e, V, V′, log ρ; η_G).
//! The JVP along one learnt number pushes the source's tangent through the transforms after
//! it and the return (method (a) of DESIGN.md §2); the VJP pulls a cotangent on (v, A) back
//! through the return and the transforms to every learnt number at once (method (b)).

use anyhow::{bail, ensure, Context, Result};
use mgrl_core::config::{Experiment, PluginConfig};
use mgrl_core::{
    Batch, InputTangents, MetaKind, MetaParamSpec, MetaSource, MetaValue, MetaValues, ReturnBatch, ReturnFn,
    ReturnInputs, RewardInputs, RewardTransform, TargetCotangents, Targets,
};

/// A batch of experience as the return sees it: its inputs (`[T, B]` arrays, see
/// `mgrl_core::return_fn`; their meta-parameters, which each stage of the pipeline fills in,
/// left empty), and what the sources of the meta-parameters read.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub inputs: ReturnBatch,
    /// The index of the state xₜ₊₁ that transition t arrives in, for per-state
    /// meta-parameters: γₜ = γ(xₜ₊₁) and λₜ = λ(xₜ₊₁), as γ(Sₜ₊₁) and λ(Sₜ₊₁) of Sutton &
    /// Barto (2018, §12.8) in rlax's time convention.
    pub states: Option<Vec<usize>>,
    /// The per-step outputs of the agent's networks behind meta-parameters of kind
    /// [`MetaKind::Network`] (a learned reward r_η(xₜ, aₜ)), one `[T, B]` array each, in the
    /// order of [`ReturnPipeline::networks`].
    pub network_meta: Vec<Vec<f64>>,
}

impl Trajectory {
    pub fn batch(&self) -> Batch {
        self.inputs.batch
    }
}

/// One plugin of the pipeline with the sources of its meta-parameters. A learnt meta-parameter
/// of kind [`MetaKind::Network`] has the placeholder source `Fixed(0)`: its per-step values come
/// from the trajectory ([`Trajectory::network_meta`]), its cotangents go back to the agent.
#[derive(Debug)]
struct Stage<P: ?Sized> {
    plugin: Box<P>,
    sources: Vec<MetaSource>,
    /// The indices of the meta-parameters produced by networks.
    networks: Vec<usize>,
}

/// Names one learnt number: stage (`None` for the return, `Some(i)` for transform i),
/// meta-parameter index within the stage, entry within its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Learnt {
    stage: Option<usize>,
    meta: usize,
    entry: usize,
}

/// The intermediate arrays of one evaluation, kept for the derivatives.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The meta-parameters of each transform, then of the return.
    transform_meta: Vec<MetaValues>,
    return_meta: MetaValues,
    /// The rewards entering each transform, then the rewards entering the return.
    rewards_in: Vec<Vec<f64>>,
    pub targets: Targets,
}

/// Reward transforms and a return, with their meta-parameter sources.
#[derive(Debug)]
pub struct ReturnPipeline {
    transforms: Vec<Stage<dyn RewardTransform>>,
    ret: Stage<dyn ReturnFn>,
}

fn sources<P: ?Sized>(cfg: &PluginConfig<P>, n_states: Option<usize>) -> Result<(Vec<MetaSource>, Vec<usize>)> {
    let mut networks = Vec::new();
    let mut sources = Vec::new();
    for (i, m) in cfg.meta.iter().enumerate() {
        if m.spec.kind == MetaKind::Network && m.learnable {
            networks.push(i);
            sources.push(MetaSource::Fixed(0.0));
        } else {
            let source = m.source(n_states);
            sources.push(source.with_context(|| format!("meta-parameter `{}` of `{}`", m.spec.name, cfg.entry.name))?);
        }
    }
    Ok((sources, networks))
}

/// Copies a boxed plugin. typetag plugins are not `Clone`, but they round-trip through serde.
fn copy_plugin<P: ?Sized + serde::Serialize>(plugin: &P) -> Result<Box<P>>
where
    Box<P>: serde::de::DeserializeOwned,
{
    serde_json::to_value(plugin).and_then(serde_json::from_value).context("copying a plugin")
}

fn stage<P: ?Sized + serde::Serialize>(cfg: &PluginConfig<P>, n_states: Option<usize>) -> Result<Stage<P>>
where
    Box<P>: serde::de::DeserializeOwned,
{
    let (sources, networks) = sources(cfg, n_states)?;
    Ok(Stage { sources, networks, plugin: copy_plugin(&cfg.plugin)? })
}

impl ReturnPipeline {
    /// The pipeline of an experiment's `[[reward_transform]]` and `[return]` sections. A
    /// `per_state` meta-parameter of an environment without numbered states is an error at
    /// its `per_state` key.
    pub fn from_experiment(exp: &Experiment, n_states: Option<usize>) -> Result<Self> {
        if n_states.is_none() {
            let sections = exp
                .reward_transforms
                .iter()
                .enumerate()
                .map(|(i, t)| (vec!["reward_transform".to_string(), i.to_string()], &t.meta));
            for (section, meta) in sections.chain([(vec!["return".to_string()], &exp.ret.meta)]) {
                if let Some(m) = meta.iter().find(|m| m.per_state) {
                    let mut path: Vec<&str> = section.iter().map(String::as_str).collect();
                    path.extend([m.spec.name, "per_state"]);
                    let message = format!(
                        "`{}` is per_state, but `{}` does not number its states (see `mgrl envs`)",
                        m.spec.name, exp.env.name
                    );
                    return Err(exp.doc.error(&path, message).into());
                }
            }
        }
        let transforms = exp.reward_transforms.iter().map(|cfg| stage(cfg, n_states)).collect::<Result<_>>()?;
        Ok(ReturnPipeline { transforms, ret: stage(&exp.ret, n_states)? })
    }

    /// A pipeline of a return alone (no transforms), such as the meta-objective's, whose
    /// meta-parameters are the fixed reference values η̄.
    pub fn from_return(cfg: &PluginConfig<dyn ReturnFn>, n_states: Option<usize>) -> Result<Self> {
        Ok(ReturnPipeline { transforms: Vec::new(), ret: stage(cfg, n_states)? })
    }

    fn learnt(&self) -> Vec<Learnt> {
        let stage_learnt = |stage: Option<usize>, sources: &[MetaSource]| {
            sources
                .iter()
                .enumerate()
                .flat_map(move |(meta, s)| (0..s.num_params()).map(move |entry| Learnt { stage, meta, entry }))
                .collect::<Vec<_>>()
        };
        let mut all = Vec::new();
        for (i, t) in self.transforms.iter().enumerate() {
            all.extend(stage_learnt(Some(i), &t.sources));
        }
        all.extend(stage_learnt(None, &self.ret.sources));
        all
    }

    /// The meta-parameters produced by the agent's networks, as (plugin, meta-parameter) names,
    /// in the order of [`Trajectory::network_meta`].
    pub fn networks(&self) -> Vec<(&'static str, &'static str)> {
        let stages = self.transforms.iter().map(|t| (t.plugin.meta_params(), &t.networks));
        let stages = stages.chain([(self.ret.plugin.meta_params(), &self.ret.networks)]);
        stages.flat_map(|(specs, nets)| nets.iter().map(move |&i| (specs[i].name, specs[i].doc))).collect()
    }

    /// How many numbers are learnt.
    pub fn num_learnt(&self) -> usize {
        self.sources().map(MetaSource::num_params).sum()
    }

    fn sources(&self) -> impl Iterator<Item = &MetaSource> {
        self.transforms.iter().flat_map(|t| t.sources.iter()).chain(self.ret.sources.iter())
    }

    /// The learnt numbers x, in the order of [`Self::vjp`]'s gradient.
    pub fn params(&self) -> Vec<f64> {
        self.sources().flat_map(|s| s.params().iter().copied()).collect()
    }

    /// Replaces the learnt numbers x.
    pub fn set_params(&mut self, x: &[f64]) -> Result<()> {
        if x.len() != self.num_learnt() {
            bail!("expected {} learnt numbers, got {}", self.num_learnt(), x.len());
        }
        let mut rest = x;
        for s in self.transforms.iter_mut().flat_map(|t| t.sources.iter_mut()).chain(self.ret.sources.iter_mut()) {
            let p = s.params_mut();
            let (mine, tail) = rest.split_at(p.len());
            p.copy_from_slice(mine);
            rest = tail;
        }
        Ok(())
    }

    /// Every declared meta-parameter with its source, the transforms', then the return's;
    /// those produced by networks left out.
    fn named_sources(&self) -> impl Iterator<Item = (&'static MetaParamSpec, &MetaSource)> {
        let stages = self.transforms.iter().map(|t| (t.plugin.meta_params(), &t.sources, &t.networks)).chain([(
            self.ret.plugin.meta_params(),
            &self.ret.sources,
            &self.ret.networks,
        )]);
        stages.flat_map(|(specs, sources, networks)| {
            specs.iter().zip(sources.iter()).enumerate().filter(|(i, _)| !networks.contains(i)).map(|(_, s)| s)
        })
    }

    /// The names of a source's values: `name`, or `name[s]` per state.
    fn entry_names(spec: &MetaParamSpec, src: &MetaSource) -> Vec<String> {
        match src {
            MetaSource::PerState { x, .. } => (0..x.len()).map(|s| format!("{}[{s}]", spec.name)).collect(),
            _ => vec![spec.name.to_string()],
        }
    }

    /// Every meta-parameter's current value, named `name` or `name[s]` per state.
    pub fn meta_values(&self) -> Vec<(String, f64)> {
        self.named_sources()
            .flat_map(|(spec, src)| Self::entry_names(spec, src).into_iter().zip(src.values()))
            .collect()
    }

    /// The name of every learnt number, in the order of [`Self::params`].
    pub fn learnt_names(&self) -> Vec<String> {
        self.named_sources()
            .filter(|(_, src)| src.num_params() > 0)
            .flat_map(|(spec, src)| Self::entry_names(spec, src))
            .collect()
    }

    /// The per-state values of meta-parameter `name` of the return, if it is a table.
    pub fn per_state_values(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.ret.plugin.meta_params().iter().position(|m| m.name == name)?;
        matches!(self.ret.sources[i], MetaSource::PerState { .. }).then(|| self.ret.sources[i].values())
    }

    /// The meta-parameters of a stage, by name: a scalar for a fixed or learnt scalar, per
    /// step for a table or a network; `first_network` is the index in
    /// [`Trajectory::network_meta`] of the stage's first network output.
    fn fill(
        specs: &[MetaParamSpec],
        stage: &Stage<impl ?Sized>,
        traj: &Trajectory,
        first_network: usize,
    ) -> Result<MetaValues> {
        let mut all = MetaValues::new();
        for (i, (s, spec)) in stage.sources.iter().zip(specs).enumerate() {
            let value = match stage.networks.iter().position(|&j| j == i) {
                Some(k) => {
                    let out =
                        traj.network_meta.get(first_network + k).context("the trajectory lacks a network's outputs")?;
                    ensure!(
                        out.len() == traj.batch().len(),
                        "a network output of {} steps for {}",
                        out.len(),
                        traj.batch().len()
                    );
                    MetaValue::Steps(out.clone())
                }
                None => s.values_over(traj.states.as_deref(), traj.batch().len())?,
            };
            all.set(spec.name, value);
        }
        Ok(all)
    }

    fn return_inputs<'a>(traj: &'a Trajectory, rewards: &'a [f64], meta: &'a MetaValues) -> ReturnInputs<'a> {
        ReturnInputs { rewards, meta, ..traj.inputs.view() }
    }

    /// A stage's meta-parameter cotangents (per step, by name) pulled back to its learnt
    /// numbers, and those of its network outputs, in order.
    fn pull_back(
        specs: &[MetaParamSpec],
        stage: &Stage<impl ?Sized>,
        states: Option<&[usize]>,
        mut cot: MetaValues,
    ) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        let mut grad = Vec::new();
        let mut networks = Vec::new();
        for (i, (src, spec)) in stage.sources.iter().zip(specs).enumerate() {
            let Some(MetaValue::Steps(c)) = cot.take(spec.name) else {
                bail!("the plugin gave no per-step cotangent of its meta-parameter `{}`", spec.name);
            };
            if stage.networks.contains(&i) {
                networks.push(c);
            } else {
                let mut g = vec![0.0; src.num_params()];
                src.pullback(states, &c, &mut g)?;
                grad.extend(g);
            }
        }
        Ok((grad, networks))
    }

    /// The targets (v, A) of a trajectory, with what the derivatives need.
    pub fn evaluate(&self, traj: &Trajectory) -> Result<Evaluation> {
        let mut rewards = traj.inputs.rewards.clone();
        let mut rewards_in = Vec::with_capacity(self.transforms.len() + 1);
        let mut transform_meta = Vec::with_capacity(self.transforms.len());
        let mut networks = 0;
        for t in &self.transforms {
            let meta = Self::fill(t.plugin.meta_params(), t, traj, networks)?;
            networks += t.networks.len();
            let next = t.plugin.apply(&RewardInputs { batch: traj.batch(), rewards: &rewards, meta: &meta })?;
            rewards_in.push(std::mem::replace(&mut rewards, next));
            transform_meta.push(meta);
        }
        let return_meta = Self::fill(self.ret.plugin.meta_params(), &self.ret, traj, networks)?;
        let targets = self.ret.plugin.targets(&Self::return_inputs(traj, &rewards, &return_meta))?;
        rewards_in.push(rewards);
        Ok(Evaluation { transform_meta, return_meta, rewards_in, targets })
    }

    /// The tangent of the targets along learnt number `k` (method (a)).
    pub fn jvp(&self, traj: &Trajectory, ev: &Evaluation, k: usize) -> Result<Targets> {
        let learnt = *self.learnt().get(k).with_context(|| format!("learnt number {k} does not exist"))?;
        let (n, states) = (traj.batch().len(), traj.states.as_deref());
        let ret_inputs =
            Self::return_inputs(traj, ev.rewards_in.last().expect("the return's rewards"), &ev.return_meta);
        let Some(first) = learnt.stage else {
            let name = self.ret.plugin.meta_params()[learnt.meta].name;
            let tangent = self.ret.sources[learnt.meta].tangent(learnt.entry, states, n)?;
            return Ok(self.ret.plugin.jvp(&ret_inputs, &InputTangents::meta_only(name, tangent))?);
        };
        let stage = &self.transforms[first];
        let name = stage.plugin.meta_params()[learnt.meta].name;
        let source_tangent = MetaValues::new().with(name, stage.sources[learnt.meta].tangent(learnt.entry, states, n)?);
        // Through transform `first` (tangent of its meta input), then the later ones (tangent of rewards).
        let mut tangent = Vec::new();
        for (i, t) in self.transforms.iter().enumerate().skip(first) {
            let x = RewardInputs { batch: traj.batch(), rewards: &ev.rewards_in[i], meta: &ev.transform_meta[i] };
            tangent = if i == first {
                t.plugin.jvp(&x, None, &source_tangent)?
            } else {
                t.plugin.jvp(&x, Some(&tangent), &MetaValues::new())?
            };
        }
        let dx = InputTangents { rewards: Some(&tangent), ..Default::default() };
        Ok(self.ret.plugin.jvp(&ret_inputs, &dx)?)
    }

    /// The gradient of ⟨cot, (v, A)⟩ on every learnt number, and its cotangent on every
    /// network output (in the order of [`Self::networks`]), for the agent to pull back through
    /// its networks (method (b)).
    pub fn vjp(&self, traj: &Trajectory, ev: &Evaluation, cot: &TargetCotangents) -> Result<PipelineCotangents> {
        let states = traj.states.as_deref();
        let ret_inputs =
            Self::return_inputs(traj, ev.rewards_in.last().expect("the return's rewards"), &ev.return_meta);
        let ret_cot = self.ret.plugin.vjp(&ret_inputs, cot)?;
        let (ret_grad, mut networks) = Self::pull_back(self.ret.plugin.meta_params(), &self.ret, states, ret_cot.meta)?;
        let mut reward_cot = ret_cot.rewards;
        let mut transform_grads = vec![Vec::new(); self.transforms.len()];
        for (i, t) in self.transforms.iter().enumerate().rev() {
            let x = RewardInputs { batch: traj.batch(), rewards: &ev.rewards_in[i], meta: &ev.transform_meta[i] };
            let c = t.plugin.vjp(&x, &reward_cot)?;
            let (grad, mine) = Self::pull_back(t.plugin.meta_params(), t, states, c.meta)?;
            transform_grads[i] = grad;
            networks = mine.into_iter().chain(networks).collect();
            reward_cot = c.rewards;
        }
        Ok(PipelineCotangents { learnt: transform_grads.into_iter().flatten().chain(ret_grad).collect(), networks })
    }
}

/// What [`ReturnPipeline::vjp`] pulls back.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineCotangents {
    /// One per learnt number, in the order of [`ReturnPipeline::params`].
    pub learnt: Vec<f64>,
    /// One `[T, B]` array per network output, in the order of [`ReturnPipeline::networks`].
    pub networks: Vec<Vec<f64>>,
}
