//! The checks every plugin gets from `mgrl_core::verify`: the JVP and the VJP against
//! differences, adjoint, T = 1, episode ends and truncations, the edges of γ and λ,
//! non-finite inputs, the meta-parameters read, the serde round trip.

use mgrl_core::{registry, verify, PluginKind};

use mgrl_plugin_retrace as _;

#[test]
fn retrace_passes_verify() {
    let report = verify::verify(&[registry::find(PluginKind::Return, "retrace").unwrap()]);
    assert!(report.passed(), "{report}");
}

/// The `mgrl-retrace` example program, which links this crate: `cargo test` builds it beside
/// the test binaries (`target/<profile>/examples/`).
fn mgrl_retrace() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile.join("examples").join(format!("mgrl-retrace{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: run `cargo test -p mgrl-plugin-retrace`, which builds it", path.display());
    path
}

#[test]
fn the_mgrl_retrace_program_verifies_retrace_beside_the_built_ins() {
    let out = std::process::Command::new(mgrl_retrace()).args(["verify", "retrace", "lambda_return"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.lines().any(|l| l.starts_with("retrace ") && l.contains("episode ends") && l.ends_with("ok")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("lambda_return ")), "{text}");
}
