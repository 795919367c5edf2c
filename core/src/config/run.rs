//! The `[run]` section: how long, how often to log, where outputs go.

use super::ConfigDoc;
use crate::Result;
use std::path::PathBuf;

/// The `[run]` section: how long, how often to log, where outputs go.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Learner updates (inner steps) in the run.
    pub updates: u64,
    /// Write a metrics row every this many updates.
    #[serde(default = "default_log_interval")]
    pub log_interval: u64,
    /// Output folder; `runs/<name>/seed-<seed>` when absent.
    #[serde(default)]
    pub out_dir: Option<PathBuf>,
}

impl RunConfig {
    /// Checks values serde cannot; errors point at the key.
    pub fn validate(&self, doc: &ConfigDoc) -> Result<()> {
        if self.updates == 0 {
            return Err(doc.error(&["run", "updates"], "`updates` must be at least 1"));
        }
        if self.log_interval == 0 {
            return Err(doc.error(&["run", "log_interval"], "`log_interval` must be at least 1"));
        }
        Ok(())
    }
}

fn default_log_interval() -> u64 {
    10
}
