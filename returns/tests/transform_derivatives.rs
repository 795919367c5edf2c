//! Every registered reward transform: values worked by hand, and JVP/VJP against central
//! finite differences (f64) for the rewards and every meta input.

use mgrl_core::{registry, Batch, PluginKind, RewardInputs, RewardTransform};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

fn transform(name: &str) -> Box<dyn RewardTransform> {
    toml::from_str(&format!("type = \"{name}\"")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn apply(t: &dyn RewardTransform, r: &[f64], meta: &[f64]) -> Vec<f64> {
    t.apply(&RewardInputs { batch: Batch::new(r.len(), 1).unwrap(), rewards: r, meta: &[meta] }).unwrap()
}

#[test]
fn clip_and_soft_clip_and_learned_reward_match_hand_worked_values() {
    let r = [-3.0, -0.5, 0.0, 0.5, 3.0];
    assert_eq!(apply(transform("clip").as_ref(), &r, &[1.0; 5]), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    let soft = apply(transform("soft_clip").as_ref(), &r, &[2.0; 5]);
    for (s, r) in soft.iter().zip(r) {
        assert!((s - 2.0 * (r / 2.0f64).tanh()).abs() < 1e-15 && s.abs() < 2.0);
    }
    assert_eq!(
        apply(transform("learned_reward").as_ref(), &r, &[0.5, 0.0, -1.0, 0.0, 2.0]),
        vec![-2.5, -0.5, -1.0, 0.5, 5.0]
    );
}

#[test]
fn every_reward_transform_has_jvp_and_vjp_matching_central_differences() {
    let names: Vec<_> =
        registry::plugins().into_iter().filter(|p| p.kind == PluginKind::RewardTransform).map(|p| p.name).collect();
    assert!(names.len() >= 3, "built-in transforms are registered: {names:?}");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let batch = Batch::new(4, 3).unwrap();
    let n = batch.len();
    for name in names {
        let t = transform(name);
        // Rewards on both sides of the threshold, away from the kink at |r| = c.
        let rewards: Vec<f64> = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    rng.gen_range(-0.6..0.6)
                } else {
                    rng.gen_range(1.4..2.5) * if i % 4 == 1 { 1.0 } else { -1.0 }
                }
            })
            .collect();
        let meta: Vec<f64> = (0..n).map(|_| rng.gen_range(0.9..1.1)).collect();
        let cot: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let x = RewardInputs { batch, rewards: &rewards, meta: &[&meta] };
        let back = t.vjp(&x, &cot).unwrap();
        for (input, base) in [(0usize, &rewards), (1, &meta)] {
            for i in 0..n {
                let h = 1e-6;
                let eval = |delta: f64| {
                    let mut v = base.clone();
                    v[i] += delta;
                    if input == 0 {
                        apply_batch(t.as_ref(), batch, &v, &meta)
                    } else {
                        apply_batch(t.as_ref(), batch, &rewards, &v)
                    }
                };
                let (p, m) = (eval(h), eval(-h));
                let fd: Vec<f64> = p.iter().zip(&m).map(|(p, m)| (p - m) / (2.0 * h)).collect();
                let mut e = vec![0.0; n];
                e[i] = 1.0;
                let jvp = if input == 0 { t.jvp(&x, Some(&e), &[None]) } else { t.jvp(&x, None, &[Some(&e)]) }.unwrap();
                for j in 0..n {
                    assert!((jvp[j] - fd[j]).abs() < 1e-8, "{name}: JVP of r̃[{j}] along input {input}[{i}]");
                }
                let fd_vjp: f64 = fd.iter().zip(&cot).map(|(a, b)| a * b).sum();
                let vjp = if input == 0 { back.rewards[i] } else { back.meta[0][i] };
                assert!((vjp - fd_vjp).abs() < 1e-8, "{name}: VJP for input {input}[{i}]: {vjp} vs {fd_vjp}");
            }
        }
    }
}

fn apply_batch(t: &dyn RewardTransform, batch: Batch, r: &[f64], meta: &[f64]) -> Vec<f64> {
    t.apply(&RewardInputs { batch, rewards: r, meta: &[meta] }).unwrap()
}

#[test]
fn threshold_outside_its_domain_and_nan_rewards_are_errors() {
    let clip = transform("clip");
    let batch = Batch::new(1, 1).unwrap();
    let err = clip.apply(&RewardInputs { batch, rewards: &[1.0], meta: &[&[-1.0]] }).unwrap_err().to_string();
    assert!(err.contains("threshold") && err.contains("(0, ∞)"), "{err}");
    let err = clip.apply(&RewardInputs { batch, rewards: &[f64::NAN], meta: &[&[1.0]] }).unwrap_err().to_string();
    assert!(err.contains("rewards"), "{err}");
    assert!(clip.vjp(&RewardInputs { batch, rewards: &[1.0], meta: &[&[1.0]] }, &[1.0, 2.0]).is_err());
}
