//! # mgrl-plugin-retrace
//!
//! An example of a return plugin written outside mgrl: it depends on `mgrl-core` alone,
//! implements [`ReturnFn`], and registers itself where it is defined. A binary that links
//! this crate (`use mgrl_plugin_retrace as _;`) can name it in a TOML experiment as
//! `type = "retrace"` and learn its `lambda` with the same meta-optimiser as the built-ins.
//!
//! The return: the λ-return of state values with Retrace's truncated importance traces
//! (Munos, Stepleton, Harutyunyan & Bellemare 2016, "Safe and Efficient Off-Policy
//! Reinforcement Learning"), for t ∈ [0, T):
//!
//!   Gₜ = rₜ + γₜ [ (1 − κₜ₊₁) V(xₜ₊₁) + κₜ₊₁ Gₜ₊₁ ],   κₜ₊₁ = λₜ eₜ min(1, ρₜ₊₁),
//!   G_{T−1} = r_{T−1} + γ_{T−1} V(x_T),
//!
//! where ρₜ₊₁ = π(aₜ₊₁|xₜ₊₁)/μ(aₜ₊₁|xₜ₊₁) is the importance ratio of the next action
//! (`log_rhos` at step t+1), γₜ = γ(η)ₜ·dₜ, and eₜ the episode mask: 0 where the episode ends
//! at xₜ₊₁ (terminated or truncated), which cuts the trace, so that Gₜ = rₜ + γₜV(xₜ₊₁) there
//! (after a time-limit truncation, the value of the final observation) and nothing of row
//! t + 1, the next episode's, is read. On-policy (ρ = 1) it is the λ-return.
//! The value target is Gₜ, the policy-gradient advantage Gₜ − V(xₜ).

use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, MetaValue, Result, ReturnFn, ReturnInputs, TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};

/// Declared meta-parameters, read by name from `ReturnInputs::meta`.
const META: &[MetaParamSpec] = &[
    MetaParamSpec::unit("gamma", "discount γ", 0.99),
    MetaParamSpec::unit("lambda", "trace decay λ, cut by min(1, ρ)", 0.95),
];

/// The Retrace λ-return (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrace {}

/// Per-step coefficients shared by the value and its derivatives.
struct Coefficients {
    /// γₜ·dₜ.
    discount: Vec<f64>,
    /// κₜ₊₁ = λₜ τₜ (0 at the last step, which bootstraps fully).
    kappa: Vec<f64>,
    /// τₜ = eₜ min(1, ρₜ₊₁) (0 at the last step and where an episode ends).
    trace: Vec<f64>,
    /// ∂τₜ/∂log ρₜ₊₁ = eₜ ρₜ₊₁ where ρₜ₊₁ < 1, else 0 (0 at the last step).
    trace_slope: Vec<f64>,
}

impl Coefficients {
    fn new(x: &ReturnInputs) -> Result<Self> {
        let (t_len, b) = (x.batch.t, x.batch.b);
        let (gamma, lambda) = (x.meta.get("gamma")?, x.meta.get("lambda")?);
        let mut discount = vec![0.0; x.batch.len()];
        let mut kappa = vec![0.0; x.batch.len()];
        let mut trace = vec![0.0; x.batch.len()];
        let mut trace_slope = vec![0.0; x.batch.len()];
        for i in 0..x.batch.len() {
            discount[i] = gamma.at(i) * x.discounts[i];
            if i / b + 1 < t_len {
                let (rho, e) = (x.log_rhos[i + b].exp(), x.episode_continues[i]);
                trace[i] = e * rho.min(1.0);
                trace_slope[i] = if rho < 1.0 { e * rho } else { 0.0 };
                kappa[i] = lambda.at(i) * trace[i];
            }
        }
        Ok(Coefficients { discount, kappa, trace, trace_slope })
    }
}

/// Gₜ by the backward recursion, with G_T standing for nothing (κ_{T−1} = 0).
fn returns(x: &ReturnInputs, c: &Coefficients) -> Vec<f64> {
    let (t_len, b) = (x.batch.t, x.batch.b);
    let mut g = vec![0.0; x.batch.len()];
    for t in (0..t_len).rev() {
        for e in 0..b {
            let i = t * b + e;
            let next_g = if t + 1 < t_len { g[i + b] } else { 0.0 };
            g[i] = x.rewards[i] + c.discount[i] * ((1.0 - c.kappa[i]) * x.next_values[i] + c.kappa[i] * next_g);
        }
    }
    g
}

#[mgrl_core::plugin(
    name = "retrace",
    description = "λ-return with Retrace's truncated traces κ = λ·min(1, ρ) (Munos et al. 2016); third-party example",
    meta = META
)]
impl ReturnFn for Retrace {
    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate(META)?;
        let g = returns(x, &Coefficients::new(x)?);
        let advantages = g.iter().zip(x.values).map(|(g, v)| g - v).collect();
        Ok(Targets { values: g, advantages })
    }

    /// dGₜ = drₜ + dγₜ·dₜ·[(1−κ)V′ + κG′] + γₜ[(1−κ)dV′ + κ dG′ + dκ (G′ − V′)],
    /// dκ = dλ·e·min(1, ρ) + λ·e·1[ρ < 1]·ρ·d(log ρ)  (0 where an episode ends, e = 0).
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate(META)?;
        dx.validate(&x.batch, META)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let c = Coefficients::new(x)?;
        let lambda = x.meta.get("lambda")?;
        let (d_gamma, d_lambda) = (dx.meta.find("gamma"), dx.meta.find("lambda"));
        let g = returns(x, &c);
        let zero = vec![0.0; x.batch.len()];
        let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
        let at_meta = |o: Option<&MetaValue>, i: usize| o.map_or(0.0, |v| v.at(i));
        let mut dg = zero.clone();
        for t in (0..t_len).rev() {
            for e in 0..b {
                let i = t * b + e;
                let (next_g, next_dg) = if t + 1 < t_len { (g[i + b], dg[i + b]) } else { (0.0, 0.0) };
                let d_kappa = if t + 1 < t_len {
                    at_meta(d_lambda, i) * c.trace[i] + lambda.at(i) * c.trace_slope[i] * at(dx.log_rhos, i + b)
                } else {
                    0.0
                };
                let v_next = x.next_values[i];
                dg[i] = at(dx.rewards, i)
                    + at_meta(d_gamma, i) * x.discounts[i] * ((1.0 - c.kappa[i]) * v_next + c.kappa[i] * next_g)
                    + c.discount[i]
                        * ((1.0 - c.kappa[i]) * at(dx.next_values, i)
                            + c.kappa[i] * next_dg
                            + d_kappa * (next_g - v_next));
            }
        }
        let advantages = dg.iter().enumerate().map(|(i, d)| d - at(dx.values, i)).collect();
        Ok(Targets { values: dg, advantages })
    }

    /// The recursion above run forwards in time with cotangents ḡ (ḡₜ accumulates the
    /// cotangent of Gₜ from the targets and from Gₜ₋₁ through γₜ₋₁κₜ); κ̄ = ḡγₜ(G′ − V′) goes
    /// to λ by τ and to log ρₜ₊₁ by λ ∂τ/∂log ρ, both 0 where an episode ends.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate(META)?;
        dy.validate(&x.batch)?;
        let (t_len, b, n) = (x.batch.t, x.batch.b, x.batch.len());
        let c = Coefficients::new(x)?;
        let lambda = x.meta.get("lambda")?;
        let g = returns(x, &c);
        let mut out = InputCotangents::zeros(&x.batch, META);
        let mut gamma_bar = vec![0.0; n];
        let mut lambda_bar = vec![0.0; n];
        let mut g_bar = vec![0.0; n];
        for t in 0..t_len {
            for e in 0..b {
                let i = t * b + e;
                let from_prev = if t > 0 { c.discount[i - b] * c.kappa[i - b] * g_bar[i - b] } else { 0.0 };
                g_bar[i] = dy.values[i] + dy.advantages[i] + from_prev;
                out.values[i] = -dy.advantages[i];
                let gb = g_bar[i];
                let next_g = if t + 1 < t_len { g[i + b] } else { 0.0 };
                let v_next = x.next_values[i];
                out.rewards[i] = gb;
                out.next_values[i] = gb * c.discount[i] * (1.0 - c.kappa[i]);
                gamma_bar[i] = gb * x.discounts[i] * ((1.0 - c.kappa[i]) * v_next + c.kappa[i] * next_g);
                if t + 1 < t_len {
                    let k_bar = gb * c.discount[i] * (next_g - v_next);
                    lambda_bar[i] = k_bar * c.trace[i];
                    out.log_rhos[i + b] += k_bar * lambda.at(i) * c.trace_slope[i];
                }
            }
        }
        out.meta.set("gamma", MetaValue::Steps(gamma_bar));
        out.meta.set("lambda", MetaValue::Steps(lambda_bar));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::{Batch, ReturnBatch};

    #[test]
    fn retrace_on_policy_matches_hand_worked_lambda_return() {
        // T = 2, B = 1, ρ = 1: G₁ = r₁ + γV(x₂) = 1 + 0.5·2 = 2;
        // G₀ = r₀ + γ[(1−λ)V(x₁) + λG₁] = 0 + 0.5·[0.5·4 + 0.5·2] = 1.5.
        let mut x = ReturnBatch::new(Batch::new(2, 1).unwrap()).with_scalar("gamma", 0.5).with_scalar("lambda", 0.5);
        x.rewards = vec![0.0, 1.0];
        x.next_values = vec![4.0, 2.0];
        assert_eq!(Retrace {}.targets(&x.view()).unwrap().values, vec![1.5, 2.0]);
    }
}
