//! The IMPALA-style actor-critic (Espeholt et al. 2018) whose return is meta-learnt online,
//! as in Xu, van Hasselt & Silver (2018): an actor steps B environments with batched
//! inference of the policy network and hands T × B unrolls to the shared learner.

mod agent;
mod policy;

pub use agent::{ImpalaAgent, ImpalaOptions};
pub use policy::NetPolicy;
