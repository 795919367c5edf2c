//! mgrl-returns' truncation tests, run in a binary that links this crate as well, so that they
//! cover the third-party plugin beside the built-ins (they iterate the registry).

use mgrl_plugin_retrace as _;

#[path = "../../../returns/tests/truncation.rs"]
mod truncation;
