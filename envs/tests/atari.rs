//! The Atari games (feature `atari`): every game loads, resets and plays; options, bad input,
//! no-op starts, lost lives, the time limit and saved states. Needs the ROMs
//! (`scripts/fetch-atari-roms.sh`; `MGRL_ATARI_ROMS` or `~/.cache/mgrl/atari-roms`).
#![cfg(feature = "atari")]

use mgrl_envs::atari::{self, Atari, Fidelity, GAMES};
use mgrl_envs::{registry, Env, EnvError, StepBuffers, VecEnv, Vectorized};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn table(pairs: &[(&str, toml::Value)]) -> toml::Table {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn one(game: &str, options: &toml::Table, seed: u64) -> Vectorized<Atari> {
    let game = atari::games::find(game).unwrap();
    atari::vectorized(game, 1, seed, options).unwrap_or_else(|e| panic!("{e}"))
}

/// 1,000 random preprocessed steps of one game: shapes, value ranges, rewards, episode ends.
fn play_thousand_steps(name: &str) -> Result<(), String> {
    let mut env = registry::make(name, 1, 3, &toml::Table::new()).map_err(|e| e.to_string())?;
    let spec = env.spec().clone();
    if spec.obs_shape != [4, 84, 84] || spec.num_actions < 2 || spec.num_actions > 18 {
        return Err(format!("{name}: spec {spec:?}"));
    }
    let mut out = StepBuffers::new(&spec, 1);
    env.reset(&mut out.obs).map_err(|e| e.to_string())?;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut distinct = std::collections::HashSet::new();
    for _ in 0..1000 {
        env.step(&[rng.gen_range(0..spec.num_actions)], &mut out).map_err(|e| e.to_string())?;
        if !out.obs.iter().all(|&x| (0.0..=1.0).contains(&x) && (x * 255.0 - (x * 255.0).round()).abs() < 1e-3) {
            return Err(format!("{name}: an observation outside the 256 levels of [0, 1]"));
        }
        if !out.rewards[0].is_finite() || out.rewards[0].fract() != 0.0 {
            return Err(format!("{name}: reward {}", out.rewards[0]));
        }
        distinct.insert(out.obs.iter().map(|&x| (x * 255.0) as u64).sum::<u64>());
    }
    // Something moves on the screen.
    if distinct.len() < 2 {
        return Err(format!("{name}: the screen never changed in 1,000 steps"));
    }
    Ok(())
}

#[test]
fn every_game_but_surround_loads_resets_and_plays_1000_preprocessed_steps() {
    let playable: Vec<String> =
        GAMES.iter().filter(|g| g.fidelity != Fidelity::Unsupported).map(atari::env_name).collect();
    assert_eq!(playable.len(), 56);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = playable
            .chunks(playable.len().div_ceil(threads))
            .map(|chunk| s.spawn(move || chunk.iter().filter_map(|g| play_thousand_steps(g).err()).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn surround_is_refused_with_the_reason() {
    let err = registry::make("atari/surround", 1, 0, &toml::Table::new()).err().unwrap().to_string();
    assert!(err.contains("ALE 0.6") && err.contains("Surround"), "{err}");
}

#[test]
fn minimal_action_sets_are_alefs_own() {
    for game in GAMES.iter().filter(|g| g.fidelity != Fidelity::Unsupported) {
        let rom = atari::RomDir::locate(None).and_then(|d| d.find(game)).unwrap_or_else(|e| panic!("{e}"));
        let ale = atari::Ale::new(&rom, 0);
        assert_eq!(ale.minimal_actions(), game.minimal_actions, "{}", game.name);
    }
}

#[test]
fn options_change_the_spec_and_out_of_range_ones_are_refused() {
    let spec = registry::spec(
        "atari/pong",
        &table(&[
            ("frame_stack", 2.into()),
            ("screen_size", 42.into()),
            ("full_action_space", true.into()),
            ("sticky_action_prob", 0.25.into()),
        ]),
    )
    .unwrap();
    assert_eq!((spec.obs_shape, spec.num_actions), (vec![2, 42, 42], 18));
    assert_eq!(registry::spec("atari/pong", &toml::Table::new()).unwrap().num_actions, 6);
    for (key, value, says) in [
        ("frame_skip", toml::Value::from(0), "between 1 and 16"),
        ("screen_size", 161.into(), "between 1 and 160"),
        ("frame_stack", 0.into(), "between 1 and 16"),
        ("noop_max", 5000.into(), "at most 1000"),
        ("max_episode_frames", 0.into(), "at least 1"),
        ("sticky_action_prob", 1.0.into(), "in [0, 1)"),
        ("sticky_actions", 0.25.into(), "unknown option `sticky_actions`"),
        ("frame_skip", "4".into(), "invalid type"),
    ] {
        let err = registry::make("atari/pong", 1, 0, &table(&[(key, value)])).err().unwrap();
        assert!(matches!(&err, EnvError::Option { env, key: k, .. } if env == "atari/pong" && k == key), "{err:?}");
        let err = err.to_string();
        assert!(err.contains("atari/pong") && err.contains(says), "{key}: {err}");
    }
}

#[test]
fn bad_rom_folders_and_files_are_errors_that_say_how_to_fetch_the_roms() {
    let dir = tempfile::tempdir().unwrap();
    let make = |dir: &std::path::Path| {
        registry::make("atari/pong", 1, 0, &table(&[("rom_dir", dir.to_string_lossy().as_ref().into())]))
            .err()
            .unwrap()
            .to_string()
    };
    let err = make(&dir.path().join("absent"));
    assert!(err.contains("does not exist") && err.contains("fetch-atari-roms.sh"), "{err}");
    let err = make(dir.path());
    assert!(err.contains("pong.bin is missing") && err.contains("MGRL_ATARI_ROMS"), "{err}");
    // Random bytes of a cartridge's size: refused before ALE (which would exit) opens them.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    std::fs::write(dir.path().join("pong.bin"), (0..2048).map(|_| rng.gen::<u8>()).collect::<Vec<_>>()).unwrap();
    let err = make(dir.path());
    assert!(err.contains("is not the ROM of `pong`") && err.contains("2048 bytes"), "{err}");
    // Another game's ROM under this game's name.
    let breakout = atari::RomDir::locate(None).unwrap().dir.join("breakout.bin");
    std::fs::copy(breakout, dir.path().join("pong.bin")).unwrap();
    assert!(make(dir.path()).contains("is not the ROM of `pong`"));
    let err = registry::make("atari/tetris", 1, 0, &toml::Table::new()).err().unwrap();
    assert!(matches!(err, EnvError::UnknownEnv { .. }) && err.to_string().contains("atari/pong"), "{err}");
}

#[test]
fn no_op_starts_last_one_to_noop_max_frames() {
    let mut obs = vec![0; 4 * 84 * 84];
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..150 {
        let mut env = one("breakout", &table(&[("noop_max", 30.into())]), seed);
        let e = &mut env.envs_mut()[0];
        e.reset(&mut obs);
        seen.insert(e.episode_frames());
    }
    assert!(seen.iter().all(|n| (1..=30).contains(n)), "{seen:?}");
    assert!(seen.len() >= 15, "the no-op counts drawn are not spread over 1..=30: {seen:?}");
    let mut none = one("breakout", &table(&[("noop_max", 0.into())]), 1);
    none.envs_mut()[0].reset(&mut obs);
    assert_eq!(none.envs_mut()[0].episode_frames(), 0);
}

#[test]
fn a_lost_life_ends_the_episode_and_the_game_goes_on() {
    let opts = table(&[("terminal_on_life_loss", true.into()), ("noop_max", 0.into())]);
    let mut env = one("breakout", &opts, 0);
    let mut out = StepBuffers::new(env.spec(), 1);
    env.reset(&mut out.obs).unwrap();
    let lives = env.envs_mut()[0].ale().lives();
    assert_eq!(lives, 5);
    // Without firing, the ball is never served in Breakout: fire once, then stand still.
    let mut steps = 0;
    loop {
        env.step(&[usize::from(steps == 0)], &mut out).unwrap();
        steps += 1;
        if out.terminated[0] {
            break;
        }
        assert!(steps < 2000, "no life lost");
    }
    let e = &mut env.envs_mut()[0];
    assert_eq!(e.ale().lives(), lives - 1, "the episode ended on the lost life, not on game over");
    assert!(e.episode_frames() > 0, "the game went on after the lost life (no reset)");
    assert!(!out.truncated[0]);
}

#[test]
fn episodes_are_truncated_at_max_episode_frames_with_the_final_observation() {
    let opts = table(&[("max_episode_frames", 42.into()), ("noop_max", 0.into())]);
    let mut env = one("pong", &opts, 0);
    let mut out = StepBuffers::new(env.spec(), 1);
    env.reset(&mut out.obs).unwrap();
    for step in 1..=11 {
        env.step(&[0], &mut out).unwrap();
        // 42 frames: 10 steps of 4, then 2 frames of the 11th.
        assert_eq!((out.truncated[0], out.terminated[0]), (step == 11, false), "step {step}");
    }
    assert_ne!(out.final_obs, out.obs, "the final observation is the last of the ended episode");
    assert_eq!(env.envs_mut()[0].episode_frames(), 0, "a truncated game is reset");
}

#[test]
fn a_saved_state_resumes_bit_for_bit_in_a_fresh_environment() {
    let opts = table(&[("sticky_action_prob", 0.25.into()), ("max_episode_frames", 400.into())]);
    let game = atari::games::find("breakout").unwrap();
    let mut a = atari::vectorized(game, 3, 11, &opts).unwrap();
    let mut out = StepBuffers::new(a.spec(), 3);
    a.reset(&mut out.obs).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut actions = || (0..3).map(|_| rng.gen_range(0..4)).collect::<Vec<usize>>();
    for _ in 0..60 {
        a.step(&actions(), &mut out).unwrap();
    }
    let saved = a.save_state().unwrap();
    let mut b = atari::vectorized(game, 3, 999, &opts).unwrap();
    b.load_state(&saved).unwrap();
    let mut out_b = StepBuffers::new(b.spec(), 3);
    for step in 0..120 {
        let acts = actions();
        a.step(&acts, &mut out).unwrap();
        b.step(&acts, &mut out_b).unwrap();
        assert_eq!(out.obs, out_b.obs, "step {step}");
        assert_eq!(
            (&out.rewards, &out.terminated, &out.truncated),
            (&out_b.rewards, &out_b.terminated, &out_b.truncated)
        );
    }
    let pong = atari::vectorized(atari::games::find("pong").unwrap(), 3, 0, &opts).unwrap();
    let err = { pong }.load_state(&saved).unwrap_err().to_string();
    assert!(err.contains("atari/breakout"), "{err}");
}

#[test]
fn the_batch_steps_on_several_threads_like_one_environment_at_a_time() {
    let game = atari::games::find("ms_pacman").unwrap();
    let mut many = atari::vectorized(game, 4, 7, &toml::Table::new()).unwrap().with_threads(4);
    let mut single = atari::vectorized(game, 4, 7, &toml::Table::new()).unwrap().with_threads(1);
    let (mut a, mut b) = (StepBuffers::new(many.spec(), 4), StepBuffers::new(single.spec(), 4));
    many.reset(&mut a.obs).unwrap();
    single.reset(&mut b.obs).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for _ in 0..100 {
        let acts: Vec<usize> = (0..4).map(|_| rng.gen_range(0..9)).collect();
        many.step(&acts, &mut a).unwrap();
        single.step(&acts, &mut b).unwrap();
        assert_eq!(a.obs, b.obs);
        assert_eq!(a.rewards, b.rewards);
    }
    // The environments are not copies of one another.
    assert_ne!(a.obs[..4 * 84 * 84], a.obs[4 * 84 * 84..2 * 4 * 84 * 84]);
}
