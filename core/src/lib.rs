//! # mgrl-core
//!
//! The pieces every other crate of mgrl agrees on:
//!
//! - [`ReturnFn`]: a return definition (n-step, λ-return, V-trace, …) with its value, its
//!   Jacobian-vector product (JVP) and its vector-Jacobian product (VJP);
//! - [`RewardTransform`]: a map applied to rewards before the return (clipping, a learned
//!   reward), with the same three methods;
//! - [`MetaParamSpec`]: what a plugin declares about each meta-parameter η (domain, default,
//!   squashing map, whether it may be learned, whether it may depend on the state);
//! - [`MetaValues`]: the meta-parameters a plugin reads, by name, each a scalar or per step;
//! - [`MetaSource`]: where the per-step values of a meta-parameter come from (a fixed value,
//!   a learnable scalar, a per-state table), with its own JVP and VJP;
//! - [`registry`]: the plugins linked into the binary, learnt at run time from `inventory`;
//! - [`config`]: the TOML experiment schema and its validation, with errors that carry line
//!   and column;
//! - [`parallel`]: the threads that share out one batch's work;
//! - [`verify`]: the checks of a plugin's derivatives and contracts, behind `mgrl verify`.
//!
//! Shapes: every per-step array is a row-major `[T, B]` slice of `f64` (time major, `B`
//! environments side by side), see [`Batch`]; [`ReturnBatch`] owns a return's inputs. The return mathematics is in `DESIGN.md`.

pub mod allocator;
pub mod batch;
pub mod config;
pub mod error;
pub mod meta_param;
pub mod meta_source;
pub mod meta_values;
pub mod parallel;
pub mod registry;
pub mod return_batch;
pub mod return_fn;
pub mod reward_transform;
pub mod verify;

pub use batch::Batch;
pub use error::{Error, Result};
pub use meta_param::{Domain, MetaKind, MetaParamSpec, Squash};
pub use meta_source::MetaSource;
pub use meta_values::{MetaValue, MetaValues};
pub use registry::{PluginEntry, PluginKind};
pub use return_batch::ReturnBatch;
pub use return_fn::{InputCotangents, InputTangents, ReturnFn, ReturnInputs, TargetCotangents, Targets};
pub use reward_transform::{RewardCotangents, RewardInputs, RewardTransform};

/// Registers a plugin: `#[mgrl_core::plugin(name = "...", description = "...", meta = META)]`
/// on its `impl ReturnFn for …` or `impl RewardTransform for …` (the `mgrl-macros` crate).
pub use mgrl_macros::plugin;

/// Re-exported so that plugin crates submit their [`PluginEntry`] to the same `inventory`
/// as the registry reads, without naming it in their own `Cargo.toml`. (`typetag` cannot be
/// re-exported this way: its attribute expands to paths of its own crate.)
pub use inventory;
