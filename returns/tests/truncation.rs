//! A time-limit truncation ends an episode without ending the task. At a truncated step t
//! (dₜ = 1, eₜ = 0) every registered return plugin targets rₜ + γ V(final observation).
//! (That nothing of the rows after t, the next episode's, reaches the targets up to t nor
//! their derivatives is the `episode ends` check of `mgrl_core::verify`.) On-policy (log ρ = 0),
//! every meta-parameter at its default (γ = 0.99, λ = 0.95, truncation levels 1: λ-return-like
//! settings).
//!
//! `plugins/retrace/tests/truncation.rs` runs this file again in a binary that also links the
//! third-party plugin, so that it is covered too.

use mgrl_core::{registry, Batch, MetaValues, PluginKind, ReturnFn, ReturnInputs, Targets};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// Link the built-in plugins: they register through inventory when linked.
use mgrl_returns as _;

const T: usize = 7;
const B: usize = 2;
/// The truncation: row `ROW` of environment `ENV`; environment 0 has a termination instead.
const ROW: usize = 3;
const ENV: usize = 1;

/// Indices of the arrays: [rewards, discounts, episode_continues, values, next_values,
/// log_rhos, meta…].
const REWARDS: usize = 0;
const CONTINUES: usize = 2;
const VALUES: usize = 3;
const NEXT_VALUES: usize = 4;
const LOG_RHOS: usize = 5;
const META: usize = 6;

/// Every registered return plugin; the n-step return with n = 3 < T and n = 10 ≥ T (n = 1,
/// one-step TD, never looks past its step).
fn plugins() -> Vec<(String, Box<dyn ReturnFn>)> {
    let mut all = Vec::new();
    for entry in registry::plugins().into_iter().filter(|p| p.kind == PluginKind::Return) {
        let options: &[&str] = if entry.name == "n_step" { &["n = 3", "n = 10"] } else { &[""] };
        for option in options {
            let plugin = toml::from_str(&format!("type = \"{}\"\n{option}", entry.name)).unwrap();
            all.push((format!("{} {option}", entry.name).trim().to_string(), plugin));
        }
    }
    all
}

/// A random batch for `plugin` (see the indices above), with its truncation and termination.
fn random_batch(plugin: &dyn ReturnFn, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = T * B;
    let mut u = || (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect::<Vec<f64>>();
    let (rewards, values, next_values) = (u(), u(), u());
    let (mut discounts, mut episode_continues) = (vec![1.0; n], vec![1.0; n]);
    episode_continues[ROW * B + ENV] = 0.0;
    (discounts[B], episode_continues[B]) = (0.0, 0.0);
    let mut arrays = vec![rewards, discounts, episode_continues, values, next_values, vec![0.0; n]];
    arrays.extend(plugin.meta_params().iter().map(|m| vec![m.default; n]));
    arrays
}

fn inputs<'a>(arrays: &'a [Vec<f64>], meta: &'a MetaValues) -> ReturnInputs<'a> {
    ReturnInputs {
        batch: Batch::new(T, B).unwrap(),
        rewards: &arrays[REWARDS],
        discounts: &arrays[1],
        episode_continues: &arrays[CONTINUES],
        values: &arrays[VALUES],
        next_values: &arrays[NEXT_VALUES],
        log_rhos: &arrays[LOG_RHOS],
        meta,
    }
}

fn targets(plugin: &dyn ReturnFn, arrays: &[Vec<f64>]) -> Targets {
    let meta = MetaValues::from_steps(plugin.meta_params(), arrays[META..].iter().cloned());
    plugin.targets(&inputs(arrays, &meta)).unwrap()
}

#[test]
fn at_a_truncation_every_return_targets_the_reward_plus_the_discounted_value_of_the_final_observation() {
    for (name, p) in plugins() {
        let gamma = p.meta_params().iter().position(|m| m.name == "gamma").expect("a discount γ");
        for seed in 0..3 {
            let arrays = random_batch(p.as_ref(), seed);
            let i = ROW * B + ENV;
            let want = arrays[REWARDS][i] + arrays[META + gamma][i] * arrays[NEXT_VALUES][i];
            let got = targets(p.as_ref(), &arrays).values[i];
            assert!((got - want).abs() < 1e-12, "{name}, seed {seed}: value target {got}, want r + γV′ = {want}");
        }
    }
}
