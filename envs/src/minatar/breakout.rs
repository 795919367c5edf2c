//! MinAtar Breakout (`minatar/environments/breakout.py`), registered as `minatar/breakout`.
//!
//! The paddle moves along the bottom row; the ball travels diagonally, is reflected by the
//! walls, the ceiling and bricks, and bounced by the paddle left or right by the side it
//! hits. Each brick broken gives +1; when all three rows of bricks are cleared and the ball
//! reaches the bottom row they are rebuilt. The episode terminates when the ball reaches the
//! bottom row away from the paddle. No difficulty ramp. The trail channel marks the ball's
//! previous cell.

use super::options::{make, spec_of, OPTIONS};
use super::{Action, Game, Grid, RandomSource, CELLS};
use crate::registry::EnvEntry;
use crate::Obs;
use serde::{Deserialize, Serialize};

const PADDLE: usize = 0;
const BALL: usize = 1;
const TRAIL: usize = 2;
const BRICK: usize = 3;

/// Directions 0..4: up-left, up-right, down-right, down-left, as (dx, dy).
const STEP: [(i32, i32); 4] = [(-1, -1), (1, -1), (1, 1), (-1, 1)];
/// The new direction after hitting a side wall, the ceiling or a brick, or the paddle's far side.
const BOUNCE_SIDE: [usize; 4] = [1, 0, 3, 2];
const BOUNCE_VERTICAL: [usize; 4] = [3, 2, 1, 0];
const BOUNCE_PADDLE_EDGE: [usize; 4] = [2, 3, 0, 1];

/// One Breakout board.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Breakout {
    ball_x: i32,
    ball_y: i32,
    ball_dir: usize,
    last_x: i32,
    last_y: i32,
    paddle: i32,
    bricks: Grid,
    /// A brick was hit last frame: the next brick hit breaks nothing.
    strike: bool,
    terminal: bool,
}

fn full_bricks() -> Grid {
    Grid::block(1..4, 0..10)
}

impl Game for Breakout {
    const NAME: &'static str = "minatar/breakout";
    const CHANNELS: &'static [&'static str] = &["paddle", "ball", "trail", "brick"];
    const ACTIONS: &'static [Action] = &[Action::Noop, Action::Left, Action::Right];

    fn new(_ramping: bool) -> Self {
        Breakout {
            ball_x: 0,
            ball_y: 3,
            ball_dir: 2,
            last_x: 0,
            last_y: 3,
            paddle: 4,
            bricks: full_bricks(),
            strike: false,
            terminal: false,
        }
    }

    /// The ball starts in row 3 at the left wall heading down-right or at the right wall
    /// heading down-left (`randint(2)`).
    fn reset(&mut self, random: &mut impl RandomSource) {
        let (x, dir) = if random.randint(0, 2) == 0 { (0, 2) } else { (9, 3) };
        *self = Breakout { ball_x: x, ball_dir: dir, last_x: x, ..Breakout::new(false) };
    }

    fn act(&mut self, action: Action, _random: &mut impl RandomSource) -> (f32, bool) {
        if self.terminal {
            return (0.0, true);
        }
        let mut reward = 0.0;
        match action {
            Action::Left => self.paddle = (self.paddle - 1).max(0),
            Action::Right => self.paddle = (self.paddle + 1).min(9),
            _ => {}
        }
        (self.last_x, self.last_y) = (self.ball_x, self.ball_y);
        let (dx, dy) = STEP[self.ball_dir];
        let (mut x, mut y) = (self.ball_x + dx, self.ball_y + dy);
        let mut struck = false;
        if !(0..=9).contains(&x) {
            x = x.clamp(0, 9);
            self.ball_dir = BOUNCE_SIDE[self.ball_dir];
        }
        if y < 0 {
            y = 0;
            self.ball_dir = BOUNCE_VERTICAL[self.ball_dir];
        } else if self.bricks.get(y as usize, x as usize) {
            struck = true;
            if !self.strike {
                reward += 1.0;
                self.strike = true;
                self.bricks.clear(y as usize, x as usize);
                y = self.last_y;
                self.ball_dir = BOUNCE_VERTICAL[self.ball_dir];
            }
        } else if y == 9 {
            if self.bricks.is_empty() {
                self.bricks = full_bricks();
            }
            if self.ball_x == self.paddle {
                self.ball_dir = BOUNCE_VERTICAL[self.ball_dir];
                y = self.last_y;
            } else if x == self.paddle {
                self.ball_dir = BOUNCE_PADDLE_EDGE[self.ball_dir];
                y = self.last_y;
            } else {
                self.terminal = true;
            }
        }
        if !struck {
            self.strike = false;
        }
        (self.ball_x, self.ball_y) = (x, y);
        (reward, self.terminal)
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        let one = O::from_byte(1, 1.0);
        let cell = |y: i32, x: i32| (y * 10 + x) as usize;
        obs[PADDLE * CELLS + cell(9, self.paddle)] = one;
        obs[BALL * CELLS + cell(self.ball_y, self.ball_x)] = one;
        obs[TRAIL * CELLS + cell(self.last_y, self.last_x)] = one;
        self.bricks.write(&mut obs[BRICK * CELLS..(BRICK + 1) * CELLS]);
    }

    fn difficulty_ramp(&self) -> Option<u32> {
        None
    }
}

inventory::submit! {
    EnvEntry {
        name: Breakout::NAME,
        description: "MinAtar Breakout: bounce the ball to break bricks, +1 a brick (10×10×4, 3 actions)",
        options: OPTIONS,
        spec: spec_of::<Breakout>,
        make: make::<Breakout>,
    }
}
