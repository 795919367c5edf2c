//! `mgrl plot`: figures of one or more runs.

use super::{at_least_one, Exit};
use crate::plot::figures::{plot_runs, PlotOptions};
use crate::plot::runs::load_runs;
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;

/// Draw PNG figures of runs, or of a sweep.
///
/// Per environment (one file each when the runs span several), one
/// line per variant (a sweep's variant, else the experiment's name), drawn as the mean over
/// its seeds with a 20%–80% band: the learning curve (episode return against frames), the
/// loss and the meta-objective, and every meta-parameter that moves against updates (fixed
/// ones are left out); for per-state meta-parameters also the final value per state across
/// seeds. A diverged run is marked with a cross at its last logged point.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl plot runs/td-smoke/seed-0                 one run; figures in its plots/ folder\n  mgrl plot runs/figure1-gamma --out figures    every run below the folder (e.g. 10 seeds)\n  mgrl plot runs/a runs/b --out compare          two experiments overlaid\n  mgrl plot runs/catch-sweep --smooth 5          a sweep: per env, a line per variant, smoothed"
)]
pub struct Args {
    /// Run folders, or folders holding run folders.
    #[arg(required = true, value_name = "RUN_DIR")]
    runs: Vec<PathBuf>,
    /// Where the PNGs go [default: RUN_DIR/plots for one folder, ./plots for several].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Smooth learning curves by a trailing moving average of N metrics rows.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = at_least_one)]
    smooth: usize,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let runs = load_runs(&args.runs)?;
    let dir = args.out.unwrap_or_else(|| match args.runs.as_slice() {
        [one] => one.join("plots"),
        _ => PathBuf::from("plots"),
    });
    for path in plot_runs(&runs, &dir, PlotOptions { smooth: args.smooth })? {
        writeln!(out, "{}", path.display())?;
    }
    Ok(0)
}
