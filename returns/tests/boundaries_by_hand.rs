//! Hand-worked λ-returns and n-step returns across episode boundaries: one environment, T = 5,
//! γ = 0.5, a time-limit truncation after step 1 (d₁ = 1, e₁ = 0: the value of the final
//! observation is V(x₂) = next_values[1] = 6, and row 2 starts the next episode) and a
//! termination after step 3 (d₃ = 0, e₃ = 0).

use mgrl_core::{Batch, MetaValues, ReturnFn, ReturnInputs};
use mgrl_returns::{LambdaReturn, NStep};
use std::num::NonZeroUsize;

const REWARDS: [f64; 5] = [1.0, 2.0, 3.0, 4.0, 5.0];
const DISCOUNTS: [f64; 5] = [1.0, 1.0, 1.0, 0.0, 1.0];
const CONTINUES: [f64; 5] = [1.0, 0.0, 1.0, 0.0, 1.0];
const NEXT_VALUES: [f64; 5] = [2.0, 6.0, 8.0, 10.0, 12.0];

/// The value targets of `plugin` with episode mask `continues`, γ = 0.5 and `meta` after it,
/// in declaration order, each at every step.
fn value_targets(plugin: &dyn ReturnFn, continues: &[f64], meta: &[f64]) -> Vec<f64> {
    let values = std::iter::once(0.5).chain(meta.iter().copied()).map(|m| vec![m; 5]);
    let meta = MetaValues::from_steps(plugin.meta_params(), values);
    let x = ReturnInputs {
        batch: Batch::new(5, 1).unwrap(),
        rewards: &REWARDS,
        discounts: &DISCOUNTS,
        episode_continues: continues,
        values: &[0.0; 5],
        next_values: &NEXT_VALUES,
        log_rhos: &[0.0; 5],
        meta: &meta,
    };
    plugin.targets(&x).unwrap().values
}

#[test]
fn lambda_return_bootstraps_on_the_final_observation_at_a_truncation() {
    // λ = 0.5, Gₜ = rₜ + γ[(1 − λeₜ)V(xₜ₊₁) + λeₜGₜ₊₁]:
    // G₄ = 5 + 0.5·12 = 11
    // G₃ = 4 + 0                           (terminated: d₃ = 0)
    // G₂ = 3 + 0.5·[0.5·8 + 0.5·4] = 6
    // G₁ = 2 + 0.5·6 = 5                   (truncated: V of the final observation, G₂ not read)
    // G₀ = 1 + 0.5·[0.5·2 + 0.5·5] = 2.75
    assert_eq!(value_targets(&LambdaReturn {}, &CONTINUES, &[0.5]), vec![2.75, 5.0, 6.0, 4.0, 11.0]);
    // Without the mask at the truncation (e₁ = 1) the next episode's G₂ leaks into G₁; with
    // λ = 1, G₁ = 2 + 0.5·G₂ = 2 + 0.5·(3 + 0.5·4) = 4.5 instead of 5.
    let leaky = [1.0, 1.0, 1.0, 0.0, 1.0];
    assert_eq!(value_targets(&LambdaReturn {}, &leaky, &[1.0])[1], 4.5);
    // λ = 1 with the mask: Monte Carlo to each episode's end, G₁ = 5, G₀ = 1 + 0.5·5 = 3.5.
    assert_eq!(value_targets(&LambdaReturn {}, &CONTINUES, &[1.0]), vec![3.5, 5.0, 5.0, 4.0, 11.0]);
}

#[test]
fn n_step_sums_stop_at_a_truncation_and_at_a_termination() {
    let n_step = |n| NStep { n: NonZeroUsize::new(n).unwrap() };
    // n = 2:
    // G₀ = 1 + 0.5·2 + 0.25·V(x₂) = 1 + 1 + 0.25·6 = 3.5   (the sum reaches the truncation's bootstrap)
    // G₁ = 2 + 0.5·6 = 5                                 (truncated: one step, V of the final observation)
    // G₂ = 3 + 0.5·4 + 0 = 5                             (terminated after step 3)
    // G₃ = 4, G₄ = 5 + 0.5·12 = 11
    let want = vec![3.5, 5.0, 5.0, 4.0, 11.0];
    assert_eq!(value_targets(&n_step(2), &CONTINUES, &[]), want);
    // n = 3 and n ≥ T: the sums stop at the episode's end all the same.
    assert_eq!(value_targets(&n_step(3), &CONTINUES, &[]), want);
    assert_eq!(value_targets(&n_step(9), &CONTINUES, &[]), want);
    // n = 1 is one-step TD whatever the mask: Gₜ = rₜ + γₜV(xₜ₊₁).
    assert_eq!(value_targets(&n_step(1), &CONTINUES, &[]), vec![2.0, 5.0, 7.0, 4.0, 11.0]);
    // Without the mask at the truncation, n = 3 summed the next episode's reward r₂ into G₀:
    // 1 + 0.5·2 + 0.25·3 + 0.125·V(x₃) = 1 + 1 + 0.75 + 1 = 3.75.
    assert_eq!(value_targets(&n_step(3), &[1.0, 1.0, 1.0, 0.0, 1.0], &[])[0], 3.75);
}
