//! The λ-return (Sutton 1988, "Learning to predict by the methods of temporal differences";
//! Sutton & Barto 2018 §12.1), with per-step γ and λ, as rlax's `lambda_returns`.
//!
//! For t ∈ [0, T), with γₜ = γ(η)ₜ·dₜ (dₜ = 0 when the episode terminates at xₜ₊₁) and the
//! episode mask eₜ (0 when the episode ends at xₜ₊₁, terminated or truncated):
//!
//!   Gₜ = rₜ + γₜ [ (1 − λₜeₜ) V(xₜ₊₁) + λₜeₜ Gₜ₊₁ ],   G_T ≡ V(x_T)  (so G_{T−1} = r + γ V(x_T)),
//!
//! from rewards rₜ, continuations dₜ, masks eₜ, γₜ, λₜ and next values V(xₜ₊₁), all for
//! t ∈ [0, T). The mask cuts the recursion where an episode ends: there Gₜ = rₜ + γₜV(xₜ₊₁),
//! which for a time-limit truncation (dₜ = 1, eₜ = 0) bootstraps on the value of the final
//! observation, and Gₜ₊₁, the next episode's, is not read. So the recursion is the plain
//! λ-return's with λₜ replaced by the trace κₜ = λₜeₜ.
//! λ = 0 is one-step TD, λ = 1 the Monte-Carlo return bootstrapped at the batch end (or at the
//! truncation).
//! Value target vₜ = Gₜ; policy-gradient advantage Aₜ = Gₜ − V(xₜ), from values V(xₜ) for
//! t ∈ [0, T). Log importance ratios are not read.

use crate::kernel::{
    all_finite, check, named, row, row_mut, row_or, run_kernel, tangents, Cols, Kernel, MetaRows, Output,
};
use mgrl_core::batch::check_len;
use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, MetaValue, MetaValues, Result, ReturnFn, ReturnInputs,
    TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};
use std::mem::MaybeUninit;

/// Declared meta-parameters.
const META: &[MetaParamSpec] = &[
    MetaParamSpec::unit("gamma", "discount γ", 0.99),
    MetaParamSpec::unit("lambda", "bootstrapping parameter λ", 0.95),
];

/// The meta-parameters as the kernels read them: γ, then λ.
const NAMES: [&str; 2] = ["gamma", "lambda"];

/// γ and λ (or their tangents), each a scalar or per step; `None` is a zero tangent.
type Meta<'a> = [Option<&'a MetaValue>; 2];

/// The λ-return (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaReturn {}

#[mgrl_core::plugin(
    name = "lambda_return",
    description = "λ-return Gₜ = rₜ + γₜ[(1−λₜ)V(xₜ₊₁) + λₜGₜ₊₁], cut where an episode ends (Sutton 1988); γ, λ scalar or per state",
    meta = META,
)]
impl ReturnFn for LambdaReturn {
    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate_shapes(META)?;
        let ([values, advantages], ok) = run_kernel(&x.batch, &Value { x, m: named(x.meta, NAMES)? });
        check(ok, x, META, "λ-return targets", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// See `Jvp` below.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate_shapes(META)?;
        dx.validate(&x.batch, META)?;
        let (m, dm) = (named(x.meta, NAMES)?, tangents(&dx.meta, NAMES));
        let ([values, advantages], ok) = run_kernel(&x.batch, &Jvp { x, dx, m, dm });
        check(ok, x, META, "λ-return tangents", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// The value's recursion first (Gₜ for every t), then its adjoint, `Vjp` below.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate_shapes(META)?;
        check_len("value-target cotangent", dy.values, x.batch.len())?;
        check_len("advantage cotangent", dy.advantages, x.batch.len())?;
        let m = named(x.meta, NAMES)?;
        let ([g], ok) = run_kernel(&x.batch, &Value { x, m });
        check(ok, x, META, "λ-return targets", &[&g])?;
        let ([rewards, values, next_values, gamma, lambda], ok) = run_kernel(&x.batch, &Vjp { x, m, dy, g: &g });
        if !ok {
            dy.validate(&x.batch)?;
        }
        check(ok, x, META, "λ-return cotangents", &[&rewards])?;
        let log_rhos = vec![0.0; x.batch.len()];
        let meta = MetaValues::new().with("gamma", MetaValue::Steps(gamma)).with("lambda", MetaValue::Steps(lambda));
        Ok(InputCotangents { rewards, values, next_values, log_rhos, meta })
    }
}

/// Row t of the inputs (or of their tangents): B elements each.
struct Row<'a> {
    r: &'a [f64],
    d: &'a [f64],
    e: &'a [f64],
    v: &'a [f64],
    v_next: &'a [f64],
    gamma: &'a [f64],
    lambda: &'a [f64],
}

impl<'a> Row<'a> {
    #[inline(always)]
    fn new(x: &ReturnInputs<'a>, [gamma, lambda]: &'a [MetaRows; 2], c: Cols, t: usize) -> Self {
        let at = |a: &'a [f64]| row(a, c, t);
        Row {
            r: at(x.rewards),
            d: at(x.discounts),
            e: at(x.episode_continues),
            v: at(x.values),
            v_next: at(x.next_values),
            gamma: gamma.row(c, t),
            lambda: lambda.row(c, t),
        }
    }

    /// The tangents' row, `zeros` (as long as the columns) for those absent and for d and e,
    /// which have none.
    #[inline(always)]
    fn tangents(
        dx: &InputTangents<'a>,
        [gamma, lambda]: &'a [MetaRows; 2],
        c: Cols,
        t: usize,
        zeros: &'a [f64],
    ) -> Self {
        let at = |a: Option<&'a [f64]>| row_or(a, c, t, zeros);
        Row {
            r: at(dx.rewards),
            d: &zeros[..c.width],
            e: &zeros[..c.width],
            v: at(dx.values),
            v_next: at(dx.next_values),
            gamma: gamma.row(c, t),
            lambda: lambda.row(c, t),
        }
    }

    /// The same row with every slice cut to `w` elements, so that the compiler knows their
    /// length in the loops over k < w and drops its bounds checks.
    #[inline(always)]
    fn cut(&self, w: usize) -> Self {
        Row {
            r: &self.r[..w],
            d: &self.d[..w],
            e: &self.e[..w],
            v: &self.v[..w],
            v_next: &self.v_next[..w],
            gamma: &self.gamma[..w],
            lambda: &self.lambda[..w],
        }
    }

    /// Whether element k's γ, λ and d lie in [0, 1] and e is 0 or 1.
    #[inline(always)]
    fn valid(&self, k: usize) -> bool {
        let unit = |x| (0.0..=1.0).contains(&x);
        let e = self.e[k];
        unit(self.gamma[k]) & unit(self.lambda[k]) & unit(self.d[k]) & ((e == 0.0) | (e == 1.0))
    }

    /// κ = λe of element k: the trace, λ within an episode and 0 where it ends.
    #[inline(always)]
    fn kappa(&self, k: usize) -> f64 {
        self.lambda[k] * self.e[k]
    }
}

// The kernels below run row by row, each row in a function of its own whose outputs and
// carried rows are separate `&mut` parameters, so that it vectorises (see `crate::kernel`).

/// The value, from t = T − 1 down to 0: Gₜ, and also Aₜ = Gₜ − V(xₜ) as a `Kernel<2>`.
/// Its checks fail when γ, λ or d leave [0, 1], e is not 0 or 1, or a result is not finite
/// (which any NaN or infinite input it reads makes it).
struct Value<'a> {
    x: &'a ReturnInputs<'a>,
    m: Meta<'a>,
}

impl Value<'_> {
    #[inline(always)]
    fn write_rows(&self, c: Cols, g: &mut Output, mut adv: Option<&mut Output>) -> bool {
        let t_len = self.x.batch.t;
        let m = MetaRows::new(self.m, c);
        let mut g_next = row(self.x.next_values, c, t_len - 1).to_vec();
        let mut ok = true;
        for t in (0..t_len).rev() {
            let x = Row::new(self.x, &m, c, t);
            ok &= value_row(&x, &mut g_next, row_mut(g, t));
            if let Some(adv) = adv.as_deref_mut() {
                ok &= advantage_row(&g_next, x.v, row_mut(adv, t));
            }
        }
        ok
    }
}

/// Gₜ = rₜ + γₜ[(1 − κₜ)V′ₜ + κₜGₜ₊₁], κₜ = λₜeₜ, for one row, with Gₜ₊₁ in `g_next`,
/// replaced by Gₜ.
#[inline(always)]
fn value_row(x: &Row, g_next: &mut [f64], out: &mut [MaybeUninit<f64>]) -> bool {
    let (w, x) = (out.len(), x.cut(out.len()));
    let (r, d, v_next, gamma, g_next) = (x.r, x.d, x.v_next, x.gamma, &mut g_next[..w]);
    let mut ok = true;
    for k in 0..w {
        let kappa = x.kappa(k);
        let gt = r[k] + gamma[k] * d[k] * ((1.0 - kappa) * v_next[k] + kappa * g_next[k]);
        out[k].write(gt);
        g_next[k] = gt;
        ok &= x.valid(k) & gt.is_finite();
    }
    ok
}

/// Aₜ = Gₜ − V(xₜ) for one row.
#[inline(always)]
fn advantage_row(g: &[f64], v: &[f64], out: &mut [MaybeUninit<f64>]) -> bool {
    let w = out.len();
    let (g, v) = (&g[..w], &v[..w]);
    let mut ok = true;
    for k in 0..w {
        let a = g[k] - v[k];
        out[k].write(a);
        ok &= a.is_finite();
    }
    ok
}

impl Kernel<1> for Value<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [g]: &mut [Output; 1]) -> bool {
        self.write_rows(c, g, None)
    }
}

impl Kernel<2> for Value<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [g, adv]: &mut [Output; 2]) -> bool {
        self.write_rows(c, g, Some(adv))
    }
}

/// The JVP: the value's recursion with tangents carried beside it, from t = T − 1 down to 0,
///
///   dGₜ = drₜ + dγₜ·dₜ·[(1−κₜ)V′ₜ + κₜGₜ₊₁] + γₜ[(1−κₜ)dV′ₜ + κₜ dGₜ₊₁ + dλₜeₜ(Gₜ₊₁ − V′ₜ)],
///   dG_T = dV′_{T−1},   dAₜ = dGₜ − dV(xₜ),   with V′ₜ = V(xₜ₊₁), κₜ = λₜeₜ
///
/// (so at an episode's end, eₜ = 0, nothing of dGₜ₊₁ and no dλₜ).
///
/// Its checks are the value's (with V(xₜ), which dAₜ does not read), and that the tangents are
/// finite.
struct Jvp<'a> {
    x: &'a ReturnInputs<'a>,
    dx: &'a InputTangents<'a>,
    m: Meta<'a>,
    dm: Meta<'a>,
}

impl Kernel<2> for Jvp<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, [dg, da]: &mut [Output; 2]) -> bool {
        let t_len = self.x.batch.t;
        let zeros = vec![0.0; c.width];
        let (m, dm) = (MetaRows::new(self.m, c), MetaRows::new(self.dm, c));
        let mut g_next = row(self.x.next_values, c, t_len - 1).to_vec();
        let mut dg_next = row_or(self.dx.next_values, c, t_len - 1, &zeros).to_vec();
        let mut ok = true;
        for t in (0..t_len).rev() {
            let (x, dx) = (Row::new(self.x, &m, c, t), Row::tangents(self.dx, &dm, c, t, &zeros));
            ok &= jvp_row(&x, &dx, &mut g_next, &mut dg_next, row_mut(dg, t), row_mut(da, t));
        }
        ok
    }
}

/// dGₜ and dAₜ for one row, with Gₜ₊₁ and dGₜ₊₁ in `g_next` and `dg_next`, replaced by Gₜ, dGₜ.
#[inline(always)]
fn jvp_row(
    x: &Row,
    dx: &Row,
    g_next: &mut [f64],
    dg_next: &mut [f64],
    out_g: &mut [MaybeUninit<f64>],
    out_a: &mut [MaybeUninit<f64>],
) -> bool {
    let (w, x, dx) = (out_g.len(), x.cut(out_g.len()), dx.cut(out_g.len()));
    let (g_next, dg_next, out_a) = (&mut g_next[..w], &mut dg_next[..w], &mut out_a[..w]);
    let mut ok = true;
    for k in 0..w {
        let (kappa, d_kappa, v_next) = (x.kappa(k), dx.lambda[k] * x.e[k], x.v_next[k]);
        let mix = (1.0 - kappa) * v_next + kappa * g_next[k];
        let d_mix = (1.0 - kappa) * dx.v_next[k] + kappa * dg_next[k] + d_kappa * (g_next[k] - v_next);
        let gt = x.r[k] + x.gamma[k] * x.d[k] * mix;
        let dgt = dx.r[k] + dx.gamma[k] * x.d[k] * mix + x.gamma[k] * x.d[k] * d_mix;
        let dat = dgt - dx.v[k];
        out_g[k].write(dgt);
        out_a[k].write(dat);
        (g_next[k], dg_next[k]) = (gt, dgt);
        ok &= x.valid(k) & all_finite([gt, x.v[k], dgt, dat]);
    }
    ok
}

/// The VJP's adjoint pass, forwards in time from t = 0 up, given Gₜ for every t: the
/// cotangent of Gₜ is what its targets receive plus what Gₜ₋₁ passes on,
///
///   ḡₜ = v̄ₜ + Āₜ + γₜ₋₁κₜ₋₁ḡₜ₋₁   (ḡ₋₁ = 0, κₜ = λₜeₜ),
///
/// and then r̄ₜ = ḡₜ, V̄′ₜ = ḡₜγₜ(1−κₜ) (ḡₜγₜ at t = T−1, where Gₜ₊₁ ≡ V′ₜ),
/// γ̄ₜ = ḡₜdₜ[(1−κₜ)V′ₜ + κₜGₜ₊₁], λ̄ₜ = ḡₜγₜeₜ(Gₜ₊₁ − V′ₜ) (0 where an episode ends),
/// V̄ₜ = −Āₜ, and no cotangent for the log importance ratios (nor for d and e, data). Its check fails when a cotangent is not finite (a NaN or infinite
/// target cotangent, or an overflow), or a value V(xₜ), which the first pass does not read.
struct Vjp<'a> {
    x: &'a ReturnInputs<'a>,
    m: Meta<'a>,
    dy: &'a TargetCotangents<'a>,
    /// Gₜ for every t.
    g: &'a [f64],
}

/// One row of what the adjoint pass reads besides the inputs.
struct AdjointRow<'a> {
    /// v̄ₜ and Āₜ.
    u_v: &'a [f64],
    u_a: &'a [f64],
    /// Gₜ₊₁ (V′ₜ at the last step).
    g_next: &'a [f64],
    last: bool,
}

impl Kernel<5> for Vjp<'_> {
    #[inline(always)]
    fn run(&self, c: Cols, outputs: &mut [Output; 5]) -> bool {
        let t_len = self.x.batch.t;
        let m = MetaRows::new(self.m, c);
        let mut carry = vec![0.0; c.width];
        let mut ok = true;
        for t in 0..t_len {
            let last = t + 1 == t_len;
            let x = Row::new(self.x, &m, c, t);
            let g_next = if last { x.v_next } else { row(self.g, c, t + 1) };
            let adj = AdjointRow { u_v: row(self.dy.values, c, t), u_a: row(self.dy.advantages, c, t), g_next, last };
            let [r_out, v_out, vn_out, gamma_out, lambda_out] = outputs.each_mut().map(|o| row_mut(o, t));
            ok &= vjp_row(&x, &adj, &mut carry, r_out, v_out, vn_out, gamma_out, lambda_out);
        }
        ok
    }
}

/// The cotangents of one row, with γₜ₋₁κₜ₋₁ḡₜ₋₁ in `carry`, replaced by γₜκₜḡₜ.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // each output its own `&mut`, see above
fn vjp_row(
    x: &Row,
    adj: &AdjointRow,
    carry: &mut [f64],
    r_out: &mut [MaybeUninit<f64>],
    v_out: &mut [MaybeUninit<f64>],
    vn_out: &mut [MaybeUninit<f64>],
    gamma_out: &mut [MaybeUninit<f64>],
    lambda_out: &mut [MaybeUninit<f64>],
) -> bool {
    let (w, x) = (r_out.len(), x.cut(r_out.len()));
    let (u_v, u_a, g_next) = (&adj.u_v[..w], &adj.u_a[..w], &adj.g_next[..w]);
    let (carry, v_out, vn_out, gamma_out, lambda_out) =
        (&mut carry[..w], &mut v_out[..w], &mut vn_out[..w], &mut gamma_out[..w], &mut lambda_out[..w]);
    let mut ok = true;
    for k in 0..w {
        let (kappa, v_next, g_next) = (x.kappa(k), x.v_next[k], g_next[k]);
        let g_bar = u_v[k] + u_a[k] + carry[k];
        let discount = x.gamma[k] * x.d[k];
        // At the last step G_T ≡ V′ takes the cotangent that Gₜ₊₁ would.
        let v_next_bar = g_bar * discount * if adj.last { 1.0 } else { 1.0 - kappa };
        let gamma_bar = g_bar * x.d[k] * ((1.0 - kappa) * v_next + kappa * g_next);
        let lambda_bar = g_bar * discount * x.e[k] * (g_next - v_next);
        r_out[k].write(g_bar);
        v_out[k].write(-u_a[k]);
        vn_out[k].write(v_next_bar);
        gamma_out[k].write(gamma_bar);
        lambda_out[k].write(lambda_bar);
        carry[k] = discount * kappa * g_bar;
        ok &= all_finite([g_bar, v_next_bar, gamma_bar, lambda_bar, x.v[k]]);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::{Batch, ReturnBatch};

    fn targets(
        (t, b): (usize, usize),
        r: &[f64],
        d: &[f64],
        v: &[f64],
        v_next: &[f64],
        gamma: f64,
        lambda: f64,
    ) -> Targets {
        let mut x =
            ReturnBatch::new(Batch::new(t, b).unwrap()).with_scalar("gamma", gamma).with_scalar("lambda", lambda);
        x.rewards = r.to_vec();
        x.discounts = d.to_vec();
        x.episode_continues = d.to_vec(); // episodes here end by termination alone
        x.values = v.to_vec();
        x.next_values = v_next.to_vec();
        LambdaReturn {}.targets(&x.view()).unwrap()
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
}
