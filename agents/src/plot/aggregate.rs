//! Aggregate scores of many runs on several tasks, with their uncertainty, after Agarwal et
//! al. (2021), "Deep Reinforcement Learning at the Edge of the Statistical Precipice"
//! (NeurIPS; the `rliable` library):
//!
//! - the mean, the median and the interquartile mean (IQM: the mean of the middle 50% of the
//!   scores, SciPy's `trim_mean(x, 0.25)`: ⌊n/4⌋ scores cut from each end) of every run's
//!   score on every task, pooled;
//! - their 95% confidence intervals by the percentile bootstrap, *stratified*: each resample
//!   draws, task by task, as many runs as the task has, with replacement, so that every task
//!   keeps its weight;
//! - the probability of improvement P(X > Y): for each task, the probability that a run of X
//!   scores above a run of Y (ties count a half, the Mann–Whitney U statistic over n·m),
//!   averaged over the tasks; its interval by resampling X's and Y's runs apart, per task.
//!
//! Scores are grouped per task: `scores[t]` holds the runs' scores on task t. Resampling uses
//! a fixed seed, so a report is the same every time it is made from the same runs.

use super::stats::{mean, quantile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Resamples of every bootstrap.
pub const RESAMPLES: usize = 2000;
/// The seed of every bootstrap.
pub const SEED: u64 = 0;
/// Coverage of the intervals.
pub const CONFIDENCE: f64 = 0.95;

/// An aggregate of pooled scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Mean,
    Median,
    Iqm,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Mean, Metric::Median, Metric::Iqm];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Mean => "mean",
            Metric::Median => "median",
            Metric::Iqm => "IQM",
        }
    }

    /// The metric of `values`; `None` for none.
    pub fn of(self, values: &[f64]) -> Option<f64> {
        match self {
            Metric::Mean => mean(values),
            Metric::Median => quantile(values, 0.5),
            Metric::Iqm => iqm(values),
        }
    }
}

/// The interquartile mean: ⌊n/4⌋ values cut from each end of the sorted values, the mean of
/// the rest (SciPy's `trim_mean(values, 0.25)`, as rliable computes it).
pub fn iqm(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cut = sorted.len() / 4;
    mean(&sorted[cut..sorted.len() - cut])
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub point: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The runs of every task resampled with replacement, task by task.
fn resample(tasks: &[Vec<f64>], rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    tasks.iter().map(|t| (0..t.len()).map(|_| t[rng.gen_range(0..t.len())]).collect()).collect()
}

/// The percentile interval of bootstrap statistics around `point`.
fn percentile_interval(point: f64, stats: &[f64]) -> Option<Interval> {
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Some(Interval { point, lo: quantile(stats, tail)?, hi: quantile(stats, 1.0 - tail)? })
}

/// `metric` of every task's scores pooled, with its stratified-bootstrap interval; `None` when
/// no task has a score. Tasks without scores are left out.
pub fn aggregate(tasks: &[Vec<f64>], metric: Metric, resamples: usize, seed: u64) -> Option<Interval> {
    let tasks: Vec<Vec<f64>> = tasks.iter().filter(|t| !t.is_empty()).cloned().collect();
    let point = metric.of(&tasks.concat())?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let stats: Vec<f64> = (0..resamples).filter_map(|_| metric.of(&resample(&tasks, &mut rng).concat())).collect();
    percentile_interval(point, &stats)
}

/// P(X > Y) + ½ P(X = Y) for one run of X and one of Y drawn at random.
fn pairwise(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let wins: f64 = x
        .iter()
        .flat_map(|a| {
            y.iter().map(move |b| {
                if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                }
            })
        })
        .sum();
    Some(wins / (x.len() * y.len()) as f64)
}

/// The probability of improvement of X over Y, averaged over the tasks where both have
/// scores (`x[t]` and `y[t]` are the same task); `None` if there is no such task.
pub fn probability_of_improvement(x: &[Vec<f64>], y: &[Vec<f64>]) -> Option<f64> {
    let per_task: Vec<f64> = x.iter().zip(y).filter_map(|(a, b)| pairwise(a, b)).collect();
    mean(&per_task)
}

/// [`probability_of_improvement`] with its interval: X's and Y's runs resampled apart, task by
/// task.
pub fn probability_of_improvement_ci(x: &[Vec<f64>], y: &[Vec<f64>], resamples: usize, seed: u64) -> Option<Interval> {
    let (x, y): (Vec<Vec<f64>>, Vec<Vec<f64>>) =
        x.iter().zip(y).filter(|(a, b)| !a.is_empty() && !b.is_empty()).map(|(a, b)| (a.clone(), b.clone())).unzip();
    let point = probability_of_improvement(&x, &y)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let stats: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            let (rx, ry) = (resample(&x, &mut rng), resample(&y, &mut rng));
            probability_of_improvement(&rx, &ry)
        })
        .collect();
    percentile_interval(point, &stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iqm_is_the_mean_of_the_middle_half() {
        // n = 8: two cut from each end, the mean of 3, 4, 5, 6.
        assert_eq!(iqm(&[8.0, 1.0, 7.0, 2.0, 6.0, 3.0, 5.0, 4.0]), Some(4.5));
        // n = 5: ⌊5/4⌋ = 1 cut from each end, the mean of 2, 3, 10; the outlier 100 is gone.
        assert_eq!(iqm(&[10.0, 1.0, 2.0, 3.0, 100.0]), Some(5.0));
        // n = 3: nothing cut.
        assert_eq!(iqm(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(iqm(&[]), None);
        assert_eq!(Metric::Median.of(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn probability_of_improvement_counts_wins_and_half_ties_averaged_over_tasks() {
        // Task 1: X = {3, 5}, Y = {1, 3}: 3>1, 3=3 (½), 5>1, 5>3 → 3.5 of 4 = 0.875.
        // Task 2: X = {1, 3}, Y = {2, 2}: 1<2, 1<2, 3>2, 3>2 → 2 of 4 = 0.5.
        let x = vec![vec![3.0, 5.0], vec![1.0, 3.0]];
        let y = vec![vec![1.0, 3.0], vec![2.0, 2.0]];
        assert_eq!(probability_of_improvement(&x, &y), Some(0.6875));
        // And the other way round: 1 − 0.6875.
        assert_eq!(probability_of_improvement(&y, &x), Some(0.3125));
        // A task only one side has is left out.
        let y3 = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![]];
        let x3 = vec![vec![3.0, 5.0], vec![1.0, 3.0], vec![9.0]];
        assert_eq!(probability_of_improvement(&x3, &y3), Some(0.6875));
    }

    #[test]
    fn a_bootstrap_stratified_by_task_keeps_each_tasks_weight() {
        // Every run of a task scores the same: each stratified resample is the same set, so
        // the interval is the point (pooled, unstratified resampling would move the mean).
        let tasks = vec![vec![1.0, 1.0, 1.0], vec![3.0, 3.0, 3.0]];
        let ci = aggregate(&tasks, Metric::Mean, 500, 1).unwrap();
        assert_eq!(ci, Interval { point: 2.0, lo: 2.0, hi: 2.0 });
        // Spread within tasks gives an interval around the point, the same for the same seed.
        let tasks = vec![vec![0.0, 1.0, 2.0, 3.0, 4.0], vec![10.0, 11.0, 12.0, 13.0, 14.0]];
        let ci = aggregate(&tasks, Metric::Iqm, RESAMPLES, SEED).unwrap();
        assert_eq!(ci.point, 7.0); // ⌊10/4⌋ = 2 cut: the mean of 2, 3, 4, 10, 11, 12
        assert!(ci.lo < ci.point && ci.point < ci.hi, "{ci:?}");
        assert_eq!(Some(ci), aggregate(&tasks, Metric::Iqm, RESAMPLES, SEED));
    }

    #[test]
    fn a_variant_better_on_every_run_improves_with_certainty() {
        let x = vec![vec![5.0, 6.0], vec![7.0]];
        let y = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
        let ci = probability_of_improvement_ci(&x, &y, 200, 0).unwrap();
        assert_eq!(ci, Interval { point: 1.0, lo: 1.0, hi: 1.0 });
    }
}
