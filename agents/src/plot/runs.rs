//! Finished (or running) runs read back from their folders, for figures and reports.

use crate::run::metrics::MetricsTable;
use crate::run::run_dir::CONFIG_FILE;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// One run folder: its experiment's name and seed, and its metrics.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub dir: PathBuf,
    pub name: String,
    pub seed: u64,
    pub metrics: MetricsTable,
}

impl RunRecord {
    /// Reads `dir/config.toml` (only its `name` and `seed`: plugins need not be linked) and
    /// `dir/metrics.csv`.
    pub fn load(dir: &Path) -> Result<Self> {
        let config = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config).with_context(|| format!("cannot read {}", config.display()))?;
        let table: toml::Table = toml::from_str(&text).with_context(|| format!("{} is not TOML", config.display()))?;
        let name = match table.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => dir.file_name().map_or("run".into(), |n| n.to_string_lossy().into_owned()),
        };
        let seed = table.get("seed").and_then(toml::Value::as_integer).unwrap_or(0).max(0) as u64;
        Ok(RunRecord { dir: dir.to_path_buf(), name, seed, metrics: MetricsTable::read(dir)? })
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

/// Runs grouped by experiment name, groups in order of first appearance.
pub fn group_by_name(runs: &[RunRecord]) -> Vec<(String, Vec<&RunRecord>)> {
    let mut groups: Vec<(String, Vec<&RunRecord>)> = Vec::new();
    for r in runs {
        match groups.iter_mut().find(|(n, _)| *n == r.name) {
            Some((_, g)) => g.push(r),
            None => groups.push((r.name.clone(), vec![r])),
        }
    }
    groups
}
