//! `mgrl sweep` as a child process on the tiny sweep of `examples/catch_sweep.toml` (Catch,
//! 2 variants × 2 seeds, made longer here with `--set`): killed with SIGKILL after its first
//! run finished and started again, it must finish every run exactly once (a finished run is
//! not run again, a killed one continues from its checkpoint), with metrics and a report equal
//! to those of a sweep that was never interrupted, wall-clock aside.

use mgrl_agents::run::metrics::{CSV_FILE, WALL_CLOCK_COLUMN};
use mgrl_agents::run::provenance::{Provenance, RunState};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Long enough (a few seconds a run in a debug build) to be caught in the middle.
const SET: &[&str] =
    &["--set", "run.updates=300", "--set", "run.log_interval=10", "--set", "run.checkpoint_interval=50"];

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/catch_sweep.toml")
}

fn sweep(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mgrl"));
    c.current_dir(cwd).arg("sweep").arg(example()).args(SET).args(["--jobs", "2"]);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn success(out: Output) -> String {
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

/// The four run folders of the sweep, in a fixed order.
fn run_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for variant in ["fixed-gamma", "meta-gamma"] {
        for seed in 0..2 {
            dirs.push(root.join("runs/catch-sweep/catch").join(variant).join(format!("seed-{seed}")));
        }
    }
    dirs
}

fn status(dir: &Path) -> Option<RunState> {
    // A record being renamed into place reads as absent for a moment: not an error here.
    Provenance::read(dir).ok().flatten().map(|p| p.status)
}

/// metrics.csv without the wall-clock column.
fn metrics(dir: &Path) -> String {
    let csv = std::fs::read_to_string(dir.join(CSV_FILE)).unwrap();
    let wall = csv.lines().next().unwrap().split(',').position(|c| c == WALL_CLOCK_COLUMN).unwrap();
    csv.lines()
        .map(|l| l.split(',').enumerate().filter(|(i, _)| *i != wall).map(|(_, c)| c).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join("\n")
}

fn report(cwd: &Path) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mgrl"))
        .current_dir(cwd)
        .args(["report", "runs", "--out", "report"])
        .output()
        .unwrap();
    let md = success(out);
    (md, std::fs::read_to_string(cwd.join("report/report.csv")).unwrap())
}

#[test]
fn a_sweep_killed_and_started_again_runs_everything_exactly_once_and_reports_as_if_uninterrupted() {
    let whole = tempfile::tempdir().unwrap();
    success(sweep(whole.path()).output().unwrap());

    let cut = tempfile::tempdir().unwrap();
    let mut child = sweep(cut.path()).spawn().unwrap();
    let dirs = run_dirs(cut.path());
    let start = Instant::now();
    // Until one run has finished and another has a checkpoint but has not finished.
    loop {
        let finished = dirs.iter().filter(|d| status(d) == Some(RunState::Finished)).count();
        let mid_run = dirs.iter().any(|d| {
            status(d) == Some(RunState::Running)
                && std::fs::read_dir(d.join("checkpoints")).is_ok_and(|mut e| e.next().is_some())
        });
        if finished >= 1 && mid_run {
            break;
        }
        if let Some(s) = child.try_wait().unwrap() {
            panic!("the sweep ended ({s}) before it could be killed; make SET's run.updates larger");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let finished_before: Vec<&PathBuf> = dirs.iter().filter(|d| status(d) == Some(RunState::Finished)).collect();
    assert!(finished_before.len() < dirs.len(), "every run had finished before the kill");
    let kept: Vec<String> =
        finished_before.iter().map(|d| std::fs::read_to_string(d.join(CSV_FILE)).unwrap()).collect();

    let out = success(sweep(cut.path()).output().unwrap());
    assert!(out.contains(&format!("{} finished before", finished_before.len())), "{out}");
    for dir in &dirs {
        let p = Provenance::read(dir).unwrap().unwrap();
        assert_eq!(p.status, RunState::Finished, "{}", dir.display());
        assert_eq!((p.updates, p.updates_total), (300, 300), "{}", dir.display());
        let whole_dir = whole.path().join(dir.strip_prefix(cut.path()).unwrap());
        assert_eq!(metrics(dir), metrics(&whole_dir), "{}", dir.display());
        assert_eq!(p.config_hash, Provenance::read(&whole_dir).unwrap().unwrap().config_hash);
    }
    // A run finished before the kill was not touched again: the sweep's command and its one run.
    for (dir, csv) in finished_before.iter().zip(&kept) {
        assert_eq!(&std::fs::read_to_string(dir.join(CSV_FILE)).unwrap(), csv);
        assert_eq!(Provenance::read(dir).unwrap().unwrap().commands.len(), 2, "{}", dir.display());
    }
    assert_eq!(report(cut.path()), report(whole.path()));
}

/// `mgrl sweep` of the example as it is (10 updates a run) with `extra` arguments, to its end.
fn plain_sweep(cwd: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mgrl")).current_dir(cwd).arg("sweep").arg(example()).args(extra).output().unwrap()
}

/// A user error: exit status 1; its stderr.
fn failure(out: Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn a_finished_sweep_started_again_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    success(plain_sweep(tmp.path(), &[]));
    let before: Vec<String> = run_dirs(tmp.path()).iter().map(|d| metrics(d)).collect();
    let out = success(plain_sweep(tmp.path(), &[]));
    assert!(out.contains("4 runs, 4 finished before, 0 to run"), "{out}");
    assert_eq!(before, run_dirs(tmp.path()).iter().map(|d| metrics(d)).collect::<Vec<_>>());
}

#[test]
fn a_sweep_whose_file_changed_under_its_runs_refuses_to_mix_them() {
    let tmp = tempfile::tempdir().unwrap();
    success(plain_sweep(tmp.path(), &[]));
    let err = failure(plain_sweep(tmp.path(), &["--set", "agent.entropy_cost=0.02"]));
    assert!(err.contains("holds a run of another config"), "{err}");
}

#[test]
fn an_unknown_key_in_a_set_is_located_at_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let err = failure(plain_sweep(tmp.path(), &["--set", "run.updatez=3"]));
    assert!(err.contains("--set run.updatez=3:1:1: unknown field `updatez`"), "{err}");
    assert!(!tmp.path().join("runs").exists(), "a sweep that cannot run left folders behind");
}

#[test]
fn sigterm_to_a_sweep_stops_every_run_at_a_checkpoint_and_a_new_sweep_finishes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = sweep(tmp.path()).spawn().unwrap();
    let dirs = run_dirs(tmp.path());
    let start = Instant::now();
    while !dirs.iter().any(|d| {
        status(d) == Some(RunState::Running)
            && std::fs::read_dir(d.join("checkpoints")).is_ok_and(|mut e| e.next().is_some())
    }) {
        assert!(child.try_wait().unwrap().is_none(), "the sweep ended before it could be stopped");
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: kill(2) on the id of our own child process.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("stopped"), "{}", text(&out.stdout));
    // No run is left `running`: each one checkpointed and said so (or had finished).
    for d in dirs.iter().filter(|d| d.exists()) {
        let s = status(d).unwrap();
        assert!(matches!(s, RunState::Stopped | RunState::Finished), "{}: {s:?}", d.display());
    }
    success(sweep(tmp.path()).output().unwrap());
    assert!(dirs.iter().all(|d| status(d) == Some(RunState::Finished)));
}

#[test]
fn a_runs_metrics_do_not_depend_on_how_many_run_beside_it() {
    let (one, four) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    success(plain_sweep(one.path(), &["--jobs", "1"]));
    success(plain_sweep(four.path(), &["--jobs", "4"]));
    for (a, b) in run_dirs(one.path()).iter().zip(run_dirs(four.path())) {
        assert_eq!(metrics(a), metrics(&b), "{}", a.display());
    }
}
