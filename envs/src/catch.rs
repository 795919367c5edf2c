//! Catch, as in the Behaviour Suite for Reinforcement Learning (Osband et al. 2020, "Behaviour
//! Suite for Reinforcement Learning", ICLR; `bsuite/environments/catch.py`), registered as
//! `catch`.
//!
//! A board of `rows` × `columns` cells (10 × 5 by default). An episode starts with the ball
//! in the top row, in a column drawn uniformly, and the paddle in the middle of the bottom
//! row (column ⌊columns/2⌋). Each step the paddle moves by a ∈ {−1, 0, +1} for actions
//! {0, 1, 2} (left, stay, right; clipped to the board) and then the ball falls one row.
//! When the ball reaches the bottom row the episode terminates with reward +1 if the paddle
//! is under it and −1 if not; every other step gives 0. Every episode lasts `rows − 1`
//! steps.
//!
//! The observation is the board, `[1, rows, columns]`: 1 where the ball or the paddle is,
//! 0 elsewhere. States are numbered (ball row, ball column, paddle column) for per-state
//! meta-parameters.

use crate::registry::{self, EnvEntry, EnvOption};
use crate::Obs;
use crate::{env_seed, Env, EnvError, EnvSpec, Transition, VecEnv, Vectorized};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The registered name.
pub const NAME: &str = "catch";

/// The largest number of rows or columns accepted (a board of 256 × 256 is already far
/// beyond the benchmark's 10 × 5).
const MAX_SIDE: usize = 256;

/// A step takes 11–30 ns, so a share is worth handing to another thread (10–15 µs) for 4096
/// boards or more (BENCHMARKS.md).
const MIN_ENVS_PER_THREAD: usize = 4096;

/// The `[env]` options of `catch`, as [`CatchOptions`] reads them.
pub const OPTIONS: &[EnvOption] = &[
    EnvOption { name: "rows", doc: "rows of the board, the ball's starting row included (2 to 256)", default: "10" },
    EnvOption { name: "columns", doc: "columns of the board (1 to 256)", default: "5" },
];

/// The `[env]` options of `catch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatchOptions {
    /// Rows of the board, the ball's starting row included (default 10, at least 2).
    pub rows: usize,
    /// Columns of the board (default 5, at least 1).
    pub columns: usize,
}

impl Default for CatchOptions {
    fn default() -> Self {
        CatchOptions { rows: 10, columns: 5 }
    }
}

impl CatchOptions {
    fn validate(&self) -> Result<(), EnvError> {
        let bad = |key: &str, message: String| Err(EnvError::Option { env: NAME.into(), key: key.into(), message });
        if !(2..=MAX_SIDE).contains(&self.rows) {
            return bad("rows", format!("`rows` = {} must be between 2 and {MAX_SIDE}", self.rows));
        }
        if !(1..=MAX_SIDE).contains(&self.columns) {
            return bad("columns", format!("`columns` = {} must be between 1 and {MAX_SIDE}", self.columns));
        }
        Ok(())
    }

    /// The observation shape, the three actions and the number of (ball, paddle) states.
    pub fn spec(&self) -> EnvSpec {
        EnvSpec {
            name: NAME.into(),
            obs_shape: vec![1, self.rows, self.columns],
            num_actions: 3,
            num_states: Some(self.rows * self.columns * self.columns),
        }
    }
}

/// One Catch board; its serde form is its saved state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Catch {
    rows: usize,
    columns: usize,
    ball_row: usize,
    ball_column: usize,
    paddle_column: usize,
    rng: ChaCha8Rng,
}

impl Catch {
    /// A board of the (validated) size; `reset` starts its first episode.
    fn new(options: CatchOptions, seed: u64) -> Self {
        Catch {
            rows: options.rows,
            columns: options.columns,
            ball_row: 0,
            ball_column: 0,
            paddle_column: options.columns / 2,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        obs.fill(O::default());
        obs[self.ball_row * self.columns + self.ball_column] = O::from_byte(1, 1.0);
        obs[(self.rows - 1) * self.columns + self.paddle_column] = O::from_byte(1, 1.0);
    }
}

impl Env for Catch {
    /// Cells are 0 or 1.
    const BYTE_SCALE: Option<f32> = Some(1.0);

    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        self.ball_row = 0;
        self.ball_column = self.rng.gen_range(0..self.columns);
        self.paddle_column = self.columns / 2;
        self.write_obs(obs);
    }

    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition {
        // Actions 0, 1, 2 move the paddle by −1, 0, +1, clipped to the board.
        self.paddle_column = (self.paddle_column + action).saturating_sub(1).min(self.columns - 1);
        self.ball_row += 1;
        self.write_obs(obs);
        let terminated = self.ball_row == self.rows - 1;
        let reward = match (terminated, self.paddle_column == self.ball_column) {
            (false, _) => 0.0,
            (true, true) => 1.0,
            (true, false) => -1.0,
        };
        Transition { reward, terminated, truncated: false }
    }

    /// (ball row · columns + ball column) · columns + paddle column.
    fn state_index(&self) -> Option<usize> {
        Some((self.ball_row * self.columns + self.ball_column) * self.columns + self.paddle_column)
    }
}

/// B Catch boards from the `[env]` options; board i is seeded with [`env_seed`]`(seed, i)`.
pub fn vectorized(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Vectorized<Catch>, EnvError> {
    let opts = checked_options(options)?;
    let envs = (0..num_envs).map(|i| Catch::new(opts, env_seed(seed, i))).collect();
    Ok(Vectorized::new(opts.spec(), envs, None)?.with_min_envs_per_thread(MIN_ENVS_PER_THREAD))
}

fn checked_options(options: &toml::Table) -> Result<CatchOptions, EnvError> {
    let opts: CatchOptions = registry::options(NAME, options)?;
    opts.validate()?;
    Ok(opts)
}

/// The spec of Catch boards with these `[env]` options (for the registry).
pub fn spec(options: &toml::Table) -> Result<EnvSpec, EnvError> {
    Ok(checked_options(options)?.spec())
}

fn make(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    Ok(Box::new(vectorized(num_envs, seed, options)?))
}

inventory::submit! {
    EnvEntry {
        name: NAME,
        description: "bsuite Catch: catch the falling ball with the paddle, ±1 at the bottom row (10×5 board)",
        options: OPTIONS,
        spec,
        make,
    }
}
