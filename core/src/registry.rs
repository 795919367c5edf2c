//! The plugin registry: every return and reward-transform plugin linked into the binary,
//! learnt at run time from the `inventory` entries that each plugin submits in its own file.
//!
//! A plugin registers itself with the [`crate::plugin`] attribute on its trait impl, which
//! writes the entry below from the name and meta-parameters it is given; the entry can also
//! be submitted by hand:
//!
//! ```
//! # const LAMBDA_RETURN_META: &[mgrl_core::MetaParamSpec] = &[];
//! mgrl_core::inventory::submit! {
//!     mgrl_core::PluginEntry {
//!         name: "lambda_return",           // the same name as #[typetag::serde(name = ...)]
//!         kind: mgrl_core::PluginKind::Return,
//!         description: "λ-return: Gₜ = rₜ + γₜ[(1 − λₜ)V(xₜ₊₁) + λₜGₜ₊₁]",
//!         meta_params: LAMBDA_RETURN_META,
//!         options: &[],
//!     }
//! }
//! # assert!(mgrl_core::registry::find(mgrl_core::PluginKind::Return, "lambda_return").is_ok());
//! ```

use crate::{Error, MetaParamSpec, Result};
use std::fmt;

/// Which trait a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginKind {
    /// A [`crate::ReturnFn`], named in the `[return]` section.
    Return,
    /// A [`crate::RewardTransform`], named in a `[[reward_transform]]` section.
    RewardTransform,
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PluginKind::Return => "return",
            PluginKind::RewardTransform => "reward-transform",
        })
    }
}

/// An option of a plugin (a serde field of its struct): not differentiable, not learnable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginOption {
    pub name: &'static str,
    pub doc: &'static str,
    /// The default, as it would be written in TOML; empty when the option is required.
    pub default: &'static str,
}

/// What the registry knows of a plugin.
#[derive(Debug)]
pub struct PluginEntry {
    /// The name used in TOML (`type = "..."`); equal to the plugin's typetag name.
    pub name: &'static str,
    pub kind: PluginKind,
    /// One line.
    pub description: &'static str,
    /// Declared meta-parameters, in the order the plugin reads them.
    pub meta_params: &'static [MetaParamSpec],
    /// Options (serde fields of the plugin struct).
    pub options: &'static [PluginOption],
}

impl PluginEntry {
    /// The declared meta-parameter called `name`.
    pub fn meta_param(&self, name: &str) -> Option<&'static MetaParamSpec> {
        self.meta_params.iter().find(|m| m.name == name)
    }

    /// (name, learnable) of every declared meta-parameter, for error messages.
    pub fn declared(&self) -> Vec<(String, bool)> {
        self.meta_params.iter().map(|m| (m.name.to_string(), m.learnable)).collect()
    }
}

inventory::collect!(PluginEntry);

/// Every registered plugin, sorted by kind, then name.
pub fn plugins() -> Vec<&'static PluginEntry> {
    let mut all: Vec<_> = inventory::iter::<PluginEntry>.into_iter().collect();
    all.sort_by_key(|p| (p.kind, p.name));
    all
}

/// The plugin of this kind called `name`, or an error that lists the registered ones.
pub fn find(kind: PluginKind, name: &str) -> Result<&'static PluginEntry> {
    let of_kind = || plugins().into_iter().filter(move |p| p.kind == kind);
    of_kind().find(|p| p.name == name).ok_or_else(|| Error::UnknownPlugin {
        kind,
        name: name.to_string(),
        known: of_kind().map(|p| p.name.to_string()).collect(),
    })
}
