//! The one run loop every agent goes through.
//!
//! ```text
//! agent ← build(experiment)                      (or restore it from the newest checkpoint)
//! while update < updates:
//!     stop requested (Ctrl-C, SIGTERM)?  → checkpoint, stop
//!     report ← agent.update()                    (a panic or an Err stops the run)
//!     any scalar or meta-parameter not finite?     → checkpoint the diverged state, stop
//!     every log_interval updates: a metrics row (metrics.csv, metrics.jsonl), flushed
//!     every checkpoint_interval updates, and at the end: a checkpoint
//! ```
//!
//! Reproducibility: nothing in the loop depends on the clock except the `wall_time_s`
//! column and the progress display, so an agent that draws its random numbers from seeded
//! generators it checkpoints gives the same metrics, byte for byte aside from that column,
//! whether or not the run was interrupted and resumed.

pub mod checkpoint;
pub mod guard;
pub mod interval;
pub mod metrics;
pub mod progress;
pub mod provenance;
pub mod run_dir;
pub mod stop;

use crate::agent::{self, Agent};
use anyhow::{bail, Context, Result};
use checkpoint::{Checkpoint, Counters, Kind};
use interval::IntervalStats;
use metrics::MetricsWriter;
use mgrl_core::config::Experiment;
use progress::Progress;
use provenance::{Provenance, RunState, SweepTag};
pub use run_dir::RunDir;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How a run ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// All updates done.
    Completed,
    /// `--resume` of a run that had already done all its updates.
    AlreadyComplete,
    /// Stopped by a signal after a checkpoint.
    Interrupted,
}

/// What a run that did not fail leaves behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub dir: PathBuf,
    pub status: Status,
    pub counters: Counters,
    /// The newest checkpoint.
    pub checkpoint: Option<PathBuf>,
    /// Where a resumed run started from.
    pub resumed: Option<Resumed>,
}

/// Where `--resume` picked a run up.
#[derive(Debug, Clone)]
pub struct Resumed {
    /// The checkpoint it restored (none: the run started over).
    pub checkpoint: Option<PathBuf>,
    /// The metrics rows logged after that checkpoint, cut off the files.
    pub dropped_rows: u64,
}

/// Checks everything a run needs before it writes anything, by building the agent: its kind
/// and options, and what it checks against them (its environment, the return, the
/// meta-parameters). Errors point into the experiment file.
pub fn validate(exp: &Experiment) -> Result<()> {
    build_agent(exp).map(drop)
}

/// The agent the experiment names, a panic while building it reported as an error.
fn build_agent(exp: &Experiment) -> Result<Box<dyn Agent>> {
    guard::catch_panic(|| agent::build(exp))
        .map_err(|p| anyhow::anyhow!("building the `{}` agent panicked: {p}", exp.agent.name))?
}

/// Starts a new run of `exp` in `out` (which must not hold a run yet), after [`validate`]:
/// an experiment that cannot run leaves no folder behind.
pub fn start(exp: &Experiment, out: &Path, stop: &AtomicBool) -> Result<Outcome> {
    validate(exp)?;
    let (dir, _lock) = prepare(exp, out, None)?;
    // The run is built from the resolved config file, exactly as `resume` rebuilds it.
    let (dir, exp) = RunDir::open(&dir.path)?;
    let metrics = MetricsWriter::create(&dir.path)?;
    let provenance = Provenance::read(&dir.path)?.context("the provenance written a moment ago is gone")?;
    drive(&exp, &dir, None, metrics, provenance, stop)
}

/// Makes the folder of a new run (its resolved config and its provenance, `running` with
/// nothing done) without running it; `sweep` places it in a sweep. The folder stays locked
/// while the returned lock lives.
pub fn prepare(exp: &Experiment, out: &Path, sweep: Option<SweepTag>) -> Result<(RunDir, run_dir::RunLock)> {
    let (dir, lock) = RunDir::create(out, exp)?;
    let mut provenance = Provenance::new(exp, &dir)?;
    provenance.sweep = sweep;
    provenance.write(&dir.path)?;
    Ok((dir, lock))
}

/// Continues the run in `dir` from its newest intact checkpoint (or from the beginning if
/// there is none). `warn` receives a line for each checkpoint skipped as corrupt.
pub fn resume(dir: &Path, stop: &AtomicBool, warn: &mut dyn FnMut(&str)) -> Result<Outcome> {
    let (dir, exp) = RunDir::open(dir)?;
    let _lock = dir.lock()?;
    let checkpoint::NewestValid { found, skipped: warnings } = checkpoint::newest_valid(&dir.checkpoints())?;
    for w in &warnings {
        warn(w);
    }
    if let Some((path, ckpt)) = &found {
        checkpoint::check_config(path, ckpt, dir.config_fingerprint()?)?;
    } else if dir.checkpoints().exists() || dir.path.join(metrics::CSV_FILE).exists() {
        warn(&format!("no intact checkpoint in {}: starting the run over", dir.checkpoints().display()));
    }
    // (Neither: a folder made by `prepare`, e.g. by a sweep, whose run starts now.)
    let rows = found.as_ref().map_or(0, |(_, c)| c.counters.metrics_rows);
    let metrics = MetricsWriter::resume(&dir.path, rows)?;
    let resumed = Resumed { checkpoint: found.as_ref().map(|(p, _)| p.clone()), dropped_rows: metrics.dropped_rows() };
    // A run from before provenance was recorded gets a record now.
    let mut provenance = match Provenance::read(&dir.path)? {
        Some(mut p) => {
            p.commands.push(provenance::command_line());
            p
        }
        None => Provenance::new(&exp, &dir)?,
    };
    // `[run] updates` may have been raised to extend the run: the record follows the config.
    provenance.updates_total = exp.run.updates;
    provenance.config_hash = provenance::config_hash(&std::fs::read_to_string(dir.config())?)?;
    let outcome = drive(&exp, &dir, found.map(|(_, c)| c), metrics, provenance, stop)?;
    Ok(Outcome { resumed: Some(resumed), ..outcome })
}

/// The loop (see the module doc).
fn drive(
    exp: &Experiment,
    dir: &RunDir,
    from: Option<Checkpoint>,
    mut metrics: MetricsWriter,
    mut provenance: Provenance,
    stop: &AtomicBool,
) -> Result<Outcome> {
    let cfg = &exp.run;
    let saver =
        Saver { dir: dir.checkpoints(), keep: cfg.keep_checkpoints as usize, config_crc32: dir.config_fingerprint()? };
    let mut agent = build_agent(exp)?;
    let (mut counters, mut interval) = match from {
        Some(c) => {
            let update = c.counters.update;
            guard::catch_panic(|| agent.restore(c.agent))
                .map_err(|p| anyhow::anyhow!("the agent panicked while restoring its state: {p}"))?
                .with_context(|| format!("cannot restore the agent from the checkpoint of update {update}"))?;
            (c.counters, c.interval)
        }
        None => (Counters::default(), IntervalStats::default()),
    };
    let mut last_checkpoint = None;
    let mut record = |state: RunState, counters: &Counters| {
        provenance.status = state;
        provenance.updates = counters.update;
        provenance.frames = counters.frames;
        provenance.write(&dir.path)
    };
    if counters.update >= cfg.updates {
        record(RunState::Finished, &counters)?;
        let checkpoint = checkpoint::list(&dir.checkpoints())?.into_iter().next();
        return Ok(Outcome {
            dir: dir.path.clone(),
            status: Status::AlreadyComplete,
            counters,
            checkpoint,
            resumed: None,
        });
    }
    record(RunState::Running, &counters)?;
    let wall_before = counters.wall_time_s;
    let clock = Instant::now();
    let mut progress = Progress::new(cfg.updates, &counters);
    let mut latest_return = None;
    while counters.update < cfg.updates {
        if stop.load(Ordering::SeqCst) {
            progress.finish();
            let path = match last_checkpoint {
                Some((u, p)) if u == counters.update => p,
                _ => saver.save(&metrics, &counters, &interval, agent.as_ref(), Kind::Resumable)?,
            };
            record(RunState::Stopped, &counters)?;
            return Ok(Outcome {
                dir: dir.path.clone(),
                status: Status::Interrupted,
                counters,
                checkpoint: Some(path),
                resumed: None,
            });
        }
        let n = counters.update + 1;
        let step = guard::catch_panic(|| agent.update().map(|report| (report, agent.meta_values())));
        let (report, meta) = match step {
            Err(panic) => {
                progress.finish();
                record(RunState::Failed, &counters)?;
                bail!(
                    "the agent panicked during update {n}: {panic}\n  metrics up to update {} are in {}; the \
                     newest checkpoint is kept",
                    counters.update,
                    dir.path.display()
                );
            }
            Ok(Err(e)) => {
                progress.finish();
                counters.update = n;
                let path = saver.save(&metrics, &counters, &interval, agent.as_ref(), Kind::Diverged)?;
                record(RunState::Diverged, &counters)?;
                return Err(e.context(format!(
                    "update {n} failed; the agent's state is in {}, metrics up to the failure in {}",
                    path.display(),
                    dir.path.display()
                )));
            }
            Ok(Ok(step)) => step,
        };
        if let Some((quantity, value)) = guard::first_non_finite(&report, &meta) {
            progress.finish();
            counters.update = n;
            let path = saver.save(&metrics, &counters, &interval, agent.as_ref(), Kind::Diverged)?;
            record(RunState::Diverged, &counters)?;
            bail!(
                "`{quantity}` became {value} at update {n}; the run stopped. The diverged state is in {}, metrics \
                 up to the previous row in {}",
                path.display(),
                dir.path.display()
            );
        }
        counters.update = n;
        counters.frames += report.frames;
        counters.episodes += report.episode_returns.len() as u64;
        counters.wall_time_s = wall_before + clock.elapsed().as_secs_f64();
        latest_return = report.episode_returns.last().copied().or(latest_return);
        interval.add(&report);
        let row = n % cfg.log_interval == 0 || n == cfg.updates;
        if row {
            metrics.write(&interval.row(n, counters.frames, counters.wall_time_s, &meta))?;
            counters.metrics_rows += 1;
            interval = IntervalStats::default();
        }
        if n % cfg.checkpoint_interval == 0 || n == cfg.updates {
            let path = saver.save(&metrics, &counters, &interval, agent.as_ref(), Kind::Resumable)?;
            last_checkpoint = Some((n, path));
            let state = if n == cfg.updates { RunState::Finished } else { RunState::Running };
            record(state, &counters)?;
        }
        progress.update(&counters, latest_return, &meta, row);
    }
    progress.finish();
    Ok(Outcome {
        dir: dir.path.clone(),
        status: Status::Completed,
        counters,
        checkpoint: last_checkpoint.map(|(_, p)| p),
        resumed: None,
    })
}

/// Writes checkpoints of one run.
struct Saver {
    dir: PathBuf,
    keep: usize,
    config_crc32: u32,
}

impl Saver {
    /// Syncs the metrics (the checkpoint counts their rows), writes the checkpoint, and
    /// deletes the ones beyond the newest `keep`.
    fn save(
        &self,
        metrics: &MetricsWriter,
        counters: &Counters,
        interval: &IntervalStats,
        agent: &dyn Agent,
        kind: Kind,
    ) -> Result<PathBuf> {
        metrics.sync()?;
        let state = guard::catch_panic(|| agent.state())
            .map_err(|p| anyhow::anyhow!("the agent panicked while saving its state: {p}"))?
            .context("saving the agent's state")?;
        let ckpt = Checkpoint {
            counters: counters.clone(),
            interval: interval.clone(),
            agent: state,
            config_crc32: self.config_crc32,
        };
        let path = ckpt.write_atomic(&self.dir, kind)?;
        checkpoint::prune(&self.dir, self.keep)?;
        Ok(path)
    }
}
