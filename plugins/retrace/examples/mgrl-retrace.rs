//! The `mgrl` program with this crate's plugin linked in: all a third-party crate needs to
//! give its users the whole command line (`plugins`, `check`, `run`, `plot`, …) with its
//! return among the built-ins.
//!
//! `cargo run --release -p mgrl-plugin-retrace --example mgrl-retrace -- run examples/retrace_td.toml`

// Linking a crate is what registers its plugins (inventory collects them at start-up).
use mgrl_plugin_retrace as _;
use mgrl_returns as _;

fn main() -> std::process::ExitCode {
    mgrl_agents::cli::main()
}
