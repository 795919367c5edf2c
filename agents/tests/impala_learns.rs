//! The actor-critic learns: seeded runs of the examples' experiments that must reach a score
//! within a frame budget, and a meta-learnt discount that must move the way the paper's
//! argument predicts.

use mgrl_agents::impala::ImpalaAgent;
use mgrl_agents::Agent;
use mgrl_core::config::Experiment;

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

fn agent(example: &str) -> ImpalaAgent {
    edited_agent(example, |t| t)
}

/// The agent of an example with `edit` applied to its text.
fn edited_agent(example: &str, edit: impl Fn(String) -> String) -> ImpalaAgent {
    let path = format!("{}/../examples/{example}", env!("CARGO_MANIFEST_DIR"));
    let text = edit(std::fs::read_to_string(&path).unwrap());
    ImpalaAgent::new(&Experiment::parse(&path, &text).unwrap()).unwrap()
}

/// Trains for `windows` windows of `updates` updates; returns the frames used and the mean
/// return of the episodes that ended in each window.
fn train(agent: &mut ImpalaAgent, windows: usize, updates: usize) -> Vec<(u64, f64)> {
    let mut frames = 0;
    (0..windows)
        .map(|_| {
            let mut returns = Vec::new();
            for _ in 0..updates {
                let report = agent.update().unwrap();
                frames += report.frames;
                returns.extend(report.episode_returns);
            }
            (frames, returns.iter().sum::<f64>() / returns.len() as f64)
        })
        .collect()
}

#[test]
fn the_actor_critic_catches_90_percent_of_the_balls_within_64k_frames() {
    // 200 updates of 16 environments × 20 steps; the last 50 updates' ~900 episodes.
    let mut catch = agent("catch_impala.toml");
    let curve = train(&mut catch, 4, 50);
    let (frames, last) = *curve.last().unwrap();
    assert_eq!(frames, 64_000);
    assert!(last >= 0.9, "mean return {last:.3} after {frames} frames: {curve:?}");
}

#[test]
fn the_asynchronous_actor_critic_catches_90_percent_of_the_balls_too_and_checkpoints_its_actor() {
    // The actor acts on its own thread with a θ up to a few updates old; V-trace corrects.
    let asynchronous = |t: String| t.replace("[agent]\n", "[agent]\nasynchronous = true\n");
    let mut catch = edited_agent("catch_impala.toml", asynchronous);
    let curve = train(&mut catch, 4, 50);
    let (frames, last) = *curve.last().unwrap();
    assert!(last >= 0.9, "mean return {last:.3} after {frames} frames: {curve:?}");
    // Saved between two unrolls of the running actor, and continued by a fresh agent.
    let state = catch.state().unwrap();
    drop(catch);
    let mut resumed = edited_agent("catch_impala.toml", asynchronous);
    resumed.restore(state).unwrap();
    let (_, after) = train(&mut resumed, 1, 50)[0];
    assert!(after >= 0.9, "the restored agent forgot: mean return {after:.3}");
}

#[test]
fn the_actor_critic_balances_cartpole_for_475_steps_within_480k_frames() {
    // Windows of 100 updates (32,000 frames, at least 64 episodes once it balances): one of
    // the first 15 must average at least 475, CartPole-v1's threshold.
    let mut cartpole = agent("cartpole_impala.toml");
    let curve = train(&mut cartpole, 15, 100);
    assert!(curve.iter().any(|&(_, mean)| mean >= 475.0), "mean returns per 32k frames: {curve:.0?}");
}

#[test]
fn a_short_sighted_discount_is_raised_by_the_meta_gradient_towards_the_objectives() {
    // Catch pays only at the end of its 9-step episodes. With γ = 0.5 the inner targets
    // discount the catch to almost nothing at the top of the board, while J′ regresses the
    // value towards γ′ = 0.99 targets and follows their advantages: dJ′/dγ < 0, so γ rises.
    let mut catch = agent("catch_meta_gamma.toml");
    let gamma = |a: &ImpalaAgent| a.meta_values().iter().find(|(n, _)| n == "gamma").unwrap().1;
    let mut trace = vec![gamma(&catch)];
    for _ in 0..4 {
        train(&mut catch, 1, 50);
        trace.push(gamma(&catch));
    }
    assert!(trace.windows(2).all(|w| w[1] > w[0]), "γ did not rise at every step: {trace:?}");
    assert!(*trace.last().unwrap() > 0.8, "γ after 200 updates: {trace:?}");
}
