//! The TOML experiment schema and its validation.
//!
//! ```toml
//! name = "figure1-gamma"
//! seed = 0
//!
//! [env]                      # the environment, by registered name, and its options
//! name = "mrp/figure1-gamma"
//!
//! [agent]                    # the agent, by kind, and its options
//! kind = "td"
//!
//! [return]                   # a return plugin, by registered name
//! type = "lambda_return"
//! gamma = { value = 0.5, learnable = true, per_state = true }
//! lambda = 1.0               # a bare number: a fixed meta-parameter
//!
//! [[reward_transform]]       # zero or more, applied in order before the return
//! type = "clip"
//! threshold = 1.0
//!
//! [meta]                     # the meta-optimiser (see `MetaConfig`)
//! lr = 0.001
//! [meta.objective]           # the return of the meta-objective, with reference values η̄
//! type = "lambda_return"
//! gamma = 1.0
//! lambda = 1.0
//!
//! [run]                      # how long, and where outputs go (see `RunConfig`)
//! updates = 1000
//! ```
//!
//! Every error carries the file, line and column of what it is about (or the `--set` argument
//! that put the value there: see [`Override`]).

mod doc;
mod experiment;
mod overrides;
mod plugin_config;
mod run;

pub use doc::ConfigDoc;
pub use experiment::{Experiment, MetaConfig, MetaMethod, Section};
pub use overrides::Override;
pub use plugin_config::{MetaParamConfig, PluginConfig};
pub use run::RunConfig;
