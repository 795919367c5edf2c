//! Frames per second of mgrl's Atari games, for BENCHMARKS.md (`scripts/atari_bench.sh` runs
//! it next to ale-py and EnvPool):
//!
//! - `raw`: one emulator on one thread, ALE's own frames (frame skip 1), a uniformly random
//!   action of the minimal set every 4 frames, reset at game over: the emulator alone.
//! - `vec`: `atari/<game>` with its default preprocessing (frame skip 4 with the maximum of
//!   the last two frames, 84 × 84 grayscale INTER_AREA, 4 stacked, up to 30 no-ops, 108,000
//!   frames an episode at most), ENVS environments stepped together on THREADS threads with
//!   uniformly random actions, every observation written as f32 (what agents read). Frames are
//!   4 × steps, as EnvPool and ale-py's vector environment count them.
//! - `vec-bytes`: `vec` with the observations as bytes (`step_u8`), as the peers hand them out.
//!
//! Usage: `atari_bench raw|vec|vec-bytes GAME [ENVS] [THREADS] [SECONDS]` (defaults 8, 2, 5),
//! with the ROMs in `MGRL_ATARI_ROMS`. Prints one line: `<peer> <mode> <game> <envs> <threads>
//! <frames/s>`, the peer `mgrl`, or `mgrl-bytes` for `vec-bytes` (whose mode is `vec`).

use mgrl_envs::atari::{self, Ale, RomDir};
use mgrl_envs::{StepBuffers, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: atari_bench raw|vec|vec-bytes GAME [ENVS] [THREADS] [SECONDS]";
    let (Some(mode), Some(name)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let number = |i: usize, default: f64| args.get(i).map_or(default, |a| a.parse().expect(usage));
    let (envs, threads, seconds) = (number(2, 8.0) as usize, number(3, 2.0) as usize, number(4, 5.0));
    let game = atari::games::find(name).unwrap_or_else(|| panic!("`{name}` is not one of the 57 games"));
    let duration = Duration::from_secs_f64(seconds);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let fps = match mode.as_str() {
        "raw" => {
            let rom = RomDir::locate(None).and_then(|d| d.find(game)).unwrap_or_else(|e| panic!("{e}"));
            let mut ale = Ale::new(&rom, 1);
            let actions = ale.minimal_actions();
            let (mut frames, mut action, start) = (0u64, 0u8, Instant::now());
            while start.elapsed() < duration {
                for _ in 0..1000 {
                    if frames % 4 == 0 {
                        action = actions[rng.gen_range(0..actions.len())];
                    }
                    ale.act(action);
                    if ale.game_over() {
                        ale.reset_game();
                    }
                    frames += 1;
                }
            }
            frames as f64 / start.elapsed().as_secs_f64()
        }
        "vec" | "vec-bytes" => {
            let mut env = atari::vectorized(game, envs, 0, &toml::Table::new())
                .unwrap_or_else(|e| panic!("{e}"))
                .with_threads(threads);
            let n = env.spec().num_actions;
            let (mut wide, mut bytes) =
                (StepBuffers::<f32>::new(env.spec(), envs), StepBuffers::<u8>::new(env.spec(), envs));
            let as_bytes = mode == "vec-bytes";
            if as_bytes {
                env.reset_u8(&mut bytes.obs).unwrap();
            } else {
                env.reset(&mut wide.obs).unwrap();
            }
            let mut actions = vec![0; envs];
            let (mut steps, start) = (0u64, Instant::now());
            while start.elapsed() < duration {
                actions.iter_mut().for_each(|a| *a = rng.gen_range(0..n));
                if as_bytes {
                    env.step_u8(&actions, &mut bytes).unwrap();
                } else {
                    env.step(&actions, &mut wide).unwrap();
                }
                steps += envs as u64;
            }
            4.0 * steps as f64 / start.elapsed().as_secs_f64()
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let (peer, mode) = if mode == "vec-bytes" { ("mgrl-bytes", "vec") } else { ("mgrl", mode.as_str()) };
    println!("{peer} {mode} {name} {envs} {threads} {fps:.0}");
}
