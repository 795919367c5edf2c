//! eˣ in plain arithmetic, so that a loop calling it vectorises (the library `exp` is an
//! opaque call that keeps V-trace's loops scalar).
//!
//! The classic reduction (Cody & Waite 1980; Tang 1989, "Table-driven implementation of the
//! exponential function in IEEE floating-point arithmetic"): with k = round(x / ln 2) and
//! r = x − k ln 2 (ln 2 split in two parts so the product is exact), |r| ≤ ln 2 / 2 and
//!
//!   eˣ = 2ᵏ · eʳ,   eʳ ≈ Σ_{i ≤ 13} rⁱ / i!   (truncation error < r¹⁴/14! < 5·10⁻¹⁸),
//!
//! accurate to a few units in the last place over the whole range, with eˣ = +∞ above
//! ln(f64::MAX), gradual underflow to 0 below, and NaN for NaN. 2ᵏ is built from its bits as
//! 2^⌊k/2⌉ · 2^(k − ⌊k/2⌉), two factors that stay normal numbers for every k reached.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO (fdlibm's split), LN2_HI with 32 significant bits, so that
/// k · LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 · 2⁵²: adding and subtracting it rounds to the nearest integer (|y| < 2⁵¹), and the
/// low bits of `y + ROUND` then hold that integer.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// Beyond these bounds eˣ is +∞ or 0 in f64; clamping keeps k within the bit tricks' range.
const X_MAX: f64 = 710.0;
const X_MIN: f64 = -746.0;

/// 1/i! for i = 0 to 13.
const INV_FACTORIALS: [f64; 14] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// eˣ (see the module doc).
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    let x = x.clamp(X_MIN, X_MAX);
    let k = (x * LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Estrin's scheme: terms in pairs, pairs of pairs, …, so the chain of dependent
    // operations is 8 long rather than Horner's 26.
    let c = INV_FACTORIALS;
    let (r2, pair) = (r * r, |i: usize| c[i] + c[i + 1] * r);
    let (r4, quad) = (r2 * r2, |i: usize| pair(i) + pair(i + 2) * r2);
    let e_r = (quad(0) + quad(4) * r4) + (quad(8) + pair(12) * r4) * (r4 * r4);
    let half = (k * 0.5 + ROUND) - ROUND;
    e_r * pow2(half) * pow2(k - half)
}

/// 2ᵏ for an integer-valued k with −1022 ≤ k ≤ 1023, from its exponent bits.
#[inline(always)]
fn pow2(k: f64) -> f64 {
    let k = (k + ROUND).to_bits().wrapping_sub(ROUND.to_bits());
    f64::from_bits(k.wrapping_add(1023) << 52)
}

#[cfg(test)]
mod tests {
    use super::exp;

    /// Distance in units in the last place.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_is_within_four_ulps_of_the_library_exp_over_the_whole_range() {
        let mut worst = 0;
        for i in -200_000..=200_000 {
            let x = i as f64 * 3.54e-3 + 0.37e-3 * (i % 7) as f64; // −708 … 708, irregular steps
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        for x in [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 1.0, 709.7, -708.3, -740.0] {
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 4, "worst error {worst} ulps");
    }

    #[test]
    fn exp_overflows_underflows_and_propagates_nan_like_the_library_exp() {
        assert_eq!(exp(709.79), f64::INFINITY);
        assert_eq!(exp(1e6), f64::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        // Gradual underflow: e^−740 ≈ 4.2e−322 is subnormal.
        let tiny = exp(-740.0);
        assert!(tiny > 0.0 && tiny < f64::MIN_POSITIVE && (tiny / (-740f64).exp() - 1.0).abs() < 0.01);
        assert_eq!(exp(0.0), 1.0);
    }
}
