//! One episode of a registered environment under a uniformly random policy, written as an
//! animated GIF (`mgrl play ENV`).
//!
//! The environment is built with B = 1 from the seed; the policy draws its actions from
//! stream 1 of a ChaCha8 generator seeded with the same seed, so a seed fixes the whole
//! animation. Frames are the first observation, then the observation after each step (the
//! final one at the end of the episode), drawn by [`crate::render::Painter`].

use crate::render::{Canvas, Painter, MAX_SIDE, PALETTE};
use crate::{registry, EnvError, StepBuffers};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What the recorded episode did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayStats {
    /// Steps taken (frames written: one more).
    pub steps: usize,
    /// The sum of the rewards.
    pub episode_return: f64,
    /// The episode reached a terminal state.
    pub terminated: bool,
    /// The environment's time limit cut it.
    pub truncated: bool,
}

/// Why no animation was written.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    #[error(transparent)]
    Env(#[from] EnvError),

    #[error("`max_steps` must be at least 1")]
    NoSteps,

    #[error("{env}: observations of shape {shape:?} are too large to draw (at most {MAX_SIDE} pixels a side)")]
    TooLarge { env: String, shape: Vec<usize> },

    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

/// Plays one episode of `name` (built from `options`) for at most `max_steps` steps with
/// uniformly random actions and writes it to `path` as a looping GIF.
pub fn play_gif(
    name: &str,
    seed: u64,
    options: &toml::Table,
    path: &Path,
    max_steps: usize,
) -> Result<PlayStats, PlayError> {
    if max_steps == 0 {
        return Err(PlayError::NoSteps);
    }
    let mut env = registry::make(name, 1, seed, options)?;
    let spec = env.spec().clone();
    if spec.num_actions == 0 {
        return Err(EnvError::Config { env: name.into(), message: "has no actions to choose from".into() }.into());
    }
    let painter = Painter::for_spec(&spec)
        .ok_or_else(|| PlayError::TooLarge { env: name.into(), shape: spec.obs_shape.clone() })?;
    let mut out = StepBuffers::new(&spec, 1);
    env.reset(&mut out.obs)?;
    let first = painter.draw(&out.obs);
    let mut gif = GifWriter::create(path, first.width, first.height)?;

    let mut policy = ChaCha8Rng::seed_from_u64(seed);
    policy.set_stream(1);
    let mut shown = first;
    let mut stats = PlayStats { steps: 0, episode_return: 0.0, terminated: false, truncated: false };
    while stats.steps < max_steps && !(stats.terminated || stats.truncated) {
        env.step(&[policy.gen_range(0..spec.num_actions)], &mut out)?;
        stats.steps += 1;
        stats.episode_return += f64::from(out.rewards[0]);
        stats.terminated = out.terminated[0];
        stats.truncated = out.truncated[0];
        let obs = if stats.terminated || stats.truncated { &out.final_obs } else { &out.obs };
        gif.frame(std::mem::replace(&mut shown, painter.draw(obs)), painter.delay_cs)?;
    }
    // The last frame stays a second before the animation loops.
    gif.frame(shown, painter.delay_cs.max(100))?;
    gif.finish()?;
    Ok(stats)
}

/// A looping GIF in [`PALETTE`], written frame by frame.
struct GifWriter<'a> {
    path: &'a Path,
    encoder: gif::Encoder<BufWriter<File>>,
    width: usize,
    height: usize,
}

impl<'a> GifWriter<'a> {
    fn create(path: &'a Path, width: usize, height: usize) -> Result<Self, PlayError> {
        let error = |e: &dyn std::fmt::Display| PlayError::Write { path: path.to_path_buf(), message: e.to_string() };
        let file = File::create(path).map_err(|e| error(&e))?;
        let (w, h) = (u16::try_from(width).map_err(|e| error(&e))?, u16::try_from(height).map_err(|e| error(&e))?);
        let mut encoder =
            gif::Encoder::new(BufWriter::new(file), w, h, PALETTE.as_flattened()).map_err(|e| error(&e))?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| error(&e))?;
        Ok(GifWriter { path, encoder, width, height })
    }

    fn error(&self, message: impl ToString) -> PlayError {
        PlayError::Write { path: self.path.to_path_buf(), message: message.to_string() }
    }

    /// One frame shown for `delay_cs` hundredths of a second; every frame has the first's size.
    fn frame(&mut self, canvas: Canvas, delay_cs: u16) -> Result<(), PlayError> {
        if (canvas.width, canvas.height) != (self.width, self.height) {
            let (w, h) = (canvas.width, canvas.height);
            return Err(self.error(format!("a picture of {w}×{h} pixels after ones of {}×{}", self.width, self.height)));
        }
        let mut frame = gif::Frame::from_indexed_pixels(self.width as u16, self.height as u16, canvas.pixels, None);
        frame.delay = delay_cs;
        self.encoder.write_frame(&frame).map_err(|e| self.error(e))
    }

    /// Writes the trailer and flushes, reporting the last write errors.
    fn finish(self) -> Result<(), PlayError> {
        let path = self.path;
        let error = |e: std::io::Error| PlayError::Write { path: path.to_path_buf(), message: e.to_string() };
        self.encoder.into_inner().map_err(error)?.flush().map_err(error)
    }
}
