//! The truth test of DESIGN.md §2: the meta-gradient equals the central-difference
//! derivative of the brute-force two-step pipeline
//!
//!   L(x) = J′(τ′, θ + o − s ⊙ g(τ, θ, η(x)), η̄)
//!
//! in f64, to relative error below 1e-4, holding fixed what the method treats as constant:
//! the preconditioner (s, o) and the targets of J′ (computed once at the unperturbed θ′).
//! One test per return plugin × inner optimiser × scalar/per-state × method (a)/(b).

mod support;

use dfdx::tensor::Cpu;
use mgrl_agents::meta::{HeadModel, InnerStep, MetaOptimiser, ReturnPipeline, TargetLoss, Trajectory};
use mgrl_agents::net::Params;
use mgrl_agents::optim::Optimizer;
use mgrl_agents::td::LinearValue;
use mgrl_core::{Batch, ReturnBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use support::{assert_matches_central_differences, experiment, optimizer, params, AcBatch, LinearActorCritic};

// Link the plugin crates whose plugins are tested.
use mgrl_plugin_retrace as _;
use mgrl_returns as _;

const T: usize = 6;
const B: usize = 3;
const DIM: usize = 5;
const ACTIONS: usize = 3;
const STATES: usize = 4;

/// A random batch: features of xₜ and xₜ₊₁, the actions, and the return's view without values.
struct RandomBatch {
    features: Vec<f64>,
    next_features: Vec<f64>,
    actions: Vec<usize>,
    traj: Trajectory,
}

fn random_batch(rng: &mut ChaCha8Rng) -> RandomBatch {
    let n = T * B;
    let mut gauss = |scale: f64| -> Vec<f64> { (0..n).map(|_| scale * (rng.gen::<f64>() * 2.0 - 1.0) * 1.7).collect() };
    let rewards = gauss(1.0);
    let log_rhos = gauss(0.3);
    let features: Vec<f64> = (0..n * DIM).map(|_| rng.gen::<f64>() - 0.5).collect();
    let next_features: Vec<f64> = (0..n * DIM).map(|_| rng.gen::<f64>() - 0.5).collect();
    let actions = (0..n).map(|_| rng.gen_range(0..ACTIONS)).collect();
    // Episode ends inside the batch, terminations (d = 0, e = 0) and a time-limit truncation
    // (d = 1, e = 0); every state appears.
    let discounts = (0..n).map(|i| if i == 7 || i == 11 { 0.0 } else { 1.0 }).collect();
    let episode_continues = (0..n).map(|i| if i == 4 || i == 7 || i == 11 { 0.0 } else { 1.0 }).collect();
    let states = (0..n).map(|i| (i * 3 + 1) % STATES).collect();
    let inputs =
        ReturnBatch { rewards, discounts, episode_continues, log_rhos, ..ReturnBatch::new(Batch::new(T, B).unwrap()) };
    let traj = Trajectory { inputs, states: Some(states), network_meta: Vec::new() };
    RandomBatch { features, next_features, actions, traj }
}

/// Runs the check for one model: `batch(features)` builds what the model reads.
fn check<M: HeadModel<Dtype = f64, Device = Cpu>>(
    model: &M,
    num_params: usize,
    to_batch: impl Fn(&RandomBatch, bool) -> M::Batch,
    policy: bool,
    (plugin, opt, per_state, method): (&str, &str, bool, &str),
) {
    let exp = experiment(plugin, per_state, method);
    let mut pipeline = ReturnPipeline::from_experiment(&exp, Some(STATES)).unwrap();
    let inner_loss = TargetLoss { value_cost: 0.5, policy, entropy_cost: 0.0 };
    let objective_loss = TargetLoss { value_cost: 1.0, policy, entropy_cost: 0.0 };
    let mut meta = MetaOptimiser::new(exp.meta.as_ref().unwrap(), objective_loss, &pipeline, Some(STATES)).unwrap();

    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let theta = params(&(0..num_params).map(|_| rng.gen::<f64>() - 0.5).collect::<Vec<_>>());
    let tau = random_batch(&mut rng);
    let tau_next = random_batch(&mut rng);
    let with_values = |rb: &RandomBatch, params: &Params<f64, Cpu>| {
        let mut traj = rb.traj.clone();
        traj.inputs.values = model.heads(params, &to_batch(rb, false)).unwrap().values;
        traj.inputs.next_values = model.heads(params, &to_batch(rb, true)).unwrap().values;
        traj
    };
    // An optimiser with history, so that RMSProp/Adam have non-trivial moments.
    let mut optim = Optimizer::new(optimizer(opt), &theta);
    for _ in 0..2 {
        let g = params(&(0..num_params).map(|_| rng.gen::<f64>() - 0.5).collect::<Vec<_>>());
        let s = optim.prepare(&g);
        optim.commit(s, &mut theta.zeros_like());
    }

    let batch = to_batch(&tau, false);
    let traj = with_values(&tau, &theta);
    let inner_grad = |pipeline: &ReturnPipeline| {
        let ev = pipeline.evaluate(&traj).unwrap();
        let heads = model.heads(&theta, &batch).unwrap();
        let g = model.weighted_grad(&theta, &batch, &inner_loss.weights(&ev.targets, &heads)).unwrap();
        (ev, g)
    };
    let (ev, g) = inner_grad(&pipeline);
    let step = optim.prepare(&g);
    let theta_prime = theta.add_scaled(&step.delta, 1.0);
    let batch_next = to_batch(&tau_next, false);
    let traj_next = with_values(&tau_next, &theta_prime);
    let heads_next = model.heads(&theta_prime, &batch_next).unwrap();
    let (_, w_prime) = meta.objective_weights(&traj_next, &heads_next).unwrap();
    let g_prime = model.weighted_grad(&theta_prime, &batch_next, &w_prime).unwrap();
    let inner = InnerStep {
        model,
        params: &theta,
        batch: &batch,
        traj: &traj,
        evaluation: &ev,
        loss: inner_loss,
        scale: &step.scale,
    };
    let grad = meta.gradient(&pipeline, &inner, &g_prime).unwrap().learnt;

    // Brute force: L(x) with (s, o) and the targets of J′ held fixed.
    let fixed_targets = meta.objective.evaluate(&traj_next).unwrap().targets;
    let x0 = pipeline.params();
    let loss_at = |x: &[f64]| {
        pipeline.set_params(x).unwrap();
        let (_, g) = inner_grad(&pipeline);
        let theta_x = theta.add_scaled(&step.offset, 1.0).add_scaled(&step.scale.zip(&g, |s, g| s * g), -1.0);
        objective_loss.value(&fixed_targets, &model.heads(&theta_x, &batch_next).unwrap())
    };
    assert_matches_central_differences(&grad, &x0, loss_at, &format!("{plugin}/{opt}/{method}"));
}

fn check_actor_critic(plugin: &str, opt: &str, per_state: bool, method: &str) {
    let model = LinearActorCritic { dim: DIM, actions: ACTIONS };
    let to_batch = |rb: &RandomBatch, next: bool| AcBatch {
        features: if next { rb.next_features.clone() } else { rb.features.clone() },
        actions: rb.actions.clone(),
    };
    check(&model, model.num_params(), to_batch, true, (plugin, opt, per_state, method));
}

fn check_td(plugin: &str, opt: &str, per_state: bool, method: &str) {
    let model = LinearValue::<f64, Cpu>::new(Cpu::default(), DIM);
    let to_batch = |rb: &RandomBatch, next: bool| {
        model.features(if next { &rb.next_features } else { &rb.features }, T * B).unwrap()
    };
    check(&model, DIM, to_batch, false, (plugin, opt, per_state, method));
}

macro_rules! truth_tests {
    ($check:ident: $($name:ident => ($plugin:literal, $opt:literal, $per_state:literal, $method:literal),)*) => {
        $(
            #[test]
            fn $name() {
                $check($plugin, $opt, $per_state, $method);
            }
        )*
    };
}

// Actor-critic heads (policy gradient and value): every plugin.
truth_tests! { check_actor_critic:
    n_step_sgd_scalar_surrogate => ("n_step", "sgd", false, "surrogate"),
    n_step_sgd_scalar_cotangent => ("n_step", "sgd", false, "cotangent"),
    n_step_sgd_per_state_surrogate => ("n_step", "sgd", true, "surrogate"),
    n_step_sgd_per_state_cotangent => ("n_step", "sgd", true, "cotangent"),
    n_step_rmsprop_scalar_surrogate => ("n_step", "rmsprop", false, "surrogate"),
    n_step_rmsprop_scalar_cotangent => ("n_step", "rmsprop", false, "cotangent"),
    n_step_rmsprop_per_state_surrogate => ("n_step", "rmsprop", true, "surrogate"),
    n_step_rmsprop_per_state_cotangent => ("n_step", "rmsprop", true, "cotangent"),
    n_step_adam_scalar_surrogate => ("n_step", "adam", false, "surrogate"),
    n_step_adam_scalar_cotangent => ("n_step", "adam", false, "cotangent"),
    n_step_adam_per_state_surrogate => ("n_step", "adam", true, "surrogate"),
    n_step_adam_per_state_cotangent => ("n_step", "adam", true, "cotangent"),
    lambda_return_sgd_scalar_surrogate => ("lambda_return", "sgd", false, "surrogate"),
    lambda_return_sgd_scalar_cotangent => ("lambda_return", "sgd", false, "cotangent"),
    lambda_return_sgd_per_state_surrogate => ("lambda_return", "sgd", true, "surrogate"),
    lambda_return_sgd_per_state_cotangent => ("lambda_return", "sgd", true, "cotangent"),
    lambda_return_rmsprop_scalar_surrogate => ("lambda_return", "rmsprop", false, "surrogate"),
    lambda_return_rmsprop_scalar_cotangent => ("lambda_return", "rmsprop", false, "cotangent"),
    lambda_return_rmsprop_per_state_surrogate => ("lambda_return", "rmsprop", true, "surrogate"),
    lambda_return_rmsprop_per_state_cotangent => ("lambda_return", "rmsprop", true, "cotangent"),
    lambda_return_adam_scalar_surrogate => ("lambda_return", "adam", false, "surrogate"),
    lambda_return_adam_scalar_cotangent => ("lambda_return", "adam", false, "cotangent"),
    lambda_return_adam_per_state_surrogate => ("lambda_return", "adam", true, "surrogate"),
    lambda_return_adam_per_state_cotangent => ("lambda_return", "adam", true, "cotangent"),
    vtrace_sgd_scalar_surrogate => ("vtrace", "sgd", false, "surrogate"),
    vtrace_sgd_scalar_cotangent => ("vtrace", "sgd", false, "cotangent"),
    vtrace_sgd_per_state_surrogate => ("vtrace", "sgd", true, "surrogate"),
    vtrace_sgd_per_state_cotangent => ("vtrace", "sgd", true, "cotangent"),
    vtrace_rmsprop_scalar_surrogate => ("vtrace", "rmsprop", false, "surrogate"),
    vtrace_rmsprop_scalar_cotangent => ("vtrace", "rmsprop", false, "cotangent"),
    vtrace_rmsprop_per_state_surrogate => ("vtrace", "rmsprop", true, "surrogate"),
    vtrace_rmsprop_per_state_cotangent => ("vtrace", "rmsprop", true, "cotangent"),
    vtrace_adam_scalar_surrogate => ("vtrace", "adam", false, "surrogate"),
    vtrace_adam_scalar_cotangent => ("vtrace", "adam", false, "cotangent"),
    vtrace_adam_per_state_surrogate => ("vtrace", "adam", true, "surrogate"),
    vtrace_adam_per_state_cotangent => ("vtrace", "adam", true, "cotangent"),
    clip_sgd_scalar_surrogate => ("clip", "sgd", false, "surrogate"),
    clip_sgd_scalar_cotangent => ("clip", "sgd", false, "cotangent"),
    clip_sgd_per_state_surrogate => ("clip", "sgd", true, "surrogate"),
    clip_sgd_per_state_cotangent => ("clip", "sgd", true, "cotangent"),
    clip_rmsprop_scalar_surrogate => ("clip", "rmsprop", false, "surrogate"),
    clip_rmsprop_scalar_cotangent => ("clip", "rmsprop", false, "cotangent"),
    clip_rmsprop_per_state_surrogate => ("clip", "rmsprop", true, "surrogate"),
    clip_rmsprop_per_state_cotangent => ("clip", "rmsprop", true, "cotangent"),
    clip_adam_scalar_surrogate => ("clip", "adam", false, "surrogate"),
    clip_adam_scalar_cotangent => ("clip", "adam", false, "cotangent"),
    clip_adam_per_state_surrogate => ("clip", "adam", true, "surrogate"),
    clip_adam_per_state_cotangent => ("clip", "adam", true, "cotangent"),
    soft_clip_sgd_scalar_surrogate => ("soft_clip", "sgd", false, "surrogate"),
    soft_clip_sgd_scalar_cotangent => ("soft_clip", "sgd", false, "cotangent"),
    soft_clip_sgd_per_state_surrogate => ("soft_clip", "sgd", true, "surrogate"),
    soft_clip_sgd_per_state_cotangent => ("soft_clip", "sgd", true, "cotangent"),
    soft_clip_rmsprop_scalar_surrogate => ("soft_clip", "rmsprop", false, "surrogate"),
    soft_clip_rmsprop_scalar_cotangent => ("soft_clip", "rmsprop", false, "cotangent"),
    soft_clip_rmsprop_per_state_surrogate => ("soft_clip", "rmsprop", true, "surrogate"),
    soft_clip_rmsprop_per_state_cotangent => ("soft_clip", "rmsprop", true, "cotangent"),
    soft_clip_adam_scalar_surrogate => ("soft_clip", "adam", false, "surrogate"),
    soft_clip_adam_scalar_cotangent => ("soft_clip", "adam", false, "cotangent"),
    soft_clip_adam_per_state_surrogate => ("soft_clip", "adam", true, "surrogate"),
    soft_clip_adam_per_state_cotangent => ("soft_clip", "adam", true, "cotangent"),
    retrace_sgd_scalar_surrogate => ("retrace", "sgd", false, "surrogate"),
    retrace_sgd_scalar_cotangent => ("retrace", "sgd", false, "cotangent"),
    retrace_sgd_per_state_surrogate => ("retrace", "sgd", true, "surrogate"),
    retrace_sgd_per_state_cotangent => ("retrace", "sgd", true, "cotangent"),
    retrace_rmsprop_scalar_surrogate => ("retrace", "rmsprop", false, "surrogate"),
    retrace_rmsprop_scalar_cotangent => ("retrace", "rmsprop", false, "cotangent"),
    retrace_rmsprop_per_state_surrogate => ("retrace", "rmsprop", true, "surrogate"),
    retrace_rmsprop_per_state_cotangent => ("retrace", "rmsprop", true, "cotangent"),
    retrace_adam_scalar_surrogate => ("retrace", "adam", false, "surrogate"),
    retrace_adam_scalar_cotangent => ("retrace", "adam", false, "cotangent"),
    retrace_adam_per_state_surrogate => ("retrace", "adam", true, "surrogate"),
    retrace_adam_per_state_cotangent => ("retrace", "adam", true, "cotangent"),
}

// The TD agent's linear value on dfdx.
truth_tests! { check_td:
    td_lambda_return_sgd_per_state_surrogate => ("lambda_return", "sgd", true, "surrogate"),
    td_lambda_return_sgd_per_state_cotangent => ("lambda_return", "sgd", true, "cotangent"),
    td_lambda_return_rmsprop_per_state_surrogate => ("lambda_return", "rmsprop", true, "surrogate"),
    td_lambda_return_rmsprop_per_state_cotangent => ("lambda_return", "rmsprop", true, "cotangent"),
    td_lambda_return_adam_per_state_surrogate => ("lambda_return", "adam", true, "surrogate"),
    td_lambda_return_adam_per_state_cotangent => ("lambda_return", "adam", true, "cotangent"),
    td_n_step_sgd_per_state_surrogate => ("n_step", "sgd", true, "surrogate"),
    td_n_step_sgd_per_state_cotangent => ("n_step", "sgd", true, "cotangent"),
    td_n_step_rmsprop_per_state_surrogate => ("n_step", "rmsprop", true, "surrogate"),
    td_n_step_rmsprop_per_state_cotangent => ("n_step", "rmsprop", true, "cotangent"),
    td_n_step_adam_per_state_surrogate => ("n_step", "adam", true, "surrogate"),
    td_n_step_adam_per_state_cotangent => ("n_step", "adam", true, "cotangent"),
}
