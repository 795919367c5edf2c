//! `mgrl run`: runs an experiment, or resumes an interrupted run.

use super::{at_least_one, Exit};
use crate::run::run_dir::RunDir;
use crate::run::stop::StopSignals;
use crate::run::{self, Outcome, Status};
use anyhow::{bail, Result};
use mgrl_core::config::{Experiment, Override};
use std::io::Write;
use std::path::PathBuf;

/// Run an experiment, or resume an interrupted run.
///
/// Metrics go to RUN_DIR/metrics.csv and metrics.jsonl as they happen,
/// checkpoints to RUN_DIR/checkpoints. Ctrl-C (or SIGTERM) checkpoints and stops with exit
/// status 130 (143 after SIGTERM); a second Ctrl-C stops at once. `--resume RUN_DIR`
/// continues from the newest intact checkpoint, with the config saved in RUN_DIR.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl run examples/td_smoke.toml                    outputs in runs/<name>/seed-<seed>\n  mgrl run examples/td_smoke.toml --out runs/try1\n  mgrl run --resume runs/try1                        continue after Ctrl-C or a crash\n  mgrl run examples/figure1b_gamma.toml --seeds 10   seeds 0..9 in runs/figure1b-gamma/seed-*\n  mgrl run examples/td_smoke.toml --set run.updates=500 --set return.lambda=0.9"
)]
pub struct Args {
    /// The experiment file (optional with --resume: the run folder holds its config).
    #[arg(required_unless_present = "resume")]
    config: Option<PathBuf>,
    /// The run's output folder [default: [run] out_dir, else runs/<name>/seed-<seed>].
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    out: Option<PathBuf>,
    /// Continue the run in this folder.
    #[arg(long, value_name = "RUN_DIR")]
    resume: Option<PathBuf>,
    /// Run the experiment N times, with seeds seed, seed+1, …, one after the other, each in
    /// runs/<name>/seed-<seed> (for `mgrl plot runs/<name>`: mean and band across seeds).
    #[arg(long, value_name = "N", conflicts_with_all = ["resume", "out"], value_parser = at_least_one)]
    seeds: Option<usize>,
    /// Put VALUE (TOML; otherwise a string) at KEY (dotted: run.updates, agent.optimizer.lr,
    /// return.gamma.learnable) over the experiment file. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", conflicts_with = "resume")]
    set: Vec<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let signals = StopSignals::install()?;
    let stop = signals.flag();
    let outcome = match (&args.resume, &args.config) {
        (Some(dir), config) => {
            if let Some(config) = config {
                check_same_config(config, dir)?;
            }
            run::resume(dir, stop, &mut |w| eprintln!("warning: {w}"))?
        }
        (None, Some(config)) => {
            let overrides: Vec<Override> = args.set.iter().map(|s| Override::parse_arg(s)).collect::<Result<_, _>>()?;
            let exp = Experiment::read_with(config, &overrides)?;
            match args.seeds {
                None => {
                    let dir = args.out.clone().unwrap_or_else(|| exp.out_dir());
                    run::start(&exp, &dir, stop)?
                }
                Some(n) => return run_seeds(exp, n, &signals, out),
            }
        }
        (None, None) => bail!("name an experiment file, or a run folder with --resume"),
    };
    write!(out, "{}", describe(&outcome))?;
    Ok(if outcome.status == Status::Interrupted { signals.exit_code() } else { 0 })
}

/// `--seeds N`: the experiment with seeds seed, …, seed+N−1, each in `<out_dir>/seed-<seed>`
/// (`runs/<name>/seed-<seed>` by default); stops at the first interrupted run.
fn run_seeds(mut exp: Experiment, n: usize, signals: &StopSignals, out: &mut dyn Write) -> Result<Exit> {
    let base = exp.run.out_dir.take();
    for seed in exp.seed..exp.seed + n as u64 {
        exp.seed = seed;
        let dir = base.as_ref().map_or_else(|| exp.out_dir(), |b| b.join(format!("seed-{seed}")));
        let outcome = run::start(&exp, &dir, signals.flag())?;
        write!(out, "seed {seed}: {}", describe(&outcome))?;
        if outcome.status == Status::Interrupted {
            return Ok(signals.exit_code());
        }
    }
    Ok(0)
}

/// A resumed run keeps its config: naming a different one is an error, not a silent switch.
fn check_same_config(config: &std::path::Path, dir: &std::path::Path) -> Result<()> {
    let (run_dir, _) = RunDir::open(dir)?;
    let exp = Experiment::read(config)?;
    if !run_dir.holds_config_of(&exp)? {
        bail!(
            "{} differs from the config of the run in {}; leave the experiment file out to resume the run as it was",
            config.display(),
            run_dir.config().display()
        );
    }
    Ok(())
}

fn describe(o: &Outcome) -> String {
    let c = &o.counters;
    let ckpt = o.checkpoint.as_ref().map_or("none".into(), |p| p.display().to_string());
    let resumed = o.resumed.as_ref().map_or(String::new(), |r| {
        let from = r.checkpoint.as_ref().map_or("the beginning (no checkpoint)".into(), |p| p.display().to_string());
        format!("resumed from {from}; dropped {} metrics rows logged after it\n", r.dropped_rows)
    });
    resumed
        + &match o.status {
            Status::Completed => format!(
                "finished {} updates ({} frames, {} episodes) in {:.1} s\n  metrics     {}\n  checkpoint  {ckpt}\n",
                c.update,
                c.frames,
                c.episodes,
                c.wall_time_s,
                o.dir.join("metrics.csv").display()
            ),
            Status::AlreadyComplete => {
                format!("{} already did all its {} updates; nothing to do\n", o.dir.display(), c.update)
            }
            Status::Interrupted => format!(
                "interrupted after update {}; checkpoint {ckpt}\n  continue with: mgrl run --resume {}\n",
                c.update,
                o.dir.display()
            ),
        }
}
