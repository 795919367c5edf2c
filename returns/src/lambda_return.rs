//! The λ-return (Sutton 1988; Sutton & Barto 2018 §12.1), with per-step γ and λ.
//!
//! For t ∈ [0, T), with γₜ = γ(η)ₜ·dₜ (dₜ = 0 when the episode ends at xₜ₊₁):
//!
//!   Gₜ = rₜ + γₜ [ (1 − λₜ) V(xₜ₊₁) + λₜ Gₜ₊₁ ],   G_T ≡ V(x_T)  (so G_{T−1} = r + γ V(x_T)),
//!
//! as rlax's `lambda_returns` (rewards r for t ∈ [0, T), next values V(xₜ₊₁) for t ∈ [0, T)).
//! λ = 0 is one-step TD, λ = 1 the Monte-Carlo return bootstrapped at the batch end.
//! Value target vₜ = Gₜ; policy-gradient advantage Aₜ = Gₜ − V(xₜ).

use mgrl_core::registry::PluginOption;
use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, PluginEntry, PluginKind, Result, ReturnFn, ReturnInputs,
    TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};

/// Declared meta-parameters, in the order of `ReturnInputs::meta`.
const META: &[MetaParamSpec] = &[
    MetaParamSpec::unit("gamma", "discount γ", 0.99),
    MetaParamSpec::unit("lambda", "bootstrapping parameter λ", 0.95),
];

/// The λ-return (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaReturn {}

inventory::submit! {
    PluginEntry {
        name: "lambda_return",
        kind: PluginKind::Return,
        description: "λ-return Gₜ = rₜ + γₜ[(1−λₜ)V(xₜ₊₁) + λₜGₜ₊₁] (Sutton 1988); γ, λ scalar or per state",
        meta_params: META,
        options: &[] as &[PluginOption],
    }
}

/// Gₜ for every step (the backward recursion).
fn returns(x: &ReturnInputs) -> Vec<f64> {
    let (t_len, b) = (x.batch.t, x.batch.b);
    let (gamma, lambda) = (x.meta[0], x.meta[1]);
    let mut g = vec![0.0; x.batch.len()];
    for t in (0..t_len).rev() {
        for i in t * b..(t + 1) * b {
            let next = if t + 1 < t_len { g[i + b] } else { x.next_values[i] };
            g[i] = x.rewards[i] + gamma[i] * x.discounts[i] * ((1.0 - lambda[i]) * x.next_values[i] + lambda[i] * next);
        }
    }
    g
}

#[typetag::serde(name = "lambda_return")]
impl ReturnFn for LambdaReturn {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate(META)?;
        let g = returns(x);
        let advantages = g.iter().zip(x.values).map(|(g, v)| g - v).collect();
        Ok(Targets { values: g, advantages })
    }

    /// dGₜ = drₜ + dγₜ·dₜ·[(1−λₜ)V′ + λₜG₊] + γₜ[(1−λₜ)dV′ + λₜ dG₊ + dλₜ(G₊ − V′)],
    /// with V′ = V(xₜ₊₁) and G₊ = Gₜ₊₁ (V(x_T) at the last step).
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate(META)?;
        dx.validate(&x.batch, META.len())?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let (gamma, lambda) = (x.meta[0], x.meta[1]);
        let g = returns(x);
        let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
        let mut dg = vec![0.0; x.batch.len()];
        for t in (0..t_len).rev() {
            for i in t * b..(t + 1) * b {
                let v_next = x.next_values[i];
                let dv_next = at(dx.next_values, i);
                let (g_next, dg_next) = if t + 1 < t_len { (g[i + b], dg[i + b]) } else { (v_next, dv_next) };
                let discount = gamma[i] * x.discounts[i];
                dg[i] = at(dx.rewards, i)
                    + at(dx.meta(0), i) * x.discounts[i] * ((1.0 - lambda[i]) * v_next + lambda[i] * g_next)
                    + discount
                        * ((1.0 - lambda[i]) * dv_next + lambda[i] * dg_next + at(dx.meta(1), i) * (g_next - v_next));
            }
        }
        let advantages = dg.iter().enumerate().map(|(i, d)| d - at(dx.values, i)).collect();
        Ok(Targets { values: dg, advantages })
    }

    /// The recursion run forwards: ḡₜ = v̄ₜ + Āₜ + γₜ₋₁λₜ₋₁ḡₜ₋₁ is the cotangent of Gₜ; then
    /// r̄ₜ = ḡₜ, V̄′ₜ = ḡₜγₜ(1−λₜ) (+ ḡγ λ at the last step), γ̄ₜ = ḡₜdₜ[(1−λₜ)V′ + λₜG₊],
    /// λ̄ₜ = ḡₜγₜ(G₊ − V′), V̄ₜ = −Āₜ.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate(META)?;
        dy.validate(&x.batch)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let (gamma, lambda) = (x.meta[0], x.meta[1]);
        let g = returns(x);
        let mut out = InputCotangents::zeros(&x.batch, META.len());
        let mut g_bar = vec![0.0; x.batch.len()];
        for t in 0..t_len {
            for i in t * b..(t + 1) * b {
                let from_prev =
                    if t > 0 { gamma[i - b] * x.discounts[i - b] * lambda[i - b] * g_bar[i - b] } else { 0.0 };
                let gb = dy.values[i] + dy.advantages[i] + from_prev;
                g_bar[i] = gb;
                let v_next = x.next_values[i];
                let last = t + 1 == t_len;
                let g_next = if last { v_next } else { g[i + b] };
                let discount = gamma[i] * x.discounts[i];
                out.rewards[i] = gb;
                out.values[i] = -dy.advantages[i];
                out.next_values[i] = gb * discount * if last { 1.0 } else { 1.0 - lambda[i] };
                out.meta[0][i] = gb * x.discounts[i] * ((1.0 - lambda[i]) * v_next + lambda[i] * g_next);
                out.meta[1][i] = gb * discount * (g_next - v_next);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::Batch;

    fn targets(
        t: usize,
        b: usize,
        r: &[f64],
        d: &[f64],
        v: &[f64],
        v_next: &[f64],
        gamma: f64,
        lambda: f64,
    ) -> Targets {
        let n = t * b;
        let (g, l, z) = (vec![gamma; n], vec![lambda; n], vec![0.0; n]);
        let x = ReturnInputs {
            batch: Batch::new(t, b).unwrap(),
            rewards: r,
            discounts: d,
            values: v,
            next_values: v_next,
            log_rhos: &z,
            meta: &[&g, &l],
        };
        LambdaReturn {}.targets(&x).unwrap()
    }

    #[test]
    fn lambda_return_matches_hand_worked_case_with_episode_end() {
        // T = 3, B = 1, γ = 0.5, λ = 0.5, the episode ends after step 1 (d₁ = 0).
        // G₂ = r₂ + γV(x₃) = 1 + 0.5·4 = 3
        // G₁ = r₁ + 0 = 2                      (terminal: nothing after)
        // G₀ = r₀ + γ[(1−λ)V(x₁) + λG₁] = 1 + 0.5·[0.5·2 + 0.5·2] = 2
        let t = targets(3, 1, &[1.0, 2.0, 1.0], &[1.0, 0.0, 1.0], &[0.5, 0.0, 1.0], &[2.0, 9.0, 4.0], 0.5, 0.5);
        assert_eq!(t.values, vec![2.0, 2.0, 3.0]);
        assert_eq!(t.advantages, vec![1.5, 2.0, 2.0]);
    }

    #[test]
    fn lambda_zero_is_one_step_td_and_lambda_one_is_monte_carlo() {
        let (r, d, v, vn) = ([1.0, -1.0, 2.0], [1.0; 3], [0.0; 3], [3.0, 5.0, 7.0]);
        // λ = 0: Gₜ = rₜ + γV(xₜ₊₁).
        assert_eq!(targets(3, 1, &r, &d, &v, &vn, 0.5, 0.0).values, vec![2.5, 1.5, 5.5]);
        // λ = 1: Gₜ = Σ γᵏ r + γ^(T−t) V(x_T): G₂ = 2 + 3.5 = 5.5, G₁ = −1 + 2.75, G₀ = 1 + 0.875.
        assert_eq!(targets(3, 1, &r, &d, &v, &vn, 0.5, 1.0).values, vec![1.875, 1.75, 5.5]);
        // γ = 0: the reward alone.
        assert_eq!(targets(3, 1, &r, &d, &v, &vn, 0.0, 0.7).values, r.to_vec());
    }

    #[test]
    fn lambda_return_with_t_equal_one_bootstraps_at_once_and_batches_are_independent() {
        // T = 1, B = 2: Gₑ = rₑ + γV(x₁) whatever λ.
        assert_eq!(targets(1, 2, &[1.0, 2.0], &[1.0, 0.0], &[0.0; 2], &[4.0, 4.0], 0.5, 0.3).values, vec![3.0, 2.0]);
    }

    #[test]
    fn nan_and_shape_errors_are_errors_not_panics() {
        let z = [0.0; 2];
        let g = [0.9, 0.9];
        let x = ReturnInputs {
            batch: Batch::new(2, 1).unwrap(),
            rewards: &[f64::NAN, 0.0],
            discounts: &[1.0, 1.0],
            values: &z,
            next_values: &z,
            log_rhos: &z,
            meta: &[&g, &g],
        };
        assert!(LambdaReturn {}.targets(&x).unwrap_err().to_string().contains("rewards"));
        let short = ReturnInputs { rewards: &[0.0], ..x };
        assert!(LambdaReturn {}.targets(&short).unwrap_err().to_string().contains("expected 2"));
        let bad_gamma = [1.5, 0.5];
        let meta: [&[f64]; 2] = [&bad_gamma, &g];
        let out = ReturnInputs { rewards: &z, meta: &meta, ..x };
        assert!(LambdaReturn {}.targets(&out).unwrap_err().to_string().contains("[0, 1]"));
    }
}
