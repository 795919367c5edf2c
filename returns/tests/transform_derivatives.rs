//! Every registered reward transform: values worked by hand, JVP and VJP against central
//! finite differences (f64) for the rewards and every meta input, and the two adjoint.

use mgrl_core::{registry, Batch, PluginKind, RewardInputs, RewardTransform};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

fn transform(name: &str) -> Box<dyn RewardTransform> {
    toml::from_str(&format!("type = \"{name}\"")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn transforms() -> Vec<(&'static str, Box<dyn RewardTransform>)> {
    let all: Vec<_> = registry::plugins()
        .into_iter()
        .filter(|p| p.kind == PluginKind::RewardTransform)
        .map(|p| (p.name, transform(p.name)))
        .collect();
    assert!(all.len() >= 3, "the built-in transforms are registered");
    all
}

fn apply(t: &dyn RewardTransform, batch: Batch, r: &[f64], meta: &[f64]) -> Vec<f64> {
    t.apply(&RewardInputs { batch, rewards: r, meta: &[meta] }).unwrap()
}

fn column(n: usize) -> Batch {
    Batch::new(n, 1).unwrap()
}

#[test]
fn clip_and_soft_clip_and_learned_reward_match_hand_worked_values() {
    let r = [-3.0, -0.5, 0.0, 0.5, 3.0];
    // Hard clipping to [−1, 1]; per-step thresholds clip each step at its own level.
    assert_eq!(apply(transform("clip").as_ref(), column(5), &r, &[1.0; 5]), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    assert_eq!(
        apply(transform("clip").as_ref(), column(5), &r, &[2.0, 0.25, 1.0, 1.0, 4.0]),
        vec![-2.0, -0.25, 0.0, 0.5, 3.0]
    );
    // c·tanh(r/c) with c = 2: 2·tanh(1.5) and 2·tanh(0.25) (Python math.tanh), odd in r.
    let soft = apply(transform("soft_clip").as_ref(), column(5), &r, &[2.0; 5]);
    let expected = [-1.810_296_507_289_733, -0.489_837_324_807_418, 0.0, 0.489_837_324_807_418, 1.810_296_507_289_733];
    for (s, e) in soft.iter().zip(expected) {
        assert!((s - e).abs() < 1e-14, "{s} vs {e}");
    }
    // r + r_η: the network's output added step by step.
    assert_eq!(
        apply(transform("learned_reward").as_ref(), column(5), &r, &[0.5, 0.0, -1.0, 0.0, 2.0]),
        vec![-2.5, -0.5, -1.0, 0.5, 5.0]
    );
}

/// Rewards on both sides of the threshold (≈ 1), away from the kink at |r| = c, and meta
/// inputs near 1.
fn random_case(rng: &mut ChaCha8Rng, n: usize) -> (Vec<f64>, Vec<f64>) {
    let rewards = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                rng.gen_range(-0.6..0.6)
            } else {
                rng.gen_range(1.4..2.5) * if i % 4 == 1 { 1.0 } else { -1.0 }
            }
        })
        .collect();
    let meta = (0..n).map(|_| rng.gen_range(0.9..1.1)).collect();
    (rewards, meta)
}

#[test]
fn every_reward_transform_has_jvp_and_vjp_matching_central_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let batch = Batch::new(4, 3).unwrap();
    let n = batch.len();
    for (name, t) in transforms() {
        let (rewards, meta) = random_case(&mut rng, n);
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
                        apply(t.as_ref(), batch, &v, &meta)
                    } else {
                        apply(t.as_ref(), batch, &rewards, &v)
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

#[test]
fn every_reward_transform_has_vjp_adjoint_to_its_jvp() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let batch = Batch::new(3, 4).unwrap();
    let n = batch.len();
    for (name, t) in transforms() {
        let (rewards, meta) = random_case(&mut rng, n);
        let mut random = || -> Vec<f64> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
        let (u, dr, dm) = (random(), random(), random());
        let x = RewardInputs { batch, rewards: &rewards, meta: &[&meta] };
        let jvp = t.jvp(&x, Some(&dr), &[Some(&dm)]).unwrap();
        let vjp = t.vjp(&x, &u).unwrap();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
        let (lhs, rhs) = (dot(&u, &jvp), dot(&vjp.rewards, &dr) + dot(&vjp.meta[0], &dm));
        assert!((lhs - rhs).abs() < 1e-12, "{name}: ⟨u, JVP(v)⟩ = {lhs}, ⟨VJP(u), v⟩ = {rhs}");
    }
}

#[test]
fn learned_reward_hands_the_cotangent_to_both_the_rewards_and_the_network_output() {
    let batch = column(3);
    let x = RewardInputs { batch, rewards: &[1.0, -2.0, 0.5], meta: &[&[0.3, 0.0, -7.0]] };
    let back = transform("learned_reward").vjp(&x, &[0.5, -1.0, 2.0]).unwrap();
    assert_eq!(back.rewards, vec![0.5, -1.0, 2.0]);
    assert_eq!(back.meta, vec![vec![0.5, -1.0, 2.0]]);
}
