//! The `mgrl` command line on a program that links a broken plugin, as a plugin author's own
//! program would: `verify` prints the table, names the failed check, the input, the step and
//! both numbers, and exits with status 1; the same program passes the sound built-ins.
//!
//! The program is this test binary itself, started again with `MGRL_CLI_ARGS` set: its
//! `cli_child` test then runs the command line in the child process and exits with its status.

use mgrl_core::{MetaParamSpec, MetaValue, MetaValues, Result, RewardInputs, RewardTransform};
use serde::{Deserialize, Serialize};
use std::process::Command;

// The built-ins, linked as the `mgrl` program links them.
use mgrl_returns as _;

const META: &[MetaParamSpec] = &[MetaParamSpec::positive("scale", "scale c", 1.0)];

/// r̃ = c·r with a VJP whose cotangent of c has the wrong sign.
#[derive(Debug, Serialize, Deserialize)]
struct WrongSign {}

#[mgrl_core::plugin(name = "wrong_sign", description = "r̃ = c·r, VJP broken on purpose (tests only)", meta = META)]
impl RewardTransform for WrongSign {
    fn apply(&self, x: &RewardInputs) -> Result<Vec<f64>> {
        x.validate(META)?;
        let c = x.meta.get("scale")?;
        Ok(x.rewards.iter().enumerate().map(|(i, r)| c.at(i) * r).collect())
    }

    fn jvp(&self, x: &RewardInputs, d_rewards: Option<&[f64]>, d_meta: &MetaValues) -> Result<Vec<f64>> {
        x.validate(META)?;
        let (c, dc) = (x.meta.get("scale")?, d_meta.find("scale"));
        let at = |i: usize| d_rewards.map_or(0.0, |d| d[i]);
        Ok((0..x.rewards.len()).map(|i| c.at(i) * at(i) + x.rewards[i] * dc.map_or(0.0, |d| d.at(i))).collect())
    }

    fn vjp(&self, x: &RewardInputs, cot: &[f64]) -> Result<mgrl_core::RewardCotangents> {
        x.validate(META)?;
        let c = x.meta.get("scale")?;
        let rewards = cot.iter().enumerate().map(|(i, u)| c.at(i) * u).collect();
        let scale = cot.iter().zip(x.rewards).map(|(u, r)| -r * u).collect();
        Ok(mgrl_core::RewardCotangents { rewards, meta: MetaValues::new().with("scale", MetaValue::Steps(scale)) })
    }
}

/// Runs `mgrl ARGS` in a child process of this program: (exit status, stdout, stderr).
fn mgrl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "cli_child", "--nocapture", "--test-threads", "1"])
        .env("MGRL_CLI_ARGS", args.join("\u{1f}"))
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The command line, when started by [`mgrl`]; nothing otherwise.
#[test]
fn cli_child() {
    if let Ok(args) = std::env::var("MGRL_CLI_ARGS") {
        let status = mgrl_agents::cli::run_with(std::iter::once("mgrl").chain(args.split('\u{1f}')));
        std::process::exit(status.into());
    }
}

#[test]
fn verify_fails_a_broken_plugin_naming_the_check_the_input_and_both_numbers() {
    let (status, out, err) = mgrl(&["verify", "wrong_sign"]);
    assert_eq!(status, 1, "{out}\n{err}");
    assert!(out.lines().any(|l| l.starts_with("wrong_sign  vjp") && l.ends_with("FAILED")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("wrong_sign  jvp") && l.ends_with("ok")), "{out}");
    assert!(out.contains("wrong_sign failed `vjp`: T×B = ") && out.contains("`scale` at step "), "{out}");
    assert!(out.contains(", want "), "both numbers: {out}");
    assert!(err.starts_with("error: ") && err.contains("wrong_sign `vjp`"), "{err}");
}

#[test]
fn verify_passes_a_sound_built_in_in_the_same_program() {
    let (status, out, err) = mgrl(&["verify", "clip"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.lines().filter(|l| l.starts_with("clip ")).all(|l| l.ends_with("ok")), "{out}");
}
