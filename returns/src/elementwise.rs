//! What reward transforms that act step by step, r̃ₜ = f(rₜ, ηₜ) with one meta input, share:
//! the value, and the derivatives from the partials (∂f/∂r, ∂f/∂η) at each step,
//!
//!   JVP: dr̃ₜ = ∂f/∂r · drₜ + ∂f/∂η · dηₜ,     VJP: r̄ₜ = ∂f/∂r · ūₜ,  η̄ₜ = ∂f/∂η · ūₜ,
//!
//! each after checking its inputs, and with an error if a result is not finite. The one meta
//! input is the transform's one declared meta-parameter, read by its name.

use mgrl_core::reward_transform::RewardCotangents;
use mgrl_core::{Error, MetaParamSpec, MetaValue, MetaValues, Result, RewardInputs};

/// r̃ₜ = f(rₜ, ηₜ) for every step.
pub(crate) fn apply(x: &RewardInputs, specs: &[MetaParamSpec], f: impl Fn(f64, f64) -> f64) -> Result<Vec<f64>> {
    x.validate(specs)?;
    let eta = x.meta.get(specs[0].name)?;
    let out: Vec<f64> = x.rewards.iter().enumerate().map(|(i, &r)| f(r, eta.at(i))).collect();
    finite("transformed rewards", out)
}

/// The JVP of an elementwise transform with partials `partials(r, η)`.
pub(crate) fn jvp(
    x: &RewardInputs,
    specs: &[MetaParamSpec],
    d_rewards: Option<&[f64]>,
    d_meta: &MetaValues,
    partials: impl Fn(f64, f64) -> (f64, f64),
) -> Result<Vec<f64>> {
    x.validate(specs)?;
    if let Some(d) = d_rewards {
        x.batch.check_steps("reward-transform tangent", d)?;
    }
    d_meta.validate_tangents(&x.batch, specs)?;
    let eta = x.meta.get(specs[0].name)?;
    let d_eta = d_meta.find(specs[0].name);
    let out = (0..x.batch.len())
        .map(|i| {
            let (dr, de) = partials(x.rewards[i], eta.at(i));
            dr * d_rewards.map_or(0.0, |d| d[i]) + de * d_eta.map_or(0.0, |d| d.at(i))
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
    let eta = x.meta.get(specs[0].name)?;
    let (rewards, meta): (Vec<f64>, Vec<f64>) = (0..x.batch.len())
        .map(|i| {
            let (dr, de) = partials(x.rewards[i], eta.at(i));
            (dr * cot[i], de * cot[i])
        })
        .unzip();
    let meta = MetaValues::new().with(specs[0].name, MetaValue::Steps(finite("meta cotangent", meta)?));
    Ok(RewardCotangents { rewards: finite("reward cotangent", rewards)?, meta })
}

/// `out`, or an error naming its first element that overflowed.
fn finite(what: &str, out: Vec<f64>) -> Result<Vec<f64>> {
    match out.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { what: what.into(), index, value: out[index] }),
        None => Ok(out),
    }
}
