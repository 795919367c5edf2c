//! The n-step bootstrapped return (Sutton & Barto 2018, "Reinforcement Learning: An
//! Introduction", §7.1), with the discounted Monte-Carlo return as its limit n ≥ T.
//!
//! For t ∈ [0, T), from rewards rₜ, continuations dₜ, γₜ and next values V(xₜ₊₁), all for
//! t ∈ [0, T), with γₜ = γ(η)ₜ·dₜ and m = min(n, T − t):
//!
//!   Gₜ = Σ_{k<m} (Π_{i<k} γₜ₊ᵢ) rₜ₊ₖ + (Π_{i<m} γₜ₊ᵢ) V(xₜ₊ₘ),   V(xₜ₊ₘ) = next_values[t + m − 1],
//!
//! computed by its tail recursion Sₖ = rₜ₊ₖ + γₜ₊ₖ Sₖ₊₁ (k = m − 1 down to 0), Sₘ = V(xₜ₊ₘ),
//! Gₜ = S₀: truncated at the end of the batch, where it bootstraps on the last next value.
//! Value target vₜ = Gₜ; policy-gradient advantage Aₜ = Gₜ − V(xₜ), from values V(xₜ) for
//! t ∈ [0, T). Log importance ratios are not read. Each Gₜ costs m steps: O(T·min(n, T)·B).

use crate::kernel::{all_finite, check, row, row_mut, row_or, run_kernel, Cols, Kernel, Output};
use mgrl_core::registry::PluginOption;
use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, PluginEntry, PluginKind, Result, ReturnFn, ReturnInputs,
    TargetCotangents, Targets,
};
use serde::{Deserialize, Deserializer, Serialize};
use std::mem::MaybeUninit;
use std::num::NonZeroUsize;

const META: &[MetaParamSpec] = &[MetaParamSpec::unit("gamma", "discount γ", 0.99)];

/// The n-step return.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NStep {
    /// Steps before bootstrapping: 1 is one-step TD, n ≥ T the Monte-Carlo return.
    #[serde(deserialize_with = "at_least_one")]
    pub n: NonZeroUsize,
}

inventory::submit! {
    PluginEntry {
        name: "n_step",
        kind: PluginKind::Return,
        description: "n-step return Σ_{k<n} γᵏ rₜ₊ₖ + γⁿ V(xₜ₊ₙ), Monte-Carlo for n ≥ T (Sutton & Barto 2018 §7.1)",
        meta_params: META,
        options: &[PluginOption { name: "n", doc: "steps before bootstrapping (≥ 1; ≥ T for Monte Carlo)", default: "" }],
    }
}

/// `n` from an integer, with an error that names it and says what is allowed.
fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<NonZeroUsize, D::Error> {
    let n = i64::deserialize(d)?;
    usize::try_from(n).ok().and_then(NonZeroUsize::new).ok_or_else(|| {
        serde::de::Error::custom(format!("`n` must be an integer ≥ 1 (1: one-step TD; ≥ T: Monte Carlo), got {n}"))
    })
}

impl NStep {
    /// m = min(n, T − t), the steps summed before bootstrapping at step t.
    fn horizon(&self, t: usize, t_len: usize) -> usize {
        self.n.get().min(t_len - t)
    }
}

#[typetag::serde(name = "n_step")]
impl ReturnFn for NStep {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate(META)?;
        let ([values, advantages], ok) = run_kernel(&x.batch, &Value { x, n: self });
        check(ok, x, META, "n-step targets", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// See `Jvp` below.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate(META)?;
        dx.validate(&x.batch, META.len())?;
        let ([values, advantages], ok) = run_kernel(&x.batch, &Jvp { x, dx, n: self });
        check(ok, x, META, "n-step tangents", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// The pull-back of each Gₜ along its m steps, forwards: with Pₖ = ḡₜ Π_{i<k} γₜ₊ᵢ and
    /// ḡₜ = v̄ₜ + Āₜ, r̄ₜ₊ₖ += Pₖ, γ̄ₜ₊ₖ += Pₖ dₜ₊ₖ Sₖ₊₁ (the tails Sₖ of the value recursion),
    /// V̄(xₜ₊ₘ) += Pₘ, and V̄ₜ = −Āₜ; no cotangent for the log importance ratios.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate(META)?;
        dy.validate(&x.batch)?;
        let (t_len, b, c) = (x.batch.t, x.batch.b, Cols::all(&x.batch));
        let mut out = InputCotangents::zeros(&x.batch, META.len());
        // tails[k·B..(k+1)·B] holds the row Sₖ of the step being pulled back.
        let mut tails = vec![0.0; (self.n.get().min(t_len) + 1) * b];
        let mut p = vec![0.0; b];
        for t in 0..t_len {
            let m = self.horizon(t, t_len);
            tails[m * b..(m + 1) * b].copy_from_slice(row(x.next_values, c, t + m - 1));
            for k in (0..m).rev() {
                let (s, s_next) = tails[k * b..(k + 2) * b].split_at_mut(b);
                tail_row(x, c, t + k, s_next, s);
            }
            for ((p, u_v), u_a) in p.iter_mut().zip(row(dy.values, c, t)).zip(row(dy.advantages, c, t)) {
                *p = u_v + u_a;
            }
            for k in 0..m {
                let j = t + k;
                let (d, gamma) = (row(x.discounts, c, j), row(x.meta[0], c, j));
                let s_next = &tails[(k + 1) * b..(k + 2) * b];
                let r_bar = &mut out.rewards[j * b..(j + 1) * b];
                let gamma_bar = &mut out.meta[0][j * b..(j + 1) * b];
                pull_back_row(&mut p, r_bar, gamma_bar, d, gamma, s_next);
            }
            for (v_bar, p) in out.next_values[(t + m - 1) * b..(t + m) * b].iter_mut().zip(&p) {
                *v_bar += p;
            }
        }
        for (v_bar, u_a) in out.values.iter_mut().zip(dy.advantages) {
            *v_bar = -u_a;
        }
        let outputs = [&out.rewards, &out.next_values, &out.meta[0]];
        check(
            outputs.iter().all(|o| o.iter().all(|v| v.is_finite())),
            x,
            META,
            "n-step cotangents",
            &outputs.map(|o| &o[..]),
        )?;
        Ok(out)
    }
}

/// Sₖ = rⱼ + γⱼdⱼ Sₖ₊₁ for the row j = t + k, into `s`.
#[inline(always)]
fn tail_row(x: &ReturnInputs, c: Cols, j: usize, s_next: &[f64], s: &mut [f64]) {
    let b = c.width;
    let (r, d, gamma, s_next) = (row(x.rewards, c, j), row(x.discounts, c, j), row(x.meta[0], c, j), &s_next[..b]);
    for (e, s) in s[..b].iter_mut().enumerate() {
        *s = r[e] + gamma[e] * d[e] * s_next[e];
    }
}

/// One step of the pull-back: r̄ += P, γ̄ += P·d·Sₖ₊₁, then P ← P·γd.
#[inline(always)]
fn pull_back_row(p: &mut [f64], r_bar: &mut [f64], gamma_bar: &mut [f64], d: &[f64], gamma: &[f64], s_next: &[f64]) {
    let b = p.len();
    let (r_bar, gamma_bar, d, gamma, s_next) =
        (&mut r_bar[..b], &mut gamma_bar[..b], &d[..b], &gamma[..b], &s_next[..b]);
    for e in 0..b {
        r_bar[e] += p[e];
        gamma_bar[e] += p[e] * d[e] * s_next[e];
        p[e] *= gamma[e] * d[e];
    }
}

/// The value: for each t, the tail recursion from Sₘ = V(xₜ₊ₘ) down to S₀ = Gₜ; also
/// Aₜ = Gₜ − V(xₜ). The inputs are validated before; its check fails when a target overflows.
struct Value<'a> {
    x: &'a ReturnInputs<'a>,
    n: &'a NStep,
}

impl Kernel<2> for Value<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [g, adv]: &mut [Output; 2]) -> bool {
        let (x, t_len, b) = (self.x, self.x.batch.t, c.width);
        let (mut s, mut s_next) = (vec![0.0; b], vec![0.0; b]);
        let mut ok = true;
        for t in 0..t_len {
            let m = self.n.horizon(t, t_len);
            s.copy_from_slice(row(x.next_values, c, t + m - 1));
            for k in (0..m).rev() {
                std::mem::swap(&mut s, &mut s_next);
                tail_row(x, c, t + k, &s_next, &mut s);
            }
            ok &= write_targets_row(&s, row(x.values, c, t), row_mut(g, t), row_mut(adv, t));
        }
        ok
    }
}

/// vₜ = Gₜ and Aₜ = Gₜ − V(xₜ) for one row (or their tangents); false if one is not finite.
#[inline(always)]
fn write_targets_row(g: &[f64], v: &[f64], out_g: &mut [MaybeUninit<f64>], out_a: &mut [MaybeUninit<f64>]) -> bool {
    let b = out_g.len();
    let (g, v, out_a) = (&g[..b], &v[..b], &mut out_a[..b]);
    let mut ok = true;
    for e in 0..b {
        let a = g[e] - v[e];
        out_g[e].write(g[e]);
        out_a[e].write(a);
        ok &= all_finite([g[e], a]);
    }
    ok
}

/// The JVP: the tail recursion with its tangent beside it,
///
///   dSₖ = drₜ₊ₖ + dγₜ₊ₖ·dₜ₊ₖ·Sₖ₊₁ + γₜ₊ₖdₜ₊ₖ dSₖ₊₁,   dSₘ = dV(xₜ₊ₘ),   dGₜ = dS₀,
///   dAₜ = dGₜ − dV(xₜ).
///
/// Its check fails when a target or a tangent overflows.
struct Jvp<'a> {
    x: &'a ReturnInputs<'a>,
    dx: &'a InputTangents<'a>,
    n: &'a NStep,
}

impl Kernel<2> for Jvp<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [dg, da]: &mut [Output; 2]) -> bool {
        let (x, dx, t_len, b) = (self.x, self.dx, self.x.batch.t, c.width);
        let zeros = vec![0.0; b];
        let (mut s, mut ds) = (vec![0.0; b], vec![0.0; b]);
        let mut ok = true;
        for t in 0..t_len {
            let m = self.n.horizon(t, t_len);
            s.copy_from_slice(row(x.next_values, c, t + m - 1));
            ds.copy_from_slice(row_or(dx.next_values, c, t + m - 1, &zeros));
            for j in (t..t + m).rev() {
                let (r, d, gamma) = (row(x.rewards, c, j), row(x.discounts, c, j), row(x.meta[0], c, j));
                let (dr, d_gamma) = (row_or(dx.rewards, c, j, &zeros), row_or(dx.meta(0), c, j, &zeros));
                tangent_row(&mut s, &mut ds, r, d, gamma, dr, d_gamma);
            }
            ok &= s.iter().all(|g| g.is_finite());
            ok &= write_targets_row(&ds, row_or(dx.values, c, t, &zeros), row_mut(dg, t), row_mut(da, t));
        }
        ok
    }
}

/// One step of the tail recursion and of its tangent: (S, dS) ← (r + γd·S, dr + dγ·d·S + γd·dS).
#[inline(always)]
fn tangent_row(s: &mut [f64], ds: &mut [f64], r: &[f64], d: &[f64], gamma: &[f64], dr: &[f64], d_gamma: &[f64]) {
    let b = s.len();
    let (ds, r, d, gamma, dr, d_gamma) = (&mut ds[..b], &r[..b], &d[..b], &gamma[..b], &dr[..b], &d_gamma[..b]);
    for e in 0..b {
        ds[e] = dr[e] + d_gamma[e] * d[e] * s[e] + gamma[e] * d[e] * ds[e];
        s[e] = r[e] + gamma[e] * d[e] * s[e];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::Batch;

    fn targets(n: usize, r: &[f64], d: &[f64], v_next: &[f64], gamma: f64) -> Vec<f64> {
        let t = r.len();
        let (g, z) = (vec![gamma; t], vec![0.0; t]);
        let x = ReturnInputs {
            batch: Batch::new(t, 1).unwrap(),
            rewards: r,
            discounts: d,
            values: &z,
            next_values: v_next,
            log_rhos: &z,
            meta: &[&g],
        };
        NStep { n: NonZeroUsize::new(n).unwrap() }.targets(&x).unwrap().values
    }

    #[test]
    fn n_step_matches_hand_worked_cases_with_episode_end() {
        let (r, vn) = ([1.0, 2.0, 3.0], [10.0, 20.0, 40.0]);
        // n = 1 (one-step TD): Gₜ = rₜ + γV(xₜ₊₁) = [1 + 5, 2 + 10, 3 + 20].
        assert_eq!(targets(1, &r, &[1.0; 3], &vn, 0.5), vec![6.0, 12.0, 23.0]);
        // n = 2: G₀ = 1 + 0.5·2 + 0.25·20 = 7; G₁ = 2 + 0.5·3 + 0.25·40 = 13.5; G₂ = 3 + 0.5·40 = 23.
        assert_eq!(targets(2, &r, &[1.0; 3], &vn, 0.5), vec![7.0, 13.5, 23.0]);
        // n = 2, the episode ends after step 1 (d₁ = 0): G₀ = 1 + 0.5·2 + 0.5·0·20 = 2;
        // G₁ = 2 + 0·(…) = 2; G₂ = 3 + 0.5·40 = 23.
        assert_eq!(targets(2, &r, &[1.0, 0.0, 1.0], &vn, 0.5), vec![2.0, 2.0, 23.0]);
        // n ≥ T (Monte Carlo, bootstrapped at the batch end), the episode ends after step 0:
        // G₀ = 1; G₁ = 2 + 0.5·3 + 0.25·40 = 13.5; G₂ = 23.
        assert_eq!(targets(5, &r, &[0.0, 1.0, 1.0], &vn, 0.5), vec![1.0, 13.5, 23.0]);
        // n = T equals n > T: G₀ = 1 + 0.5·2 + 0.25·3 + 0.125·40 = 7.75.
        assert_eq!(targets(3, &r, &[1.0; 3], &vn, 0.5), targets(9, &r, &[1.0; 3], &vn, 0.5));
        assert_eq!(targets(3, &r, &[1.0; 3], &vn, 0.5)[0], 7.75);
        // γ = 0: the reward alone; T = 1: one step, r + γV(x₁) = 1 + 0.5·4.
        assert_eq!(targets(3, &r, &[1.0; 3], &vn, 0.0), r.to_vec());
        assert_eq!(targets(3, &[1.0], &[1.0], &[4.0], 0.5), vec![3.0]);
    }

    #[test]
    fn n_below_one_is_an_error_that_names_n_and_states_what_is_allowed() {
        for n in ["0", "-2"] {
            let err = toml::from_str::<NStep>(&format!("n = {n}")).unwrap_err().to_string();
            assert!(err.contains("`n` must be an integer ≥ 1") && err.contains(&format!("got {n}")), "{err}");
        }
        assert_eq!(toml::from_str::<NStep>("n = 4").unwrap().n.get(), 4);
    }
}
