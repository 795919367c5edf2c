//! The experiment's environment, as every agent builds it: by the name in `[env]`, with the
//! options beside it, and errors that point at the key of the experiment file they concern.

use mgrl_core::config::Experiment;
use mgrl_envs::{EnvError, EnvSpec, VecEnv};

/// What the experiment's environments will look like, found without building them (an agent
/// sizes its arrays from it first); errors as [`make_env`]'s.
pub fn env_spec(exp: &Experiment) -> anyhow::Result<EnvSpec> {
    mgrl_envs::registry::spec(&exp.env.name, &exp.env.options).map_err(|e| locate(exp, e))
}

/// `num_envs` copies of the experiment's environment, seeded from its seed.
pub fn make_env(exp: &Experiment, num_envs: usize) -> anyhow::Result<Box<dyn VecEnv>> {
    mgrl_envs::registry::make(&exp.env.name, num_envs, exp.seed, &exp.env.options).map_err(|e| locate(exp, e))
}

/// An unknown name points at `[env] name`; a bad option at that option's key where the file
/// has it, else at `[env]`.
fn locate(exp: &Experiment, e: EnvError) -> anyhow::Error {
    let message = e.to_string();
    let key = match &e {
        EnvError::UnknownEnv { .. } => Some("name"),
        EnvError::Option { key, .. } => exp.env.options.contains_key(key).then_some(key.as_str()),
        _ => None,
    };
    match key {
        Some(k) => exp.doc.error(&["env", k], message).into(),
        None => exp.doc.error(&["env"], message).into(),
    }
}
