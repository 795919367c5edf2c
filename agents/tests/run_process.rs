//! `mgrl run` as a child process with the real agents (examples/td_smoke.toml, and the
//! actor-critic meta-learning γ on Catch, examples/catch_meta_gamma.toml, with their `[run]`
//! sections replaced): killed with SIGKILL mid-run and resumed, stopped with SIGINT (or SIGTERM) and
//! resumed, and run twice with the same seed. In every case the metrics must equal those of
//! one uninterrupted run (aside from the wall-clock column), with no row repeated or missing,
//! no damaged checkpoint, and at most one checkpoint interval of work lost.

use mgrl_agents::run::checkpoint::{self, Checkpoint};
use mgrl_agents::run::metrics::{MetricsTable, CSV_FILE, JSONL_FILE, WALL_CLOCK_COLUMN};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const LOG_INTERVAL: i64 = 10;
const CHECKPOINT_INTERVAL: i64 = 100;

/// An example and its number of updates: long enough for the run to be caught in the middle.
#[derive(Clone, Copy)]
struct Case {
    example: &'static str,
    updates: i64,
}

const TD: Case = Case { example: "td_smoke.toml", updates: 8000 };
const IMPALA: Case = Case { example: "catch_meta_gamma.toml", updates: 600 };

/// The case's example with this test's `[run]` numbers, written into `dir`.
fn config(case: Case, dir: &Path, seed: i64) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(case.example);
    let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    let mut table: toml::Table = toml::from_str(&text).unwrap();
    table.insert("seed".into(), toml::Value::Integer(seed));
    let run = table.entry("run").or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let run = run.as_table_mut().unwrap();
    run.remove("out_dir");
    for (key, value) in
        [("updates", case.updates), ("log_interval", LOG_INTERVAL), ("checkpoint_interval", CHECKPOINT_INTERVAL)]
    {
        run.insert(key.into(), toml::Value::Integer(value));
    }
    let path = dir.join(format!("seed{seed}-{}", case.example));
    std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
    path
}

fn mgrl(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mgrl"));
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

fn run_to_end(args: &[&str]) -> Output {
    let out = finish(mgrl(args).spawn().unwrap());
    assert!(out.status.success(), "mgrl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Complete rows in the metrics file so far.
fn rows_on_disk(run: &Path) -> usize {
    std::fs::read_to_string(run.join(CSV_FILE)).map_or(0, |t| t.matches('\n').count().saturating_sub(1))
}

/// Waits until the run has written `rows` rows and a checkpoint, then returns.
fn wait_for_progress(child: &mut Child, run: &Path, rows: usize) {
    let start = Instant::now();
    while rows_on_disk(run) < rows || checkpoint::list(&run.join("checkpoints")).unwrap().is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("mgrl finished ({status}) before it could be interrupted; make the case's updates larger");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress in {}", run.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Both metrics files without the wall-clock column.
fn reproducible_metrics(run: &Path) -> (String, String) {
    let csv = std::fs::read_to_string(run.join(CSV_FILE)).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let wall = header.iter().position(|c| *c == WALL_CLOCK_COLUMN).unwrap();
    let csv: Vec<String> = csv
        .lines()
        .map(|l| l.split(',').enumerate().filter(|(i, _)| *i != wall).map(|(_, c)| c).collect::<Vec<_>>().join(","))
        .collect();
    let jsonl: Vec<serde_json::Value> = std::fs::read_to_string(run.join(JSONL_FILE))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove(WALL_CLOCK_COLUMN);
            v
        })
        .collect();
    (csv.join("\n"), serde_json::to_string(&jsonl).unwrap())
}

/// Rows at updates LOG_INTERVAL, 2·LOG_INTERVAL, …, the last: none repeated, none missing.
fn assert_every_row_once(case: Case, run: &Path) {
    let updates = MetricsTable::read(run).unwrap().values("update");
    let want: Vec<f64> = (1..=case.updates / LOG_INTERVAL).map(|i| (i * LOG_INTERVAL) as f64).collect();
    assert_eq!(updates, want);
}

/// Every checkpoint left in the run folder reads back intact.
fn assert_checkpoints_intact(run: &Path) {
    for path in checkpoint::list(&run.join("checkpoints")).unwrap() {
        Checkpoint::read(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    }
}

fn reference_run(case: Case, tmp: &Path, seed: i64) -> PathBuf {
    let config = config(case, tmp, seed);
    let out = tmp.join(format!("reference-{seed}"));
    run_to_end(&["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    out
}

fn the_same_seed_gives_identical_metrics_files(case: Case) {
    let tmp = tempfile::tempdir().unwrap();
    let a = reference_run(case, tmp.path(), 11);
    let config = config(case, tmp.path(), 11);
    let b = tmp.path().join("again");
    run_to_end(&["run", config.to_str().unwrap(), "--out", b.to_str().unwrap()]);
    assert_eq!(reproducible_metrics(&a), reproducible_metrics(&b));
    assert_every_row_once(case, &a);
}

#[test]
fn td_the_same_seed_gives_identical_metrics_files() {
    the_same_seed_gives_identical_metrics_files(TD);
}

#[test]
fn impala_the_same_seed_gives_identical_metrics_files() {
    the_same_seed_gives_identical_metrics_files(IMPALA);
}

fn a_run_killed_mid_way_resumes_to_the_metrics_of_an_uninterrupted_run(case: Case) {
    let tmp = tempfile::tempdir().unwrap();
    let reference = reference_run(case, tmp.path(), 4);
    let config = config(case, tmp.path(), 4);
    let run = tmp.path().join("killed");
    let mut child = mgrl(&["run", config.to_str().unwrap(), "--out", run.to_str().unwrap()]).spawn().unwrap();
    wait_for_progress(&mut child, &run, (2 * CHECKPOINT_INTERVAL / LOG_INTERVAL + 3) as usize);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    finish(child);

    let progress = MetricsTable::read(&run).unwrap().values("update").last().copied().unwrap();
    assert_checkpoints_intact(&run);
    let (newest_path, newest) = checkpoint::newest_valid(&run.join("checkpoints")).unwrap().found.unwrap();
    let lost = progress - newest.counters.update as f64;
    println!(
        "killed after update {progress} of {}; resuming from the checkpoint of update {}",
        case.updates, newest.counters.update
    );
    assert!(lost <= CHECKPOINT_INTERVAL as f64, "{lost} updates of work lost (checkpoint every {CHECKPOINT_INTERVAL})");

    let dropped = rows_on_disk(&run) as u64 - newest.counters.metrics_rows;
    let out = run_to_end(&["run", "--resume", run.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    // The resume says which checkpoint it used and how many rows it cut off.
    let said = format!("resumed from {}; dropped {dropped} metrics rows logged after it", newest_path.display());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&said), "{said}");
    assert_every_row_once(case, &run);
    assert_checkpoints_intact(&run);
    assert_eq!(reproducible_metrics(&reference), reproducible_metrics(&run));
}

#[test]
fn td_a_run_killed_mid_way_resumes_to_the_metrics_of_an_uninterrupted_run() {
    a_run_killed_mid_way_resumes_to_the_metrics_of_an_uninterrupted_run(TD);
}

#[test]
fn impala_a_run_killed_mid_way_resumes_to_the_metrics_of_an_uninterrupted_run() {
    a_run_killed_mid_way_resumes_to_the_metrics_of_an_uninterrupted_run(IMPALA);
}

#[test]
fn ctrl_c_checkpoints_and_stops_and_the_resumed_run_equals_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = reference_run(TD, tmp.path(), 9);
    let config = config(TD, tmp.path(), 9);
    let run = tmp.path().join("interrupted");
    let mut child = mgrl(&["run", config.to_str().unwrap(), "--out", run.to_str().unwrap()]).spawn().unwrap();
    wait_for_progress(&mut child, &run, 5);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = finish(child);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("interrupted after update") && stdout.contains("mgrl run --resume"), "{stdout}");
    // The interruption's own checkpoint holds the update the loop stopped at.
    let newest = checkpoint::newest_valid(&run.join("checkpoints")).unwrap().found.unwrap().1;
    let rows = MetricsTable::read(&run).unwrap().values("update");
    assert_eq!(newest.counters.metrics_rows as usize, rows.len());
    assert!(newest.counters.update as f64 >= *rows.last().unwrap());
    println!("interrupted at update {} of {}", newest.counters.update, TD.updates);

    run_to_end(&["run", "--resume", run.to_str().unwrap()]);
    assert_every_row_once(TD, &run);
    assert_eq!(reproducible_metrics(&reference), reproducible_metrics(&run));
}

#[test]
fn sigterm_checkpoints_and_stops_with_exit_status_143() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config(TD, tmp.path(), 4);
    let run = tmp.path().join("terminated");
    let mut child = mgrl(&["run", config.to_str().unwrap(), "--out", run.to_str().unwrap()]).spawn().unwrap();
    wait_for_progress(&mut child, &run, 5);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let out = finish(child);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(143), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("interrupted after update"), "{stdout}");
}
