//! Every registered plugin passes `mgrl_core::verify` (its derivatives against differences
//! on batches with terminations and time-limit truncations inside them, T = 1, the edges of
//! its domains, episode ends, non-finite inputs, its meta-parameters, its serde round trip),
//! in every configuration: n-step with n = 1, 3 (< T) and 7 (≥ T, the Monte-Carlo return).

use mgrl_core::{registry, verify};

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

#[test]
fn every_built_in_plugin_passes_verify() {
    let report = verify::verify_all();
    assert!(report.passed(), "{report}");
    let plugins: Vec<&str> = report.checks.iter().map(|c| c.plugin.as_str()).collect();
    for name in ["n_step n = 1", "n_step n = 3", "n_step n = 7", "lambda_return", "vtrace", "clip", "soft_clip"] {
        assert!(plugins.contains(&name), "{name} not verified: {plugins:?}");
    }
    assert_eq!(registry::plugins().len(), 6, "a new built-in plugin: name it above");
}
