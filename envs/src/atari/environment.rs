//! One Atari game as an [`Env`]: ALE's emulator under the standard preprocessing.
//!
//! A step repeats the agent's action for `frame_skip` emulator frames (each frame, with
//! probability `sticky_action_prob`, the previous frame's action is repeated instead: Machado
//! et al. 2018), sums their rewards, and takes the maximum of the grayscale screens of the last
//! two frames, shrunk to `screen_size` × `screen_size` by area resampling, as the newest frame
//! of a stack of `frame_stack`. This is Gymnasium's `AtariPreprocessing` step, to the bit
//! (envs/tests/atari_preprocessing.rs): as there, an action repeat cut short by the end of the
//! game (or by a lost life, with `terminal_on_life_loss`) keeps the screens of the step before
//! for the frames it did not reach.
//!
//! Episodes: a game over terminates; `max_episode_frames` emulator frames since the game's
//! reset (no-ops included) truncate. With `terminal_on_life_loss`, losing a life also
//! terminates, and the next reset goes on with the same game (DQN's training episodes, as
//! EnvPool's `episodic_life`); otherwise a reset is ALE's `reset_game` followed by a uniform
//! 1..=`noop_max` no-op frames (none if `noop_max` is 0), resetting again if those end it.

use super::ale::{Ale, SCREEN_HEIGHT, SCREEN_LEN, SCREEN_WIDTH};
use super::preprocess::{max_pool, AreaResize, FrameStack};
use super::rom::{Rom, RomDir};
use crate::Obs;
use crate::{Env, Transition};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The f32 value of a pixel byte b is b / 255.
const SCALE: f32 = 1.0 / 255.0;

/// The preprocessing of one environment, from the `[env]` options (checked there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    pub frame_skip: u32,
    pub noop_max: u32,
    pub screen_size: usize,
    pub frame_stack: usize,
    pub terminal_on_life_loss: bool,
    pub max_episode_frames: u64,
    pub sticky_action_prob: f64,
    /// The agent's actions in ALE's numbering (the minimal or the full set).
    pub actions: Vec<u8>,
}

/// One game, its preprocessing, and its generator (no-ops, sticky actions).
pub struct Atari {
    ale: Ale,
    rom: Rom,
    pre: Preprocessing,
    resize: AreaResize,
    rng: ChaCha8Rng,
    /// The action of the last emulated frame (what a sticky action repeats).
    last_action: u8,
    /// Lives after the last step, to see one lost.
    lives: i32,
    /// Emulator frames since the game's last reset.
    episode_frames: u64,
    /// The game must be reset at the next [`Env::reset`] (it is over, or was truncated, or
    /// has not started); after a lost life with `terminal_on_life_loss` it goes on.
    needs_reset: bool,
    stack: FrameStack,
    /// The grayscale screens of the last two frames of an action repeat.
    screens: [Vec<u8>; 2],
    small: Vec<u8>,
    scratch: Vec<f32>,
}

impl Atari {
    /// `rom` loaded with `pre` (checked by the options), seeded with `seed`.
    pub fn new(rom: Rom, pre: Preprocessing, seed: u64) -> Self {
        let side = pre.screen_size;
        Atari {
            ale: Ale::new(&rom, seed as u32),
            resize: AreaResize::new((SCREEN_HEIGHT, SCREEN_WIDTH), (side, side)),
            stack: FrameStack::new(pre.frame_stack, side * side),
            rom,
            pre,
            rng: ChaCha8Rng::seed_from_u64(seed),
            last_action: 0,
            lives: 0,
            episode_frames: 0,
            needs_reset: true,
            screens: [vec![0; SCREEN_LEN], vec![0; SCREEN_LEN]],
            small: vec![0; side * side],
            scratch: Vec::new(),
        }
    }

    /// The emulator, e.g. for its lives or frame counter.
    pub fn ale(&self) -> &Ale {
        &self.ale
    }

    /// Emulator frames since the game's last reset.
    pub fn episode_frames(&self) -> u64 {
        self.episode_frames
    }

    /// One emulator frame of `action`, or of the last frame's with the sticky probability.
    fn frame(&mut self, action: u8) -> i32 {
        let action = if self.pre.sticky_action_prob > 0.0 && self.rng.gen::<f64>() < self.pre.sticky_action_prob {
            self.last_action
        } else {
            action
        };
        self.last_action = action;
        self.episode_frames += 1;
        self.ale.act(action)
    }

    /// ALE's reset and the no-op frames.
    fn reset_game(&mut self) {
        self.ale.reset_game();
        self.episode_frames = 0;
        let noops = if self.pre.noop_max > 0 { self.rng.gen_range(1..=self.pre.noop_max) } else { 0 };
        for _ in 0..noops {
            self.frame(0);
            if self.ale.game_over() {
                self.ale.reset_game();
                self.episode_frames = 0;
            }
        }
        self.needs_reset = false;
    }

    /// Shrinks `screens[0]` into the newest frame.
    fn shrink(&mut self) {
        self.resize.apply(&self.screens[0], &mut self.small, &mut self.scratch);
    }
}

impl Env for Atari {
    /// Grayscale pixels 0–255, as f32 in [0, 1].
    const BYTE_SCALE: Option<f32> = Some(SCALE);

    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        if self.needs_reset || self.ale.game_over() {
            self.reset_game();
        }
        self.lives = self.ale.lives();
        // Gymnasium's reset: the current screen, max-pooled with a blank one.
        self.ale.screen_grayscale(&mut self.screens[0]);
        self.screens[1].fill(0);
        self.shrink();
        self.stack.fill(&self.small);
        self.stack.write(obs, SCALE);
    }

    /// `action` indexes the action set (checked by the vectoriser).
    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition {
        let action = self.pre.actions[action];
        let skip = self.pre.frame_skip;
        let mut reward = 0i64;
        let (mut terminated, mut truncated) = (false, false);
        for t in 0..skip {
            reward += i64::from(self.frame(action));
            let game_over = self.ale.game_over();
            terminated = game_over;
            if self.pre.terminal_on_life_loss {
                let lives = self.ale.lives();
                terminated |= lives < self.lives;
                self.lives = lives;
            }
            truncated = self.episode_frames >= self.pre.max_episode_frames;
            self.needs_reset = game_over || truncated;
            if terminated || truncated {
                break;
            }
            // Gymnasium fills its second buffer at frame skip − 2 and its first at skip − 1.
            if skip >= 2 && t == skip - 2 {
                self.ale.screen_grayscale(&mut self.screens[1]);
            } else if t == skip - 1 {
                self.ale.screen_grayscale(&mut self.screens[0]);
            }
        }
        if skip > 1 {
            // In place, as Gymnasium does: a repeat cut short next time starts from this maximum.
            let [newest, before] = &mut self.screens;
            max_pool(newest, before);
        }
        self.shrink();
        self.stack.push(&self.small);
        self.stack.write(obs, SCALE);
        Transition { reward: reward as f32, terminated, truncated: truncated && !terminated }
    }
}

/// The saved form of an [`Atari`]: the ROM it plays (checked again on loading), its
/// preprocessing and generator, and the emulator's state as ALE's `cloneSystemState` encodes it.
#[derive(Serialize, Deserialize)]
struct Saved {
    game: String,
    rom_dir: PathBuf,
    pre: Preprocessing,
    rng: ChaCha8Rng,
    last_action: u8,
    lives: i32,
    episode_frames: u64,
    needs_reset: bool,
    stack: FrameStack,
    #[serde(with = "super::hex::pair")]
    screens: [Vec<u8>; 2],
    #[serde(with = "super::hex")]
    system: Vec<u8>,
}

impl Serialize for Atari {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Saved {
            game: self.rom.game.name.into(),
            rom_dir: self.rom.path.parent().map(PathBuf::from).unwrap_or_default(),
            pre: self.pre.clone(),
            rng: self.rng.clone(),
            last_action: self.last_action,
            lives: self.lives,
            episode_frames: self.episode_frames,
            needs_reset: self.needs_reset,
            stack: self.stack.clone(),
            screens: self.screens.clone(),
            system: self.ale.save_system_state(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Atari {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = Saved::deserialize(deserializer)?;
        let game = super::games::find(&s.game).ok_or_else(|| D::Error::custom(format!("unknown game `{}`", s.game)))?;
        let rom = RomDir::locate(Some(&s.rom_dir)).and_then(|d| d.find(game)).map_err(D::Error::custom)?;
        let side = s.pre.screen_size;
        let well_formed =
            s.screens.iter().all(|v| v.len() == SCREEN_LEN) && s.stack.fits(s.pre.frame_stack, side * side);
        if !well_formed {
            return Err(D::Error::custom("the saved screens or frame stack do not fit the preprocessing"));
        }
        let mut env = Atari::new(rom, s.pre, 0);
        env.ale.restore_system_state(&s.system);
        (env.rng, env.last_action, env.lives, env.episode_frames, env.needs_reset, env.stack, env.screens) =
            (s.rng, s.last_action, s.lives, s.episode_frames, s.needs_reset, s.stack, s.screens);
        Ok(env)
    }
}
