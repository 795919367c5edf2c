//! The pattern of the paper's Figure 1 (Xu, van Hasselt & Silver 2018) reappears: after
//! meta-learning, the per-state meta-parameter is high in the odd states and low in the
//! even ones, in every one of 10 seeds, as the paper reports: γ low on arriving in the
//! "noise" states and high in the "signal" states; λ low (bootstrap) in the states whose
//! value is exactly 0 and high in the noisy ones. The runs are the examples' experiments,
//! whole (10,000 and 30,000 one-episode updates: a second or two per seed).

use mgrl_agents::td::TdAgent;
use mgrl_agents::Agent;
use mgrl_core::config::Experiment;

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

const SEEDS: u64 = 10;

/// The learnt per-state values of `param` after a run of `example` with `seed`.
fn learnt(example: &str, param: &str, seed: u64) -> Vec<f64> {
    let path = format!("{}/../examples/{example}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap().replace("seed = 0", &format!("seed = {seed}"));
    let exp = Experiment::parse(&path, &text).unwrap();
    let mut agent = TdAgent::new(&exp).unwrap();
    for _ in 0..exp.run.updates {
        agent.update().unwrap();
    }
    agent.pipeline().per_state_values(param).unwrap()
}

fn mean(x: &[f64], states: &[usize]) -> f64 {
    states.iter().map(|&s| x[s]).sum::<f64>() / states.len() as f64
}

#[test]
fn figure1b_discount_is_low_in_noise_states_and_high_in_signal_states_in_every_seed() {
    for seed in 0..SEEDS {
        let gamma = learnt("figure1b_gamma.toml", "gamma", seed);
        // State 0 is never arrived in, so its γ is never used.
        let signal_min = [1, 3, 5, 7, 9].map(|s| gamma[s]).into_iter().fold(f64::INFINITY, f64::min);
        let noise_max = [2, 4, 6, 8].map(|s| gamma[s]).into_iter().fold(f64::NEG_INFINITY, f64::max);
        assert!(signal_min > noise_max, "seed {seed}: γ(s) = {gamma:.2?}");
        assert!(signal_min > 0.8, "seed {seed}: signal γ stayed near its start: {gamma:.2?}");
    }
}

#[test]
fn figure1a_bootstrapping_is_low_where_the_value_is_known_and_high_where_it_is_noisy_in_every_seed() {
    for seed in 0..SEEDS {
        let lambda = learnt("figure1a_lambda.toml", "lambda", seed);
        let (noisy, known) = (mean(&lambda, &[1, 3, 5, 7]), mean(&lambda, &[2, 4, 6, 8]));
        assert!(noisy - known > 0.2, "seed {seed}: λ(s) = {lambda:.2?}");
        assert!(noisy > 0.7, "seed {seed}: λ(s) = {lambda:.2?}");
    }
}
