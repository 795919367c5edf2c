//! Figures and tables of results: the reusable band plot (mean with a 20%–80% band across
//! seeds) and per-category distribution plot, the figures of `mgrl plot`, the table of
//! `mgrl report`, and the statistics behind them.
//!
//! Each plot comes as a function that writes a PNG (`band_plot`, `distribution_plot`) and
//! one that draws into a plotters drawing area (`draw_band`, `draw_distribution`), so that
//! a figure of several panels is assembled with `split_evenly`:
//!
//! ```no_run
//! use mgrl_agents::plot::{draw_band, draw_distribution, Series};
//! use plotters::prelude::*;
//! # fn main() -> anyhow::Result<()> {
//! let runs = vec![vec![(0.0, 0.5), (100.0, 0.9)], vec![(0.0, 0.5), (100.0, 0.8)]];
//! let root = BitMapBackend::new("figure1.png", (1600, 600)).into_drawing_area();
//! let panels = root.split_evenly((1, 2));
//! draw_band(&panels[0], "γ over training", "update", "γ", &[Series { label: "γ(s)".into(), runs, ..Default::default() }])?;
//! draw_distribution(&panels[1], "final γ(s)", "state", "γ", &[("0".into(), vec![0.9, 0.8])])?;
//! root.present()?;
//! # Ok(())
//! # }
//! ```
//!
//! Text uses a font compiled into the binary.

pub mod aggregate;
pub mod band;
pub mod distribution;
pub mod figures;
pub mod font;
pub mod report;
pub mod runs;
pub mod stats;
pub mod style;

pub use band::{band_plot, draw_band, Series};
pub use distribution::{distribution_plot, draw_distribution};

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn both_plots_draw_into_panels_of_one_figure() {
        let (w, h) = (800u32, 300u32);
        let mut pixels = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            let panels = root.split_evenly((1, 2));
            let runs = vec![vec![(0.0, 0.5), (50.0, 0.7), (100.0, 0.9)], vec![(0.0, 0.5), (100.0, 0.8)]];
            draw_band(&panels[0], "γ", "update", "γ", &[Series { label: "γ".into(), runs, ..Default::default() }])
                .unwrap();
            let states = [("0".to_string(), vec![0.9, 0.8, 0.85]), ("1".to_string(), vec![0.1, 0.2, 0.15])];
            draw_distribution(&panels[1], "final γ(s)", "state", "γ", &states).unwrap();
            root.present().unwrap();
        }
        // The palette's first colour (0, 114, 178) and its light shade fill part of each half.
        let tinted = |x0: u32, x1: u32| {
            (0..h)
                .flat_map(|y| (x0..x1).map(move |x| ((y * w + x) * 3) as usize))
                .filter(|&i| u16::from(pixels[i + 2]) > u16::from(pixels[i]) + 40)
                .count()
        };
        assert!(tinted(0, w / 2) > 500, "band panel: {} tinted pixels", tinted(0, w / 2));
        assert!(tinted(w / 2, w) > 500, "violin panel: {} tinted pixels", tinted(w / 2, w));
    }

    #[test]
    fn a_plot_without_finite_data_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let series = [Series { label: "x".into(), runs: vec![vec![(0.0, f64::NAN)]], ..Default::default() }];
        let err = band_plot(&dir.path().join("b.png"), "t", "x", "y", &series).unwrap_err();
        assert!(format!("{err:#}").contains("no series has a finite point"), "{err:#}");
        let err = distribution_plot(&dir.path().join("d.png"), "t", "x", "y", &[("a".into(), vec![])]).unwrap_err();
        assert!(format!("{err:#}").contains("no category has a finite value"), "{err:#}");
    }
}
