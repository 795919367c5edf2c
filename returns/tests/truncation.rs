//! A time-limit truncation ends an episode without ending the task. At a truncated step t
//! (dₜ = 1, eₜ = 0) every registered return plugin targets rₜ + γ V(final observation), and
//! nothing of the rows after t, which after the automatic reset belong to the next episode,
//! reaches the targets of the rows up to t: neither their values nor their derivatives.
//! On-policy (log ρ = 0), every meta-parameter at its default (γ = 0.99, λ = 0.95, truncation
//! levels 1: λ-return-like settings).
//!
//! `plugins/retrace/tests/truncation.rs` runs this file again in a binary that also links the
//! third-party plugin, so that it is covered too.

use mgrl_core::{registry, Batch, InputTangents, PluginKind, ReturnFn, ReturnInputs, TargetCotangents, Targets};
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

fn inputs<'a>(arrays: &'a [Vec<f64>], meta: &'a [&'a [f64]]) -> ReturnInputs<'a> {
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
    let meta: Vec<&[f64]> = arrays[META..].iter().map(Vec::as_slice).collect();
    plugin.targets(&inputs(arrays, &meta)).unwrap()
}

/// The flat indices of environment `ENV`'s rows ≤ `ROW` (this episode) and > `ROW` (the next).
fn this_episode() -> impl Iterator<Item = usize> {
    (0..=ROW).map(|t| t * B + ENV)
}

fn next_episode() -> impl Iterator<Item = usize> {
    (ROW + 1..T).map(|t| t * B + ENV)
}

/// `arrays` with every reward, value, next value and log ρ of the next episode drawn anew.
fn next_episode_redrawn(arrays: &[Vec<f64>], seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = arrays.to_vec();
    for a in [REWARDS, VALUES, NEXT_VALUES, LOG_RHOS] {
        for i in next_episode() {
            out[a][i] = rng.gen_range(-2.0..2.0);
        }
    }
    out
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

#[test]
fn the_next_episode_after_a_truncation_changes_no_target_nor_derivative_up_to_it() {
    for (name, p) in plugins() {
        let p = p.as_ref();
        let arrays = random_batch(p, 1);
        let changed = next_episode_redrawn(&arrays, 2);
        let (before, after) = (targets(p, &arrays), targets(p, &changed));
        for i in this_episode() {
            assert_eq!(before.values[i], after.values[i], "{name}: value target {i}");
            assert_eq!(before.advantages[i], after.advantages[i], "{name}: advantage {i}");
        }
        // The test bites: without the truncation (eₜ = 1) the same change reaches row t.
        let mut continued = arrays.clone();
        continued[CONTINUES][ROW * B + ENV] = 1.0;
        let changed_continued = next_episode_redrawn(&continued, 2);
        let i = ROW * B + ENV;
        let (before, after) = (targets(p, &continued).values[i], targets(p, &changed_continued).values[i]);
        assert_ne!(before, after, "{name}: without the truncation, row {ROW} should see the change");

        // Derivatives: a tangent on every input of the next episode moves nothing up to t, and
        // cotangents on the targets up to t reach no input of the next episode.
        let meta: Vec<&[f64]> = arrays[META..].iter().map(Vec::as_slice).collect();
        let x = inputs(&arrays, &meta);
        let mut next_only = vec![0.0; T * B];
        for i in next_episode() {
            next_only[i] = 1.0;
        }
        let dx = InputTangents {
            rewards: Some(&next_only),
            values: Some(&next_only),
            next_values: Some(&next_only),
            log_rhos: Some(&next_only),
            meta: vec![Some(&next_only[..]); meta.len()],
        };
        let jvp = p.jvp(&x, &dx).unwrap();
        for i in this_episode() {
            assert_eq!((jvp.values[i], jvp.advantages[i]), (0.0, 0.0), "{name}: JVP of row {}", i / B);
        }
        let mut this_only = vec![0.0; T * B];
        for i in this_episode() {
            this_only[i] = 1.0;
        }
        let vjp = p.vjp(&x, &TargetCotangents { values: &this_only, advantages: &this_only }).unwrap();
        let cotangents = [&vjp.rewards, &vjp.values, &vjp.next_values, &vjp.log_rhos].into_iter().chain(&vjp.meta);
        for (k, c) in cotangents.enumerate() {
            for i in next_episode() {
                assert_eq!(c[i], 0.0, "{name}: cotangent {k} of row {}", i / B);
            }
        }
    }
}
