//! Checkpoints: everything a run needs to continue exactly where it was, in one file
//! written atomically and guarded by a checksum.
//!
//! File layout (little-endian):
//!
//! ```text
//! b"MGRLCKP1"   8 bytes   magic and format version
//! crc32         4 bytes   CRC-32 (IEEE) of the payload
//! length        8 bytes   payload length in bytes
//! payload               a safetensors file: the learner's arrays as `learner/<name>` (f64),
//!                       the open logging interval's sums as `run/...`, and in its metadata
//!                       under "mgrl" a JSON object with the run-loop counters, the learner's
//!                       extra state and the array order
//! ```
//!
//! Writing goes to a temporary file in the same folder, which is synced, renamed over the
//! final name, and the folder synced: a reader sees the old set of checkpoints or the new
//! one, never half a file. A file that fails the magic, length or checksum test is reported
//! and skipped.

use super::interval::IntervalStats;
use crate::{AgentState, StateTensor};
use anyhow::{bail, ensure, Context, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"MGRLCKP1";
const HEADER_LEN: usize = 8 + 4 + 8;
const METADATA_KEY: &str = "mgrl";
const LEARNER_PREFIX: &str = "learner/";
const RUN_RETURNS: &str = "run/episode_returns";
const RUN_SCALAR_SUMS: &str = "run/scalar_sums";

/// The run loop's counters at the end of an update.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Updates completed.
    pub update: u64,
    /// Environment frames consumed.
    pub frames: u64,
    /// Episodes ended.
    pub episodes: u64,
    /// Wall-clock seconds spent in the run, over all its processes.
    pub wall_time_s: f64,
    /// Rows in the metrics files.
    pub metrics_rows: u64,
}

/// Everything a run continues from.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub counters: Counters,
    /// The logging interval that was open (updates since the last metrics row).
    pub interval: IntervalStats,
    pub agent: AgentState,
    /// The run's config fingerprint (`RunDir::config_fingerprint`): a checkpoint of another
    /// experiment is refused.
    pub config_crc32: u32,
}

/// The JSON part of the payload.
#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    counters: Counters,
    config_crc32: u32,
    learner_extra: serde_json::Value,
    /// Agent array names, in the learner's order (safetensors sorts them).
    learner_tensors: Vec<String>,
    /// (name, updates that reported it) of the open interval's scalars.
    interval_scalars: Vec<(String, u64)>,
}

/// Which checkpoints of a folder a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Periodic, on interruption, at the end: what `--resume` continues from.
    Resumable,
    /// The state in which a quantity stopped being finite: kept for inspection, never resumed.
    Diverged,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Resumable => "ckpt-",
            Kind::Diverged => "diverged-",
        }
    }
}

const EXTENSION: &str = ".ckpt";

/// The file name of a checkpoint after `update` updates.
pub fn file_name(kind: Kind, update: u64) -> String {
    format!("{}{update:010}{EXTENSION}", kind.prefix())
}

impl Checkpoint {
    /// The file's bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut names = std::collections::HashSet::new();
        for t in &self.agent.tensors {
            ensure!(names.insert(&t.name), "the learner's state names two arrays `{}`", t.name);
            ensure!(
                t.shape.iter().product::<usize>() == t.data.len(),
                "the learner's array `{}` has shape {:?} but {} values",
                t.name,
                t.shape,
                t.data.len()
            );
        }
        let bytes = |data: &[f64]| data.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
        let sums: Vec<f64> = self.interval.scalars.iter().map(|(_, s, _)| *s).collect();
        let mut arrays: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .agent
            .tensors
            .iter()
            .map(|t| (format!("{LEARNER_PREFIX}{}", t.name), t.shape.clone(), bytes(&t.data)))
            .collect();
        arrays.push((
            RUN_RETURNS.into(),
            vec![self.interval.episode_returns.len()],
            bytes(&self.interval.episode_returns),
        ));
        arrays.push((RUN_SCALAR_SUMS.into(), vec![sums.len()], bytes(&sums)));
        let meta = Meta {
            counters: self.counters.clone(),
            config_crc32: self.config_crc32,
            learner_extra: self.agent.extra.clone(),
            learner_tensors: self.agent.tensors.iter().map(|t| t.name.clone()).collect(),
            interval_scalars: self.interval.scalars.iter().map(|(n, _, c)| (n.clone(), *c)).collect(),
        };
        let info = HashMap::from([(METADATA_KEY.to_string(), serde_json::to_string(&meta)?)]);
        let views = arrays
            .iter()
            .map(|(name, shape, data)| Ok((name.clone(), TensorView::new(Dtype::F64, shape.clone(), data)?)))
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(|e| anyhow::anyhow!("cannot lay out the checkpoint's arrays: {e:?}"))?;
        let payload = safetensors::serialize(views, &Some(info))
            .map_err(|e| anyhow::anyhow!("cannot encode the checkpoint: {e:?}"))?;
        let mut file = Vec::with_capacity(HEADER_LEN + payload.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        file.extend_from_slice(&payload);
        Ok(file)
    }

    /// Decodes a file's bytes; any damage is an error that says what is wrong.
    pub fn decode(file: &[u8]) -> Result<Self> {
        ensure!(file.len() >= HEADER_LEN && &file[..8] == MAGIC, "not an mgrl checkpoint (bad magic or too short)");
        let crc = u32::from_le_bytes(file[8..12].try_into().expect("4 bytes"));
        let len = u64::from_le_bytes(file[12..20].try_into().expect("8 bytes"));
        let payload = &file[HEADER_LEN..];
        ensure!(
            payload.len() as u64 == len,
            "truncated or padded: the header promises {len} payload bytes, the file has {}",
            payload.len()
        );
        ensure!(crc32fast::hash(payload) == crc, "checksum mismatch: the file is corrupt");
        let st = SafeTensors::deserialize(payload).map_err(|e| anyhow::anyhow!("bad safetensors payload: {e:?}"))?;
        let (_, header) = SafeTensors::read_metadata(payload).map_err(|e| anyhow::anyhow!("bad header: {e:?}"))?;
        let json = header.metadata().as_ref().and_then(|m| m.get(METADATA_KEY)).context("no run metadata")?;
        let meta: Meta = serde_json::from_str(json).context("bad run metadata")?;
        let array = |name: &str| -> Result<(Vec<usize>, Vec<f64>)> {
            let view = st.tensor(name).map_err(|e| anyhow::anyhow!("array `{name}`: {e:?}"))?;
            ensure!(view.dtype() == Dtype::F64, "array `{name}` is not f64");
            let data =
                view.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
            Ok((view.shape().to_vec(), data))
        };
        let tensors = meta
            .learner_tensors
            .iter()
            .map(|name| {
                let (shape, data) = array(&format!("{LEARNER_PREFIX}{name}"))?;
                Ok(StateTensor { name: name.clone(), shape, data })
            })
            .collect::<Result<_>>()?;
        let (_, episode_returns) = array(RUN_RETURNS)?;
        let (_, sums) = array(RUN_SCALAR_SUMS)?;
        ensure!(sums.len() == meta.interval_scalars.len(), "interval sums and names differ in length");
        let scalars = meta.interval_scalars.into_iter().zip(sums).map(|((n, c), s)| (n, s, c)).collect();
        Ok(Checkpoint {
            counters: meta.counters,
            interval: IntervalStats { episode_returns, scalars },
            agent: AgentState { tensors, extra: meta.learner_extra },
            config_crc32: meta.config_crc32,
        })
    }

    /// Writes the checkpoint into `dir` atomically; returns its path.
    pub fn write_atomic(&self, dir: &Path, kind: Kind) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let bytes = self.encode()?;
        let name = file_name(kind, self.counters.update);
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(dir)?.sync_all()
        };
        write().with_context(|| format!("cannot write checkpoint {}", path.display()))?;
        Ok(path)
    }

    /// Reads and checks one file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::decode(&bytes)
    }
}

/// The resumable checkpoints of `dir`, newest first, by the update in their names.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let update = name.strip_prefix(Kind::Resumable.prefix()).and_then(|n| n.strip_suffix(EXTENSION));
        if let Some(update) = update.and_then(|u| u.parse::<u64>().ok()) {
            found.push((update, path));
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// What [`newest_valid`] found.
#[derive(Debug)]
pub struct NewestValid {
    /// The newest checkpoint that reads back intact, and its path.
    pub found: Option<(PathBuf, Checkpoint)>,
    /// A warning naming each newer file that did not.
    pub skipped: Vec<String>,
}

/// The newest checkpoint of `dir` that reads back intact, skipping damaged newer ones.
pub fn newest_valid(dir: &Path) -> Result<NewestValid> {
    let mut skipped = Vec::new();
    for path in list(dir)? {
        match Checkpoint::read(&path) {
            Ok(c) => return Ok(NewestValid { found: Some((path, c)), skipped }),
            Err(e) => skipped.push(format!("skipping checkpoint {}: {e:#}", path.display())),
        }
    }
    Ok(NewestValid { found: None, skipped })
}

/// Deletes all but the newest `keep` resumable checkpoints and any temporary file left by
/// a write that was cut off.
pub fn prune(dir: &Path, keep: usize) -> Result<()> {
    for old in list(dir)?.into_iter().skip(keep) {
        std::fs::remove_file(&old).with_context(|| format!("cannot delete old checkpoint {}", old.display()))?;
    }
    let read = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in read {
        let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') && name.ends_with(".tmp") {
            std::fs::remove_file(&path).with_context(|| format!("cannot delete {}", path.display()))?;
        }
    }
    Ok(())
}

/// Refuses a checkpoint whose config differs from the run's.
pub fn check_config(path: &Path, ckpt: &Checkpoint, config_crc32: u32) -> Result<()> {
    if ckpt.config_crc32 != config_crc32 {
        bail!(
            "checkpoint {} was written for a different config.toml than the run folder holds (only [run] {} may \
             change before a resume)",
            path.display(),
            super::run_dir::RESUMABLE_CHANGES.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(update: u64) -> Checkpoint {
        Checkpoint {
            counters: Counters {
                update,
                frames: 40 * update,
                episodes: 3,
                wall_time_s: 1.5,
                metrics_rows: update / 10,
            },
            interval: IntervalStats {
                episode_returns: vec![0.1, -2.5e-300],
                scalars: vec![("loss".into(), 1.0 / 3.0, 2), ("empty".into(), 0.0, 1)],
            },
            agent: AgentState {
                tensors: vec![
                    StateTensor {
                        name: "z_weights".into(),
                        shape: vec![2, 2],
                        data: vec![1.0, f64::MIN_POSITIVE, -0.0, 7.0],
                    },
                    StateTensor { name: "a_bias".into(), shape: vec![0], data: vec![] },
                ],
                extra: serde_json::json!({ "rng": [1u64, 2u64], "steps": 7 }),
            },
            config_crc32: 0xdead_beef,
        }
    }

    #[test]
    fn checkpoint_round_trips_bit_for_bit_and_keeps_the_learner_array_order() {
        let c = sample(30);
        let back = Checkpoint::decode(&c.encode().unwrap()).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.agent.tensors[0].name, "z_weights");
        assert_eq!(back.agent.tensors[0].data[1].to_bits(), f64::MIN_POSITIVE.to_bits());
    }

    #[test]
    fn truncated_or_flipped_bytes_are_detected() {
        let bytes = sample(30).encode().unwrap();
        let err = Checkpoint::decode(&bytes[..bytes.len() - 5]).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        for i in [3, 9, 40, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(Checkpoint::decode(&bad).is_err(), "flipping byte {i} went unnoticed");
        }
    }

    #[test]
    fn newest_valid_skips_a_corrupt_newer_file_with_a_warning_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        for u in [10, 20, 30] {
            sample(u).write_atomic(dir.path(), Kind::Resumable).unwrap();
        }
        let newest = dir.path().join(file_name(Kind::Resumable, 30));
        let len = std::fs::metadata(&newest).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&newest).unwrap().set_len(len / 2).unwrap();
        let NewestValid { found, skipped: warnings } = newest_valid(dir.path()).unwrap();
        let (path, ckpt) = found.unwrap();
        assert_eq!(ckpt.counters.update, 20);
        assert!(path.ends_with(file_name(Kind::Resumable, 20)));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("ckpt-0000000030.ckpt") && warnings[0].contains("truncated"), "{warnings:?}");
    }

    #[test]
    fn prune_keeps_the_newest_and_removes_leftover_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        for u in [5, 10, 15, 20] {
            sample(u).write_atomic(dir.path(), Kind::Resumable).unwrap();
        }
        sample(25).write_atomic(dir.path(), Kind::Diverged).unwrap();
        std::fs::write(dir.path().join(".ckpt-0000000030.ckpt.tmp"), b"half").unwrap();
        prune(dir.path(), 2).unwrap();
        let mut names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["ckpt-0000000015.ckpt", "ckpt-0000000020.ckpt", "diverged-0000000025.ckpt"]);
    }

    #[test]
    fn a_learner_state_with_a_misshapen_array_is_refused() {
        let mut c = sample(1);
        c.agent.tensors[0].shape = vec![3];
        let err = c.encode().unwrap_err().to_string();
        assert!(err.contains("z_weights"), "{err}");
    }
}
