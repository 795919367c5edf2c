//! Kernels: passes over a batch that write `[T, B]` outputs row by row.
//!
//! The recursions run along T, one row of B environments at a time, with the environments
//! innermost so that the loop vectorises ([`crate::simd`]). The loop over a row sits in a
//! function of its own whose outputs (and carried rows) are separate `&mut` parameters: that is
//! what tells the compiler that they alias nothing and lets it vectorise. Outputs are allocated
//! without the zero fill of `vec![0.0; n]`, a pass over memory that costs as much as a kernel's
//! own writes; each kernel writes every element once, which debug builds check.
//!
//! A kernel runs on one thread. Splitting the environments between the two cores of the
//! development machine was measured slower even at T = 128, B = 1024 (the largest benchmarked
//! batch): starting a thread costs 60 µs or more, and the other core is usually busy.

use crate::simd::vectorised;
use mgrl_core::{Batch, Error, MetaParamSpec, Result, ReturnInputs};
use std::mem::MaybeUninit;

/// One output being written.
pub(crate) type Output<'a> = &'a mut [MaybeUninit<f64>];

/// A pass over a batch that writes `K` `[T, B]` outputs.
pub(crate) trait Kernel<const K: usize> {
    /// Writes every element of every output; false when one of the fused input checks fails.
    /// Implementations are `#[inline(always)]`, so that they are compiled inside the
    /// vectorised wrappers of [`vectorised`].
    fn run(&self, out: &mut [Output; K]) -> bool;
}

/// Allocates `K` `[T, B]` arrays and has `kernel` write them; returns them and whether the
/// kernel's fused input checks passed.
pub(crate) fn run_kernel<const K: usize>(batch: &Batch, kernel: &impl Kernel<K>) -> ([Vec<f64>; K], bool) {
    let n = batch.len();
    let mut outputs: [Vec<f64>; K] = std::array::from_fn(|_| Vec::with_capacity(n));
    let ok = {
        let mut slots = outputs.each_mut().map(|o| &mut o.spare_capacity_mut()[..n]);
        for s in slots.iter_mut() {
            debug_fill_unwritten(s);
        }
        vectorised(kernel, &mut slots)
    };
    for out in &mut outputs {
        // SAFETY: every kernel writes every element of its outputs (the contract of
        // `Kernel::run`); debug builds check it.
        unsafe { out.set_len(n) };
        if ok {
            debug_check_written(out);
        }
    }
    (outputs, ok)
}

/// Row t of a `[T, B]` input.
#[inline(always)]
pub(crate) fn row(a: &[f64], b: usize, t: usize) -> &[f64] {
    &a[t * b..][..b]
}

/// Row t of a tangent, or `zeros` (B long) for an absent one.
#[inline(always)]
pub(crate) fn row_or<'a>(a: Option<&'a [f64]>, b: usize, t: usize, zeros: &'a [f64]) -> &'a [f64] {
    a.map_or(&zeros[..b], |a| row(a, b, t))
}

/// Row t of an output.
#[inline(always)]
pub(crate) fn row_mut(out: &mut [MaybeUninit<f64>], b: usize, t: usize) -> &mut [MaybeUninit<f64>] {
    &mut out[t * b..][..b]
}

/// Whether every one of `xs` is finite (no branch, so that a loop calling it vectorises).
#[inline(always)]
pub(crate) fn all_finite<const N: usize>(xs: [f64; N]) -> bool {
    xs.iter().fold(true, |ok, x| ok & x.is_finite())
}

/// Nothing when a kernel's fused checks passed (`ok`); else the precise error: that of the full
/// input checks, or, when every input is valid, the first result in `outputs` that overflowed.
pub(crate) fn check(ok: bool, x: &ReturnInputs, specs: &[MetaParamSpec], what: &str, outputs: &[&[f64]]) -> Result<()> {
    if ok {
        return Ok(());
    }
    x.validate(specs)?;
    let (index, value) = outputs
        .iter()
        .find_map(|out| out.iter().enumerate().find(|(_, v)| !v.is_finite()))
        .map_or((0, f64::NAN), |(i, &v)| (i, v));
    Err(Error::NonFinite { what: what.into(), index, value })
}

/// A NaN with a payload of its own, marking elements no kernel wrote (debug builds; checked
/// when the kernel accepted its inputs, so no input NaN can have carried it into an output).
const UNWRITTEN: u64 = 0x7ff8_dead_beef_0001;

fn debug_fill_unwritten(slots: &mut [MaybeUninit<f64>]) {
    if cfg!(debug_assertions) {
        slots.fill(MaybeUninit::new(f64::from_bits(UNWRITTEN)));
    }
}

fn debug_check_written(out: &[f64]) {
    if cfg!(debug_assertions) {
        if let Some(i) = out.iter().position(|v| v.to_bits() == UNWRITTEN) {
            panic!("a return kernel left element {i} of an output unwritten");
        }
    }
}
