//! A linear value function on dfdx: V_θ(x) = θᵀφ(x), tabular when φ is one-hot.

use crate::meta::{HeadModel, HeadWeights, Heads, ParamsOf};
use crate::net::{scalar, to_f64, Model, Params};
use anyhow::{ensure, Result};
use dfdx::prelude::*;
use rand_chacha::ChaCha8Rng;

/// Feature rows φ(x) of a batch on the device, stored as φᵀ (`[D, R]`) so that θ can be the
/// left operand of V = θᵀφᵀ. The first `head_rows` rows carry targets.
#[derive(Debug, Clone)]
pub struct Features<E: Dtype, D: Device<E>> {
    phi_t: Tensor<(usize, usize), E, D>,
    head_rows: usize,
}

/// V_θ(x) = θᵀφ(x) with θ ∈ ℝᴰ, on any dfdx device; φ(x) is the observation.
#[derive(Debug, Clone)]
pub struct LinearValue<E: Dtype, D: Device<E>> {
    dev: D,
    dim: usize,
    _dtype: std::marker::PhantomData<E>,
}

impl<E: Dtype, D: Device<E>> LinearValue<E, D> {
    pub fn new(dev: D, dim: usize) -> Self {
        LinearValue { dev, dim, _dtype: std::marker::PhantomData }
    }

    /// The features of `rows` rows of φ, `[rows, D]` row-major; the first `head_rows` carry targets.
    pub fn features(&self, phi: &[f64], head_rows: usize) -> Result<Features<E, D>> {
        ensure!(
            phi.len().is_multiple_of(self.dim.max(1)),
            "linear value: {} features are not rows of {}",
            phi.len(),
            self.dim
        );
        let rows = phi.len() / self.dim.max(1);
        ensure!(head_rows <= rows, "linear value: {head_rows} head rows of {rows}");
        let mut t = vec![E::default(); phi.len()];
        for (r, row) in phi.chunks_exact(self.dim).enumerate() {
            for (c, &x) in row.iter().enumerate() {
                t[c * rows + r] = scalar(x);
            }
        }
        Ok(Features { phi_t: self.dev.tensor_from_vec(t, (self.dim, rows)), head_rows })
    }

    fn theta(&self, params: &Params<E, D>) -> Result<Tensor<(usize,), E, D>> {
        ensure!(
            params.tensors.len() == 1 && params.len() == self.dim,
            "linear value: θ must be one tensor of {}",
            self.dim
        );
        Ok(params.tensors[0].clone())
    }
}

impl<E: Dtype, D: Device<E>> HeadModel for LinearValue<E, D> {
    type Dtype = E;
    type Device = D;
    type Batch = Features<E, D>;

    fn heads(&self, params: &ParamsOf<Self>, batch: &Features<E, D>) -> Result<Heads> {
        let mut values: Vec<f64> =
            self.theta(params)?.matmul(batch.phi_t.clone()).as_vec().into_iter().map(to_f64).collect();
        let bootstrap = values.split_off(batch.head_rows);
        Ok(Heads { log_pi: None, values, entropy: None, bootstrap, outer: None })
    }

    fn weighted_grad(
        &self,
        params: &ParamsOf<Self>,
        batch: &Features<E, D>,
        w: &HeadWeights,
    ) -> Result<ParamsOf<Self>> {
        ensure!(
            w.values.len() == batch.head_rows,
            "linear value: {} weights for {} rows",
            w.values.len(),
            batch.head_rows
        );
        let theta = self.theta(params)?;
        let rows = batch.phi_t.shape().1;
        let mut weights: Vec<E> = w.values.iter().map(|&x| scalar(x)).collect();
        weights.resize(rows, E::default());
        let weights = self.dev.tensor_from_vec(weights, (rows,));
        let values = theta.leaky_trace().matmul(batch.phi_t.clone());
        let grads = (values * weights).sum().backward();
        Ok(Params { tensors: vec![grads.get(&theta)] })
    }
}

impl<E: Dtype, D: Device<E>> Model for LinearValue<E, D> {
    fn param_names(&self) -> Vec<String> {
        vec!["theta".into()]
    }

    /// θ = 0, as the tabular methods of the paper's Figure 1 start.
    fn init(&self, _rng: &mut ChaCha8Rng) -> ParamsOf<Self> {
        Params::from_host(&self.dev, &[vec![0.0; self.dim]])
    }

    fn batch(&self, obs: &[f32], actions: &[usize], _eta: &[f64]) -> Result<Features<E, D>> {
        let phi: Vec<f64> = obs.iter().map(|&x| x as f64).collect();
        self.features(&phi, actions.len())
    }

    /// A linear value takes no η.
    fn condition(&self, batch: &Features<E, D>, _eta: &[f64]) -> Result<Features<E, D>> {
        Ok(batch.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theta(p: &[f64]) -> Params<f64, Cpu> {
        Params::from_host(&Cpu::default(), &[p.to_vec()])
    }

    #[test]
    fn weighted_grad_matches_central_differences() {
        let model = LinearValue::<f64, Cpu>::new(Cpu::default(), 3);
        let batch = model.features(&[1.0, 0.5, -1.0, 0.0, 2.0, 1.0, 0.3, 0.3, 0.3, -2.0, 0.0, 1.5], 4).unwrap();
        let params = [0.2, -0.7, 1.1];
        let w = HeadWeights { log_pi: None, values: vec![0.5, -1.0, 2.0, 0.25], entropy: 0.0, outer: None };
        let grad = model.weighted_grad(&theta(&params), &batch, &w).unwrap().to_host().remove(0);
        let f = |p: &[f64]| -> f64 {
            model.heads(&theta(p), &batch).unwrap().values.iter().zip(&w.values).map(|(h, w)| h * w).sum()
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
    fn heads_are_the_dot_products_and_rows_after_the_heads_are_bootstraps() {
        let model = LinearValue::<f64, Cpu>::new(Cpu::default(), 2);
        let batch = model.features(&[1.0, 2.0, -1.0, 0.5, 0.0, 1.0], 2).unwrap();
        let heads = model.heads(&theta(&[3.0, 1.0]), &batch).unwrap();
        assert_eq!((heads.values, heads.bootstrap), (vec![5.0, -2.5], vec![1.0]));
        assert!(model.heads(&theta(&[3.0]), &batch).is_err());
    }
}
