//! Time limits, end to end: an actor on CartPole with a 6-step limit collects an unroll in
//! which episodes are truncated; for every registered return plugin, on-policy, the value
//! target at a truncated step is rₜ + γ V(final observation) (V of the network on the
//! observation the episode ended in, not on the next episode's first), and no target before
//! a truncation moves when the next episode's rewards change.

use dfdx::tensor::Cpu;
use mgrl_agents::actor::{Actor, Uniform};
use mgrl_agents::meta::{HeadModel, ReturnPipeline};
use mgrl_agents::net::{ActorCritic, Model, NetworkConfig};
use mgrl_agents::unroll::Unroll;
use mgrl_core::config::Experiment;
use mgrl_core::{registry, PluginKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

// Link the plugin crates whose plugins are tested.
use mgrl_plugin_retrace as _;
use mgrl_returns as _;

const GAMMA: f64 = 0.9;
const LIMIT: usize = 6;

fn cartpole_unroll() -> Unroll {
    let mut options = toml::Table::new();
    options.insert("max_episode_steps".into(), toml::Value::Integer(LIMIT as i64));
    let env = mgrl_envs::registry::make("cartpole", 2, 3, &options).unwrap();
    let mut actor = Actor::new(env, 15, ChaCha8Rng::seed_from_u64(5)).unwrap();
    actor.unroll(&mut Uniform { actions: 2 }, &mut Vec::new()).unwrap()
}

/// The `[return]` of `plugin` with γ = GAMMA and λ = 1 where it has them.
fn pipeline(plugin: &str) -> ReturnPipeline {
    let entry = registry::find(PluginKind::Return, plugin).unwrap();
    let mut section = format!("[return]\ntype = \"{plugin}\"\n");
    for m in entry.meta_params {
        match m.name {
            "gamma" => section += &format!("gamma = {GAMMA}\n"),
            "lambda" => section += "lambda = 1.0\n",
            _ => {}
        }
    }
    if plugin == "n_step" {
        section += "n = 4\n";
    }
    let text =
        format!("name = \"t\"\n[env]\nname = \"cartpole\"\n[agent]\nkind = \"impala\"\n[run]\nupdates = 1\n{section}");
    ReturnPipeline::from_experiment(&Experiment::parse("t.toml", &text).unwrap(), None).unwrap()
}

#[test]
fn every_return_bootstraps_a_truncated_step_on_its_final_observation_and_stops_there() {
    let mut unroll = cartpole_unroll();
    let truncated: Vec<usize> = (0..unroll.t * unroll.b)
        .filter(|&i| unroll.episode_continues[i] == 0.0 && unroll.discounts[i] == 1.0)
        .collect();
    assert!(truncated.len() >= 2, "the unroll must hold truncations: {:?}", unroll.episode_continues);
    let net =
        ActorCritic::<f64, Cpu>::new(Cpu::default(), &NetworkConfig::Mlp { hidden: vec![8] }, &[4], 2, 0, 1).unwrap();
    let params = net.init(&mut ChaCha8Rng::seed_from_u64(1));
    let heads = net.heads(&params, &net.batch(&unroll.rows(), &unroll.actions, &[]).unwrap()).unwrap();
    // On-policy: the behaviour's log-probabilities are the network's.
    unroll.behaviour_log_probs = heads.log_pi.clone().unwrap();
    let traj = unroll.trajectory(&heads).unwrap();
    let dim = 4;
    for plugin in registry::plugins().into_iter().filter(|p| p.kind == PluginKind::Return).map(|p| p.name) {
        let targets = pipeline(plugin).evaluate(&traj).unwrap().targets;
        for &i in &truncated {
            let k = unroll.final_steps.iter().position(|&s| s == i).unwrap();
            let final_obs = &unroll.final_obs[k * dim..(k + 1) * dim];
            let v_final = net.heads(&params, &net.batch(final_obs, &[], &[]).unwrap()).unwrap().bootstrap[0];
            let want = unroll.rewards[i] + GAMMA * v_final;
            assert!(
                (targets.values[i] - want).abs() < 1e-12,
                "{plugin}, step {i}: target {} vs r + γV(final) {want}",
                targets.values[i]
            );
        }
        // The next episode's rewards change no target up to a truncation of its environment.
        let (b, first) = (unroll.b, truncated[0]);
        let mut changed = traj.clone();
        for j in (first + b..unroll.t * b).step_by(b) {
            changed.inputs.rewards[j] += 100.0;
        }
        let after = pipeline(plugin).evaluate(&changed).unwrap().targets;
        for j in (first % b..=first).step_by(b) {
            assert_eq!(after.values[j], targets.values[j], "{plugin}: step {j} moved with the next episode");
        }
    }
}
