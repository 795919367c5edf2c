//! The `[env]` options of every `atari/*` game, and building B copies of one.

use super::environment::{Atari, Preprocessing};
use super::games::{self, Fidelity, Game, ALL_ACTIONS};
use super::rom::RomDir;
use crate::registry::{self, EnvOption};
use crate::{env_seed, EnvError, EnvSpec, VecEnv, Vectorized};
use std::path::PathBuf;

/// The `[env]` options of every `atari/*` game, as [`AtariOptions`] reads them.
pub const OPTIONS: &[EnvOption] = &[
    EnvOption {
        name: "rom_dir",
        doc: "the folder of the ROMs (absent: $MGRL_ATARI_ROMS, else ~/.cache/mgrl/atari-roms; \
              scripts/fetch-atari-roms.sh fills it)",
        default: "none",
    },
    EnvOption { name: "frame_skip", doc: "emulator frames per step, the action repeated (1 to 16)", default: "4" },
    EnvOption {
        name: "noop_max",
        doc: "a reset is followed by 1 to this many no-op frames, uniformly (0: none; at most 1000)",
        default: "30",
    },
    EnvOption {
        name: "screen_size",
        doc: "observations are screen_size × screen_size grayscale (1 to 160)",
        default: "84",
    },
    EnvOption { name: "frame_stack", doc: "frames stacked into one observation (1 to 16)", default: "4" },
    EnvOption {
        name: "terminal_on_life_loss",
        doc: "a lost life ends the episode; the next one goes on with the same game",
        default: "false",
    },
    EnvOption {
        name: "max_episode_frames",
        doc: "episodes are truncated after this many emulator frames (at least 1; 108000 is 30 minutes)",
        default: "108000",
    },
    EnvOption {
        name: "sticky_action_prob",
        doc: "probability that a frame repeats the previous frame's action (in [0, 1); Machado et al. use 0.25)",
        default: "0.0",
    },
    EnvOption {
        name: "full_action_space",
        doc: "all 18 actions instead of the game's minimal action set",
        default: "false",
    },
];

/// The `[env]` options of `atari/<game>`. The defaults are the standard preprocessing of Mnih
/// et al. 2015 as Gymnasium's `AtariPreprocessing` and EnvPool give it, with Machado et al.
/// 2018's time limit: up to 30 no-op frames at the start, each action repeated for 4 frames
/// with the maximum of the last two, 84 × 84 grayscale, 4 frames stacked, episodes cut at
/// 108,000 frames (30 minutes of play), no sticky actions, the game's minimal action set.
/// Rewards are the game's: clipping them is the reward-clipping plugin's job (so it can be
/// meta-learnt).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AtariOptions {
    /// The folder of the ROMs (default: `MGRL_ATARI_ROMS`, else `~/.cache/mgrl/atari-roms`).
    pub rom_dir: Option<PathBuf>,
    /// Emulator frames per step, the action repeated (default 4, 1 to 16).
    pub frame_skip: u32,
    /// A reset is followed by 1 to this many no-op frames, uniformly (default 30, at most 1000;
    /// 0: none).
    pub noop_max: u32,
    /// Observations are `screen_size` × `screen_size` (default 84, 1 to 160).
    pub screen_size: usize,
    /// Frames stacked into one observation (default 4, 1 to 16).
    pub frame_stack: usize,
    /// A lost life ends the episode; the next one goes on with the same game (default false).
    pub terminal_on_life_loss: bool,
    /// Episodes are truncated after this many emulator frames (default 108,000; at least 1).
    pub max_episode_frames: u64,
    /// Probability that a frame repeats the previous frame's action (default 0; Machado et
    /// al. recommend 0.25; in [0, 1)).
    pub sticky_action_prob: f64,
    /// All 18 actions instead of the game's minimal set (default false).
    pub full_action_space: bool,
}

impl Default for AtariOptions {
    fn default() -> Self {
        AtariOptions {
            rom_dir: None,
            frame_skip: 4,
            noop_max: 30,
            screen_size: 84,
            frame_stack: 4,
            terminal_on_life_loss: false,
            max_episode_frames: 108_000,
            sticky_action_prob: 0.0,
            full_action_space: false,
        }
    }
}

impl AtariOptions {
    fn validate(&self, env: &str) -> Result<(), EnvError> {
        let bad = |key: &str, message: String| Err(EnvError::Option { env: env.into(), key: key.into(), message });
        if !(1..=16).contains(&self.frame_skip) {
            return bad("frame_skip", format!("`frame_skip` = {} must be between 1 and 16", self.frame_skip));
        }
        if self.noop_max > 1000 {
            return bad("noop_max", format!("`noop_max` = {} must be at most 1000", self.noop_max));
        }
        if !(1..=160).contains(&self.screen_size) {
            return bad(
                "screen_size",
                format!("`screen_size` = {} must be between 1 and 160 (the screen is 210 × 160)", self.screen_size),
            );
        }
        if !(1..=16).contains(&self.frame_stack) {
            return bad("frame_stack", format!("`frame_stack` = {} must be between 1 and 16", self.frame_stack));
        }
        if self.max_episode_frames == 0 {
            return bad("max_episode_frames", "`max_episode_frames` must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.sticky_action_prob) {
            let message = format!("`sticky_action_prob` = {} must be in [0, 1)", self.sticky_action_prob);
            return bad("sticky_action_prob", message);
        }
        Ok(())
    }

    /// The agent's actions in ALE's numbering.
    fn actions(&self, game: &Game) -> Vec<u8> {
        if self.full_action_space { ALL_ACTIONS } else { game.minimal_actions }.to_vec()
    }
}

/// The registered name of `game`.
pub fn env_name(game: &Game) -> String {
    format!("atari/{}", game.name)
}

/// The game and options of `atari/<game>`, checked.
fn checked(game: &'static Game, options: &toml::Table) -> Result<AtariOptions, EnvError> {
    let name = env_name(game);
    let opts: AtariOptions = registry::options(&name, options)?;
    if game.fidelity == Fidelity::Unsupported {
        return Err(EnvError::Config { env: name, message: format!("cannot be played: {}", game.note) });
    }
    opts.validate(&name)?;
    Ok(opts)
}

/// What `atari/<game>` looks like with these options: `[frame_stack, side, side]` and its
/// action set.
pub fn spec_of(game: &'static Game, options: &toml::Table) -> Result<EnvSpec, EnvError> {
    let opts = checked(game, options)?;
    Ok(spec(game, &opts))
}

fn spec(game: &Game, opts: &AtariOptions) -> EnvSpec {
    EnvSpec {
        name: env_name(game),
        obs_shape: vec![opts.frame_stack, opts.screen_size, opts.screen_size],
        num_actions: opts.actions(game).len(),
        num_states: None,
    }
}

/// B copies of `game`; copy i is seeded with [`env_seed`]`(seed, i)`. Each environment is
/// given to its own thread share (an Atari step takes some 100 µs).
pub fn vectorized(
    game: &'static Game,
    num_envs: usize,
    seed: u64,
    options: &toml::Table,
) -> Result<Vectorized<Atari>, EnvError> {
    let opts = checked(game, options)?;
    let name = env_name(game);
    let rom = RomDir::locate(opts.rom_dir.as_deref())
        .and_then(|dir| dir.find(game))
        .map_err(|e| EnvError::Config { env: name, message: e.to_string() })?;
    let pre = Preprocessing {
        frame_skip: opts.frame_skip,
        noop_max: opts.noop_max,
        screen_size: opts.screen_size,
        frame_stack: opts.frame_stack,
        terminal_on_life_loss: opts.terminal_on_life_loss,
        max_episode_frames: opts.max_episode_frames,
        sticky_action_prob: opts.sticky_action_prob,
        actions: opts.actions(game),
    };
    let envs = (0..num_envs).map(|i| Atari::new(rom.clone(), pre.clone(), env_seed(seed, i))).collect();
    Ok(Vectorized::new(spec(game, &opts), envs, None)?.with_min_envs_per_thread(1))
}

/// [`vectorized`] behind the [`VecEnv`] interface, for the registry.
pub fn make(
    game: &'static Game,
    num_envs: usize,
    seed: u64,
    options: &toml::Table,
) -> Result<Box<dyn VecEnv>, EnvError> {
    Ok(Box::new(vectorized(game, num_envs, seed, options)?))
}

/// The game registered as `atari/<name>`.
pub fn game(name: &str) -> &'static Game {
    games::find(name).unwrap_or_else(|| panic!("`{name}` is not one of the 57 games"))
}
