//! Bad input to the actor-critic, as `mgrl` reports it: a located error (file:line:column of
//! the user's experiment) for an environment it cannot act in, a network that does not fit the
//! observations, an unknown network or option; and a network that diverges stops the run
//! naming what diverged, after a final checkpoint.

use std::path::Path;
use std::process::{Command, Output};

fn mgrl(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mgrl")).args(args).current_dir(cwd).output().expect("mgrl starts")
}

/// examples/catch_impala.toml with `edit` applied, written as `bad.toml` in `dir`.
fn write_catch(dir: &Path, edit: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/catch_impala.toml")).unwrap();
    std::fs::write(dir.join("bad.toml"), edit(text)).unwrap();
}

/// `mgrl check bad.toml` fails with an error located at `line` of bad.toml that contains `what`.
fn assert_check_error_at(dir: &Path, line: usize, what: &str) {
    let out = mgrl(&["check", "bad.toml"], dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with(&format!("error: bad.toml:{line}:")), "expected line {line}: {stderr}");
    assert!(stderr.contains(what), "expected `{what}`: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The 1-based line of the first line of the example that starts with `prefix`.
fn line_of(prefix: &str) -> usize {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/catch_impala.toml")).unwrap();
    1 + text.lines().position(|l| l.starts_with(prefix)).unwrap()
}

#[test]
fn an_environment_without_choices_is_refused_at_its_name() {
    let dir = tempfile::tempdir().unwrap();
    write_catch(dir.path(), |t| t.replace("name = \"catch\"", "name = \"mrp/fig1b-gamma\""));
    assert_check_error_at(dir.path(), line_of("name = \"catch\""), "use kind = \"td\"");
}

#[test]
fn a_convolution_on_vector_observations_is_refused_at_the_network() {
    let dir = tempfile::tempdir().unwrap();
    write_catch(dir.path(), |t| {
        t.replace("name = \"catch\"", "name = \"cartpole\"")
            .replace("network = { type = \"mlp\", hidden = [64, 64] }", "network = { type = \"conv\" }")
    });
    assert_check_error_at(dir.path(), line_of("network ="), "image observations [C, H, W]");
}

#[test]
fn an_unknown_network_is_refused_at_its_type() {
    let dir = tempfile::tempdir().unwrap();
    write_catch(dir.path(), |t| t.replace("type = \"mlp\", hidden = [64, 64]", "type = \"transformer\""));
    assert_check_error_at(dir.path(), line_of("network ="), "transformer");
}

#[test]
fn an_unknown_agent_option_is_refused_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    write_catch(dir.path(), |t| t.replace("value_cost = 0.5", "value_cots = 0.5"));
    assert_check_error_at(dir.path(), line_of("value_cost"), "value_cots");
}

#[test]
fn a_network_that_diverges_stops_the_run_naming_it_after_a_final_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    // RMSProp steps of 1e30 without clipping: θ overflows f32 within a few updates.
    write_catch(dir.path(), |t| {
        t.replace("lr = 3e-3", "lr = 1e30").replace("max_grad_norm = 40.0", "max_grad_norm = 0")
    });
    let out = mgrl(&["run", "bad.toml", "--out", "run"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the run must fail: {stderr}");
    assert!(stderr.contains("diverged") && !stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("parameter `") || stderr.contains("the network's"), "names the quantity: {stderr}");
    let checkpoints: Vec<_> = std::fs::read_dir(dir.path().join("run/checkpoints")).unwrap().flatten().collect();
    assert!(
        checkpoints.iter().any(|e| e.file_name().to_string_lossy().starts_with("diverged-")),
        "a final checkpoint is written: {checkpoints:?}"
    );
}

#[test]
fn a_learned_reward_for_the_td_agent_is_refused_at_its_transform() {
    let dir = tempfile::tempdir().unwrap();
    let smoke = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/td_smoke.toml")).unwrap();
    let text = smoke.replace(
        "[return]",
        "[[reward_transform]]\ntype = \"learned_reward\"\nreward = { learnable = true }\n\n[return]",
    );
    let line = 1 + text.lines().position(|l| l == "type = \"learned_reward\"").unwrap();
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    assert_check_error_at(dir.path(), line, "use kind = \"impala\"");
}

#[test]
fn a_per_state_meta_parameter_on_an_environment_without_numbered_states_is_refused_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    write_catch(dir.path(), |t| {
        t.replace("name = \"catch\"", "name = \"cartpole\"")
            .replace("gamma = 0.99", "gamma = { value = 0.9, learnable = true, per_state = true }")
            + "[meta]\n[meta.objective]\ntype = \"vtrace\"\n"
    });
    assert_check_error_at(dir.path(), line_of("gamma = 0.99"), "`cartpole` does not number its states");
    let stderr = String::from_utf8_lossy(&mgrl(&["check", "bad.toml"], dir.path()).stderr).into_owned();
    assert!(stderr.starts_with(&format!("error: bad.toml:{}:42:", line_of("gamma = 0.99"))), "{stderr}");
}
