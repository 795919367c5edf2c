//! The element types observations are written in: every environment's rows can be taken as
//! `f32`; an environment whose observations are bytes (Atari's 0–255 pixels, MinAtar's 0/1
//! grids) also writes them as `u8`, a quarter of the memory and no widening:
//!
//!   f32 value = scale · byte,        scale = [`Env::BYTE_SCALE`] (1/255 for Atari, 1 for MinAtar).
//!
//! What a network needs to take bytes is only that rule: the byte rows (`VecEnv::step_u8`)
//! and the scale (`VecEnv::byte_scale`), widened where it reads its input (on its device).
//! Environments write straight into the caller's element type ([`Obs`]), so neither form
//! costs a second pass over the observation.
//!
//! [`Env::BYTE_SCALE`]: crate::Env::BYTE_SCALE

/// An element of an observation buffer: `f32`, or `u8` for environments whose observations
/// are bytes.
pub trait Obs: Copy + Default + Send + Sync + 'static {
    /// The byte b of an observation whose f32 value is `scale` · b: that value as f32, b as u8.
    fn from_byte(b: u8, scale: f32) -> Self;

    /// A real-valued observation: itself as f32; as u8 rounded and saturated, which no caller
    /// sees (byte buffers are refused by environments without [`crate::Env::BYTE_SCALE`]).
    fn from_real(v: f32) -> Self;
}

impl Obs for f32 {
    fn from_byte(b: u8, scale: f32) -> f32 {
        scale * f32::from(b)
    }

    fn from_real(v: f32) -> f32 {
        v
    }
}

impl Obs for u8 {
    fn from_byte(b: u8, _: f32) -> u8 {
        b
    }

    fn from_real(v: f32) -> u8 {
        v.round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_widen_by_the_scale_and_stay_bytes_as_bytes() {
        assert_eq!([0, 1, 255].map(|b| f32::from_byte(b, 1.0 / 255.0)), [0.0, 1.0 / 255.0, 1.0]);
        assert_eq!([0, 1, 255].map(|b| u8::from_byte(b, 1.0 / 255.0)), [0, 1, 255]);
        assert_eq!(f32::from_real(-0.25), -0.25);
    }
}
