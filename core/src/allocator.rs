//! The allocator of the `mgrl` program and of the benchmarks: mimalloc, keeping the pages it
//! frees.
//!
//! A learner update allocates and frees the same few MB of arrays every time (dfdx's tensors,
//! the returns' outputs). By default mimalloc gives freed pages back to the kernel after
//! 1 s (its option `purge_delay`), so a later update gets them again as fresh pages that the
//! kernel must fault in and zero: 40,626 page faults in 40 meta-γ updates of the MinAtar
//! benchmark (`perf stat -e page-faults`), 288 with purging off, and 13% less CPU time.

pub use mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its index in `mi_option_e` of mimalloc v3's `mimalloc.h` (the
/// version libmimalloc-sys builds by default), which names no constant for it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc never to give freed pages back to the kernel (purge delay −1); call it
/// first thing in `main` of anything whose global allocator is [`MiMalloc`].
pub fn keep_freed_pages() {
    // SAFETY: sets one of mimalloc's global integer options; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // SAFETY: reads a global integer option.
        let get = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // The default in mimalloc v3's src/options.c (its header's comment still says 10).
            assert_eq!(get(), 1000, "mimalloc's default purge delay: is index {PURGE_DELAY} still it?");
        }
        keep_freed_pages();
        assert_eq!(get(), -1);
    }
}
