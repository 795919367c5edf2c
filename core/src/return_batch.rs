//! The inputs of a return, owned: what agents, tests and benchmarks assemble, and lend to a
//! plugin as a [`ReturnInputs`] view.

use crate::{Batch, MetaValue, MetaValues, ReturnInputs};

/// Owned `[T, B]` arrays of a return's inputs (see [`ReturnInputs`] for each one's meaning)
/// and its meta-parameters by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnBatch {
    pub batch: Batch,
    pub rewards: Vec<f64>,
    pub discounts: Vec<f64>,
    pub episode_continues: Vec<f64>,
    pub values: Vec<f64>,
    pub next_values: Vec<f64>,
    pub log_rhos: Vec<f64>,
    pub meta: MetaValues,
}

impl ReturnBatch {
    /// An on-policy batch inside one episode: zero rewards and values, every dₜ = eₜ = 1,
    /// every log ρₜ = 0, no meta-parameters yet.
    pub fn new(batch: Batch) -> Self {
        let (zeros, ones) = (vec![0.0; batch.len()], vec![1.0; batch.len()]);
        ReturnBatch {
            batch,
            rewards: zeros.clone(),
            discounts: ones.clone(),
            episode_continues: ones,
            values: zeros.clone(),
            next_values: zeros.clone(),
            log_rhos: zeros,
            meta: MetaValues::new(),
        }
    }

    /// `self` with meta-parameter `name` set to one value at every step.
    pub fn with_scalar(mut self, name: &'static str, value: f64) -> Self {
        self.meta.set(name, MetaValue::Scalar(value));
        self
    }

    /// `self` with meta-parameter `name` set to per-step values.
    pub fn with_steps(mut self, name: &'static str, values: Vec<f64>) -> Self {
        self.meta.set(name, MetaValue::Steps(values));
        self
    }

    /// The borrowed view a plugin reads.
    pub fn view(&self) -> ReturnInputs<'_> {
        ReturnInputs {
            batch: self.batch,
            rewards: &self.rewards,
            discounts: &self.discounts,
            episode_continues: &self.episode_continues,
            values: &self.values,
            next_values: &self.next_values,
            log_rhos: &self.log_rhos,
            meta: &self.meta,
        }
    }
}
