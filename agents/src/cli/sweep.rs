//! `mgrl sweep`: runs every environment × variant × seed of a sweep file, several at once.

use super::{at_least_one, Exit};
use crate::run::stop::StopSignals;
use crate::sweep::{runner, Plan, SweepFile};
use anyhow::{bail, Context, Result};
use mgrl_core::config::Override;
use std::io::Write;
use std::path::PathBuf;

/// Run a sweep: environments × variants × seeds from one TOML file.
///
/// Each run is an ordinary run in <out_dir>/<env>/<variant>/seed-<k>
/// (a child process `mgrl run --resume`, its output in the run's log.txt), as many at once as
/// --jobs says. Started again after Ctrl-C, a crash or SIGKILL, a sweep skips its finished
/// (and diverged) runs and resumes the others from their checkpoints. The file is an
/// experiment with a [sweep] section (or one naming a `base` experiment):
///
///   [sweep]
///   seeds = 5                                  # or a list: [0, 1, 7]
///   envs = ["minatar/breakout", "minatar/asterix"]
///   [sweep.set]                                # for every run
///   "run.updates" = 10000
///   [sweep.variants.fixed-gamma]               # one table of overrides per variant
///   [sweep.variants.meta-gamma]
///   "return.gamma.learnable" = true
#[derive(Debug, clap::Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  mgrl check examples/minatar/sweep.toml                 every run it expands to, checked\n  mgrl sweep examples/catch_sweep.toml                   runs/catch-sweep/<env>/<variant>/seed-<k>\n  mgrl sweep examples/minatar/sweep.toml --set run.updates=20000 --jobs 4\n  mgrl sweep examples/catch_sweep.toml                   again: continues where it stopped\n  mgrl report runs/catch-sweep && mgrl plot runs/catch-sweep"
)]
pub struct Args {
    /// The sweep file.
    file: PathBuf,
    /// Runs at once [default: [sweep] jobs, else the machine's cores].
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    jobs: Option<usize>,
    /// Put VALUE (TOML; otherwise a string) at KEY (dotted, e.g. run.updates) in every run,
    /// over the base and the variants. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

/// The sweep of `file` with `--set` over it, expanded and checked.
pub fn plan(file: &std::path::Path, set: &[String]) -> Result<Plan> {
    let overrides: Vec<Override> = set.iter().map(|s| Override::parse_arg(s)).collect::<Result<_, _>>()?;
    let plan = Plan::new(SweepFile::read(file)?, &overrides)?;
    plan.validate()?;
    Ok(plan)
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let signals = StopSignals::install()?;
    let plan = plan(&args.file, &args.set)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.or(plan.file.jobs).unwrap_or(cores);
    let program = std::env::current_exe().context("cannot find the mgrl program to start runs with")?;
    let s = runner::run(&plan, jobs, &program, &signals, out)?;
    writeln!(
        out,
        "sweep {}: {} finished now, {} before, {} diverged, {} failed, {} left\n  report: mgrl report {}",
        plan.file.name,
        s.finished,
        s.skipped,
        s.diverged.len(),
        s.failed.len(),
        s.stopped,
        plan.file.out_dir.display()
    )?;
    if !s.failed.is_empty() {
        let logs: Vec<String> = s.failed.iter().map(|d| d.join(runner::LOG_FILE).display().to_string()).collect();
        bail!("{} runs failed; their logs: {}", s.failed.len(), logs.join(", "));
    }
    Ok(if s.stopped > 0 { signals.exit_code() } else { 0 })
}
