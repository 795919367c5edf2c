//! MinAtar: five Atari games on a 10 × 10 board (Young & Tian 2019, "MinAtar: An
//! Atari-Inspired Testbed for Thorough and Reproducible Reinforcement Learning
//! Experiments", arXiv 1903.03176), after the reference package `minatar` 1.0.15 on PyPI.
//!
//! Registered as `minatar/asterix`, `minatar/breakout`, `minatar/freeway`,
//! `minatar/seaquest` and `minatar/space_invaders`, with the options of [`MinAtarOptions`]
//! (sticky actions with probability 0.1 and difficulty ramping by default).
//!
//! - Observations are the reference's 10 × 10 × C booleans as f32 in `[C, 10, 10]`
//!   (channels first), with its channel order ([`Game::CHANNELS`]).
//! - Actions index each game's minimal action set, in the reference's order
//!   ([`Game::ACTIONS`]).
//! - Rewards, terminations, ramping and the order and kind of every random draw are the
//!   reference's: `envs/tests/minatar_reference.rs` replays episodes recorded from the Python
//!   games (`scripts/minatar_reference.sh`) through a [`ReplaySource`] and checks every
//!   observation, reward and termination.

mod asterix;
mod breakout;
mod environment;
mod freeway;
mod game;
mod grid;
mod options;
mod python_list;
mod random;
mod seaquest;
mod space_invaders;

pub use asterix::Asterix;
pub use breakout::Breakout;
pub use environment::MinAtar;
pub use freeway::Freeway;
pub use game::{Action, Game};
use grid::{Grid, CELLS, SIDE};
pub use options::{make, spec, spec_of, vectorized, MinAtarOptions};
pub use random::{Draw, RandomSource, ReplaySource, SeededSource};
pub use seaquest::Seaquest;
pub use space_invaders::SpaceInvaders;
