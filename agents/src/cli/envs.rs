//! `mgrl envs`: the registered environments and what they look like to an agent.

use super::Exit;
use anyhow::Result;
use mgrl_envs::registry::{self, EnvEntry};
use std::io::Write;

/// List the environments, or show one with its `[env]` options.
///
/// Without a name: every environment linked into mgrl, with the observation shape, number of
/// actions and (for Markov reward processes) number of states it has with its default
/// options, and whether this build has the Atari games (the cargo feature `atari`). With a
/// name: that environment, each of its options with its default and what it does, and the
/// `[env]` section that selects it.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  mgrl envs\n  mgrl envs catch\n  mgrl envs minatar/breakout")]
pub struct Args {
    /// The environment to show (as in `[env] name = ...`).
    pub name: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    if let Some(name) = &args.name {
        return show(registry::find(name)?, out);
    }
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
    table(&["name", "observation", "actions", "states", ""].map(String::from), &rows, out)?;
    if !mgrl_envs::ATARI_BUILT {
        writeln!(
            out,
            "\natari/<game>: not in this build; {}",
            registry::ATARI_NOT_BUILT.replacen("the Atari games are not in this build of mgrl: ", "", 1)
        )?;
    }
    Ok(0)
}

/// One environment: what it looks like with its default options, and its options.
fn show(entry: &EnvEntry, out: &mut dyn Write) -> Result<Exit> {
    writeln!(out, "{}: {}\n", entry.name, entry.description)?;
    match entry.default_spec() {
        Ok(spec) => {
            writeln!(out, "observation  {:?}", spec.obs_shape)?;
            writeln!(out, "actions      {}", spec.num_actions)?;
            if let Some(n) = spec.num_states {
                writeln!(out, "states       {n}")?;
            }
        }
        Err(err) => writeln!(out, "(its defaults do not build: {err})")?,
    }
    if entry.options.is_empty() {
        writeln!(out, "\nno options")?;
    } else {
        writeln!(out)?;
        let rows: Vec<[String; 3]> =
            entry.options.iter().map(|o| [o.name.into(), o.default.into(), o.doc.into()]).collect();
        table(&["option", "default", ""].map(String::from), &rows, out)?;
    }
    writeln!(out, "\nIn an experiment:\n  [env]\n  name = \"{}\"", entry.name)?;
    for o in entry.options.iter().filter(|o| o.default != "none") {
        writeln!(out, "  {} = {}", o.name, o.default)?;
    }
    Ok(0)
}

/// Rows under a header, each column as wide as its widest cell.
fn table<const N: usize>(header: &[String; N], rows: &[[String; N]], out: &mut dyn Write) -> Result<()> {
    let widths: Vec<usize> =
        (0..N).map(|i| rows.iter().chain([header]).map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for r in [header].into_iter().chain(rows) {
        let cells: Vec<String> =
            r.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}
