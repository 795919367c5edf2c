//! The output folder of one run:
//!
//! ```text
//! RUN_DIR/config.toml      the resolved experiment (what `--resume` rebuilds the run from)
//! RUN_DIR/metrics.csv      one row per logging interval
//! RUN_DIR/metrics.jsonl    the same rows as JSON objects
//! RUN_DIR/provenance.json  mgrl's version and commit, the command lines, the config's hash,
//!                          the seed, the status and the frames done (see `provenance`)
//! RUN_DIR/checkpoints/     ckpt-<update>.ckpt (and diverged-<update>.ckpt after a divergence)
//! RUN_DIR/.lock            locked by the process that writes into the folder
//! ```

use super::metrics::{CSV_FILE, JSONL_FILE};
use anyhow::{bail, Context, Result};
use mgrl_core::config::{Experiment, PluginConfig};
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "config.toml";
pub const CHECKPOINT_DIR: &str = "checkpoints";
const LOCK_FILE: &str = ".lock";

/// Held while a process writes into a run folder (see [`RunDir::lock`]).
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

/// `[run]` keys of a run folder's config.toml that may be edited before `--resume` (to
/// extend a run, say): nothing recorded so far depends on them.
pub const RESUMABLE_CHANGES: &[&str] = &["updates", "keep_checkpoints", "out_dir"];

/// A run's output folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    /// Makes the folder of a new run, locks it and writes its resolved config; refuses a
    /// folder that already holds a run.
    pub fn create(path: &Path, exp: &Experiment) -> Result<(Self, RunLock)> {
        let dir = RunDir { path: path.to_path_buf() };
        std::fs::create_dir_all(path).with_context(|| format!("cannot create the run folder {}", path.display()))?;
        let lock = dir.lock()?;
        if [CSV_FILE, JSONL_FILE, CHECKPOINT_DIR].iter().any(|f| path.join(f).exists()) {
            bail!(
                "{} already holds a run; continue it with `mgrl run --resume {}`, or choose another folder with --out",
                path.display(),
                path.display()
            );
        }
        let text = resolved_config(exp, path)?;
        std::fs::write(dir.config(), text).with_context(|| format!("cannot write {}", dir.config().display()))?;
        Ok((dir, lock))
    }

    /// Takes the folder for this process: a second `mgrl run` on the same folder (a resume
    /// while the run still runs) is refused instead of interleaving its writes. The lock is
    /// the operating system's, so a killed process leaves none behind.
    pub fn lock(&self) -> Result<RunLock> {
        let path = self.path.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("{} is in use by another mgrl process; wait for it to end or stop it", self.path.display())
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }

    /// An existing run folder and the experiment its config describes.
    pub fn open(path: &Path) -> Result<(Self, Experiment)> {
        let dir = RunDir { path: path.to_path_buf() };
        if !dir.config().exists() {
            bail!("{} is not a run folder: it has no {CONFIG_FILE}", path.display());
        }
        let exp = Experiment::read(&dir.config())?;
        Ok((dir, exp))
    }

    pub fn config(&self) -> PathBuf {
        self.path.join(CONFIG_FILE)
    }

    pub fn checkpoints(&self) -> PathBuf {
        self.path.join(CHECKPOINT_DIR)
    }

    /// Whether `exp` (placed in this folder) resolves to the config the folder holds, all but
    /// `out_dir` compared (the folder may be named differently now: relative, moved).
    pub fn holds_config_of(&self, exp: &Experiment) -> Result<bool> {
        let saved = std::fs::read_to_string(self.config())
            .with_context(|| format!("cannot read {}", self.config().display()))?;
        let without_out_dir = |text: &str| -> Result<toml::Table> {
            let mut t: toml::Table = toml::from_str(text)?;
            if let Some(toml::Value::Table(run)) = t.get_mut("run") {
                run.remove("out_dir");
            }
            Ok(t)
        };
        Ok(without_out_dir(&resolved_config(exp, &self.path)?)? == without_out_dir(&saved)?)
    }

    /// CRC-32 of the config without the `[run]` keys that may change between a run and its
    /// resumption ([`RESUMABLE_CHANGES`]): ties checkpoints to the experiment they belong to.
    pub fn config_fingerprint(&self) -> Result<u32> {
        let text = std::fs::read_to_string(self.config())
            .with_context(|| format!("cannot read {}", self.config().display()))?;
        let mut table: toml::Table = toml::from_str(&text).with_context(|| format!("{}", self.config().display()))?;
        if let Some(toml::Value::Table(run)) = table.get_mut("run") {
            for key in RESUMABLE_CHANGES {
                run.remove(*key);
            }
        }
        Ok(crc32fast::hash(toml::to_string(&table)?.as_bytes()))
    }
}

/// The experiment as TOML with everything a run depends on written out: the name, the seed,
/// every `[run]` key (with `out_dir` set to the run's folder) and every meta-parameter and
/// defaulted option of each plugin section. Comments and key order are not kept.
pub fn resolved_config(exp: &Experiment, out_dir: &Path) -> Result<String> {
    let mut table = exp.doc.table().clone();
    table.insert("name".into(), toml::Value::String(exp.name.clone()));
    table.insert("seed".into(), toml::Value::Integer(i64::try_from(exp.seed).context("seed is too large")?));
    let mut run = exp.run.clone();
    run.out_dir = Some(out_dir.to_path_buf());
    table.insert("run".into(), toml::Value::try_from(&run).context("cannot write the [run] section")?);
    fill_plugin(&mut table, &["return"], &exp.ret);
    for (i, rt) in exp.reward_transforms.iter().enumerate() {
        if let Some(toml::Value::Table(t)) = table.get_mut("reward_transform").and_then(|a| a.get_mut(i)) {
            fill_table(t, rt);
        }
    }
    if let Some(meta) = &exp.meta {
        fill_plugin(&mut table, &["meta", "objective"], &meta.objective);
    }
    toml::to_string(&table).context("cannot write the resolved config")
}

fn fill_plugin<P: ?Sized>(table: &mut toml::Table, path: &[&str], cfg: &PluginConfig<P>) {
    let mut at = Some(table);
    for key in path {
        at = at.and_then(|t| t.get_mut(*key)).and_then(toml::Value::as_table_mut);
    }
    if let Some(t) = at {
        fill_table(t, cfg);
    }
}

/// Writes each meta-parameter's value and each option's default that the section leaves out.
fn fill_table<P: ?Sized>(table: &mut toml::Table, cfg: &PluginConfig<P>) {
    for m in &cfg.meta {
        table.entry(m.spec.name).or_insert(toml::Value::Float(m.value));
    }
    for o in cfg.entry.options.iter().filter(|o| !o.default.is_empty()) {
        if let Ok(v) = toml::from_str::<toml::Table>(&format!("v = {}", o.default)) {
            if let Some(v) = v.get("v") {
                table.entry(o.name).or_insert(v.clone());
            }
        }
    }
}
