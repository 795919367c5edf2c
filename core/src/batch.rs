//! The `[T, B]` layout of every per-step array, and the checks done at the API boundary.

use crate::{Error, Result};

/// The shape of a batch of trajectories: `t` time steps of `b` environments, stored row-major
/// (`index = t * b + env`), time major as in IMPALA and rlax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Batch {
    pub t: usize,
    pub b: usize,
}

impl Batch {
    pub fn new(t: usize, b: usize) -> Result<Self> {
        if t == 0 || b == 0 {
            return Err(Error::Invalid(format!("a batch needs T ≥ 1 and B ≥ 1, got T = {t}, B = {b}")));
        }
        Ok(Batch { t, b })
    }

    /// Number of elements of a `[T, B]` array.
    pub fn len(&self) -> usize {
        self.t * self.b
    }

    /// Always false: a [`Batch`] has T ≥ 1 and B ≥ 1.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that `x` is a finite `[T, B]` array.
    pub fn check_steps(&self, what: &str, x: &[f64]) -> Result<()> {
        check_len(what, x, self.len())?;
        check_finite(what, x)
    }

    /// Checks that `x` is a finite `[B]` array (one value per environment).
    pub fn check_envs(&self, what: &str, x: &[f64]) -> Result<()> {
        check_len(what, x, self.b)?;
        check_finite(what, x)
    }
}

/// Checks the length of an array.
pub fn check_len(what: &str, x: &[f64], expected: usize) -> Result<()> {
    if x.len() != expected {
        return Err(Error::Shape { what: what.into(), expected, got: x.len() });
    }
    Ok(())
}

/// Checks that every element is finite (no NaN, no infinity).
pub fn check_finite(what: &str, x: &[f64]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { what: what.into(), index, value: x[index] }),
        None => Ok(()),
    }
}
