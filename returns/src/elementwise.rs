//! What reward transforms that act step by step, r̃ₜ = f(rₜ, ηₜ) with one meta input, share:
//! the value, and the derivatives from the partials (∂f/∂r, ∂f/∂η) at each step,
//!
//!   JVP: dr̃ₜ = ∂f/∂r · drₜ + ∂f/∂η · dηₜ,     VJP: r̄ₜ = ∂f/∂r · ūₜ,  η̄ₜ = ∂f/∂η · ūₜ,
//!
//! each after checking its inputs, and with an error if a result is not finite.

use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{Error, MetaParamSpec, Result, RewardInputs};

/// r̃ₜ = f(rₜ, ηₜ) for every step.
pub(crate) fn apply(x: &RewardInputs, specs: &[MetaParamSpec], f: impl Fn(f64, f64) -> f64) -> Result<Vec<f64>> {
    x.validate(specs)?;
    let out: Vec<f64> = x.rewards.iter().zip(x.meta[0]).map(|(&r, &eta)| f(r, eta)).collect();
    finite("transformed rewards", out)
}

/// The JVP of an elementwise transform with partials `partials(r, η)`.
pub(crate) fn jvp(
    x: &RewardInputs,
    specs: &[MetaParamSpec],
    d_rewards: Option<&[f64]>,
    d_meta: &[Option<&[f64]>],
    partials: impl Fn(f64, f64) -> (f64, f64),
) -> Result<Vec<f64>> {
    x.validate(specs)?;
    for d in d_rewards.iter().chain(d_meta.iter().flatten()) {
        x.batch.check_steps("reward-transform tangent", d)?;
    }
    let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
    let d_eta = d_meta.first().copied().flatten();
    let out = (0..x.batch.len())
        .map(|i| {
            let (dr, de) = partials(x.rewards[i], x.meta[0][i]);
            dr * at(d_rewards, i) + de * at(d_eta, i)
        })
        .collect();
    finite("transformed-reward tangent", out)
}

/// The VJP of an elementwise transform with partials `partials(r, η)`.
pub(crate) fn vjp(
    x: &RewardInputs,
    specs: &[MetaParamSpec],
    cot: &[f64],
    partials: impl Fn(f64, f64) -> (f64, f64),
) -> Result<RewardCotangents> {
    x.validate(specs)?;
    x.batch.check_steps("reward cotangent", cot)?;
    let (rewards, meta): (Vec<f64>, Vec<f64>) = (0..x.batch.len())
        .map(|i| {
            let (dr, de) = partials(x.rewards[i], x.meta[0][i]);
            (dr * cot[i], de * cot[i])
        })
        .unzip();
    Ok(RewardCotangents { rewards: finite("reward cotangent", rewards)?, meta: vec![finite("meta cotangent", meta)?] })
}

/// `out`, or an error naming its first element that overflowed.
fn finite(what: &str, out: Vec<f64>) -> Result<Vec<f64>> {
    match out.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { what: what.into(), index, value: out[index] }),
        None => Ok(out),
    }
}
