//! CartPole, Gymnasium's `CartPole-v1` (`gymnasium/envs/classic_control/cartpole.py`), after
//! Barto, Sutton & Anderson (1983), "Neuronlike adaptive elements that can solve difficult
//! learning control problems"; registered as `cartpole`.
//!
//! The state s = (x, ẋ, θ, θ̇) (cart position and velocity, pole angle from upright and its
//! rate) is kept in f64. Action 0 pushes the cart with F = −10 N, action 1 with F = +10 N.
//! With gravity g = 9.8, cart mass m_c = 1, pole mass m_p = 0.1, half-length l = 0.5 and
//! M = m_c + m_p:
//!
//! ```text
//! temp = (F + m_p·l·θ̇²·sin θ) / M
//! θ̈    = (g·sin θ − cos θ·temp) / (l·(4/3 − m_p·cos²θ / M))
//! ẍ    = temp − m_p·l·θ̈·cos θ / M
//! ```
//!
//! and one explicit Euler step of τ = 0.02 s: x ← x + τẋ, ẋ ← ẋ + τẍ, θ ← θ + τθ̇,
//! θ̇ ← θ̇ + τθ̈ (each from the old values). Every step gives reward 1, the last one
//! included; the episode terminates when |x| > 2.4 or |θ| > 12° and is truncated after
//! `max_episode_steps` (500) steps. Episodes start from s ~ U[−0.05, 0.05)⁴. The
//! observation is s as f32, `[4]`.

use crate::registry::{self, EnvEntry, EnvOption};
use crate::render::{colour, Canvas, ObsPicture};
use crate::Obs;
use crate::{env_seed, Env, EnvError, EnvSpec, Transition, VecEnv, Vectorized};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The registered name.
pub const NAME: &str = "cartpole";

const GRAVITY: f64 = 9.8;
const MASS_CART: f64 = 1.0;
const MASS_POLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASS_POLE + MASS_CART;
/// Half the pole's length.
const HALF_LENGTH: f64 = 0.5;
const POLE_MASS_LENGTH: f64 = MASS_POLE * HALF_LENGTH;
const FORCE_MAG: f64 = 10.0;
/// Seconds between state updates.
const TAU: f64 = 0.02;
/// 12°, written as Gymnasium computes it.
pub const THETA_THRESHOLD: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
pub const X_THRESHOLD: f64 = 2.4;
/// Bound of the uniform initial state.
const INITIAL_BOUND: f64 = 0.05;

/// A step takes 21–65 ns, so a share is worth handing to another thread (10–15 µs) for 512
/// carts or more (BENCHMARKS.md: B = 1024 on two cores takes half the time of one).
const MIN_ENVS_PER_THREAD: usize = 512;

/// The `[env]` options of `cartpole`, as [`CartPoleOptions`] reads them.
const OPTIONS: &[EnvOption] = &[EnvOption {
    name: "max_episode_steps",
    doc: "steps after which an episode is truncated (at least 1)",
    default: "500",
}];

/// The `[env]` options of `cartpole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CartPoleOptions {
    /// Steps after which an episode is truncated (500 in `CartPole-v1`; at least 1).
    pub max_episode_steps: u64,
}

impl Default for CartPoleOptions {
    fn default() -> Self {
        CartPoleOptions { max_episode_steps: 500 }
    }
}

/// The observation shape and the two actions.
pub fn spec() -> EnvSpec {
    EnvSpec { name: NAME.into(), obs_shape: vec![4], num_actions: 2, num_states: None }
}

/// One cart with its pole; its serde form is its saved state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CartPole {
    /// (x, ẋ, θ, θ̇).
    state: [f64; 4],
    rng: ChaCha8Rng,
}

impl CartPole {
    pub fn new(seed: u64) -> Self {
        CartPole { state: [0.0; 4], rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// (x, ẋ, θ, θ̇).
    pub fn state(&self) -> [f64; 4] {
        self.state
    }

    /// Puts the cart in `state` (x, ẋ, θ, θ̇) and writes its observation, e.g. to replay an
    /// episode recorded elsewhere from its initial state.
    pub fn set_state(&mut self, state: [f64; 4], obs: &mut [f32]) {
        self.state = state;
        self.write_obs(obs);
    }

    fn write_obs<O: Obs>(&self, obs: &mut [O]) {
        for (o, s) in obs.iter_mut().zip(self.state) {
            *o = O::from_real(s as f32);
        }
    }
}

impl Env for CartPole {
    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        self.state = std::array::from_fn(|_| self.rng.gen_range(-INITIAL_BOUND..INITIAL_BOUND));
        self.write_obs(obs);
    }

    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition {
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
        let (sin, cos) = theta.sin_cos();
        // The operations in Gymnasium's order, so that states agree to the last bits.
        let temp = (force + POLE_MASS_LENGTH * theta_dot.powi(2) * sin) / TOTAL_MASS;
        let theta_acc =
            (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4.0 / 3.0 - MASS_POLE * cos.powi(2) / TOTAL_MASS));
        let x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos / TOTAL_MASS;
        self.state = [x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc];
        self.write_obs(obs);
        let [x, _, theta, _] = self.state;
        let terminated =
            !(-X_THRESHOLD..=X_THRESHOLD).contains(&x) || !(-THETA_THRESHOLD..=THETA_THRESHOLD).contains(&theta);
        Transition { reward: 1.0, terminated, truncated: false }
    }
}

/// B carts from the `[env]` options; cart i is seeded with [`env_seed`]`(seed, i)`.
pub fn vectorized(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Vectorized<CartPole>, EnvError> {
    let opts = checked_options(options)?;
    let envs = (0..num_envs).map(|i| CartPole::new(env_seed(seed, i))).collect();
    Ok(Vectorized::new(spec(), envs, Some(opts.max_episode_steps))?.with_min_envs_per_thread(MIN_ENVS_PER_THREAD))
}

fn checked_options(options: &toml::Table) -> Result<CartPoleOptions, EnvError> {
    let opts: CartPoleOptions = registry::options(NAME, options)?;
    if opts.max_episode_steps == 0 {
        let (key, message) = ("max_episode_steps".into(), "`max_episode_steps` must be at least 1".into());
        return Err(EnvError::Option { env: NAME.into(), key, message });
    }
    Ok(opts)
}

/// [`spec`] once the `[env]` options are checked (for the registry).
fn spec_of(options: &toml::Table) -> Result<EnvSpec, EnvError> {
    checked_options(options).map(|_| spec())
}

fn make(num_envs: usize, seed: u64, options: &toml::Table) -> Result<Box<dyn VecEnv>, EnvError> {
    Ok(Box::new(vectorized(num_envs, seed, options)?))
}

inventory::submit! {
    EnvEntry {
        name: NAME,
        description: "Gymnasium CartPole-v1: keep the pole upright, +1 per step, 500 steps at most",
        options: OPTIONS,
        spec: spec_of,
        make,
    }
}

/// The scene of an observation (x, ẋ, θ, θ̇), after Gymnasium's drawing: the track with the
/// ±2.4 limits marked, the cart at x and the pole leaning by θ (positive to the right).
fn draw(obs: &[f32]) -> Canvas {
    const WIDTH: usize = 480;
    const HEIGHT: usize = 200;
    // Pixels per metre: the track from −3 m to 3 m fills the width.
    const SCALE: f64 = WIDTH as f64 / 6.0;
    const TRACK_Y: f64 = 150.0;
    let (cart_w, cart_h, pole_w) = (40.0, 24.0, 8.0);
    let pole_len = 2.0 * HALF_LENGTH * SCALE;
    let mut canvas = Canvas::new(WIDTH, HEIGHT, colour::BACKGROUND);
    let to_px = |x: f64| WIDTH as f64 / 2.0 + x * SCALE;
    canvas.fill_rect(0, TRACK_Y as usize, WIDTH, TRACK_Y as usize + 1, colour::TRACK);
    for limit in [-X_THRESHOLD, X_THRESHOLD] {
        let x = to_px(limit) as usize;
        canvas.fill_rect(x, TRACK_Y as usize - 30, x + 1, TRACK_Y as usize + 10, colour::LIMIT);
    }
    let (x, theta) = (f64::from(obs[0]), f64::from(obs[2]));
    if !(x.is_finite() && theta.is_finite()) {
        return canvas;
    }
    let cx = to_px(x);
    canvas.fill_convex(
        &[
            (cx - cart_w / 2.0, TRACK_Y - cart_h / 2.0),
            (cx + cart_w / 2.0, TRACK_Y - cart_h / 2.0),
            (cx + cart_w / 2.0, TRACK_Y + cart_h / 2.0),
            (cx - cart_w / 2.0, TRACK_Y + cart_h / 2.0),
        ],
        colour::CART,
    );
    // The pole from the axle, a quarter of the cart's height above its centre; y grows down.
    let axle_y = TRACK_Y - cart_h / 4.0;
    let (along, across) = ((theta.sin(), -theta.cos()), (theta.cos(), theta.sin()));
    let corner = |a: f64, c: f64| (cx + a * along.0 + c * across.0, axle_y + a * along.1 + c * across.1);
    let half = pole_w / 2.0;
    canvas.fill_convex(
        &[corner(-half, -half), corner(pole_len - half, -half), corner(pole_len - half, half), corner(-half, half)],
        colour::POLE,
    );
    canvas.fill_circle(cx, axle_y, pole_w / 2.0, colour::AXLE);
    canvas
}

inventory::submit! {
    ObsPicture { env: NAME, draw, delay_cs: 4 }
}
