//! `[agent] kind = "impala"`: the shared learner on the actor-critic network (f32 on dfdx's
//! CPU device), an actor sampling its policy, and the loss of IMPALA (Espeholt et al. 2018):
//!
//!   L = (1/N) Σₜ [ b/2 (vₜ − V(xₜ))² − Aₜ log π(aₜ|xₜ) − c H(π(·|xₜ)) ],
//!
//! with vₜ and Aₜ from the experiment's return plugin (V-trace, or any other), b the value cost
//! and c the entropy cost, minimised by RMSProp with global-norm gradient clipping. With a
//! `[meta]` section the meta-objective J′ is the same loss on the next unroll with the
//! reference values η̄ of `[meta.objective]`.
//!
//! By default acting and learning alternate on one thread (synchronous): the unroll after an
//! update is acted with the updated θ, and the same seed gives the same run, bit for bit, also
//! across a checkpoint and resume. With `asynchronous = true` an actor thread acts while the
//! learner learns (`actor_thread.rs`), which trades that reproducibility for speed.

use super::{ActorThread, NetPolicy};
use crate::actor::Actor;
use crate::agent::{Agent, AgentEntry, AgentState, UpdateReport};
use crate::learner::{eta_names, Learner, LearnerOptions};
use crate::memory::Footprint;
use crate::meta::{ReturnPipeline, TargetLoss};
use crate::net::{ActorCritic, NetworkConfig, RewardNet};
use crate::optim::OptimizerConfig;
use anyhow::{Context, Result};
use dfdx::tensor::Cpu;
use mgrl_core::config::Experiment;
use mgrl_envs::EnvSpec;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The `[agent]` options of `kind = "impala"`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpalaOptions {
    /// B, environments stepped together by the actor.
    #[serde(default = "default_num_envs")]
    pub num_envs: usize,
    /// T, steps per unroll.
    #[serde(default = "default_unroll")]
    pub unroll: usize,
    /// The inner optimiser; IMPALA's RMSProp by default.
    #[serde(default = "default_optimizer")]
    pub optimizer: OptimizerConfig,
    /// `[agent.network]`: the torso (`mlp` or `conv`).
    #[serde(default)]
    pub network: NetworkConfig,
    /// b, the weight of the value regression.
    #[serde(default = "default_value_cost")]
    pub value_cost: f64,
    /// c, the weight of the entropy bonus.
    #[serde(default = "default_entropy_cost")]
    pub entropy_cost: f64,
    /// Global-norm gradient clipping; 0 turns it off.
    #[serde(default = "default_max_grad_norm")]
    pub max_grad_norm: f64,
    /// Feed the learnt scalar meta-parameters η to the network (the paper's η-conditioning);
    /// false for the ablation.
    #[serde(default = "default_true")]
    pub eta_conditioning: bool,
    /// Width of the η embedding.
    #[serde(default = "default_eta_embedding")]
    pub eta_embedding: usize,
    /// Give the network the outer value head V̄ of Bonnet et al. (2022), "Debiasing
    /// meta-gradient reinforcement learning by learning the outer value function": regressed
    /// towards J′'s targets under η̄ and used by J′ in place of V. Needs `[meta]`.
    #[serde(default)]
    pub outer_value: bool,
    /// Act on a thread of its own while the learner learns, V-trace correcting the policy lag:
    /// faster, but no longer reproducible bit for bit (thread timing decides which θ acted).
    #[serde(default)]
    pub asynchronous: bool,
    /// Unrolls an asynchronous actor may queue ahead of the learner.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// `[agent.reward_network]`: the network r_η(x, a) of a learnable `learned_reward`.
    #[serde(default)]
    pub reward_network: RewardNetworkConfig,
}

/// `[agent.reward_network]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardNetworkConfig {
    /// Hidden layers of the MLP on the observation (one output per action).
    #[serde(default = "default_reward_hidden")]
    pub hidden: Vec<usize>,
}

impl Default for RewardNetworkConfig {
    fn default() -> Self {
        RewardNetworkConfig { hidden: default_reward_hidden() }
    }
}

fn default_reward_hidden() -> Vec<usize> {
    vec![32]
}

fn default_num_envs() -> usize {
    16
}
fn default_unroll() -> usize {
    20
}
fn default_optimizer() -> OptimizerConfig {
    OptimizerConfig::Rmsprop { lr: 6e-4, decay: 0.99, eps: 1e-5 }
}
fn default_value_cost() -> f64 {
    0.5
}
fn default_entropy_cost() -> f64 {
    0.01
}
fn default_max_grad_norm() -> f64 {
    40.0
}
fn default_true() -> bool {
    true
}
fn default_eta_embedding() -> usize {
    16
}
fn default_queue() -> usize {
    2
}

/// The training dtype.
type Float = f32;

/// What the agent will allocate: the rollout's arrays, and the network's parameters and
/// activations (an asynchronous actor's queued unrolls come on top, `queue` of them).
pub fn footprint(exp: &Experiment, o: &ImpalaOptions, spec: &EnvSpec, net: &ActorCritic<Float, Cpu>) -> Footprint {
    let queued = if o.asynchronous { o.queue } else { 0 };
    Footprint::rollout(exp, spec, o.num_envs, o.unroll * (1 + queued))
        .network(exp, &["agent", "network"], "the network", net.num_params(), std::mem::size_of::<Float>() as f64)
        .activations(o.num_envs, o.unroll, net.activation_width())
}

pub struct ImpalaAgent {
    /// The actor, until an asynchronous agent's first update moves it onto its thread.
    actor: Option<Actor>,
    /// The asynchronous actor's thread, from the first update on.
    thread: Option<ActorThread<Float, Cpu>>,
    /// Unrolls an asynchronous actor may queue; `None` for a synchronous agent.
    queue: Option<usize>,
    /// The actor's copy of the network's structure (θ comes from the learner).
    policy: ActorCritic<Float, Cpu>,
    learner: Learner<ActorCritic<Float, Cpu>>,
}

mgrl_core::inventory::submit! {
    AgentEntry {
        kind: "impala",
        description: "actor-critic (IMPALA's loss) on a dfdx network, acting on a vectorised environment, η meta-learnt",
        build: ImpalaAgent::build,
    }
}

impl ImpalaAgent {
    /// Builds the agent of an experiment with `[agent] kind = "impala"`.
    pub fn build(exp: &Experiment) -> Result<Box<dyn Agent>> {
        Ok(Box::new(Self::new(exp)?))
    }

    pub fn new(exp: &Experiment) -> Result<Self> {
        let o: ImpalaOptions = exp.agent.options(&exp.doc)?;
        let at = |key: &str, message: String| -> anyhow::Error { exp.doc.error(&["agent", key], message).into() };
        if o.num_envs == 0 {
            return Err(at("num_envs", "`num_envs` must be at least 1".into()));
        }
        if o.unroll == 0 {
            return Err(at("unroll", "`unroll` must be at least 1".into()));
        }
        for (key, v) in
            [("value_cost", o.value_cost), ("entropy_cost", o.entropy_cost), ("max_grad_norm", o.max_grad_norm)]
        {
            if !(v.is_finite() && v >= 0.0) {
                return Err(at(key, format!("`{key}` = {v} must be a number ≥ 0")));
            }
        }
        if o.eta_embedding == 0 {
            return Err(at("eta_embedding", "`eta_embedding` must be at least 1".into()));
        }
        if o.queue == 0 {
            return Err(at("queue", "`queue` must be at least 1".into()));
        }
        o.optimizer.validate().map_err(|m| at("optimizer", m))?;

        let spec = crate::env::env_spec(exp)?;
        if spec.num_actions < 2 {
            let message = format!(
                "the `impala` agent acts, and `{}` has {} action: it is a reward process to predict (use kind = \"td\")",
                spec.name, spec.num_actions
            );
            return Err(exp.doc.error(&["env", "name"], message).into());
        }
        let pipeline = ReturnPipeline::from_experiment(exp, spec.num_states)?;
        let eta_inputs = eta_names(&pipeline, o.eta_conditioning).len();
        let net = ActorCritic::new(
            Cpu::default(),
            &o.network,
            &spec.obs_shape,
            spec.num_actions,
            eta_inputs,
            o.eta_embedding,
        )
        .map_err(|e| exp.doc.error(&["agent", "network"], e.to_string()))?;
        if o.outer_value && exp.meta.is_none() {
            return Err(at(
                "outer_value",
                "the outer value head learns J′'s targets under η̄: it needs a [meta] section".into(),
            ));
        }
        let net = if o.outer_value { net.with_outer_value() } else { net };
        footprint(exp, &o, &spec, &net).check(exp)?;
        let env = crate::env::make_env(exp, o.num_envs)?;
        let mut rng = ChaCha8Rng::seed_from_u64(exp.seed ^ 0x1a_3a1a);
        let options = LearnerOptions {
            loss: TargetLoss { value_cost: o.value_cost, policy: true, entropy_cost: o.entropy_cost },
            max_grad_norm: (o.max_grad_norm > 0.0).then_some(o.max_grad_norm),
            eta_conditioning: o.eta_conditioning,
            outer_value: o.outer_value,
        };
        let learns_reward = !pipeline.networks().is_empty();
        let mut learner =
            Learner::new(net.clone(), &mut rng, o.optimizer, pipeline, exp.meta.as_ref(), spec.num_states, options)?;
        if learns_reward {
            let reward = RewardNet::new(Cpu::default(), spec.obs_len(), &o.reward_network.hidden, spec.num_actions)
                .map_err(|e| exp.doc.error(&["agent", "reward_network"], e.to_string()))?;
            learner = learner.with_reward_network(reward, &mut rng, exp.meta.as_ref().map_or(0.0, |m| m.lr));
        }
        Ok(ImpalaAgent {
            actor: Some(Actor::new(env, o.unroll, rng)?),
            thread: None,
            queue: o.asynchronous.then_some(o.queue),
            policy: net,
            learner,
        })
    }

    /// The return pipeline (its learnt meta-parameters).
    pub fn pipeline(&self) -> &ReturnPipeline {
        &self.learner.pipeline
    }
}

impl Agent for ImpalaAgent {
    fn update(&mut self) -> Result<UpdateReport> {
        // An asynchronous agent's first update moves its actor onto a thread.
        if let (Some(queue), None) = (self.queue, &self.thread) {
            let actor = self.actor.take().expect("an agent without a thread has its actor");
            let (params, eta) = (self.learner.params.clone(), self.learner.eta());
            self.thread = Some(ActorThread::start(actor, self.policy.clone(), params, eta, queue)?);
        }
        let mut finished = Vec::new();
        let mut report = match (&mut self.actor, &self.thread) {
            (Some(actor), _) => {
                let net = &self.policy;
                self.learner
                    .update(&mut |params, eta| actor.unroll(&mut NetPolicy { net, params, eta }, &mut finished))?
            }
            (None, Some(thread)) => self.learner.update(&mut |params, eta| {
                let (unroll, ended) = thread.next(params, eta)?;
                finished.extend(ended);
                Ok(unroll)
            })?,
            (None, None) => unreachable!("an agent has its actor or its actor's thread"),
        };
        report.episode_returns = finished;
        Ok(report)
    }

    fn meta_values(&self) -> Vec<(String, f64)> {
        self.learner.pipeline.meta_values()
    }

    /// An asynchronous agent saves its actor between two unrolls; the unrolls queued at that
    /// moment are not saved (a resumed run acts anew from the saved environments).
    fn state(&self) -> Result<AgentState> {
        match (&self.actor, &self.thread) {
            (Some(actor), _) => self.learner.agent_state(actor),
            (None, Some(thread)) => self.learner.agent_state(&*thread.actor()?),
            (None, None) => unreachable!("an agent has its actor or its actor's thread"),
        }
    }

    fn restore(&mut self, state: AgentState) -> Result<()> {
        let actor = self.actor.as_mut().context("restore needs an agent that has not started acting")?;
        self.learner.restore_agent(actor, state)
    }
}
