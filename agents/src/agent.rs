//! What the run loop drives: any agent, behind one small trait, found by the `kind` named
//! in the experiment's `[agent]` section.

use mgrl_core::config::Experiment;

/// What one learner update produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateReport {
    /// Environment frames consumed by this update.
    pub frames: u64,
    /// Returns of the episodes that ended during this update.
    pub episode_returns: Vec<f64>,
    /// Named scalars: losses, the meta-objective, gradient norms.
    pub scalars: Vec<(String, f64)>,
}

/// One named array of a learner's state.
#[derive(Debug, Clone, PartialEq)]
pub struct StateTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// Everything a learner needs to continue exactly where it was: its arrays (parameters,
/// optimiser moments, meta-parameters) and the rest as JSON (counters, random-number states).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentState {
    pub tensors: Vec<StateTensor>,
    pub extra: serde_json::Value,
}

/// A quantity that stopped being finite, or left its domain: the run stops and says which.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{quantity}` diverged: {detail}")]
pub struct Divergence {
    pub quantity: String,
    pub detail: String,
}

/// An agent the run loop can drive.
pub trait Agent: Send {
    /// One update: collect experience, update the agent (and its meta-parameters).
    fn update(&mut self) -> anyhow::Result<UpdateReport>;

    /// The current value of every meta-parameter, named `gamma`, or `gamma[3]` for entry 3
    /// of a per-state table; fixed ones included.
    fn meta_values(&self) -> Vec<(String, f64)>;

    /// The state to checkpoint.
    fn state(&self) -> anyhow::Result<AgentState>;

    /// Continues from a checkpointed state.
    fn restore(&mut self, state: AgentState) -> anyhow::Result<()>;
}

/// An agent kind, registered with `inventory::submit!` in the agent's own file.
pub struct AgentEntry {
    /// The name used in `[agent] kind = "..."`.
    pub kind: &'static str,
    pub description: &'static str,
    pub build: fn(&Experiment) -> anyhow::Result<Box<dyn Agent>>,
}

inventory::collect!(AgentEntry);

/// Every registered agent, sorted by kind.
pub fn agents() -> Vec<&'static AgentEntry> {
    let mut all: Vec<_> = inventory::iter::<AgentEntry>.into_iter().collect();
    all.sort_by_key(|a| a.kind);
    all
}

/// Builds the agent the experiment names, or says which kinds exist.
pub fn build(exp: &Experiment) -> anyhow::Result<Box<dyn Agent>> {
    let entry = agents().into_iter().find(|a| a.kind == exp.agent.name).ok_or_else(|| {
        let known: Vec<_> = agents().iter().map(|a| a.kind).collect();
        exp.doc.error(
            &["agent", "kind"],
            format!("unknown agent kind `{}`; registered agents: {}", exp.agent.name, known.join(", ")),
        )
    })?;
    (entry.build)(exp)
}
