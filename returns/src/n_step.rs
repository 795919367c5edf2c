//! The n-step bootstrapped return (Sutton & Barto 2018 §7.1), the discounted Monte-Carlo
//! return as its limit n ≥ T.
//!
//! For t ∈ [0, T), with γₜ = γ(η)ₜ·dₜ and m = min(n, T − t):
//!
//!   Gₜ = Σ_{k<m} (Π_{i<k} γₜ₊ᵢ) rₜ₊ₖ + (Π_{i<m} γₜ₊ᵢ) V(xₜ₊ₘ),   V(xₜ₊ₘ) = next_values[t+m−1],
//!
//! truncated at the end of the batch, where it bootstraps on the last next value.
//! Value target vₜ = Gₜ; policy-gradient advantage Aₜ = Gₜ − V(xₜ).

use mgrl_core::registry::PluginOption;
use mgrl_core::{
    Error, InputCotangents, InputTangents, MetaParamSpec, PluginEntry, PluginKind, Result, ReturnFn, ReturnInputs,
    TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};

const META: &[MetaParamSpec] = &[MetaParamSpec::unit("gamma", "discount γ", 0.99)];

/// The n-step return.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NStep {
    /// Steps before bootstrapping (n ≥ 1); n ≥ T gives the Monte-Carlo return.
    pub n: usize,
}

inventory::submit! {
    PluginEntry {
        name: "n_step",
        kind: PluginKind::Return,
        description: "n-step return Σ_{k<n} γᵏ rₜ₊ₖ + γⁿ V(xₜ₊ₙ), Monte-Carlo for n ≥ T (Sutton & Barto 2018 §7.1)",
        meta_params: META,
        options: &[PluginOption { name: "n", doc: "steps before bootstrapping (≥ 1; ≥ T for Monte Carlo)", default: "" }],
    }
}

impl NStep {
    fn check(&self, x: &ReturnInputs) -> Result<()> {
        if self.n == 0 {
            return Err(Error::OutOfDomain { name: "n_step.n".into(), value: 0.0, domain: "{1, 2, 3, …}".into() });
        }
        x.validate(META)
    }

    /// m = min(n, T − t).
    fn horizon(&self, t: usize, t_len: usize) -> usize {
        self.n.min(t_len - t)
    }
}

/// γₜ·dₜ at flat index i.
fn discount(x: &ReturnInputs, i: usize) -> f64 {
    x.meta[0][i] * x.discounts[i]
}

/// Gₜ of one step (index i = t·B + e) by its tail recursion Sₖ = rₜ₊ₖ + γₜ₊ₖ Sₖ₊₁, Sₘ = V(xₜ₊ₘ).
fn tails(x: &ReturnInputs, i: usize, m: usize, out: &mut [f64]) {
    let b = x.batch.b;
    out[m] = x.next_values[i + (m - 1) * b];
    for k in (0..m).rev() {
        let j = i + k * b;
        out[k] = x.rewards[j] + discount(x, j) * out[k + 1];
    }
}

#[typetag::serde(name = "n_step")]
impl ReturnFn for NStep {
    fn meta_params(&self) -> &'static [MetaParamSpec] {
        META
    }

    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        self.check(x)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let mut s = vec![0.0; self.n.min(t_len) + 1];
        let mut g = vec![0.0; x.batch.len()];
        for t in 0..t_len {
            let m = self.horizon(t, t_len);
            for (e, g) in g[t * b..(t + 1) * b].iter_mut().enumerate() {
                tails(x, t * b + e, m, &mut s);
                *g = s[0];
            }
        }
        let advantages = g.iter().zip(x.values).map(|(g, v)| g - v).collect();
        Ok(Targets { values: g, advantages })
    }

    /// dSₖ = drₜ₊ₖ + dγₜ₊ₖ·dₜ₊ₖ·Sₖ₊₁ + γₜ₊ₖ dSₖ₊₁,  dSₘ = dV(xₜ₊ₘ),  dGₜ = dS₀.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
        self.check(x)?;
        dx.validate(&x.batch, META.len())?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
        let mut s = vec![0.0; self.n.min(t_len) + 1];
        let mut dg = vec![0.0; x.batch.len()];
        for t in 0..t_len {
            let m = self.horizon(t, t_len);
            for (e, dg) in dg[t * b..(t + 1) * b].iter_mut().enumerate() {
                let i = t * b + e;
                tails(x, i, m, &mut s);
                let mut ds = at(dx.next_values, i + (m - 1) * b);
                for k in (0..m).rev() {
                    let j = i + k * b;
                    ds = at(dx.rewards, j) + at(dx.meta(0), j) * x.discounts[j] * s[k + 1] + discount(x, j) * ds;
                }
                *dg = ds;
            }
        }
        let advantages = dg.iter().enumerate().map(|(i, d)| d - at(dx.values, i)).collect();
        Ok(Targets { values: dg, advantages })
    }

    /// With Pₖ = Π_{i<k} γₜ₊ᵢ: r̄ₜ₊ₖ += ḡₜPₖ, V̄(xₜ₊ₘ) += ḡₜPₘ, γ̄ₜ₊ₖ += ḡₜPₖdₜ₊ₖSₖ₊₁, V̄ₜ = −Āₜ.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
        self.check(x)?;
        dy.validate(&x.batch)?;
        let (t_len, b) = (x.batch.t, x.batch.b);
        let mut out = InputCotangents::zeros(&x.batch, META.len());
        let mut s = vec![0.0; self.n.min(t_len) + 1];
        for t in 0..t_len {
            let m = self.horizon(t, t_len);
            for i in t * b..(t + 1) * b {
                let gb = dy.values[i] + dy.advantages[i];
                out.values[i] = -dy.advantages[i];
                tails(x, i, m, &mut s);
                let mut p = gb;
                for k in 0..m {
                    let j = i + k * b;
                    out.rewards[j] += p;
                    out.meta[0][j] += p * x.discounts[j] * s[k + 1];
                    p *= discount(x, j);
                }
                out.next_values[i + (m - 1) * b] += p;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::Batch;

    fn targets(n: usize, r: &[f64], d: &[f64], v_next: &[f64], gamma: f64) -> Vec<f64> {
        let t = r.len();
        let (g, z) = (vec![gamma; t], vec![0.0; t]);
        let x = ReturnInputs {
            batch: Batch::new(t, 1).unwrap(),
            rewards: r,
            discounts: d,
            values: &z,
            next_values: v_next,
            log_rhos: &z,
            meta: &[&g],
        };
        NStep { n }.targets(&x).unwrap().values
    }

    #[test]
    fn n_step_matches_hand_worked_cases_with_episode_end() {
        let (r, vn) = ([1.0, 2.0, 3.0], [10.0, 20.0, 40.0]);
        // n = 1: Gₜ = rₜ + γV(xₜ₊₁) = [1 + 5, 2 + 10, 3 + 20].
        assert_eq!(targets(1, &r, &[1.0; 3], &vn, 0.5), vec![6.0, 12.0, 23.0]);
        // n = 2: G₀ = 1 + 0.5·2 + 0.25·20 = 7; G₁ = 2 + 1.5 + 0.25·40 = 13.5; G₂ = 3 + 20 = 23.
        assert_eq!(targets(2, &r, &[1.0; 3], &vn, 0.5), vec![7.0, 13.5, 23.0]);
        // n ≥ T, episode ends after step 0: G₀ = 1; G₁ = 2 + 1.5 + 0.25·40 = 13.5.
        assert_eq!(targets(5, &r, &[0.0, 1.0, 1.0], &vn, 0.5), vec![1.0, 13.5, 23.0]);
        // γ = 0: the reward alone; T = 1: one step.
        assert_eq!(targets(3, &r, &[1.0; 3], &vn, 0.0), r.to_vec());
        assert_eq!(targets(3, &[1.0], &[1.0], &[4.0], 0.5), vec![3.0]);
    }

    #[test]
    fn n_of_zero_is_an_error_that_states_the_domain() {
        let z = [0.0];
        let x = ReturnInputs {
            batch: Batch::new(1, 1).unwrap(),
            rewards: &z,
            discounts: &z,
            values: &z,
            next_values: &z,
            log_rhos: &z,
            meta: &[&[0.5]],
        };
        assert!(NStep { n: 0 }.targets(&x).unwrap_err().to_string().contains("{1, 2, 3, …}"));
    }
}
