//! The `mgrl` binary against what is registered in it: the built-in return plugins, the
//! environments and the TD agent, listed, and named in the errors of `mgrl check`.

use std::path::Path;
use std::process::{Command, Output};

// Linked so that this test process sees the same registries as the binary.
use mgrl_returns as _;

fn mgrl(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mgrl")).args(args).current_dir(cwd).output().expect("mgrl starts")
}

fn stdout_of(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn error_of(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"), "{stderr}");
    stderr
}

const SMOKE: &str = "name = \"x\"\n[env]\nname = \"mrp/fig1b-gamma\"\n[agent]\nkind = \"td\"\nunroll = 4\n\
                     optimizer = { type = \"sgd\", lr = 0.5 }\n[return]\ntype = \"lambda_return\"\n[run]\nupdates = 5\n";

#[test]
fn plugins_lists_every_built_in_plugin_with_its_meta_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout_of(&mgrl(&["plugins"], tmp.path()));
    let registered = mgrl_core::registry::plugins();
    assert!(!registered.is_empty());
    for p in registered {
        assert!(text.contains(&format!("  {} — {}", p.name, p.description)), "{} missing:\n{text}", p.name);
        for m in p.meta_params {
            assert!(text.lines().any(|l| l.trim_start().starts_with(m.name) && l.contains(&m.domain.to_string())));
        }
    }
    assert!(text.contains("name    domain  default  learnable  per-state"), "{text}");
    let one = stdout_of(&mgrl(&["plugins", "lambda_return"], tmp.path()));
    assert!(one.starts_with("return plugins:") && one.contains("lambda_return"), "{one}");
    let err = error_of(&mgrl(&["plugins", "nope"], tmp.path()));
    assert!(err.contains("no plugin is called `nope`; registered plugins: ") && err.contains("lambda_return"), "{err}");
}

#[test]
fn verify_passes_every_built_in_plugin_with_a_row_per_check() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout_of(&mgrl(&["verify"], tmp.path()));
    assert!(text.starts_with("plugin"), "{text}");
    for p in mgrl_core::registry::plugins() {
        for check in ["jvp", "vjp", "adjoint", "T = 1", "domain edges", "non-finite inputs", "serde round trip"] {
            assert!(text.lines().any(|l| l.starts_with(p.name) && l.contains(check) && l.ends_with("ok")), "{text}");
        }
    }
    let one = stdout_of(&mgrl(&["verify", "clip"], tmp.path()));
    assert!(one.lines().skip(1).all(|l| l.starts_with("clip ")), "{one}");
    let err = error_of(&mgrl(&["verify", "nowhere"], tmp.path()));
    assert!(err.contains("no plugin is called `nowhere`") && err.contains("lambda_return"), "{err}");
}

#[test]
fn envs_lists_every_environment_with_its_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout_of(&mgrl(&["envs"], tmp.path()));
    let registered = mgrl_envs::registry::list();
    assert!(!registered.is_empty());
    for e in registered {
        let line =
            text.lines().find(|l| l.starts_with(e.name)).unwrap_or_else(|| panic!("{} missing:\n{text}", e.name));
        match (e.make)(1, 0, &toml::Table::new()) {
            Ok(env) => assert!(line.contains(&format!("{:?}", env.spec().obs_shape)), "{line}"),
            // One that its defaults cannot build (`atari/surround`, with the feature `atari`)
            // is listed with `?` and the reason.
            Err(err) => assert!(line.contains(" ? ") && line.contains(&err.to_string()), "{line}"),
        }
    }
    assert!(text.lines().any(|l| l.starts_with("mrp/fig1b-gamma") && l.contains("[10]")), "{text}");
}

#[test]
fn check_accepts_the_smoke_experiment_and_summarises_it() {
    let tmp = tempfile::tempdir().unwrap();
    let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/td_smoke.toml");
    let text = stdout_of(&mgrl(&["check", smoke.to_str().unwrap()], tmp.path()));
    assert!(text.contains(": ok") && text.contains("gamma(s) learnt per state from 0.5"), "{text}");
}

#[test]
fn check_names_the_known_plugins_for_an_unknown_one_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("e.toml"), SMOKE.replace("type = \"lambda_return\"", "type = \"lambda_retrun\""))
        .unwrap();
    let err = error_of(&mgrl(&["check", "e.toml"], tmp.path()));
    assert!(err.starts_with("error: e.toml:9:1: unknown return plugin `lambda_retrun`; registered return plugins: "));
    assert!(err.contains("lambda_return"), "{err}");
}

#[test]
fn check_names_the_known_environments_and_agents_for_unknown_ones() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("env.toml"), SMOKE.replace("mrp/fig1b-gamma", "mrp/fig9")).unwrap();
    let err = error_of(&mgrl(&["check", "env.toml"], tmp.path()));
    assert!(err.starts_with("error: env.toml:3:1: unknown environment `mrp/fig9`"), "{err}");
    assert!(err.contains("mrp/fig1b-gamma"), "{err}");
    std::fs::write(tmp.path().join("agent.toml"), SMOKE.replace("\"td\"", "\"dqn\"")).unwrap();
    let err = error_of(&mgrl(&["check", "agent.toml"], tmp.path()));
    assert!(err.starts_with("error: agent.toml:5:1: unknown agent kind `dqn`; registered agents: "), "{err}");
    assert!(err.contains("td"), "{err}");
}

#[test]
fn check_points_at_a_bad_environment_option() {
    let tmp = tempfile::tempdir().unwrap();
    let with = |line: &str| SMOKE.replace("fig1b-gamma\"\n", &format!("fig1b-gamma\"\n{line}\n"));
    // An unknown key, a value of the wrong type and a value out of range: each at its own line.
    for (line, says) in [
        ("statse = 3", "unknown option `statse`; the options of `mrp/fig1b-gamma`: states"),
        ("states = \"ten\"", "`states`: invalid type: string \"ten\""),
        ("states = 1", "`states` = 1 must be at least 2"),
    ] {
        std::fs::write(tmp.path().join("o.toml"), with(line)).unwrap();
        let err = error_of(&mgrl(&["check", "o.toml"], tmp.path()));
        assert!(err.starts_with("error: o.toml:4:1: ") && err.contains(says), "{line}: {err}");
    }
}

#[test]
fn envs_with_a_name_shows_its_options_with_their_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in mgrl_envs::registry::list() {
        let text = stdout_of(&mgrl(&["envs", entry.name], tmp.path()));
        assert!(text.starts_with(&format!("{}: {}", entry.name, entry.description)), "{text}");
        let table: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("option")).collect();
        for o in entry.options {
            let row = table.iter().find(|l| l.starts_with(o.name)).unwrap_or_else(|| panic!("{}:\n{text}", o.name));
            assert!(row.contains(o.default) && row.contains(o.doc), "{row}");
        }
        assert!(text.contains(&format!("name = \"{}\"", entry.name)), "{text}");
    }
    let err = error_of(&mgrl(&["envs", "catsh"], tmp.path()));
    assert!(err.contains("unknown environment `catsh`") && err.contains("catch"), "{err}");
}

#[test]
fn play_records_an_episode_as_a_gif_and_names_known_environments_for_an_unknown_one() {
    let tmp = tempfile::tempdir().unwrap();
    let text = stdout_of(&mgrl(&["play", "mrp/fig1b-gamma", "--option", "states=4", "--out", "chain.gif"], tmp.path()));
    assert_eq!(text.trim(), format!("chain.gif: 4 steps (ended), return {}", text.rsplit(' ').next().unwrap().trim()));
    let gif = std::fs::read(tmp.path().join("chain.gif")).unwrap();
    assert!(gif.starts_with(b"GIF89a"), "not a GIF");
    let err = error_of(&mgrl(&["play", "mrp/fig7", "--out", "x.gif"], tmp.path()));
    assert!(err.contains("unknown environment `mrp/fig7`") && err.contains("mrp/fig1b-gamma"), "{err}");
    let err = error_of(&mgrl(&["play", "mrp/fig1b-gamma", "--option", "states=1", "--out", "x.gif"], tmp.path()));
    assert!(err.contains("`states` = 1 must be at least 2"), "{err}");
}
