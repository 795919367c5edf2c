//! `mgrl verify`: the checks of `mgrl_core::verify` on registered plugins.

use super::Exit;
use anyhow::{bail, Result};
use mgrl_core::{registry, verify};
use std::io::Write;

/// Check plugins' derivatives and contracts.
///
/// For each plugin (every registered one by default), in each configuration: its JVP and
/// VJP against differences for every input and meta-parameter, the two adjoint, T = 1,
/// episode ends and time-limit truncations, the edges of its domains, finite outputs, errors
/// for non-finite inputs, the meta-parameters it reads, the serde round trip. One row per
/// check with its worst error; a failure names the input, the step and both numbers, and
/// the exit status is 1.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl verify                   every registered plugin\n  mgrl verify retrace vtrace    two plugins"
)]
pub struct Args {
    /// The plugins to check (all when none is named).
    plugins: Vec<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let all = registry::plugins();
    let mut chosen = Vec::new();
    for name in &args.plugins {
        match all.iter().find(|p| p.name == name) {
            Some(p) => chosen.push(*p),
            None => {
                let known: Vec<&str> = all.iter().map(|p| p.name).collect();
                bail!("no plugin is called `{name}`; registered plugins: {}", known.join(", "));
            }
        }
    }
    let report = verify::verify(if chosen.is_empty() { &all } else { &chosen });
    write!(out, "{report}")?;
    let failed: Vec<String> = report.failures().map(|c| format!("{} `{}`", c.plugin, c.name)).collect();
    if !failed.is_empty() {
        bail!("{} of {} checks failed: {}", failed.len(), report.checks.len(), failed.join(", "));
    }
    Ok(0)
}
