//! The per-category distribution plot: for each category (a state, say), its values across
//! seeds as a violin (a Gaussian kernel density, mirrored), every value as a dot, and the
//! median as a bar; as in the paper's Figure 1, final γ(s) or λ(s) per state.

use super::font;
use super::stats::{kde, quantile};
use super::style::{caption_size, colour, draw_error, padded_range, tick_for, SIZE};
use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use std::path::Path;

/// Half the width of the widest violin, in category units.
const HALF_WIDTH: f64 = 0.4;
/// Points at which each density is evaluated.
const DENSITY_POINTS: usize = 80;

/// Draws one violin per `(category, values)` into a PNG at `path`. Every violin has the
/// same width at its peak; its shape, not its area, shows the spread.
pub fn distribution_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    categories: &[(String, Vec<f64>)],
) -> Result<()> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    draw_distribution(&root, title, x_label, y_label, categories)
        .map_err(|e| e.context(format!("cannot draw {}", path.display())))?;
    root.present().map_err(|e| draw_error(path, e))
}

/// Draws the distribution plot into `area` (a whole image, or one panel of a figure).
pub fn draw_distribution<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    categories: &[(String, Vec<f64>)],
) -> Result<()> {
    font::register();
    let Some(yr) = padded_range(categories.iter().flat_map(|(_, v)| v.iter().copied())) else {
        bail!("nothing to plot: no category has a finite value");
    };
    let names: Vec<String> = categories.iter().map(|(n, _)| n.clone()).collect();
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{e}");
    area.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (font::FAMILY, caption_size(title)))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.6..categories.len() as f64 - 0.4, yr.0..yr.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_labels(categories.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .y_label_formatter(&tick_for(yr.0, yr.1))
        .label_style((font::FAMILY, 15))
        .axis_desc_style((font::FAMILY, 17))
        .draw()
        .map_err(err)?;
    let densities: Vec<Option<(Vec<f64>, Vec<f64>)>> = categories
        .iter()
        .map(|(_, v)| {
            let (lo, hi) = padded_range(v.iter().copied())?;
            let grid: Vec<f64> =
                (0..DENSITY_POINTS).map(|i| lo + (hi - lo) * i as f64 / (DENSITY_POINTS - 1) as f64).collect();
            Some((kde(v, &grid)?, grid))
        })
        .collect();
    for (i, ((_, values), density)) in categories.iter().zip(&densities).enumerate() {
        let c = colour(0, 1);
        let x = i as f64;
        if let Some((d, grid)) = density {
            // Each violin as wide as the others at its own peak (seaborn's `density_norm="width"`):
            // a tight category would otherwise squash every other one to a line.
            let peak = d.iter().copied().fold(0.0, f64::max);
            let w = |k: usize| HALF_WIDTH * d[k] / peak;
            let outline: Vec<(f64, f64)> = (0..grid.len())
                .map(|k| (x + w(k), grid[k]))
                .chain((0..grid.len()).rev().map(|k| (x - w(k), grid[k])))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(outline.clone(), c.mix(0.25).filled()))).map_err(err)?;
            chart.draw_series(std::iter::once(PathElement::new(outline, c.stroke_width(1)))).map_err(err)?;
        }
        chart
            .draw_series(values.iter().filter(|v| v.is_finite()).map(|&v| Circle::new((x, v), 3, BLACK.filled())))
            .map_err(err)?;
        if let Some(m) = quantile(values, 0.5) {
            let bar = vec![(x - HALF_WIDTH / 2.0, m), (x + HALF_WIDTH / 2.0, m)];
            chart.draw_series(std::iter::once(PathElement::new(bar, colour(5, 8).stroke_width(3)))).map_err(err)?;
        }
    }
    Ok(())
}
