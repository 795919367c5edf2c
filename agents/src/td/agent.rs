//! The TD prediction agent: the shared learner on a linear value, learnt towards the targets
//! of any return plugin, with the return's meta-parameters learnt online (Xu et al. 2018 §2).
//!
//! Actions (for environments that have a choice) are uniformly random: the agent predicts
//! the value of the random policy. The inner loss is the value regression alone.

use crate::actor::{Actor, Uniform};
use crate::agent::{Agent, AgentEntry, AgentState, UpdateReport};
use crate::learner::{Learner, LearnerOptions};
use crate::memory::{self, Footprint};
use crate::meta::{ReturnPipeline, TargetLoss};
use crate::optim::OptimizerConfig;
use crate::td::LinearValue;
use anyhow::Result;
use dfdx::tensor::Cpu;
use mgrl_core::config::Experiment;
use mgrl_core::MetaKind;
use mgrl_envs::EnvSpec;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The `[agent]` options of `kind = "td"`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TdOptions {
    /// B, environments stepped together.
    #[serde(default = "one")]
    pub num_envs: usize,
    /// T, steps per batch.
    pub unroll: usize,
    /// The inner optimiser of θ.
    pub optimizer: OptimizerConfig,
}

fn one() -> usize {
    1
}

/// What the agent will allocate: the rollout's arrays and the linear value, one f64 weight
/// per observation number (per state, for a chain).
pub fn footprint(exp: &Experiment, options: &TdOptions, spec: &EnvSpec) -> Footprint {
    Footprint::rollout(exp, spec, options.num_envs, options.unroll).network(
        exp,
        &memory::states_key(exp),
        "the linear value",
        spec.obs_len(),
        std::mem::size_of::<f64>() as f64,
    )
}

pub struct TdAgent {
    actor: Actor,
    behaviour: Uniform,
    learner: Learner<LinearValue<f64, Cpu>>,
}

mgrl_core::inventory::submit! {
    AgentEntry {
        kind: "td",
        description: "TD prediction: a linear value on dfdx learnt towards the return's targets, η meta-learnt",
        build: TdAgent::build,
    }
}

impl TdAgent {
    /// Builds the agent of an experiment with `[agent] kind = "td"`.
    pub fn build(exp: &Experiment) -> Result<Box<dyn Agent>> {
        Ok(Box::new(Self::new(exp)?))
    }

    pub fn new(exp: &Experiment) -> Result<Self> {
        let options: TdOptions = exp.agent.options(&exp.doc)?;
        if options.num_envs == 0 || options.unroll == 0 {
            return Err(exp.doc.error(&["agent"], "`num_envs` and `unroll` must be at least 1").into());
        }
        options.optimizer.validate().map_err(|m| exp.doc.error(&["agent", "optimizer"], m))?;
        footprint(exp, &options, &crate::env::env_spec(exp)?).check(exp)?;
        let env = crate::env::make_env(exp, options.num_envs)?;
        let spec = env.spec().clone();
        let pipeline = ReturnPipeline::from_experiment(exp, spec.num_states)?;
        if let Some(i) = exp
            .reward_transforms
            .iter()
            .position(|t| t.meta.iter().any(|m| m.spec.kind == MetaKind::Network && m.learnable))
        {
            let message = format!(
                "`{}` learns a network r_η(x, a), which the `td` agent does not have (use kind = \"impala\")",
                exp.reward_transforms[i].entry.name
            );
            return Err(exp.doc.error(&["reward_transform", &i.to_string(), "type"], message).into());
        }
        let mut rng = ChaCha8Rng::seed_from_u64(exp.seed ^ 0x7d_a6e7);
        let learner = Learner::new(
            LinearValue::new(Cpu::default(), spec.obs_len()),
            &mut rng,
            options.optimizer,
            pipeline,
            exp.meta.as_ref(),
            spec.num_states,
            LearnerOptions {
                loss: TargetLoss::VALUE,
                max_grad_norm: None,
                eta_conditioning: false,
                outer_value: false,
            },
        )?;
        Ok(TdAgent {
            behaviour: Uniform { actions: spec.num_actions },
            actor: Actor::new(env, options.unroll, rng)?,
            learner,
        })
    }

    /// The return pipeline (its learnt meta-parameters).
    pub fn pipeline(&self) -> &ReturnPipeline {
        &self.learner.pipeline
    }
}

impl Agent for TdAgent {
    fn update(&mut self) -> Result<UpdateReport> {
        let (actor, behaviour) = (&mut self.actor, &mut self.behaviour);
        let mut finished = Vec::new();
        let mut report = self.learner.update(&mut |_, _| actor.unroll(behaviour, &mut finished))?;
        report.episode_returns = finished;
        Ok(report)
    }

    fn meta_values(&self) -> Vec<(String, f64)> {
        self.learner.pipeline.meta_values()
    }

    fn state(&self) -> Result<AgentState> {
        self.learner.agent_state(&self.actor)
    }

    fn restore(&mut self, state: AgentState) -> Result<()> {
        self.learner.restore_agent(&mut self.actor, state)
    }
}
