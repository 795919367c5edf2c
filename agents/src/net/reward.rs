//! The learned reward's network r_η(x, a) (Zheng, Oh & Singh 2018; Xu et al. 2018 §1): an
//! MLP on the observation with one output per action,
//!
//!   r_η(x, ·) = W_L ReLU(… ReLU(W_1 x + b_1) …) + b_L,   r_η(xₜ, aₜ) its output for aₜ,
//!
//! whose weights η are meta-parameters. Method (b) of the meta-gradient hands back
//! cₜ = dJ′/dr_η(xₜ, aₜ) for every step; `pullback` carries them into η with one backward
//! pass: dJ′/dη = ∇η Σₜ cₜ r_η(xₜ, aₜ).

use super::{scalar, to_f64, Params};
use anyhow::{ensure, Result};
use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A `[rows, columns]` tensor.
type Matrix<E, D> = Tensor<(usize, usize), E, D>;

/// r_η(x, a) on any dfdx device.
#[derive(Debug, Clone)]
pub struct RewardNet<E: Dtype, D: Device<E>> {
    dev: D,
    /// Layer widths: the observation's length, the hidden layers, the actions.
    sizes: Vec<usize>,
    _dtype: std::marker::PhantomData<E>,
}

impl<E: Dtype, D: Device<E>> RewardNet<E, D> {
    pub fn new(dev: D, obs_len: usize, hidden: &[usize], actions: usize) -> Result<Self> {
        ensure!(!hidden.contains(&0), "reward network `hidden` = {hidden:?}: every layer needs at least one unit");
        let sizes = std::iter::once(obs_len).chain(hidden.iter().copied()).chain([actions]).collect();
        Ok(RewardNet { dev, sizes, _dtype: std::marker::PhantomData })
    }

    /// The names of η's tensors.
    pub fn param_names(&self) -> Vec<String> {
        (0..self.sizes.len() - 1).flat_map(|i| [format!("reward.{i}.weight"), format!("reward.{i}.bias")]).collect()
    }

    /// Initial η: weights U(−1/√fan-in, 1/√fan-in), the last layer scaled by 0.01 so that the
    /// learned reward starts near 0; biases 0.
    pub fn init(&self, rng: &mut ChaCha8Rng) -> Params<E, D> {
        let layers = self.sizes.len() - 1;
        let mut host = Vec::new();
        for (i, w) in self.sizes.windows(2).enumerate() {
            let bound = if i + 1 == layers { 0.01 } else { 1.0 } / (w[0] as f64).sqrt();
            host.push((0..w[0] * w[1]).map(|_| rng.gen_range(-1.0..=1.0) * bound).collect());
            host.push(vec![0.0; w[1]]);
        }
        Params::from_host(&self.dev, &host)
    }

    /// r_η(x, ·) for every row of `x` (`[R, obs_len]`), `[R, A]`, on tape `T`.
    fn forward<T: Tape<E, D>>(
        &self,
        eta: &Params<E, D>,
        x: Tensor<(usize, usize), E, D, T>,
    ) -> Tensor<(usize, usize), E, D, T> {
        let rows = x.shape().0;
        let mut h = x;
        let layers = self.sizes.len() - 1;
        for (i, w) in self.sizes.windows(2).enumerate() {
            let weight = eta.tensors[2 * i].retaped::<T>().reshape_like(&(w[0], w[1]));
            let bias = eta.tensors[2 * i + 1].retaped::<T>().broadcast_like::<_, Axis<0>>(&(rows, w[1]));
            h = h.matmul(weight) + bias;
            if i + 1 < layers {
                h = h.relu();
            }
        }
        h
    }

    fn inputs(&self, obs: &[f32], actions: &[usize]) -> Result<(Matrix<E, D>, Matrix<E, D>)> {
        let (d, a) = (self.sizes[0], self.sizes[self.sizes.len() - 1]);
        let rows = actions.len();
        ensure!(obs.len() >= rows * d, "reward network: {} observation values for {rows} rows of {d}", obs.len());
        let x = self.dev.tensor_from_vec(obs[..rows * d].iter().map(|&v| scalar(v as f64)).collect(), (rows, d));
        let mut onehot = vec![E::default(); rows * a];
        for (i, &act) in actions.iter().enumerate() {
            ensure!(act < a, "reward network: action {act} of row {i} is not one of {a}");
            onehot[i * a + act] = E::ONE;
        }
        Ok((x, self.dev.tensor_from_vec(onehot, (rows, a))))
    }

    /// r_η(xₜ, aₜ) for the first `actions.len()` rows of `obs`.
    pub fn rewards(&self, eta: &Params<E, D>, obs: &[f32], actions: &[usize]) -> Result<Vec<f64>> {
        let (x, onehot) = self.inputs(obs, actions)?;
        let r = (self.forward(eta, x) * onehot).sum::<(usize,), Axis<1>>();
        Ok(r.as_vec().into_iter().map(to_f64).collect())
    }

    /// ∇η Σₜ cₜ r_η(xₜ, aₜ) over the first `cot.len()` rows.
    pub fn pullback(&self, eta: &Params<E, D>, obs: &[f32], actions: &[usize], cot: &[f64]) -> Result<Params<E, D>> {
        ensure!(cot.len() == actions.len(), "reward network: {} cotangents for {} steps", cot.len(), actions.len());
        let (x, onehot) = self.inputs(obs, actions)?;
        let a = self.sizes[self.sizes.len() - 1];
        let c = self.dev.tensor_from_vec(cot.iter().map(|&v| scalar(v)).collect(), (cot.len(),));
        let weights = onehot * c.broadcast_like::<_, Axis<1>>(&(cot.len(), a));
        let mut grads = Gradients::leaky();
        for t in &eta.tensors {
            grads.try_alloc_for(t).map_err(|e| anyhow::anyhow!("allocating gradients: {e:?}"))?;
        }
        let grads = (self.forward(eta, x.traced(grads)) * weights).sum().backward();
        Ok(Params { tensors: eta.tensors.iter().map(|t| grads.get(t)).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pullback_matches_central_differences() {
        let net = RewardNet::<f64, Cpu>::new(Cpu::default(), 3, &[4], 2).unwrap();
        let eta = net.init(&mut ChaCha8Rng::seed_from_u64(3)).map(|t| t * 30.0);
        let obs = [0.5f32, -1.0, 0.25, 1.0, 0.0, -0.5, 0.3, 0.3, 0.9];
        let actions = [1, 0, 1];
        let cot = [0.7, -1.2, 2.0];
        let grad = net.pullback(&eta, &obs, &actions, &cot).unwrap().to_host();
        let f = |e: &Params<f64, Cpu>| -> f64 {
            net.rewards(e, &obs, &actions).unwrap().iter().zip(&cot).map(|(r, c)| r * c).sum()
        };
        let host = eta.to_host();
        for (t, g) in grad.iter().enumerate() {
            for (i, g) in g.iter().enumerate() {
                let shifted = |h: f64| {
                    let mut p = host.clone();
                    p[t][i] += h;
                    Params::from_host(&Cpu::default(), &p)
                };
                let fd = (f(&shifted(1e-6)) - f(&shifted(-1e-6))) / 2e-6;
                assert!((fd - g).abs() < 1e-6 * fd.abs().max(1.0), "tensor {t} entry {i}: {fd} vs {g}");
            }
        }
    }
}
