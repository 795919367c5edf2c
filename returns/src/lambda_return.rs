//! The λ-return (Sutton 1988; Sutton & Barto 2018 §12.1), with per-step γ and λ.
//!
//! For t ∈ [0, T), with γₜ = γ(η)ₜ·dₜ (dₜ = 0 when the episode ends at xₜ₊₁):
//!
//!   Gₜ = rₜ + γₜ [ (1 − λₜ) V(xₜ₊₁) + λₜ Gₜ₊₁ ],   G_T ≡ V(x_T)  (so G_{T−1} = r + γ V(x_T)),
//!
//! as rlax's `lambda_returns` (rewards r for t ∈ [0, T), next values V(xₜ₊₁) for t ∈ [0, T)).
//! λ = 0 is one-step TD, λ = 1 the Monte-Carlo return bootstrapped at the batch end.
//! Value target vₜ = Gₜ; policy-gradient advantage Aₜ = Gₜ − V(xₜ).

use crate::columns::for_column_blocks;
use mgrl_core::registry::PluginOption;
use mgrl_core::{
    Domain, Error, InputCotangents, InputTangents, MetaParamSpec, PluginEntry, PluginKind, Result, ReturnFn,
    ReturnInputs, TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};
use std::ops::Range;

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

/// Gₜ for the columns `cols` (the backward recursion) into `g[t]`, and Gₜ − V(xₜ) into
/// `adv[t]` when given; false when an input is out of its domain or a target not finite.
fn returns_block(x: &ReturnInputs, cols: Range<usize>, g: &mut [&mut [f64]], adv: Option<&mut [&mut [f64]]>) -> bool {
    let (t_len, b, w) = (x.batch.t, x.batch.b, cols.len());
    let mut ok = true;
    for t in (0..t_len).rev() {
        let s = t * b + cols.start..t * b + cols.end;
        let (r, d, vn) = (&x.rewards[s.clone()][..w], &x.discounts[s.clone()][..w], &x.next_values[s.clone()][..w]);
        let (gm, lm) = (&x.meta[0][s.clone()][..w], &x.meta[1][s][..w]);
        let (done, rest) = g.split_at_mut(t + 1);
        let next: &[f64] = if t + 1 < t_len { &rest[0][..w] } else { vn };
        let out = &mut done[t][..w];
        for k in 0..w {
            out[k] = r[k] + gm[k] * d[k] * ((1.0 - lm[k]) * vn[k] + lm[k] * next[k]);
            ok &= Domain::UNIT.contains(gm[k])
                & Domain::UNIT.contains(lm[k])
                & Domain::UNIT.contains(d[k])
                & out[k].is_finite();
        }
    }
    if let Some(adv) = adv {
        for t in 0..t_len {
            let v = &x.values[t * b + cols.start..t * b + cols.end][..w];
            let (a, g) = (&mut adv[t][..w], &g[t][..w]);
            for k in 0..w {
                a[k] = g[k] - v[k];
                ok &= a[k].is_finite();
            }
        }
    }
    ok
}

/// Gₜ and, if `advantages` is set, Gₜ − V(xₜ); an error that names the culprit when an
/// input is bad.
fn returns(x: &ReturnInputs, advantages: bool) -> Result<(Vec<f64>, Vec<f64>)> {
    x.validate_shapes(META)?;
    let n = x.batch.len();
    let mut g = vec![0.0; n];
    let mut adv = if advantages { vec![0.0; n] } else { Vec::new() };
    let mut outputs = vec![&mut g[..]];
    if advantages {
        outputs.push(&mut adv[..]);
    }
    let ok = for_column_blocks(x.batch.t, x.batch.b, outputs, |cols, rows| {
        let (g, adv) = rows.split_at_mut(1);
        returns_block(x, cols, &mut g[0], adv.first_mut().map(|a| &mut a[..]))
    });
    if !ok {
        x.validate(META)?;
        return Err(non_finite_targets(&g));
    }
    Ok((g, adv))
}

/// The error for targets that overflowed although every input was valid.
fn non_finite_targets(g: &[f64]) -> Error {
    let index = g.iter().position(|v| !v.is_finite()).unwrap_or(0);
    Error::NonFinite { what: "λ-return targets".into(), index, value: g[index] }
}

#[typetag::serde(name = "lambda_return")]
impl ReturnFn for LambdaReturn {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        let (values, advantages) = returns(x, true)?;
        Ok(Targets { values, advantages })
    }

    /// dGₜ = drₜ + dγₜ·dₜ·[(1−λₜ)V′ + λₜG₊] + γₜ[(1−λₜ)dV′ + λₜ dG₊ + dλₜ(G₊ − V′)],
    /// with V′ = V(xₜ₊₁) and G₊ = Gₜ₊₁ (V(x_T) at the last step).
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        dx.validate(&x.batch, META.len())?;
        let (g, _) = returns(x, false)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let (gamma, lambda) = (x.meta[0], x.meta[1]);
        let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
        let mut dg = vec![0.0; x.batch.len()];
        for_column_blocks(t_len, b, vec![&mut dg], |cols, rows| {
            let dg = &mut rows[0];
            for t in (0..t_len).rev() {
                let (done, rest) = dg.split_at_mut(t + 1);
                for (k, i) in cols.clone().map(|c| t * b + c).enumerate() {
                    let v_next = x.next_values[i];
                    let dv_next = at(dx.next_values, i);
                    let (g_next, dg_next) = if t + 1 < t_len { (g[i + b], rest[0][k]) } else { (v_next, dv_next) };
                    let discount = gamma[i] * x.discounts[i];
                    done[t][k] = at(dx.rewards, i)
                        + at(dx.meta(0), i) * x.discounts[i] * ((1.0 - lambda[i]) * v_next + lambda[i] * g_next)
                        + discount
                            * ((1.0 - lambda[i]) * dv_next
                                + lambda[i] * dg_next
                                + at(dx.meta(1), i) * (g_next - v_next));
                }
            }
            true
        });
        let advantages = dg.iter().enumerate().map(|(i, d)| d - at(dx.values, i)).collect();
        Ok(Targets { values: dg, advantages })
    }

    /// The recursion run forwards: ḡₜ = v̄ₜ + Āₜ + γₜ₋₁λₜ₋₁ḡₜ₋₁ is the cotangent of Gₜ; then
    /// r̄ₜ = ḡₜ, V̄′ₜ = ḡₜγₜ(1−λₜ) (+ ḡγ λ at the last step), γ̄ₜ = ḡₜdₜ[(1−λₜ)V′ + λₜG₊],
    /// λ̄ₜ = ḡₜγₜ(G₊ − V′), V̄ₜ = −Āₜ.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        dy.validate(&x.batch)?;
        let (g, _) = returns(x, false)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let (gamma, lambda) = (x.meta[0], x.meta[1]);
        let mut out = InputCotangents::zeros(&x.batch, META.len());
        let [gamma_bar, lambda_bar] = &mut out.meta[..] else { unreachable!("two meta-parameters") };
        let outputs = vec![&mut out.rewards[..], &mut out.next_values[..], &mut gamma_bar[..], &mut lambda_bar[..]];
        for_column_blocks(t_len, b, outputs, |cols, rows| {
            let w = cols.len();
            let mut carry = vec![0.0; w];
            // t indexes the four output blocks and the inputs alike.
            #[allow(clippy::needless_range_loop)]
            for t in 0..t_len {
                let last = t + 1 == t_len;
                let s = t * b + cols.start..t * b + cols.end;
                let (uv, ua) = (&dy.values[s.clone()][..w], &dy.advantages[s.clone()][..w]);
                let (d, vn, gm, lm) = (
                    &x.discounts[s.clone()][..w],
                    &x.next_values[s.clone()][..w],
                    &gamma[s.clone()][..w],
                    &lambda[s.clone()][..w],
                );
                let next_row = s.start + b..s.end + b;
                let g_next: &[f64] = if last { vn } else { &g[next_row][..w] };
                for k in 0..w {
                    let gb = uv[k] + ua[k] + carry[k];
                    let discount = gm[k] * d[k];
                    rows[0][t][k] = gb;
                    rows[1][t][k] = gb * discount * if last { 1.0 } else { 1.0 - lm[k] };
                    rows[2][t][k] = gb * d[k] * ((1.0 - lm[k]) * vn[k] + lm[k] * g_next[k]);
                    rows[3][t][k] = gb * discount * (g_next[k] - vn[k]);
                    carry[k] = discount * lm[k] * gb;
                }
            }
            true
        });
        for (v, a) in out.values.iter_mut().zip(dy.advantages) {
            *v = -a;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::Batch;

    fn targets(
        (t, b): (usize, usize),
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
        let t = targets((3, 1), &[1.0, 2.0, 1.0], &[1.0, 0.0, 1.0], &[0.5, 0.0, 1.0], &[2.0, 9.0, 4.0], 0.5, 0.5);
        assert_eq!(t.values, vec![2.0, 2.0, 3.0]);
        assert_eq!(t.advantages, vec![1.5, 2.0, 2.0]);
    }

    #[test]
    fn lambda_zero_is_one_step_td_and_lambda_one_is_monte_carlo() {
        let (r, d, v, vn) = ([1.0, -1.0, 2.0], [1.0; 3], [0.0; 3], [3.0, 5.0, 7.0]);
        // λ = 0: Gₜ = rₜ + γV(xₜ₊₁).
        assert_eq!(targets((3, 1), &r, &d, &v, &vn, 0.5, 0.0).values, vec![2.5, 1.5, 5.5]);
        // λ = 1: Gₜ = Σ γᵏ r + γ^(T−t) V(x_T): G₂ = 2 + 3.5 = 5.5, G₁ = −1 + 2.75, G₀ = 1 + 0.875.
        assert_eq!(targets((3, 1), &r, &d, &v, &vn, 0.5, 1.0).values, vec![1.875, 1.75, 5.5]);
        // γ = 0: the reward alone.
        assert_eq!(targets((3, 1), &r, &d, &v, &vn, 0.0, 0.7).values, r.to_vec());
    }

    #[test]
    fn lambda_return_with_t_equal_one_bootstraps_at_once_and_batches_are_independent() {
        // T = 1, B = 2: Gₑ = rₑ + γV(x₁) whatever λ.
        assert_eq!(targets((1, 2), &[1.0, 2.0], &[1.0, 0.0], &[0.0; 2], &[4.0, 4.0], 0.5, 0.3).values, vec![3.0, 2.0]);
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
