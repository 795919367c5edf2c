//! Environments by name. Each environment registers itself in its own file:
//!
//! ```
//! use mgrl_envs::registry::{self, EnvEntry};
//! use mgrl_envs::{EnvError, VecEnv};
//!
//! fn make(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
//!     Ok(Box::new(mgrl_envs::catch::vectorized(num_envs, seed, options)?))
//! }
//!
//! mgrl_core::inventory::submit! {
//!     EnvEntry {
//!         name: "my_catch",
//!         description: "bsuite's Catch under another name",
//!         options: mgrl_envs::catch::OPTIONS,
//!         spec: mgrl_envs::catch::spec,
//!         make,
//!     }
//! }
//!
//! assert!(registry::list().iter().any(|e| e.name == "my_catch"));
//! ```
//!
//! and a TOML experiment names it: `[env] name = "catch"`, with its options beside.

use crate::{EnvError, EnvSpec, VecEnv};
use serde::de::DeserializeOwned;

/// Builds B environments from a seed and the `[env]` options (without `name`).
pub type MakeEnv = fn(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError>;

/// What B environments built from these `[env]` options will look like, found without
/// building them (an agent sizes its arrays from it before it allocates any); the options are
/// checked as [`MakeEnv`] checks them.
pub type EnvSpecOf = fn(options: &toml::Table) -> Result<EnvSpec, EnvError>;

/// An `[env]` option of an environment: `mgrl envs NAME` lists them, and a key that is none
/// of them is refused, at that key, before its environment reads the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvOption {
    pub name: &'static str,
    pub doc: &'static str,
    /// The default, as it would be written in TOML (`none`: absent by default).
    pub default: &'static str,
}

/// A registered environment.
pub struct EnvEntry {
    /// `catch`, `cartpole`, `minatar/breakout`, `mrp/fig1b-gamma`, …
    pub name: &'static str,
    /// One line.
    pub description: &'static str,
    /// Its `[env]` options (besides `name`).
    pub options: &'static [EnvOption],
    pub spec: EnvSpecOf,
    pub make: MakeEnv,
}

inventory::collect!(EnvEntry);

/// Why `atari/<game>` is unknown to a build without the feature, and the fix.
pub const ATARI_NOT_BUILT: &str = "the Atari games are not in this build of mgrl: build it with the cargo feature \
     `atari` (`cargo build --release -p mgrl-agents --features atari`; needs cmake, zlib and a C++ compiler)";

/// Every registered environment, sorted by name.
pub fn list() -> Vec<&'static EnvEntry> {
    let mut all: Vec<_> = inventory::iter::<EnvEntry>.into_iter().collect();
    all.sort_by_key(|e| e.name);
    all
}

impl EnvEntry {
    /// What the environment looks like with its default options: observation shape, number
    /// of actions and of states (`mgrl envs` lists them).
    pub fn default_spec(&self) -> Result<EnvSpec, EnvError> {
        (self.spec)(&toml::Table::new())
    }
}

/// The entry registered as `name`, or an error that lists the known names.
pub fn find(name: &str) -> Result<&'static EnvEntry, EnvError> {
    let all = list();
    if !crate::ATARI_BUILT && name.starts_with("atari/") {
        return Err(EnvError::Config { env: name.into(), message: ATARI_NOT_BUILT.into() });
    }
    all.iter().find(|e| e.name == name).copied().ok_or_else(|| EnvError::UnknownEnv {
        name: name.into(),
        known: all.iter().map(|e| e.name.to_string()).collect(),
    })
}

/// What environments called `name` with these options look like, without building one.
pub fn spec(name: &str, options: &toml::Table) -> Result<EnvSpec, EnvError> {
    (find(name)?.spec)(options)
}

/// B environments called `name`, or an error that lists the known names.
pub fn make(name: &str, num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    (find(name)?.make)(num_envs, seed, options)
}

/// Deserializes an environment's options; an error names the environment and, where it
/// concerns one option, that option's key: a key that is none of the registered entry's
/// options, or a value serde refused (the key from `serde_path_to_error`'s path).
pub fn options<T: DeserializeOwned>(env: &str, options: &toml::Table) -> Result<T, EnvError> {
    if let Ok(entry) = find(env) {
        if let Some(key) = options.keys().find(|k| !entry.options.iter().any(|o| o.name == k.as_str())) {
            let known: Vec<&str> = entry.options.iter().map(|o| o.name).collect();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            let message = format!("unknown option `{key}`; the options of `{env}`: {known} (`mgrl envs {env}`)");
            return Err(EnvError::Option { env: env.into(), key: key.clone(), message });
        }
    }
    serde_path_to_error::deserialize(toml::Value::Table(options.clone())).map_err(|e| {
        let key = e.path().iter().find_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        let message = e.inner().message().trim().to_string();
        match key {
            Some(key) => EnvError::Option { env: env.into(), message: format!("`{key}`: {message}"), key },
            None => EnvError::Config { env: env.into(), message },
        }
    })
}
