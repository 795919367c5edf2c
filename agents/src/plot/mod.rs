//! Figures and tables of results: the reusable band plot (mean with a 20%–80% band across
//! seeds) and per-category distribution plot, the figures of `mgrl plot`, the table of
//! `mgrl report`, and the statistics behind them. Text uses a font compiled into the binary.

pub mod band;
pub mod distribution;
pub mod figures;
pub mod font;
pub mod report;
pub mod runs;
pub mod stats;
pub mod style;

pub use band::{band_plot, Series};
pub use distribution::distribution_plot;
