//! Observations as bytes (`VecEnv::step_u8`): the same episodes as the f32 ones, each f32 value
//! being scale · byte, the final observations included; environments whose observations are
//! not bytes refuse with an error that says so.

use mgrl_envs::{registry, EnvError, StepBuffers};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Steps `name` twice from one seed with the same random actions, once as f32 and once as
/// bytes, asserting every step; returns the number of episodes that ended.
fn bytes_match_f32(name: &str, options: &toml::Table, num_envs: usize, steps: usize, scale: f32) -> usize {
    let make = || registry::make(name, num_envs, 11, options).unwrap_or_else(|e| panic!("{e}"));
    let (mut wide, mut bytes) = (make(), make());
    assert_eq!(bytes.byte_scale(), Some(scale), "{name}: the scale of its bytes");
    let mut f = StepBuffers::<f32>::new(wide.spec(), num_envs);
    let mut b = StepBuffers::<u8>::new(bytes.spec(), num_envs);
    wide.reset(&mut f.obs).unwrap();
    bytes.reset_u8(&mut b.obs).unwrap();
    let widened = |b: &[u8]| b.iter().map(|&b| scale * f32::from(b)).collect::<Vec<f32>>();
    assert_eq!(f.obs, widened(&b.obs), "{name}: first observations");
    let len = wide.spec().obs_len();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut ended = 0;
    for t in 0..steps {
        let actions: Vec<usize> = (0..num_envs).map(|_| rng.gen_range(0..wide.spec().num_actions)).collect();
        wide.step(&actions, &mut f).unwrap();
        bytes.step_u8(&actions, &mut b).unwrap();
        assert_eq!(f.obs, widened(&b.obs), "{name}: step {t}: observations");
        assert_eq!(
            (&f.rewards, &f.terminated, &f.truncated),
            (&b.rewards, &b.terminated, &b.truncated),
            "{name}: step {t}"
        );
        for i in (0..num_envs).filter(|&i| f.terminated[i] || f.truncated[i]) {
            let row = i * len..(i + 1) * len;
            assert_eq!(f.final_obs[row.clone()], widened(&b.final_obs[row]), "{name}: step {t}: final observation {i}");
            ended += 1;
        }
    }
    ended
}

#[test]
fn minatar_bytes_are_its_0_1_grids() {
    for game in ["asterix", "breakout", "freeway", "seaquest", "space_invaders"] {
        let ended = bytes_match_f32(&format!("minatar/{game}"), &toml::Table::new(), 8, 1500, 1.0);
        if game != "freeway" {
            assert!(ended > 0, "minatar/{game}: no episode ended, the final observations were not compared");
        }
    }
}

#[test]
fn catch_and_chain_mrp_bytes_are_their_one_hot_cells() {
    assert!(bytes_match_f32("catch", &toml::Table::new(), 4, 100, 1.0) > 0);
    assert!(bytes_match_f32("mrp/fig1a-lambda", &toml::Table::new(), 4, 20, 1.0) > 0);
}

#[test]
#[cfg(feature = "atari")]
fn atari_bytes_are_its_pixels_and_f32_is_byte_over_255() {
    // Short episodes (100 steps of 4 frames), so that truncations and their final observations
    // come up; two environments on two threads.
    let mut options = toml::Table::new();
    options.insert("max_episode_frames".into(), 400.into());
    for game in ["pong", "ms_pacman"] {
        let ended = bytes_match_f32(&format!("atari/{game}"), &options, 2, 250, 1.0 / 255.0);
        assert!(ended >= 4, "atari/{game}: {ended} episodes ended");
    }
}

#[test]
fn environments_without_byte_observations_refuse_bytes() {
    for name in ["cartpole"] {
        let mut env = registry::make(name, 2, 0, &toml::Table::new()).unwrap();
        assert_eq!(env.byte_scale(), None, "{name}");
        let mut out = StepBuffers::<u8>::new(env.spec(), 2);
        for err in [env.reset_u8(&mut out.obs).unwrap_err(), env.step_u8(&[0, 0], &mut out).unwrap_err()] {
            assert!(matches!(err, EnvError::Config { .. }), "{name}: {err:?}");
            let text = err.to_string();
            assert!(text.starts_with(name) && text.contains("not bytes") && text.contains("as f32"), "{text}");
        }
    }
}
