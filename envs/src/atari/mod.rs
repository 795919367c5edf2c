//! Atari 2600 games through the Arcade Learning Environment 0.6 (Bellemare et al. 2013, "The
//! Arcade Learning Environment: An Evaluation Platform for General Agents", JAIR), built from
//! the source bundled in the `ale-sys` crate; behind the cargo feature `atari`.
//!
//! Registered as `atari/<game>` for the 57 games of the usual benchmark ([`games::GAMES`]; 56
//! play, `surround` is not in ALE 0.6), with the `[env]` options of [`AtariOptions`] (the
//! standard preprocessing, [`environment`]).
//!
//! - ROMs: the ones that ship in the `ale-py` wheel, fetched by `scripts/fetch-atari-roms.sh`
//!   and found through [`rom::RomDir`]; each is checked by MD5 before ALE opens it.
//! - Observations: `[frame_stack, side, side]` grayscale bytes, handed out as bytes
//!   ([`crate::VecEnv::step_u8`]) or as f32 in [0, 1] (byte / 255, [`crate::VecEnv::step`]).
//! - Actions index the game's minimal action set ([`games::Game::minimal_actions`], in ALE's
//!   numbering and order), or all 18 with `full_action_space`.
//! - Saved state ([`crate::VecEnv::save_state`]): each emulator's `cloneSystemState`, with the
//!   preprocessing's own state and generator, their bytes as hexadecimal strings; loading needs
//!   the same ROM again.
//! - Human-normalised scores: [`scores`].

mod ale;
pub mod environment;
pub mod games;
mod hex;
mod options;
pub mod preprocess;
mod render;
pub mod rom;
pub mod scores;

pub use ale::{ale_seed, Ale, SCREEN_HEIGHT, SCREEN_LEN, SCREEN_WIDTH};
pub use environment::{Atari, Preprocessing};
pub use games::{Fidelity, Game, GAMES};
pub use options::{env_name, make, spec_of, vectorized, AtariOptions, OPTIONS};
pub use rom::{Rom, RomDir, RomError, ROMS_VAR};

/// Registers `atari/<game>` for each game, in a module of its own (the registry takes plain
/// function pointers).
macro_rules! register {
    ($($game:ident)*) => {$(
        mod $game {
            use crate::{EnvError, EnvSpec, VecEnv};

            fn spec(options: &toml::Table) -> Result<EnvSpec, EnvError> {
                super::options::spec_of(super::options::game(stringify!($game)), options)
            }

            fn make(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
                super::options::make(super::options::game(stringify!($game)), num_envs, seed, options)
            }

            inventory::submit! {
                crate::registry::EnvEntry {
                    name: concat!("atari/", stringify!($game)),
                    description: concat!("Atari 2600 `", stringify!($game), "` (ALE 0.6, standard preprocessing)"),
                    options: super::options::OPTIONS,
                    spec,
                    make,
                }
            }

            inventory::submit! {
                crate::render::ObsPicture {
                    env: concat!("atari/", stringify!($game)),
                    draw: super::render::draw,
                    delay_cs: 7,
                }
            }
        }
    )*};
}

register! {
    alien amidar assault asterix asteroids atlantis bank_heist battle_zone beam_rider berzerk
    bowling boxing breakout centipede chopper_command crazy_climber defender demon_attack
    double_dunk enduro fishing_derby freeway frostbite gopher gravitar hero ice_hockey jamesbond
    kangaroo krull kung_fu_master montezuma_revenge ms_pacman name_this_game phoenix pitfall pong
    private_eye qbert riverraid road_runner robotank seaquest skiing solaris space_invaders
    star_gunner surround tennis time_pilot tutankham up_n_down venture video_pinball wizard_of_wor
    yars_revenge zaxxon
}
