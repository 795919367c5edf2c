//! What the run loop gathers between two metrics rows: the returns of the episodes that
//! ended and the running sums of every reported scalar.

use super::metrics::{MetricsRow, META_PREFIX};
use crate::UpdateReport;

/// The updates of one logging interval, summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntervalStats {
    /// Returns of the episodes that ended, in order.
    pub episode_returns: Vec<f64>,
    /// (name, sum, updates that reported it), in order of first appearance.
    pub scalars: Vec<(String, f64, u64)>,
}

impl IntervalStats {
    /// Adds one update's report.
    pub fn add(&mut self, report: &UpdateReport) {
        self.episode_returns.extend_from_slice(&report.episode_returns);
        for (name, value) in &report.scalars {
            match self.scalars.iter_mut().find(|(n, _, _)| n == name) {
                Some((_, sum, count)) => {
                    *sum += value;
                    *count += 1;
                }
                None => self.scalars.push((name.clone(), *value, 1)),
            }
        }
    }

    /// The metrics row of the interval: the fixed columns, each scalar's mean over the
    /// updates that reported it, and the meta-parameters' current values.
    pub fn row(&self, update: u64, frames: u64, wall_time_s: f64, meta: &[(String, f64)]) -> MetricsRow {
        let returns = &self.episode_returns;
        let stat = |f: fn(f64, f64) -> f64| returns.iter().copied().reduce(f);
        let mean = (!returns.is_empty()).then(|| returns.iter().sum::<f64>() / returns.len() as f64);
        let mut values = vec![
            ("update".to_string(), Some(update as f64)),
            ("frames".to_string(), Some(frames as f64)),
            ("wall_time_s".to_string(), Some((wall_time_s * 1000.0).round() / 1000.0)),
            ("episodes".to_string(), Some(returns.len() as f64)),
            ("return_mean".to_string(), mean),
            ("return_min".to_string(), stat(f64::min)),
            ("return_max".to_string(), stat(f64::max)),
        ];
        values.extend(self.scalars.iter().map(|(n, sum, count)| (n.clone(), Some(sum / *count as f64))));
        values.extend(meta.iter().map(|(n, v)| (format!("{META_PREFIX}{n}"), Some(*v))));
        MetricsRow { values }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_holds_return_stats_scalar_means_and_prefixed_meta_values() {
        let mut s = IntervalStats::default();
        s.add(&UpdateReport { frames: 4, episode_returns: vec![1.0, 3.0], scalars: vec![("loss".into(), 2.0)] });
        s.add(&UpdateReport { frames: 4, episode_returns: vec![-1.0], scalars: vec![("loss".into(), 4.0)] });
        let row = s.row(2, 8, 0.5, &[("gamma[1]".into(), 0.9)]);
        assert_eq!(row.get("episodes"), Some(3.0));
        assert_eq!(row.get("return_mean"), Some(1.0));
        assert_eq!(row.get("return_min"), Some(-1.0));
        assert_eq!(row.get("return_max"), Some(3.0));
        assert_eq!(row.get("loss"), Some(3.0));
        assert_eq!(row.get("meta/gamma[1]"), Some(0.9));
    }

    #[test]
    fn an_interval_without_episodes_has_no_return_stats() {
        let row = IntervalStats::default().row(1, 0, 0.0, &[]);
        assert_eq!(row.get("episodes"), Some(0.0));
        assert_eq!(row.get("return_mean"), None);
        assert_eq!(row.get("return_max"), None);
    }
}
