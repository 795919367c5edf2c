//! The image half of the standard Atari preprocessing (Mnih et al. 2015, "Human-level control
//! through deep reinforcement learning", Nature; Machado et al. 2018, "Revisiting the Arcade
//! Learning Environment", JAIR): the maximum of the last two frames of an action repeat, area
//! resampling of the 210 × 160 grayscale screen to a square, and a stack of the last frames.
//!
//! [`resize_area`] is OpenCV's `cv::resize(…, INTER_AREA)` for 8-bit single-channel images,
//! which Gymnasium's `AtariPreprocessing` and EnvPool use, to the bit: the same table of
//! source cells and weights (`computeResizeAreaTab`), the same `f32` sums in the same order
//! (`ResizeArea_Invoker`), rounded half to even (`saturate_cast<uchar>`).
//! envs/tests/atari_preprocessing.rs compares it with OpenCV's output pixel for pixel.

use crate::Obs;

/// `a[i] = max(a[i], b[i])`: the two last frames of an action repeat, so that objects drawn
/// on alternate frames show.
pub fn max_pool(a: &mut [u8], b: &[u8]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = (*x).max(y);
    }
}

/// One entry of an area-resampling table: source index `si` adds `alpha` of itself to
/// destination index `di`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    di: usize,
    si: usize,
    alpha: f32,
}

/// OpenCV's `computeResizeAreaTab`: which source pixels cover each destination pixel of a
/// row (or column) shrunk from `ssize` to `dsize`, and by how much.
fn area_table(ssize: usize, dsize: usize) -> Vec<Cell> {
    // OpenCV computes the scale as 1 / (dsize / ssize) in f64.
    let scale = 1.0 / (dsize as f64 / ssize as f64);
    let s = ssize as f64;
    let mut tab = Vec::with_capacity(2 * ssize);
    for dx in 0..dsize {
        let fsx1 = dx as f64 * scale;
        let fsx2 = fsx1 + scale;
        let cell_width = scale.min(s - fsx1);
        let mut sx1 = fsx1.ceil() as i64;
        let mut sx2 = fsx2.floor() as i64;
        sx2 = sx2.min(ssize as i64 - 1);
        sx1 = sx1.min(sx2);
        if sx1 as f64 - fsx1 > 1e-3 {
            tab.push(Cell { di: dx, si: (sx1 - 1) as usize, alpha: ((sx1 as f64 - fsx1) / cell_width) as f32 });
        }
        for sx in sx1..sx2 {
            tab.push(Cell { di: dx, si: sx as usize, alpha: (1.0 / cell_width) as f32 });
        }
        if fsx2 - sx2 as f64 > 1e-3 {
            let alpha = ((fsx2 - sx2 as f64).min(1.0).min(cell_width) / cell_width) as f32;
            tab.push(Cell { di: dx, si: sx2 as usize, alpha });
        }
    }
    tab
}

/// Shrinks 8-bit single-channel images of one size to another by area averaging, as OpenCV's
/// `INTER_AREA` (for shrinking by a factor that is not a whole number in either direction, as
/// 210 × 160 → 84 × 84; see the module doc). The tables are built once.
#[derive(Debug, Clone)]
pub struct AreaResize {
    src: (usize, usize),
    dst: (usize, usize),
    xtab: Vec<Cell>,
    ytab: Vec<Cell>,
}

impl AreaResize {
    /// From `src` = (height, width) to `dst` = (height, width), each no larger than the source.
    pub fn new(src: (usize, usize), dst: (usize, usize)) -> Self {
        assert!(dst.0 >= 1 && dst.1 >= 1 && dst.0 <= src.0 && dst.1 <= src.1, "area resampling only shrinks");
        AreaResize { src, dst, xtab: area_table(src.1, dst.1), ytab: area_table(src.0, dst.0) }
    }

    /// Shrinks `src` (`[height, width]` row-major) into `dst`. `buf` is scratch of
    /// 2 × the destination width.
    pub fn apply(&self, src: &[u8], dst: &mut [u8], buf: &mut Vec<f32>) {
        let ((sh, sw), (dh, dw)) = (self.src, self.dst);
        assert_eq!(src.len(), sh * sw, "source image size");
        assert_eq!(dst.len(), dh * dw, "destination image size");
        buf.clear();
        buf.resize(2 * dw, 0.0);
        let (row, sum) = buf.split_at_mut(dw);
        let mut prev_dy = self.ytab[0].di;
        for &Cell { di: dy, si: sy, alpha: beta } in &self.ytab {
            let s = &src[sy * sw..(sy + 1) * sw];
            row.fill(0.0);
            for &Cell { di, si, alpha } in &self.xtab {
                row[di] += f32::from(s[si]) * alpha;
            }
            if dy != prev_dy {
                let d = &mut dst[prev_dy * dw..(prev_dy + 1) * dw];
                for ((d, s), &r) in d.iter_mut().zip(sum.iter_mut()).zip(row.iter()) {
                    *d = saturate_u8(*s);
                    *s = beta * r;
                }
                prev_dy = dy;
            } else {
                for (s, &r) in sum.iter_mut().zip(row.iter()) {
                    *s += beta * r;
                }
            }
        }
        for (d, &s) in dst[prev_dy * dw..(prev_dy + 1) * dw].iter_mut().zip(sum.iter()) {
            *d = saturate_u8(s);
        }
    }
}

/// OpenCV's `saturate_cast<uchar>(float)`: round half to even, then clamp to 0..=255.
fn saturate_u8(v: f32) -> u8 {
    v.round_ties_even().clamp(0.0, 255.0) as u8
}

/// The last `depth` preprocessed frames, oldest first, as the agent sees them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrameStack {
    frame_len: usize,
    depth: usize,
    /// `depth` frames, a ring whose oldest frame starts at `head`.
    #[serde(with = "super::hex")]
    frames: Vec<u8>,
    head: usize,
}

impl FrameStack {
    pub fn new(depth: usize, frame_len: usize) -> Self {
        FrameStack { frame_len, depth, frames: vec![0; depth * frame_len], head: 0 }
    }

    /// Holds `depth` frames of `frame_len` (a loaded stack is checked with this).
    pub fn fits(&self, depth: usize, frame_len: usize) -> bool {
        self.depth == depth
            && self.frame_len == frame_len
            && self.frames.len() == depth * frame_len
            && self.head < depth
    }

    /// Fills every slot with `frame` (the first frame of an episode, as Gymnasium's
    /// `FrameStackObservation` pads it).
    pub fn fill(&mut self, frame: &[u8]) {
        for slot in self.frames.chunks_exact_mut(self.frame_len) {
            slot.copy_from_slice(frame);
        }
        self.head = 0;
    }

    /// Drops the oldest frame and adds `frame` as the newest.
    pub fn push(&mut self, frame: &[u8]) {
        let len = self.frame_len;
        self.frames[self.head * len..(self.head + 1) * len].copy_from_slice(frame);
        self.head = (self.head + 1) % self.depth;
    }

    /// Writes the stack, oldest frame first (`[depth, frame]`), a byte b as `O::from_byte(b,
    /// scale)`.
    pub fn write<O: Obs>(&self, out: &mut [O], scale: f32) {
        let len = self.frame_len;
        for (k, o) in out.chunks_exact_mut(len).enumerate().take(self.depth) {
            let slot = (self.head + k) % self.depth;
            for (o, &b) in o.iter_mut().zip(&self.frames[slot * len..(slot + 1) * len]) {
                *o = O::from_byte(b, scale);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pool_takes_the_brighter_pixel() {
        let mut a = vec![0, 10, 200, 255];
        max_pool(&mut a, &[5, 3, 201, 0]);
        assert_eq!(a, [5, 10, 201, 255]);
    }

    #[test]
    fn area_table_weights_of_each_destination_pixel_sum_to_one() {
        for (s, d) in [(160, 84), (210, 84), (210, 110), (7, 3)] {
            let tab = area_table(s, d);
            for dx in 0..d {
                let w: f64 = tab.iter().filter(|c| c.di == dx).map(|c| f64::from(c.alpha)).sum();
                assert!((w - 1.0).abs() < 1e-5, "{s}->{d}: pixel {dx} weights sum to {w}");
            }
            assert!(tab.iter().all(|c| c.si < s && c.di < d));
        }
    }

    #[test]
    fn area_resize_of_a_flat_image_is_flat_and_of_halving_is_the_mean() {
        let r = AreaResize::new((210, 160), (84, 84));
        let mut out = vec![0; 84 * 84];
        r.apply(&vec![77; 210 * 160], &mut out, &mut Vec::new());
        assert!(out.iter().all(|&p| p == 77));
        // Halving 2 × 4 → 1 × 2: each output pixel is the mean of a 2 × 2 block.
        let r = AreaResize::new((2, 4), (1, 2));
        let mut out = vec![0; 2];
        r.apply(&[0, 10, 20, 30, 2, 12, 22, 33], &mut out, &mut Vec::new());
        assert_eq!(out, [6, 26]); // 24 / 4 = 6; 105 / 4 = 26.25
    }

    #[test]
    fn frame_stack_keeps_the_last_frames_oldest_first() {
        let mut s = FrameStack::new(3, 2);
        s.fill(&[1, 1]);
        s.push(&[2, 2]);
        s.push(&[3, 3]);
        let mut out = [0u8; 6];
        s.write(&mut out, 1.0);
        assert_eq!(out, [1, 1, 2, 2, 3, 3]);
        s.push(&[4, 4]);
        s.write(&mut out, 1.0);
        assert_eq!(out, [2, 2, 3, 3, 4, 4]);
    }
}
