//! The whole experiment file.

use super::{ConfigDoc, PluginConfig, RunConfig};
use crate::{Error, PluginKind, Result, ReturnFn, RewardTransform};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The top-level keys of an experiment file.
const TOP_LEVEL: &[&str] = &["name", "seed", "env", "agent", "return", "reward_transform", "meta", "run"];

/// A section that names a registered component (`[env] name = ...`, `[agent] kind = ...`)
/// and carries its options; the component's owner deserializes them.
#[derive(Debug, Clone)]
pub struct Section {
    /// The section's key in the file.
    pub path: &'static str,
    /// The component's name.
    pub name: String,
    /// Every other key of the section.
    pub options: toml::Table,
}

impl Section {
    fn parse(doc: &ConfigDoc, path: &'static str, name_key: &'static str) -> Result<Self> {
        let table = match doc.table().get(path) {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(doc.error(&[path], format!("`{path}` must be a table"))),
            None => {
                return Err(Error::ConfigFile {
                    file: doc.file().into(),
                    message: format!("missing section [{path}] with `{name_key} = \"...\"`"),
                })
            }
        };
        let name = match table.get(name_key) {
            Some(toml::Value::String(s)) => s.clone(),
            _ => return Err(doc.error(&[path], format!("[{path}] needs `{name_key} = \"...\"` (a string)"))),
        };
        let mut options = table.clone();
        options.remove(name_key);
        Ok(Section { path, name, options })
    }

    /// Deserializes the options into the component's config struct; errors are located.
    pub fn options<T: DeserializeOwned>(&self, doc: &ConfigDoc) -> Result<T> {
        doc.deserialize(&[self.path], toml::Value::Table(self.options.clone()))
    }
}

/// Which exact method computes the meta-gradient (DESIGN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaMethod {
    /// (b), the cheaper whatever is learnt, unless `trace_decay` > 0, which needs (a).
    Auto,
    /// (a) one surrogate backward pass per learnt number.
    Surrogate,
    /// (b) per-step cotangents, then the return's VJP, for all learnt numbers at once.
    Cotangent,
}

/// The `[meta]` section: the meta-optimiser.
#[derive(Debug)]
pub struct MetaConfig {
    /// Adam learning rate on the learnt numbers x (η = squash(x)).
    pub lr: f64,
    pub method: MetaMethod,
    /// μ of the paper's trace z ← μz + ∂f/∂η; 0 keeps only the last update's dependence.
    pub trace_decay: f64,
    /// Whether J′ is evaluated on the next batch τ′ (the paper's cross-validation) or on τ.
    pub next_batch: bool,
    /// The return of the meta-objective, with its fixed reference values η̄.
    pub objective: PluginConfig<dyn ReturnFn>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaFile {
    #[serde(default = "default_meta_lr")]
    lr: f64,
    #[serde(default = "default_method")]
    method: MetaMethod,
    #[serde(default)]
    trace_decay: f64,
    #[serde(default = "default_true")]
    next_batch: bool,
    objective: toml::Value,
}

fn default_meta_lr() -> f64 {
    1e-3
}
fn default_method() -> MetaMethod {
    MetaMethod::Auto
}
fn default_true() -> bool {
    true
}

/// A validated experiment.
#[derive(Debug)]
pub struct Experiment {
    /// The parsed file, kept so that later validation (of the env and agent options) can
    /// point at lines too.
    pub doc: ConfigDoc,
    pub name: String,
    pub seed: u64,
    pub env: Section,
    pub agent: Section,
    /// `[return]`.
    pub ret: PluginConfig<dyn ReturnFn>,
    /// `[[reward_transform]]`, in order.
    pub reward_transforms: Vec<PluginConfig<dyn RewardTransform>>,
    pub meta: Option<MetaConfig>,
    pub run: RunConfig,
}

impl Experiment {
    /// Reads and validates an experiment file.
    pub fn read(path: &Path) -> Result<Self> {
        Self::from_doc(ConfigDoc::read(path)?)
    }

    /// Reads an experiment file, puts `overrides` over it (`--set`), and validates it.
    pub fn read_with(path: &Path, overrides: &[super::Override]) -> Result<Self> {
        Self::from_doc(ConfigDoc::read(path)?.with_overrides(overrides)?)
    }

    /// Validates an experiment given as text (`file` names it in errors).
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        Self::from_doc(ConfigDoc::parse(file, text)?)
    }

    /// Validates a parsed document (with any overrides put over it).
    pub fn from_doc(doc: ConfigDoc) -> Result<Self> {
        let top = doc.table();
        if let Some(k) = top.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
            return Err(
                doc.error(&[k.as_str()], format!("unknown key `{k}`; expected one of {}", TOP_LEVEL.join(", ")))
            );
        }
        let name = match top.get("name") {
            None => Path::new(doc.file()).file_stem().map_or("experiment".into(), |s| s.to_string_lossy().into_owned()),
            // The name is a folder below `runs/`: nothing that leads out of it.
            Some(toml::Value::String(s))
                if !s.is_empty() && !s.contains(['/', '\\']) && !s.contains("..") && s != "." =>
            {
                s.clone()
            }
            Some(_) => {
                return Err(doc.error(&["name"], "`name` must be a non-empty string without slashes, `.` or `..`"))
            }
        };
        let seed = match top.get("seed") {
            None => 0,
            Some(toml::Value::Integer(i)) if *i >= 0 => *i as u64,
            Some(_) => return Err(doc.error(&["seed"], "`seed` must be a non-negative integer")),
        };
        let env = Section::parse(&doc, "env", "name")?;
        let agent = Section::parse(&doc, "agent", "kind")?;
        let ret_value = top.get("return").ok_or_else(|| Error::ConfigFile {
            file: doc.file().into(),
            message: "missing section [return] with `type = \"...\"` naming a return plugin (see `mgrl plugins`)"
                .into(),
        })?;
        let ret = PluginConfig::parse(&doc, &["return"], PluginKind::Return, ret_value)?;
        let reward_transforms = match top.get("reward_transform") {
            None => Vec::new(),
            Some(toml::Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let idx = i.to_string();
                    PluginConfig::parse(&doc, &["reward_transform", &idx], PluginKind::RewardTransform, v)
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(doc.error(&["reward_transform"], "use [[reward_transform]] (an array of tables)")),
        };
        let meta = match top.get("meta") {
            None => None,
            Some(v) => Some(parse_meta(&doc, v)?),
        };
        let learnt: Vec<String> = ret
            .meta
            .iter()
            .chain(reward_transforms.iter().flat_map(|r| r.meta.iter()))
            .filter(|m| m.learnable)
            .map(|m| m.spec.name.to_string())
            .collect();
        if !learnt.is_empty() && meta.is_none() {
            return Err(Error::ConfigFile {
                file: doc.file().into(),
                message: format!(
                    "{} marked learnable, but there is no [meta] section with a meta-objective ([meta.objective])",
                    learnt.join(", ")
                ),
            });
        }
        let run: RunConfig = match top.get("run") {
            Some(v) => doc.deserialize(&["run"], v.clone())?,
            None => {
                return Err(Error::ConfigFile {
                    file: doc.file().into(),
                    message: "missing section [run] with `updates = N`".into(),
                })
            }
        };
        run.validate(&doc)?;
        Ok(Experiment { doc, name, seed, env, agent, ret, reward_transforms, meta, run })
    }

    /// The output folder of the run.
    pub fn out_dir(&self) -> PathBuf {
        self.run
            .out_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("runs").join(&self.name).join(format!("seed-{}", self.seed)))
    }
}

fn parse_meta(doc: &ConfigDoc, value: &toml::Value) -> Result<MetaConfig> {
    let file: MetaFile = doc.deserialize(&["meta"], value.clone())?;
    if !(file.lr.is_finite() && file.lr > 0.0) {
        return Err(doc.error(&["meta", "lr"], format!("`lr` = {} must be a positive number", file.lr)));
    }
    if !(0.0..=1.0).contains(&file.trace_decay) {
        return Err(
            doc.error(&["meta", "trace_decay"], format!("`trace_decay` = {} is outside [0, 1]", file.trace_decay))
        );
    }
    if file.trace_decay > 0.0 && file.method == MetaMethod::Cotangent {
        return Err(doc.error(
            &["meta", "trace_decay"],
            format!(
                "`trace_decay` = {} keeps a trace per learnt number, which only method = \"surrogate\" has (or \
                 \"auto\", which then picks it); method is \"cotangent\"",
                file.trace_decay
            ),
        ));
    }
    let objective: PluginConfig<dyn ReturnFn> =
        PluginConfig::parse(doc, &["meta", "objective"], PluginKind::Return, &file.objective)?;
    if let Some(m) = objective.meta.iter().find(|m| m.learnable) {
        return Err(doc.error(
            &["meta", "objective", m.spec.name],
            format!("`{}` of the meta-objective is a fixed reference value η̄ and cannot be learnable", m.spec.name),
        ));
    }
    Ok(MetaConfig {
        lr: file.lr,
        method: file.method,
        trace_decay: file.trace_decay,
        next_batch: file.next_batch,
        objective,
    })
}
