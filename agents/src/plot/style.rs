//! What every figure shares: size, colours (Okabe & Ito's colour-blind-safe palette), the
//! font, and turning plotters' errors into ours.

use plotters::style::{Color, HSLColor, RGBColor};

/// Pixels of a figure.
pub const SIZE: (u32, u32) = (960, 600);

/// Okabe & Ito (2008), "Color Universal Design": distinguishable under every common colour
/// vision deficiency.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(0, 0, 0),
    // Yellow last: the faintest on white.
    RGBColor(240, 228, 66),
];

/// The colour of series `i` of `n`: Okabe & Ito's for up to eight, otherwise `n` hues
/// spread evenly (a per-state table of ten entries still gets ten distinct colours).
pub fn colour(i: usize, n: usize) -> RGBColor {
    if n <= PALETTE.len() {
        return PALETTE[i % PALETTE.len()];
    }
    let (r, g, b) = HSLColor(0.83 * i as f64 / (n - 1) as f64, 0.7, 0.42).rgb();
    RGBColor(r, g, b)
}

/// A plotters error, with the file being drawn.
pub fn draw_error(path: &std::path::Path, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("cannot draw {}: {e}", path.display())
}

/// An axis tick on an axis spanning `lo..hi`: integers without a fraction (thousands as `k`,
/// millions as `M`), other values with as many decimals as a tenth of the span needs, so
/// that neighbouring ticks never print alike (γ moving in its third decimal gets four).
pub fn tick_for(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = (hi - lo).abs() / 10.0;
    let decimals = if step > 0.0 && step.is_finite() { (-step.log10()).ceil().clamp(0.0, 8.0) as usize } else { 3 };
    move |v| tick(*v, decimals.max(1))
}

/// One tick with at most `decimals` decimals (trailing zeros dropped).
fn tick(v: f64, decimals: usize) -> String {
    let short = |x: f64, decimals: usize| {
        let s = format!("{x:.decimals$}");
        let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
        if s == "-0" {
            "0".to_string()
        } else {
            s
        }
    };
    match v.abs() {
        a if a >= 1e6 => format!("{}M", short(v / 1e6, 2)),
        a if a >= 1e4 => format!("{}k", short(v / 1e3, 1)),
        _ => short(v, decimals),
    }
}

/// The caption's font size: 24 px, smaller for a title too long to fit the figure's width
/// (a glyph of this font is about half its size wide).
pub fn caption_size(title: &str) -> u32 {
    let fits = (SIZE.0 as f64 - 40.0) / (0.52 * title.chars().count().max(1) as f64);
    fits.clamp(12.0, 24.0) as u32
}

/// (lo, hi) of `values` widened by 5% (or by 1 when they are all equal), for an axis.
pub fn padded_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, v| Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))))?;
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    Some((lo - pad, hi + pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_series_get_distinct_colours() {
        for n in [3, 10, 16] {
            let colours: Vec<RGBColor> = (0..n).map(|i| colour(i, n)).collect();
            for i in 0..n {
                for j in 0..i {
                    assert_ne!(colours[i], colours[j], "series {i} and {j} of {n}");
                }
            }
        }
    }

    #[test]
    fn ticks_are_short() {
        let t = tick_for(0.0, 3.0);
        assert_eq!(t(&5000.0), "5000");
        assert_eq!(t(&40000.0), "40k");
        assert_eq!(t(&12500.0), "12.5k");
        assert_eq!(t(&2_000_000.0), "2M");
        assert_eq!(t(&0.26), "0.3");
        assert_eq!(t(&-0.0001), "0");
        assert_eq!(t(&3.0), "3");
    }

    #[test]
    fn neighbouring_ticks_differ_on_a_narrow_axis() {
        let t = tick_for(0.9865, 0.9905);
        let labels: Vec<String> = (0..9).map(|i| t(&(0.987 + 0.0005 * i as f64))).collect();
        for w in labels.windows(2) {
            assert_ne!(w[0], w[1], "{labels:?}");
        }
        assert_eq!(t(&0.9895), "0.9895");
    }

    #[test]
    fn long_captions_shrink() {
        assert_eq!(caption_size("short"), 24);
        let long = "minatar/asterix: episode return (mean and 20%–80% band over 5 seeds, moving average of 5 rows)";
        assert!(caption_size(long) < 20);
    }
}
