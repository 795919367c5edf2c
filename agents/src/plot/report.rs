//! The tables of `mgrl report`.
//!
//! A run's final score is the mean of its last N logged episode-return means. Runs are grouped
//! by the hash of their resolved config (the seeds of one experiment together; experiments
//! that share a name, apart). Within a group only finished runs with a score and a seed not
//! seen before are pooled; every other run is listed with the reason (unfinished, diverged,
//! failed, no episode, a duplicate seed), and so is a name that several configs share. Per
//! group: the mean, median and IQM of the pooled scores with stratified-bootstrap intervals
//! (`aggregate`); per variant over several environments, the same across them; between
//! variants, the probability of improvement over the environments both ran.

use super::aggregate::{aggregate, probability_of_improvement_ci, Interval, Metric, RESAMPLES, SEED};
use super::runs::{group_by_config, RunRecord};
use super::stats::{mean, unique};
use crate::run::metrics::META_PREFIX;
use crate::run::provenance::RunState;
use anyhow::Result;

/// The mean of the last `last` present `return_mean` values of a run.
pub fn final_score(run: &RunRecord, last: usize) -> Option<f64> {
    let returns = run.metrics.values("return_mean");
    mean(&returns[returns.len().saturating_sub(last)..])
}

/// One run's line.
#[derive(Debug, Clone)]
pub struct RunLine<'a> {
    pub run: &'a RunRecord,
    pub score: Option<f64>,
    pub pooled: bool,
    /// Why the run is not pooled (empty when it is).
    pub note: String,
}

/// One config's line.
#[derive(Debug, Clone)]
pub struct GroupLine {
    pub hash: String,
    pub name: String,
    pub env: String,
    /// The variant, with the hash's first digits when another config of the same variant
    /// and environment exists.
    pub label: String,
    pub runs: usize,
    pub pooled: Vec<f64>,
    /// Mean, median, IQM (in [`Metric::ALL`]'s order).
    pub stats: Vec<Option<Interval>>,
    /// The meta-parameters that moved in its pooled runs.
    pub learnt: Vec<Learnt>,
}

/// A learnt meta-parameter of one config: its first logged value and its last, over the
/// pooled runs (a meta-parameter that stayed where it started in every run is not listed).
#[derive(Debug, Clone)]
pub struct Learnt {
    pub name: String,
    pub first: f64,
    /// Mean of the last values, with their minimum and maximum over the runs.
    pub last: Interval,
}

/// The learnt meta-parameters of `runs`: every `meta/` column whose last value differs from
/// its first in some run.
fn learnt(runs: &[&RunRecord]) -> Vec<Learnt> {
    let Some(first_run) = runs.first() else { return Vec::new() };
    let ends = |name: &str| -> Vec<(f64, f64)> {
        runs.iter()
            .filter_map(|r| {
                let v = r.metrics.values(&format!("{META_PREFIX}{name}"));
                Some((*v.first()?, *v.last()?))
            })
            .collect()
    };
    first_run
        .metrics
        .meta_columns()
        .into_iter()
        .filter_map(|name| {
            let e = ends(name);
            if e.iter().all(|(a, b)| a == b) {
                return None;
            }
            let (firsts, lasts): (Vec<f64>, Vec<f64>) = e.into_iter().unzip();
            Some(Learnt {
                name: name.to_string(),
                first: mean(&firsts)?,
                last: Interval {
                    point: mean(&lasts)?,
                    lo: lasts.iter().copied().fold(f64::INFINITY, f64::min),
                    hi: lasts.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                },
            })
        })
        .collect()
}

/// A variant's aggregates over several environments.
#[derive(Debug, Clone)]
pub struct AcrossLine {
    pub label: String,
    pub envs: usize,
    pub runs: usize,
    pub stats: Vec<Option<Interval>>,
}

/// P(X > Y) between two variants.
#[derive(Debug, Clone)]
pub struct Improvement {
    pub x: String,
    pub y: String,
    pub envs: usize,
    pub p: Interval,
}

/// Everything `mgrl report` writes.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub last: usize,
    /// The variant whose mean score on each environment divides every score there in the
    /// aggregates across environments; `None`: raw scores.
    pub baseline: Option<String>,
    pub runs: Vec<RunLine<'a>>,
    pub groups: Vec<GroupLine>,
    pub flags: Vec<String>,
    pub across: Vec<AcrossLine>,
    pub improvements: Vec<Improvement>,
}

/// Why a run is not pooled, from its status; `None` for a finished run.
fn unfinished(r: &RunRecord) -> Option<String> {
    let at = format!("update {} of {}", r.updates, r.updates_total);
    match r.status {
        RunState::Finished => None,
        RunState::Diverged => Some(format!("diverged at {at}")),
        RunState::Failed => Some(format!("failed at {at}")),
        RunState::Stopped => Some(format!("unfinished: stopped at {at}")),
        RunState::Running => Some(format!("unfinished: {at} (still running, or killed)")),
    }
}

/// Builds the report of `runs` (in the order given: the first of duplicate seeds is pooled);
/// with a `baseline` variant, the aggregates across environments are of scores divided by
/// that variant's mean score on their environment (an environment where it has no positive
/// mean is left out of them).
pub fn build<'a>(runs: &'a [RunRecord], last: usize, baseline: Option<&str>) -> Report<'a> {
    let mut lines = Vec::new();
    let mut groups = Vec::new();
    let mut flags = Vec::new();
    for g in group_by_config(runs) {
        let mut seen: Vec<(u64, &RunRecord)> = Vec::new();
        let mut pooled = Vec::new();
        let mut pooled_runs = Vec::new();
        for r in &g {
            let score = final_score(r, last);
            let note = if let Some(why) = unfinished(r) {
                why
            } else if score.is_none() {
                "no episode ended".into()
            } else if let Some((_, first)) = seen.iter().find(|(s, _)| *s == r.seed) {
                format!("seed {} again (pooled once, from {})", r.seed, first.dir.display())
            } else {
                seen.push((r.seed, r));
                String::new()
            };
            let is_pooled = note.is_empty();
            if let (true, Some(s)) = (is_pooled, score) {
                pooled.push(s);
                pooled_runs.push(*r);
            } else {
                flags.push(format!("{} (seed {}): {note}; not pooled", r.dir.display(), r.seed));
            }
            lines.push(RunLine { run: r, score, pooled: is_pooled, note });
        }
        let stats = Metric::ALL.iter().map(|&m| aggregate(&[pooled.clone()], m, RESAMPLES, SEED)).collect();
        groups.push(GroupLine {
            hash: g[0].hash.clone(),
            // One config run under several names is one experiment: every name is shown.
            name: unique(g.iter().map(|r| r.name.as_str()).collect()).join(" / "),
            env: g[0].env.clone(),
            label: g[0].variant.clone(),
            runs: g.len(),
            pooled,
            stats,
            learnt: learnt(&pooled_runs),
        });
    }
    // Names and (variant, environment) pairs that several configs share.
    let names = unique(runs.iter().map(|r| r.name.as_str()).collect());
    for name in names {
        let hashes = unique(runs.iter().filter(|r| r.name == name).map(|r| r.short_hash()).collect());
        if hashes.len() > 1 {
            flags.push(format!(
                "the name `{name}` is shared by {} different configs ({}): reported apart, not pooled",
                hashes.len(),
                hashes.join(", ")
            ));
        }
    }
    let clashes: Vec<bool> =
        groups.iter().map(|g| groups.iter().filter(|o| o.label == g.label && o.env == g.env).count() > 1).collect();
    for (g, clash) in groups.iter_mut().zip(clashes) {
        if clash {
            g.label = format!("{} [{}]", g.label, &g.hash[..8]);
        }
    }
    let labels = unique(groups.iter().map(|g| g.label.as_str()).collect());
    let envs = unique(groups.iter().map(|g| g.env.as_str()).collect());
    // Per label, the pooled scores of each environment (empty where it has none).
    let per_env = |label: &str| -> Vec<Vec<f64>> {
        envs.iter()
            .map(|e| groups.iter().filter(|g| g.label == label && g.env == *e).flat_map(|g| g.pooled.clone()).collect())
            .collect()
    };
    // Per environment, what its scores are divided by in the aggregates (1 for raw scores).
    let scale: Vec<Option<f64>> = match baseline {
        None => vec![Some(1.0); envs.len()],
        Some(b) => {
            per_env(b).iter().map(|t| Some(t.iter().sum::<f64>() / t.len() as f64).filter(|m| *m > 0.0)).collect()
        }
    };
    let normalised = |label: &str| -> Vec<Vec<f64>> {
        per_env(label)
            .into_iter()
            .zip(&scale)
            .map(|(t, s)| s.map_or(Vec::new(), |s| t.iter().map(|x| x / s).collect()))
            .collect()
    };
    let across = labels
        .iter()
        .filter_map(|l| {
            let tasks = normalised(l);
            let n = tasks.iter().filter(|t| !t.is_empty()).count();
            (n > 1).then(|| AcrossLine {
                label: l.to_string(),
                envs: n,
                runs: tasks.iter().map(Vec::len).sum(),
                stats: Metric::ALL.iter().map(|&m| aggregate(&tasks, m, RESAMPLES, SEED)).collect(),
            })
        })
        .collect();
    let mut improvements = Vec::new();
    for (i, x) in labels.iter().enumerate() {
        for y in &labels[i + 1..] {
            let (tx, ty) = (per_env(x), per_env(y));
            let shared = tx.iter().zip(&ty).filter(|(a, b)| !a.is_empty() && !b.is_empty()).count();
            if let Some(p) = probability_of_improvement_ci(&tx, &ty, RESAMPLES, SEED) {
                improvements.push(Improvement { x: x.to_string(), y: y.to_string(), envs: shared, p });
            }
        }
    }
    Report { last, baseline: baseline.map(str::to_string), runs: lines, groups, flags, across, improvements }
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.4}"))
}

fn interval(i: &Option<Interval>) -> String {
    i.map_or_else(|| "n/a".into(), |i| format!("{:.4} [{:.4}, {:.4}]", i.point, i.lo, i.hi))
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut s = format!(
        "Final score of a run: the mean of its last {} logged episode-return means. Runs are grouped by the hash \
         of their resolved config (seeds of one experiment together); only finished runs with a score and a new \
         seed are pooled. Intervals: 95% percentile bootstrap, stratified by environment ({RESAMPLES} resamples, \
         seed {SEED}); IQM: the mean of the middle 50% of scores (Agarwal et al. 2021).\n\n",
        r.last
    );
    s += "| config | name | env | variant | runs | pooled | mean [95% CI] | median [95% CI] | IQM [95% CI] |\n";
    s += "|---|---|---|---|---:|---:|---|---|---|\n";
    for g in &r.groups {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            &g.hash[..8],
            cell(&g.name),
            cell(&g.env),
            cell(&g.label),
            g.runs,
            g.pooled.len(),
            g.stats.iter().map(interval).collect::<Vec<_>>().join(" | ")
        );
    }
    if !r.flags.is_empty() {
        s += "\nFlagged:\n\n";
        for f in &r.flags {
            s += &format!("- {f}\n");
        }
    }
    if !r.across.is_empty() {
        s += &match &r.baseline {
            None => {
                "\nAcross environments (raw scores, not normalised: an environment with larger scores weighs more; \
                     `--baseline VARIANT` normalises them):\n\n"
                    .to_string()
            }
            Some(b) => format!(
                "\nAcross environments, each score divided by the mean score of `{b}` on its environment (1: as \
                 good as `{b}`):\n\n"
            ),
        };
        s +=
            "| variant | envs | runs | mean [95% CI] | median [95% CI] | IQM [95% CI] |\n|---|---:|---:|---|---|---|\n";
        for a in &r.across {
            let stats = a.stats.iter().map(interval).collect::<Vec<_>>().join(" | ");
            s += &format!("| {} | {} | {} | {stats} |\n", cell(&a.label), a.envs, a.runs);
        }
    }
    if !r.improvements.is_empty() {
        s += "\nProbability of improvement, P(X > Y) + ½ P(X = Y) for a run of each, averaged over the environments \
              both ran:\n\n| X | Y | envs | P(X > Y) [95% CI] |\n|---|---|---:|---|\n";
        for i in &r.improvements {
            s += &format!("| {} | {} | {} | {} |\n", cell(&i.x), cell(&i.y), i.envs, interval(&Some(i.p)));
        }
    }
    if r.groups.iter().any(|g| !g.learnt.is_empty()) {
        s += "\nLearnt meta-parameters: the first logged value (mean over the pooled runs) and the last (mean \
              [min, max] over them):\n\n| config | env | variant | meta-parameter | first | last [min, max] |\n\
              |---|---|---|---|---:|---|\n";
        for g in &r.groups {
            for l in &g.learnt {
                s += &format!(
                    "| {} | {} | {} | {} | {:.4} | {} |\n",
                    &g.hash[..8],
                    cell(&g.env),
                    cell(&g.label),
                    cell(&l.name),
                    l.first,
                    interval(&Some(l.last))
                );
            }
        }
    }
    s += "\nRuns:\n\n| config | run | seed | status | frames | final score | pooled |\n|---|---|---:|---|---:|---:|---|\n";
    for l in &r.runs {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            l.run.short_hash(),
            cell(&l.run.dir.display().to_string()),
            l.run.seed,
            l.run.status.as_str(),
            l.run.frames,
            number(l.score),
            if l.pooled { "yes".to_string() } else { format!("no: {}", cell(&l.note)) }
        );
    }
    s
}

fn csv_text(header: &[&str], rows: Vec<Vec<String>>) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}

fn interval_cells(i: &Option<Interval>) -> [String; 3] {
    [number(i.map(|i| i.point)), number(i.map(|i| i.lo)), number(i.map(|i| i.hi))]
}

/// One line per config (`report.csv`).
pub fn groups_csv(r: &Report) -> Result<String> {
    let mut header = vec!["config_hash", "name", "env", "variant", "runs", "pooled", "last_n"];
    header.extend(["mean", "mean_lo", "mean_hi", "median", "median_lo", "median_hi", "iqm", "iqm_lo", "iqm_hi"]);
    let rows = r
        .groups
        .iter()
        .map(|g| {
            let mut row = vec![
                g.hash.clone(),
                g.name.clone(),
                g.env.clone(),
                g.label.clone(),
                g.runs.to_string(),
                g.pooled.len().to_string(),
                r.last.to_string(),
            ];
            row.extend(g.stats.iter().flat_map(interval_cells));
            row
        })
        .collect();
    csv_text(&header, rows)
}

/// One line per run (`report-runs.csv`).
pub fn runs_csv(r: &Report) -> Result<String> {
    let header = [
        "config_hash",
        "run",
        "name",
        "env",
        "variant",
        "seed",
        "status",
        "updates",
        "frames",
        "final_score",
        "pooled",
        "note",
    ];
    let rows = r
        .runs
        .iter()
        .map(|l| {
            let run = l.run;
            vec![
                run.hash.clone(),
                run.dir.display().to_string(),
                run.name.clone(),
                run.env.clone(),
                run.variant.clone(),
                run.seed.to_string(),
                run.status.as_str().to_string(),
                run.updates.to_string(),
                run.frames.to_string(),
                number(l.score),
                l.pooled.to_string(),
                l.note.clone(),
            ]
        })
        .collect();
    csv_text(&header, rows)
}

/// One line per pair of variants (`report-improvement.csv`).
pub fn improvement_csv(r: &Report) -> Result<String> {
    let rows = r
        .improvements
        .iter()
        .map(|i| {
            let [p, lo, hi] = interval_cells(&Some(i.p));
            vec![i.x.clone(), i.y.clone(), i.envs.to_string(), p, lo, hi]
        })
        .collect();
    csv_text(&["x", "y", "envs", "p_x_better", "p_lo", "p_hi"], rows)
}

/// One line per learnt meta-parameter of each config (`report-meta.csv`).
pub fn learnt_csv(r: &Report) -> Result<String> {
    let rows = r
        .groups
        .iter()
        .flat_map(|g| {
            g.learnt.iter().map(move |l| {
                let [p, lo, hi] = interval_cells(&Some(l.last));
                vec![g.hash.clone(), g.env.clone(), g.label.clone(), l.name.clone(), number(Some(l.first)), p, lo, hi]
            })
        })
        .collect();
    csv_text(&["config_hash", "env", "variant", "meta", "first", "last_mean", "last_min", "last_max"], rows)
}
