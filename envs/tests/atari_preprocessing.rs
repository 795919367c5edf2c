//! The preprocessing against its references (recorded by `scripts/atari_reference.sh`):
//! OpenCV's INTER_AREA resize pixel for pixel, and Gymnasium's `AtariPreprocessing` +
//! `FrameStackObservation(4)` on ale-py step for step (max-pool, resize, stack, a lost life
//! as the end, the time limit), by the CRC-32 of each 4 × 84 × 84 observation.
#![cfg(feature = "atari")]

use mgrl_envs::atari::{self, preprocess::AreaResize};
use mgrl_envs::{Env, VecEnv};
use serde::Deserialize;

fn data(path: &str) -> String {
    let path = format!("{}/tests/data/atari/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The images of scripts/atari_reference.py: x ← 1664525 x + 1013904223 (mod 2³²), top byte.
fn lcg_image(seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..210 * 160)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

fn blocky_image() -> Vec<u8> {
    (0..210usize).flat_map(|r| (0..160usize).map(move |c| (((r / 3) * 37 + (c / 5) * 91) % 256) as u8)).collect()
}

#[test]
fn area_resize_matches_opencv_inter_area_pixel_for_pixel() {
    #[derive(Deserialize)]
    struct Case {
        image: String,
        out: Vec<u8>,
    }
    #[derive(Deserialize)]
    struct Fixture {
        cases: Vec<Case>,
    }
    let fixture: Fixture = serde_json::from_str(&data("area_resize.json")).unwrap();
    let resize = AreaResize::new((210, 160), (84, 84));
    let mut out = vec![0u8; 84 * 84];
    assert_eq!(fixture.cases.len(), 4);
    for case in &fixture.cases {
        let image = match case.image.strip_prefix("lcg") {
            Some(seed) => lcg_image(seed.parse().unwrap()),
            None => blocky_image(),
        };
        resize.apply(&image, &mut out, &mut Vec::new());
        let wrong = out.iter().zip(&case.out).filter(|(a, b)| a != b).count();
        assert_eq!(wrong, 0, "{}: {wrong} of {} pixels differ from OpenCV", case.image, out.len());
    }
}

#[derive(Deserialize)]
struct Recorded {
    game: String,
    terminal_on_life_loss: bool,
    max_frames: Option<u64>,
    first_obs: u32,
    actions: Vec<usize>,
    rewards: Vec<f32>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    obs: Vec<u32>,
}

fn replay(case: &str) -> Recorded {
    let rec: Recorded = serde_json::from_str(&data(&format!("preprocessed/{case}.json"))).unwrap();
    let mut options = toml::Table::new();
    options.insert("noop_max".into(), 0.into());
    options.insert("terminal_on_life_loss".into(), rec.terminal_on_life_loss.into());
    if let Some(m) = rec.max_frames {
        options.insert("max_episode_frames".into(), (m as i64).into());
    }
    let game = atari::games::find(&rec.game).unwrap();
    let mut vec = atari::vectorized(game, 1, 0, &options).unwrap();
    let len = vec.spec().obs_len();
    let env = &mut vec.envs_mut()[0];
    let mut bytes = vec![0u8; len];
    env.reset(&mut bytes);
    assert_eq!(crc32fast::hash(&bytes), rec.first_obs, "{case}: first observation");
    for (t, &a) in rec.actions.iter().enumerate() {
        let tr = env.step(a, &mut bytes);
        let got = (tr.reward, tr.terminated, tr.truncated, crc32fast::hash(&bytes));
        let want = (rec.rewards[t], rec.terminated[t], rec.truncated[t], rec.obs[t]);
        assert_eq!(got, want, "{case}: step {} (reward, terminated, truncated, observation CRC)", t + 1);
    }
    rec
}

#[test]
fn pong_preprocessed_steps_match_gymnasium() {
    let rec = replay("pong");
    assert_eq!(rec.actions.len(), 400);
    assert!(rec.rewards.iter().any(|&r| r != 0.0), "the recording scores a point");
}

#[test]
fn breakout_preprocessed_episode_matches_gymnasium_to_its_game_over() {
    let rec = replay("breakout");
    assert_eq!(rec.terminated.last(), Some(&true));
}

#[test]
fn a_lost_life_ends_the_episode_at_the_step_gymnasium_ends_it() {
    let rec = replay("space_invaders_life_loss");
    assert_eq!((rec.terminated.last(), rec.truncated.last()), (Some(&true), Some(&false)));
}

#[test]
fn the_time_limit_truncates_at_the_step_gymnasium_truncates() {
    // 602 frames: 150 steps of 4 and 2 frames of the 151st, whose observation keeps the
    // screens of the step before for the frames it did not reach, as Gymnasium's does.
    let rec = replay("ms_pacman_limit602");
    assert_eq!(rec.actions.len(), 151);
    assert_eq!((rec.terminated.last(), rec.truncated.last()), (Some(&false), Some(&true)));
}
