//! Runs read back from their folders, for figures and reports: each run's config (its name,
//! seed, environment and the hash that groups it), its provenance (status, frames, its place
//! in a sweep) and its metrics.

use crate::run::metrics::MetricsTable;
use crate::run::provenance::{config_hash, Provenance, RunState};
use crate::run::run_dir::CONFIG_FILE;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// One run folder, read back.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub dir: PathBuf,
    pub name: String,
    pub seed: u64,
    /// The environment (a task, for aggregates across tasks).
    pub env: String,
    /// The sweep's variant, or else the experiment's name.
    pub variant: String,
    /// SHA-256 of the resolved config without name, seed and folder (see `provenance`).
    pub hash: String,
    /// From `provenance.json`; for a run without one, `finished` if its metrics reach its
    /// `[run] updates`, else `running`.
    pub status: RunState,
    /// Updates and frames done, and the updates the config asks for.
    pub updates: u64,
    pub updates_total: u64,
    pub frames: u64,
    /// Empty for a run that has not logged a row yet.
    pub metrics: MetricsTable,
}

impl RunRecord {
    /// Reads `dir/config.toml` (as TOML only: plugins need not be linked), `dir/provenance.json`
    /// if there is one, and `dir/metrics.csv` (absent: no rows yet).
    pub fn load(dir: &Path) -> Result<Self> {
        let config = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config).with_context(|| format!("cannot read {}", config.display()))?;
        let table: toml::Table = toml::from_str(&text).with_context(|| format!("{} is not TOML", config.display()))?;
        let name = match table.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => dir.file_name().map_or("run".into(), |n| n.to_string_lossy().into_owned()),
        };
        let seed = table.get("seed").and_then(toml::Value::as_integer).unwrap_or(0).max(0) as u64;
        let env = table.get("env").and_then(|e| e.get("name")).and_then(toml::Value::as_str).unwrap_or("?").to_string();
        let updates_total =
            table.get("run").and_then(|r| r.get("updates")).and_then(toml::Value::as_integer).unwrap_or(0).max(0)
                as u64;
        let metrics = if dir.join(crate::run::metrics::CSV_FILE).exists() {
            MetricsTable::read(dir)?
        } else {
            MetricsTable::empty(dir)
        };
        let hash = config_hash(&text).with_context(|| format!("{}", config.display()))?;
        let provenance = Provenance::read(dir)?;
        let last_update = metrics.values("update").last().copied().unwrap_or(0.0) as u64;
        let last_frames = metrics.values("frames").last().copied().unwrap_or(0.0) as u64;
        let (status, updates, frames) = match &provenance {
            Some(p) => (p.status, p.updates, p.frames),
            None if updates_total > 0 && last_update >= updates_total => (RunState::Finished, last_update, last_frames),
            None => (RunState::Running, last_update, last_frames),
        };
        let variant = provenance.and_then(|p| p.sweep).map_or_else(|| name.clone(), |s| s.variant);
        Ok(RunRecord {
            dir: dir.to_path_buf(),
            name,
            seed,
            env,
            variant,
            hash,
            status,
            updates,
            updates_total,
            frames,
            metrics,
        })
    }

    /// The first 8 hex digits of the config's hash, for tables and labels.
    pub fn short_hash(&self) -> &str {
        &self.hash[..self.hash.len().min(8)]
    }
}

/// The run folders named by `paths`: a run folder stands for itself, any other folder for
/// every run folder below it (e.g. `runs/figure1-gamma` for all its seeds), in name order.
pub fn find_runs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        if dir.join(CONFIG_FILE).is_file() {
            found.push(dir.to_path_buf());
            return Ok(());
        }
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        subdirs.iter().try_for_each(|d| walk(d, found))
    }
    let mut found = Vec::new();
    for p in paths {
        let before = found.len();
        walk(p, &mut found)?;
        if found.len() == before {
            bail!("{} holds no run (no {CONFIG_FILE} in it or below it)", p.display());
        }
    }
    Ok(found)
}

/// Loads every run named by `paths` (see [`find_runs`]).
pub fn load_runs(paths: &[PathBuf]) -> Result<Vec<RunRecord>> {
    find_runs(paths)?.iter().map(|d| RunRecord::load(d)).collect()
}

/// Runs grouped by the hash of their config (seeds of one experiment together, experiments
/// that share a name apart), groups in order of first appearance.
pub fn group_by_config(runs: &[RunRecord]) -> Vec<Vec<&RunRecord>> {
    let mut groups: Vec<Vec<&RunRecord>> = Vec::new();
    for r in runs {
        match groups.iter_mut().find(|g| g[0].hash == r.hash) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups
}
