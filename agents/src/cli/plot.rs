//! `mgrl plot`: figures of one or more runs.

use super::Exit;
use crate::plot::figures::plot_runs;
use crate::plot::runs::load_runs;
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;

/// Draw PNG figures of runs.
///
/// The learning curve (episode return against frames) and every
/// meta-parameter against updates; for per-state meta-parameters also the final value per
/// state across runs. Runs of the same experiment (seeds) are drawn as their mean with a
/// 20%–80% band; different experiments are overlaid.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl plot runs/td-smoke/seed-0                 one run; figures in its plots/ folder\n  mgrl plot runs/figure1-gamma --out figures    every run below the folder (e.g. 10 seeds)\n  mgrl plot runs/a runs/b --out compare          two experiments overlaid"
)]
pub struct Args {
    /// Run folders, or folders holding run folders.
    #[arg(required = true, value_name = "RUN_DIR")]
    runs: Vec<PathBuf>,
    /// Where the PNGs go [default: RUN_DIR/plots for one folder, ./plots for several].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let runs = load_runs(&args.runs)?;
    let dir = args.out.unwrap_or_else(|| match args.runs.as_slice() {
        [one] => one.join("plots"),
        _ => PathBuf::from("plots"),
    });
    for path in plot_runs(&runs, &dir)? {
        writeln!(out, "{}", path.display())?;
    }
    Ok(0)
}
