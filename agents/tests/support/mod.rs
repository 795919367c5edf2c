//! Test support shared by the meta-gradient tests: a small actor-critic model with both
//! heads, in f64 with analytic gradients (checked against central differences below).

#![allow(dead_code)]

use anyhow::Result;
use mgrl_agents::meta::{HeadModel, HeadWeights, Heads};

/// A batch for [`LinearActorCritic`]: features `[N, D]` and the actions taken.
#[derive(Debug, Clone)]
pub struct AcBatch {
    pub features: Vec<f64>,
    pub actions: Vec<usize>,
}

/// V(x) = θ_vᵀφ(x),  log π(a|x) = θ_aᵀφ(x) − log Σ_b exp(θ_bᵀφ(x)).
/// θ = [θ_v (D), θ_0 (D), …, θ_{A−1} (D)].
pub struct LinearActorCritic {
    pub dim: usize,
    pub actions: usize,
}

impl LinearActorCritic {
    pub fn num_params(&self) -> usize {
        self.dim * (1 + self.actions)
    }

    fn logits(&self, params: &[f64], phi: &[f64]) -> Vec<f64> {
        (0..self.actions)
            .map(|a| params[self.dim * (1 + a)..self.dim * (2 + a)].iter().zip(phi).map(|(p, x)| p * x).sum())
            .collect()
    }

    fn log_softmax(logits: &[f64]) -> Vec<f64> {
        let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + logits.iter().map(|l| (l - m).exp()).sum::<f64>().ln();
        logits.iter().map(|l| l - lse).collect()
    }
}

impl HeadModel for LinearActorCritic {
    type Batch = AcBatch;

    fn heads(&self, params: &[f64], batch: &AcBatch) -> Result<Heads> {
        let mut values = Vec::new();
        let mut log_pi = Vec::new();
        for (phi, &a) in batch.features.chunks_exact(self.dim).zip(&batch.actions) {
            values.push(params[..self.dim].iter().zip(phi).map(|(p, x)| p * x).sum());
            log_pi.push(Self::log_softmax(&self.logits(params, phi))[a]);
        }
        Ok(Heads { log_pi: Some(log_pi), values })
    }

    fn weighted_grad(&self, params: &[f64], batch: &AcBatch, w: &HeadWeights) -> Result<Vec<f64>> {
        let mut grad = vec![0.0; self.num_params()];
        for (t, (phi, &a)) in batch.features.chunks_exact(self.dim).zip(&batch.actions).enumerate() {
            for (g, x) in grad[..self.dim].iter_mut().zip(phi) {
                *g += w.values[t] * x;
            }
            if let Some(w_pg) = &w.log_pi {
                let pi: Vec<f64> = Self::log_softmax(&self.logits(params, phi)).iter().map(|l| l.exp()).collect();
                for (b, p) in pi.iter().enumerate() {
                    let coef = w_pg[t] * (if b == a { 1.0 } else { 0.0 } - p);
                    for (g, x) in grad[self.dim * (1 + b)..self.dim * (2 + b)].iter_mut().zip(phi) {
                        *g += coef * x;
                    }
                }
            }
        }
        Ok(grad)
    }
}

#[test]
fn linear_actor_critic_gradient_matches_central_differences() {
    let model = LinearActorCritic { dim: 2, actions: 3 };
    let batch = AcBatch { features: vec![1.0, -0.5, 0.3, 2.0], actions: vec![2, 0] };
    let params: Vec<f64> = (0..model.num_params()).map(|i| 0.1 * i as f64 - 0.3).collect();
    let w = HeadWeights { log_pi: Some(vec![0.7, -1.3]), values: vec![0.4, 2.0] };
    let f = |p: &[f64]| {
        let h = model.heads(p, &batch).unwrap();
        let pg: f64 = h.log_pi.unwrap().iter().zip(w.log_pi.as_ref().unwrap()).map(|(h, w)| h * w).sum();
        pg + h.values.iter().zip(&w.values).map(|(h, w)| h * w).sum::<f64>()
    };
    let grad = model.weighted_grad(&params, &batch, &w).unwrap();
    for (i, g) in grad.iter().enumerate() {
        let (mut a, mut b) = (params.clone(), params.clone());
        a[i] += 1e-6;
        b[i] -= 1e-6;
        assert!(((f(&a) - f(&b)) / 2e-6 - g).abs() < 1e-8, "θ[{i}]");
    }
}
