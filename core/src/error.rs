//! The error type of mgrl: every failure a user can cause is one of these variants, and its
//! message says what was wrong, where, and what is allowed.

use std::fmt;

/// Result with mgrl's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a TOML file something was found: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A plugin name that no linked crate registered.
    #[error(
        "unknown {kind} plugin `{name}`; registered {kind} plugins: {}. A third-party plugin needs a binary that \
         links its crate (README, \"Writing a plugin in your own crate\")",
        known.join(", ")
    )]
    UnknownPlugin { kind: crate::PluginKind, name: String, known: Vec<String> },

    /// A meta-parameter the plugin does not declare, or declares as not learnable.
    #[error("{problem} (plugin `{plugin}` declares: {})", describe_declared(declared))]
    MetaParam { plugin: String, problem: String, declared: Vec<(String, bool)> },

    /// A value outside its domain.
    #[error("`{name}` = {value} is outside its domain {domain}")]
    OutOfDomain { name: String, value: f64, domain: String },

    /// Arrays whose lengths do not fit the declared batch shape.
    #[error("shape mismatch for `{what}`: expected {expected} elements, got {got}")]
    Shape { what: String, expected: usize, got: usize },

    /// A NaN or infinity where a finite number is required.
    #[error("`{what}` is not finite at index {index} (value {value})")]
    NonFinite { what: String, index: usize, value: f64 },

    /// An error in an experiment file, with its position.
    #[error("{location}: {message}")]
    Config { location: Location, message: String },

    /// An error in an experiment file that has no position of its own (a missing section).
    #[error("{file}: {message}")]
    ConfigFile { file: String, message: String },

    /// Anything else, with a message that says what to do.
    #[error("{0}")]
    Invalid(String),
}

fn describe_declared(declared: &[(String, bool)]) -> String {
    if declared.is_empty() {
        return "no meta-parameters".into();
    }
    declared
        .iter()
        .map(|(n, learnable)| if *learnable { format!("{n} (learnable)") } else { format!("{n} (fixed only)") })
        .collect::<Vec<_>>()
        .join(", ")
}
