//! Agents, the meta-optimiser and the experiment runner.
