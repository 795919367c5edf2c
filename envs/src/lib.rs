//! # mgrl-envs
//!
//! Environments behind one vectorised interface, [`VecEnv`]: B copies stepped together,
//! observations written into a caller-owned buffer in the layout the networks consume.

#[cfg(feature = "atari")]
pub mod atari;
pub mod cartpole;
pub mod catch;
pub mod env;
pub mod error;
pub mod minatar;
pub mod mrp;
pub mod obs;
pub mod play;
pub mod registry;
pub mod render;
pub mod vec_env;
pub mod vectorized;

/// Whether this build has the Atari games (`atari/<game>`, the cargo feature `atari`).
pub const ATARI_BUILT: bool = cfg!(feature = "atari");

pub use env::{Env, Transition};
pub use error::EnvError;
pub use obs::Obs;
pub use vec_env::{EnvSpec, EnvState, StepBuffers, VecEnv};
pub use vectorized::{env_seed, Vectorized};
