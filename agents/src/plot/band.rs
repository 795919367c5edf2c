//! The band plot: each series is several runs of one curve (seeds), drawn as their mean with
//! the 20%–80% quantile band shaded, as in the paper's Figure 1.

use super::font;
use super::stats::{band, BandPoint};
use super::style::{caption_size, colour, draw_error, padded_range, tick_for, SIZE};
use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use std::path::Path;

/// Lower and upper quantile of the shaded band.
pub const BAND_QUANTILES: (f64, f64) = (0.2, 0.8);

/// One curve across runs: `runs[i]` holds the (x, y) points of run i; `marks`, points drawn
/// as a cross on the curve's colour (where a run diverged); `colour`, the curve's place in a
/// palette shared by several figures (a sweep's variant keeps its colour in all of them),
/// `None` for the next colour in this figure.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub label: String,
    pub runs: Vec<Vec<(f64, f64)>>,
    pub marks: Vec<(f64, f64)>,
    pub colour: Option<usize>,
}

/// The colours of curves with these places: the shared palette when every curve has a place
/// and no two share one, else one colour each in order.
fn curve_colours(places: &[Option<usize>]) -> Vec<RGBColor> {
    let given: Vec<usize> = places.iter().flatten().copied().collect();
    let shared = given.len() == places.len() && (1..given.len()).all(|i| !given[..i].contains(&given[i]));
    if shared {
        let n = given.iter().max().map_or(0, |m| m + 1);
        given.iter().map(|&p| colour(p, n)).collect()
    } else {
        (0..places.len()).map(|i| colour(i, places.len())).collect()
    }
}

/// Draws every series as mean ± 20%–80% band into a PNG at `path`.
pub fn band_plot(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Result<()> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    draw_band(&root, title, x_label, y_label, series)
        .map_err(|e| e.context(format!("cannot draw {}", path.display())))?;
    root.present().map_err(|e| draw_error(path, e))
}

/// Draws the band plot into `area` (a whole image, or one panel of a figure made with
/// plotters' `split_evenly`).
pub fn draw_band<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<()> {
    font::register();
    let bands: Vec<(&Series, Vec<BandPoint>)> = series
        .iter()
        .map(|s| (s, band(&s.runs, BAND_QUANTILES.0, BAND_QUANTILES.1)))
        .filter(|(_, b)| !b.is_empty())
        .collect();
    let points = || bands.iter().flat_map(|(_, b)| b.iter());
    let (Some(xr), Some(yr)) =
        (padded_range(points().map(|p| p.x)), padded_range(points().flat_map(|p| [p.lo, p.hi, p.mean])))
    else {
        bail!("nothing to plot: no series has a finite point");
    };
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{e}");
    area.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (font::FAMILY, caption_size(title)))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((font::FAMILY, 15))
        .axis_desc_style((font::FAMILY, 17))
        .light_line_style(WHITE.mix(0.0))
        .x_label_formatter(&tick_for(xr.0, xr.1))
        .y_label_formatter(&tick_for(yr.0, yr.1))
        .draw()
        .map_err(err)?;
    // Many overlapping bands are lighter, so the lines stay readable through them.
    let shade = if bands.len() > 4 { 0.1 } else { 0.2 };
    let colours = curve_colours(&bands.iter().map(|(s, _)| s.colour).collect::<Vec<_>>());
    for (i, (s, b)) in bands.iter().enumerate() {
        let c = colours[i];
        let outline: Vec<(f64, f64)> =
            b.iter().map(|p| (p.x, p.hi)).chain(b.iter().rev().map(|p| (p.x, p.lo))).collect();
        chart.draw_series(std::iter::once(Polygon::new(outline, c.mix(shade).filled()))).map_err(err)?;
        chart
            .draw_series(LineSeries::new(b.iter().map(|p| (p.x, p.mean)), c.stroke_width(2)))
            .map_err(err)?
            .label(s.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(2)));
        chart
            .draw_series(
                s.marks
                    .iter()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .map(|&p| Cross::new(p, 7, c.stroke_width(3))),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((font::FAMILY, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_curve_keeps_its_place_in_the_palette_when_others_are_absent() {
        let all = curve_colours(&[Some(0), Some(1), Some(2), Some(3)]);
        assert_eq!(curve_colours(&[Some(1), Some(3)]), vec![all[1], all[3]]);
        // Two curves in one place, or one without a place: colours in order.
        assert_eq!(curve_colours(&[Some(3), Some(3)]), vec![all[0], all[1]]);
        assert_eq!(curve_colours(&[Some(3), None]), vec![all[0], all[1]]);
    }
}
