//! Test support shared by the meta-gradient tests: experiments that learn every learnable
//! meta-parameter of a plugin, and a small actor-critic model with both heads, in f64 with
//! analytic gradients (checked against central differences below).

#![allow(dead_code)]

use anyhow::Result;
use dfdx::tensor::Cpu;
use mgrl_agents::meta::{HeadModel, HeadWeights, Heads};
use mgrl_agents::net::Params;
use mgrl_agents::optim::OptimizerConfig;
use mgrl_core::config::Experiment;
use mgrl_core::{registry, Domain, MetaKind, PluginKind};

/// θ of a host model as one tensor.
pub fn params(x: &[f64]) -> Params<f64, Cpu> {
    Params::from_host(&Cpu::default(), &[x.to_vec()])
}

/// The `[return]` / `[[reward_transform]]` sections that learn every learnable
/// meta-parameter of `plugin`.
pub fn plugin_sections(plugin: &str, per_state: bool) -> String {
    let meta = |name: &str| {
        let kind = if registry::find(PluginKind::Return, name).is_ok() {
            PluginKind::Return
        } else {
            PluginKind::RewardTransform
        };
        let entry = registry::find(kind, name).unwrap();
        let mut s = String::new();
        for m in entry.meta_params.iter().filter(|m| m.learnable && m.kind == MetaKind::Value) {
            let start = if m.domain == Domain::UNIT { 0.75 } else { 1.0 };
            let ps = per_state && m.per_state;
            s += &format!("{} = {{ value = {start}, learnable = true, per_state = {ps} }}\n", m.name);
        }
        (kind, s)
    };
    let options = |name: &str| if name == "n_step" { "n = 3\n" } else { "" };
    match meta(plugin) {
        (PluginKind::Return, m) => format!("[return]\ntype = \"{plugin}\"\n{}{m}", options(plugin)),
        (PluginKind::RewardTransform, m) => {
            let (_, ret) = meta("lambda_return");
            format!("[[reward_transform]]\ntype = \"{plugin}\"\n{m}\n[return]\ntype = \"lambda_return\"\n{ret}")
        }
    }
}

pub fn experiment(plugin: &str, per_state: bool, method: &str) -> Experiment {
    let text = format!(
        "name = \"truth\"\n[env]\nname = \"test\"\n[agent]\nkind = \"test\"\n[run]\nupdates = 1\n\n{}\n\
         [meta]\nmethod = \"{method}\"\n[meta.objective]\ntype = \"lambda_return\"\ngamma = 0.99\nlambda = 1.0\n",
        plugin_sections(plugin, per_state)
    );
    Experiment::parse("truth.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

pub fn optimizer(name: &str) -> OptimizerConfig {
    match name {
        "sgd" => OptimizerConfig::Sgd { lr: 0.3 },
        "rmsprop" => OptimizerConfig::Rmsprop { lr: 0.05, decay: 0.9, eps: 1e-3 },
        "adam" => OptimizerConfig::Adam { lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-3 },
        other => panic!("no optimizer {other}"),
    }
}

/// Asserts that `grad` is the gradient of `loss_at` at `x0`: central differences with step
/// 1e-5, relative error below 1e-4 (relative to each entry, floored at 1e-3 of the largest),
/// and not all zero (else the test would prove nothing).
pub fn assert_matches_central_differences(
    grad: &[f64],
    x0: &[f64],
    mut loss_at: impl FnMut(&[f64]) -> f64,
    what: &str,
) {
    let h = 1e-5;
    let brute: Vec<f64> = (0..x0.len())
        .map(|k| {
            let (mut plus, mut minus) = (x0.to_vec(), x0.to_vec());
            plus[k] += h;
            minus[k] -= h;
            (loss_at(&plus) - loss_at(&minus)) / (2.0 * h)
        })
        .collect();
    let scale = brute.iter().fold(0.0f64, |m, b| m.max(b.abs()));
    assert!(scale > 1e-9, "{what}: the meta-gradient is zero, the test would prove nothing");
    assert_eq!(grad.len(), brute.len());
    for (k, (a, b)) in grad.iter().zip(&brute).enumerate() {
        let rel = (a - b).abs() / b.abs().max(1e-3 * scale);
        assert!(rel < 1e-4, "{what}: learnt number {k}: meta-gradient {a} vs brute force {b} (rel {rel:.2e})");
    }
}

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
    type Dtype = f64;
    type Device = Cpu;
    type Batch = AcBatch;

    fn heads(&self, params: &Params<f64, Cpu>, batch: &AcBatch) -> Result<Heads> {
        let params = &params.to_host()[0];
        let mut values = Vec::new();
        let mut log_pi = Vec::new();
        for (phi, &a) in batch.features.chunks_exact(self.dim).zip(&batch.actions) {
            values.push(params[..self.dim].iter().zip(phi).map(|(p, x)| p * x).sum());
            log_pi.push(Self::log_softmax(&self.logits(params, phi))[a]);
        }
        Ok(Heads { log_pi: Some(log_pi), values, entropy: None, bootstrap: Vec::new(), outer: None })
    }

    fn weighted_grad(&self, params: &Params<f64, Cpu>, batch: &AcBatch, w: &HeadWeights) -> Result<Params<f64, Cpu>> {
        let params = &params.to_host()[0];
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
        Ok(self::params(&grad))
    }
}

#[test]
fn linear_actor_critic_gradient_matches_central_differences() {
    let model = LinearActorCritic { dim: 2, actions: 3 };
    let batch = AcBatch { features: vec![1.0, -0.5, 0.3, 2.0], actions: vec![2, 0] };
    let theta: Vec<f64> = (0..model.num_params()).map(|i| 0.1 * i as f64 - 0.3).collect();
    let w = HeadWeights { log_pi: Some(vec![0.7, -1.3]), values: vec![0.4, 2.0], entropy: 0.0, outer: None };
    let f = |p: &[f64]| {
        let h = model.heads(&params(p), &batch).unwrap();
        let pg: f64 = h.log_pi.unwrap().iter().zip(w.log_pi.as_ref().unwrap()).map(|(h, w)| h * w).sum();
        pg + h.values.iter().zip(&w.values).map(|(h, w)| h * w).sum::<f64>()
    };
    let grad = model.weighted_grad(&params(&theta), &batch, &w).unwrap().to_host().remove(0);
    for (i, g) in grad.iter().enumerate() {
        let (mut a, mut b) = (theta.clone(), theta.clone());
        a[i] += 1e-6;
        b[i] -= 1e-6;
        assert!(((f(&a) - f(&b)) / 2e-6 - g).abs() < 1e-8, "θ[{i}]");
    }
}
