//! `mgrl report`: every run, and per config its final scores with bootstrap intervals.

use super::{at_least_one, Exit};
use crate::plot::report::{build, groups_csv, improvement_csv, learnt_csv, markdown, runs_csv};
use crate::plot::runs::load_runs;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Tabulate final scores: every run, and per config the mean, median and IQM with 95%
/// stratified-bootstrap intervals.
///
/// A run's final score is the mean of its last N logged episode-return means. Runs are
/// grouped by the hash of their resolved config (its seeds together; configs that share a
/// name apart). Unfinished, diverged and failed runs, runs without an episode and repeated
/// seeds are listed and flagged, not pooled. A variant run on several environments (a sweep)
/// also gets its aggregates across them, and every two variants the probability that one
/// beats the other (Agarwal et al. 2021); the meta-parameters that were learnt, first and
/// last value. Prints Markdown; writes report.md, report.csv (per config), report-runs.csv
/// (per run), report-improvement.csv and report-meta.csv (learnt meta-parameters).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl report runs/figure1-gamma               every seed below the folder\n  mgrl report runs/catch-sweep                  a sweep: per env and variant, and variants compared\n  mgrl report runs/minatar-study --baseline fixed-gamma   aggregates normalised by the plain agent\n  mgrl report runs/* --last 20 --out results"
)]
pub struct Args {
    /// Run folders, or folders holding run folders.
    #[arg(required = true, value_name = "RUN_DIR")]
    runs: Vec<PathBuf>,
    /// Metrics rows averaged for a run's final score.
    #[arg(long, default_value_t = 10, value_parser = at_least_one)]
    last: usize,
    /// Normalise the aggregates across environments by this variant's mean score on each.
    #[arg(long, value_name = "VARIANT")]
    baseline: Option<String>,
    /// Folder for report.md and the CSV files.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let runs = load_runs(&args.runs)?;
    if let Some(b) = &args.baseline {
        anyhow::ensure!(
            runs.iter().any(|r| r.variant == *b),
            "--baseline {b}: no run of that variant; the variants: {}",
            runs.iter()
                .map(|r| r.variant.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let report = build(&runs, args.last, args.baseline.as_deref());
    let md = markdown(&report);
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let files = [
        ("report.md", md.clone()),
        ("report.csv", groups_csv(&report)?),
        ("report-runs.csv", runs_csv(&report)?),
        ("report-improvement.csv", improvement_csv(&report)?),
        ("report-meta.csv", learnt_csv(&report)?),
    ];
    for (name, text) in files {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    write!(out, "{md}")?;
    Ok(0)
}
