//! One episode of a registered environment under a uniformly random policy, written as an
//! animated GIF (`mgrl play ENV`).
//!
//! The environment is built with B = 1 from the seed; the policy draws its actions from
//! stream 1 of a ChaCha8 generator seeded with the same seed, so a seed fixes the whole
//! animation. Frames are the first observation, then the observation after each step (the
//! final one at the end of the episode), drawn by [`crate::render::Painter`].

use crate::render::{Painter, MAX_SIDE, PALETTE};
use crate::{registry, EnvError, StepBuffers};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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
    let painter = Painter::for_spec(&spec)
        .ok_or_else(|| PlayError::TooLarge { env: name.into(), shape: spec.obs_shape.clone() })?;

    let mut policy = ChaCha8Rng::seed_from_u64(seed);
    policy.set_stream(1);
    let mut out = StepBuffers::new(&spec, 1);
    env.reset(&mut out.obs)?;
    let mut frames = vec![painter.draw(&out.obs)];
    let mut stats = PlayStats { steps: 0, episode_return: 0.0, terminated: false, truncated: false };
    while stats.steps < max_steps && !(stats.terminated || stats.truncated) {
        env.step(&[policy.gen_range(0..spec.num_actions)], &mut out)?;
        stats.steps += 1;
        stats.episode_return += f64::from(out.rewards[0]);
        stats.terminated = out.terminated[0];
        stats.truncated = out.truncated[0];
        let shown = if stats.terminated || stats.truncated { &out.final_obs } else { &out.obs };
        frames.push(painter.draw(shown));
    }

    let write_error = |message: String| PlayError::Write { path: path.to_path_buf(), message };
    let file = std::fs::File::create(path).map_err(|e| write_error(e.to_string()))?;
    let (width, height) = (frames[0].width as u16, frames[0].height as u16);
    let mut encoder = gif::Encoder::new(std::io::BufWriter::new(file), width, height, PALETTE.as_flattened())
        .map_err(|e| write_error(e.to_string()))?;
    encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| write_error(e.to_string()))?;
    let last = frames.len() - 1;
    for (i, canvas) in frames.into_iter().enumerate() {
        let mut frame = gif::Frame::from_indexed_pixels(width, height, canvas.pixels, None);
        // The last frame stays a second before the animation loops.
        frame.delay = if i == last { painter.delay_cs.max(100) } else { painter.delay_cs };
        encoder.write_frame(&frame).map_err(|e| write_error(e.to_string()))?;
    }
    // Finishing writes the trailer; flushing reports the last write errors.
    encoder.into_inner().and_then(|mut w| std::io::Write::flush(&mut w)).map_err(|e| write_error(e.to_string()))?;
    Ok(stats)
}
