//! The run loop driven in-process with a small seeded learner defined here: metrics rows,
//! checkpoints, interruption and resume (equal to an uninterrupted run), reproducibility,
//! and the guards (NaN, Err, panic). The same properties through the `mgrl` binary and the
//! real TD agent are tested in `run_process.rs`.

use anyhow::Result;
use mgrl_agents::agent::{Agent, AgentEntry, AgentState, Divergence, StateTensor, UpdateReport};
use mgrl_agents::run::checkpoint::{self, Kind};
use mgrl_agents::run::metrics::{MetricsTable, CSV_FILE, JSONL_FILE, WALL_CLOCK_COLUMN};
use mgrl_agents::run::{self, Status};
use mgrl_core::config::Experiment;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

// The experiment needs a registered return plugin; the retrace example plugin is one.
use mgrl_plugin_retrace as _;

/// A stop flag per experiment name, so that the learner can raise the flag the test's run
/// loop watches (as a Ctrl-C would) while tests run in parallel.
fn stop_flag(name: &str) -> &'static AtomicBool {
    static FLAGS: OnceLock<Mutex<HashMap<String, &'static AtomicBool>>> = OnceLock::new();
    let mut flags = FLAGS.get_or_init(Default::default).lock().unwrap();
    flags.entry(name.to_string()).or_insert_with(|| Box::leak(Box::new(AtomicBool::new(false))))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WalkOptions {
    nan_at: Option<u64>,
    fail_at: Option<u64>,
    panic_at: Option<u64>,
    stop_at: Option<u64>,
}

/// Three weights doing a seeded random walk; an episode ends every third update.
struct Walk {
    name: String,
    options: WalkOptions,
    rng: ChaCha8Rng,
    weights: Vec<f64>,
    updates: u64,
}

impl Agent for Walk {
    fn update(&mut self) -> Result<UpdateReport> {
        self.updates += 1;
        let n = self.updates;
        if self.options.stop_at == Some(n) {
            stop_flag(&self.name).store(true, Ordering::SeqCst);
        }
        if self.options.panic_at == Some(n) {
            panic!("the walk fell off the table at step {n}");
        }
        if self.options.fail_at == Some(n) {
            return Err(Divergence { quantity: "weights".into(), detail: "left [-10, 10]".into() }.into());
        }
        for w in &mut self.weights {
            *w += 0.1 * (self.rng.gen::<f64>() - 0.5);
        }
        let loss = if self.options.nan_at == Some(n) { f64::NAN } else { self.weights.iter().map(|w| w * w).sum() };
        let episode_returns =
            if n.is_multiple_of(3) { vec![self.weights.iter().sum::<f64>() + self.rng.gen::<f64>()] } else { vec![] };
        Ok(UpdateReport { frames: 4, episode_returns, scalars: vec![("loss".into(), loss)] })
    }

    fn meta_values(&self) -> Vec<(String, f64)> {
        self.weights.iter().enumerate().map(|(i, w)| (format!("gamma[{i}]"), 1.0 / (1.0 + (-w).exp()))).collect()
    }

    fn state(&self) -> Result<AgentState> {
        Ok(AgentState {
            tensors: vec![StateTensor { name: "weights".into(), shape: vec![3], data: self.weights.clone() }],
            extra: serde_json::json!({
                "seed": self.rng.get_seed().to_vec(),
                "word_pos": self.rng.get_word_pos().to_string(),
                "updates": self.updates,
            }),
        })
    }

    fn restore(&mut self, state: AgentState) -> Result<()> {
        self.weights = state.tensors[0].data.clone();
        let seed: Vec<u8> = serde_json::from_value(state.extra["seed"].clone())?;
        self.rng = ChaCha8Rng::from_seed(seed.try_into().map_err(|_| anyhow::anyhow!("bad seed"))?);
        self.rng.set_word_pos(state.extra["word_pos"].as_str().unwrap_or("0").parse()?);
        self.updates = state.extra["updates"].as_u64().unwrap_or(0);
        Ok(())
    }
}

fn build_walk(exp: &Experiment) -> Result<Box<dyn Agent>> {
    let options: WalkOptions = exp.agent.options(&exp.doc)?;
    Ok(Box::new(Walk {
        name: exp.name.clone(),
        options,
        rng: ChaCha8Rng::seed_from_u64(exp.seed),
        weights: vec![0.0; 3],
        updates: 0,
    }))
}

inventory::submit! {
    AgentEntry { kind: "test_walk", description: "seeded random walk (run-loop tests)", build: build_walk }
}

/// An experiment of `updates` updates, a row every 5, a checkpoint every 10, 2 kept.
fn experiment(dir: &Path, name: &str, seed: u64, updates: u64, agent_options: &str) -> Experiment {
    let text = format!(
        "name = \"{name}\"\nseed = {seed}\n[env]\nname = \"none\"\n[agent]\nkind = \"test_walk\"\n{agent_options}\n\
         [return]\ntype = \"retrace\"\n[run]\nupdates = {updates}\nlog_interval = 5\ncheckpoint_interval = 10\n\
         keep_checkpoints = 2\n"
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    Experiment::read(&path).unwrap()
}

/// Both metrics files with the wall-clock column removed: what must be reproducible.
fn reproducible_metrics(run: &Path) -> (String, String) {
    let csv = std::fs::read_to_string(run.join(CSV_FILE)).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let wall = header.iter().position(|c| *c == WALL_CLOCK_COLUMN).unwrap();
    let strip =
        |l: &str| l.split(',').enumerate().filter(|(i, _)| *i != wall).map(|(_, c)| c).collect::<Vec<_>>().join(",");
    let csv = std::iter::once(strip(&header.join(","))).chain(lines.map(strip)).collect::<Vec<_>>().join("\n");
    let jsonl = std::fs::read_to_string(run.join(JSONL_FILE)).unwrap();
    let jsonl = jsonl
        .lines()
        .map(|l| {
            let start = l.find("\"wall_time_s\":").unwrap();
            let end = start + l[start..].find(',').unwrap() + 1;
            format!("{}{}", &l[..start], &l[end..])
        })
        .collect::<Vec<_>>()
        .join("\n");
    (csv, jsonl)
}

fn never() -> &'static AtomicBool {
    static NEVER: AtomicBool = AtomicBool::new(false);
    &NEVER
}

#[test]
fn a_run_writes_a_row_per_interval_the_config_and_the_newest_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path(), "rows", 1, 27, "");
    let out = run::start(&exp, &tmp.path().join("run"), never()).unwrap();
    assert_eq!(out.status, Status::Completed);
    assert_eq!((out.counters.update, out.counters.frames, out.counters.episodes), (27, 108, 9));
    let t = MetricsTable::read(&out.dir).unwrap();
    assert_eq!(t.values("update"), [5.0, 10.0, 15.0, 20.0, 25.0, 27.0]);
    assert_eq!(t.values("frames"), [20.0, 40.0, 60.0, 80.0, 100.0, 108.0]);
    // Episodes end at updates 3, 6, 9, …: one or two per row of five.
    assert_eq!(t.values("episodes"), [1.0, 2.0, 2.0, 1.0, 2.0, 1.0]);
    assert_eq!(t.meta_columns(), ["gamma[0]", "gamma[1]", "gamma[2]"]);
    assert!(t.column("loss").is_some());
    let names: Vec<_> = checkpoint::list(&out.dir.join("checkpoints")).unwrap();
    assert_eq!(names.len(), 2, "keep_checkpoints = 2: {names:?}");
    assert!(names[0].ends_with(checkpoint::file_name(Kind::Resumable, 27)));
    assert!(names[1].ends_with(checkpoint::file_name(Kind::Resumable, 20)));
    let config = Experiment::read(&out.dir.join("config.toml")).unwrap();
    assert_eq!((config.run.updates, config.seed), (27, 1));
    assert_eq!(config.run.out_dir.as_deref(), Some(out.dir.as_path()));
    // The same folder cannot be started twice.
    let err = run::start(&exp, &out.dir, never()).unwrap_err().to_string();
    assert!(err.contains("already holds a run") && err.contains("--resume"), "{err}");
}

#[test]
fn the_same_seed_gives_identical_metrics_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<_> = [(7, "a"), (7, "b"), (8, "c")]
        .iter()
        .map(|(seed, dir)| {
            let exp = experiment(tmp.path(), "repro", *seed, 40, "");
            run::start(&exp, &tmp.path().join(dir), never()).unwrap();
            reproducible_metrics(&tmp.path().join(dir))
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert_ne!(runs[0].0, runs[2].0);
}

#[test]
fn an_interrupted_and_resumed_run_equals_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = experiment(tmp.path(), "whole", 3, 43, "");
    run::start(&whole, &tmp.path().join("whole"), never()).unwrap();

    // Stopped after update 13: between checkpoints (10, 20) and between rows (10, 15).
    let parts = experiment(tmp.path(), "parts", 3, 43, "stop_at = 13");
    let first = run::start(&parts, &tmp.path().join("parts"), stop_flag("parts")).unwrap();
    assert_eq!(first.status, Status::Interrupted);
    assert_eq!(first.counters.update, 13);
    assert!(first.checkpoint.unwrap().ends_with(checkpoint::file_name(Kind::Resumable, 13)));
    stop_flag("parts").store(false, Ordering::SeqCst);
    let mut warnings = Vec::new();
    let second = run::resume(&tmp.path().join("parts"), never(), &mut |w| warnings.push(w.to_string())).unwrap();
    assert_eq!(second.status, Status::Completed);
    assert!(warnings.is_empty(), "{warnings:?}");
    // The learner options differ (stop_at), and the name; the metrics must not.
    let (whole_csv, whole_jsonl) = reproducible_metrics(&tmp.path().join("whole"));
    let (parts_csv, parts_jsonl) = reproducible_metrics(&tmp.path().join("parts"));
    assert_eq!(whole_csv, parts_csv);
    assert_eq!(whole_jsonl, parts_jsonl);
    // Resuming a finished run does nothing.
    let again = run::resume(&tmp.path().join("parts"), never(), &mut |_| {}).unwrap();
    assert_eq!(again.status, Status::AlreadyComplete);
}

#[test]
fn resume_skips_a_corrupt_newest_checkpoint_and_cuts_the_metrics_back_to_the_older_one() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = experiment(tmp.path(), "whole2", 5, 30, "");
    run::start(&whole, &tmp.path().join("whole"), never()).unwrap();
    let parts = experiment(tmp.path(), "parts2", 5, 30, "stop_at = 24");
    let dir = tmp.path().join("parts");
    run::start(&parts, &dir, stop_flag("parts2")).unwrap();
    stop_flag("parts2").store(false, Ordering::SeqCst);
    // Damage the newest checkpoint (update 24): resume must fall back to update 20.
    let newest = dir.join("checkpoints").join(checkpoint::file_name(Kind::Resumable, 24));
    let mut bytes = std::fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&newest, bytes).unwrap();
    let mut warnings = Vec::new();
    run::resume(&dir, never(), &mut |w| warnings.push(w.to_string())).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("ckpt-0000000024.ckpt") && warnings[0].contains("checksum"), "{warnings:?}");
    assert_eq!(reproducible_metrics(&tmp.path().join("whole")), reproducible_metrics(&dir));
}

#[test]
fn a_nan_stops_the_run_naming_the_quantity_and_update_after_a_final_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path(), "nan", 0, 30, "nan_at = 12");
    let dir = tmp.path().join("run");
    let err = format!("{:#}", run::start(&exp, &dir, never()).unwrap_err());
    assert!(err.contains("`loss` became NaN at update 12"), "{err}");
    let diverged = dir.join("checkpoints").join(checkpoint::file_name(Kind::Diverged, 12));
    assert!(err.contains(&diverged.display().to_string()), "{err}");
    assert_eq!(checkpoint::Checkpoint::read(&diverged).unwrap().counters.update, 12);
    // The rows before the divergence are on disk; resume does not pick the diverged state.
    assert_eq!(MetricsTable::read(&dir).unwrap().values("update"), [5.0, 10.0]);
    assert!(
        checkpoint::list(&dir.join("checkpoints")).unwrap()[0].ends_with(checkpoint::file_name(Kind::Resumable, 10))
    );
}

#[test]
fn an_err_from_update_stops_the_run_with_its_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path(), "fail", 0, 30, "fail_at = 7");
    let err = run::start(&exp, &tmp.path().join("run"), never()).unwrap_err();
    let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
    assert!(chain[0].starts_with("update 7 failed"), "{chain:?}");
    assert!(chain.iter().any(|c| c.contains("`weights` diverged: left [-10, 10]")), "{chain:?}");
}

#[test]
fn a_panic_in_the_learner_is_reported_with_its_message_and_update() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path(), "panic", 0, 30, "panic_at = 9");
    let dir = tmp.path().join("run");
    let err = run::start(&exp, &dir, never()).unwrap_err().to_string();
    assert!(err.contains("panicked during update 9: the walk fell off the table at step 9"), "{err}");
    assert!(err.contains("run_loop.rs"), "the panic's place is named: {err}");
    assert_eq!(MetricsTable::read(&dir).unwrap().values("update"), [5.0]);
}

#[test]
fn the_resolved_config_reads_back_to_the_same_experiment() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path(), "resolved", 12, 9, "nan_at = 100");
    let text = mgrl_agents::run::run_dir::resolved_config(&exp, Path::new("somewhere/else")).unwrap();
    let back = Experiment::parse("resolved.toml", &text).unwrap();
    assert_eq!((back.name.as_str(), back.seed), ("resolved", 12));
    assert_eq!(back.run.out_dir.as_deref(), Some(Path::new("somewhere/else")));
    assert_eq!(back.run.checkpoint_interval, 10);
    // Every meta-parameter of the return is written out, defaults included.
    let table: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(table["return"]["gamma"].as_float(), Some(0.99));
    assert_eq!(table["return"]["lambda"].as_float(), Some(0.95));
    assert_eq!(table["agent"]["nan_at"].as_integer(), Some(100));
}

#[test]
fn a_finished_run_extends_when_its_updates_are_raised_but_other_edits_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = experiment(tmp.path(), "long", 2, 40, "");
    run::start(&whole, &tmp.path().join("long"), never()).unwrap();
    let short = experiment(tmp.path(), "short", 2, 20, "");
    let dir = tmp.path().join("short");
    run::start(&short, &dir, never()).unwrap();
    let config = dir.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("log_interval = 5", "log_interval = 4")).unwrap();
    let err = run::resume(&dir, never(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("different config.toml") && err.contains("updates, keep_checkpoints, out_dir"), "{err}");
    std::fs::write(&config, text.replace("updates = 20", "updates = 40")).unwrap();
    let out = run::resume(&dir, never(), &mut |_| {}).unwrap();
    assert_eq!((out.status, out.counters.update), (Status::Completed, 40));
    assert_eq!(reproducible_metrics(&tmp.path().join("long")), reproducible_metrics(&dir));
}

#[test]
fn a_run_folder_in_use_by_another_process_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path(), "locked", 0, 10, "");
    let dir = tmp.path().join("run");
    run::start(&exp, &dir, never()).unwrap();
    let held = run::RunDir { path: dir.clone() }.lock().unwrap();
    let err = run::resume(&dir, never(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("in use by another mgrl process"), "{err}");
    drop(held);
    assert_eq!(run::resume(&dir, never(), &mut |_| {}).unwrap().status, Status::AlreadyComplete);
}
