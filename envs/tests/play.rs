//! Animations of episodes under a random policy, decoded back and checked frame by frame.

use mgrl_envs::play::{play_gif, PlayError};
use mgrl_envs::registry;
use mgrl_envs::render::{colour, PALETTE};
use std::path::Path;

/// Every frame of a GIF as RGB pixels, with its size and delay.
fn decode(path: &Path) -> Vec<(u16, u16, u16, Vec<u8>)> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        let rgb = frame.buffer.chunks(4).flat_map(|p| p[..3].to_vec()).collect();
        frames.push((frame.width, frame.height, frame.delay, rgb));
    }
    frames
}

fn rgb(frame: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
    let i = 3 * (y * width + x);
    [frame[i], frame[i + 1], frame[i + 2]]
}

#[test]
fn a_catch_episode_shows_the_ball_falling_one_row_per_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catch.gif");
    let stats = play_gif("catch", 3, &toml::Table::new(), &path, 100).unwrap();
    assert_eq!(stats.steps, 9);
    assert!(stats.terminated && !stats.truncated);
    assert!(stats.episode_return == 1.0 || stats.episode_return == -1.0);
    let frames = decode(&path);
    assert_eq!(frames.len(), 10);
    // 10 × 5 cells of 32 pixels; the ball (channel 0's colour) one row lower each frame.
    let ball = PALETTE[colour::FIRST_CHANNEL as usize];
    let mut column = None;
    for (t, (w, h, delay, pixels)) in frames.iter().enumerate() {
        assert_eq!((*w, *h), (160, 320));
        assert!(*delay >= 10);
        let lit: Vec<(usize, usize)> = (0..10)
            .flat_map(|r| (0..5).map(move |c| (r, c)))
            .filter(|&(r, c)| rgb(pixels, 160, c * 32 + 16, r * 32 + 16) == ball)
            .collect();
        let in_ball_row: Vec<usize> = lit.iter().filter(|(r, _)| *r == t).map(|(_, c)| *c).collect();
        let c = *column.get_or_insert(in_ball_row[0]);
        assert!(in_ball_row.contains(&c), "frame {t}: {lit:?}");
        assert!(lit.iter().any(|&(r, _)| r == 9), "the paddle is drawn");
        // Cell borders are drawn in the grid colour.
        assert_eq!(rgb(pixels, 160, 0, 0), PALETTE[colour::GRID as usize]);
    }
}

#[test]
fn a_cartpole_episode_draws_the_cart_and_the_same_seed_the_same_animation() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("a.gif"), dir.path().join("b.gif"), dir.path().join("c.gif"));
    let stats = play_gif("cartpole", 5, &toml::Table::new(), &a, 1000).unwrap();
    assert!(stats.terminated && stats.steps > 3 && stats.steps < 200, "{stats:?}");
    assert_eq!(stats.episode_return, stats.steps as f64);
    let frames = decode(&a);
    assert_eq!(frames.len(), stats.steps + 1);
    let (w, _, _, first) = &frames[0];
    // The cart starts within 4 pixels of the middle of the 480-pixel track (|x| < 0.05 m at
    // 80 pixels a metre), 40 pixels wide; the pole stands above it.
    let w = *w as usize;
    let (cart, pole) = (PALETTE[colour::CART as usize], PALETTE[colour::POLE as usize]);
    let cart_x: Vec<usize> = (0..w).filter(|&x| rgb(first, w, x, 155) == cart).collect();
    assert!((39..=41).contains(&cart_x.len()), "{cart_x:?}");
    let centre = (cart_x[0] + cart_x[cart_x.len() - 1]) / 2;
    assert!(centre.abs_diff(240) <= 5, "{centre}");
    let pole_x: Vec<usize> = (0..w).filter(|&x| rgb(first, w, x, 100) == pole).collect();
    assert!((6..=10).contains(&pole_x.len()) && pole_x.iter().all(|x| x.abs_diff(centre) <= 8), "{pole_x:?}");
    assert_ne!(frames.first().unwrap().3, frames.last().unwrap().3);
    assert_eq!(play_gif("cartpole", 5, &toml::Table::new(), &b, 1000).unwrap(), stats);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    play_gif("cartpole", 6, &toml::Table::new(), &c, 1000).unwrap();
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&c).unwrap());
}

#[test]
fn max_steps_cuts_the_animation_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.gif");
    let stats = play_gif("catch", 0, &toml::Table::new(), &path, 4).unwrap();
    assert_eq!(stats.steps, 4);
    assert!(!stats.terminated && !stats.truncated);
    assert_eq!(decode(&path).len(), 5);
}

#[test]
fn every_registered_environment_plays() {
    let dir = tempfile::tempdir().unwrap();
    for entry in registry::list() {
        let path = dir.path().join("env.gif");
        match play_gif(entry.name, 1, &toml::Table::new(), &path, 30) {
            Ok(stats) => assert_eq!(decode(&path).len(), stats.steps + 1, "{}", entry.name),
            // Environments that need options cannot be played without them.
            Err(PlayError::Env(e)) => assert!(entry.default_spec().is_err(), "{}: {e}", entry.name),
            Err(e) => panic!("{}: {e}", entry.name),
        }
    }
}

#[test]
fn bad_requests_are_errors_that_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.gif");
    let err = play_gif("catc", 0, &toml::Table::new(), &path, 10).unwrap_err().to_string();
    assert!(err.contains("catc") && err.contains("catch") && err.contains("cartpole"), "{err}");
    assert!(matches!(play_gif("catch", 0, &toml::Table::new(), &path, 0), Err(PlayError::NoSteps)));
    let missing = dir.path().join("no/such/dir/x.gif");
    let err = play_gif("catch", 0, &toml::Table::new(), &missing, 10).unwrap_err();
    assert!(matches!(err, PlayError::Write { .. }) && err.to_string().contains("no/such/dir"), "{err}");
    let mut opts = toml::Table::new();
    opts.insert("rows".into(), toml::Value::Integer(1));
    assert!(matches!(play_gif("catch", 0, &opts, &path, 10), Err(PlayError::Env(_))));
}
