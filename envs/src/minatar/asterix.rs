//! MinAtar Asterix (`minatar/environments/asterix.py`), registered as `minatar/asterix`.
//!
//! The player moves in the four directions in rows 1–8. Enemies and gold enter from the
//! sides, one per row slot (8 slots), every `spawn_speed` frames, and move one cell every
//! `move_speed` frames. Touching gold gives +1 and removes it; touching an enemy terminates
//! the episode. The trail channel marks the cell behind each moving entity. With ramping,
//! every 100 frames the spawn interval shrinks by one (down to 1) and every other time the
//! move interval too.

use super::options::{make, spec_of, OPTIONS};
use super::{Action, Game, RandomSource, CELLS};
use crate::registry::EnvEntry;
use crate::Obs;
use serde::{Deserialize, Serialize};

const PLAYER: usize = 0;
const ENEMY: usize = 1;
const TRAIL: usize = 2;
const GOLD: usize = 3;

const RAMP_INTERVAL: i32 = 100;
const INIT_SPAWN_SPEED: i32 = 10;
const INIT_MOVE_INTERVAL: i32 = 5;

/// An enemy or gold in its slot's row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Entity {
    x: i32,
    y: i32,
    /// Moving right (it entered on the left).
    right: bool,
    gold: bool,
}

/// One Asterix board.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asterix {
    ramping: bool,
    player_x: i32,
    player_y: i32,
    /// Slot i holds an entity in row i + 1.
    entities: [Option<Entity>; 8],
    spawn_speed: i32,
    spawn_timer: i32,
    move_speed: i32,
    move_timer: i32,
    ramp_timer: i32,
    ramp_index: u32,
    terminal: bool,
}

impl Asterix {
    /// An entity enters on a random side (`rand() < 1/2`: left), is gold with probability
    /// 1/3 (`rand()`), in a free slot drawn uniformly (`randint(free slots)`), if any.
    fn spawn_entity(&mut self, random: &mut impl RandomSource) {
        let right = random.rand() < 1.0 / 2.0;
        let gold = random.rand() < 1.0 / 3.0;
        let free: Vec<usize> = (0..8).filter(|&i| self.entities[i].is_none()).collect();
        if free.is_empty() {
            return;
        }
        let slot = free[random.randint(0, free.len() as i64) as usize];
        let x = if right { 0 } else { 9 };
        self.entities[slot] = Some(Entity { x, y: slot as i32 + 1, right, gold });
    }

    /// Gold at the player's cell is taken (+1); an enemy there ends the game.
    fn touch(&mut self, slot: usize, reward: &mut f32) {
        if let Some(e) = self.entities[slot] {
            if (e.x, e.y) == (self.player_x, self.player_y) {
                if e.gold {
                    self.entities[slot] = None;
                    *reward += 1.0;
                } else {
                    self.terminal = true;
                }
            }
        }
    }
}

impl Game for Asterix {
    const NAME: &'static str = "minatar/asterix";
    const CHANNELS: &'static [&'static str] = &["player", "enemy", "trail", "gold"];
    const ACTIONS: &'static [Action] = &[Action::Noop, Action::Left, Action::Up, Action::Right, Action::Down];

    fn new(ramping: bool) -> Self {
        Asterix {
            ramping,
            player_x: 5,
            player_y: 5,
            entities: [None; 8],
            spawn_speed: INIT_SPAWN_SPEED,
            spawn_timer: INIT_SPAWN_SPEED,
            move_speed: INIT_MOVE_INTERVAL,
            move_timer: INIT_MOVE_INTERVAL,
            ramp_timer: RAMP_INTERVAL,
            ramp_index: 0,
            terminal: false,
        }
    }

    fn reset(&mut self, _random: &mut impl RandomSource) {
        *self = Asterix::new(self.ramping);
    }

    fn act(&mut self, action: Action, random: &mut impl RandomSource) -> (f32, bool) {
        if self.terminal {
            return (0.0, true);
        }
        let mut reward = 0.0;
        if self.spawn_timer == 0 {
            self.spawn_entity(random);
            self.spawn_timer = self.spawn_speed;
        }
        match action {
            Action::Left => self.player_x = (self.player_x - 1).max(0),
            Action::Right => self.player_x = (self.player_x + 1).min(9),
            Action::Up => self.player_y = (self.player_y - 1).max(1),
            Action::Down => self.player_y = (self.player_y + 1).min(8),
            _ => {}
        }
        for slot in 0..8 {
            self.touch(slot, &mut reward);
        }
        if self.move_timer == 0 {
            self.move_timer = self.move_speed;
            for slot in 0..8 {
                if let Some(e) = &mut self.entities[slot] {
                    e.x += if e.right { 1 } else { -1 };
                    if !(0..=9).contains(&e.x) {
                        self.entities[slot] = None;
                    }
                    self.touch(slot, &mut reward);
                }
            }
        }
        self.spawn_timer -= 1;
        self.move_timer -= 1;
        if self.ramping && (self.spawn_speed > 1 || self.move_speed > 1) {
            if self.ramp_timer >= 0 {
                self.ramp_timer -= 1;
            } else {
                if self.move_speed > 1 && self.ramp_index % 2 == 1 {
                    self.move_speed -= 1;
                }
                if self.spawn_speed > 1 {
                    self.spawn_speed -= 1;
                }
                self.ramp_index += 1;
                self.ramp_timer = RAMP_INTERVAL;
            }
        }
        (reward, self.terminal)
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        let one = O::from_byte(1, 1.0);
        let cell = |y: i32, x: i32| (y * 10 + x) as usize;
        obs[PLAYER * CELLS + cell(self.player_y, self.player_x)] = one;
        for e in self.entities.iter().flatten() {
            let channel = if e.gold { GOLD } else { ENEMY };
            obs[channel * CELLS + cell(e.y, e.x)] = one;
            let back = if e.right { e.x - 1 } else { e.x + 1 };
            if (0..=9).contains(&back) {
                obs[TRAIL * CELLS + cell(e.y, back)] = one;
            }
        }
    }

    fn difficulty_ramp(&self) -> Option<u32> {
        Some(self.ramp_index)
    }
}

inventory::submit! {
    EnvEntry {
        name: Asterix::NAME,
        description: "MinAtar Asterix: collect gold (+1), avoid enemies (10×10×4, 5 actions)",
        options: OPTIONS,
        spec: spec_of::<Asterix>,
        make: make::<Asterix>,
    }
}
