//! The `[run]` section: how long, how often to log and to checkpoint, where outputs go.
//!
//! ```toml
//! [run]
//! updates = 10000            # learner updates in the run
//! log_interval = 10          # a metrics row every 10 updates
//! checkpoint_interval = 1000 # a checkpoint every 1000 updates (and on Ctrl-C, and at the end)
//! keep_checkpoints = 3       # the newest 3 are kept
//! deterministic = true       # the same seed gives the same metrics, byte for byte
//! out_dir = "runs/demo"      # default: runs/<name>/seed-<seed>
//! ```

use super::ConfigDoc;
use crate::Result;
use std::path::PathBuf;

/// The `[run]` section: how long, how often to log and to checkpoint, where outputs go.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Learner updates (inner steps) in the run.
    pub updates: u64,
    /// Write a metrics row every this many updates.
    #[serde(default = "default_log_interval")]
    pub log_interval: u64,
    /// Write a checkpoint every this many updates (and also when the run is interrupted and
    /// when it ends).
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval: u64,
    /// How many of the newest checkpoints are kept; older ones are deleted.
    #[serde(default = "default_keep_checkpoints")]
    pub keep_checkpoints: u64,
    /// The same seed gives identical metrics (wall-clock columns aside), also across a
    /// checkpoint and resume. Learners honour it by drawing every random number from the
    /// seeded generator they checkpoint and by using order-fixed reductions; the run loop
    /// takes no decision from the clock. On by default (the CPU backend is deterministic).
    #[serde(default = "default_true")]
    pub deterministic: bool,
    /// Output folder; `runs/<name>/seed-<seed>` when absent.
    #[serde(default)]
    pub out_dir: Option<PathBuf>,
}

impl RunConfig {
    /// Checks values serde cannot; errors point at the key.
    pub fn validate(&self, doc: &ConfigDoc) -> Result<()> {
        let at_least_one = [
            ("updates", self.updates),
            ("log_interval", self.log_interval),
            ("checkpoint_interval", self.checkpoint_interval),
            ("keep_checkpoints", self.keep_checkpoints),
        ];
        if let Some((key, _)) = at_least_one.iter().find(|(_, v)| *v == 0) {
            return Err(doc.error(&["run", key], format!("`{key}` must be at least 1")));
        }
        Ok(())
    }
}

fn default_log_interval() -> u64 {
    10
}

fn default_checkpoint_interval() -> u64 {
    1000
}

fn default_keep_checkpoints() -> u64 {
    3
}

fn default_true() -> bool {
    true
}
