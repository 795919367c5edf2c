//! Kernels: passes over a batch that write `[T, B]` outputs row by row.
//!
//! The recursions run along T, one row of B environments at a time, with the environments
//! innermost so that the loop vectorises ([`crate::simd`]). The loop over a row sits in a
//! function of its own whose outputs (and carried rows) are separate `&mut` parameters: that is
//! what tells the compiler that they alias nothing and lets it vectorise. Outputs are allocated
//! without the zero fill of `vec![0.0; n]`, a pass over memory that costs as much as a kernel's
//! own writes; each kernel writes every element once, which debug builds check.
//!
//! The environments never interact, so a large batch is cut into blocks of columns, each run by
//! the same kernel on a thread of its own ([`mgrl_core::parallel`]; the caller runs the first): handing a
//! block over costs some 10–15 µs, so a block gets at least [`Kernel::MIN_ELEMENTS_PER_THREAD`]
//! elements, and smaller batches run on the calling thread alone. No result depends on the cut.

use crate::simd::vectorised;
use mgrl_core::{parallel, Batch, Error, MetaParamSpec, MetaValue, MetaValues, Result, ReturnInputs};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};

/// Blocks are a multiple of this many columns wide (the widest vector: eight f64).
const BLOCK_ALIGN: usize = 8;

/// The columns (environments) a kernel runs on: `width` of each row's `stride`, from `start`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cols {
    pub stride: usize,
    pub start: usize,
    pub width: usize,
}

impl Cols {
    /// Every column of the batch.
    pub(crate) fn all(batch: &Batch) -> Self {
        Cols { stride: batch.b, start: 0, width: batch.b }
    }
}

/// One output being written: its T rows, cut to the kernel's columns.
pub(crate) type Output<'a> = Vec<&'a mut [MaybeUninit<f64>]>;

/// A pass over a batch that writes `K` `[T, B]` outputs.
pub(crate) trait Kernel<const K: usize>: Sync {
    /// A block of columns gets at least this many elements (T × its columns). The default suits
    /// the λ-return's and n-step's kernels, a few arithmetic operations per element read, which
    /// do 16384 in some 30–40 µs (BENCHMARKS.md): well above the cost of handing a block over.
    const MIN_ELEMENTS_PER_THREAD: usize = 16384;

    /// Writes every element of the columns `cols` of every output; false when one of the fused
    /// input checks fails. Implementations are `#[inline(always)]`, so that they are compiled
    /// inside the vectorised wrappers of [`vectorised`].
    fn run(&self, cols: Cols, out: &mut [Output; K]) -> bool;
}

/// Allocates `K` `[T, B]` arrays and has `kernel` write them, block by block of columns;
/// returns them and whether the kernel's fused input checks passed.
pub(crate) fn run_kernel<const K: usize, Kl: Kernel<K>>(batch: &Batch, kernel: &Kl) -> ([Vec<f64>; K], bool) {
    let n = batch.len();
    let mut outputs: [Vec<f64>; K] = std::array::from_fn(|_| Vec::with_capacity(n));
    let ok = {
        let blocks = column_blocks(batch, Kl::MIN_ELEMENTS_PER_THREAD);
        let mut per_block: Vec<[Output; K]> =
            blocks.iter().map(|_| std::array::from_fn(|_| Vec::with_capacity(batch.t))).collect();
        for (k, out) in outputs.iter_mut().enumerate() {
            let slots = &mut out.spare_capacity_mut()[..n];
            debug_fill_unwritten(slots);
            for mut rest in slots.chunks_exact_mut(batch.b) {
                for (block, cols) in per_block.iter_mut().zip(&blocks) {
                    let (head, tail) = rest.split_at_mut(cols.width);
                    block[k].push(head);
                    rest = tail;
                }
            }
        }
        run_blocks(kernel, &blocks, per_block)
    };
    for out in &mut outputs {
        // SAFETY: every kernel writes every element of its outputs (the contract of
        // `Kernel::run`), and the blocks cover every column; debug builds check it.
        unsafe { out.set_len(n) };
        if ok {
            debug_check_written(out);
        }
    }
    (outputs, ok)
}

/// The batch's columns cut into as many blocks as there are threads ([`parallel::threads`]) and blocks of
/// `min_elements` allow, each [`BLOCK_ALIGN`] columns wide or a multiple (but the last).
fn column_blocks(batch: &Batch, min_elements: usize) -> Vec<Cols> {
    let threads = parallel::threads().min(batch.len() / min_elements).max(1);
    let width = batch.b.div_ceil(threads).next_multiple_of(BLOCK_ALIGN);
    (0..batch.b)
        .step_by(width)
        .map(|start| Cols { stride: batch.b, start, width: width.min(batch.b - start) })
        .collect()
}

/// Runs the kernel on every block, the first on the calling thread ([`parallel`]).
fn run_blocks<const K: usize>(kernel: &impl Kernel<K>, blocks: &[Cols], per_block: Vec<[Output; K]>) -> bool {
    let ok = AtomicBool::new(true);
    parallel::for_each_share(blocks.iter().zip(per_block), |(&cols, mut out)| {
        if !vectorised(kernel, cols, &mut out) {
            ok.store(false, Ordering::Relaxed);
        }
    });
    ok.into_inner()
}

/// Row t of a `[T, B]` input, cut to the columns `c`.
#[inline(always)]
pub(crate) fn row(a: &[f64], c: Cols, t: usize) -> &[f64] {
    &a[t * c.stride + c.start..][..c.width]
}

/// Row t of a tangent, or `zeros` (at least as long as the columns) for an absent one.
#[inline(always)]
pub(crate) fn row_or<'a>(a: Option<&'a [f64]>, c: Cols, t: usize, zeros: &'a [f64]) -> &'a [f64] {
    a.map_or(&zeros[..c.width], |a| row(a, c, t))
}

/// The meta-parameters `names` of `meta`, in that order, each one a plugin declares: an error
/// names one not given.
pub(crate) fn named<'a, const N: usize>(meta: &'a MetaValues, names: [&str; N]) -> Result<[Option<&'a MetaValue>; N]> {
    let mut out = [None; N];
    for (o, name) in out.iter_mut().zip(names) {
        *o = Some(meta.get(name)?);
    }
    Ok(out)
}

/// The tangents of the meta-parameters `names`, `None` (zero) for those not given.
pub(crate) fn tangents<'a, const N: usize>(meta: &'a MetaValues, names: [&str; N]) -> [Option<&'a MetaValue>; N] {
    names.map(|name| meta.find(name))
}

/// One meta-parameter's rows, cut to a kernel's columns: the rows of its `[T, B]` array, or,
/// for a scalar (and for an absent tangent, zero), one row of that value made once per block,
/// so that a scalar costs one row of memory, not T.
pub(crate) struct MetaRows<'a> {
    steps: Option<&'a [f64]>,
    fill: Vec<f64>,
}

impl<'a> MetaRows<'a> {
    /// The rows of each of `values` for the columns `c`.
    pub(crate) fn new<const N: usize>(values: [Option<&'a MetaValue>; N], c: Cols) -> [Self; N] {
        values.map(|v| match v {
            Some(MetaValue::Steps(s)) => MetaRows { steps: Some(s), fill: Vec::new() },
            Some(MetaValue::Scalar(x)) => MetaRows { steps: None, fill: vec![*x; c.width] },
            None => MetaRows { steps: None, fill: vec![0.0; c.width] },
        })
    }

    /// Row t.
    #[inline(always)]
    pub(crate) fn row(&self, c: Cols, t: usize) -> &[f64] {
        match self.steps {
            Some(s) => row(s, c, t),
            None => &self.fill,
        }
    }
}

/// Row t of an output.
#[inline(always)]
pub(crate) fn row_mut<'a>(out: &'a mut Output<'_>, t: usize) -> &'a mut [MaybeUninit<f64>] {
    &mut *out[t]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(threads: usize, t: usize, b: usize) -> Vec<usize> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let blocks = pool.install(|| column_blocks(&Batch::new(t, b).unwrap(), 16384));
        let starts: Vec<usize> = blocks.iter().map(|c| c.start).collect();
        let ends: Vec<usize> = blocks.iter().map(|c| c.start + c.width).collect();
        assert_eq!(starts[0], 0);
        assert_eq!(&starts[1..], &ends[..ends.len() - 1], "blocks leave a gap or overlap");
        assert_eq!(*ends.last().unwrap(), b, "blocks miss the last columns");
        blocks.iter().map(|c| c.width).collect()
    }

    #[test]
    fn blocks_cover_every_column_once_in_multiples_of_the_vector_width() {
        assert_eq!(widths(4, 32, 2053), vec![520, 520, 520, 493]);
        // As many blocks as the elements allow, however many threads.
        assert_eq!(widths(4, 128, 256), vec![128, 128]);
        assert_eq!(widths(2, 128, 1024), vec![512, 512]);
        // Small batches stay whole.
        assert_eq!(widths(4, 20, 256), vec![256]);
        assert_eq!(widths(1, 128, 1024), vec![1024]);
        assert_eq!(widths(4, 1, 3), vec![3]);
    }
}
