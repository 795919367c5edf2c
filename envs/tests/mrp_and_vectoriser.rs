//! The vectoriser's conventions (automatic reset, final observations, seeding, errors) on
//! the Figure 1 chains.

use mgrl_envs::{registry, EnvError, StepBuffers, VecEnv};

fn chain(name: &str, b: usize, seed: u64) -> Box<dyn VecEnv> {
    registry::make(name, b, seed, &toml::Table::new()).unwrap()
}

fn run_episode(env: &mut dyn VecEnv) -> (Vec<f32>, Vec<Vec<f32>>, Vec<usize>) {
    let spec = env.spec().clone();
    let mut obs = vec![0.0; spec.obs_len() * env.num_envs()];
    env.reset(&mut obs).unwrap();
    let mut out = StepBuffers::new(&spec, env.num_envs());
    let (mut rewards, mut observations, mut states) = (Vec::new(), Vec::new(), Vec::new());
    let mut idx = vec![0; env.num_envs()];
    for _ in 0..spec.num_states.unwrap() {
        env.state_indices(&mut idx).unwrap();
        states.push(idx[0]);
        env.step(&vec![0; env.num_envs()], &mut out).unwrap();
        rewards.push(out.rewards[0]);
        observations.push(out.obs[..spec.obs_len()].to_vec());
    }
    assert!(out.terminated[0] && !out.truncated[0], "the chain ends after its last state");
    (rewards, observations, states)
}

#[test]
fn chain_visits_states_in_order_and_resets_automatically() {
    let mut env = chain("mrp/fig1b-gamma", 2, 0);
    let (rewards, observations, states) = run_episode(env.as_mut());
    assert_eq!(states, (0..10).collect::<Vec<_>>());
    // Odd states pay exactly +0.1.
    for s in (1..10).step_by(2) {
        assert!((rewards[s] - 0.1).abs() < 1e-7);
    }
    // After the last state the observation is the first state of the next episode.
    let mut first = vec![0.0; 10];
    first[0] = 1.0;
    assert_eq!(observations[9], first);
    let mut idx = vec![0; 2];
    env.state_indices(&mut idx).unwrap();
    assert_eq!(idx, vec![0, 0]);
}

#[test]
fn fig1a_negates_the_previous_reward_over_nine_steps() {
    let mut env = chain("mrp/fig1a-lambda", 1, 3);
    let (rewards, _, states) = run_episode(env.as_mut());
    assert_eq!(states, (0..9).collect::<Vec<_>>());
    // Pairs (r, −r), and the ninth reward random.
    for pair in rewards[..8].chunks(2) {
        assert_eq!(pair[1], -pair[0]);
        assert_ne!(pair[0], 0.0);
    }
    assert_ne!(rewards[8], 0.0);
}

#[test]
fn final_observation_is_the_terminal_one_and_seeds_repeat() {
    let mut a = chain("mrp/fig1b-gamma", 3, 42);
    let mut b = chain("mrp/fig1b-gamma", 3, 42);
    let mut c = chain("mrp/fig1b-gamma", 3, 43);
    let (ra, _, _) = run_episode(a.as_mut());
    let (rb, _, _) = run_episode(b.as_mut());
    let (rc, _, _) = run_episode(c.as_mut());
    assert_eq!(ra, rb);
    assert_ne!(ra, rc);
}

#[test]
fn environments_in_a_batch_draw_different_rewards() {
    let mut env = chain("mrp/fig1b-gamma", 2, 7);
    let spec = env.spec().clone();
    let mut obs = vec![0.0; spec.obs_len() * 2];
    env.reset(&mut obs).unwrap();
    let mut out = StepBuffers::new(&spec, 2);
    env.step(&[0, 0], &mut out).unwrap();
    assert_ne!(out.rewards[0], out.rewards[1]);
}

#[test]
fn bad_input_gives_errors_that_say_what_is_allowed() {
    let err = registry::make("mrp/nope", 1, 0, &toml::Table::new()).err().unwrap().to_string();
    assert!(err.contains("mrp/fig1a-lambda") && err.contains("mrp/fig1b-gamma"), "{err}");
    let mut env = chain("mrp/fig1b-gamma", 2, 0);
    let spec = env.spec().clone();
    let mut out = StepBuffers::new(&spec, 2);
    let err = env.step(&[0, 1], &mut out).unwrap_err();
    assert!(matches!(err, EnvError::InvalidAction { index: 1, action: 1, num_actions: 1, .. }), "{err}");
    assert!(err.to_string().contains("mrp/fig1b-gamma"));
    assert!(env.step(&[0], &mut out).is_err());
    let mut opts = toml::Table::new();
    opts.insert("states".into(), toml::Value::Integer(1));
    assert!(registry::make("mrp/fig1b-gamma", 1, 0, &opts).err().unwrap().to_string().contains("at least 2"));
    opts.insert("colour".into(), toml::Value::Integer(1));
    assert!(registry::make("mrp/fig1b-gamma", 1, 0, &opts).err().unwrap().to_string().contains("colour"));
    assert!(registry::make("mrp/fig1b-gamma", 0, 0, &toml::Table::new()).is_err());
}
