//! The `mgrl` program; everything it does is in [`mgrl_agents::cli`].

// The built-in return plugins register themselves when their crate is linked in.
use mgrl_returns as _;

/// mimalloc keeps freed pages for reuse: the learner's per-update arrays (a few MB at MinAtar
/// sizes) would otherwise be fresh pages from the kernel, zeroed, at every update.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mgrl_agents::cli::main()
}
