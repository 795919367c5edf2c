//! The figures of `mgrl plot`. Per environment (a file each when the runs span several:
//! `<figure>-<env>.png`), one line per variant (a sweep's variant, else the experiment's name;
//! with its config's hash when two configs share it), mean and 20%–80% band over its seeds:
//!
//! - the learning curve, episode return against frames (optionally a trailing moving average);
//! - the loss and the meta-objective against frames;
//! - every meta-parameter that moves against updates (a fixed one, constant in every run, is
//!   left out); for per-state meta-parameters, the final value in each state across seeds.
//!
//! A diverged run is marked with a cross at its last logged point. Titles say how many seeds
//! and what the band is.

use super::band::{band_plot, Series, BAND_QUANTILES};
use super::distribution::distribution_plot;
use super::runs::RunRecord;
use super::stats::unique;
use crate::run::metrics::META_PREFIX;
use crate::run::provenance::RunState;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Options of `mgrl plot`.
#[derive(Debug, Clone, Copy)]
pub struct PlotOptions {
    /// Points averaged in the trailing moving average of learning curves (1: none).
    pub smooth: usize,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions { smooth: 1 }
    }
}

/// Curves other than the return and the meta-parameters, when the runs logged them.
const SCALARS: &[(&str, &str)] = &[("loss", "loss"), ("meta_objective", "meta-objective J′")];

/// The line each run belongs to: its variant, with its config's hash when another config of
/// the same variant and environment is among `runs`.
pub fn line_labels(runs: &[RunRecord]) -> Vec<String> {
    runs.iter()
        .map(|r| {
            let clash = runs.iter().any(|o| o.variant == r.variant && o.env == r.env && o.hash != r.hash);
            if clash {
                format!("{} [{}]", r.variant, r.short_hash())
            } else {
                r.variant.clone()
            }
        })
        .collect()
}

/// Draws every figure for `runs` into `out`; returns the files written.
pub fn plot_runs(runs: &[RunRecord], out: &Path, opts: PlotOptions) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let labels = line_labels(runs);
    // Every line's colour, the same in all figures: its label's place among all labels.
    let places = unique(labels.iter().map(String::as_str).collect());
    let place = |label: &str| places.iter().position(|p| *p == label);
    let envs = unique(runs.iter().map(|r| r.env.as_str()).collect());
    let mut written = Vec::new();
    for env in &envs {
        let suffix = if envs.len() > 1 { format!("-{}", file_stem(env)) } else { String::new() };
        let prefix = if envs.len() > 1 { format!("{env}: ") } else { String::new() };
        let mut lines: Vec<(&str, Vec<&RunRecord>)> = Vec::new();
        for (r, label) in runs.iter().zip(&labels).filter(|(r, _)| r.env == *env) {
            match lines.iter_mut().find(|(l, _)| l == label) {
                Some((_, g)) => g.push(r),
                None => lines.push((label, vec![r])),
            }
        }
        let several = lines.len() > 1;
        let seeds = seeds_phrase(&lines);
        let band = format!("mean and {:.0}%–{:.0}% band", BAND_QUANTILES.0 * 100.0, BAND_QUANTILES.1 * 100.0);

        let curves = scalar_series(&lines, "frames", "return_mean", opts.smooth, &place);
        if !curves.is_empty() {
            let path = out.join(format!("learning_curve{suffix}.png"));
            let smoothed =
                if opts.smooth > 1 { format!(", moving average of {} rows", opts.smooth) } else { String::new() };
            let title = format!("{prefix}episode return ({band} over {seeds}{smoothed}{})", marked(&curves));
            band_plot(&path, &title, "frames", "episode return", &curves)?;
            written.push(path);
        }
        for (column, what) in SCALARS {
            let series = scalar_series(&lines, "frames", column, 1, &place);
            if series.is_empty() {
                continue;
            }
            let path = out.join(format!("{}{suffix}.png", file_stem(column)));
            band_plot(
                &path,
                &format!("{prefix}{what} ({band} over {seeds}{})", marked(&series)),
                "frames",
                what,
                &series,
            )?;
            written.push(path);
        }

        let in_env: Vec<&RunRecord> = lines.iter().flat_map(|(_, g)| g.iter().copied()).collect();
        for base in meta_bases(&in_env) {
            let mut series = Vec::new();
            for (label, g) in &lines {
                let columns = columns_of(g, &base);
                // A scalar keeps its line's colour; a per-state table's entries take their own.
                let colour = if columns.len() == 1 { place(label) } else { None };
                for column in columns {
                    let key = format!("{META_PREFIX}{column}");
                    if is_fixed(g, &key) {
                        continue;
                    }
                    let label = if several { format!("{label}: {column}") } else { column.clone() };
                    let runs = g.iter().map(|r| r.metrics.pairs("update", &key)).collect();
                    let marks = g.iter().filter_map(|r| diverged_at(r, "update", &key)).collect();
                    series.push(Series { label, runs, marks, colour });
                }
            }
            if series.is_empty() {
                continue; // fixed in every run
            }
            let path = out.join(format!("meta-{}{suffix}.png", file_stem(&base)));
            let title = format!("{prefix}{base} over training ({band} over {seeds}{})", marked(&series));
            band_plot(&path, &title, "update", &base, &series)?;
            written.push(path);

            for (label, g) in &lines {
                let columns = columns_of(g, &base);
                if columns.iter().all(|c| c == &base) {
                    continue; // a scalar meta-parameter: its final value is in the curve above
                }
                let categories: Vec<(String, Vec<f64>)> = columns
                    .iter()
                    .map(|c| {
                        let key = format!("{META_PREFIX}{c}");
                        let state = c.strip_prefix(&base).unwrap_or(c).trim_matches(['[', ']']).to_string();
                        (state, g.iter().filter_map(|r| r.metrics.values(&key).last().copied()).collect())
                    })
                    .collect();
                let stem = if several {
                    format!("final-{}-{}{suffix}", file_stem(&base), file_stem(label))
                } else {
                    format!("final-{}{suffix}", file_stem(&base))
                };
                let path = out.join(format!("{stem}.png"));
                let title = format!("{prefix}final {base} per state, {label} ({} runs)", g.len());
                distribution_plot(&path, &title, "state", &base, &categories)?;
                written.push(path);
            }
        }
    }
    Ok(written)
}

/// One series per line of `y` against `x`, smoothed, coloured by `place`; lines without any
/// point left out.
fn scalar_series(
    lines: &[(&str, Vec<&RunRecord>)],
    x: &str,
    y: &str,
    smooth: usize,
    place: &dyn Fn(&str) -> Option<usize>,
) -> Vec<Series> {
    lines
        .iter()
        .map(|(label, g)| Series {
            label: label.to_string(),
            runs: g.iter().map(|r| moving_average(&r.metrics.pairs(x, y), smooth)).collect(),
            marks: g.iter().filter_map(|r| diverged_at(r, x, y)).collect(),
            colour: place(label),
        })
        .filter(|s| s.runs.iter().any(|r| !r.is_empty()))
        .collect()
}

/// The last logged point of a diverged run.
fn diverged_at(r: &RunRecord, x: &str, y: &str) -> Option<(f64, f64)> {
    (r.status == RunState::Diverged).then(|| r.metrics.pairs(x, y).last().copied()).flatten()
}

/// ", x: a diverged run" when a series carries a mark.
fn marked(series: &[Series]) -> &'static str {
    if series.iter().any(|s| !s.marks.is_empty()) {
        "; x: a diverged run"
    } else {
        ""
    }
}

/// "5 seeds", or "3–5 seeds" when the lines have different numbers of runs.
fn seeds_phrase(lines: &[(&str, Vec<&RunRecord>)]) -> String {
    let counts: Vec<usize> = lines.iter().map(|(_, g)| g.len()).collect();
    let (lo, hi) = (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));
    match (lo, hi) {
        (1, 1) => "1 seed".into(),
        (lo, hi) if lo == hi => format!("{lo} seeds"),
        (lo, hi) => format!("{lo}–{hi} seeds"),
    }
}

/// Each point replaced by the mean of it and the `k − 1` before it (fewer at the start).
pub fn moving_average(points: &[(f64, f64)], k: usize) -> Vec<(f64, f64)> {
    let k = k.max(1);
    (0..points.len())
        .map(|i| {
            let window = &points[i.saturating_sub(k - 1)..=i];
            (points[i].0, window.iter().map(|p| p.1).sum::<f64>() / window.len() as f64)
        })
        .collect()
}

/// Whether a meta-parameter column holds one value in every run (a fixed meta-parameter).
fn is_fixed(group: &[&RunRecord], key: &str) -> bool {
    let mut values = group.iter().flat_map(|r| r.metrics.values(key));
    match values.next() {
        None => true,
        Some(first) => values.all(|v| v == first),
    }
}

/// Meta-parameter names without their per-state index (`gamma[3]` → `gamma`), in column order.
fn meta_bases(runs: &[&RunRecord]) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::metrics::MetricsTable;

    /// A run of variant `variant` with rows at updates 1..=3: return = update × `slope`,
    /// meta/gamma = `gamma` + update × `drift`.
    fn run(variant: &str, slope: f64, gamma: f64, drift: f64, status: RunState) -> RunRecord {
        let columns = ["update", "frames", "return_mean", "meta/gamma"].map(String::from).to_vec();
        let rows = (1..=3)
            .map(|u| {
                let u = u as f64;
                vec![Some(u), Some(10.0 * u), Some(slope * u), Some(gamma + drift * u)]
            })
            .collect();
        RunRecord {
            dir: PathBuf::from(variant),
            name: variant.into(),
            seed: 0,
            env: "catch".into(),
            variant: variant.into(),
            hash: format!("{variant:0>64}"),
            status,
            updates: 3,
            updates_total: 3,
            frames: 30,
            metrics: MetricsTable { path: PathBuf::new(), columns, rows },
        }
    }

    #[test]
    fn a_diverged_run_is_marked_at_its_last_point_and_a_fixed_meta_parameter_is_left_out() {
        let runs = [
            run("fixed", 1.0, 0.9, 0.0, RunState::Finished),
            run("meta", 2.0, 0.5, 0.1, RunState::Finished),
            run("meta", 3.0, 0.5, 0.1, RunState::Diverged),
        ];
        let lines: Vec<(&str, Vec<&RunRecord>)> = vec![("fixed", vec![&runs[0]]), ("meta", vec![&runs[1], &runs[2]])];
        let curves = scalar_series(&lines, "frames", "return_mean", 1, &|_| None);
        assert_eq!(curves[0].marks, []);
        assert_eq!(curves[1].marks, [(30.0, 9.0)]);
        assert_eq!(marked(&curves), "; x: a diverged run");
        assert!(is_fixed(&lines[0].1, "meta/gamma") && !is_fixed(&lines[1].1, "meta/gamma"));
        assert_eq!(seeds_phrase(&lines), "1–2 seeds");
        let dir = tempfile::tempdir().unwrap();
        let written = plot_runs(&runs, dir.path(), PlotOptions::default()).unwrap();
        let names: Vec<_> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["learning_curve.png", "meta-gamma.png"]);
    }

    #[test]
    fn two_configs_of_one_variant_on_one_environment_get_their_hash_in_the_label() {
        let mut other = run("meta", 2.0, 0.5, 0.1, RunState::Finished);
        other.hash = format!("{:b>64}", "");
        let runs =
            [run("meta", 2.0, 0.5, 0.1, RunState::Finished), other, run("fixed", 1.0, 0.9, 0.0, RunState::Finished)];
        assert_eq!(line_labels(&runs), ["meta [00000000]", "meta [bbbbbbbb]", "fixed"]);
    }

    #[test]
    fn the_moving_average_trails_and_shortens_its_window_at_the_start() {
        let p = [(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 10.0)];
        assert_eq!(moving_average(&p, 2), [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (3.0, 7.5)]);
        assert_eq!(moving_average(&p, 1), p);
    }
}
