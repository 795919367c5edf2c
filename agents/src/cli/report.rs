//! `mgrl report`: final scores with confidence intervals.

use super::{at_least_one, Exit};
use crate::plot::report::{csv, group_scores, markdown};
use crate::plot::runs::load_runs;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Tabulate final scores with 95% confidence intervals.
///
/// Per run, the mean of its last N logged episode returns; per
/// experiment (runs grouped by the experiment name), the mean across runs with a 95%
/// confidence interval (Student's t). Prints Markdown; writes report.md and report.csv.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl report runs/figure1-gamma               every seed below the folder\n  mgrl report runs/* --last 20 --out results"
)]
pub struct Args {
    /// Run folders, or folders holding run folders.
    #[arg(required = true, value_name = "RUN_DIR")]
    runs: Vec<PathBuf>,
    /// Metrics rows averaged for a run's final score.
    #[arg(long, default_value_t = 10, value_parser = at_least_one)]
    last: usize,
    /// Folder for report.md and report.csv.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let runs = load_runs(&args.runs)?;
    let last = args.last;
    let groups = group_scores(&runs, last);
    let md = markdown(&groups, last);
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    for (name, text) in [("report.md", &md), ("report.csv", &csv(&groups, last))] {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    write!(out, "{md}")?;
    Ok(0)
}
