//! `mgrl envs`: the registered environments and what they look like to an agent.

use super::Exit;
use anyhow::Result;
use mgrl_envs::registry;
use std::io::Write;

/// List the environments.
///
/// Every environment linked into mgrl, built once with its default options to show its
/// observation shape, number of actions and (for Markov reward processes) number of states;
/// and whether this build has the Atari games (the cargo feature `atari`).
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  mgrl envs")]
pub struct Args {}

pub fn run(_args: Args, out: &mut dyn Write) -> Result<Exit> {
    let entries = registry::list();
    if entries.is_empty() {
        writeln!(out, "no environments are registered")?;
        return Ok(0);
    }
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| match e.default_spec() {
            Ok(spec) => {
                let states = spec.num_states.map_or("-".into(), |n| n.to_string());
                [
                    e.name.into(),
                    format!("{:?}", spec.obs_shape),
                    spec.num_actions.to_string(),
                    states,
                    e.description.into(),
                ]
            }
            Err(err) => {
                [e.name.into(), "?".into(), "?".into(), "?".into(), format!("{} (needs options: {err})", e.description)]
            }
        })
        .collect();
    let header = ["name", "observation", "actions", "states", ""].map(String::from);
    let widths: Vec<usize> =
        (0..5).map(|i| rows.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for r in [&header].into_iter().chain(&rows) {
        let cells: Vec<String> =
            r.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    if !mgrl_envs::ATARI_BUILT {
        writeln!(
            out,
            "\natari/<game>: not in this build; {}",
            registry::ATARI_NOT_BUILT.replacen("the Atari games are not in this build of mgrl: ", "", 1)
        )?;
    }
    Ok(0)
}
