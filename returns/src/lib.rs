//! # mgrl-returns
//!
//! The built-in return and reward-transform plugins. Each file holds one plugin: its value,
//! its JVP and its VJP side by side, its meta-parameter declarations and its registration.
//! Time convention (rlax's): see `mgrl_core::return_fn`.
//!
//! The return kernels run over `[T, B]` row-major arrays one row at a time, with the B
//! environments innermost so that the compiler vectorises them (`kernel`; `simd` picks
//! the widest instructions at run time).

pub mod clip;
mod elementwise;
mod exp;
mod kernel;
pub mod lambda_return;
pub mod learned_reward;
pub mod n_step;
mod simd;
pub mod soft_clip;
pub mod vtrace;

pub use clip::Clip;
pub use lambda_return::LambdaReturn;
pub use learned_reward::LearnedReward;
pub use n_step::NStep;
pub use soft_clip::SoftClip;
pub use vtrace::VTrace;
