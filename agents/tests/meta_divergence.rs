//! A meta-parameter that diverges stops the run with a message that names it, and the
//! run's outputs so far stay on disk.

use std::process::Command;

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

#[test]
fn a_diverging_meta_parameter_stops_the_run_naming_it_and_keeps_the_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let smoke = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/td_smoke.toml")).unwrap();
    // An absurd meta learning rate: the learnt numbers behind γ(s) overflow to infinity.
    let config = dir.path().join("diverge.toml");
    std::fs::write(&config, smoke.replace("lr = 0.05", "lr = 1e308")).unwrap();
    let out_dir = dir.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_mgrl"))
        .args(["run", config.to_str().unwrap(), "--out", out_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the run must fail: {stderr}");
    assert!(stderr.contains("diverged") && stderr.contains("gamma["), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out_dir.join("metrics.csv").exists() && out_dir.join("config.toml").exists());
    let checkpoints = std::fs::read_dir(out_dir.join("checkpoints")).unwrap().count();
    assert!(checkpoints >= 1, "a final checkpoint is written");
}
