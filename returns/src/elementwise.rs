//! The derivatives shared by reward transforms that act step by step on one reward and one
//! meta input, r̃ₜ = f(rₜ, ηₜ): given the partials (∂f/∂r, ∂f/∂η) at each step,
//!
//!   JVP: dr̃ₜ = ∂f/∂r · drₜ + ∂f/∂η · dηₜ,     VJP: r̄ₜ = ∂f/∂r · ūₜ,  η̄ₜ = ∂f/∂η · ūₜ.

use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{Result, RewardInputs};

/// The JVP of an elementwise transform with partials `partials(r, η)`.
pub(crate) fn jvp(
    x: &RewardInputs,
    d_rewards: Option<&[f64]>,
    d_meta: &[Option<&[f64]>],
    partials: impl Fn(f64, f64) -> (f64, f64),
) -> Result<Vec<f64>> {
    let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
    for d in d_rewards.iter().chain(d_meta.iter().flatten()) {
        x.batch.check_steps("reward-transform tangent", d)?;
    }
    let d_eta = d_meta.first().copied().flatten();
    Ok((0..x.batch.len())
        .map(|i| {
            let (dr, de) = partials(x.rewards[i], x.meta[0][i]);
            dr * at(d_rewards, i) + de * at(d_eta, i)
        })
        .collect())
}

/// The VJP of an elementwise transform with partials `partials(r, η)`.
pub(crate) fn vjp(
    x: &RewardInputs,
    cot: &[f64],
    partials: impl Fn(f64, f64) -> (f64, f64),
) -> Result<RewardCotangents> {
    x.batch.check_steps("reward cotangent", cot)?;
    let (rewards, meta): (Vec<f64>, Vec<f64>) = (0..x.batch.len())
        .map(|i| {
            let (dr, de) = partials(x.rewards[i], x.meta[0][i]);
            (dr * cot[i], de * cot[i])
        })
        .unzip();
    Ok(RewardCotangents { rewards, meta: vec![meta] })
}
