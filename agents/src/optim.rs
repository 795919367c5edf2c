//! Diagonal first-order optimisers (SGD, RMSProp, Adam) that expose their preconditioner.
//!
//! Every step is written  Δθ = o − s ⊙ g : a scale s (the learning rate times the diagonal
//! preconditioner P) and an offset o (Adam's momentum from earlier gradients), both computed
//! with the current gradient folded into the moment estimates and then *held fixed* when the
//! meta-gradient differentiates the step with respect to g (Xu et al. 2018, §2; DESIGN.md §2).

use crate::net::{scalar, Params};
use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

/// An optimiser and its hyper-parameters, as written in TOML:
/// `optimizer = { type = "rmsprop", lr = 0.1, decay = 0.99, eps = 1e-5 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerConfig {
    /// Δθ = −α g.
    Sgd { lr: f64 },
    /// v ← ρv + (1−ρ)g²,  Δθ = −α g / (√v + ε)  (Tieleman & Hinton 2012).
    Rmsprop {
        lr: f64,
        #[serde(default = "default_decay")]
        decay: f64,
        #[serde(default = "default_eps")]
        eps: f64,
    },
    /// m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  Δθ = −α m̂ / (√v̂ + ε)  (Kingma & Ba 2015).
    Adam {
        lr: f64,
        #[serde(default = "default_beta1")]
        beta1: f64,
        #[serde(default = "default_beta2")]
        beta2: f64,
        #[serde(default = "default_eps")]
        eps: f64,
    },
}

fn default_decay() -> f64 {
    0.99
}
fn default_eps() -> f64 {
    1e-8
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}

impl OptimizerConfig {
    /// Adam with default betas, as used for the meta-parameters.
    pub fn adam(lr: f64) -> Self {
        OptimizerConfig::Adam { lr, beta1: default_beta1(), beta2: default_beta2(), eps: default_eps() }
    }

    /// Checks the hyper-parameters; the error names the bad one and its range.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("optimizer `{name}` = {v} must be a positive number"))
            }
        };
        let fraction = |name: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("optimizer `{name}` = {v} is outside [0, 1)"))
            }
        };
        match *self {
            OptimizerConfig::Sgd { lr } => positive("lr", lr),
            OptimizerConfig::Rmsprop { lr, decay, eps } => {
                positive("lr", lr)?;
                fraction("decay", decay)?;
                positive("eps", eps)
            }
            OptimizerConfig::Adam { lr, beta1, beta2, eps } => {
                positive("lr", lr)?;
                fraction("beta1", beta1)?;
                fraction("beta2", beta2)?;
                positive("eps", eps)
            }
        }
    }
}

/// The moment estimates of an optimiser, shaped like θ and on its device.
#[derive(Debug, Clone)]
pub struct OptimizerState<E: Dtype, D: Device<E>> {
    pub m: Params<E, D>,
    pub v: Params<E, D>,
    pub t: u64,
}

/// A step computed but not yet taken: Δθ = offset − scale ⊙ g, and the state after it.
#[derive(Debug, Clone)]
pub struct PreparedStep<E: Dtype, D: Device<E>> {
    pub scale: Params<E, D>,
    pub offset: Params<E, D>,
    pub delta: Params<E, D>,
    next: OptimizerState<E, D>,
}

/// An optimiser over parameters that live on a dfdx device.
#[derive(Debug, Clone)]
pub struct Optimizer<E: Dtype, D: Device<E>> {
    pub config: OptimizerConfig,
    pub state: OptimizerState<E, D>,
}

impl<E: Dtype, D: Device<E>> Optimizer<E, D> {
    /// An optimiser with zero moments for parameters shaped like `like`.
    pub fn new(config: OptimizerConfig, like: &Params<E, D>) -> Self {
        Optimizer { config, state: OptimizerState { m: like.zeros_like(), v: like.zeros_like(), t: 0 } }
    }

    /// The step that gradient `g` would take, with its scale and offset.
    pub fn prepare(&self, g: &Params<E, D>) -> PreparedStep<E, D> {
        let mut next = self.state.clone();
        next.t += 1;
        let s = scalar::<E>;
        let (scale, offset) = match self.config {
            OptimizerConfig::Sgd { lr } => (g.map(|t| t.device().ones_like(&t) * s(lr)), g.zeros_like()),
            OptimizerConfig::Rmsprop { lr, decay, eps } => {
                next.v = next.v.zip(g, |v, g| v * s(decay) + g.square() * s(1.0 - decay));
                (next.v.map(|v| (v.sqrt() + s(eps)).recip() * s(lr)), g.zeros_like())
            }
            OptimizerConfig::Adam { lr, beta1, beta2, eps } => {
                let t = next.t as i32;
                let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                let m_prev = next.m.clone();
                next.m = next.m.zip(g, |m, g| m * s(beta1) + g * s(1.0 - beta1));
                next.v = next.v.zip(g, |v, g| v * s(beta2) + g.square() * s(1.0 - beta2));
                // 1/denominator, denominator = c₁(√(v/c₂) + ε).
                let inv = next.v.map(|v| ((v * s(1.0 / c2)).sqrt() + s(eps)).recip() * s(1.0 / c1));
                (inv.map(|i| i * s(lr * (1.0 - beta1))), m_prev.zip(&inv, |m, i| m * i * s(-lr * beta1)))
            }
        };
        let delta = offset.zip(&scale.zip(g, |s, g| s * g), |o, sg| o - sg);
        PreparedStep { scale, offset, delta, next }
    }

    /// Takes a prepared step: adds Δθ to `params` and advances the moment estimates.
    pub fn commit(&mut self, step: PreparedStep<E, D>, params: &mut Params<E, D>) {
        *params = params.zip(&step.delta, |p, d| p + d);
        self.state = step.next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(v: &[f64]) -> Params<f64, Cpu> {
        Params::from_host(&Cpu::default(), &[v.to_vec()])
    }

    #[test]
    fn adam_step_equals_its_textbook_form_and_is_affine_in_the_gradient() {
        let cfg = OptimizerConfig::adam(0.1);
        let g1 = [0.5, -2.0];
        let mut opt = Optimizer::new(cfg, &host(&g1));
        let mut p = host(&[0.0, 0.0]);
        let s1 = opt.prepare(&host(&g1));
        opt.commit(s1, &mut p);
        let g2 = [1.5, 0.25];
        let s2 = opt.prepare(&host(&g2));
        let (delta, offset, scale) = (&s2.delta.to_host()[0], &s2.offset.to_host()[0], &s2.scale.to_host()[0]);
        // Textbook Adam, step 2.
        for i in 0..2 {
            let m = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
            let v = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2[i] * g2[i];
            let (mh, vh) = (m / (1.0 - 0.81), v / (1.0 - 0.999f64.powi(2)));
            let expected = -0.1 * mh / (vh.sqrt() + 1e-8);
            assert!((delta[i] - expected).abs() < 1e-12, "{i}: {} vs {expected}", delta[i]);
            assert!((offset[i] - scale[i] * g2[i] - expected).abs() < 1e-12);
        }
    }

    #[test]
    fn rmsprop_and_sgd_scales_are_the_preconditioned_learning_rate() {
        let g = host(&[2.0, -1.0]);
        let s = Optimizer::new(OptimizerConfig::Sgd { lr: 0.5 }, &g).prepare(&g);
        assert_eq!(s.delta.to_host()[0], vec![-1.0, 0.5]);
        let s = Optimizer::new(OptimizerConfig::Rmsprop { lr: 0.1, decay: 0.9, eps: 0.0 }, &g).prepare(&g);
        let expected = -0.1 * 2.0 / (0.1f64 * 4.0).sqrt();
        assert!((s.delta.to_host()[0][0] - expected).abs() < 1e-12);
    }

    #[test]
    fn optimizer_config_rejects_bad_values_and_unknown_keys() {
        let bad: OptimizerConfig = toml::from_str("type = \"adam\"\nlr = 0.1\nbeta1 = 1.5").unwrap();
        assert!(bad.validate().unwrap_err().contains("beta1"));
        assert!(toml::from_str::<OptimizerConfig>("type = \"sgd\"\nlr = 0.1\nmomentum = 0.9").is_err());
        assert!(toml::from_str::<OptimizerConfig>("type = \"lbfgs\"\nlr = 0.1").is_err());
    }
}
