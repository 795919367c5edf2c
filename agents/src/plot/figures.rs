//! The figures of `mgrl plot`: the learning curve (episode return against frames), every
//! meta-parameter against updates, and, for per-state meta-parameters, the final value in
//! each state across seeds. Runs of the same experiment (seeds) are one series.

use super::band::{band_plot, Series};
use super::distribution::distribution_plot;
use super::runs::{group_by_name, RunRecord};
use crate::run::metrics::META_PREFIX;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Draws every figure for `runs` into `out`; returns the files written.
pub fn plot_runs(runs: &[RunRecord], out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let groups = group_by_name(runs);
    let several = groups.len() > 1;
    let mut written = Vec::new();

    let curves: Vec<Series> = groups
        .iter()
        .map(|(name, g)| Series {
            label: name.clone(),
            runs: g.iter().map(|r| r.metrics.pairs("frames", "return_mean")).collect(),
        })
        .filter(|s| s.runs.iter().any(|r| !r.is_empty()))
        .collect();
    if !curves.is_empty() {
        let path = out.join("learning_curve.png");
        band_plot(&path, "Learning curve (mean, 20%–80% across runs)", "frames", "episode return", &curves)?;
        written.push(path);
    }

    for base in meta_bases(runs) {
        let mut series = Vec::new();
        for (name, g) in &groups {
            for column in columns_of(g, &base) {
                let label = if several { format!("{name}: {column}") } else { column.clone() };
                let key = format!("{META_PREFIX}{column}");
                series.push(Series { label, runs: g.iter().map(|r| r.metrics.pairs("update", &key)).collect() });
            }
        }
        let path = out.join(format!("meta-{}.png", file_stem(&base)));
        band_plot(&path, &format!("{base} over training"), "update", &base, &series)?;
        written.push(path);

        for (name, g) in &groups {
            let columns = columns_of(g, &base);
            if columns.iter().all(|c| c == &base) {
                continue; // a scalar meta-parameter: its final value is in the curve above
            }
            let categories: Vec<(String, Vec<f64>)> = columns
                .iter()
                .map(|c| {
                    let key = format!("{META_PREFIX}{c}");
                    let label = c.strip_prefix(&base).unwrap_or(c).trim_matches(['[', ']']).to_string();
                    (label, g.iter().filter_map(|r| r.metrics.values(&key).last().copied()).collect())
                })
                .collect();
            let stem = if several {
                format!("final-{}-{}", file_stem(&base), file_stem(name))
            } else {
                format!("final-{}", file_stem(&base))
            };
            let path = out.join(format!("{stem}.png"));
            let title = format!("final {base} per state, {name} ({} runs)", g.len());
            distribution_plot(&path, &title, "state", &base, &categories)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Meta-parameter names without their per-state index (`gamma[3]` → `gamma`), in column order.
fn meta_bases(runs: &[RunRecord]) -> Vec<String> {
    let mut bases: Vec<String> = Vec::new();
    for r in runs {
        for c in r.metrics.meta_columns() {
            let base = c.split('[').next().unwrap_or(c).to_string();
            if !bases.contains(&base) {
                bases.push(base);
            }
        }
    }
    bases
}

/// The meta-parameter columns of `base` that the group's runs have (`gamma`, or `gamma[0]`,
/// `gamma[1]`, …), in column order.
fn columns_of(group: &[&RunRecord], base: &str) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for r in group {
        for c in r.metrics.meta_columns() {
            if (c == base || c.strip_prefix(base).is_some_and(|rest| rest.starts_with('[')))
                && !columns.iter().any(|x| x == c)
            {
                columns.push(c.to_string());
            }
        }
    }
    columns
}

/// A name made safe for a file name.
fn file_stem(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' }).collect()
}
