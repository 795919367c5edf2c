//! MinAtar Seaquest (`minatar/environments/seaquest.py`), registered as `minatar/seaquest`.
//!
//! The player's submarine (front and back cells, so its heading shows) moves in rows 0–8 and
//! fires sideways (at most every 5 frames). Enemy fish and submarines enter from the sides
//! and cross; submarines shoot. Divers drift across and are picked up by touching them (at
//! most 6). Oxygen (200) falls by one a frame below the surface. Each enemy shot gives +1.
//! Surfacing with a diver refills oxygen and costs one diver; surfacing with 6 gives
//! ⌊oxygen · 10 / 200⌋ and empties the bar (then, as in the reference, the count drops to
//! −1). With ramping each surfacing shortens the enemy spawn interval (20 down to 1) and
//! every other one the move interval (5 down to 2). The episode terminates when an enemy or
//! an enemy bullet touches the player, oxygen runs out, or the player surfaces with no diver.
//!
//! The reference keeps its objects in Python lists that it changes while looping over them
//! (see [`super::python_list`]); the loops here visit and remove them in the same order, so
//! that the same draws give the same frames.

use super::options::{make, spec_of, OPTIONS};
use super::python_list::{remove_first_equal, remove_self, ReversedCursor};
use super::{Action, Game, RandomSource, CELLS};
use crate::registry::EnvEntry;
use crate::Obs;
use serde::{Deserialize, Serialize};

const SUB_FRONT: usize = 0;
const SUB_BACK: usize = 1;
const FRIENDLY_BULLET: usize = 2;
const TRAIL: usize = 3;
const ENEMY_BULLET: usize = 4;
const ENEMY_FISH: usize = 5;
const ENEMY_SUB: usize = 6;
const OXYGEN_GAUGE: usize = 7;
const DIVER_GAUGE: usize = 8;
const DIVER: usize = 9;

const MAX_OXYGEN: i32 = 200;
const INIT_SPAWN_SPEED: i32 = 20;
const DIVER_SPAWN_SPEED: i32 = 30;
const INIT_MOVE_INTERVAL: i32 = 5;
const SHOT_COOL_DOWN: i32 = 5;
const ENEMY_SHOT_INTERVAL: i32 = 10;
const DIVER_MOVE_INTERVAL: i32 = 5;

/// A bullet, fish or diver: `[x, y, right, timer]` in the reference (bullets have no timer:
/// theirs stays 0). Equality is the reference's list equality, over every field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Mover {
    x: i32,
    y: i32,
    right: bool,
    /// Frames until it next moves.
    timer: i32,
}

/// An enemy submarine, `[x, y, right, move timer, shot timer]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct EnemySub {
    body: Mover,
    shot_timer: i32,
}

impl Mover {
    fn advance(&mut self) {
        self.x += if self.right { 1 } else { -1 };
    }

    fn off_board(&self) -> bool {
        !(0..=9).contains(&self.x)
    }

    fn at(&self, x: i32, y: i32) -> bool {
        (self.x, self.y) == (x, y)
    }

    /// The cell behind it, if on the board.
    fn trail(&self) -> Option<i32> {
        let back = if self.right { self.x - 1 } else { self.x + 1 };
        (0..=9).contains(&back).then_some(back)
    }
}

/// One Seaquest board.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seaquest {
    ramping: bool,
    oxygen: i32,
    diver_count: i32,
    sub_x: i32,
    sub_y: i32,
    /// Heading right.
    sub_right: bool,
    friendly_bullets: Vec<Mover>,
    enemy_bullets: Vec<Mover>,
    fish: Vec<Mover>,
    subs: Vec<EnemySub>,
    divers: Vec<Mover>,
    e_spawn_speed: i32,
    e_spawn_timer: i32,
    d_spawn_timer: i32,
    move_speed: i32,
    ramp_index: u32,
    shot_timer: i32,
    /// At the surface since the last surfacing (so it counts once).
    surface: bool,
    terminal: bool,
}

impl Seaquest {
    /// A fish or (probability 1/3) a submarine on a random side (`rand()`, `rand()`) in a
    /// random row 1–8 (`randint(1, 9)`), unless an enemy already crosses that row the other way.
    fn spawn_enemy(&mut self, random: &mut impl RandomSource) {
        let right = random.rand() < 1.0 / 2.0;
        let is_sub = random.rand() < 1.0 / 3.0;
        let y = random.randint(1, 9) as i32;
        let x = if right { 0 } else { 9 };
        let blocked = |m: &Mover| m.y == y && m.right != right;
        if self.subs.iter().map(|s| &s.body).chain(&self.fish).any(blocked) {
            return;
        }
        let body = Mover { x, y, right, timer: self.move_speed };
        if is_sub {
            self.subs.push(EnemySub { body, shot_timer: ENEMY_SHOT_INTERVAL });
        } else {
            self.fish.push(body);
        }
    }

    /// A diver on a random side (`rand()`) in a random row 1–8 (`randint(1, 9)`).
    fn spawn_diver(&mut self, random: &mut impl RandomSource) {
        let right = random.rand() < 1.0 / 2.0;
        let y = random.randint(1, 9) as i32;
        self.divers.push(Mover { x: if right { 0 } else { 9 }, y, right, timer: DIVER_MOVE_INTERVAL });
    }

    fn player_at(&self, m: &Mover) -> bool {
        m.at(self.sub_x, self.sub_y)
    }

    /// The first friendly bullet on `m`'s cell, if any, which is used up (+1).
    fn take_bullet_at(&mut self, m: &Mover) -> bool {
        // The first bullet on the cell is also the first equal to itself: `remove(x)` removes it.
        match self.friendly_bullets.iter().position(|b| (b.x, b.y) == (m.x, m.y)) {
            Some(i) => {
                self.friendly_bullets.remove(i);
                true
            }
            None => false,
        }
    }

    /// Friendly bullets move; one on an enemy removes both (fish before submarines), +1.
    fn move_friendly_bullets(&mut self) -> f32 {
        let mut reward = 0.0;
        let mut cursor = ReversedCursor::new(self.friendly_bullets.len());
        while let Some(i) = cursor.next(self.friendly_bullets.len()) {
            self.friendly_bullets[i].advance();
            let b = self.friendly_bullets[i];
            if b.off_board() {
                remove_first_equal(&mut self.friendly_bullets, &b);
                continue;
            }
            // The first enemy on the cell is also the first equal to itself.
            if let Some(j) = self.fish.iter().position(|f| f.at(b.x, b.y)) {
                self.fish.remove(j);
            } else if let Some(j) = self.subs.iter().position(|s| s.body.at(b.x, b.y)) {
                self.subs.remove(j);
            } else {
                continue;
            }
            remove_first_equal(&mut self.friendly_bullets, &b);
            reward += 1.0;
        }
        reward
    }

    /// Divers on the player are picked up (up to 6); the others drift every 5 frames.
    fn move_divers(&mut self) {
        let mut cursor = ReversedCursor::new(self.divers.len());
        while let Some(i) = cursor.next(self.divers.len()) {
            if self.player_at(&self.divers[i]) && self.diver_count < 6 {
                remove_self(&mut self.divers, i);
                self.diver_count += 1;
            } else if self.divers[i].timer == 0 {
                let d = &mut self.divers[i];
                d.timer = DIVER_MOVE_INTERVAL;
                d.advance();
                if d.off_board() {
                    remove_self(&mut self.divers, i);
                } else if self.player_at(&self.divers[i]) && self.diver_count < 6 {
                    remove_self(&mut self.divers, i);
                    self.diver_count += 1;
                }
            } else {
                self.divers[i].timer -= 1;
            }
        }
    }

    /// Enemy submarines move every `move_speed` frames and shoot every 10; one touching the
    /// player ends the game, one meeting a friendly bullet is destroyed (+1).
    fn move_subs(&mut self) -> f32 {
        let mut reward = 0.0;
        let mut cursor = ReversedCursor::new(self.subs.len());
        while let Some(i) = cursor.next(self.subs.len()) {
            // `at`: where this object is in the list; the reference keeps using it after a
            // `remove`, so its shot below still happens when it has left the list.
            let mut at = Some(i);
            let mut sub = self.subs[i];
            if self.player_at(&sub.body) {
                self.terminal = true;
            }
            if sub.body.timer == 0 {
                sub.body.timer = self.move_speed;
                sub.body.advance();
                self.subs[i] = sub;
                if sub.body.off_board() {
                    at = remove_self(&mut self.subs, i);
                } else if self.player_at(&sub.body) {
                    self.terminal = true;
                } else if self.take_bullet_at(&sub.body) {
                    at = remove_self(&mut self.subs, i);
                    reward += 1.0;
                }
            } else {
                sub.body.timer -= 1;
            }
            if sub.shot_timer == 0 {
                sub.shot_timer = ENEMY_SHOT_INTERVAL;
                self.enemy_bullets.push(Mover { timer: 0, ..sub.body });
            } else {
                sub.shot_timer -= 1;
            }
            if let Some(at) = at {
                self.subs[at] = sub;
            }
        }
        reward
    }

    /// Enemy bullets move every frame; one on the player (before or after) ends the game.
    fn move_enemy_bullets(&mut self) {
        let mut cursor = ReversedCursor::new(self.enemy_bullets.len());
        while let Some(i) = cursor.next(self.enemy_bullets.len()) {
            if self.player_at(&self.enemy_bullets[i]) {
                self.terminal = true;
            }
            self.enemy_bullets[i].advance();
            if self.enemy_bullets[i].off_board() {
                remove_self(&mut self.enemy_bullets, i);
            } else if self.player_at(&self.enemy_bullets[i]) {
                self.terminal = true;
            }
        }
    }

    /// Fish move every `move_speed` frames; as submarines, without shooting.
    fn move_fish(&mut self) -> f32 {
        let mut reward = 0.0;
        let mut cursor = ReversedCursor::new(self.fish.len());
        while let Some(i) = cursor.next(self.fish.len()) {
            if self.player_at(&self.fish[i]) {
                self.terminal = true;
            }
            if self.fish[i].timer == 0 {
                let f = &mut self.fish[i];
                f.timer = self.move_speed;
                f.advance();
                let f = *f;
                if f.off_board() {
                    remove_self(&mut self.fish, i);
                } else if self.player_at(&f) {
                    self.terminal = true;
                } else if self.take_bullet_at(&f) {
                    remove_self(&mut self.fish, i);
                    reward += 1.0;
                }
            } else {
                self.fish[i].timer -= 1;
            }
        }
        reward
    }

    /// Surfacing with at least one diver: oxygen refills, a diver leaves (all six, for
    /// ⌊oxygen · 10 / 200⌋, when the bar is full) and difficulty ramps.
    fn surface(&mut self) -> f32 {
        self.surface = true;
        let reward = if self.diver_count == 6 {
            self.diver_count = 0;
            (self.oxygen * 10).div_euclid(MAX_OXYGEN) as f32
        } else {
            0.0
        };
        self.oxygen = MAX_OXYGEN;
        self.diver_count -= 1;
        if self.ramping && (self.e_spawn_speed > 1 || self.move_speed > 2) {
            if self.move_speed > 2 && self.ramp_index % 2 == 1 {
                self.move_speed -= 1;
            }
            if self.e_spawn_speed > 1 {
                self.e_spawn_speed -= 1;
            }
            self.ramp_index += 1;
        }
        reward
    }
}

impl Game for Seaquest {
    const NAME: &'static str = "minatar/seaquest";
    const CHANNELS: &'static [&'static str] = &[
        "sub_front",
        "sub_back",
        "friendly_bullet",
        "trail",
        "enemy_bullet",
        "enemy_fish",
        "enemy_sub",
        "oxygen_guage",
        "diver_guage",
        "diver",
    ];
    const ACTIONS: &'static [Action] =
        &[Action::Noop, Action::Left, Action::Up, Action::Right, Action::Down, Action::Fire];

    fn new(ramping: bool) -> Self {
        Seaquest {
            ramping,
            oxygen: MAX_OXYGEN,
            diver_count: 0,
            sub_x: 5,
            sub_y: 0,
            sub_right: false,
            friendly_bullets: Vec::new(),
            enemy_bullets: Vec::new(),
            fish: Vec::new(),
            subs: Vec::new(),
            divers: Vec::new(),
            e_spawn_speed: INIT_SPAWN_SPEED,
            e_spawn_timer: INIT_SPAWN_SPEED,
            d_spawn_timer: DIVER_SPAWN_SPEED,
            move_speed: INIT_MOVE_INTERVAL,
            ramp_index: 0,
            shot_timer: 0,
            surface: true,
            terminal: false,
        }
    }

    /// Keeps the lists' allocations.
    fn reset(&mut self, _random: &mut impl RandomSource) {
        let mut lists = [
            std::mem::take(&mut self.friendly_bullets),
            std::mem::take(&mut self.enemy_bullets),
            std::mem::take(&mut self.fish),
            std::mem::take(&mut self.divers),
        ];
        let mut subs = std::mem::take(&mut self.subs);
        lists.iter_mut().for_each(Vec::clear);
        subs.clear();
        let [friendly_bullets, enemy_bullets, fish, divers] = lists;
        *self = Seaquest { friendly_bullets, enemy_bullets, fish, divers, subs, ..Seaquest::new(self.ramping) };
    }

    fn act(&mut self, action: Action, random: &mut impl RandomSource) -> (f32, bool) {
        if self.terminal {
            return (0.0, true);
        }
        if self.e_spawn_timer == 0 {
            self.spawn_enemy(random);
            self.e_spawn_timer = self.e_spawn_speed;
        }
        if self.d_spawn_timer == 0 {
            self.spawn_diver(random);
            self.d_spawn_timer = DIVER_SPAWN_SPEED;
        }
        match action {
            Action::Fire if self.shot_timer == 0 => {
                let bullet = Mover { x: self.sub_x, y: self.sub_y, right: self.sub_right, timer: 0 };
                self.friendly_bullets.push(bullet);
                self.shot_timer = SHOT_COOL_DOWN;
            }
            Action::Left => (self.sub_x, self.sub_right) = ((self.sub_x - 1).max(0), false),
            Action::Right => (self.sub_x, self.sub_right) = ((self.sub_x + 1).min(9), true),
            Action::Up => self.sub_y = (self.sub_y - 1).max(0),
            Action::Down => self.sub_y = (self.sub_y + 1).min(8),
            _ => {}
        }
        let mut reward = self.move_friendly_bullets();
        self.move_divers();
        reward += self.move_subs();
        self.move_enemy_bullets();
        reward += self.move_fish();
        self.e_spawn_timer -= i32::from(self.e_spawn_timer > 0);
        self.d_spawn_timer -= i32::from(self.d_spawn_timer > 0);
        self.shot_timer -= i32::from(self.shot_timer > 0);
        if self.oxygen <= 0 {
            self.terminal = true;
        }
        if self.sub_y > 0 {
            self.oxygen -= 1;
            self.surface = false;
        } else if !self.surface {
            if self.diver_count == 0 {
                self.terminal = true;
            } else {
                reward += self.surface();
            }
        }
        (reward, self.terminal)
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        let one = O::from_byte(1, 1.0);
        let mut mark = |channel: usize, y: i32, x: i32| {
            if (0..10).contains(&y) && (0..10).contains(&x) {
                obs[channel * CELLS + (y * 10 + x) as usize] = one;
            }
        };
        mark(SUB_FRONT, self.sub_y, self.sub_x);
        mark(SUB_BACK, self.sub_y, if self.sub_right { self.sub_x - 1 } else { self.sub_x + 1 });
        for x in 0..self.oxygen.max(0) * 10 / MAX_OXYGEN {
            mark(OXYGEN_GAUGE, 9, x);
        }
        for x in 9 - self.diver_count..9 {
            mark(DIVER_GAUGE, 9, x);
        }
        for b in &self.friendly_bullets {
            mark(FRIENDLY_BULLET, b.y, b.x);
        }
        for b in &self.enemy_bullets {
            mark(ENEMY_BULLET, b.y, b.x);
        }
        let movers = self.fish.iter().map(|f| (ENEMY_FISH, f));
        let movers = movers.chain(self.subs.iter().map(|s| (ENEMY_SUB, &s.body)));
        for (channel, m) in movers.chain(self.divers.iter().map(|d| (DIVER, d))) {
            mark(channel, m.y, m.x);
            if let Some(back) = m.trail() {
                mark(TRAIL, m.y, back);
            }
        }
    }

    fn difficulty_ramp(&self) -> Option<u32> {
        Some(self.ramp_index)
    }
}

inventory::submit! {
    EnvEntry {
        name: Seaquest::NAME,
        description: "MinAtar Seaquest: shoot enemies (+1), rescue divers, surface for oxygen (10×10×10, 6 actions)",
        options: OPTIONS,
        spec: spec_of::<Seaquest>,
        make: make::<Seaquest>,
    }
}
