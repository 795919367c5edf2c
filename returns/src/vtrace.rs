//! V-trace (Espeholt et al. 2018, "IMPALA: Scalable Distributed Deep-RL with Importance
//! Weighted Actor-Learner Architectures", §4.1), as rlax's `vtrace_td_error_and_advantage`.
//!
//! For t ∈ [0, T), from rewards rₜ, continuations dₜ, episode masks eₜ, values V(xₜ), next
//! values V(xₜ₊₁), log importance ratios log ρₜ = log π(aₜ|xₜ) − log μ(aₜ|xₜ) and the
//! meta-parameters, all for t ∈ [0, T), with γₜ = γ(η)ₜ·dₜ and κₜ = λₜeₜ:
//!
//!   ρ̂ₜ = min(ρ̄ₜ, ρₜ),   cₜ = κₜ·min(c̄ₜ, ρₜ),   π̂ₜ = min(ρ̄_pg,ₜ, ρₜ),
//!   δₜ = ρ̂ₜ εₜ,   εₜ = rₜ + γₜ V(xₜ₊₁) − V(xₜ),
//!   vₜ − V(xₜ) = δₜ + γₜ cₜ (vₜ₊₁ − V(xₜ₊₁)),   v_T − V(x_T) ≡ 0,
//!   Aₜ = π̂ₜ fₜ,   fₜ = rₜ + γₜ qₜ − V(xₜ),   qₜ = κₜ vₜ₊₁ + (1 − κₜ) V(xₜ₊₁),   q_{T−1} = V(x_T),
//!
//! where, within an episode (eₜ = 1, so κₜ = λₜ), the vₜ₊₁ − V(xₜ₊₁) and vₜ₊₁ of the
//! recursion and of qₜ are those of row t + 1 (its target and its `values`), and the other
//! V(xₜ₊₁) are `next_values[t]`. Where the episode ends at xₜ₊₁ (eₜ = 0, terminated or
//! truncated) the mask cuts the trace: vₜ − V(xₜ) = δₜ and qₜ = V(xₜ₊₁), the value of the
//! final observation after a time-limit truncation, and nothing of row t + 1, the next
//! episode's, is read. With λ = 1 these are the IMPALA paper's targets. Value target vₜ,
//! policy-gradient advantage Aₜ.
//!
//! Two conventions, each tested below:
//! - the (1 − κₜ) part of qₜ bootstraps on `next_values[t]`, where rlax's
//!   `vtrace_td_error_and_advantage` reads `values[t + 1]` (its `v_tm1[1:]`). In a rollout
//!   the two are equal within an episode; at a time-limit truncation `values[t + 1]` is the
//!   first value of the next episode and `next_values[t]` the value of the final observation,
//!   which is the one that belongs in this episode's advantage. So this differs from rlax
//!   only where rlax mixes episodes (or where a caller passes next values that are not the
//!   next step's values).
//! - The derivatives of the truncations min(bar, ρ) are the almost-everywhere ones: with
//!   respect to the bar where it is taken (bar < ρ), else to log ρ (times ρ). At a tie,
//!   ρ = bar, the derivative goes wholly to log ρ and none to the bar.

use crate::exp::exp;
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

const META: &[MetaParamSpec] = &[
    MetaParamSpec::unit("gamma", "discount γ", 0.99),
    MetaParamSpec::unit("lambda", "trace mixing λ (λ = 1: IMPALA's V-trace)", 1.0),
    MetaParamSpec::positive("rho_bar", "truncation ρ̄ of the importance weights in δₜ", 1.0),
    MetaParamSpec::positive("c_bar", "truncation c̄ of the trace coefficients", 1.0),
    MetaParamSpec::positive("pg_rho_bar", "truncation ρ̄_pg of the policy-gradient importance weight", 1.0),
];

/// The meta-parameters as the kernels read them, in this order.
const NAMES: [&str; 5] = ["gamma", "lambda", "rho_bar", "c_bar", "pg_rho_bar"];

/// γ, λ, ρ̄, c̄ and ρ̄_pg (or their tangents), each a scalar or per step; `None` is a zero tangent.
type Meta<'a> = [Option<&'a MetaValue>; 5];

/// V-trace (no options).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VTrace {}

#[mgrl_core::plugin(
    name = "vtrace",
    description = "V-trace targets and policy-gradient advantages (Espeholt et al. 2018), off-policy with truncated ρ, c",
    meta = META,
)]
impl ReturnFn for VTrace {
    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        x.validate_shapes(META)?;
        let ([values, advantages], ok) = run_kernel(&x.batch, &Value { x, m: named(x.meta, NAMES)? });
        check(ok, x, META, "V-trace targets", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// See `Jvp` below.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        x.validate_shapes(META)?;
        dx.validate(&x.batch, META)?;
        let (m, dm) = (named(x.meta, NAMES)?, tangents(&dx.meta, NAMES));
        let ([values, advantages], ok) = run_kernel(&x.batch, &Jvp { x, dx, m, dm });
        check(ok, x, META, "V-trace tangents", &[&values, &advantages])?;
        Ok(Targets { values, advantages })
    }

    /// The value's recursion first (vₜ for every t), then its adjoint, `Vjp` below.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        x.validate_shapes(META)?;
        check_len("value-target cotangent", dy.values, x.batch.len())?;
        check_len("advantage cotangent", dy.advantages, x.batch.len())?;
        let m = named(x.meta, NAMES)?;
        let ([vs], ok) = run_kernel(&x.batch, &Value { x, m });
        check(ok, x, META, "V-trace targets", &[&vs])?;
        let (cotangents, ok) = run_kernel(&x.batch, &Vjp { x, m, dy, vs: &vs });
        if !ok {
            dy.validate(&x.batch)?;
        }
        check(ok, x, META, "V-trace cotangents", &cotangents.each_ref().map(|c| &c[..]))?;
        let [rewards, values, next_values, log_rhos, gamma, lambda, rho_bar, c_bar, pg_rho_bar] = cotangents;
        let mut meta = MetaValues::new();
        for (name, cot) in NAMES.into_iter().zip([gamma, lambda, rho_bar, c_bar, pg_rho_bar]) {
            meta.set(name, MetaValue::Steps(cot));
        }
        Ok(InputCotangents { rewards, values, next_values, log_rhos, meta })
    }
}

/// min(bar, ρ), taking the bar only when it is strictly smaller (the branch the derivatives follow).
#[inline(always)]
fn truncated(bar: f64, ratio: f64) -> f64 {
    if bar < ratio {
        bar
    } else {
        ratio
    }
}

/// Row t of the inputs (or of their tangents): B elements each.
struct Row<'a> {
    r: &'a [f64],
    d: &'a [f64],
    e: &'a [f64],
    v: &'a [f64],
    v_next: &'a [f64],
    log_rho: &'a [f64],
    gamma: &'a [f64],
    lambda: &'a [f64],
    rho_bar: &'a [f64],
    c_bar: &'a [f64],
    pg_bar: &'a [f64],
}

impl<'a> Row<'a> {
    #[inline(always)]
    fn new(
        x: &ReturnInputs<'a>,
        [gamma, lambda, rho_bar, c_bar, pg_bar]: &'a [MetaRows; 5],
        c: Cols,
        t: usize,
    ) -> Self {
        let at = |a: &'a [f64]| row(a, c, t);
        Row {
            r: at(x.rewards),
            d: at(x.discounts),
            e: at(x.episode_continues),
            v: at(x.values),
            v_next: at(x.next_values),
            log_rho: at(x.log_rhos),
            gamma: gamma.row(c, t),
            lambda: lambda.row(c, t),
            rho_bar: rho_bar.row(c, t),
            c_bar: c_bar.row(c, t),
            pg_bar: pg_bar.row(c, t),
        }
    }

    /// The tangents' row, `zeros` (as long as the columns) for those absent and for d and e,
    /// which have none.
    #[inline(always)]
    fn tangents(
        dx: &InputTangents<'a>,
        [gamma, lambda, rho_bar, c_bar, pg_bar]: &'a [MetaRows; 5],
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
            log_rho: at(dx.log_rhos),
            gamma: gamma.row(c, t),
            lambda: lambda.row(c, t),
            rho_bar: rho_bar.row(c, t),
            c_bar: c_bar.row(c, t),
            pg_bar: pg_bar.row(c, t),
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
            log_rho: &self.log_rho[..w],
            gamma: &self.gamma[..w],
            lambda: &self.lambda[..w],
            rho_bar: &self.rho_bar[..w],
            c_bar: &self.c_bar[..w],
            pg_bar: &self.pg_bar[..w],
        }
    }

    /// Whether the inputs of element k are valid: γ, λ, d ∈ [0, 1], e ∈ {0, 1}, the bars in
    /// (0, ∞), log ρ finite. (A NaN or infinity anywhere else makes a target non-finite,
    /// checked apart.)
    #[inline(always)]
    fn valid(&self, k: usize) -> bool {
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        let positive = |x: f64| (x > 0.0) & (x < f64::INFINITY);
        unit(self.gamma[k])
            & unit(self.lambda[k])
            & unit(self.d[k])
            & ((self.e[k] == 0.0) | (self.e[k] == 1.0))
            & positive(self.rho_bar[k])
            & positive(self.c_bar[k])
            & positive(self.pg_bar[k])
            & self.log_rho[k].is_finite()
    }

    /// κ = λe of element k: λ within an episode, 0 where it ends.
    #[inline(always)]
    fn kappa(&self, k: usize) -> f64 {
        self.lambda[k] * self.e[k]
    }
}

// The kernels below run row by row, each row in a function of its own whose outputs and
// carried rows are separate `&mut` parameters, so that it vectorises (see `crate::kernel`).

/// V-trace's kernels compute an exponential per element, some four times the work of the
/// λ-return's: a block of 2048 elements already pays for handing it to another thread.
const MIN_ELEMENTS_PER_THREAD: usize = 2048;

/// The value, from t = T − 1 down to 0, carrying vₜ₊₁ − V(xₜ₊₁) and vₜ₊₁: vₜ, and also Aₜ as
/// a `Kernel<2>`. Its checks fail when an input is invalid or a target not finite.
struct Value<'a> {
    x: &'a ReturnInputs<'a>,
    m: Meta<'a>,
}

impl Value<'_> {
    #[inline(always)]
    fn write_rows(&self, c: Cols, vs: &mut Output, mut adv: Option<&mut Output>) -> bool {
        let (t_len, b) = (self.x.batch.t, c.width);
        let m = MetaRows::new(self.m, c);
        let (mut acc_next, mut vs_next) = (vec![0.0; b], vec![0.0; b]);
        // Where the advantages go when they are not wanted.
        let mut discarded = vec![MaybeUninit::uninit(); if adv.is_some() { 0 } else { b }];
        let mut ok = true;
        for t in (0..t_len).rev() {
            let x = Row::new(self.x, &m, c, t);
            let out_adv = adv.as_deref_mut().map_or(&mut discarded[..], |a| row_mut(a, t));
            ok &= value_row(&x, t + 1 == t_len, &mut acc_next, &mut vs_next, row_mut(vs, t), out_adv);
        }
        ok
    }
}

/// vₜ and Aₜ for one row, with vₜ₊₁ − V(xₜ₊₁) and vₜ₊₁ in `acc_next` and `vs_next` (unused
/// at the `last` step), replaced by those of step t.
#[inline(always)]
fn value_row(
    x: &Row,
    last: bool,
    acc_next: &mut [f64],
    vs_next: &mut [f64],
    out_vs: &mut [MaybeUninit<f64>],
    out_adv: &mut [MaybeUninit<f64>],
) -> bool {
    let (w, x) = (out_vs.len(), x.cut(out_vs.len()));
    let (acc_next, vs_next, out_adv) = (&mut acc_next[..w], &mut vs_next[..w], &mut out_adv[..w]);
    let mut ok = true;
    for k in 0..w {
        let (kappa, v_next) = (x.kappa(k), x.v_next[k]);
        let rho = exp(x.log_rho[k]);
        let discount = x.gamma[k] * x.d[k];
        let delta = truncated(x.rho_bar[k], rho) * (x.r[k] + discount * v_next - x.v[k]);
        let acc = if last { delta } else { delta + discount * kappa * truncated(x.c_bar[k], rho) * acc_next[k] };
        let vs = acc + x.v[k];
        let q = if last { v_next } else { kappa * vs_next[k] + (1.0 - kappa) * v_next };
        let a = truncated(x.pg_bar[k], rho) * (x.r[k] + discount * q - x.v[k]);
        out_vs[k].write(vs);
        out_adv[k].write(a);
        (acc_next[k], vs_next[k]) = (acc, vs);
        ok &= x.valid(k) & vs.is_finite() & a.is_finite();
    }
    ok
}

impl Kernel<1> for Value<'_> {
    const MIN_ELEMENTS_PER_THREAD: usize = MIN_ELEMENTS_PER_THREAD;

    #[inline(always)]
    fn run(&self, c: Cols, [vs]: &mut [Output; 1]) -> bool {
        self.write_rows(c, vs, None)
    }
}

impl Kernel<2> for Value<'_> {
    const MIN_ELEMENTS_PER_THREAD: usize = MIN_ELEMENTS_PER_THREAD;

    #[inline(always)]
    fn run(&self, c: Cols, [vs, adv]: &mut [Output; 2]) -> bool {
        self.write_rows(c, vs, Some(adv))
    }
}

/// The JVP: the value's recursion with tangents carried beside it, from t = T − 1 down to 0;
/// with d min(bar, ρ) = d bar where the bar is taken, else ρ·d log ρ:
///
///   d(vₜ − Vₜ) = dρ̂ₜ εₜ + ρ̂ₜ dεₜ + d(γₜcₜ)(vₜ₊₁ − Vₜ₊₁) + γₜcₜ d(vₜ₊₁ − Vₜ₊₁),
///   dcₜ = dλₜeₜ min(c̄ₜ, ρₜ) + κₜ d min(c̄ₜ, ρₜ),
///   dqₜ = dλₜeₜ(vₜ₊₁ − V′ₜ) + κₜ dvₜ₊₁ + (1 − κₜ) dV′ₜ   (dV′ₜ at t = T − 1),
///   dAₜ = dπ̂ₜ fₜ + π̂ₜ dfₜ,   with V′ₜ = V(xₜ₊₁), κₜ = λₜeₜ.
///
/// Its checks are the value's, and that the tangents are finite.
struct Jvp<'a> {
    x: &'a ReturnInputs<'a>,
    dx: &'a InputTangents<'a>,
    m: Meta<'a>,
    dm: Meta<'a>,
}

impl Kernel<2> for Jvp<'_> {
    const MIN_ELEMENTS_PER_THREAD: usize = MIN_ELEMENTS_PER_THREAD;

    #[inline(always)]
    fn run(&self, c: Cols, [d_vs, d_adv]: &mut [Output; 2]) -> bool {
        let (t_len, b) = (self.x.batch.t, c.width);
        let zeros = vec![0.0; b];
        let (m, dm) = (MetaRows::new(self.m, c), MetaRows::new(self.dm, c));
        let mut carries = [vec![0.0; b], vec![0.0; b], vec![0.0; b], vec![0.0; b]];
        let [acc_next, d_acc_next, vs_next, d_vs_next] = carries.each_mut();
        let mut ok = true;
        for t in (0..t_len).rev() {
            let (x, dx) = (Row::new(self.x, &m, c, t), Row::tangents(self.dx, &dm, c, t, &zeros));
            let (out_vs, out_adv) = (row_mut(d_vs, t), row_mut(d_adv, t));
            let last = t + 1 == t_len;
            ok &= jvp_row(&x, &dx, last, acc_next, d_acc_next, vs_next, d_vs_next, out_vs, out_adv);
        }
        ok
    }
}

/// dvₜ and dAₜ for one row, with vₜ₊₁ − V(xₜ₊₁), vₜ₊₁ and their tangents carried as in
/// [`value_row`].
#[inline(always)]
#[allow(clippy::too_many_arguments)] // each output its own `&mut`, see above
fn jvp_row(
    x: &Row,
    dx: &Row,
    last: bool,
    acc_next: &mut [f64],
    d_acc_next: &mut [f64],
    vs_next: &mut [f64],
    d_vs_next: &mut [f64],
    out_vs: &mut [MaybeUninit<f64>],
    out_adv: &mut [MaybeUninit<f64>],
) -> bool {
    let (w, x, dx) = (out_vs.len(), x.cut(out_vs.len()), dx.cut(out_vs.len()));
    let (acc_next, d_acc_next) = (&mut acc_next[..w], &mut d_acc_next[..w]);
    let (vs_next, d_vs_next, out_adv) = (&mut vs_next[..w], &mut d_vs_next[..w], &mut out_adv[..w]);
    let mut ok = true;
    for k in 0..w {
        let (kappa, d_kappa, v_next) = (x.kappa(k), dx.lambda[k] * x.e[k], x.v_next[k]);
        let rho = exp(x.log_rho[k]);
        let d_rho = rho * dx.log_rho[k];
        let d_truncated = |bar: f64, d_bar: f64| if bar < rho { d_bar } else { d_rho };
        let (discount, d_discount) = (x.gamma[k] * x.d[k], dx.gamma[k] * x.d[k]);
        let td = x.r[k] + discount * v_next - x.v[k];
        let d_td = dx.r[k] + d_discount * v_next + discount * dx.v_next[k] - dx.v[k];
        let (rho_hat, c_hat) = (truncated(x.rho_bar[k], rho), truncated(x.c_bar[k], rho));
        let c = kappa * c_hat;
        let dc = d_kappa * c_hat + kappa * d_truncated(x.c_bar[k], dx.c_bar[k]);
        let (acc_in, d_acc_in) = if last { (0.0, 0.0) } else { (acc_next[k], d_acc_next[k]) };
        let acc = rho_hat * td + discount * c * acc_in;
        let d_acc = d_truncated(x.rho_bar[k], dx.rho_bar[k]) * td
            + rho_hat * d_td
            + (d_discount * c + discount * dc) * acc_in
            + discount * c * d_acc_in;
        let (vs, d_vs) = (acc + x.v[k], d_acc + dx.v[k]);
        let (q, dq) = if last {
            (v_next, dx.v_next[k])
        } else {
            let q = kappa * vs_next[k] + (1.0 - kappa) * v_next;
            (q, d_kappa * (vs_next[k] - v_next) + kappa * d_vs_next[k] + (1.0 - kappa) * dx.v_next[k])
        };
        let f = x.r[k] + discount * q - x.v[k];
        let df = dx.r[k] + d_discount * q + discount * dq - dx.v[k];
        let pg = truncated(x.pg_bar[k], rho);
        let a = pg * f;
        let d_a = d_truncated(x.pg_bar[k], dx.pg_bar[k]) * f + pg * df;
        out_vs[k].write(d_vs);
        out_adv[k].write(d_a);
        (acc_next[k], d_acc_next[k], vs_next[k], d_vs_next[k]) = (acc, d_acc, vs, d_vs);
        ok &= x.valid(k) & all_finite([vs, a, d_vs, d_a]);
    }
    ok
}

/// The VJP's adjoint pass, forwards in time from t = 0 up, given vₜ for every t, carrying
/// what step t − 1 passes to step t. With Āₜ and v̄ₜ the cotangents of the targets:
///
///   f̄ₜ = Āₜπ̂ₜ  (to rₜ; to γₜ via qₜ; to −Vₜ),   q̄ₜ = f̄ₜγₜ  (to κₜ; to vₜ₊₁ by κₜ; to V′ₜ by 1 − κₜ),
///   ūₜ = v̄ₜ + κₜ₋₁q̄ₜ₋₁  (the cotangent of vₜ; to Vₜ),
///   āₜ = ūₜ + γₜ₋₁cₜ₋₁āₜ₋₁  (the cotangent of vₜ − Vₜ),
///   ε̄ₜ = āₜρ̂ₜ  (to rₜ; to γₜ via V′ₜ; to V′ₜ; to −Vₜ),   āₜγₜ(vₜ₊₁ − Vₜ₊₁) to cₜ,
///
/// the cotangent of κₜ = λₜeₜ (from qₜ and from cₜ = κₜ min(c̄ₜ, ρₜ)) to λₜ times eₜ, so none
/// where an episode ends, and the cotangent of each truncation min(bar, ρ) (Āₜfₜ, āₜεₜ and
/// κₜ times that of cₜ) to the bar where it is taken, else, times ρ, to log ρ. Its check fails when a cotangent is not
/// finite (a NaN or infinite target cotangent, or an overflow).
struct Vjp<'a> {
    x: &'a ReturnInputs<'a>,
    m: Meta<'a>,
    dy: &'a TargetCotangents<'a>,
    /// vₜ for every t.
    vs: &'a [f64],
}

/// One row of what the adjoint pass reads besides the inputs.
struct AdjointRow<'a> {
    /// v̄ₜ and Āₜ.
    u_v: &'a [f64],
    u_a: &'a [f64],
    /// vₜ₊₁ and V(xₜ₊₁) of row t + 1; at the last step V′ₜ stands for both, so that
    /// vₜ₊₁ − Vₜ₊₁ = 0 and qₜ = V′ₜ has no κ in it.
    vs_next: &'a [f64],
    v_after: &'a [f64],
    last: bool,
}

impl Kernel<9> for Vjp<'_> {
    const MIN_ELEMENTS_PER_THREAD: usize = MIN_ELEMENTS_PER_THREAD;

    #[inline(always)]
    fn run(&self, c: Cols, outputs: &mut [Output; 9]) -> bool {
        let (t_len, b) = (self.x.batch.t, c.width);
        // āₜ₋₁γₜ₋₁cₜ₋₁ and κₜ₋₁q̄ₜ₋₁: what step t − 1 passes to step t.
        let m = MetaRows::new(self.m, c);
        let (mut a_carry, mut u_carry) = (vec![0.0; b], vec![0.0; b]);
        let mut ok = true;
        for t in 0..t_len {
            let last = t + 1 == t_len;
            let x = Row::new(self.x, &m, c, t);
            let (vs_next, v_after) =
                if last { (x.v_next, x.v_next) } else { (row(self.vs, c, t + 1), row(self.x.values, c, t + 1)) };
            let (u_v, u_a) = (row(self.dy.values, c, t), row(self.dy.advantages, c, t));
            let adj = AdjointRow { u_v, u_a, vs_next, v_after, last };
            let [r, v, v_next, log_rho, gamma, lambda, rho_bar, c_bar, pg_bar] =
                outputs.each_mut().map(|o| row_mut(o, t));
            ok &= vjp_row(
                &x,
                &adj,
                &mut a_carry,
                &mut u_carry,
                r,
                v,
                v_next,
                log_rho,
                gamma,
                lambda,
                rho_bar,
                c_bar,
                pg_bar,
            );
        }
        ok
    }
}

/// The cotangents of one row's inputs, with āₜ₋₁γₜ₋₁cₜ₋₁ and κₜ₋₁q̄ₜ₋₁ in `a_carry` and
/// `u_carry`, replaced by those of step t.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // each output its own `&mut`, see above
fn vjp_row(
    x: &Row,
    adj: &AdjointRow,
    a_carry: &mut [f64],
    u_carry: &mut [f64],
    r_out: &mut [MaybeUninit<f64>],
    v_out: &mut [MaybeUninit<f64>],
    v_next_out: &mut [MaybeUninit<f64>],
    log_rho_out: &mut [MaybeUninit<f64>],
    gamma_out: &mut [MaybeUninit<f64>],
    lambda_out: &mut [MaybeUninit<f64>],
    rho_bar_out: &mut [MaybeUninit<f64>],
    c_bar_out: &mut [MaybeUninit<f64>],
    pg_bar_out: &mut [MaybeUninit<f64>],
) -> bool {
    let (w, x) = (r_out.len(), x.cut(r_out.len()));
    let (u_v, u_a, vs_next, v_after) = (&adj.u_v[..w], &adj.u_a[..w], &adj.vs_next[..w], &adj.v_after[..w]);
    let (a_carry, u_carry, v_out, v_next_out) =
        (&mut a_carry[..w], &mut u_carry[..w], &mut v_out[..w], &mut v_next_out[..w]);
    let (log_rho_out, gamma_out, lambda_out) = (&mut log_rho_out[..w], &mut gamma_out[..w], &mut lambda_out[..w]);
    let (rho_bar_out, c_bar_out, pg_bar_out) = (&mut rho_bar_out[..w], &mut c_bar_out[..w], &mut pg_bar_out[..w]);
    let mut ok = true;
    for k in 0..w {
        let (kappa, v_next) = (x.kappa(k), x.v_next[k]);
        let rho = exp(x.log_rho[k]);
        let discount = x.gamma[k] * x.d[k];
        let acc_next = vs_next[k] - v_after[k];
        let q = if adj.last { v_next } else { kappa * vs_next[k] + (1.0 - kappa) * v_next };
        // The advantage Aₜ = π̂ₜ fₜ.
        let f = x.r[k] + discount * q - x.v[k];
        let pg = truncated(x.pg_bar[k], rho);
        let (f_bar, pg_cot) = (u_a[k] * pg, u_a[k] * f);
        let q_bar = f_bar * discount;
        // The trace vₜ = Vₜ + ρ̂ₜeₜ + γₜcₜ(vₜ₊₁ − Vₜ₊₁).
        let u = u_v[k] + u_carry[k];
        let a = u + a_carry[k];
        let td = x.r[k] + discount * v_next - x.v[k];
        let (rho_hat, c_hat) = (truncated(x.rho_bar[k], rho), truncated(x.c_bar[k], rho));
        let c = kappa * c_hat;
        let (td_bar, rho_hat_cot) = (a * rho_hat, a * td);
        let c_cot = a * discount * acc_next;
        // Each truncation's cotangent: to its bar where taken, else to log ρ.
        let split = |bar: f64, cot: f64| if bar < rho { (cot, 0.0) } else { (0.0, cot * rho) };
        let (pg_bar_cot, pg_log_rho) = split(x.pg_bar[k], pg_cot);
        let (rho_bar_cot, rho_log_rho) = split(x.rho_bar[k], rho_hat_cot);
        let (c_bar_cot, c_log_rho) = split(x.c_bar[k], c_cot * kappa);
        let (r_bar, v_bar) = (f_bar + td_bar, u - f_bar - td_bar);
        let v_next_bar = td_bar * discount + q_bar * if adj.last { 1.0 } else { 1.0 - kappa };
        let log_rho_bar = pg_log_rho + rho_log_rho + c_log_rho;
        let gamma_bar = x.d[k] * (f_bar * q + td_bar * v_next + a * c * acc_next);
        let lambda_bar = x.e[k] * (q_bar * (vs_next[k] - v_next) + c_cot * c_hat);
        r_out[k].write(r_bar);
        v_out[k].write(v_bar);
        v_next_out[k].write(v_next_bar);
        log_rho_out[k].write(log_rho_bar);
        gamma_out[k].write(gamma_bar);
        lambda_out[k].write(lambda_bar);
        rho_bar_out[k].write(rho_bar_cot);
        c_bar_out[k].write(c_bar_cot);
        pg_bar_out[k].write(pg_bar_cot);
        (a_carry[k], u_carry[k]) = (a * discount * c, kappa * q_bar);
        let bars = [rho_bar_cot, c_bar_cot, pg_bar_cot];
        ok &= all_finite([r_bar, v_bar, v_next_bar, log_rho_bar, gamma_bar, lambda_bar, a]) & all_finite(bars);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::{Batch, ReturnBatch};

    /// A batch of one environment with bars ρ̄ = c̄ = ρ̄_pg = 1.
    fn batch(r: &[f64], d: &[f64], v: &[f64], vn: &[f64], lr: &[f64], gamma: f64, lambda: f64) -> ReturnBatch {
        let mut x = ReturnBatch::new(Batch::new(r.len(), 1).unwrap())
            .with_scalar("gamma", gamma)
            .with_scalar("lambda", lambda)
            .with_scalar("rho_bar", 1.0)
            .with_scalar("c_bar", 1.0)
            .with_scalar("pg_rho_bar", 1.0);
        x.rewards = r.to_vec();
        x.discounts = d.to_vec();
        x.episode_continues = d.to_vec(); // episodes here end by termination alone
        x.values = v.to_vec();
        x.next_values = vn.to_vec();
        x.log_rhos = lr.to_vec();
        x
    }

    fn vtrace(r: &[f64], d: &[f64], v: &[f64], vn: &[f64], lr: &[f64], gamma: f64, lambda: f64) -> Targets {
        VTrace {}.targets(&batch(r, d, v, vn, lr, gamma, lambda).view()).unwrap()
    }

    #[test]
    fn the_advantage_bootstraps_on_next_values_not_on_the_next_rows_values() {
        // T = 2, γ = 0.5, λ = 0.5, on-policy, in one episode, with next_values[0] = 3 where
        // values[1] = 1. ε₁ = 2 + 0.5·4 − 1 = 3, v₁ = 1 + 3 = 4;
        // q₀ = λv₁ + (1 − λ)·next_values[0] = 2 + 1.5 = 3.5, A₀ = 1 + 0.5·3.5 − 0 = 2.75
        // (rlax's values[1] would give q₀ = 2.5, A₀ = 2.25);
        // v₀ = 0 + (1 + 0.5·3 − 0) + 0.5·0.5·(v₁ − values[1]) = 2.5 + 0.75 = 3.25.
        let t = vtrace(&[1.0, 2.0], &[1.0, 1.0], &[0.0, 1.0], &[3.0, 4.0], &[0.0, 0.0], 0.5, 0.5);
        assert_eq!(t.advantages[0], 2.75);
        assert_eq!(t.values, vec![3.25, 4.0]);
    }

    #[test]
    fn at_a_tie_rho_equal_to_its_bar_the_derivative_goes_wholly_to_log_rho() {
        // T = 1, ρ = e⁰ = 1 = ρ̄ = ρ̄_pg, ε = 1 + 0.5·2 − 0 = 2 = f: dv = ρ·ε·d(log ρ),
        // dA = ρ·f·d(log ρ), and nothing along either bar.
        let x = batch(&[1.0], &[1.0], &[0.0], &[2.0], &[0.0], 0.5, 1.0);
        let one = [1.0];
        let along = |name: &'static str| InputTangents::meta_only(name, MetaValue::Scalar(1.0));
        for bar in ["rho_bar", "pg_rho_bar"] {
            let t = VTrace {}.jvp(&x.view(), &along(bar)).unwrap();
            assert_eq!((t.values[0], t.advantages[0]), (0.0, 0.0), "{bar}");
        }
        let dx = InputTangents { log_rhos: Some(&one), ..Default::default() };
        let t = VTrace {}.jvp(&x.view(), &dx).unwrap();
        assert_eq!((t.values[0], t.advantages[0]), (2.0, 2.0));
        let cot = VTrace {}.vjp(&x.view(), &TargetCotangents { values: &one, advantages: &one }).unwrap();
        assert_eq!(cot.log_rhos[0], 4.0);
        for bar in ["rho_bar", "pg_rho_bar"] {
            assert_eq!(cot.meta.get(bar).unwrap(), &MetaValue::Steps(vec![0.0]), "{bar}");
        }
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
    fn vtrace_with_gamma_zero_is_the_truncated_one_step_error() {
        // T = 2, γ = 0: vₜ = Vₜ + ρ̂ₜ(rₜ − Vₜ), Aₜ = π̂ₜ(rₜ − Vₜ), nothing carried.
        // ρ = (2, 0.5): v = (1 + 1·(3 − 1), 0 + 0.5·(−1 − 0)) = (3, −0.5), A = (2, −0.5).
        let t = vtrace(&[3.0, -1.0], &[1.0, 1.0], &[1.0, 0.0], &[5.0, 5.0], &[2f64.ln(), 0.5f64.ln()], 0.0, 1.0);
        assert!((t.values[0] - 3.0).abs() < 1e-15 && (t.values[1] + 0.5).abs() < 1e-15, "{:?}", t.values);
        assert!((t.advantages[0] - 2.0).abs() < 1e-15 && (t.advantages[1] + 0.5).abs() < 1e-15, "{:?}", t.advantages);
    }

    #[test]
    fn vtrace_carries_truncated_traces_off_policy() {
        // T = 2, γ = 0.5, λ = 0.5, ρ = (e^{ln 3} = 3, 0.5) with ρ̄ = c̄ = ρ̄_pg = 1.
        // Step 1: δ₁ = min(1, 0.5)·(1 + 0.5·2 − 1) = 0.5, v₁ = 1 + 0.5 = 1.5, A₁ = 0.5·(1 + 0.5·2 − 1) = 0.5.
        // Step 0: δ₀ = min(1, 3)·(0 + 0.5·1 − 0) = 0.5, c₀ = λ·min(1, 3) = 0.5,
        //   v₀ = 0 + 0.5 + 0.5·0.5·(v₁ − V₁) = 0.5 + 0.25·0.5 = 0.625,
        //   q₀ = λv₁ + (1 − λ)V(x₁) = 0.75 + 0.5 = 1.25, A₀ = 1·(0 + 0.5·1.25 − 0) = 0.625.
        let t = vtrace(&[0.0, 1.0], &[1.0, 1.0], &[0.0, 1.0], &[1.0, 2.0], &[3f64.ln(), 0.5f64.ln()], 0.5, 0.5);
        for (got, want) in t.values.iter().chain(&t.advantages).zip([0.625, 1.5, 0.625, 0.5]) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}: {t:?}");
        }
    }
}
