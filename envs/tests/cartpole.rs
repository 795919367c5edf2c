//! CartPole against Gymnasium's CartPole-v1: episodes recorded by
//! `scripts/cartpole_reference.sh` (initial state, actions, every f64 state) are replayed from
//! the same initial states under the same actions.

use mgrl_envs::cartpole::{self, CartPole, THETA_THRESHOLD, X_THRESHOLD};
use mgrl_envs::{Env, StepBuffers, VecEnv};

#[derive(serde::Deserialize)]
struct Reference {
    episodes: Vec<Episode>,
}

#[derive(serde::Deserialize)]
struct Episode {
    name: String,
    initial_state: [f64; 4],
    steps: Vec<Step>,
}

#[derive(serde::Deserialize)]
struct Step {
    action: usize,
    state: [f64; 4],
    reward: f32,
    terminated: bool,
    truncated: bool,
}

fn reference() -> Vec<Episode> {
    let text = include_str!("data/cartpole_reference.json");
    serde_json::from_str::<Reference>(text).unwrap().episodes
}

#[test]
fn states_match_gymnasium_to_1e_9_with_the_same_termination_step() {
    let episodes = reference();
    assert_eq!(episodes.len(), 6);
    for ep in &episodes {
        let mut env = CartPole::new(0);
        let mut obs = [0.0f32; 4];
        env.set_state(ep.initial_state, &mut obs);
        for (t, step) in ep.steps.iter().enumerate() {
            let tr = env.step(step.action, &mut obs);
            let state = env.state();
            for (ours, theirs) in state.iter().zip(step.state) {
                assert!((ours - theirs).abs() <= 1e-9, "{}, step {}: {state:?} vs {:?}", ep.name, t + 1, step.state);
            }
            assert_eq!(obs, state.map(|s| s as f32));
            assert_eq!(tr.reward, step.reward);
            assert_eq!(tr.terminated, step.terminated, "{}, step {}", ep.name, t + 1);
        }
    }
    // The recordings end on each of the ways an episode ends.
    let last = |ep: &Episode| ep.steps.last().unwrap().state;
    assert!(episodes.iter().any(|ep| last(ep)[0].abs() > X_THRESHOLD));
    assert!(episodes.iter().any(|ep| last(ep)[2].abs() > THETA_THRESHOLD));
    assert!(episodes.iter().any(|ep| ep.steps.len() == 500 && ep.steps[499].truncated));
}

#[test]
fn the_registered_cartpole_ends_and_truncates_where_gymnasium_does() {
    for ep in reference() {
        let mut env = cartpole::vectorized(1, 0, &toml::Table::new()).unwrap();
        let mut out = StepBuffers::new(env.spec(), 1);
        env.reset(&mut out.obs).unwrap();
        env.envs_mut()[0].set_state(ep.initial_state, &mut out.obs);
        for (t, step) in ep.steps.iter().enumerate() {
            env.step(&[step.action], &mut out).unwrap();
            let ended = step.terminated || step.truncated;
            assert_eq!(
                (out.terminated[0], out.truncated[0]),
                (step.terminated, step.truncated),
                "{}, step {}",
                ep.name,
                t + 1
            );
            let obs = if ended { &out.final_obs } else { &out.obs };
            for (o, s) in obs.iter().zip(step.state) {
                assert!((o - s as f32).abs() <= 1e-6, "{}, step {}: {obs:?} vs {:?}", ep.name, t + 1, step.state);
            }
        }
        // After the end the next episode has started from a fresh small state.
        assert!(out.obs.iter().all(|o| o.abs() < 0.05), "{:?}", out.obs);
    }
}

#[test]
fn episodes_start_uniformly_in_the_small_box_and_repeat_with_the_seed() {
    let first_obs = |seed| {
        let mut env = cartpole::vectorized(200, seed, &toml::Table::new()).unwrap();
        let mut obs = vec![0.0; 800];
        env.reset(&mut obs).unwrap();
        obs
    };
    let obs = first_obs(11);
    assert!(obs.iter().all(|o| (-0.05..0.05).contains(o)));
    // Spread over the box: each coordinate takes values near both ends.
    for k in 0..4 {
        let column: Vec<f32> = obs.iter().skip(k).step_by(4).copied().collect();
        assert!(column.iter().any(|&o| o < -0.04) && column.iter().any(|&o| o > 0.04));
    }
    assert_eq!(obs, first_obs(11));
    assert_ne!(obs, first_obs(12));
}

#[test]
fn bad_options_are_errors_that_name_the_option() {
    let mut opts = toml::Table::new();
    opts.insert("max_episode_steps".into(), toml::Value::Integer(0));
    let err = cartpole::vectorized(1, 0, &opts).err().unwrap().to_string();
    assert!(err.contains("cartpole") && err.contains("max_episode_steps"), "{err}");
    opts.insert("max_episode_steps".into(), toml::Value::Integer(-3));
    assert!(cartpole::vectorized(1, 0, &opts).is_err());
    let mut opts = toml::Table::new();
    opts.insert("gravity".into(), toml::Value::Float(3.0));
    let err = cartpole::vectorized(1, 0, &opts).err().unwrap().to_string();
    assert!(err.contains("gravity") && err.contains("max_episode_steps"), "{err}");
}

#[test]
fn a_shorter_time_limit_truncates_a_balanced_pole() {
    let mut opts = toml::Table::new();
    opts.insert("max_episode_steps".into(), toml::Value::Integer(7));
    let mut env = cartpole::vectorized(1, 0, &opts).unwrap();
    let mut out = StepBuffers::new(env.spec(), 1);
    env.reset(&mut out.obs).unwrap();
    env.envs_mut()[0].set_state([0.0; 4], &mut out.obs);
    for t in 1..=7 {
        // Alternate pushes keep the pole near upright.
        env.step(&[t % 2], &mut out).unwrap();
        assert!(!out.terminated[0]);
        assert_eq!(out.truncated[0], t == 7);
    }
}
