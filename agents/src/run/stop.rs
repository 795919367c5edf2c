//! Ctrl-C and SIGTERM: the first sets a flag that the run loop checks between updates (it
//! then checkpoints and stops); a second one ends the process at once. Either way the exit
//! status is the shell's convention, 128 + the signal's number: 130 for SIGINT, 143 for
//! SIGTERM.

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The flag raised by the first SIGINT or SIGTERM, and which of them raised it last.
pub struct StopSignals {
    flag: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl StopSignals {
    /// Installs the handlers.
    pub fn install() -> Result<Self> {
        let flag = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for s in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it.
            signal_hook::flag::register_conditional_shutdown(s, exit_code_of(s).into(), Arc::clone(&flag))
                .context("cannot install the signal handler")?;
            signal_hook::flag::register_usize(s, Arc::clone(&signal), s as usize)
                .context("cannot install the signal handler")?;
            signal_hook::flag::register(s, Arc::clone(&flag)).context("cannot install the signal handler")?;
        }
        Ok(StopSignals { flag, signal })
    }

    /// Raised once a stop is asked for; the run loop reads it between updates.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// The exit status of a run that the signal stopped: 143 after SIGTERM, else 130.
    pub fn exit_code(&self) -> u8 {
        exit_code_of(if self.signal.load(Ordering::SeqCst) == SIGTERM as usize { SIGTERM } else { SIGINT })
    }
}

/// 128 + the signal's number.
fn exit_code_of(signal: i32) -> u8 {
    128 + signal as u8
}
