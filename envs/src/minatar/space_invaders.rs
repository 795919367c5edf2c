//! MinAtar Space Invaders (`minatar/environments/space_invaders.py`), registered as
//! `minatar/space_invaders`.
//!
//! The cannon moves along the bottom row and fires upward (at most every 5 frames). A 4 × 6
//! block of aliens moves sideways one cell every min(aliens left, move interval) frames,
//! and down one row (reversing) when it reaches a side; every 10 frames the alien nearest
//! the cannon's column shoots down. Each alien shot gives +1. The episode terminates when an
//! alien or an alien's bullet reaches the cannon, or the aliens move down from the bottom
//! row. A cleared wave is replaced; with ramping each new wave's move interval is one frame
//! shorter (12 down to 6). The channels `alien_left` / `alien_right` repeat the aliens
//! under their current direction.

use super::options::{make, spec_of, OPTIONS};
use super::{Action, Game, Grid, RandomSource, CELLS};
use crate::registry::EnvEntry;
use crate::Obs;
use serde::{Deserialize, Serialize};

const CANNON: usize = 0;
const ALIEN: usize = 1;
const ALIEN_LEFT: usize = 2;
const ALIEN_RIGHT: usize = 3;
const FRIENDLY_BULLET: usize = 4;
const ENEMY_BULLET: usize = 5;

const SHOT_COOL_DOWN: i32 = 5;
const ENEMY_MOVE_INTERVAL: i32 = 12;
const ENEMY_SHOT_INTERVAL: i32 = 10;

/// One Space Invaders board.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpaceInvaders {
    ramping: bool,
    /// The cannon's column.
    pos: usize,
    friendly_bullets: Grid,
    enemy_bullets: Grid,
    aliens: Grid,
    /// −1 left, +1 right.
    alien_dir: i32,
    enemy_move_interval: i32,
    alien_move_timer: i32,
    alien_shot_timer: i32,
    ramp_index: u32,
    shot_timer: i32,
    terminal: bool,
}

fn wave() -> Grid {
    Grid::block(0..4, 2..8)
}

impl SpaceInvaders {
    /// The lowest alien in the occupied column nearest the cannon (on ties the left one).
    fn nearest_alien(&self) -> Option<(usize, usize)> {
        let pos = self.pos as i32;
        (0..10)
            .flat_map(|d| [pos - d, pos + d])
            .filter(|x| (0..10).contains(x))
            .find_map(|x| self.aliens.lowest_in_column(x as usize).map(|y| (y, x as usize)))
    }
}

impl Game for SpaceInvaders {
    const NAME: &'static str = "minatar/space_invaders";
    const CHANNELS: &'static [&'static str] =
        &["cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"];
    const ACTIONS: &'static [Action] = &[Action::Noop, Action::Left, Action::Right, Action::Fire];

    fn new(ramping: bool) -> Self {
        SpaceInvaders {
            ramping,
            pos: 5,
            friendly_bullets: Grid::EMPTY,
            enemy_bullets: Grid::EMPTY,
            aliens: wave(),
            alien_dir: -1,
            enemy_move_interval: ENEMY_MOVE_INTERVAL,
            alien_move_timer: ENEMY_MOVE_INTERVAL,
            alien_shot_timer: ENEMY_SHOT_INTERVAL,
            ramp_index: 0,
            shot_timer: 0,
            terminal: false,
        }
    }

    fn reset(&mut self, _random: &mut impl RandomSource) {
        *self = SpaceInvaders::new(self.ramping);
    }

    fn act(&mut self, action: Action, _random: &mut impl RandomSource) -> (f32, bool) {
        if self.terminal {
            return (0.0, true);
        }
        match action {
            Action::Fire if self.shot_timer == 0 => {
                self.friendly_bullets.set(9, self.pos);
                self.shot_timer = SHOT_COOL_DOWN;
            }
            Action::Left => self.pos = self.pos.saturating_sub(1),
            Action::Right => self.pos = (self.pos + 1).min(9),
            _ => {}
        }
        self.friendly_bullets = self.friendly_bullets.shifted_up();
        self.enemy_bullets = self.enemy_bullets.shifted_down();
        if self.enemy_bullets.get(9, self.pos) || self.aliens.get(9, self.pos) {
            self.terminal = true;
        }
        if self.alien_move_timer == 0 {
            self.alien_move_timer = (self.aliens.count() as i32).min(self.enemy_move_interval);
            let at_edge = if self.alien_dir < 0 { self.aliens.column_any(0) } else { self.aliens.column_any(9) };
            if at_edge {
                self.alien_dir = -self.alien_dir;
                if self.aliens.row_any(9) {
                    self.terminal = true;
                }
                self.aliens = self.aliens.rolled_down();
            } else {
                self.aliens = self.aliens.rolled_sideways(self.alien_dir);
            }
            if self.aliens.get(9, self.pos) {
                self.terminal = true;
            }
        }
        if self.alien_shot_timer == 0 {
            self.alien_shot_timer = ENEMY_SHOT_INTERVAL;
            // The reference fails here on an empty board; a wave is never empty mid-frame.
            if let Some((y, x)) = self.nearest_alien() {
                self.enemy_bullets.set(y, x);
            }
        }
        let kills = self.aliens.and(self.friendly_bullets);
        self.aliens = self.aliens.without(kills);
        self.friendly_bullets = self.friendly_bullets.without(kills);
        self.shot_timer -= i32::from(self.shot_timer > 0);
        self.alien_move_timer -= 1;
        self.alien_shot_timer -= 1;
        if self.aliens.is_empty() {
            if self.enemy_move_interval > 6 && self.ramping {
                self.enemy_move_interval -= 1;
                self.ramp_index += 1;
            }
            self.aliens = wave();
        }
        (kills.count() as f32, self.terminal)
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        let one = O::from_byte(1, 1.0);
        obs[CANNON * CELLS + 90 + self.pos] = one;
        let mut channel = |c: usize, g: Grid| g.write(&mut obs[c * CELLS..(c + 1) * CELLS]);
        channel(ALIEN, self.aliens);
        channel(if self.alien_dir < 0 { ALIEN_LEFT } else { ALIEN_RIGHT }, self.aliens);
        channel(FRIENDLY_BULLET, self.friendly_bullets);
        channel(ENEMY_BULLET, self.enemy_bullets);
    }

    fn difficulty_ramp(&self) -> Option<u32> {
        Some(self.ramp_index)
    }
}

inventory::submit! {
    EnvEntry {
        name: SpaceInvaders::NAME,
        description: "MinAtar Space Invaders: shoot the aliens, +1 each (10×10×6, 4 actions)",
        options: OPTIONS,
        spec: spec_of::<SpaceInvaders>,
        make: make::<SpaceInvaders>,
    }
}
