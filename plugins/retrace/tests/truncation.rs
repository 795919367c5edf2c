//! mgrl-returns' truncation test (at a truncation, the target is r + γ V(final observation)),
//! run in a binary that links this crate as well, so that it covers the third-party plugin
//! beside the built-ins (it iterates the registry).

use mgrl_plugin_retrace as _;

#[path = "../../../returns/tests/truncation.rs"]
mod truncation;
