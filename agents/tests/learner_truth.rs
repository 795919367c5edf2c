//! The truth test of DESIGN.md §2 for the shared learner on the actor-critic network: the
//! meta-gradient of a learner update equals the central-difference derivative of the
//! brute-force two-step pipeline
//!
//!   L(x) = J′(τ′, θ + o − κ s ⊙ g(τ, θ, η(x)), η̄)
//!
//! in f64, to relative error below 1e-4. The network is an MLP (or MinAtar's convolution)
//! with a policy head and η-conditioning; the inner loss has its entropy bonus and global-norm
//! clipping (κ < 1, checked). Held fixed, as the method holds them: the optimiser's (s, o),
//! the clipping factor κ, the network's η input (η on τ, η̄ on τ′), and the targets of J′
//! (computed once at the unperturbed θ′). The unrolls hold a termination and a time-limit
//! truncation. The update checked is the learner's second, so the optimiser has history.
//! The learned reward's network is checked the same way, weight by weight.

mod support;

use dfdx::tensor::Cpu;
use mgrl_agents::learner::{Learner, LearnerOptions};
use mgrl_agents::meta::{HeadModel, ReturnPipeline, TargetLoss};
use mgrl_agents::net::{ActorCritic, Model, NetworkConfig, Params, RewardNet};
use mgrl_agents::optim::Optimizer;
use mgrl_agents::unroll::Unroll;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use support::{assert_matches_central_differences, experiment, optimizer};

// Link the plugin crates whose plugins are tested.
use mgrl_plugin_retrace as _;
use mgrl_returns as _;

const T: usize = 5;
const B: usize = 3;
const ACTIONS: usize = 3;
const STATES: usize = 4;
/// Small enough that the clipping binds.
const MAX_GRAD_NORM: f64 = 0.05;

/// A random unroll with a termination (step 4) and a truncation (step 8) inside it.
fn random_unroll(rng: &mut ChaCha8Rng, obs_len: usize) -> Unroll {
    let n = T * B;
    let mut obs = || -> Vec<f32> { (0..obs_len).map(|_| rng.gen::<f32>() - 0.5).collect() };
    let rows: Vec<f32> = (0..n + B).flat_map(|_| obs()).collect();
    let final_obs: Vec<f32> = (0..2).flat_map(|_| obs()).collect();
    let (terminated, truncated) = (4, 8);
    Unroll {
        t: T,
        b: B,
        obs: rows,
        final_obs,
        final_steps: vec![terminated, truncated],
        actions: (0..n).map(|_| rng.gen_range(0..ACTIONS)).collect(),
        behaviour_log_probs: (0..n).map(|_| (0.2 + 0.6 * rng.gen::<f64>()).ln()).collect(),
        rewards: (0..n).map(|_| 2.0 * rng.gen::<f64>() - 1.0).collect(),
        discounts: (0..n).map(|i| if i == terminated { 0.0 } else { 1.0 }).collect(),
        episode_continues: (0..n).map(|i| if i == terminated || i == truncated { 0.0 } else { 1.0 }).collect(),
        states: Some((0..n).map(|i| (i * 3 + 1) % STATES).collect()),
    }
}

/// The learner's state before its second update.
struct Before {
    theta: Params<f64, Cpu>,
    optim: Optimizer<f64, Cpu>,
    /// The learnt numbers x.
    x0: Vec<f64>,
    /// The network's η input.
    eta: Vec<f64>,
    /// The learned reward network's weights, if any.
    reward: Option<Vec<Vec<f64>>>,
}

/// Two updates of `learner` on three unrolls (τ = 0, τ′ = 1, then τ = 1, τ′ = 2), and its state
/// between them: the second update is the one checked, its optimiser with history.
fn two_updates(learner: &mut Learner<ActorCritic<f64, Cpu>>, unrolls: &[Unroll]) -> Before {
    let mut next = unrolls.iter().cloned();
    let mut collect = |_: &_, _: &[f64]| Ok(next.next().expect("three unrolls"));
    learner.update(&mut collect).unwrap();
    let before = Before {
        theta: learner.params.clone(),
        optim: learner.optimizer().clone(),
        x0: learner.pipeline.params(),
        eta: learner.eta(),
        reward: learner.reward_params().map(Params::to_host),
    };
    learner.update(&mut collect).unwrap();
    before
}

fn check(plugin: &str, opt: &str, method: &str, network: NetworkConfig, obs_shape: &[usize], outer: bool) {
    let exp = experiment(plugin, false, method);
    let pipeline = ReturnPipeline::from_experiment(&exp, Some(STATES)).unwrap();
    let eta_inputs = pipeline.learnt_names().len();
    let model = ActorCritic::<f64, Cpu>::new(Cpu::default(), &network, obs_shape, ACTIONS, eta_inputs, 4).unwrap();
    let model = if outer { model.with_outer_value() } else { model };
    let loss = TargetLoss { value_cost: 0.5, policy: true, entropy_cost: 0.01 };
    let options =
        LearnerOptions { loss, max_grad_norm: Some(MAX_GRAD_NORM), eta_conditioning: true, outer_value: outer };
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let mut learner =
        Learner::new(model.clone(), &mut rng, optimizer(opt), pipeline, exp.meta.as_ref(), Some(STATES), options)
            .unwrap();
    let obs_len: usize = obs_shape.iter().product();
    let unrolls: Vec<Unroll> = (0..3).map(|_| random_unroll(&mut rng, obs_len)).collect();
    let Before { theta, optim, x0, eta, .. } = two_updates(&mut learner, &unrolls);
    let grad = learner.last_meta_gradient.clone();
    assert_eq!(eta.len(), eta_inputs, "every learnt scalar is a network input");
    let objective = ReturnPipeline::from_return(&exp.meta.as_ref().unwrap().objective, Some(STATES)).unwrap();
    let reference = objective.meta_values();
    let eta_bar: Vec<f64> = learner
        .eta_names()
        .iter()
        .zip(&eta)
        .map(|(name, v)| reference.iter().find(|(m, _)| m == name).map_or(*v, |(_, r)| *r))
        .collect();

    // Brute force: L(x) with κ, (s, o), the η inputs and the targets of J′ held fixed.
    let (tau, tau_next) = (&unrolls[1], &unrolls[2]);
    let batch = model.batch(&tau.rows(), &tau.actions, &eta).unwrap();
    let batch_next = model.batch(&tau_next.rows(), &tau_next.actions, &eta_bar).unwrap();
    let mut pipeline = ReturnPipeline::from_experiment(&exp, Some(STATES)).unwrap();
    let mut inner_grad = |x: &[f64]| {
        pipeline.set_params(x).unwrap();
        let heads = model.heads(&theta, &batch).unwrap();
        let targets = pipeline.evaluate(&tau.trajectory(&heads).unwrap()).unwrap().targets;
        let mut w = loss.weights(&targets, &heads);
        if let Some(o) = &heads.outer {
            // V̄ towards J′'s targets on τ, which no x moves.
            let outer_targets = objective.evaluate(&tau.trajectory(&heads.outer_view()).unwrap()).unwrap().targets;
            w.outer = Some(loss.outer_weights(&outer_targets, o));
        }
        model.weighted_grad(&theta, &batch, &w).unwrap()
    };
    let g0 = inner_grad(&x0);
    let kappa = MAX_GRAD_NORM / g0.norm();
    assert!(kappa < 1.0, "the clipping must bind: ‖g‖ = {}", g0.norm());
    let step = optim.prepare(&g0.map(|g| g * kappa));
    let theta_at =
        |g: &Params<f64, Cpu>| theta.add_scaled(&step.offset, 1.0).add_scaled(&step.scale.zip(g, |s, g| s * g), -kappa);
    // J′ bootstraps on, and regresses, V̄ when the network has it.
    let heads_next = model.heads(&theta_at(&g0), &batch_next).unwrap().outer_view();
    let fixed_targets = objective.evaluate(&tau_next.trajectory(&heads_next).unwrap()).unwrap().targets;
    let loss_at = |x: &[f64]| {
        let theta_x = theta_at(&inner_grad(x));
        loss.value(&fixed_targets, &model.heads(&theta_x, &batch_next).unwrap().outer_view())
    };
    assert_matches_central_differences(&grad, &x0, loss_at, &format!("{plugin}/{opt}/{method}"));
}

fn mlp(plugin: &str, opt: &str, method: &str) {
    check(plugin, opt, method, NetworkConfig::Mlp { hidden: vec![6, 5] }, &[4], false);
}

/// With the outer value head of Bonnet et al. (2022).
fn mlp_outer(plugin: &str, opt: &str, method: &str) {
    check(plugin, opt, method, NetworkConfig::Mlp { hidden: vec![6, 5] }, &[4], true);
}

macro_rules! truth_tests {
    ($($name:ident => ($plugin:literal, $opt:literal, $method:literal),)*) => {
        $(
            #[test]
            fn $name() {
                mlp($plugin, $opt, $method);
            }
        )*
    };
}

truth_tests! {
    n_step_sgd_surrogate => ("n_step", "sgd", "surrogate"),
    n_step_sgd_cotangent => ("n_step", "sgd", "cotangent"),
    n_step_rmsprop_surrogate => ("n_step", "rmsprop", "surrogate"),
    n_step_rmsprop_cotangent => ("n_step", "rmsprop", "cotangent"),
    n_step_adam_surrogate => ("n_step", "adam", "surrogate"),
    n_step_adam_cotangent => ("n_step", "adam", "cotangent"),
    lambda_return_sgd_surrogate => ("lambda_return", "sgd", "surrogate"),
    lambda_return_sgd_cotangent => ("lambda_return", "sgd", "cotangent"),
    lambda_return_rmsprop_surrogate => ("lambda_return", "rmsprop", "surrogate"),
    lambda_return_rmsprop_cotangent => ("lambda_return", "rmsprop", "cotangent"),
    lambda_return_adam_surrogate => ("lambda_return", "adam", "surrogate"),
    lambda_return_adam_cotangent => ("lambda_return", "adam", "cotangent"),
    vtrace_sgd_surrogate => ("vtrace", "sgd", "surrogate"),
    vtrace_sgd_cotangent => ("vtrace", "sgd", "cotangent"),
    vtrace_rmsprop_surrogate => ("vtrace", "rmsprop", "surrogate"),
    vtrace_rmsprop_cotangent => ("vtrace", "rmsprop", "cotangent"),
    vtrace_adam_surrogate => ("vtrace", "adam", "surrogate"),
    vtrace_adam_cotangent => ("vtrace", "adam", "cotangent"),
    clip_sgd_surrogate => ("clip", "sgd", "surrogate"),
    clip_sgd_cotangent => ("clip", "sgd", "cotangent"),
    clip_rmsprop_surrogate => ("clip", "rmsprop", "surrogate"),
    clip_rmsprop_cotangent => ("clip", "rmsprop", "cotangent"),
    clip_adam_surrogate => ("clip", "adam", "surrogate"),
    clip_adam_cotangent => ("clip", "adam", "cotangent"),
    soft_clip_sgd_surrogate => ("soft_clip", "sgd", "surrogate"),
    soft_clip_sgd_cotangent => ("soft_clip", "sgd", "cotangent"),
    soft_clip_rmsprop_surrogate => ("soft_clip", "rmsprop", "surrogate"),
    soft_clip_rmsprop_cotangent => ("soft_clip", "rmsprop", "cotangent"),
    soft_clip_adam_surrogate => ("soft_clip", "adam", "surrogate"),
    soft_clip_adam_cotangent => ("soft_clip", "adam", "cotangent"),
    retrace_sgd_surrogate => ("retrace", "sgd", "surrogate"),
    retrace_sgd_cotangent => ("retrace", "sgd", "cotangent"),
    retrace_rmsprop_surrogate => ("retrace", "rmsprop", "surrogate"),
    retrace_rmsprop_cotangent => ("retrace", "rmsprop", "cotangent"),
    retrace_adam_surrogate => ("retrace", "adam", "surrogate"),
    retrace_adam_cotangent => ("retrace", "adam", "cotangent"),
}

#[test]
fn outer_value_head_lambda_return_rmsprop_cotangent() {
    mlp_outer("lambda_return", "rmsprop", "cotangent");
}

#[test]
fn outer_value_head_vtrace_adam_surrogate() {
    mlp_outer("vtrace", "adam", "surrogate");
}

#[test]
fn outer_value_head_n_step_sgd_cotangent() {
    mlp_outer("n_step", "sgd", "cotangent");
}

#[test]
fn minatar_convolution_learner_rmsprop_cotangent() {
    check("lambda_return", "rmsprop", "cotangent", NetworkConfig::Conv { channels: 3, hidden: 5 }, &[2, 4, 4], false);
}

#[test]
fn minatar_convolution_learner_adam_surrogate() {
    check("vtrace", "adam", "surrogate", NetworkConfig::Conv { channels: 3, hidden: 5 }, &[2, 4, 4], false);
}

/// The learned reward r_η(x, a) of a small network, learnt through method (b): the learner's
/// dJ′/dη for every weight of the reward network against the brute-force derivative, with the
/// return's γ learnt beside it.
fn check_learned_reward(opt: &str) {
    let text = "name = \"truth\"\n[env]\nname = \"test\"\n[agent]\nkind = \"test\"\n[run]\nupdates = 1\n\
                [[reward_transform]]\ntype = \"learned_reward\"\nreward = { learnable = true }\n\
                [return]\ntype = \"lambda_return\"\ngamma = { value = 0.75, learnable = true }\nlambda = 0.8\n\
                [meta]\nmethod = \"cotangent\"\n[meta.objective]\ntype = \"lambda_return\"\ngamma = 0.99\nlambda = 1.0\n";
    let exp = mgrl_core::config::Experiment::parse("truth.toml", text).unwrap();
    let pipeline = ReturnPipeline::from_experiment(&exp, None).unwrap();
    assert_eq!(pipeline.networks().len(), 1);
    let obs_shape = [4];
    let model = ActorCritic::<f64, Cpu>::new(
        Cpu::default(),
        &NetworkConfig::Mlp { hidden: vec![6, 5] },
        &obs_shape,
        ACTIONS,
        1,
        4,
    )
    .unwrap();
    let reward_net = RewardNet::<f64, Cpu>::new(Cpu::default(), 4, &[3], ACTIONS).unwrap();
    let loss = TargetLoss { value_cost: 0.5, policy: true, entropy_cost: 0.01 };
    let options =
        LearnerOptions { loss, max_grad_norm: Some(MAX_GRAD_NORM), eta_conditioning: true, outer_value: false };
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    let mut learner = Learner::new(model.clone(), &mut rng, optimizer(opt), pipeline, exp.meta.as_ref(), None, options)
        .unwrap()
        .with_reward_network(reward_net.clone(), &mut rng, 0.01);
    let unrolls: Vec<Unroll> = (0..3).map(|_| random_unroll(&mut rng, 4)).collect();
    let Before { theta, optim, x0, eta, reward } = two_updates(&mut learner, &unrolls);
    let w0 = reward.expect("the learner has a reward network");
    let eta_bar = vec![0.99];
    let grad = learner.last_reward_gradient.clone().unwrap().to_host();

    let (tau, tau_next) = (&unrolls[1], &unrolls[2]);
    let batch = model.batch(&tau.rows(), &tau.actions, &eta).unwrap();
    let batch_next = model.batch(&tau_next.rows(), &tau_next.actions, &eta_bar).unwrap();
    let mut pipeline = ReturnPipeline::from_experiment(&exp, None).unwrap();
    pipeline.set_params(&x0).unwrap();
    let inner_grad = |w: &[Vec<f64>]| {
        let heads = model.heads(&theta, &batch).unwrap();
        let mut traj = tau.trajectory(&heads).unwrap();
        let w = Params::from_host(&Cpu::default(), w);
        traj.network_meta = vec![reward_net.rewards(&w, &tau.obs, &tau.actions).unwrap()];
        let targets = pipeline.evaluate(&traj).unwrap().targets;
        model.weighted_grad(&theta, &batch, &loss.weights(&targets, &heads)).unwrap()
    };
    let g0 = inner_grad(&w0);
    let kappa = MAX_GRAD_NORM / g0.norm();
    assert!(kappa < 1.0, "the clipping must bind: ‖g‖ = {}", g0.norm());
    let step = optim.prepare(&g0.map(|g| g * kappa));
    let theta_at =
        |g: &Params<f64, Cpu>| theta.add_scaled(&step.offset, 1.0).add_scaled(&step.scale.zip(g, |s, g| s * g), -kappa);
    let objective = ReturnPipeline::from_return(&exp.meta.as_ref().unwrap().objective, None).unwrap();
    let heads_next = model.heads(&theta_at(&g0), &batch_next).unwrap();
    let fixed_targets = objective.evaluate(&tau_next.trajectory(&heads_next).unwrap()).unwrap().targets;
    let lengths: Vec<usize> = w0.iter().map(Vec::len).collect();
    let unflatten = |flat: &[f64]| -> Vec<Vec<f64>> {
        let mut rest = flat;
        lengths
            .iter()
            .map(|&n| {
                let (head, tail) = rest.split_at(n);
                rest = tail;
                head.to_vec()
            })
            .collect()
    };
    let loss_at = |w: &[f64]| {
        loss.value(&fixed_targets, &model.heads(&theta_at(&inner_grad(&unflatten(w))), &batch_next).unwrap())
    };
    let flat = |w: &[Vec<f64>]| w.concat();
    assert_matches_central_differences(&flat(&grad), &flat(&w0), loss_at, &format!("learned reward/{opt}"));
}

#[test]
fn learned_reward_network_sgd_cotangent() {
    check_learned_reward("sgd");
}

#[test]
fn learned_reward_network_rmsprop_cotangent() {
    check_learned_reward("rmsprop");
}

#[test]
fn learned_reward_network_adam_cotangent() {
    check_learned_reward("adam");
}
