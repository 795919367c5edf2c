//! The statistics behind figures and reports: means and quantiles across seeds, runs put
//! on a common x grid, kernel density estimates, and Student's t quantile for confidence
//! intervals.

/// The arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The sample standard deviation (n − 1 in the denominator); `None` for fewer than two values.
pub fn std_dev(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    (values.len() > 1).then(|| (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt())
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

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = C[0] + C[1..].iter().enumerate().map(|(i, c)| c / (x + i as f64 + 1.0)).sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction (modified
/// Lentz's method; Numerical Recipes, 3rd ed., §6.4).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    // The fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise.
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(1.0 - x, b, a);
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp() / a;
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    d = 1.0 / if d.abs() < tiny { tiny } else { d };
    let mut f = d;
    for m in 1..500 {
        let m = m as f64;
        for numerator in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + numerator * d;
            d = 1.0 / if d.abs() < tiny { tiny } else { d };
            c = 1.0 + numerator / c;
            c = if c.abs() < tiny { tiny } else { c };
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-15 {
            break;
        }
    }
    front * f
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom:
/// 1 − ½ I_{df/(df+t²)}(df/2, ½) for t ≥ 0, and by symmetry below 0.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF to 1e-12).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi): (f64, f64) = (-1e6, 1e6);
    while hi - lo > 1e-12 * hi.abs().max(1.0) {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
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
