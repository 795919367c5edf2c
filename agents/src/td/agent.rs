//! The TD prediction agent: a linear value function learnt towards the targets of any
//! return plugin, with the return's meta-parameters learnt online by the meta-optimiser.
//!
//! One update, as in Xu et al. (2018) §2 and DESIGN.md §2:
//!   1. τ: T steps of B environments (the batch collected for the previous meta-update);
//!   2. targets vₜ = G(τ; η) by the return pipeline; inner step θ′ = θ + o − s ⊙ ∇θ ½(1/N)Σ(vₜ − V_θ(xₜ))²;
//!   3. τ′: the next T steps; J′ = ½(1/N)Σ(v̄′ₜ − V_θ′(x′ₜ))² with the reference values η̄;
//!   4. η ← Adam(dJ′/dη); τ′ becomes the τ of the next update.
//!
//! Actions (for environments that have a choice) are uniformly random: the agent predicts
//! the value of the random policy.

use crate::learner::{AgentEntry, Divergence, Learner, LearnerState, StateTensor, UpdateReport};
use crate::meta::{HeadModel, Heads, InnerStep, MetaOptimiser, ReturnPipeline, TargetLoss, Trajectory};
use crate::optim::{Optimizer, OptimizerConfig, OptimizerState};
use crate::run::guard::catch_panic;
use crate::td::{Features, LinearValue};
use anyhow::{bail, ensure, Context, Result};
use dfdx::tensor::Cpu;
use mgrl_core::config::Experiment;
use mgrl_core::Batch;
use mgrl_envs::{EnvError, StepBuffers, VecEnv};
use rand::{Rng, SeedableRng};
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

/// The inner loss: value regression only.
const VALUE_LOSS: TargetLoss = TargetLoss { value_cost: 1.0, policy: false };

/// One batch of experience.
#[derive(Debug, Clone)]
struct Unroll {
    /// φ(xₜ) and φ(xₜ₊₁) (the final observation when an episode ended), `[T·B, D]`.
    features: Features,
    next_features: Features,
    rewards: Vec<f64>,
    discounts: Vec<f64>,
    episode_continues: Vec<f64>,
    states: Option<Vec<usize>>,
}

/// An unroll with the heads of some θ on it, and the return's view of both.
#[derive(Debug, Clone)]
struct Evaluated {
    unroll: Unroll,
    heads: Heads,
    traj: Trajectory,
}

pub struct TdAgent {
    env: Box<dyn VecEnv>,
    options: TdOptions,
    model: LinearValue<Cpu>,
    params: Vec<f64>,
    optim: Optimizer,
    pipeline: ReturnPipeline,
    meta: Option<MetaOptimiser>,
    rng: ChaCha8Rng,
    // Environment loop state.
    obs: Vec<f32>,
    buffers: StepBuffers,
    episode_returns: Vec<f64>,
    /// Vectorised environment steps since the start; errors name the step by this index.
    steps: u64,
    /// Unrolls collected since the start (a resumed run replays them to restore the
    /// environments exactly; the behaviour does not depend on θ).
    unrolls: u64,
    /// τ′ of the last meta-update with the heads of θ′ (which the committed θ equals
    /// exactly): the τ of the next update, evaluated once.
    pending: Option<Evaluated>,
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
    pub fn build(exp: &Experiment) -> Result<Box<dyn Learner>> {
        Ok(Box::new(Self::new(exp)?))
    }

    pub fn new(exp: &Experiment) -> Result<Self> {
        let options: TdOptions = exp.agent.options(&exp.doc)?;
        if options.num_envs == 0 || options.unroll == 0 {
            return Err(exp.doc.error(&["agent"], "`num_envs` and `unroll` must be at least 1").into());
        }
        options.optimizer.validate().map_err(|m| exp.doc.error(&["agent", "optimizer"], m))?;
        let num_envs = options.num_envs;
        let mut env = crate::env::make_env(exp, num_envs)?;
        let spec = env.spec().clone();
        let dim = spec.obs_len();
        let pipeline = ReturnPipeline::from_experiment(exp, spec.num_states)?;
        let meta = match &exp.meta {
            Some(cfg) => Some(MetaOptimiser::new(cfg, VALUE_LOSS, pipeline.num_learnt(), spec.num_states)?),
            None => None,
        };
        let mut obs = vec![0.0; num_envs * dim];
        env.reset(&mut obs)?;
        Ok(TdAgent {
            buffers: StepBuffers::new(&spec, num_envs),
            env,
            model: LinearValue::new(Cpu::default(), dim),
            params: vec![0.0; dim],
            optim: Optimizer::new(options.optimizer, dim),
            pipeline,
            meta,
            rng: ChaCha8Rng::seed_from_u64(exp.seed ^ 0x7d_a6e7),
            obs,
            episode_returns: vec![0.0; num_envs],
            steps: 0,
            unrolls: 0,
            pending: None,
            options,
        })
    }

    /// The return pipeline (its learnt meta-parameters).
    pub fn pipeline(&self) -> &ReturnPipeline {
        &self.pipeline
    }

    /// T steps of the B environments; returns of episodes that ended go to `finished`.
    fn collect(&mut self, finished: &mut Vec<f64>) -> Result<Unroll> {
        let (t_len, b) = (self.options.unroll, self.options.num_envs);
        let spec = self.env.spec().clone();
        let dim = spec.obs_len();
        let mut u = Unroll {
            features: Features { rows: t_len * b, data: Vec::with_capacity(t_len * b * dim) },
            next_features: Features { rows: t_len * b, data: Vec::with_capacity(t_len * b * dim) },
            rewards: Vec::with_capacity(t_len * b),
            discounts: Vec::with_capacity(t_len * b),
            episode_continues: Vec::with_capacity(t_len * b),
            states: spec.num_states.map(|_| Vec::with_capacity(t_len * b)),
        };
        let mut state_buf = vec![0; b];
        let mut actions = vec![0; b];
        for _ in 0..t_len {
            u.features.data.extend(self.obs.iter().map(|&x| x as f64));
            for a in actions.iter_mut() {
                *a = self.rng.gen_range(0..spec.num_actions);
            }
            let (env, buffers, step) = (&mut self.env, &mut self.buffers, self.steps);
            catch_panic(|| env.step(&actions, buffers)).unwrap_or_else(|message| {
                Err(EnvError::Config { env: spec.name.clone(), message: format!("panicked at step {step}: {message}") })
            })?;
            self.steps += 1;
            let buf = &self.buffers;
            for e in 0..b {
                let r = buf.rewards[e] as f64;
                if !r.is_finite() {
                    bail!("environment `{}` returned reward {r} at step {step} (environment {e})", spec.name);
                }
                u.rewards.push(r);
                u.discounts.push(if buf.terminated[e] { 0.0 } else { 1.0 });
                let ended = buf.terminated[e] || buf.truncated[e];
                u.episode_continues.push(if ended { 0.0 } else { 1.0 });
                let next = if ended { &buf.final_obs } else { &buf.obs };
                u.next_features.data.extend(next[e * dim..(e + 1) * dim].iter().map(|&x| x as f64));
                self.episode_returns[e] += r;
                if ended {
                    finished.push(std::mem::take(&mut self.episode_returns[e]));
                }
            }
            self.obs.copy_from_slice(&self.buffers.obs);
            // The state each transition arrives in (after a reset, the next episode's first
            // state: after a termination its γₜ·dₜ and λₜeₜ are 0, so any index serves; after a
            // truncation γₜ would be the final state's, which is not numbered, but no
            // environment with numbered states truncates).
            if let Some(states) = &mut u.states {
                self.env.state_indices(&mut state_buf)?;
                states.extend_from_slice(&state_buf);
            }
        }
        self.unrolls += 1;
        Ok(u)
    }

    /// The heads of parameters θ on an unroll, and the return's view of it.
    fn evaluate(&self, unroll: Unroll, params: &[f64]) -> Result<Evaluated> {
        let heads = self.model.heads(params, &unroll.features)?;
        let traj = Trajectory {
            batch: Batch::new(self.options.unroll, self.options.num_envs)?,
            rewards: unroll.rewards.clone(),
            discounts: unroll.discounts.clone(),
            episode_continues: unroll.episode_continues.clone(),
            values: heads.values.clone(),
            next_values: self.model.heads(params, &unroll.next_features)?.values,
            log_rhos: vec![0.0; unroll.rewards.len()],
            states: unroll.states.clone(),
        };
        Ok(Evaluated { unroll, heads, traj })
    }
}

impl Learner for TdAgent {
    fn update(&mut self) -> Result<UpdateReport> {
        let mut report = UpdateReport::default();
        let frames_per_unroll = (self.options.unroll * self.options.num_envs) as u64;
        let tau = match self.pending.take() {
            Some(evaluated) => evaluated,
            None => {
                report.frames += frames_per_unroll;
                let unroll = self.collect(&mut report.episode_returns)?;
                self.evaluate(unroll, &self.params)?
            }
        };
        let evaluation = self.pipeline.evaluate(&tau.traj)?;
        report.scalars.push(("value_loss".into(), VALUE_LOSS.value(&evaluation.targets, &tau.heads)));
        let weights = VALUE_LOSS.weights(&evaluation.targets, &tau.heads);
        let g = self.model.weighted_grad(&self.params, &tau.unroll.features, &weights)?;
        let step = self.optim.prepare(&g);

        if let Some(mut meta) = self.meta.take() {
            let theta_prime: Vec<f64> = self.params.iter().zip(&step.delta).map(|(t, d)| t + d).collect();
            let next_unroll = if meta.next_batch {
                report.frames += frames_per_unroll;
                self.collect(&mut report.episode_returns)?
            } else {
                tau.unroll.clone()
            };
            let tau_next = self.evaluate(next_unroll, &theta_prime)?;
            let (objective, g_prime) =
                meta.objective(&self.model, &theta_prime, &tau_next.unroll.features, &tau_next.traj, &tau_next.heads)?;
            let inner = InnerStep {
                model: &self.model,
                params: &self.params,
                batch: &tau.unroll.features,
                traj: &tau.traj,
                evaluation: &evaluation,
                loss: VALUE_LOSS,
                scale: &step.scale,
            };
            let grad = meta.gradient(&self.pipeline, &inner, &g_prime)?;
            report.scalars.push(("meta_objective".into(), objective));
            report.scalars.push(("meta_grad_norm".into(), grad.iter().map(|g| g * g).sum::<f64>().sqrt()));
            let applied = meta.apply(&mut self.pipeline, &grad);
            if meta.next_batch {
                self.pending = Some(tau_next);
            }
            self.meta = Some(meta);
            applied?;
        }
        self.optim.commit(step, &mut self.params);
        if let Some(i) = self.params.iter().position(|p| !p.is_finite()) {
            return Err(Divergence {
                quantity: format!("value parameter θ[{i}]"),
                detail: format!("{}", self.params[i]),
            }
            .into());
        }
        Ok(report)
    }

    fn meta_values(&self) -> Vec<(String, f64)> {
        self.pipeline.meta_values()
    }

    fn state(&self) -> LearnerState {
        let tensor =
            |name: &str, data: &[f64]| StateTensor { name: name.into(), shape: vec![data.len()], data: data.to_vec() };
        let mut tensors = vec![
            tensor("theta", &self.params),
            tensor("optim.m", &self.optim.state.m),
            tensor("optim.v", &self.optim.state.v),
            tensor("meta.x", &self.pipeline.params()),
        ];
        let mut extra = serde_json::json!({
            "unrolls": self.unrolls,
            "pending": self.pending.is_some(),
            "optim.t": self.optim.state.t,
        });
        if let Some(meta) = &self.meta {
            let (adam, traces) = meta.state();
            tensors.push(tensor("meta.adam.m", &adam.m));
            tensors.push(tensor("meta.adam.v", &adam.v));
            for (k, z) in traces.iter().enumerate() {
                tensors.push(tensor(&format!("meta.trace.{k}"), z));
            }
            extra["meta.adam.t"] = adam.t.into();
            extra["meta.traces"] = traces.len().into();
        }
        LearnerState { tensors, extra }
    }

    fn restore(&mut self, state: LearnerState) -> Result<()> {
        ensure!(self.unrolls == 0, "restore needs a freshly built agent");
        let get = |name: &str| -> Result<Vec<f64>> {
            state
                .tensors
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.data.clone())
                .with_context(|| format!("checkpoint lacks `{name}`"))
        };
        let count = |key: &str| -> Result<u64> {
            state.extra.get(key).and_then(|v| v.as_u64()).with_context(|| format!("checkpoint lacks `{key}`"))
        };
        // Replay the environments: the behaviour does not depend on θ, so this restores them exactly.
        let unrolls = count("unrolls")?;
        let pending = state.extra.get("pending").and_then(|v| v.as_bool()).unwrap_or(false);
        let mut discard = Vec::new();
        let mut last = None;
        for _ in 0..unrolls {
            last = Some(self.collect(&mut discard)?);
        }
        let theta = get("theta")?;
        ensure!(
            theta.len() == self.params.len(),
            "checkpoint θ has {} entries, the agent {}",
            theta.len(),
            self.params.len()
        );
        self.params = theta;
        if let (true, Some(unroll)) = (pending, last) {
            self.pending = Some(self.evaluate(unroll, &self.params)?);
        }
        self.optim.state = OptimizerState { m: get("optim.m")?, v: get("optim.v")?, t: count("optim.t")? };
        self.pipeline.set_params(&get("meta.x")?)?;
        if let Some(meta) = &mut self.meta {
            let adam = OptimizerState { m: get("meta.adam.m")?, v: get("meta.adam.v")?, t: count("meta.adam.t")? };
            let traces = (0..count("meta.traces")?).map(|k| get(&format!("meta.trace.{k}"))).collect::<Result<_>>()?;
            meta.restore(adam, traces);
        }
        // Episode returns in progress were replayed with the environments.
        Ok(())
    }
}
