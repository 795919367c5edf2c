//! Where the per-step values of a meta-parameter come from (DESIGN.md §2).
//!
//! A plugin sees the values ηₜ of a meta-parameter over the batch ([`MetaValue`]): one scalar
//! for a fixed or a learnt scalar η, a `[T, B]` array for a per-state table. The source maps
//! its own learnt numbers `x` to those values, and carries the two derivatives the
//! meta-optimiser needs: their tangent along one learnt number (method (a)), and the
//! pull-back of a per-step cotangent to every learnt number at once (method (b)).

use crate::{Error, MetaParamSpec, MetaValue, Result, Squash};

/// The values of one meta-parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaSource {
    /// ηₜ = value at every step; not learnt.
    Fixed(f64),
    /// ηₜ = squash(x) at every step; one learnt number.
    Scalar { x: f64, squash: Squash },
    /// ηₜ = squash(x[sₜ]) where sₜ is the index of the state that step t refers to (the
    /// agents here use the state the transition arrives in); one learnt number per state (the
    /// state-dependent γ(s) and λ(s) of the paper's Figure 1).
    PerState { x: Vec<f64>, squash: Squash },
}

impl MetaSource {
    /// The source an experiment asks for: fixed, or learnable (scalar or per state), starting
    /// at `value`. Checks `value` against the declaration.
    pub fn from_spec(spec: &MetaParamSpec, value: f64, learnable: bool, per_state: Option<usize>) -> Result<Self> {
        spec.domain.check(spec.name, value)?;
        match (learnable, per_state) {
            (false, None) => Ok(MetaSource::Fixed(value)),
            (false, Some(_)) => Err(Error::Invalid(format!(
                "`{}`: a per-state table is only supported for learnable meta-parameters; set `learnable = true`",
                spec.name
            ))),
            (true, None) => Ok(MetaSource::Scalar { x: spec.squash.inverse(spec.name, value)?, squash: spec.squash }),
            (true, Some(n)) => {
                let x = spec.squash.inverse(spec.name, value)?;
                Ok(MetaSource::PerState { x: vec![x; n], squash: spec.squash })
            }
        }
    }

    /// How many numbers are learnt (0 for a fixed value).
    pub fn num_params(&self) -> usize {
        match self {
            MetaSource::Fixed(_) => 0,
            MetaSource::Scalar { .. } => 1,
            MetaSource::PerState { x, .. } => x.len(),
        }
    }

    /// The learnt numbers x (before squashing), for the meta-optimiser to update.
    pub fn params_mut(&mut self) -> &mut [f64] {
        match self {
            MetaSource::Fixed(_) => &mut [],
            MetaSource::Scalar { x, .. } => std::slice::from_mut(x),
            MetaSource::PerState { x, .. } => x,
        }
    }

    /// The learnt numbers x (before squashing).
    pub fn params(&self) -> &[f64] {
        match self {
            MetaSource::Fixed(_) => &[],
            MetaSource::Scalar { x, .. } => std::slice::from_ref(x),
            MetaSource::PerState { x, .. } => x,
        }
    }

    /// The current meta-parameter values: one for a fixed value or a scalar, one per state
    /// for a table.
    pub fn values(&self) -> Vec<f64> {
        match self {
            MetaSource::Fixed(v) => vec![*v],
            MetaSource::Scalar { x, squash } => vec![squash.forward(*x)],
            MetaSource::PerState { x, squash } => x.iter().map(|&x| squash.forward(x)).collect(),
        }
    }

    /// ηₜ over a batch of `n` steps; `states` gives the state index of each step (needed only
    /// by a per-state table).
    pub fn values_over(&self, states: Option<&[usize]>, n: usize) -> Result<MetaValue> {
        Ok(match self {
            MetaSource::Fixed(v) => MetaValue::Scalar(*v),
            MetaSource::Scalar { x, squash } => MetaValue::Scalar(squash.forward(*x)),
            MetaSource::PerState { x, squash } => {
                MetaValue::Steps(self.states(states, n)?.iter().map(|&s| squash.forward(x[s])).collect())
            }
        })
    }

    /// dηₜ/dx_k over a batch of `n` steps: the tangent of the values along learnt number k.
    pub fn tangent(&self, k: usize, states: Option<&[usize]>, n: usize) -> Result<MetaValue> {
        self.check_param(k)?;
        Ok(match self {
            MetaSource::Fixed(_) => unreachable!("check_param rejects every index of a fixed source"),
            MetaSource::Scalar { x, squash } => MetaValue::Scalar(squash.derivative(*x)),
            MetaSource::PerState { x, squash } => {
                let d = squash.derivative(x[k]);
                MetaValue::Steps(self.states(states, n)?.iter().map(|&s| if s == k { d } else { 0.0 }).collect())
            }
        })
    }

    /// Adds Σₜ cₜ · dηₜ/dx_k to `grad[k]` for every learnt number k: the pull-back of a
    /// cotangent `cot` on the per-step array.
    pub fn pullback(&self, states: Option<&[usize]>, cot: &[f64], grad: &mut [f64]) -> Result<()> {
        crate::batch::check_len("meta-parameter gradient", grad, self.num_params())?;
        match self {
            MetaSource::Fixed(_) => {}
            MetaSource::Scalar { x, squash } => grad[0] += squash.derivative(*x) * cot.iter().sum::<f64>(),
            MetaSource::PerState { x, squash } => {
                let states = self.states(states, cot.len())?;
                for (&c, &s) in cot.iter().zip(states) {
                    grad[s] += c * squash.derivative(x[s]);
                }
            }
        }
        Ok(())
    }

    fn check_param(&self, k: usize) -> Result<()> {
        if k >= self.num_params() {
            return Err(Error::Invalid(format!(
                "learnt number {k} does not exist: this source has {}",
                self.num_params()
            )));
        }
        Ok(())
    }

    fn states<'a>(&self, states: Option<&'a [usize]>, len: usize) -> Result<&'a [usize]> {
        let n = self.num_params();
        let states = states.ok_or_else(|| {
            Error::Invalid("a per-state meta-parameter needs an environment that reports state indices".into())
        })?;
        if states.len() != len {
            return Err(Error::Shape { what: "state indices".into(), expected: len, got: states.len() });
        }
        if let Some(&s) = states.iter().find(|&&s| s >= n) {
            return Err(Error::Invalid(format!("state index {s} is outside the per-state table of {n} entries")));
        }
        Ok(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MetaSource {
        MetaSource::PerState { x: vec![-0.3, 0.4, 1.2], squash: Squash::Sigmoid }
    }

    #[test]
    fn per_state_tangent_and_pullback_match_central_differences() {
        let states = [0usize, 2, 2, 1, 0, 2];
        let cot = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75];
        let src = table();
        let mut grad = vec![0.0; 3];
        src.pullback(Some(&states), &cot, &mut grad).unwrap();
        for (k, &g) in grad.iter().enumerate() {
            let h = 1e-6;
            let eval = |delta: f64| {
                let mut s = src.clone();
                s.params_mut()[k] += delta;
                s.values_over(Some(&states), states.len()).unwrap().steps().unwrap().to_vec()
            };
            let (plus, minus) = (eval(h), eval(-h));
            let fd: Vec<f64> = plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * h)).collect();
            let tangent = src.tangent(k, Some(&states), states.len()).unwrap();
            for (a, b) in fd.iter().zip(tangent.steps().unwrap()) {
                assert!((a - b).abs() < 1e-9);
            }
            let fd_grad: f64 = fd.iter().zip(&cot).map(|(d, c)| d * c).sum();
            assert!((fd_grad - g).abs() < 1e-9);
        }
    }

    #[test]
    fn a_scalar_source_gives_one_value_and_its_derivative() {
        let src = MetaSource::Scalar { x: 0.0, squash: Squash::Sigmoid };
        assert_eq!(src.values_over(None, 1000).unwrap(), MetaValue::Scalar(0.5));
        assert_eq!(src.tangent(0, None, 1000).unwrap(), MetaValue::Scalar(0.25));
        assert_eq!(MetaSource::Fixed(0.9).values_over(None, 3).unwrap(), MetaValue::Scalar(0.9));
    }

    #[test]
    fn per_state_source_rejects_missing_or_out_of_range_states() {
        assert!(table().values_over(None, 2).is_err());
        let err = table().values_over(Some(&[0, 7]), 2).unwrap_err().to_string();
        assert!(err.contains('7') && err.contains('3'), "{err}");
    }

    #[test]
    fn from_spec_checks_the_domain_and_the_squashing_range() {
        let spec = MetaParamSpec::unit("gamma", "discount", 0.99);
        assert_eq!(MetaSource::from_spec(&spec, 1.0, false, None).unwrap(), MetaSource::Fixed(1.0));
        assert!(MetaSource::from_spec(&spec, 1.0, true, None).unwrap_err().to_string().contains("(0, 1)"));
        assert!(MetaSource::from_spec(&spec, -0.1, false, None).unwrap_err().to_string().contains("[0, 1]"));
        let src = MetaSource::from_spec(&spec, 0.9, true, Some(4)).unwrap();
        assert_eq!(src.num_params(), 4);
        assert!(src.values().iter().all(|v| (v - 0.9).abs() < 1e-12));
    }
}
