//! The n-step bootstrapped return (Sutton & Barto 2018, "Reinforcement Learning: An
//! Introduction", §7.1), with the discounted Monte-Carlo return as its limit n ≥ T.
//!
//! For t ∈ [0, T), from rewards rₜ, continuations dₜ, episode masks eₜ (0 where the episode
//! ends at xₜ₊₁, terminated or truncated), γₜ and next values V(xₜ₊₁), all for t ∈ [0, T),
//! with γₜ = γ(η)ₜ·dₜ, m = min(n, T − t) and m′ = min(m, 1 + k₀), k₀ the first k ≥ 0 with
//! eₜ₊ₖ = 0 (m′ = m if none):
//!
//!   Gₜ = Σ_{k<m′} (Π_{i<k} γₜ₊ᵢ) rₜ₊ₖ + (Π_{i<m′} γₜ₊ᵢ) V(xₜ₊ₘ′),   V(xₜ₊ₘ′) = next_values[t + m′ − 1]:
//!
//! the sum stops at the end of the batch or of the episode, whichever comes first, and
//! bootstraps there (after a time-limit truncation, on the value of the final observation).
//! It is computed by its tail recursion along the m steps, which the mask cuts:
//!
//!   Sₖ = rⱼ + γⱼ [ eⱼ Sₖ₊₁ + (1 − eⱼ) V(xⱼ₊₁) ],   j = t + k,   k = m − 1 down to 0,
//!   Sₘ = V(xₜ₊ₘ),   Gₜ = S₀,
//!
//! the truncation at the end of the batch bootstrapping on the last next value.
//! Value target vₜ = Gₜ; policy-gradient advantage Aₜ = Gₜ − V(xₜ), from values V(xₜ) for
//! t ∈ [0, T). Log importance ratios are not read. Each Gₜ costs m steps: O(T·min(n, T)·B).

use crate::kernel::{
    all_finite, check, named, row, row_mut, row_or, run_kernel, tangents, Cols, Kernel, MetaRows, Output,
};
use mgrl_core::registry::PluginOption;
use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, MetaValue, Result, ReturnFn, ReturnInputs, TargetCotangents, Targets,
};
use serde::{Deserialize, Deserializer, Serialize};
use std::mem::MaybeUninit;
use std::num::NonZeroUsize;

const OPTIONS: &[PluginOption] =
    &[PluginOption { name: "n", doc: "steps before bootstrapping (≥ 1; ≥ T for Monte Carlo)", default: "" }];

const META: &[MetaParamSpec] = &[MetaParamSpec::unit("gamma", "discount γ", 0.99)];

/// γ (or its tangent), a scalar or per step; `None` is a zero tangent.
type Gamma<'a> = [Option<&'a MetaValue>; 1];

/// The n-step return.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NStep {
    /// Steps before bootstrapping: 1 is one-step TD, n ≥ T the Monte-Carlo return.
    #[serde(deserialize_with = "at_least_one")]
    pub n: NonZeroUsize,
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

#[mgrl_core::plugin(
    name = "n_step",
    description = "n-step return Σ_{k<n} γᵏ rₜ₊ₖ + γⁿ V(xₜ₊ₙ), stopping where an episode ends, Monte-Carlo for n ≥ T (Sutton & Barto 2018 §7.1)",
    meta = META,
    options = OPTIONS,
)]
impl ReturnFn for NStep {
    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate(META)?;
        let ([values, advantages], ok) = run_kernel(&x.batch, &Value { x, gamma: named(x.meta, ["gamma"])?, n: self });
        check(ok, x, META, "n-step targets", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// See `Jvp` below.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate(META)?;
        dx.validate(&x.batch, META)?;
        let (gamma, d_gamma) = (named(x.meta, ["gamma"])?, tangents(&dx.meta, ["gamma"]));
        let ([values, advantages], ok) = run_kernel(&x.batch, &Jvp { x, dx, gamma, d_gamma, n: self });
        check(ok, x, META, "n-step tangents", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// The pull-back of each Gₜ along its m steps, forwards: with ḡₜ = v̄ₜ + Āₜ,
    /// Pₖ = ḡₜ Π_{i<k} γₜ₊ᵢeₜ₊ᵢ, j = t + k and Bₖ = eⱼSₖ₊₁ + (1 − eⱼ)V(xⱼ₊₁) (the tails Sₖ of
    /// the value recursion), r̄ⱼ += Pₖ, γ̄ⱼ += Pₖ dⱼ Bₖ, V̄(xⱼ₊₁) += Pₖ γⱼ(1 − eⱼ),
    /// V̄(xₜ₊ₘ) += Pₘ, and V̄ₜ = −Āₜ; no cotangent for the log importance ratios (nor for d
    /// and e, data).
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate(META)?;
        dy.validate(&x.batch)?;
        let (t_len, b, c) = (x.batch.t, x.batch.b, Cols::all(&x.batch));
        let [gamma] = MetaRows::new(named(x.meta, ["gamma"])?, c);
        let mut out = InputCotangents::zeros(&x.batch, META);
        let gamma_out = out.meta.steps_mut("gamma", x.batch.len())?;
        // tails[k·B..(k+1)·B] holds the row Sₖ of the step being pulled back.
        let mut tails = vec![0.0; (self.n.get().min(t_len) + 1) * b];
        let mut p = vec![0.0; b];
        for t in 0..t_len {
            let m = self.horizon(t, t_len);
            tails[m * b..(m + 1) * b].copy_from_slice(row(x.next_values, c, t + m - 1));
            for k in (0..m).rev() {
                let (s, s_next) = tails[k * b..(k + 2) * b].split_at_mut(b);
                tail_row(x, &gamma, c, t + k, s_next, s);
            }
            for ((p, u_v), u_a) in p.iter_mut().zip(row(dy.values, c, t)).zip(row(dy.advantages, c, t)) {
                *p = u_v + u_a;
            }
            for k in 0..m {
                let j = t + k;
                let s_next = &tails[(k + 1) * b..(k + 2) * b];
                let r_bar = &mut out.rewards[j * b..(j + 1) * b];
                let gamma_bar = &mut gamma_out[j * b..(j + 1) * b];
                let v_next_bar = &mut out.next_values[j * b..(j + 1) * b];
                pull_back_row(&mut p, r_bar, gamma_bar, v_next_bar, Step::new(x, &gamma, c, j), s_next);
            }
            for (v_bar, p) in out.next_values[(t + m - 1) * b..(t + m) * b].iter_mut().zip(&p) {
                *v_bar += p;
            }
        }
        for (v_bar, u_a) in out.values.iter_mut().zip(dy.advantages) {
            *v_bar = -u_a;
        }
        let outputs = [&out.rewards, &out.next_values, &*gamma_out];
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

/// Row j of the inputs of one step of the tail recursion, cut to the columns.
struct Step<'a> {
    r: &'a [f64],
    d: &'a [f64],
    e: &'a [f64],
    gamma: &'a [f64],
    v_next: &'a [f64],
}

impl<'a> Step<'a> {
    #[inline(always)]
    fn new(x: &ReturnInputs<'a>, gamma: &'a MetaRows, c: Cols, j: usize) -> Self {
        let at = |a: &'a [f64]| row(a, c, j);
        Step {
            r: at(x.rewards),
            d: at(x.discounts),
            e: at(x.episode_continues),
            gamma: gamma.row(c, j),
            v_next: at(x.next_values),
        }
    }

    /// The same step with every slice cut to `w` elements, so that the compiler knows their
    /// length in the loops over k < w and drops its bounds checks.
    #[inline(always)]
    fn cut(&self, w: usize) -> Self {
        Step { r: &self.r[..w], d: &self.d[..w], e: &self.e[..w], gamma: &self.gamma[..w], v_next: &self.v_next[..w] }
    }

    /// Bₖ = eⱼSₖ₊₁ + (1 − eⱼ)V(xⱼ₊₁) of environment k, from Sₖ₊₁: what the step bootstraps on,
    /// the rest of the sum within an episode, the value of the state it ends in where it ends.
    #[inline(always)]
    fn bootstrap(&self, k: usize, s_next: f64) -> f64 {
        self.e[k] * s_next + (1.0 - self.e[k]) * self.v_next[k]
    }
}

/// Sₖ = rⱼ + γⱼdⱼBₖ for the row j = t + k, into `s`.
#[inline(always)]
fn tail_row(x: &ReturnInputs, gamma: &MetaRows, c: Cols, j: usize, s_next: &[f64], s: &mut [f64]) {
    let (b, x) = (c.width, Step::new(x, gamma, c, j).cut(c.width));
    let s_next = &s_next[..b];
    for (k, s) in s[..b].iter_mut().enumerate() {
        *s = x.r[k] + x.gamma[k] * x.d[k] * x.bootstrap(k, s_next[k]);
    }
}

/// One step of the pull-back along row j: r̄ += P, γ̄ += P·d·Bₖ, V̄′ += P·γd(1 − e), then
/// P ← P·γde.
#[inline(always)]
fn pull_back_row(
    p: &mut [f64],
    r_bar: &mut [f64],
    gamma_bar: &mut [f64],
    v_next_bar: &mut [f64],
    x: Step,
    s_next: &[f64],
) {
    let (b, x) = (p.len(), x.cut(p.len()));
    let (r_bar, gamma_bar, v_next_bar, s_next) =
        (&mut r_bar[..b], &mut gamma_bar[..b], &mut v_next_bar[..b], &s_next[..b]);
    for k in 0..b {
        let discount = x.gamma[k] * x.d[k];
        r_bar[k] += p[k];
        gamma_bar[k] += p[k] * x.d[k] * x.bootstrap(k, s_next[k]);
        v_next_bar[k] += p[k] * discount * (1.0 - x.e[k]);
        p[k] *= discount * x.e[k];
    }
}

/// The value: for each t, the tail recursion from Sₘ = V(xₜ₊ₘ) down to S₀ = Gₜ; also
/// Aₜ = Gₜ − V(xₜ). The inputs are validated before; its check fails when a target overflows.
struct Value<'a> {
    x: &'a ReturnInputs<'a>,
    gamma: Gamma<'a>,
    n: &'a NStep,
}

impl Kernel<2> for Value<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [g, adv]: &mut [Output; 2]) -> bool {
        let (x, t_len, b) = (self.x, self.x.batch.t, c.width);
        let [gamma] = MetaRows::new(self.gamma, c);
        let (mut s, mut s_next) = (vec![0.0; b], vec![0.0; b]);
        let mut ok = true;
        for t in 0..t_len {
            let m = self.n.horizon(t, t_len);
            s.copy_from_slice(row(x.next_values, c, t + m - 1));
            for k in (0..m).rev() {
                std::mem::swap(&mut s, &mut s_next);
                tail_row(x, &gamma, c, t + k, &s_next, &mut s);
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

/// The JVP: the tail recursion with its tangent beside it, j = t + k,
///
///   dSₖ = drⱼ + dγⱼ·dⱼ·Bₖ + γⱼdⱼ [ eⱼ dSₖ₊₁ + (1 − eⱼ) dV(xⱼ₊₁) ],   Bₖ = eⱼSₖ₊₁ + (1 − eⱼ)V(xⱼ₊₁),
///   dSₘ = dV(xₜ₊ₘ),   dGₜ = dS₀,   dAₜ = dGₜ − dV(xₜ).
///
/// Its check fails when a target or a tangent overflows.
struct Jvp<'a> {
    x: &'a ReturnInputs<'a>,
    dx: &'a InputTangents<'a>,
    gamma: Gamma<'a>,
    d_gamma: Gamma<'a>,
    n: &'a NStep,
}

impl Kernel<2> for Jvp<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [dg, da]: &mut [Output; 2]) -> bool {
        let (x, dx, t_len, b) = (self.x, self.dx, self.x.batch.t, c.width);
        let zeros = vec![0.0; b];
        let ([gamma], [d_gamma]) = (MetaRows::new(self.gamma, c), MetaRows::new(self.d_gamma, c));
        let (mut s, mut ds) = (vec![0.0; b], vec![0.0; b]);
        let mut ok = true;
        for t in 0..t_len {
            let m = self.n.horizon(t, t_len);
            s.copy_from_slice(row(x.next_values, c, t + m - 1));
            ds.copy_from_slice(row_or(dx.next_values, c, t + m - 1, &zeros));
            for j in (t..t + m).rev() {
                let d_step = Step {
                    r: row_or(dx.rewards, c, j, &zeros),
                    gamma: d_gamma.row(c, j),
                    v_next: row_or(dx.next_values, c, j, &zeros),
                    ..Step::new(x, &gamma, c, j)
                };
                tangent_row(&mut s, &mut ds, &Step::new(x, &gamma, c, j), &d_step);
            }
            ok &= s.iter().all(|g| g.is_finite());
            ok &= write_targets_row(&ds, row_or(dx.values, c, t, &zeros), row_mut(dg, t), row_mut(da, t));
        }
        ok
    }
}

/// One step of the tail recursion and of its tangent: (S, dS) ← (r + γd·B, dr + dγ·d·B + γd·dB),
/// B = eS + (1 − e)V′ and dB = e·dS + (1 − e)dV′, from the step `x` and its tangents `dx`
/// (whose d and e are those of `x`: data).
#[inline(always)]
fn tangent_row(s: &mut [f64], ds: &mut [f64], x: &Step, dx: &Step) {
    let (b, x, dx) = (s.len(), x.cut(s.len()), dx.cut(s.len()));
    let ds = &mut ds[..b];
    for k in 0..b {
        let (boot, d_boot) = (x.bootstrap(k, s[k]), dx.bootstrap(k, ds[k]));
        ds[k] = dx.r[k] + dx.gamma[k] * x.d[k] * boot + x.gamma[k] * x.d[k] * d_boot;
        s[k] = x.r[k] + x.gamma[k] * x.d[k] * boot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::{Batch, ReturnBatch};

    fn targets(n: usize, r: &[f64], d: &[f64], v_next: &[f64], gamma: f64) -> Vec<f64> {
        let mut x = ReturnBatch::new(Batch::new(r.len(), 1).unwrap()).with_scalar("gamma", gamma);
        x.rewards = r.to_vec();
        x.discounts = d.to_vec();
        x.episode_continues = d.to_vec(); // episodes here end by termination alone
        x.next_values = v_next.to_vec();
        NStep { n: NonZeroUsize::new(n).unwrap() }.targets(&x.view()).unwrap().values
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
