//! A safe handle on one instance of the Arcade Learning Environment 0.6 (`ale-sys`).
//!
//! ALE calls `exit(1)` on a ROM it cannot open or does not know, and aborts on a C++ exception
//! crossing its C interface (an unknown mode), so nothing reaches it unchecked: a [`Ale`] is
//! only built from a [`super::rom::Rom`], a file whose MD5 is that of a known game's ROM
//! (checked by [`super::rom::RomDir::find`]). ALE's own randomness (sticky actions) is off:
//! the environment draws its own, so that it is part of the saved state.

use super::rom::Rom;
use ale_sys as sys;
use std::ffi::CString;
use std::os::raw::c_int;
use std::sync::{Mutex, Once};

/// The width and height of an Atari screen as ALE gives it.
pub const SCREEN_WIDTH: usize = 160;
pub const SCREEN_HEIGHT: usize = 210;
/// Pixels of one screen.
pub const SCREEN_LEN: usize = SCREEN_WIDTH * SCREEN_HEIGHT;

/// ALE's eighteen actions, in its numbering (`ale::Action`): 0 no-op, 1 fire, 2 up, …
pub const NUM_LEGAL_ACTIONS: usize = super::games::ALL_ACTIONS.len();

/// One emulator with a game loaded.
pub struct Ale {
    raw: *mut sys::ALEInterface,
}

// An `ALEInterface` owns all its state (its emulator, settings and generator); the handle moves
// between threads but is used by one at a time (`&mut self`).
unsafe impl Send for Ale {}

/// Held while an emulator is built or dropped: Stella's constructors write statics shared by
/// every instance (`Cartridge::myAboutString`, a `std::string`; the CPU's BCD table), which two
/// threads building emulators at once would race on.
static BUILDING: Mutex<()> = Mutex::new(());

/// ALE logs its banner and warnings to standard output; errors only, once for the process.
fn quiet_logger() {
    static QUIET: Once = Once::new();
    // SAFETY: sets a static of ALE's logger before any instance logs.
    QUIET.call_once(|| unsafe { sys::setLoggerMode(2) });
}

impl Ale {
    /// Loads `rom` (checked to be the ROM of a game ALE 0.6 supports) into a new emulator with
    /// frame skip 1, no sticky actions, and ALE's generator seeded with [`ale_seed`]`(seed)`.
    ///
    /// The seed matters: Stella fills the console's RAM with draws of that generator at every
    /// reset, and some games (Yars' Revenge, Beam Rider, Private Eye, …) show it.
    pub fn new(rom: &Rom, seed: u32) -> Self {
        quiet_logger();
        // A path that holds a NUL byte cannot come from `RomDir::find`, which only joins the
        // game's own file name to a folder that exists, but check all the same.
        let path = CString::new(rom.path.to_string_lossy().as_bytes()).unwrap_or_default();
        // SAFETY: `ALE_new` returns an owned instance, freed in `Drop`; every key below is one
        // of ALE 0.6's settings with a value of its type, and `path` names a known ROM.
        let _building = BUILDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        unsafe {
            let raw = sys::ALE_new();
            sys::setInt(raw, c"random_seed".as_ptr(), ale_seed(seed));
            sys::setInt(raw, c"frame_skip".as_ptr(), 1);
            sys::setFloat(raw, c"repeat_action_probability".as_ptr(), 0.0);
            sys::setBool(raw, c"color_averaging".as_ptr(), false);
            sys::loadROM(raw, path.as_ptr());
            Ale { raw }
        }
    }

    /// Emulates one frame with `action` (0..18) for player A; returns the frame's reward.
    pub fn act(&mut self, action: u8) -> i32 {
        debug_assert!((action as usize) < NUM_LEGAL_ACTIONS);
        // SAFETY: `raw` is live; every action 0..18 is legal in ALE.
        unsafe { sys::act(self.raw, c_int::from(action)) }
    }

    pub fn game_over(&self) -> bool {
        // SAFETY: `raw` is live and has a ROM.
        unsafe { sys::game_over(self.raw) }
    }

    /// Resets the game (ALE's own reset: a soft reset and the game's starting actions).
    pub fn reset_game(&mut self) {
        // SAFETY: `raw` is live and has a ROM.
        unsafe { sys::reset_game(self.raw) }
    }

    pub fn lives(&self) -> i32 {
        // SAFETY: `raw` is live and has a ROM.
        unsafe { sys::lives(self.raw) }
    }

    /// The game's minimal action set, in ALE's numbering.
    pub fn minimal_actions(&self) -> Vec<u8> {
        // SAFETY: `raw` is live; the buffer holds as many actions as ALE says it writes.
        unsafe {
            let n = sys::getMinimalActionSize(self.raw).max(0) as usize;
            let mut actions = vec![0 as c_int; n];
            sys::getMinimalActionSet(self.raw, actions.as_mut_ptr());
            actions.into_iter().map(|a| a.clamp(0, NUM_LEGAL_ACTIONS as c_int - 1) as u8).collect()
        }
    }

    /// Writes the screen's luminance (ALE's grayscale palette), `[210, 160]`, into `out`.
    pub fn screen_grayscale(&self, out: &mut [u8]) {
        assert_eq!(out.len(), SCREEN_LEN, "a grayscale screen is 210 × 160 bytes");
        // SAFETY: ALE 0.6 screens are 210 × 160 for every supported game; `out` holds that.
        unsafe { sys::getScreenGrayscale(self.raw, out.as_mut_ptr()) }
    }

    /// The emulator's whole state (CPU, RAM, cartridge, TIA, ALE's frame counters and
    /// generator), as ALE's `cloneSystemState` serialises it.
    pub fn save_system_state(&self) -> Vec<u8> {
        // SAFETY: the cloned state is owned here and deleted; the buffer has the length ALE
        // says it writes.
        unsafe {
            let state = sys::cloneSystemState(self.raw);
            let len = sys::encodeStateLen(state).max(0) as usize;
            let mut bytes = vec![0u8; len];
            sys::encodeState(state, bytes.as_mut_ptr().cast(), len as c_int);
            sys::deleteState(state);
            bytes
        }
    }

    /// Restores a state written by [`Ale::save_system_state`] for the same ROM.
    ///
    /// ALE exits the process on a state it cannot read, so the caller passes only states
    /// saved from this game (the environment's saved state names its ROM's MD5).
    pub fn restore_system_state(&mut self, bytes: &[u8]) {
        let len = c_int::try_from(bytes.len()).unwrap_or(c_int::MAX);
        // SAFETY: `decodeState` copies the bytes into a new state, deleted after use.
        unsafe {
            let state = sys::decodeState(bytes.as_ptr().cast(), len);
            sys::restoreSystemState(self.raw, state);
            sys::deleteState(state);
        }
    }
}

/// The seed ALE is given for `seed`: its low 31 bits, and 1 for 0, which ALE 0.6 would take as
/// "seed from the clock" (ale-py takes 0 as 0), making episodes unrepeatable.
pub fn ale_seed(seed: u32) -> c_int {
    match (seed & 0x7fff_ffff) as c_int {
        0 => 1,
        s => s,
    }
}

impl Drop for Ale {
    fn drop(&mut self) {
        let _building = BUILDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // SAFETY: `raw` came from `ALE_new` and is freed once.
        unsafe { sys::ALE_del(self.raw) }
    }
}
