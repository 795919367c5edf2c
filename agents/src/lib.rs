//! # mgrl-agents
//!
//! Agents, the meta-optimiser, the experiment runner and the `mgrl` command-line program.

pub mod env;
pub mod learner;
pub mod meta;
pub mod optim;
pub mod td;

pub mod cli;
pub mod plot;
pub mod run;

pub use learner::{AgentEntry, Divergence, Learner, LearnerState, StateTensor, UpdateReport};
