//! The IMPALA-style actor-critic (Espeholt et al. 2018) whose return is meta-learnt online,
//! as in Xu, van Hasselt & Silver (2018): an actor steps B environments with batched
//! inference of the policy network and hands T × B unrolls to the shared learner.

mod actor_thread;
mod agent;
mod policy;

pub use actor_thread::ActorThread;
pub use agent::{ImpalaAgent, ImpalaOptions, RewardNetworkConfig};
pub use policy::NetPolicy;
