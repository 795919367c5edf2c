//! A linear value function on dfdx: V_θ(x) = θᵀφ(x), tabular when φ is one-hot.

use crate::meta::{HeadModel, HeadWeights, Heads};
use anyhow::{ensure, Result};
use dfdx::prelude::*;

/// Feature rows φ(xₜ) of a batch, `[N, D]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub rows: usize,
    pub data: Vec<f64>,
}

/// V_θ(x) = θᵀφ(x) with θ ∈ ℝᴰ, on any dfdx device (CPU here; CUDA with the `cuda` feature).
#[derive(Debug, Clone)]
pub struct LinearValue<D: Device<f64>> {
    dev: D,
    dim: usize,
}

impl<D: Device<f64>> LinearValue<D> {
    pub fn new(dev: D, dim: usize) -> Self {
        LinearValue { dev, dim }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    fn check(&self, params: &[f64], batch: &Features) -> Result<()> {
        ensure!(params.len() == self.dim, "linear value: {} parameters, expected {}", params.len(), self.dim);
        ensure!(
            batch.data.len() == batch.rows * self.dim,
            "linear value: feature matrix has {} elements, expected {} × {}",
            batch.data.len(),
            batch.rows,
            self.dim
        );
        Ok(())
    }

    /// φᵀ as a `[D, N]` tensor, so that θ (traced) can be the left operand: V = θᵀ φᵀ.
    fn features_t(&self, batch: &Features) -> Tensor<(usize, usize), f64, D> {
        let mut t = vec![0.0; batch.data.len()];
        for (r, row) in batch.data.chunks_exact(self.dim).enumerate() {
            for (c, &x) in row.iter().enumerate() {
                t[c * batch.rows + r] = x;
            }
        }
        self.dev.tensor_from_vec(t, (self.dim, batch.rows))
    }
}

impl<D: Device<f64>> HeadModel for LinearValue<D> {
    type Batch = Features;

    fn heads(&self, params: &[f64], batch: &Features) -> Result<Heads> {
        self.check(params, batch)?;
        let theta = self.dev.tensor_from_vec(params.to_vec(), (self.dim,));
        let values = theta.matmul(self.features_t(batch)).as_vec();
        Ok(Heads { log_pi: None, values })
    }

    fn weighted_grad(&self, params: &[f64], batch: &Features, w: &HeadWeights) -> Result<Vec<f64>> {
        self.check(params, batch)?;
        ensure!(w.values.len() == batch.rows, "linear value: {} weights for {} rows", w.values.len(), batch.rows);
        let theta = self.dev.tensor_from_vec(params.to_vec(), (self.dim,));
        let weights = self.dev.tensor_from_vec(w.values.clone(), (batch.rows,));
        let values = theta.leaky_trace().matmul(self.features_t(batch));
        let grads = (values * weights).sum().backward();
        Ok(grads.get(&theta).as_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_grad_matches_central_differences() {
        let model = LinearValue::new(Cpu::default(), 3);
        let batch = Features { rows: 4, data: vec![1.0, 0.5, -1.0, 0.0, 2.0, 1.0, 0.3, 0.3, 0.3, -2.0, 0.0, 1.5] };
        let params = [0.2, -0.7, 1.1];
        let w = HeadWeights { log_pi: None, values: vec![0.5, -1.0, 2.0, 0.25] };
        let grad = model.weighted_grad(&params, &batch, &w).unwrap();
        let f = |p: &[f64]| -> f64 {
            model.heads(p, &batch).unwrap().values.iter().zip(&w.values).map(|(h, w)| h * w).sum()
        };
        for (i, g) in grad.iter().enumerate() {
            let (mut plus, mut minus) = (params.to_vec(), params.to_vec());
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            let fd = (f(&plus) - f(&minus)) / 2e-6;
            assert!((fd - g).abs() < 1e-8, "θ[{i}]: {fd} vs {g}");
        }
    }

    #[test]
    fn heads_are_the_dot_products() {
        let model = LinearValue::new(Cpu::default(), 2);
        let batch = Features { rows: 2, data: vec![1.0, 2.0, -1.0, 0.5] };
        assert_eq!(model.heads(&[3.0, 1.0], &batch).unwrap().values, vec![5.0, -2.5]);
        assert!(model.heads(&[3.0], &batch).is_err());
    }
}
