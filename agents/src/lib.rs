//! # mgrl-agents
//!
//! Agents, the meta-optimiser, the experiment runner and the `mgrl` command-line program.

pub mod actor;
pub mod agent;
pub mod env;
pub mod impala;
pub mod learner;
pub mod memory;
pub mod meta;
pub mod net;
pub mod optim;
pub mod td;
pub mod unroll;

pub mod cli;
pub mod plot;
pub mod run;
pub mod sweep;

pub use agent::{Agent, AgentEntry, AgentState, Divergence, StateTensor, UpdateReport};
