//! The returns agree where their definitions meet, on random inputs with episode ends,
//! terminations and time-limit truncations:
//! the λ-return with λ = 1 is the n-step return with n ≥ T (Monte Carlo, bootstrapped at the
//! batch end), with λ = 0 the one-step return (n = 1); on-policy V-trace (ρ = 1, truncation
//! levels 1) is the λ-return, for λ = 1 (the IMPALA paper's remark) and for any per-step λ,
//! when each step's next value is the next step's value within an episode.

use mgrl_core::{Batch, MetaValues, ReturnFn, ReturnInputs, Targets};
use mgrl_returns::{LambdaReturn, NStep, VTrace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::num::NonZeroUsize;

const T: usize = 7;
const B: usize = 5;
const N: usize = T * B;

struct Case {
    rewards: Vec<f64>,
    discounts: Vec<f64>,
    episode_continues: Vec<f64>,
    values: Vec<f64>,
    next_values: Vec<f64>,
    gamma: Vec<f64>,
}

impl Case {
    /// Random inputs with 30% episode ends, a third of them terminations (d = 0, e = 0), the
    /// rest time-limit truncations (d = 1, e = 0), where V(xₜ₊₁) of step t is V(xₜ₊₁) of step
    /// t + 1 within an episode (as in a rollout) and a final observation's value where it ends.
    fn random(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut u = |lo: f64, hi: f64| (0..N).map(|_| rng.gen_range(lo..hi)).collect::<Vec<f64>>();
        let ends = u(0.0, 1.0);
        let discounts = ends.iter().map(|&p| if p < 0.1 { 0.0 } else { 1.0 }).collect();
        let episode_continues: Vec<f64> = ends.iter().map(|&p| if p < 0.3 { 0.0 } else { 1.0 }).collect();
        let (rewards, values, mut next_values, gamma) = (u(-1.0, 1.0), u(-1.0, 1.0), u(-1.0, 1.0), u(0.5, 1.0));
        for i in (0..N - B).filter(|&i| episode_continues[i] == 1.0) {
            next_values[i] = values[i + B];
        }
        Case { rewards, discounts, episode_continues, values, next_values, gamma }
    }

    /// The targets of `plugin` with its meta-parameters, in declaration order, per step.
    fn targets(&self, plugin: &dyn ReturnFn, meta: &[&[f64]]) -> Targets {
        let zeros = [0.0; N];
        let meta = MetaValues::from_steps(plugin.meta_params(), meta.iter().map(|m| m.to_vec()));
        let x = ReturnInputs {
            batch: Batch::new(T, B).unwrap(),
            rewards: &self.rewards,
            discounts: &self.discounts,
            episode_continues: &self.episode_continues,
            values: &self.values,
            next_values: &self.next_values,
            log_rhos: &zeros,
            meta: &meta,
        };
        plugin.targets(&x).unwrap()
    }
}

fn assert_close(a: &Targets, b: &Targets, what: &str) {
    for (x, y) in a.values.iter().zip(&b.values).chain(a.advantages.iter().zip(&b.advantages)) {
        assert!((x - y).abs() < 1e-12, "{what}: {x} vs {y}");
    }
}

fn n_step(n: usize) -> NStep {
    NStep { n: NonZeroUsize::new(n).unwrap() }
}

#[test]
fn lambda_return_with_lambda_one_is_monte_carlo_and_with_lambda_zero_is_one_step() {
    for seed in 0..4 {
        let case = Case::random(seed);
        let (ones, zeros) = ([1.0; N], [0.0; N]);
        let lambda_one = case.targets(&LambdaReturn {}, &[&case.gamma, &ones]);
        for n in [T, T + 5] {
            assert_close(&lambda_one, &case.targets(&n_step(n), &[&case.gamma]), &format!("λ = 1 vs n = {n}"));
        }
        let lambda_zero = case.targets(&LambdaReturn {}, &[&case.gamma, &zeros]);
        assert_close(&lambda_zero, &case.targets(&n_step(1), &[&case.gamma]), "λ = 0 vs n = 1");
    }
}

#[test]
fn on_policy_vtrace_is_the_lambda_return() {
    for seed in 10..14 {
        let case = Case::random(seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let per_step: Vec<f64> = (0..N).map(|_| rng.gen_range(0.0..1.0)).collect();
        let ones = [1.0; N];
        for (lambda, what) in [(&ones[..], "λ = 1"), (&per_step[..], "per-step λ")] {
            let vtrace = case.targets(&VTrace {}, &[&case.gamma, lambda, &ones, &ones, &ones]);
            let lambda_return = case.targets(&LambdaReturn {}, &[&case.gamma, lambda]);
            assert_close(&vtrace, &lambda_return, what);
        }
    }
}
