//! What stops a run cleanly instead of letting it die or drift: a panic inside the learner or
//! an environment, caught and turned into an error with its message and place; a NaN or
//! infinity in anything the learner reports.

use crate::UpdateReport;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// `Some` while this thread runs guarded code: the hook writes the panic's message here
    /// instead of printing it.
    static CAPTURED: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

static INSTALL_HOOK: Once = Once::new();

/// Installs, once per process, a panic hook that keeps quiet about panics in guarded code on
/// this thread (they are reported as errors) and hands every other panic to the previous hook.
fn install_hook() {
    INSTALL_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = CAPTURED.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let payload = info.payload();
                        let message = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "(a panic without a message)".into());
                        let place =
                            info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
                        *slot = Some(format!("{message}{place}"));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic becomes `Err` with the panic's message and source location. Guards
/// nest: an agent may guard its environment inside the run loop's guard of the agent.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let outer = CAPTURED.with(|c| c.borrow_mut().replace(None));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    let message = CAPTURED.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer)).flatten();
    outcome.map_err(|_| message.unwrap_or_else(|| "(a panic on another thread)".into()))
}

/// The first quantity of an update that is not finite: a reported scalar, an episode return
/// or a meta-parameter value, as (name, value).
pub fn first_non_finite(report: &UpdateReport, meta: &[(String, f64)]) -> Option<(String, f64)> {
    let scalars = report.scalars.iter().map(|(n, v)| (n.clone(), *v));
    let returns = report.episode_returns.iter().map(|v| ("episode return".to_string(), *v));
    let meta = meta.iter().map(|(n, v)| (format!("meta-parameter {n}"), *v));
    scalars.chain(returns).chain(meta).find(|(_, v)| !v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message_and_place() {
        let err = catch_panic(|| -> u32 { panic!("env exploded in state {}", 3) }).unwrap_err();
        assert!(err.starts_with("env exploded in state 3 at ") && err.contains("guard.rs"), "{err}");
        assert_eq!(catch_panic(|| 5), Ok(5));
    }

    #[test]
    fn the_first_non_finite_quantity_is_named() {
        let report = UpdateReport { frames: 1, episode_returns: vec![1.0], scalars: vec![("loss".into(), 0.5)] };
        assert_eq!(first_non_finite(&report, &[("gamma".into(), 0.9)]), None);
        let found = first_non_finite(&report, &[("gamma[2]".into(), f64::NAN)]).unwrap();
        assert_eq!(found.0, "meta-parameter gamma[2]");
        let bad = UpdateReport { scalars: vec![("loss".into(), f64::INFINITY)], ..report };
        assert_eq!(first_non_finite(&bad, &[]), Some(("loss".into(), f64::INFINITY)));
    }
}
