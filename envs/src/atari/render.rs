//! Pictures of Atari observations for `mgrl play`: the newest frame of the stack in gray,
//! each pixel drawn as a 4 × 4 block.

use crate::render::{colour, Canvas};

/// Pixels of the picture per pixel of the observation.
const SCALE: usize = 4;

/// The side of the square frames in `len` elements: the largest side ≤ 160 whose square
/// divides `len` into at most 16 frames (84 for the default 4 × 84 × 84).
fn frame_side(len: usize) -> usize {
    (1..=160).rev().find(|s| len.is_multiple_of(s * s) && len / (s * s) <= 16).unwrap_or(1)
}

/// The newest frame of an observation `[frames, side, side]` with values in [0, 1].
pub fn draw(obs: &[f32]) -> Canvas {
    let side = frame_side(obs.len());
    let newest = &obs[obs.len() - side * side..];
    let mut canvas = Canvas::new(side * SCALE, side * SCALE, colour::BACKGROUND);
    let top = f32::from(colour::GRAYS - 1);
    for (i, &v) in newest.iter().enumerate() {
        let (y, x) = (i / side, i % side);
        let gray = colour::FIRST_GRAY + (v.clamp(0.0, 1.0) * top).round() as u8;
        canvas.fill_rect(x * SCALE, y * SCALE, (x + 1) * SCALE, (y + 1) * SCALE, gray);
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_the_newest_frame_in_gray() {
        assert_eq!(frame_side(4 * 84 * 84), 84);
        assert_eq!(frame_side(2 * 42 * 42), 42);
        let mut obs = vec![0.0; 4 * 84 * 84];
        obs[3 * 84 * 84] = 1.0; // top-left pixel of the newest frame: white
        let c = draw(&obs);
        assert_eq!((c.width, c.height), (336, 336));
        assert_eq!(c.get(0, 0), colour::FIRST_GRAY + colour::GRAYS - 1);
        assert_eq!(c.get(4, 0), colour::FIRST_GRAY);
    }
}
