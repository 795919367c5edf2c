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

use mgrl_core::registry::PluginOption;
use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, PluginEntry, PluginKind, Result, ReturnFn, ReturnInputs,
    TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};

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

/// The forward pass, kept for the derivatives.
struct Forward {
    ratio: Vec<f64>,
    /// γₜ·dₜ, ρ̂ₜ, min(c̄, ρₜ), min(ρ̄_pg, ρₜ).
    discount: Vec<f64>,
    rho: Vec<f64>,
    c_min: Vec<f64>,
    pg_rho: Vec<f64>,
    /// vₜ − V(xₜ), vₜ, qₜ₊₁.
    acc: Vec<f64>,
    vs: Vec<f64>,
    q: Vec<f64>,
    pg: Vec<f64>,
}

impl Forward {
    fn new(x: &ReturnInputs) -> Self {
        let (t_len, b, n) = (x.batch.t, x.batch.b, x.batch.len());
        let [gamma, lambda, rho_bar, c_bar, pg_bar] = [0, 1, 2, 3, 4].map(|k| x.meta[k]);
        let ratio: Vec<f64> = x.log_rhos.iter().map(|l| l.exp()).collect();
        let discount: Vec<f64> = (0..n).map(|i| gamma[i] * x.discounts[i]).collect();
        let rho: Vec<f64> = (0..n).map(|i| truncate(rho_bar[i], ratio[i]).0).collect();
        let c_min: Vec<f64> = (0..n).map(|i| truncate(c_bar[i], ratio[i]).0).collect();
        let pg_rho: Vec<f64> = (0..n).map(|i| truncate(pg_bar[i], ratio[i]).0).collect();
        let mut acc = vec![0.0; n];
        for t in (0..t_len).rev() {
            for i in t * b..(t + 1) * b {
                let delta = rho[i] * (x.rewards[i] + discount[i] * x.next_values[i] - x.values[i]);
                let next = if t + 1 < t_len { acc[i + b] } else { 0.0 };
                acc[i] = delta + discount[i] * lambda[i] * c_min[i] * next;
            }
        }
        let vs: Vec<f64> = acc.iter().zip(x.values).map(|(a, v)| a + v).collect();
        let q: Vec<f64> = (0..n)
            .map(|i| {
                if i / b + 1 < t_len {
                    lambda[i] * vs[i + b] + (1.0 - lambda[i]) * x.next_values[i]
                } else {
                    x.next_values[i]
                }
            })
            .collect();
        let pg = (0..n).map(|i| pg_rho[i] * (x.rewards[i] + discount[i] * q[i] - x.values[i])).collect();
        Forward { ratio, discount, rho, c_min, pg_rho, acc, vs, q, pg }
    }
}

#[typetag::serde(name = "vtrace")]
impl ReturnFn for VTrace {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate(META)?;
        let f = Forward::new(x);
        Ok(Targets { values: f.vs, advantages: f.pg })
    }

    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate(META)?;
        dx.validate(&x.batch, META.len())?;
        let (t_len, b, n) = (x.batch.t, x.batch.b, x.batch.len());
        let f = Forward::new(x);
        let lambda = x.meta[1];
        let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
        // d min(bar, ρ) = d bar where the bar is taken, else ρ·d log ρ.
        let d_trunc = |k: usize, i: usize| {
            let (_, is_bar) = truncate(x.meta[k][i], f.ratio[i]);
            if is_bar {
                at(dx.meta(k), i)
            } else {
                f.ratio[i] * at(dx.log_rhos, i)
            }
        };
        let d_discount = |i: usize| at(dx.meta(0), i) * x.discounts[i];
        let mut d_acc = vec![0.0; n];
        for t in (0..t_len).rev() {
            for i in t * b..(t + 1) * b {
                let err = x.rewards[i] + f.discount[i] * x.next_values[i] - x.values[i];
                let d_err =
                    at(dx.rewards, i) + d_discount(i) * x.next_values[i] + f.discount[i] * at(dx.next_values, i)
                        - at(dx.values, i);
                let d_delta = d_trunc(2, i) * err + f.rho[i] * d_err;
                let (next, d_next) = if t + 1 < t_len { (f.acc[i + b], d_acc[i + b]) } else { (0.0, 0.0) };
                let c = lambda[i] * f.c_min[i];
                let d_c = at(dx.meta(1), i) * f.c_min[i] + lambda[i] * d_trunc(3, i);
                d_acc[i] = d_delta + (d_discount(i) * c + f.discount[i] * d_c) * next + f.discount[i] * c * d_next;
            }
        }
        let d_vs: Vec<f64> = (0..n).map(|i| d_acc[i] + at(dx.values, i)).collect();
        let d_pg = (0..n)
            .map(|i| {
                let d_q = if i / b + 1 < t_len {
                    at(dx.meta(1), i) * (f.vs[i + b] - x.next_values[i])
                        + lambda[i] * d_vs[i + b]
                        + (1.0 - lambda[i]) * at(dx.next_values, i)
                } else {
                    at(dx.next_values, i)
                };
                let err = x.rewards[i] + f.discount[i] * f.q[i] - x.values[i];
                let d_err = at(dx.rewards, i) + d_discount(i) * f.q[i] + f.discount[i] * d_q - at(dx.values, i);
                d_trunc(4, i) * err + f.pg_rho[i] * d_err
            })
            .collect();
        Ok(Targets { values: d_vs, advantages: d_pg })
    }

    /// The JVP's chain run backwards: first the advantages (their q̄ adds to v̄ of the next
    /// step), then the trace recursion forwards in time (Āₜ₊₁ += Āₜγₜcₜ).
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate(META)?;
        dy.validate(&x.batch)?;
        let (t_len, b, n) = (x.batch.t, x.batch.b, x.batch.len());
        let f = Forward::new(x);
        let lambda = x.meta[1];
        let mut out = InputCotangents::zeros(&x.batch, META.len());
        // Cotangent of the effective discount γₜ·dₜ; of min(bar, ρ) for k = 2, 3, 4.
        let mut discount_bar = vec![0.0; n];
        let mut trunc_bar = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        let mut vs_bar = dy.values.to_vec();
        for i in 0..n {
            let u = dy.advantages[i];
            let err = x.rewards[i] + f.discount[i] * f.q[i] - x.values[i];
            trunc_bar[2][i] += u * err;
            let e_bar = u * f.pg_rho[i];
            out.rewards[i] += e_bar;
            discount_bar[i] += e_bar * f.q[i];
            out.values[i] -= e_bar;
            let q_bar = e_bar * f.discount[i];
            if i / b + 1 < t_len {
                out.meta[1][i] += q_bar * (f.vs[i + b] - x.next_values[i]);
                vs_bar[i + b] += q_bar * lambda[i];
                out.next_values[i] += q_bar * (1.0 - lambda[i]);
            } else {
                out.next_values[i] += q_bar;
            }
        }
        let mut acc_bar = vec![0.0; n];
        for t in 0..t_len {
            for i in t * b..(t + 1) * b {
                let a_bar = vs_bar[i] + acc_bar[i];
                out.values[i] += vs_bar[i];
                let err = x.rewards[i] + f.discount[i] * x.next_values[i] - x.values[i];
                trunc_bar[0][i] += a_bar * err;
                let e_bar = a_bar * f.rho[i];
                out.rewards[i] += e_bar;
                discount_bar[i] += e_bar * x.next_values[i];
                out.next_values[i] += e_bar * f.discount[i];
                out.values[i] -= e_bar;
                if t + 1 < t_len {
                    let next = f.acc[i + b];
                    let c = lambda[i] * f.c_min[i];
                    discount_bar[i] += a_bar * c * next;
                    let c_bar = a_bar * f.discount[i] * next;
                    out.meta[1][i] += c_bar * f.c_min[i];
                    trunc_bar[1][i] += c_bar * lambda[i];
                    acc_bar[i + b] += a_bar * f.discount[i] * c;
                }
            }
        }
        for i in 0..n {
            out.meta[0][i] = discount_bar[i] * x.discounts[i];
            for (k, bar) in trunc_bar.iter().enumerate() {
                if truncate(x.meta[2 + k][i], f.ratio[i]).1 {
                    out.meta[2 + k][i] += bar[i];
                } else {
                    out.log_rhos[i] += bar[i] * f.ratio[i];
                }
            }
        }
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
