//! The statistics behind figures and reports: means and quantiles across seeds, runs put
//! on a common x grid, kernel density estimates, and Student's t for confidence intervals.
//! Means, deviations and the t distribution are `statrs`'; the quantile is written here
//! because statrs interpolates by another rule (Hyndman & Fan's type 8) than NumPy's, which
//! rliable's intervals and our bands use.

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
use statrs::statistics::Statistics;

/// The arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.mean())
}

/// The distinct values, in order of first appearance.
pub fn unique(values: Vec<&str>) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The sample standard deviation (n − 1 in the denominator); `None` for fewer than two values.
pub fn std_dev(values: &[f64]) -> Option<f64> {
    (values.len() > 1).then(|| values.std_dev())
}

/// The q-quantile by linear interpolation between order statistics (Hyndman & Fan's type 7,
/// the default of R and NumPy); `None` for no values.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (sorted.len().checked_sub(1)? as f64);
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// y of a curve (points sorted by x) at `x` by linear interpolation; `None` outside its range.
pub fn interpolate(curve: &[(f64, f64)], x: f64) -> Option<f64> {
    let i = curve.partition_point(|p| p.0 < x);
    match (i.checked_sub(1).map(|j| curve[j]), curve.get(i)) {
        (_, Some(&(x1, y1))) if x1 == x => Some(y1),
        (Some((x0, y0)), Some(&(x1, y1))) => Some(y0 + (y1 - y0) * (x - x0) / (x1 - x0)),
        _ => None,
    }
}

/// One point of a band: the mean across runs and the 20% and 80% quantiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    pub x: f64,
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Several runs of one curve summarised on the x grid of the run with most points: at each
/// x, the runs whose range covers it are interpolated there and summarised.
pub fn band(runs: &[Vec<(f64, f64)>], lo_q: f64, hi_q: f64) -> Vec<BandPoint> {
    let sorted: Vec<Vec<(f64, f64)>> = runs
        .iter()
        .map(|r| {
            let mut r: Vec<(f64, f64)> = r.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
            r.sort_by(|a, b| a.0.total_cmp(&b.0));
            r
        })
        .collect();
    let Some(grid) = sorted.iter().max_by_key(|r| r.len()) else { return Vec::new() };
    grid.iter()
        .filter_map(|&(x, _)| {
            let ys: Vec<f64> = sorted.iter().filter_map(|r| interpolate(r, x)).collect();
            Some(BandPoint { x, mean: mean(&ys)?, lo: quantile(&ys, lo_q)?, hi: quantile(&ys, hi_q)? })
        })
        .collect()
}

/// Gaussian kernel density estimate of `values` at `at`, with Silverman's bandwidth
/// h = 1.06 σ n^(−1/5); `None` when the values do not spread (σ = 0 or fewer than two).
pub fn kde(values: &[f64], at: &[f64]) -> Option<Vec<f64>> {
    let sigma = std_dev(values).filter(|s| *s > 0.0)?;
    let n = values.len() as f64;
    let h = 1.06 * sigma * n.powf(-0.2);
    let norm = 1.0 / (n * h * (2.0 * std::f64::consts::PI).sqrt());
    Some(at.iter().map(|&y| norm * values.iter().map(|v| (-0.5 * ((y - v) / h).powi(2)).exp()).sum::<f64>()).collect())
}

/// Student's t with `df` degrees of freedom (`df` > 0).
fn student_t(df: f64) -> StudentsT {
    // Location 0, scale 1 and a positive df are valid parameters; NaN df is a caller's bug.
    StudentsT::new(0.0, 1.0, df).unwrap_or_else(|e| unreachable!("Student's t with df = {df}: {e}"))
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    student_t(df).cdf(t)
}

/// The p-quantile of Student's t with `df` degrees of freedom: statrs' inverse (through the
/// inverse incomplete beta, which loses digits for large df), polished by Newton's steps on
/// its CDF.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let dist = student_t(df);
    let mut t = dist.inverse_cdf(p);
    for _ in 0..4 {
        let step = (dist.cdf(t) - p) / dist.pdf(t);
        if !step.is_finite() {
            break;
        }
        t -= step;
    }
    t
}

/// The half-width of the two-sided 95% confidence interval of the mean of `values`
/// (t₀.₉₇₅,ₙ₋₁ · s/√n); `None` for fewer than two values.
pub fn ci95_half_width(values: &[f64]) -> Option<f64> {
    let s = std_dev(values)?;
    let n = values.len() as f64;
    Some(student_t_quantile(0.975, n - 1.0) * s / n.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_published_table() {
        // Two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, Table 1.3.6.7.2).
        for (df, t) in [(1.0, 12.706), (2.0, 4.303), (4.0, 2.776), (9.0, 2.262), (30.0, 2.042), (100.0, 1.984)] {
            let q = student_t_quantile(0.975, df);
            assert!((q - t).abs() < 5e-4, "df {df}: {q} vs {t}");
        }
        assert!((student_t_quantile(0.975, 1e7) - 1.959_964).abs() < 1e-5);
        assert!((student_t_cdf(0.0, 3.0) - 0.5).abs() < 1e-15);
        // df = 1 is the Cauchy distribution: P(T ≤ t) = ½ + atan(t)/π.
        for t in [-3.0, -0.2, 0.7, 5.0] {
            let cauchy = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert!((student_t_cdf(t, 1.0) - cauchy).abs() < 1e-12, "t {t}");
        }
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.2), Some(1.8));
        assert_eq!(quantile(&v, 0.8), Some(4.2));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(std_dev(&[2.0, 4.0]), Some(2f64.sqrt()));
    }

    #[test]
    fn band_puts_runs_on_the_densest_grid_and_summarises_each_point() {
        let a = vec![(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)];
        let b = vec![(0.0, 2.0), (2.0, 4.0)]; // interpolated to 3.0 at x = 1
        let band = band(&[a, b], 0.2, 0.8);
        assert_eq!(band.len(), 3);
        assert_eq!(band[1], BandPoint { x: 1.0, mean: 2.0, lo: 1.4, hi: 2.6 });
    }

    #[test]
    fn kde_integrates_to_one_and_needs_spread() {
        let values = [0.1, 0.4, 0.5, 0.9];
        let grid: Vec<f64> = (0..=4000).map(|i| -2.0 + i as f64 * 0.001).collect();
        let density = kde(&values, &grid).unwrap();
        let integral: f64 = density.iter().sum::<f64>() * 0.001;
        assert!((integral - 1.0).abs() < 1e-3, "{integral}");
        assert!(kde(&[0.3, 0.3], &grid).is_none());
    }
}
