//! MinAtar Freeway (`minatar/environments/freeway.py`), registered as `minatar/freeway`.
//!
//! The chicken crosses eight lanes of traffic in column 4, moving up or down at most once
//! every 3 frames. Reaching the top row gives +1, sends the chicken back to the bottom and
//! draws new car speeds; a car hitting it sends it back to the bottom. Car i drives in row
//! i + 1 with speed s ∈ {±1, …, ±5}: it moves one cell (wrapping round) every |s| + 1
//! frames, and its trail, behind it, is in channel `speed|s|`. The episode terminates after
//! 2500 frames (2501 steps). No difficulty ramp.

use super::options::{make, spec_of, OPTIONS};
use super::{Action, Game, RandomSource, CELLS};
use crate::registry::EnvEntry;
use crate::Obs;
use serde::{Deserialize, Serialize};

const CHICKEN: usize = 0;
const CAR: usize = 1;
/// Channel of the trail of a car with speed ±1; ±2..±5 follow.
const SPEED1: usize = 2;

const PLAYER_SPEED: i32 = 3;
const TIME_LIMIT: i32 = 2500;

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Car {
    x: i32,
    y: i32,
    /// Frames until the car next moves.
    timer: i32,
    /// Signed speed: positive drives right.
    speed: i32,
}

/// One Freeway road.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Freeway {
    cars: [Car; 8],
    /// The chicken's row (column 4).
    pos: i32,
    move_timer: i32,
    terminate_timer: i32,
    terminal: bool,
}

impl Freeway {
    /// New speeds `randint(1, 6)` × 8, then directions sign(`rand()` − 0.5) × 8 (numpy's
    /// `randint(1, 6, 8)` and `rand(8)`); at the start of an episode cars also go to column 0.
    fn randomize_cars(&mut self, random: &mut impl RandomSource, initialize: bool) {
        let speeds: [i64; 8] = std::array::from_fn(|_| random.randint(1, 6));
        for (i, (car, speed)) in self.cars.iter_mut().zip(speeds).enumerate() {
            // np.sign: exactly 0.5 gives 0, a car that never drives right (as the reference).
            let u = random.rand() - 0.5;
            let speed = speed as i32
                * if u > 0.0 {
                    1
                } else if u < 0.0 {
                    -1
                } else {
                    0
                };
            if initialize {
                *car = Car { x: 0, y: i as i32 + 1, timer: speed.abs(), speed };
            } else {
                (car.timer, car.speed) = (speed.abs(), speed);
            }
        }
    }
}

impl Game for Freeway {
    const NAME: &'static str = "minatar/freeway";
    const CHANNELS: &'static [&'static str] = &["chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"];
    const ACTIONS: &'static [Action] = &[Action::Noop, Action::Up, Action::Down];

    fn new(_ramping: bool) -> Self {
        Freeway {
            cars: [Car::default(); 8],
            pos: 9,
            move_timer: PLAYER_SPEED,
            terminate_timer: TIME_LIMIT,
            terminal: false,
        }
    }

    fn reset(&mut self, random: &mut impl RandomSource) {
        *self = Freeway::new(false);
        self.randomize_cars(random, true);
    }

    fn act(&mut self, action: Action, random: &mut impl RandomSource) -> (f32, bool) {
        if self.terminal {
            return (0.0, true);
        }
        let mut reward = 0.0;
        match action {
            Action::Up if self.move_timer == 0 => {
                self.move_timer = PLAYER_SPEED;
                self.pos = (self.pos - 1).max(0);
            }
            Action::Down if self.move_timer == 0 => {
                self.move_timer = PLAYER_SPEED;
                self.pos = (self.pos + 1).min(9);
            }
            _ => {}
        }
        if self.pos == 0 {
            reward += 1.0;
            self.randomize_cars(random, false);
            self.pos = 9;
        }
        for car in &mut self.cars {
            if (car.x, car.y) == (4, self.pos) {
                self.pos = 9;
            }
            if car.timer == 0 {
                car.timer = car.speed.abs();
                car.x += if car.speed > 0 { 1 } else { -1 };
                car.x = car.x.rem_euclid(10);
                if (car.x, car.y) == (4, self.pos) {
                    self.pos = 9;
                }
            } else {
                car.timer -= 1;
            }
        }
        self.move_timer -= i32::from(self.move_timer > 0);
        self.terminate_timer -= 1;
        if self.terminate_timer < 0 {
            self.terminal = true;
        }
        (reward, self.terminal)
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        let one = O::from_byte(1, 1.0);
        let cell = |y: i32, x: i32| (y * 10 + x) as usize;
        obs[CHICKEN * CELLS + cell(self.pos, 4)] = one;
        for car in &self.cars {
            obs[CAR * CELLS + cell(car.y, car.x)] = one;
            let back = (car.x + if car.speed > 0 { -1 } else { 1 }).rem_euclid(10);
            // A speed of 0 (probability 2⁻⁵³ a car) has no trail channel in the reference either.
            if car.speed != 0 {
                let channel = SPEED1 + car.speed.unsigned_abs() as usize - 1;
                obs[channel * CELLS + cell(car.y, back)] = one;
            }
        }
    }

    fn difficulty_ramp(&self) -> Option<u32> {
        None
    }
}

inventory::submit! {
    EnvEntry {
        name: Freeway::NAME,
        description: "MinAtar Freeway: cross the road, +1 a crossing, 2500 frames (10×10×7, 3 actions)",
        options: OPTIONS,
        spec: spec_of::<Freeway>,
        make: make::<Freeway>,
    }
}
