//! V-trace (Espeholt et al. 2018, "IMPALA: Scalable Distributed Deep-RL with Importance
//! Weighted Actor-Learner Architectures", §4.1), as rlax's `vtrace_td_error_and_advantage`.
//!
//! For t ∈ [0, T), with the importance ratio ρₜ = π(aₜ|xₜ)/μ(aₜ|xₜ) = exp(log_rhosₜ) and
//! γₜ = γ(η)ₜ·dₜ:
//!
//!   ρ̂ₜ = min(ρ̄, ρₜ),   cₜ = λₜ·min(c̄, ρₜ),
//!   δₜ = ρ̂ₜ (rₜ + γₜ V(xₜ₊₁) − V(xₜ)),
//!   vₜ − V(xₜ) = δₜ + γₜ cₜ (vₜ₊₁ − V(xₜ₊₁)),   v_T − V(x_T) ≡ 0,
//!   Aₜ = min(ρ̄_pg, ρₜ) (rₜ + γₜ qₜ₊₁ − V(xₜ)),   qₜ₊₁ = λₜ vₜ₊₁ + (1 − λₜ) V(xₜ₊₁),
//!
//! and the last step bootstraps on V: q_T = V(x_T). With λ = 1 this is the IMPALA paper's
//! formula. Value target vₜ, policy-gradient advantage Aₜ. The derivatives of the
//! truncations min(·, ·) are the almost-everywhere ones.

use crate::columns::{for_column_blocks, BlockRows};
use mgrl_core::registry::PluginOption;
use mgrl_core::{
    Domain, Error, InputCotangents, InputTangents, MetaParamSpec, PluginEntry, PluginKind, Result, ReturnFn,
    ReturnInputs, TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};
use std::ops::Range;

const META: &[MetaParamSpec] = &[
    MetaParamSpec::unit("gamma", "discount γ", 0.99),
    MetaParamSpec::unit("lambda", "trace mixing λ (λ = 1: IMPALA's V-trace)", 1.0),
    MetaParamSpec::positive("rho_bar", "truncation ρ̄ of the importance weights in δₜ", 1.0),
    MetaParamSpec::positive("c_bar", "truncation c̄ of the trace coefficients", 1.0),
    MetaParamSpec::positive("pg_rho_bar", "truncation ρ̄_pg of the policy-gradient importance weight", 1.0),
];

/// V-trace (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VTrace {}

inventory::submit! {
    PluginEntry {
        name: "vtrace",
        kind: PluginKind::Return,
        description: "V-trace targets and policy-gradient advantages (Espeholt et al. 2018), off-policy with truncated ρ, c",
        meta_params: META,
        options: &[] as &[PluginOption],
    }
}

/// min(bar, ρ) and which of the two it took (true: the bar).
fn truncate(bar: f64, ratio: f64) -> (f64, bool) {
    if bar < ratio {
        (bar, true)
    } else {
        (ratio, false)
    }
}

/// The inputs of one block of columns at one step, each `w` long.
struct Row<'a> {
    r: &'a [f64],
    d: &'a [f64],
    v: &'a [f64],
    vn: &'a [f64],
    log_rho: &'a [f64],
    /// γ, λ, ρ̄, c̄, ρ̄_pg.
    meta: [&'a [f64]; 5],
}

impl<'a> Row<'a> {
    fn new(x: &'a ReturnInputs, t: usize, cols: &Range<usize>) -> Self {
        let s = t * x.batch.b + cols.start..t * x.batch.b + cols.end;
        Row {
            r: &x.rewards[s.clone()],
            d: &x.discounts[s.clone()],
            v: &x.values[s.clone()],
            vn: &x.next_values[s.clone()],
            log_rho: &x.log_rhos[s.clone()],
            meta: [0, 1, 2, 3, 4].map(|m| &x.meta[m][s.clone()]),
        }
    }
}

/// The forward pass over one block of columns: ρₜ = exp(log_rhosₜ) into `ratio[t]` and
/// vₜ − V(xₜ) into `acc[t]`; false when an input is out of its domain or not finite.
fn trace_block(x: &ReturnInputs, cols: &Range<usize>, ratio: &mut [&mut [f64]], acc: &mut [&mut [f64]]) -> bool {
    let (t_len, w) = (x.batch.t, cols.len());
    let mut ok = true;
    for t in (0..t_len).rev() {
        let row = Row::new(x, t, cols);
        let [gm, lm, rho_bar, c_bar, pg_bar] = row.meta;
        let (done, rest) = acc.split_at_mut(t + 1);
        let next: Option<&[f64]> = (t + 1 < t_len).then(|| &rest[0][..w]);
        let (out, ratio) = (&mut done[t][..w], &mut ratio[t][..w]);
        for k in 0..w {
            ratio[k] = row.log_rho[k].exp();
            let disc = gm[k] * row.d[k];
            let delta = rho_bar[k].min(ratio[k]) * (row.r[k] + disc * row.vn[k] - row.v[k]);
            let carried = next.map_or(0.0, |n| disc * lm[k] * c_bar[k].min(ratio[k]) * n[k]);
            out[k] = delta + carried;
            ok &= Domain::UNIT.contains(gm[k])
                & Domain::UNIT.contains(lm[k])
                & Domain::UNIT.contains(row.d[k])
                & (rho_bar[k] > 0.0)
                & (c_bar[k] > 0.0)
                & (pg_bar[k] > 0.0)
                & out[k].is_finite();
        }
    }
    ok
}

/// qₜ₊₁ = λₜ vₜ₊₁ + (1 − λₜ) V(xₜ₊₁), and V(x_T) at the last step.
fn q_next(lambda: f64, vs_next: Option<f64>, v_next: f64) -> f64 {
    vs_next.map_or(v_next, |vs| lambda * vs + (1.0 - lambda) * v_next)
}

/// Runs the forward pass, then hands `(ratio, acc)` of every block to `finish`; an error
/// that names the culprit when an input is bad.
fn with_trace<F>(x: &ReturnInputs, outputs: Vec<&mut [f64]>, finish: F) -> Result<()>
where
    F: Fn(&Range<usize>, &[Vec<f64>], &[Vec<f64>], &mut BlockRows) -> bool + Sync,
{
    x.validate_shapes(META)?;
    let ok = for_column_blocks(x.batch.t, x.batch.b, outputs, |cols, rows| {
        let w = cols.len();
        let mut ratio: Vec<Vec<f64>> = vec![vec![0.0; w]; x.batch.t];
        let mut acc: Vec<Vec<f64>> = vec![vec![0.0; w]; x.batch.t];
        let ok = {
            let mut r: Vec<&mut [f64]> = ratio.iter_mut().map(|v| &mut v[..]).collect();
            let mut a: Vec<&mut [f64]> = acc.iter_mut().map(|v| &mut v[..]).collect();
            trace_block(x, &cols, &mut r, &mut a)
        };
        ok & finish(&cols, &ratio, &acc, rows)
    });
    if !ok {
        x.validate(META)?;
        return Err(Error::NonFinite { what: "V-trace targets".into(), index: 0, value: f64::NAN });
    }
    Ok(())
}

#[typetag::serde(name = "vtrace")]
impl ReturnFn for VTrace {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        let n = x.batch.len();
        let (mut vs, mut pg) = (vec![0.0; n], vec![0.0; n]);
        with_trace(x, vec![&mut vs, &mut pg], |cols, ratio, acc, rows| {
            let (t_len, w) = (x.batch.t, cols.len());
            let mut ok = true;
            for t in 0..t_len {
                let row = Row::new(x, t, cols);
                let [gm, lm, _, _, pg_bar] = row.meta;
                for k in 0..w {
                    let vs_next =
                        (t + 1 < t_len).then(|| acc[t + 1][k] + x.values[(t + 1) * x.batch.b + cols.start + k]);
                    let q = q_next(lm[k], vs_next, row.vn[k]);
                    rows[0][t][k] = acc[t][k] + row.v[k];
                    rows[1][t][k] = pg_bar[k].min(ratio[t][k]) * (row.r[k] + gm[k] * row.d[k] * q - row.v[k]);
                    ok &= rows[1][t][k].is_finite();
                }
            }
            ok
        })?;
        Ok(Targets { values: vs, advantages: pg })
    }

    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        dx.validate(&x.batch, META.len())?;
        let (t_len, b, n) = (x.batch.t, x.batch.b, x.batch.len());
        let (mut d_vs, mut d_pg) = (vec![0.0; n], vec![0.0; n]);
        let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
        with_trace(x, vec![&mut d_vs, &mut d_pg], |cols, ratio, acc, rows| {
            let w = cols.len();
            let lambda = x.meta[1];
            // d min(bar, ρ) = d bar where the bar is taken, else ρ·d log ρ.
            let d_trunc = |m: usize, i: usize, ratio: f64| {
                if truncate(x.meta[m][i], ratio).1 {
                    at(dx.meta(m), i)
                } else {
                    ratio * at(dx.log_rhos, i)
                }
            };
            let disc = |i: usize| x.meta[0][i] * x.discounts[i];
            let d_disc = |i: usize| at(dx.meta(0), i) * x.discounts[i];
            let mut d_acc = vec![vec![0.0; w]; t_len];
            for t in (0..t_len).rev() {
                for k in 0..w {
                    let i = t * b + cols.start + k;
                    let rho = ratio[t][k];
                    let err = x.rewards[i] + disc(i) * x.next_values[i] - x.values[i];
                    let d_err = at(dx.rewards, i) + d_disc(i) * x.next_values[i] + disc(i) * at(dx.next_values, i)
                        - at(dx.values, i);
                    let mut d = d_trunc(2, i, rho) * err + x.meta[2][i].min(rho) * d_err;
                    if t + 1 < t_len {
                        let c = lambda[i] * x.meta[3][i].min(rho);
                        let d_c = at(dx.meta(1), i) * x.meta[3][i].min(rho) + lambda[i] * d_trunc(3, i, rho);
                        d += (d_disc(i) * c + disc(i) * d_c) * acc[t + 1][k] + disc(i) * c * d_acc[t + 1][k];
                    }
                    d_acc[t][k] = d;
                    rows[0][t][k] = d + at(dx.values, i);
                }
            }
            for t in 0..t_len {
                for k in 0..w {
                    let i = t * b + cols.start + k;
                    let (vs_next, d_q) = if t + 1 < t_len {
                        let vs_next = acc[t + 1][k] + x.values[i + b];
                        let d_vs_next = rows[0][t + 1][k];
                        let d_q = at(dx.meta(1), i) * (vs_next - x.next_values[i])
                            + lambda[i] * d_vs_next
                            + (1.0 - lambda[i]) * at(dx.next_values, i);
                        (Some(vs_next), d_q)
                    } else {
                        (None, at(dx.next_values, i))
                    };
                    let q = q_next(lambda[i], vs_next, x.next_values[i]);
                    let err = x.rewards[i] + disc(i) * q - x.values[i];
                    let d_err = at(dx.rewards, i) + d_disc(i) * q + disc(i) * d_q - at(dx.values, i);
                    rows[1][t][k] = d_trunc(4, i, ratio[t][k]) * err + x.meta[4][i].min(ratio[t][k]) * d_err;
                }
            }
            true
        })?;
        Ok(Targets { values: d_vs, advantages: d_pg })
    }

    /// The JVP's chain run backwards: first the advantages (their q̄ adds to v̄ of the next
    /// step), then the trace recursion forwards in time (Āₜ₊₁ += Āₜγₜcₜ).
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        dy.validate(&x.batch)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let mut out = InputCotangents::zeros(&x.batch, META.len());
        let InputCotangents { rewards, values, next_values, log_rhos, meta } = &mut out;
        let mut outputs: Vec<&mut [f64]> = vec![rewards, values, next_values, log_rhos];
        outputs.extend(meta.iter_mut().map(|m| &mut m[..]));
        with_trace(x, outputs, |cols, ratio, acc, rows| {
            let w = cols.len();
            let lambda = x.meta[1];
            let [r_bar, v_bar, vn_bar, lr_bar, gamma_bar, lambda_bar, rho_bar, c_bar, pg_bar] = &mut rows[..] else {
                unreachable!("nine cotangent outputs")
            };
            // Cotangents of vₜ (from the targets and from qₜ of the step before).
            let mut vs_bar: Vec<Vec<f64>> = (0..t_len).map(|t| dy.values[t * b + cols.start..][..w].to_vec()).collect();
            // The cotangent of min(bar, ρ) goes to the bar where it is taken, else to log ρ.
            let truncation =
                |m: usize, t: usize, k: usize, i: usize, cot: f64, bars: &mut [&mut [f64]], lr: &mut [&mut [f64]]| {
                    if truncate(x.meta[m][i], ratio[t][k]).1 {
                        bars[t][k] += cot;
                    } else {
                        lr[t][k] += cot * ratio[t][k];
                    }
                };
            for t in 0..t_len {
                for k in 0..w {
                    let i = t * b + cols.start + k;
                    let disc = x.meta[0][i] * x.discounts[i];
                    let vs_next = (t + 1 < t_len).then(|| acc[t + 1][k] + x.values[i + b]);
                    let q = q_next(lambda[i], vs_next, x.next_values[i]);
                    let u = dy.advantages[i];
                    truncation(4, t, k, i, u * (x.rewards[i] + disc * q - x.values[i]), pg_bar, lr_bar);
                    let e_bar = u * x.meta[4][i].min(ratio[t][k]);
                    r_bar[t][k] += e_bar;
                    gamma_bar[t][k] += e_bar * q * x.discounts[i];
                    v_bar[t][k] -= e_bar;
                    let q_bar = e_bar * disc;
                    match vs_next {
                        Some(vs_next) => {
                            lambda_bar[t][k] += q_bar * (vs_next - x.next_values[i]);
                            vs_bar[t + 1][k] += q_bar * lambda[i];
                            vn_bar[t][k] += q_bar * (1.0 - lambda[i]);
                        }
                        None => vn_bar[t][k] += q_bar,
                    }
                }
            }
            let mut carry = vec![0.0; w];
            for t in 0..t_len {
                for k in 0..w {
                    let i = t * b + cols.start + k;
                    let disc = x.meta[0][i] * x.discounts[i];
                    let a_bar = vs_bar[t][k] + carry[k];
                    v_bar[t][k] += vs_bar[t][k];
                    truncation(
                        2,
                        t,
                        k,
                        i,
                        a_bar * (x.rewards[i] + disc * x.next_values[i] - x.values[i]),
                        rho_bar,
                        lr_bar,
                    );
                    let e_bar = a_bar * x.meta[2][i].min(ratio[t][k]);
                    r_bar[t][k] += e_bar;
                    gamma_bar[t][k] += e_bar * x.next_values[i] * x.discounts[i];
                    vn_bar[t][k] += e_bar * disc;
                    v_bar[t][k] -= e_bar;
                    carry[k] = 0.0;
                    if t + 1 < t_len {
                        let c_min = x.meta[3][i].min(ratio[t][k]);
                        let c = lambda[i] * c_min;
                        gamma_bar[t][k] += a_bar * c * acc[t + 1][k] * x.discounts[i];
                        let cc_bar = a_bar * disc * acc[t + 1][k];
                        lambda_bar[t][k] += cc_bar * c_min;
                        truncation(3, t, k, i, cc_bar * lambda[i], c_bar, lr_bar);
                        carry[k] = a_bar * disc * c;
                    }
                }
            }
            true
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::Batch;

    fn vtrace(r: &[f64], d: &[f64], v: &[f64], vn: &[f64], lr: &[f64], gamma: f64, lambda: f64) -> Targets {
        let n = r.len();
        let g = vec![gamma; n];
        let l = vec![lambda; n];
        let one = vec![1.0; n];
        let x = ReturnInputs {
            batch: Batch::new(n, 1).unwrap(),
            rewards: r,
            discounts: d,
            values: v,
            next_values: vn,
            log_rhos: lr,
            meta: &[&g, &l, &one, &one, &one],
        };
        VTrace {}.targets(&x).unwrap()
    }

    #[test]
    fn vtrace_matches_hand_worked_case_with_episode_end() {
        // T = 2, γ = 0.5, λ = 1, on-policy (ρ = 1), the episode ends after step 0.
        // δ₀ = 1 + 0 − 2 = −1, δ₁ = 3 + 0.5·4 − 1 = 4; v₁ = 1 + 4 = 5; v₀ = 2 + (−1) + 0 = 1.
        // A₁ = 3 + 0.5·4 − 1 = 4; A₀ = 1 + 0·q₁ − 2 = −1.
        let t = vtrace(&[1.0, 3.0], &[0.0, 1.0], &[2.0, 1.0], &[7.0, 4.0], &[0.0, 0.0], 0.5, 1.0);
        assert_eq!(t.values, vec![1.0, 5.0]);
        assert_eq!(t.advantages, vec![-1.0, 4.0]);
    }

    #[test]
    fn vtrace_truncates_the_importance_weights() {
        // T = 1, ρ = e^{ln 3} = 3 truncated to ρ̄ = 1: v = V + 1·(r + γV′ − V) = 0 + (1 + 0.5·2) = 2.
        // ρ = 0.5: v = 0.5·2 = 1, and A = min(1, 0.5)·2 = 1.
        let t = vtrace(&[1.0], &[1.0], &[0.0], &[2.0], &[3f64.ln()], 0.5, 1.0);
        assert!((t.values[0] - 2.0).abs() < 1e-12);
        let t = vtrace(&[1.0], &[1.0], &[0.0], &[2.0], &[0.5f64.ln()], 0.5, 1.0);
        assert!((t.values[0] - 1.0).abs() < 1e-12 && (t.advantages[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn on_policy_vtrace_equals_the_lambda_return() {
        use crate::LambdaReturn;
        let (r, d, v, vn) = ([1.0, -0.5, 2.0], [1.0, 1.0, 1.0], [0.3, -0.2, 0.7], [-0.2, 0.7, 1.5]);
        let (g, l) = ([0.9; 3], [0.6; 3]);
        let z = [0.0; 3];
        let x = ReturnInputs {
            batch: Batch::new(3, 1).unwrap(),
            rewards: &r,
            discounts: &d,
            values: &v,
            next_values: &vn,
            log_rhos: &z,
            meta: &[&g, &l],
        };
        let lr = LambdaReturn {}.targets(&x).unwrap();
        let vt = vtrace(&r, &d, &v, &vn, &z, 0.9, 0.6);
        for (a, b) in lr.values.iter().zip(&vt.values) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }
}
