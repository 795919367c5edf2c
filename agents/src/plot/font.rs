//! The font of every figure, compiled into the binary (DejaVu Sans, Bitstream Vera license,
//! `assets/fonts/`), so that plotting needs no system font.

use plotters::style::FontStyle;
use std::sync::Once;

static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The family every figure uses; plotters' own default text (axis labels) asks for it too.
pub const FAMILY: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Registers the embedded font with plotters (once per process).
pub fn register() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType file checked in beside the code; a failure here is
        // a broken build, not a user error.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_err() {
            unreachable!("the embedded DejaVu Sans is not a valid font");
        }
    });
}
