//! What a run shows while it runs: a progress bar on a terminal (updates, frames, frames/s,
//! the latest episode return, the current meta-parameter values, ETA), plain lines when
//! stderr is a file or a pipe. Only stderr is touched; nothing here reaches the metrics.

use super::checkpoint::Counters;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Meta-parameter values shown in full; more are summarised by their count.
const SHOWN_META: usize = 4;
/// Seconds between two plain progress lines.
const LINE_EVERY: Duration = Duration::from_secs(2);

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    started: Instant,
    start_update: u64,
    start_frames: u64,
    last_line: Option<Instant>,
}

impl Progress {
    /// A bar if stderr is a terminal, plain lines otherwise; `counters` is where the run starts.
    pub fn new(total: u64, counters: &Counters) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} updates  ETA {eta}  {wide_msg}")
                    .expect("the template is valid")
                    .progress_chars("█▉▊▋▌▍▎▏ "),
            );
            bar.set_position(counters.update);
            bar
        });
        Progress {
            bar,
            total,
            started: Instant::now(),
            start_update: counters.update,
            start_frames: counters.frames,
            last_line: None,
        }
    }

    /// Called after every update; `row_written` after those that wrote a metrics row, with
    /// the latest episode return and the meta-parameter values.
    pub fn update(&mut self, counters: &Counters, latest_return: Option<f64>, meta: &[(String, f64)], row: bool) {
        if let Some(bar) = &self.bar {
            bar.set_position(counters.update);
        }
        let last = counters.update == self.total;
        if !row && !last {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-9);
        let fps = (counters.frames - self.start_frames) as f64 / elapsed;
        let mut msg = format!("frames {}  {} frames/s", human(counters.frames as f64), human(fps));
        if let Some(r) = latest_return {
            msg += &format!("  return {r:.3}");
        }
        for (name, v) in meta.iter().take(SHOWN_META) {
            msg += &format!("  {name} {v:.4}");
        }
        if meta.len() > SHOWN_META {
            msg += &format!("  (+{} more)", meta.len() - SHOWN_META);
        }
        match &self.bar {
            Some(bar) => bar.set_message(msg),
            None => {
                if last || self.last_line.is_none_or(|t| t.elapsed() >= LINE_EVERY) {
                    let done = counters.update - self.start_update;
                    let left = self.total - counters.update;
                    let eta = if done > 0 { elapsed * left as f64 / done as f64 } else { 0.0 };
                    eprintln!("update {}/{}  ETA {}  {msg}", counters.update, self.total, clock(eta));
                    self.last_line = Some(Instant::now());
                }
            }
        }
    }

    /// Prints a line above the bar (or as a plain line).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Leaves the bar on screen in its final state.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

/// 12345 → "12.3k".
fn human(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2}G", v / 1e9),
        v if v >= 1e6 => format!("{:.2}M", v / 1e6),
        v if v >= 1e3 => format!("{:.1}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// Seconds as h:mm:ss.
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_at_a_glance() {
        assert_eq!(human(999.0), "999");
        assert_eq!(human(12_345.0), "12.3k");
        assert_eq!(human(2_500_000.0), "2.50M");
        assert_eq!(clock(3725.2), "1:02:05");
    }
}
