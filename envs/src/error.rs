//! Errors of environments: each names the environment and what is allowed.

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A name no environment is registered under.
    #[error("unknown environment `{name}`; known environments: {}", known.join(", "))]
    UnknownEnv { name: String, known: Vec<String> },

    /// An action index outside the action set.
    #[error("{env}: action {action} of environment {index} is outside the allowed range 0..{num_actions}")]
    InvalidAction { env: String, index: usize, action: usize, num_actions: usize },

    /// Buffers whose lengths do not fit the environment.
    #[error("{env}: `{what}` has {got} elements, expected {expected}")]
    Shape { env: String, what: String, expected: usize, got: usize },

    /// A saved state that cannot be saved or loaded ([`crate::VecEnv::load_state`]): of another
    /// environment or batch size, or damaged.
    #[error("{env}: {message}")]
    State { env: String, message: String },

    /// A bad `[env]` section, or environments that cannot be built as asked.
    #[error("{env}: {message}")]
    Config { env: String, message: String },

    /// A bad value of the `[env]` option `key`, or an option the environment does not have.
    #[error("{env}: {message}")]
    Option { env: String, key: String, message: String },
}
