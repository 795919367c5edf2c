//! `mgrl play`: one episode of an environment as an animated GIF.

use super::{at_least_one, Exit};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Record one episode of an environment as a GIF.
///
/// The episode is played by a uniformly random policy; the seed fixes both the environment
/// and the policy, so the same command draws the same animation.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl play catch --out catch.gif\n  mgrl play mrp/fig1b-gamma --option states=5 --seed 3 --out chain.gif\n  mgrl play atari/pong --out pong.gif   (a build with the feature `atari`)"
)]
pub struct Args {
    /// The environment's registered name (see `mgrl envs`).
    env: String,
    /// The GIF to write.
    #[arg(long, value_name = "FILE.gif", value_parser = gif_path)]
    out: PathBuf,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop the episode after this many steps.
    #[arg(long, default_value_t = 1000, value_parser = at_least_one)]
    max_steps: usize,
    /// An option of the environment, as in an experiment's [env] section (repeatable).
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = env_option)]
    options: Vec<(String, toml::Value)>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let options: toml::Table = args.options.into_iter().collect();
    let stats = mgrl_envs::play::play_gif(&args.env, args.seed, &options, &args.out, args.max_steps)
        .with_context(|| format!("cannot record an episode of `{}`", args.env))?;
    let end = match (stats.terminated, stats.truncated) {
        (true, _) => "ended",
        (_, true) => "cut by the time limit",
        _ => "stopped at --max-steps",
    };
    writeln!(out, "{}: {} steps ({end}), return {}", args.out.display(), stats.steps, stats.episode_return)?;
    Ok(0)
}

/// A path that ends in `.gif`: the file is a GIF whatever it is called, so another name
/// would mislead.
fn gif_path(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    match path.extension() {
        Some(e) if e.eq_ignore_ascii_case("gif") => Ok(path),
        _ => Err(format!("`{s}` does not end in `.gif`: the episode is written as an animated GIF")),
    }
}

/// `key=value` with a TOML value (`states=5`, `mode="hard"`, `noise=0.1`); a bare word that
/// is not TOML is taken as a string.
fn env_option(s: &str) -> Result<(String, toml::Value), String> {
    let (key, value) = s.split_once('=').ok_or_else(|| format!("`{s}` is not KEY=VALUE"))?;
    let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    Ok((key.trim().to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_as_toml_values_or_else_strings() {
        assert_eq!(env_option("states=5"), Ok(("states".into(), toml::Value::Integer(5))));
        assert_eq!(env_option("noise = 0.5"), Ok(("noise".into(), toml::Value::Float(0.5))));
        assert_eq!(env_option("mode=hard"), Ok(("mode".into(), toml::Value::String("hard".into()))));
        assert!(env_option("states").unwrap_err().contains("KEY=VALUE"));
    }
}
