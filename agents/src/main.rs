//! The `mgrl` program; everything it does is in [`mgrl_agents::cli`].

// The built-in return plugins register themselves when their crate is linked in.
use mgrl_returns as _;

/// mimalloc, keeping freed pages for reuse (`mgrl_core::allocator`): the learner's per-update
/// arrays (a few MB at MinAtar sizes) would otherwise be fresh pages from the kernel, zeroed,
/// at every update.
#[global_allocator]
static ALLOCATOR: mgrl_core::allocator::MiMalloc = mgrl_core::allocator::MiMalloc;

fn main() -> std::process::ExitCode {
    mgrl_core::allocator::keep_freed_pages();
    mgrl_agents::cli::main()
}
