//! The table of `mgrl report`: each run's final score (the mean of its last N logged
//! episode-return means), then per experiment the mean across runs (seeds) with a 95%
//! confidence interval from Student's t.

use super::runs::{group_by_name, RunRecord};
use super::stats::{ci95_half_width, mean};

/// One experiment's row.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    pub name: String,
    /// Final score of each run that logged an episode return, in run order.
    pub scores: Vec<f64>,
    /// Runs that logged no episode return.
    pub without_episodes: usize,
    pub mean: Option<f64>,
    /// Half-width of the 95% interval; `None` for fewer than two scores.
    pub ci95: Option<f64>,
}

/// The mean of the last `last` present `return_mean` values of a run.
pub fn final_score(run: &RunRecord, last: usize) -> Option<f64> {
    let returns = run.metrics.values("return_mean");
    mean(&returns[returns.len().saturating_sub(last)..])
}

/// Scores of every experiment among `runs`.
pub fn group_scores(runs: &[RunRecord], last: usize) -> Vec<GroupScore> {
    group_by_name(runs)
        .into_iter()
        .map(|(name, g)| {
            let scores: Vec<f64> = g.iter().filter_map(|r| final_score(r, last)).collect();
            GroupScore {
                without_episodes: g.len() - scores.len(),
                mean: mean(&scores),
                ci95: ci95_half_width(&scores),
                name,
                scores,
            }
        })
        .collect()
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.4}"))
}

/// The table as Markdown.
pub fn markdown(groups: &[GroupScore], last: usize) -> String {
    let mut s = format!(
        "Final score: mean of the last {last} logged episode-return means of each run; across runs, the mean and \
         the 95% confidence interval (Student's t).\n\n| experiment | runs | final score | 95% CI |\n|---|---:|---:|---|\n"
    );
    for g in groups {
        let ci = match (g.mean, g.ci95) {
            (Some(m), Some(h)) => format!("[{:.4}, {:.4}]", m - h, m + h),
            _ => "n/a (one run)".into(),
        };
        let runs = match g.without_episodes {
            0 => g.scores.len().to_string(),
            n => format!("{} (+{n} without episodes)", g.scores.len()),
        };
        s += &format!("| {} | {runs} | {} | {ci} |\n", g.name.replace('|', "\\|"), number(g.mean));
    }
    s
}

/// The table as CSV.
pub fn csv(groups: &[GroupScore], last: usize) -> String {
    let mut s = String::from("experiment,runs,last_n,mean,ci95_low,ci95_high\n");
    for g in groups {
        let bound = |sign: f64| g.mean.zip(g.ci95).map(|(m, h)| m + sign * h);
        let name =
            if g.name.contains([',', '"']) { format!("\"{}\"", g.name.replace('"', "\"\"")) } else { g.name.clone() };
        s += &format!(
            "{name},{},{last},{},{},{}\n",
            g.scores.len(),
            number(g.mean),
            number(bound(-1.0)),
            number(bound(1.0))
        );
    }
    s
}
