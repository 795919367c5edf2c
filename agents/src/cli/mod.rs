//! The `mgrl` command-line program: argument parsing (clap), one file per subcommand, and
//! errors printed like cargo's (`error: ...` with its causes) and exit status 1.

mod check;
mod envs;
mod play;
mod plot;
mod plugins;
mod report;
mod run;
mod sweep;
mod verify;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Meta-gradient reinforcement learning with pluggable returns.
#[derive(Debug, Parser)]
#[command(
    name = "mgrl",
    version,
    after_help = "Examples:\n  mgrl plugins                          what returns and reward transforms exist\n  mgrl envs                             what environments exist\n  mgrl envs catch                       one environment and its options\n  mgrl play catch --out catch.gif       watch one episode\n  mgrl check examples/td_smoke.toml     validate an experiment\n  mgrl run examples/td_smoke.toml       run it (outputs in runs/<name>/seed-<seed>)\n  mgrl sweep examples/catch_sweep.toml  environments × variants × seeds, several at once\n  mgrl plot runs/td-smoke               figures of every run below a folder\n  mgrl report runs/*                    every run, and per config mean, median, IQM with bootstrap CIs\n  mgrl verify                           check every plugin's derivatives and contracts"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Plugins(plugins::Args),
    Check(check::Args),
    Run(run::Args),
    Sweep(sweep::Args),
    Envs(envs::Args),
    Play(play::Args),
    Plot(plot::Args),
    Report(report::Args),
    Verify(verify::Args),
}

/// What a subcommand asks the process to exit with.
type Exit = u8;

/// Parses the process's arguments, runs the subcommand, prints any error; the process's exit
/// status.
pub fn main() -> ExitCode {
    ExitCode::from(run_with(std::env::args_os()))
}

/// [`main`] on the command line `args` (the program's name first): the exit status.
pub fn run_with<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 1 like any error.
            let _ = e.print();
            return u8::from(e.use_stderr());
        }
    };
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::Plugins(a) => plugins::run(a, &mut out),
        Command::Check(a) => check::run(a, &mut out),
        Command::Run(a) => run::run(a, &mut out),
        Command::Sweep(a) => sweep::run(a, &mut out),
        Command::Envs(a) => envs::run(a, &mut out),
        Command::Play(a) => play::run(a, &mut out),
        Command::Plot(a) => plot::run(a, &mut out),
        Command::Report(a) => report::run(a, &mut out),
        Command::Verify(a) => verify::run(a, &mut out),
    };
    match result {
        Ok(code) => code,
        // Output cut short by its reader (`mgrl plugins | head`) is not a failure.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("{}", render_error(&e));
            1
        }
    }
}

/// `error: <message>` and, as cargo does, each cause on its own indented line.
pub fn render_error(e: &anyhow::Error) -> String {
    let mut s = format!("error: {e}");
    let causes: Vec<String> = e.chain().skip(1).map(|c| c.to_string()).collect();
    if !causes.is_empty() {
        s += "\n\nCaused by:";
        for c in causes {
            s += &format!("\n    {}", c.replace('\n', "\n    "));
        }
    }
    s
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// A count of at least 1 (`--last`, `--max-steps`, `--seeds`).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number of at least 1")),
    }
}
