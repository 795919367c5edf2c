//! Ctrl-C and SIGTERM: the first sets a flag that the run loop checks between updates (it
//! then checkpoints and stops); a second one ends the process at once.

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The exit status of a run stopped by a signal (128 + SIGINT, the shell's convention).
pub const INTERRUPTED_EXIT_CODE: u8 = 130;

/// A flag raised by the first SIGINT or SIGTERM.
pub fn on_signals() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, i32::from(INTERRUPTED_EXIT_CODE), Arc::clone(&flag))
            .context("cannot install the signal handler")?;
        signal_hook::flag::register(signal, Arc::clone(&flag)).context("cannot install the signal handler")?;
    }
    Ok(flag)
}
