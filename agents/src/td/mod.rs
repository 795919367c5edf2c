//! TD(λ)-style prediction with meta-learnt returns.

mod agent;
mod linear_value;

pub use agent::{TdAgent, TdOptions};
pub use linear_value::{Features, LinearValue};
