//! Runs a kernel compiled for the widest vector instructions the processor has.
//!
//! The kernels of this crate loop over the B environments of a row innermost, loops the
//! compiler turns into vector instructions; but a portable x86-64 build may only use SSE2, two
//! f64 at a time, where the kernels' fused input checks vectorise poorly. [`vectorised`] runs
//! a [`Kernel`] inside a function compiled for AVX-512 (eight f64) or AVX2 (four) when the
//! running processor has them, checked at run time. The kernel's `run` is `#[inline(always)]`,
//! so its loops are compiled inside that function, for those instructions (a closure would not
//! do: the compiler is free not to inline it, and does not when it is large).
//!
//! No result depends on the choice: the kernels never ask for fused multiply-adds (Rust does
//! not contract `a * b + c`) nor for reordered sums, so every path rounds every operation the
//! same way.

use crate::kernel::{Cols, Kernel, Output};

/// `kernel.run(cols, out)`, compiled for AVX-512 or AVX2 when the processor supports them.
pub(crate) fn vectorised<const K: usize>(kernel: &impl Kernel<K>, cols: Cols, out: &mut [Output; K]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor supports AVX-512F, checked just above.
            return unsafe { avx512(kernel, cols, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2, checked just above.
            return unsafe { avx2(kernel, cols, out) };
        }
    }
    kernel.run(cols, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn avx512<const K: usize>(kernel: &impl Kernel<K>, cols: Cols, out: &mut [Output; K]) -> bool {
    kernel.run(cols, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2<const K: usize>(kernel: &impl Kernel<K>, cols: Cols, out: &mut [Output; K]) -> bool {
    kernel.run(cols, out)
}
