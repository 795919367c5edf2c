//! The pattern of the paper's Figure 1 (Xu, van Hasselt & Silver 2018) reappears: after
//! meta-learning, the per-state meta-parameter is high in even states and low in odd ones,
//! in every one of 10 seeds. The runs are the examples' experiments, whole (10,000 updates
//! of one 10-step episode each: about a second per seed).

use mgrl_agents::td::TdAgent;
use mgrl_agents::Learner;
use mgrl_core::config::Experiment;

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

const UPDATES: usize = 10_000;
const SEEDS: u64 = 10;

/// The learnt per-state values of `param` after a run of `example` with `seed`.
fn learnt(example: &str, param: &str, seed: u64) -> Vec<f64> {
    let path = format!("{}/../examples/{example}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap().replace("seed = 0", &format!("seed = {seed}"));
    let exp = Experiment::parse(&path, &text).unwrap();
    let mut agent = TdAgent::new(&exp).unwrap();
    for _ in 0..UPDATES {
        agent.update().unwrap();
    }
    agent.pipeline().per_state_values(param).unwrap()
}

fn mean(x: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = x.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn figure1b_discount_is_high_in_noisy_even_states_and_low_in_odd_states_in_every_seed() {
    for seed in 0..SEEDS {
        let gamma = learnt("figure1b_gamma.toml", "gamma", seed);
        // States 0–8; the last state's γ multiplies nothing (the episode ends after it).
        let even_min = (0..9).step_by(2).map(|s| gamma[s]).fold(f64::INFINITY, f64::min);
        let odd_max = (1..9).step_by(2).map(|s| gamma[s]).fold(f64::NEG_INFINITY, f64::max);
        assert!(even_min > odd_max, "seed {seed}: γ(s) = {gamma:.2?}");
        assert!(even_min > 0.6, "seed {seed}: even γ stayed near its start: {gamma:.2?}");
    }
}

#[test]
fn figure1a_bootstrapping_is_high_in_even_states_and_lower_in_odd_states_in_every_seed() {
    for seed in 0..SEEDS {
        let lambda = learnt("figure1a_lambda.toml", "lambda", seed);
        let even = mean((0..9).step_by(2).map(|s| lambda[s]));
        let odd = mean((1..9).step_by(2).map(|s| lambda[s]));
        assert!((0..9).step_by(2).all(|s| lambda[s] > 0.7), "seed {seed}: λ(s) = {lambda:.2?}");
        assert!(even - odd > 0.2, "seed {seed}: λ(s) = {lambda:.2?}");
    }
}
