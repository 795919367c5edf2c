//! Sweeps: one TOML file naming a grid of environments × variants × seeds, run as ordinary
//! runs, several at once, resumable.
//!
//! ```text
//! file   the [sweep] section read and checked                     (file.rs)
//! plan   expanded into runs: env × variant × seed, each a folder   (plan.rs)
//! runner what is not finished, run by child processes              (runner.rs)
//! ```
//!
//! A sweep adds nothing to what a run records: each run folder has its resolved config and
//! its `provenance.json` (which carries the sweep's name, the environment and the variant),
//! so `mgrl report` and `mgrl plot` read a sweep as they read any runs.

pub mod file;
pub mod plan;
pub mod runner;

pub use file::{is_sweep, SweepFile};
pub use plan::Plan;
