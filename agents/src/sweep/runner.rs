//! Runs a sweep's runs, several at once, each in a child process `mgrl run --resume RUN_DIR`
//! with its output in `RUN_DIR/log.txt`.
//!
//! A run is an ordinary run: its folder is made (resolved config, provenance) just before its
//! process starts, and the process resumes it from its newest checkpoint, or from the
//! beginning when it has none. So a sweep started again, after Ctrl-C or a SIGKILL, skips the
//! runs whose provenance says `finished` (or `diverged`: the same seed would diverge again)
//! and continues every other one where its checkpoint left it. Each run is one process, so
//! its metrics do not depend on how many run beside it.
//!
//! Children die with the sweep (Linux's parent-death signal), so a killed sweep leaves no
//! run writing behind it; Ctrl-C or SIGTERM to the sweep is passed on to every child as one
//! SIGTERM, and each checkpoints and stops.

use super::plan::{Plan, PlannedRun};
use crate::run::provenance::{Provenance, RunState};
use crate::run::stop::StopSignals;
use crate::run::RunDir;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub const LOG_FILE: &str = "log.txt";

/// How a sweep ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Finished before this sweep started: not run again.
    pub skipped: usize,
    pub finished: usize,
    /// Diverged now or before (not run again).
    pub diverged: Vec<PathBuf>,
    /// Ended in an error, with the run's log.
    pub failed: Vec<PathBuf>,
    /// Stopped by a signal, or never started because of one.
    pub stopped: usize,
}

/// What is left to do for a planned run.
enum Todo {
    Skip(RunState),
    Resume,
    Create,
}

/// Whether `run` is to be made, resumed or skipped; an existing folder whose config is not
/// the one the sweep now gives is an error (the sweep file changed under its runs).
fn todo(plan: &Plan, run: &PlannedRun) -> Result<Todo> {
    let dir = RunDir { path: run.dir.clone() };
    if !dir.config().exists() {
        return Ok(Todo::Create);
    }
    let exp = plan.experiment(run)?;
    if !dir.holds_config_of(&exp)? {
        bail!(
            "{} holds a run of another config than the sweep now gives (was the sweep file or --set changed?); \
             move the folder away, or sweep into another out_dir",
            run.dir.display()
        );
    }
    Ok(match Provenance::read(&run.dir)?.map(|p| p.status) {
        Some(s @ (RunState::Finished | RunState::Diverged)) => Todo::Skip(s),
        _ => Todo::Resume,
    })
}

/// Runs what is left of `plan` with at most `jobs` processes of `program` (the running `mgrl`)
/// at once; progress lines go to `out`.
pub fn run(plan: &Plan, jobs: usize, program: &Path, signals: &StopSignals, out: &mut dyn Write) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut queue = Vec::new();
    for run in &plan.runs {
        match todo(plan, run)? {
            Todo::Skip(RunState::Diverged) => {
                writeln!(out, "{}: diverged before; not run again", plan.label(run))?;
                summary.diverged.push(run.dir.clone());
            }
            Todo::Skip(_) => summary.skipped += 1,
            t => queue.push((run, matches!(t, Todo::Create))),
        }
    }
    let total = queue.len();
    writeln!(
        out,
        "sweep {}: {} runs, {} finished before, {} to run ({} at once) in {}",
        plan.file.name,
        plan.runs.len(),
        summary.skipped,
        total,
        jobs.min(total.max(1)),
        plan.file.out_dir.display()
    )?;
    let mut queue = queue.into_iter();
    let mut running: Vec<(Child, &PlannedRun, Instant)> = Vec::new();
    let mut done = 0;
    let mut forwarded = false;
    loop {
        let stop = signals.flag().load(Ordering::SeqCst);
        if stop && !forwarded {
            for (child, _, _) in &running {
                // SAFETY: kill(2) on the id of a child this process started and has not reaped.
                unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            }
            forwarded = true;
        }
        while !stop && running.len() < jobs {
            let Some((run, create)) = queue.next() else { break };
            if create {
                let exp = plan.experiment(run)?;
                crate::run::prepare(&exp, &run.dir, Some(plan.tag(run)))?;
            }
            wait_until_free(&run.dir)?;
            running.push((spawn(program, &run.dir)?, run, Instant::now()));
            writeln!(out, "started   {}", plan.label(run))?;
        }
        let mut i = 0;
        while i < running.len() {
            let Some(status) = running[i].0.try_wait().context("cannot wait for a run's process")? else {
                i += 1;
                continue;
            };
            let (_, run, started) = running.swap_remove(i);
            done += 1;
            let state = Provenance::read(&run.dir)?.map(|p| p.status);
            let took = started.elapsed().as_secs_f64();
            let line = match state {
                Some(RunState::Finished) if status.success() => {
                    summary.finished += 1;
                    format!("finished  {} in {took:.1} s", plan.label(run))
                }
                Some(RunState::Diverged) => {
                    summary.diverged.push(run.dir.clone());
                    format!("diverged  {} (see {})", plan.label(run), run.dir.join(LOG_FILE).display())
                }
                Some(RunState::Stopped) if stop => {
                    summary.stopped += 1;
                    format!("stopped   {}; a new `mgrl sweep` continues it", plan.label(run))
                }
                _ => {
                    summary.failed.push(run.dir.clone());
                    format!(
                        "failed    {} ({status}): {}",
                        plan.label(run),
                        last_error(&run.dir.join(LOG_FILE)).unwrap_or_else(|| "see its log.txt".into())
                    )
                }
            };
            writeln!(out, "[{done}/{total}] {line}")?;
        }
        if running.is_empty() && (stop || queue.len() == 0) {
            summary.stopped += queue.len();
            return Ok(summary);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `program run --resume dir`, its output appended to the run's log, killed if this process
/// dies, in its own process group (a terminal's Ctrl-C reaches the sweep, which passes it on).
fn spawn(program: &Path, dir: &Path) -> Result<Child> {
    let log_path = dir.join(LOG_FILE);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let err = log.try_clone().with_context(|| format!("cannot open {}", log_path.display()))?;
    let parent = std::process::id() as libc::pid_t;
    let mut cmd = Command::new(program);
    cmd.arg("run").arg("--resume").arg(dir).stdin(Stdio::null()).stdout(log).stderr(err).process_group(0);
    // SAFETY: between fork and exec the closure calls only async-signal-safe functions
    // (prctl, getppid, _exit) and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The sweep died before the signal was armed: do not start an orphan.
            if libc::getppid() != parent {
                libc::_exit(137);
            }
            Ok(())
        });
    }
    cmd.spawn().with_context(|| format!("cannot start {} run --resume {}", program.display(), dir.display()))
}

/// Waits (up to 10 s) until no process holds the run folder: the children of a sweep that was
/// just killed take a moment to die.
fn wait_until_free(dir: &Path) -> Result<()> {
    let start = Instant::now();
    let run_dir = RunDir { path: dir.to_path_buf() };
    loop {
        match run_dir.lock() {
            Ok(_) => return Ok(()),
            Err(e) if start.elapsed() > Duration::from_secs(10) => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The last `error:` line of a run's log, with what follows it on that line.
fn last_error(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().rev().find(|l| l.starts_with("error:")).map(str::to_string)
}
