//! TD(λ)-style prediction with meta-learnt returns.

mod linear_value;

pub use linear_value::{Features, LinearValue};
