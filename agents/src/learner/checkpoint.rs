//! The learner's checkpoint: θ, the optimiser's moments, the learnt numbers with their Adam
//! state and traces, the learned reward's network, and the unroll waiting for the next update,
//! as named arrays; counters as JSON. With the actor's state (its environments and random
//! numbers) it is everything an agent needs to continue exactly.

use super::Learner;
use crate::actor::Actor;
use crate::agent::{AgentState, StateTensor};
use crate::net::{Model, Params};
use crate::optim::OptimizerState;
use crate::unroll::Unroll;
use anyhow::{ensure, Context, Result};
use dfdx::prelude::{Cpu, Device, Dtype, HasShape};

impl<M: Model> Learner<M> {
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
