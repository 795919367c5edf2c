//! What a plugin declares about each of its meta-parameters η.
//!
//! A learnable meta-parameter is stored as an unconstrained number `x` and used through a
//! squashing map, `η = squash(x)`, so that gradient steps on `x` never leave the domain
//! (DESIGN.md §2: γ = sigmoid(x) stays in (0, 1)).

use crate::{Error, Result};
use std::fmt;

/// A closed, open or half-open interval of the real line; `f64::INFINITY` for no bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domain {
    pub lo: f64,
    pub hi: f64,
    pub lo_closed: bool,
    pub hi_closed: bool,
}

impl Domain {
    /// `[0, 1]`: discounts and bootstrapping parameters.
    pub const UNIT: Domain = Domain { lo: 0.0, hi: 1.0, lo_closed: true, hi_closed: true };
    /// `(0, ∞)`: truncation levels, clipping thresholds.
    pub const POSITIVE: Domain = Domain { lo: 0.0, hi: f64::INFINITY, lo_closed: false, hi_closed: false };
    /// `(−∞, ∞)`.
    pub const REAL: Domain = Domain { lo: f64::NEG_INFINITY, hi: f64::INFINITY, lo_closed: false, hi_closed: false };

    #[inline]
    pub fn contains(&self, v: f64) -> bool {
        let above = if self.lo_closed { v >= self.lo } else { v > self.lo };
        let below = if self.hi_closed { v <= self.hi } else { v < self.hi };
        v.is_finite() && above && below
    }

    /// Checks `v` against the domain, naming the parameter in the error.
    pub fn check(&self, name: &str, v: f64) -> Result<()> {
        if self.contains(v) {
            Ok(())
        } else {
            Err(Error::OutOfDomain { name: name.into(), value: v, domain: self.to_string() })
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = |v: f64| {
            if v == f64::INFINITY {
                "∞".to_string()
            } else if v == f64::NEG_INFINITY {
                "−∞".to_string()
            } else {
                format!("{v}")
            }
        };
        write!(
            f,
            "{}{}, {}{}",
            if self.lo_closed { '[' } else { '(' },
            bound(self.lo),
            bound(self.hi),
            if self.hi_closed { ']' } else { ')' }
        )
    }
}

/// The map from the unconstrained learnt number `x` to the meta-parameter `η`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Squash {
    /// η = x, for meta-parameters on the whole real line.
    Identity,
    /// η = 1 / (1 + e^(−x)) ∈ (0, 1), for discounts and λ.
    Sigmoid,
    /// η = ln(1 + eˣ) ∈ (0, ∞), for thresholds and truncation levels.
    Softplus,
}

impl Squash {
    /// η = squash(x).
    pub fn forward(self, x: f64) -> f64 {
        match self {
            Squash::Identity => x,
            Squash::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Squash::Softplus => {
                if x > 30.0 {
                    x
                } else {
                    x.exp().ln_1p()
                }
            }
        }
    }

    /// dη/dx at `x`.
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Squash::Identity => 1.0,
            Squash::Sigmoid => {
                let s = Squash::Sigmoid.forward(x);
                s * (1.0 - s)
            }
            Squash::Softplus => Squash::Sigmoid.forward(x),
        }
    }

    /// The range the map reaches: a learnable meta-parameter must start inside it.
    pub fn range(self) -> Domain {
        match self {
            Squash::Identity => Domain::REAL,
            Squash::Sigmoid => Domain { lo: 0.0, hi: 1.0, lo_closed: false, hi_closed: false },
            Squash::Softplus => Domain::POSITIVE,
        }
    }

    /// x such that squash(x) = η; an error naming the parameter when η is out of reach.
    pub fn inverse(self, name: &str, eta: f64) -> Result<f64> {
        let range = self.range();
        if !range.contains(eta) {
            return Err(Error::OutOfDomain {
                name: format!("{name} (learnable through {self:?})"),
                value: eta,
                domain: range.to_string(),
            });
        }
        Ok(match self {
            Squash::Identity => eta,
            Squash::Sigmoid => (eta / (1.0 - eta)).ln(),
            Squash::Softplus => {
                if eta > 30.0 {
                    eta
                } else {
                    eta.exp_m1().ln()
                }
            }
        })
    }
}

/// What the per-step values of a meta-parameter are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    /// A number: fixed, a learnable scalar, or (if `per_state`) a learnable per-state table.
    Value,
    /// The per-step output of a network the agent owns (a learned reward r_η(s, a)); the
    /// plugin hands cotangents for it back and the agent backpropagates them.
    Network,
}

/// A meta-parameter as a plugin declares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetaParamSpec {
    /// The key in the TOML file and in metrics, e.g. `gamma`.
    pub name: &'static str,
    /// One line: what it is, with its symbol.
    pub doc: &'static str,
    /// Values it may take.
    pub domain: Domain,
    /// The value used when the experiment does not set it.
    pub default: f64,
    /// The map used when it is learnt.
    pub squash: Squash,
    /// Whether an experiment may mark it `learnable = true`.
    pub learnable: bool,
    /// Whether it may take one value per state (`per_state = true`).
    pub per_state: bool,
    pub kind: MetaKind,
}

impl MetaParamSpec {
    /// A learnable value in [0, 1] behind a sigmoid (γ, λ), scalar or per state.
    pub const fn unit(name: &'static str, doc: &'static str, default: f64) -> Self {
        MetaParamSpec {
            name,
            doc,
            domain: Domain::UNIT,
            default,
            squash: Squash::Sigmoid,
            learnable: true,
            per_state: true,
            kind: MetaKind::Value,
        }
    }

    /// A learnable value in (0, ∞) behind a softplus (thresholds, truncation levels).
    pub const fn positive(name: &'static str, doc: &'static str, default: f64) -> Self {
        MetaParamSpec {
            name,
            doc,
            domain: Domain::POSITIVE,
            default,
            squash: Squash::Softplus,
            learnable: true,
            per_state: true,
            kind: MetaKind::Value,
        }
    }

    /// The same declaration, but not learnable.
    pub const fn fixed_only(self) -> Self {
        MetaParamSpec { learnable: false, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_inverse_round_trips_and_derivative_matches_central_differences() {
        for squash in [Squash::Identity, Squash::Sigmoid, Squash::Softplus] {
            for x in [-3.0, -0.5, 0.0, 0.7, 2.5] {
                let eta = squash.forward(x);
                let back = squash.inverse("p", eta).unwrap();
                assert!((back - x).abs() < 1e-9, "{squash:?} {x} {back}");
                let h = 1e-6;
                let fd = (squash.forward(x + h) - squash.forward(x - h)) / (2.0 * h);
                assert!((fd - squash.derivative(x)).abs() < 1e-8, "{squash:?} at {x}");
            }
        }
    }

    #[test]
    fn sigmoid_cannot_start_at_the_edge_of_its_range() {
        let err = Squash::Sigmoid.inverse("gamma", 1.0).unwrap_err().to_string();
        assert!(err.contains("gamma") && err.contains("(0, 1)"), "{err}");
    }

    #[test]
    fn domain_displays_its_bounds() {
        assert_eq!(Domain::UNIT.to_string(), "[0, 1]");
        assert_eq!(Domain::POSITIVE.to_string(), "(0, ∞)");
        assert!(!Domain::UNIT.contains(f64::NAN));
        assert!(Domain::UNIT.check("lambda", 1.5).unwrap_err().to_string().contains("[0, 1]"));
    }
}
