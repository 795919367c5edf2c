//! The reward transforms' values worked by hand, and the learned reward's cotangents; their
//! derivatives against differences are checked by `mgrl_core::verify` (`tests/verify.rs`).

use mgrl_core::{Batch, MetaValue, MetaValues, RewardInputs, RewardTransform};

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

fn transform(name: &str) -> Box<dyn RewardTransform> {
    toml::from_str(&format!("type = \"{name}\"")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// r̃ with the transform's one meta-parameter per step.
fn apply(t: &dyn RewardTransform, batch: Batch, r: &[f64], meta: &[f64]) -> Vec<f64> {
    let meta = MetaValues::from_steps(t.meta_params(), [meta.to_vec()]);
    t.apply(&RewardInputs { batch, rewards: r, meta: &meta }).unwrap()
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

#[test]
fn learned_reward_hands_the_cotangent_to_both_the_rewards_and_the_network_output() {
    let batch = column(3);
    let reward = MetaValues::new().with("reward", MetaValue::Steps(vec![0.3, 0.0, -7.0]));
    let x = RewardInputs { batch, rewards: &[1.0, -2.0, 0.5], meta: &reward };
    let back = transform("learned_reward").vjp(&x, &[0.5, -1.0, 2.0]).unwrap();
    assert_eq!(back.rewards, vec![0.5, -1.0, 2.0]);
    assert_eq!(back.meta.get("reward").unwrap(), &MetaValue::Steps(vec![0.5, -1.0, 2.0]));
}
