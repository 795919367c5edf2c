//! The `mgrl` program; everything it does is in [`mgrl_agents::cli`].

// The built-in return plugins register themselves when their crate is linked in.
use mgrl_returns as _;

fn main() -> std::process::ExitCode {
    mgrl_agents::cli::main()
}
