//! `provenance.json` of a run folder: where the run came from and how far it got.
//!
//! ```json
//! { "mgrl_version": "0.1.0", "git_commit": "db5940a…", "commands": [["mgrl", "run", "x.toml"]],
//!   "config_hash": "3f2a…", "name": "catch-meta-gamma", "seed": 0, "env": "catch",
//!   "sweep": { "name": "catch-tiny", "env": "catch", "variant": "meta-gamma" },
//!   "status": "finished", "updates": 300, "updates_total": 300, "frames": 96000 }
//! ```
//!
//! `commands` holds every command line that worked on the run, the first one started it (a
//! resume adds its own). The resolved config is `config.toml` beside it; `config_hash` is the
//! SHA-256 of that config with what does not decide the results left out ([`config_hash`]), so
//! the seeds of one experiment share it and `mgrl report` groups by it. `status` is written
//! when the run starts, at every checkpoint and when it ends, each time atomically (a
//! temporary file renamed over the old one): a run killed with SIGKILL stays `running`.

use super::run_dir::RunDir;
use anyhow::{Context, Result};
use mgrl_core::config::Experiment;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub const PROVENANCE_FILE: &str = "provenance.json";

/// The git commit mgrl was built from ("unknown" outside a checkout), from `build.rs`.
pub const GIT_COMMIT: &str = env!("MGRL_GIT_COMMIT");

/// Keys of the resolved config that do not change a run's results: left out of its hash.
pub const NOT_HASHED: &[&[&str]] =
    &[&["name"], &["seed"], &["run", "out_dir"], &["run", "checkpoint_interval"], &["run", "keep_checkpoints"]];

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Started and not ended (or killed without a chance to say so).
    Running,
    /// Did all its updates.
    Finished,
    /// Stopped at a non-finite quantity or a failed update (a domain error, say).
    Diverged,
    /// Stopped by Ctrl-C or SIGTERM after a checkpoint; `--resume` continues it.
    Stopped,
    /// The agent or the environment panicked.
    Failed,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Diverged => "diverged",
            RunState::Stopped => "stopped",
            RunState::Failed => "failed",
        }
    }
}

/// The place of a run in a sweep.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SweepTag {
    pub name: String,
    pub env: String,
    pub variant: String,
}

/// The contents of `provenance.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    pub mgrl_version: String,
    pub git_commit: String,
    pub commands: Vec<Vec<String>>,
    pub config_hash: String,
    pub name: String,
    pub seed: u64,
    pub env: String,
    #[serde(default)]
    pub sweep: Option<SweepTag>,
    pub status: RunState,
    pub updates: u64,
    pub updates_total: u64,
    pub frames: u64,
}

impl Provenance {
    /// A new run's record: this build, this process's command line, `running`, nothing done.
    pub fn new(exp: &Experiment, dir: &RunDir) -> Result<Self> {
        Ok(Provenance {
            mgrl_version: env!("CARGO_PKG_VERSION").into(),
            git_commit: GIT_COMMIT.into(),
            commands: vec![command_line()],
            config_hash: config_hash(&read_config(dir)?)?,
            name: exp.name.clone(),
            seed: exp.seed,
            env: exp.env.name.clone(),
            sweep: None,
            status: RunState::Running,
            updates: 0,
            updates_total: exp.run.updates,
            frames: 0,
        })
    }

    /// The record of the run in `dir`, if it has one.
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(PROVENANCE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).with_context(|| format!("{} is damaged", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes the record atomically: a temporary file, synced, renamed over the old one.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(PROVENANCE_FILE);
        let tmp = dir.join(format!(".{PROVENANCE_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self)? + "\n";
        let mut file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// This process's command line.
pub fn command_line() -> Vec<String> {
    std::env::args().collect()
}

fn read_config(dir: &RunDir) -> Result<String> {
    std::fs::read_to_string(dir.config()).with_context(|| format!("cannot read {}", dir.config().display()))
}

/// SHA-256 (hex) of a resolved config without the keys in [`NOT_HASHED`], written in a
/// canonical form (keys sorted at every level, numbers in shortest round-trip form), so that
/// the same experiment gives the same hash whatever its key order, name, seed or folder.
pub fn config_hash(config_text: &str) -> Result<String> {
    let mut table: toml::Table = toml::from_str(config_text).context("the resolved config is not TOML")?;
    for path in NOT_HASHED {
        remove(&mut table, path);
    }
    let mut canonical = String::new();
    write_canonical(&toml::Value::Table(table), &mut canonical);
    Ok(Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect())
}

fn remove(table: &mut toml::Table, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            table.remove(*last);
        }
        [first, rest @ ..] => {
            if let Some(toml::Value::Table(t)) = table.get_mut(*first) {
                remove(t, rest);
            }
        }
    }
}

fn write_canonical(v: &toml::Value, out: &mut String) {
    match v {
        toml::Value::Table(t) => {
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&t[k.as_str()], out);
                out.push(',');
            }
            out.push('}');
        }
        toml::Value::Array(items) => {
            out.push('[');
            for item in items {
                write_canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        toml::Value::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        toml::Value::Integer(i) => out.push_str(&i.to_string()),
        toml::Value::Float(f) => out.push_str(&format!("{f:?}")),
        toml::Value::Boolean(b) => out.push_str(&b.to_string()),
        toml::Value::Datetime(d) => out.push_str(&d.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_name_seed_folder_and_key_order_but_not_the_experiment() {
        let a = "name = \"a\"\nseed = 0\n[run]\nupdates = 5\nout_dir = \"runs/a/seed-0\"\n[return]\ngamma = 0.5\ntype = \"x\"\n";
        let b = "seed = 3\nname = \"b\"\n[return]\ntype = \"x\"\ngamma = 0.5\n[run]\nout_dir = \"elsewhere\"\nupdates = 5\nkeep_checkpoints = 9\n";
        let c = a.replace("gamma = 0.5", "gamma = 0.6");
        assert_eq!(config_hash(a).unwrap(), config_hash(b).unwrap());
        assert_ne!(config_hash(a).unwrap(), config_hash(&c).unwrap());
        assert_eq!(config_hash(a).unwrap().len(), 64);
    }

    #[test]
    fn the_record_round_trips_and_replaces_the_old_one_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Provenance {
            mgrl_version: "0.1.0".into(),
            git_commit: GIT_COMMIT.into(),
            commands: vec![vec!["mgrl".into(), "run".into()]],
            config_hash: "ab".into(),
            name: "n".into(),
            seed: 2,
            env: "catch".into(),
            sweep: Some(SweepTag { name: "s".into(), env: "catch".into(), variant: "v".into() }),
            status: RunState::Running,
            updates: 0,
            updates_total: 10,
            frames: 0,
        };
        assert_eq!(Provenance::read(dir.path()).unwrap(), None);
        p.write(dir.path()).unwrap();
        p.status = RunState::Finished;
        p.write(dir.path()).unwrap();
        assert_eq!(Provenance::read(dir.path()).unwrap(), Some(p));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [PROVENANCE_FILE]);
        let text = std::fs::read_to_string(dir.path().join(PROVENANCE_FILE)).unwrap();
        assert!(text.contains("\"status\": \"finished\""), "{text}");
    }
}
