//! The MinAtar games through the registry: shapes and action sets as the reference's, options
//! and their errors, sticky actions, bad actions, and seeds. (Step-for-step agreement with
//! the reference package is `minatar_reference.rs`.)

use mgrl_envs::minatar::{self, Asterix, Breakout, Freeway, Game, Seaquest, SpaceInvaders};
use mgrl_envs::{registry, EnvError, StepBuffers};

const GAMES: [&str; 5] =
    ["minatar/asterix", "minatar/breakout", "minatar/freeway", "minatar/seaquest", "minatar/space_invaders"];

fn options(pairs: &[(&str, toml::Value)]) -> toml::Table {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// B copies stepped `steps` times with actions cycling through a fixed pattern; returns every
/// observation, reward and termination, concatenated.
fn rollout(name: &str, b: usize, seed: u64, opts: &toml::Table, steps: usize) -> (Vec<f32>, Vec<f32>, Vec<bool>) {
    let mut env = registry::make(name, b, seed, opts).unwrap();
    let n = env.spec().num_actions;
    let mut out = StepBuffers::new(env.spec(), b);
    env.reset(&mut out.obs).unwrap();
    let (mut obs, mut rewards, mut ends) = (out.obs.clone(), vec![], vec![]);
    for t in 0..steps {
        let actions: Vec<usize> = (0..b).map(|i| (t * 7 + i * 3 + t / 5) % n).collect();
        env.step(&actions, &mut out).unwrap();
        obs.extend_from_slice(&out.obs);
        rewards.extend_from_slice(&out.rewards);
        ends.extend_from_slice(&out.terminated);
    }
    (obs, rewards, ends)
}

#[test]
fn the_five_games_are_registered_with_the_reference_channels_and_minimal_action_sets() {
    // (name, channels as in the reference's `channels` dict, minimal action set size)
    let expected: [(&str, &[&str], usize); 5] = [
        ("minatar/asterix", &["player", "enemy", "trail", "gold"], 5),
        ("minatar/breakout", &["paddle", "ball", "trail", "brick"], 3),
        ("minatar/freeway", &["chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"], 3),
        (
            "minatar/seaquest",
            &[
                "sub_front",
                "sub_back",
                "friendly_bullet",
                "trail",
                "enemy_bullet",
                "enemy_fish",
                "enemy_sub",
                "oxygen_guage",
                "diver_guage",
                "diver",
            ],
            6,
        ),
        (
            "minatar/space_invaders",
            &["cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"],
            4,
        ),
    ];
    let channels =
        [Asterix::CHANNELS, Breakout::CHANNELS, Freeway::CHANNELS, Seaquest::CHANNELS, SpaceInvaders::CHANNELS];
    for ((name, names, actions), game_channels) in expected.into_iter().zip(channels) {
        assert_eq!(game_channels, names, "{name}");
        let spec = registry::find(name).unwrap().default_spec().unwrap();
        assert_eq!((spec.obs_shape, spec.num_actions, spec.num_states), (vec![names.len(), 10, 10], actions, None));
    }
    use minatar::Action::*;
    assert_eq!(Asterix::ACTIONS, [Noop, Left, Up, Right, Down]);
    assert_eq!(Breakout::ACTIONS, [Noop, Left, Right]);
    assert_eq!(Freeway::ACTIONS, [Noop, Up, Down]);
    assert_eq!(Seaquest::ACTIONS, [Noop, Left, Up, Right, Down, Fire]);
    assert_eq!(SpaceInvaders::ACTIONS, [Noop, Left, Right, Fire]);
}

#[test]
fn the_same_seed_gives_the_same_episodes_and_another_seed_others() {
    for name in GAMES {
        let opts = toml::Table::new();
        let a = rollout(name, 4, 7, &opts, 300);
        assert!(a.0.iter().all(|&v| v == 0.0 || v == 1.0), "{name}: observations are 0 or 1");
        assert_eq!(a, rollout(name, 4, 7, &opts, 300), "{name}");
        assert_ne!(a.0, rollout(name, 4, 8, &opts, 300).0, "{name}");
    }
}

#[test]
fn random_play_ends_episodes_and_earns_rewards() {
    // Freeway's episodes last 2501 steps, too long here; the others end within 300 steps.
    for name in ["minatar/asterix", "minatar/breakout", "minatar/seaquest", "minatar/space_invaders"] {
        let (_, rewards, ends) = rollout(name, 16, 1, &toml::Table::new(), 300);
        assert!(ends.iter().filter(|&&e| e).count() >= 16, "{name}");
        assert!(rewards.iter().any(|&r| r > 0.0) && rewards.iter().all(|&r| r >= 0.0), "{name}");
    }
}

#[test]
fn with_sticky_probability_one_every_step_repeats_the_first_no_op() {
    // Breakout's paddle (channel 0, row 9) then never leaves column 4, whatever is chosen.
    let opts = options(&[("sticky_action_prob", toml::Value::Float(1.0))]);
    let mut env = registry::make("minatar/breakout", 2, 3, &opts).unwrap();
    let mut out = StepBuffers::new(env.spec(), 2);
    env.reset(&mut out.obs).unwrap();
    for t in 0..200 {
        env.step(&[1, 2], &mut out).unwrap();
        for row in out.obs.chunks(400) {
            let paddle: Vec<usize> = (0..10).filter(|&x| row[90 + x] == 1.0).collect();
            assert_eq!(paddle, [4], "step {t}");
        }
    }
    // Without stickiness, always moving left takes the paddle to column 0.
    let opts = options(&[("sticky_action_prob", toml::Value::Float(0.0))]);
    let mut env = registry::make("minatar/breakout", 1, 3, &opts).unwrap();
    let mut one = StepBuffers::new(env.spec(), 1);
    env.reset(&mut one.obs).unwrap();
    for _ in 0..4 {
        env.step(&[1], &mut one).unwrap();
    }
    assert_eq!(one.obs[90], 1.0);
}

#[test]
fn max_episode_steps_truncates() {
    let opts = options(&[("max_episode_steps", toml::Value::Integer(5))]);
    let mut env = registry::make("minatar/freeway", 3, 0, &opts).unwrap();
    let mut out = StepBuffers::new(env.spec(), 3);
    env.reset(&mut out.obs).unwrap();
    for t in 1..=10 {
        env.step(&[0, 1, 2], &mut out).unwrap();
        assert_eq!(out.truncated, vec![t % 5 == 0; 3], "step {t}");
        assert_eq!(out.terminated, vec![false; 3]);
    }
}

#[test]
fn bad_options_and_actions_are_errors_naming_the_game() {
    for name in GAMES {
        let bad = [
            ("sticky_action_prob", toml::Value::Float(1.5)),
            ("sticky_action_prob", toml::Value::Float(-0.1)),
            ("sticky_action_prob", toml::Value::String("often".into())),
            ("difficulty_ramping", toml::Value::Integer(1)),
            ("max_episode_steps", toml::Value::Integer(0)),
            ("sticky_actions", toml::Value::Float(0.1)),
        ];
        for (key, value) in bad {
            let err = registry::make(name, 1, 0, &options(&[(key, value.clone())])).err().unwrap();
            let located = matches!(&err, EnvError::Option { env, key: k, .. } if env == name && k == key);
            assert!(located, "{name} {key}={value}: {err:?}");
        }
        let err = registry::make(name, 0, 0, &toml::Table::new()).err().unwrap().to_string();
        assert!(err.contains(name) && err.contains("num_envs"), "{err}");

        let mut env = registry::make(name, 2, 0, &toml::Table::new()).unwrap();
        let n = env.spec().num_actions;
        let mut out = StepBuffers::new(env.spec(), 2);
        env.reset(&mut out.obs).unwrap();
        let err = env.step(&[0, n], &mut out).err().unwrap();
        let EnvError::InvalidAction { index, action, num_actions, .. } = err else { panic!("{err:?}") };
        assert_eq!((index, action, num_actions), (1, n, n), "{name}");
    }
}
