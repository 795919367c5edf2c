//! Pictures of observations, for animations of episodes ([`crate::play`]).
//!
//! Every observation has a picture without help: images `[C, H, W]` become grids of
//! scaled-up cells, each channel in its own colour (the last channel that is on wins a
//! cell, as in MinAtar's own display); any other shape is drawn as one bar per element,
//! height proportional to its value. An environment whose observation is a physical state
//! draws a scene instead by registering an [`ObsPicture`] in its own file:
//!
//! ```
//! use mgrl_envs::render::{Canvas, ObsPicture};
//!
//! /// A bar as long as the first number of the observation.
//! fn draw(obs: &[f32]) -> Canvas {
//!     let mut canvas = Canvas::new(100, 10, 0);
//!     canvas.fill_rect(0, 0, (obs[0].clamp(0.0, 1.0) * 99.0) as usize, 9, 1);
//!     canvas
//! }
//!
//! mgrl_core::inventory::submit! { ObsPicture { env: "my_env", draw, delay_cs: 4 } }
//!
//! let spec = mgrl_envs::EnvSpec { name: "my_env".into(), obs_shape: vec![1], num_actions: 2, num_states: None };
//! let painter = mgrl_envs::render::Painter::for_spec(&spec).unwrap();
//! assert_eq!((painter.delay_cs, painter.draw(&[0.5]).width), (4, 100));
//! ```

use crate::EnvSpec;

/// Colours, as indices into [`PALETTE`].
pub mod colour {
    pub const BACKGROUND: u8 = 0;
    pub const GRID: u8 = 1;
    /// The first of [`CHANNELS`] colours given to image channels in turn.
    pub const FIRST_CHANNEL: u8 = 2;
    pub const CHANNELS: u8 = 10;
    pub const POSITIVE: u8 = 12;
    pub const NEGATIVE: u8 = 13;
    pub const CART: u8 = 14;
    pub const POLE: u8 = 15;
    pub const AXLE: u8 = 16;
    pub const TRACK: u8 = 17;
    pub const LIMIT: u8 = 18;
    /// The darkest of [`GRAYS`] levels of gray, black to white, for camera-like pictures.
    pub const FIRST_GRAY: u8 = 19;
    pub const GRAYS: u8 = 32;
}

/// RGB of each colour index (a GIF's global palette).
pub const PALETTE: [[u8; 3]; 51] = with_grays([
    [20, 20, 28],    // background
    [48, 48, 60],    // grid
    [230, 80, 70],   // channel 0: red
    [80, 170, 240],  // channel 1: blue
    [250, 200, 60],  // channel 2: yellow
    [100, 210, 110], // channel 3: green
    [200, 110, 230], // channel 4: violet
    [250, 140, 40],  // channel 5: orange
    [60, 210, 200],  // channel 6: teal
    [240, 120, 180], // channel 7: pink
    [170, 170, 170], // channel 8: grey
    [150, 110, 70],  // channel 9: brown
    [100, 200, 120], // positive bar
    [220, 90, 90],   // negative bar
    [235, 235, 235], // cart
    [202, 152, 101], // pole (Gymnasium's colour)
    [129, 132, 203], // axle (Gymnasium's colour)
    [130, 130, 140], // track
    [200, 60, 60],   // limits
]);

/// The 19 colours followed by [`colour::GRAYS`] evenly spaced levels of gray.
const fn with_grays(colours: [[u8; 3]; 19]) -> [[u8; 3]; 51] {
    let mut all = [[0; 3]; 51];
    let mut i = 0;
    while i < 51 {
        all[i] = if i < 19 {
            colours[i]
        } else {
            let level = ((i - 19) * 255 / (colour::GRAYS as usize - 1)) as u8;
            [level, level, level]
        };
        i += 1;
    }
    all
}

/// Images are drawn at most this many pixels wide or high (where each element still gets
/// a pixel).
const TARGET_SIZE: usize = 480;
/// The largest picture accepted, in either direction.
pub const MAX_SIDE: usize = 4096;

/// An image of palette indices, row-major from the top-left pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: usize, height: usize, colour: u8) -> Self {
        Canvas { width, height, pixels: vec![colour; width * height] }
    }

    pub fn get(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// Fills the pixels x0 ≤ x < x1, y0 ≤ y < y1 (clipped to the canvas).
    pub fn fill_rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, colour: u8) {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        for y in y0.min(y1)..y1 {
            self.pixels[y * self.width + x0.min(x1)..y * self.width + x1].fill(colour);
        }
    }

    /// Fills the pixels whose centres lie inside the convex polygon with `corners` (in
    /// order, either direction), clipped to the canvas.
    pub fn fill_convex(&mut self, corners: &[(f64, f64)], colour: u8) {
        let (lo_x, hi_x) = span(corners.iter().map(|c| c.0), self.width);
        let (lo_y, hi_y) = span(corners.iter().map(|c| c.1), self.height);
        let edges: Vec<_> = corners.iter().zip(corners.iter().cycle().skip(1)).collect();
        for y in lo_y..hi_y {
            for x in lo_x..hi_x {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let sides = edges.iter().map(|(a, b)| (b.0 - a.0) * (py - a.1) - (b.1 - a.1) * (px - a.0));
                let (mut neg, mut pos) = (false, false);
                for s in sides {
                    neg |= s < 0.0;
                    pos |= s > 0.0;
                }
                if !(neg && pos) {
                    self.pixels[y * self.width + x] = colour;
                }
            }
        }
    }

    /// Fills the pixels whose centres lie within `radius` of (cx, cy).
    pub fn fill_circle(&mut self, cx: f64, cy: f64, radius: f64, colour: u8) {
        let (lo_x, hi_x) = span([cx - radius, cx + radius].into_iter(), self.width);
        let (lo_y, hi_y) = span([cy - radius, cy + radius].into_iter(), self.height);
        for y in lo_y..hi_y {
            for x in lo_x..hi_x {
                if (x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2) <= radius * radius {
                    self.pixels[y * self.width + x] = colour;
                }
            }
        }
    }
}

/// The pixel range [lo, hi) covering the coordinates, clipped to 0..size.
fn span(coords: impl Iterator<Item = f64>, size: usize) -> (usize, usize) {
    let (lo, hi) = coords.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c), hi.max(c)));
    let clip = |v: f64| v.clamp(0.0, size as f64) as usize;
    (clip(lo.floor()), clip(hi.ceil()))
}

/// A scene drawn from an environment's observation, registered by the environment.
pub struct ObsPicture {
    /// The registered environment name.
    pub env: &'static str,
    /// The picture of one observation.
    pub draw: fn(obs: &[f32]) -> Canvas,
    /// Hundredths of a second between frames.
    pub delay_cs: u16,
}

inventory::collect!(ObsPicture);

/// Hundredths of a second between frames of the default pictures.
const DEFAULT_DELAY_CS: u16 = 12;

/// How an environment's observations are drawn.
pub struct Painter {
    draw: Draw,
    /// Hundredths of a second between frames.
    pub delay_cs: u16,
}

enum Draw {
    Scene(fn(&[f32]) -> Canvas),
    Grid { channels: usize, rows: usize, columns: usize, cell: usize },
    Bars { len: usize, bar: usize },
}

impl Painter {
    /// The environment's registered scene, else a grid for `[C, H, W]`, else bars; `None`
    /// when the picture would be larger than [`MAX_SIDE`].
    pub fn for_spec(spec: &EnvSpec) -> Option<Self> {
        if let Some(p) = inventory::iter::<ObsPicture>.into_iter().find(|p| p.env == spec.name) {
            return Some(Painter { draw: Draw::Scene(p.draw), delay_cs: p.delay_cs });
        }
        let draw = match spec.obs_shape[..] {
            [channels, rows, columns] => {
                let cell = (TARGET_SIZE / rows.max(columns).max(1)).clamp(1, 32);
                (rows.max(columns) * cell <= MAX_SIDE).then_some(Draw::Grid { channels, rows, columns, cell })?
            }
            _ => {
                let len = spec.obs_len();
                let bar = (TARGET_SIZE / len.max(1)).clamp(1, 48);
                (len * bar <= MAX_SIDE).then_some(Draw::Bars { len, bar })?
            }
        };
        Some(Painter { draw, delay_cs: DEFAULT_DELAY_CS })
    }

    /// The picture of one observation (of the spec's length).
    pub fn draw(&self, obs: &[f32]) -> Canvas {
        match self.draw {
            Draw::Scene(draw) => draw(obs),
            Draw::Grid { channels, rows, columns, cell } => grid(obs, channels, rows, columns, cell),
            Draw::Bars { len, bar } => bars(&obs[..len], bar),
        }
    }
}

/// `[C, H, W]` as H × W cells of `cell` pixels, lined when cells are large enough; a cell
/// takes the colour of the last channel above 0.5 there.
fn grid(obs: &[f32], channels: usize, rows: usize, columns: usize, cell: usize) -> Canvas {
    let mut canvas = Canvas::new(columns * cell, rows * cell, colour::BACKGROUND);
    let line = usize::from(cell >= 8);
    for r in 0..rows {
        for c in 0..columns {
            let (x, y) = (c * cell, r * cell);
            let on = (0..channels).rev().find(|&ch| obs[(ch * rows + r) * columns + c] > 0.5);
            let fill =
                on.map_or(colour::BACKGROUND, |ch| colour::FIRST_CHANNEL + (ch % colour::CHANNELS as usize) as u8);
            canvas.fill_rect(x, y, x + cell, y + cell, colour::GRID);
            canvas.fill_rect(x + line, y + line, x + cell, y + cell, fill);
        }
    }
    canvas
}

/// One bar per element of `obs`, `bar` pixels wide, up from the middle line for positive
/// values and down for negative ones, the largest |value| reaching the edge.
fn bars(obs: &[f32], bar: usize) -> Canvas {
    const HALF: usize = 80;
    let mut canvas = Canvas::new(obs.len() * bar, 2 * HALF + 1, colour::BACKGROUND);
    canvas.fill_rect(0, HALF, canvas.width, HALF + 1, colour::GRID);
    let top = obs.iter().filter(|v| v.is_finite()).fold(0.0f32, |m, v| m.max(v.abs()));
    for (i, &v) in obs.iter().enumerate() {
        if top == 0.0 || !v.is_finite() {
            continue;
        }
        let h = (f64::from(v.abs() / top) * HALF as f64).round() as usize;
        let (x0, x1) = (i * bar + usize::from(bar > 2), (i + 1) * bar);
        if v > 0.0 {
            canvas.fill_rect(x0, HALF - h, x1, HALF, colour::POSITIVE);
        } else {
            canvas.fill_rect(x0, HALF + 1, x1, HALF + 1 + h, colour::NEGATIVE);
        }
    }
    canvas
}
