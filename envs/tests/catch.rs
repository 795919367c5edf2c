//! Catch against bsuite's rules (`bsuite/environments/catch.py`), worked by hand.

use mgrl_envs::catch;
use mgrl_envs::{registry, EnvError, StepBuffers, VecEnv};

/// (ball row, ball column, paddle column) read back from a 10 × 5 board. When the ball is in
/// the bottom row the board alone cannot tell it from the paddle: `ball_column` says where
/// it fell.
fn positions(board: &[f32], ball_column: usize) -> (usize, usize, usize) {
    assert_eq!(board.len(), 50);
    assert!(board.iter().all(|&c| c == 0.0 || c == 1.0));
    let row = (0..10).find(|&r| board[r * 5 + ball_column] == 1.0).expect("the ball is in its column");
    let bottom: Vec<usize> = (0..5).filter(|&c| board[45 + c] == 1.0).collect();
    let paddle = match (row, bottom.as_slice()) {
        (9, [c]) => *c,
        (9, [a, b]) => {
            if *a == ball_column {
                *b
            } else {
                *a
            }
        }
        (_, [c]) => *c,
        _ => panic!("one paddle and one ball: {board:?}"),
    };
    let on = board.iter().filter(|&&c| c == 1.0).count();
    assert_eq!(on, if (row, ball_column) == (9, paddle) { 1 } else { 2 }, "{board:?}");
    (row, ball_column, paddle)
}

/// The ball's column on a board where it has not reached the bottom row.
fn ball_column(board: &[f32]) -> usize {
    (0..45).find(|&i| board[i] == 1.0).expect("the ball is above the bottom row") % 5
}

fn catch_env(b: usize, seed: u64) -> Box<dyn VecEnv> {
    registry::make("catch", b, seed, &toml::Table::new()).unwrap()
}

/// Plays one episode choosing each action from the board; returns the boards after each
/// step (the final one for the last), the rewards and the terminations.
fn play(env: &mut dyn VecEnv, policy: impl Fn(usize, usize) -> usize) -> (Vec<Vec<f32>>, Vec<f32>, Vec<bool>) {
    let mut out = StepBuffers::new(env.spec(), 1);
    env.reset(&mut out.obs).unwrap();
    let column = ball_column(&out.obs);
    let (mut boards, mut rewards, mut ends) = (vec![out.obs.clone()], Vec::new(), Vec::new());
    loop {
        let (_, ball, paddle) = positions(&out.obs, column);
        env.step(&[policy(ball, paddle)], &mut out).unwrap();
        let ended = out.terminated[0];
        assert!(!out.truncated[0]);
        boards.push(if ended { out.final_obs.clone() } else { out.obs.clone() });
        rewards.push(out.rewards[0]);
        ends.push(ended);
        if ended {
            return (boards, rewards, ends);
        }
    }
}

fn follow(ball: usize, paddle: usize) -> usize {
    (ball + 1).saturating_sub(paddle).min(2)
}

#[test]
fn the_ball_falls_a_row_per_step_and_following_it_catches_it() {
    let mut env = catch_env(1, 4);
    let (boards, rewards, ends) = play(env.as_mut(), follow);
    assert_eq!(boards.len(), 10, "nine steps from the top row to the bottom row");
    let column = ball_column(&boards[0]);
    let paddle = positions(&boards[0], column).2;
    assert_eq!(paddle, 2, "the paddle starts in the middle column");
    for (t, board) in boards.iter().enumerate() {
        assert_eq!(positions(board, column).0, t);
    }
    assert_eq!(rewards, [vec![0.0; 8], vec![1.0]].concat());
    assert_eq!(ends, [vec![false; 8], vec![true]].concat());
}

#[test]
fn missing_the_ball_costs_one() {
    // Run away from the ball: never under it at the end (five columns, nine steps).
    let away = |ball: usize, _paddle: usize| if ball >= 2 { 0 } else { 2 };
    for seed in 0..10 {
        let (boards, rewards, _) = play(catch_env(1, seed).as_mut(), away);
        let (row, ball, paddle) = positions(boards.last().unwrap(), ball_column(&boards[0]));
        assert_eq!(row, 9);
        assert_ne!(ball, paddle);
        assert_eq!(*rewards.last().unwrap(), -1.0);
        assert!(rewards[..8].iter().all(|&r| r == 0.0));
    }
}

#[test]
fn the_paddle_moves_left_stays_or_moves_right_and_stops_at_the_walls() {
    for (action, expected) in [(0usize, [1, 0, 0, 0]), (1, [2, 2, 2, 2]), (2, [3, 4, 4, 4])] {
        let mut env = catch_env(1, 0);
        let mut out = StepBuffers::new(env.spec(), 1);
        env.reset(&mut out.obs).unwrap();
        let ball = ball_column(&out.obs);
        for column in expected {
            env.step(&[action], &mut out).unwrap();
            assert_eq!(positions(&out.obs, ball).2, column, "action {action}");
        }
    }
}

#[test]
fn the_ball_starts_in_every_column_and_the_seed_fixes_which() {
    let first_columns = |seed| {
        let mut env = catch_env(100, seed);
        let mut obs = vec![0.0; 100 * 50];
        env.reset(&mut obs).unwrap();
        for board in obs.chunks(50) {
            assert_eq!(positions(board, ball_column(board)).0, 0);
        }
        obs.chunks(50).map(ball_column).collect::<Vec<_>>()
    };
    let columns = first_columns(1);
    for c in 0..5 {
        assert!(columns.iter().filter(|&&x| x == c).count() >= 5, "column {c}: {columns:?}");
    }
    assert_eq!(columns, first_columns(1));
    assert_ne!(columns, first_columns(2));
}

#[test]
fn a_new_episode_starts_in_the_step_that_ends_one() {
    let mut env = catch_env(3, 8);
    let mut out = StepBuffers::new(env.spec(), 3);
    env.reset(&mut out.obs).unwrap();
    let columns: Vec<usize> = out.obs.chunks(50).map(ball_column).collect();
    for _ in 0..9 {
        env.step(&[1, 1, 1], &mut out).unwrap();
    }
    assert_eq!(out.terminated, [true; 3]);
    for ((board, last), column) in out.obs.chunks(50).zip(out.final_obs.chunks(50)).zip(columns) {
        assert_eq!(positions(board, ball_column(board)).0, 0);
        assert_eq!(positions(last, column), (9, column, 2));
    }
}

#[test]
fn states_are_numbered_one_to_one() {
    let mut env = catch_env(1, 3);
    let spec = env.spec().clone();
    assert_eq!((spec.obs_shape.clone(), spec.num_actions, spec.num_states), (vec![1, 10, 5], 3, Some(250)));
    let mut out = StepBuffers::new(&spec, 1);
    env.reset(&mut out.obs).unwrap();
    let column = ball_column(&out.obs);
    let mut idx = [0];
    for t in 0..9 {
        env.state_indices(&mut idx).unwrap();
        let (row, ball, paddle) = positions(&out.obs, column);
        assert_eq!(idx[0], (row * 5 + ball) * 5 + paddle);
        env.step(&[t % 3], &mut out).unwrap();
    }
}

#[test]
fn the_board_size_is_an_option_and_bad_sizes_are_errors() {
    let mut opts = toml::Table::new();
    opts.insert("rows".into(), toml::Value::Integer(4));
    opts.insert("columns".into(), toml::Value::Integer(3));
    let mut env = catch::vectorized(1, 0, &opts).unwrap();
    assert_eq!(env.spec().obs_shape, vec![1, 4, 3]);
    let mut out = StepBuffers::new(env.spec(), 1);
    env.reset(&mut out.obs).unwrap();
    assert_eq!(out.obs[9..12], [0.0, 1.0, 0.0]);
    for t in 1..=3 {
        env.step(&[1], &mut out).unwrap();
        assert_eq!(out.terminated[0], t == 3);
    }
    for (key, value, says) in [("rows", 1, "`rows` = 1"), ("columns", 0, "`columns` = 0"), ("rows", 100_000, "256")] {
        let mut opts = toml::Table::new();
        opts.insert(key.into(), toml::Value::Integer(value));
        let err = catch::vectorized(1, 0, &opts).err().unwrap();
        assert!(matches!(&err, EnvError::Option { key: k, .. } if k == key) && err.to_string().contains(says), "{err}");
    }
    let mut opts = toml::Table::new();
    opts.insert("colums".into(), toml::Value::Integer(5));
    let err = catch::vectorized(1, 0, &opts).err().unwrap().to_string();
    assert!(err.contains("catch") && err.contains("colums") && err.contains("columns"), "{err}");
    opts.insert("colums".into(), toml::Value::String("five".into()));
    assert!(catch::vectorized(1, 0, &opts).is_err());
}

#[test]
fn actions_outside_left_stay_right_are_errors() {
    let mut env = catch_env(2, 0);
    let mut out = StepBuffers::new(env.spec(), 2);
    env.reset(&mut out.obs).unwrap();
    let err = env.step(&[2, 3], &mut out).unwrap_err();
    assert!(matches!(err, EnvError::InvalidAction { index: 1, action: 3, num_actions: 3, .. }));
    assert!(err.to_string().contains("catch"));
}
