//! How a plugin receives its meta-parameters: by name, each one value for the whole batch
//! (a fixed η, or a learnt scalar) or one value per step (a per-state table γ(Sₜ₊₁), a
//! network's output r_η(xₜ, aₜ)).
//!
//! A plugin reads `x.meta.get("gamma")?` and, per step i of the `[T, B]` batch,
//! `gamma.at(i)`; a kernel that wants rows takes [`MetaValue::steps`] or broadcasts the
//! scalar. The same container carries the tangents of the meta-parameters (a name left out
//! has a zero tangent) and their cotangents, which are always per step (the meta-optimiser
//! sums a scalar's).

use crate::{Batch, Error, MetaKind, MetaParamSpec, Result};

/// The values of one meta-parameter over a `[T, B]` batch.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// ηₜ = η at every step.
    Scalar(f64),
    /// ηₜ for each step, a row-major `[T, B]` array.
    Steps(Vec<f64>),
}

impl MetaValue {
    /// ηᵢ, the value at element i of the batch.
    #[inline(always)]
    pub fn at(&self, i: usize) -> f64 {
        match self {
            MetaValue::Scalar(v) => *v,
            MetaValue::Steps(s) => s[i],
        }
    }

    /// The per-step array, if the values are not one scalar.
    pub fn steps(&self) -> Option<&[f64]> {
        match self {
            MetaValue::Scalar(_) => None,
            MetaValue::Steps(s) => Some(s),
        }
    }

    /// The first value that is not finite or lies outside `spec`'s domain, with its index.
    fn first_invalid(&self, spec: &MetaParamSpec) -> Option<(usize, f64)> {
        let bad = |v: f64| !v.is_finite() || (spec.kind == MetaKind::Value && !spec.domain.contains(v));
        match self {
            MetaValue::Scalar(v) => bad(*v).then_some((0, *v)),
            MetaValue::Steps(s) => s.iter().position(|&v| bad(v)).map(|i| (i, s[i])),
        }
    }
}

/// Meta-parameters by name: the values a plugin reads, or their tangents, or cotangents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetaValues {
    entries: Vec<(&'static str, MetaValue)>,
}

impl MetaValues {
    /// No meta-parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// `self` with `name` set to `value`.
    pub fn with(mut self, name: &'static str, value: MetaValue) -> Self {
        self.set(name, value);
        self
    }

    /// Sets `name` to `value`, replacing any value it had.
    pub fn set(&mut self, name: &'static str, value: MetaValue) {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.entries.push((name, value)),
        }
    }

    /// Per-step arrays for `specs`, paired in declaration order (tests and benchmarks that
    /// draw one array per declared meta-parameter).
    pub fn from_steps(specs: &[MetaParamSpec], arrays: impl IntoIterator<Item = Vec<f64>>) -> Self {
        let entries = specs.iter().zip(arrays).map(|(s, a)| (s.name, MetaValue::Steps(a))).collect();
        MetaValues { entries }
    }

    /// Zero per-step arrays, one for each of `specs`: the cotangents a VJP fills in.
    pub fn zeros(batch: &Batch, specs: &[MetaParamSpec]) -> Self {
        let entries = specs.iter().map(|s| (s.name, MetaValue::Steps(vec![0.0; batch.len()]))).collect();
        MetaValues { entries }
    }

    /// The values of `name`, or an error naming what was given: a plugin asking for a
    /// meta-parameter that it did not declare, or a caller that left one out.
    pub fn get(&self, name: &str) -> Result<&MetaValue> {
        self.find(name).ok_or_else(|| self.missing(name))
    }

    /// The values of `name`, if given (for tangents: `None` is a zero tangent).
    pub fn find(&self, name: &str) -> Option<&MetaValue> {
        self.entries.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The per-step array of `name` to write into (cotangents made by [`Self::zeros`]); a
    /// scalar entry is first spread over the `n` elements.
    pub fn steps_mut(&mut self, name: &str, n: usize) -> Result<&mut Vec<f64>> {
        let missing = self.missing(name);
        let (_, value) = self.entries.iter_mut().find(|(k, _)| *k == name).ok_or(missing)?;
        if let MetaValue::Scalar(v) = value {
            *value = MetaValue::Steps(vec![*v; n]);
        }
        match value {
            MetaValue::Steps(s) => Ok(s),
            MetaValue::Scalar(_) => unreachable!("spread just above"),
        }
    }

    /// Removes `name` and returns its values.
    pub fn take(&mut self, name: &str) -> Option<MetaValue> {
        let i = self.entries.iter().position(|(n, _)| *n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// Every (name, values), in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &MetaValue)> {
        self.entries.iter().map(|(n, v)| (*n, v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks that exactly the declared meta-parameters are given, each a scalar or a `[T, B]`
    /// array (no pass over the data).
    pub fn validate_shapes(&self, batch: &Batch, specs: &[MetaParamSpec]) -> Result<()> {
        if let Some((name, _)) = self.entries.iter().find(|(n, _)| !specs.iter().any(|s| s.name == *n)) {
            let declared: Vec<&str> = specs.iter().map(|s| s.name).collect();
            return Err(Error::Invalid(format!(
                "meta-parameter `{name}` was given but the plugin declares only: {}",
                if declared.is_empty() { "none".to_string() } else { declared.join(", ") }
            )));
        }
        for spec in specs {
            if let Some(s) = self.get(spec.name)?.steps() {
                crate::batch::check_len(spec.name, s, batch.len())?;
            }
        }
        Ok(())
    }

    /// [`Self::validate_shapes`], and that every value is finite and, for a meta-parameter of
    /// kind [`MetaKind::Value`], inside its domain.
    pub fn validate(&self, batch: &Batch, specs: &[MetaParamSpec]) -> Result<()> {
        self.validate_shapes(batch, specs)?;
        for spec in specs {
            if let Some((index, value)) = self.get(spec.name)?.first_invalid(spec) {
                if !value.is_finite() {
                    return Err(Error::NonFinite { what: spec.name.into(), index, value });
                }
                spec.domain.check(spec.name, value)?;
            }
        }
        Ok(())
    }

    /// Checks tangents: each given one names a declared meta-parameter and is a scalar or a
    /// finite `[T, B]` array.
    pub fn validate_tangents(&self, batch: &Batch, specs: &[MetaParamSpec]) -> Result<()> {
        for (name, value) in self.iter() {
            if !specs.iter().any(|s| s.name == name) {
                return Err(Error::Invalid(format!(
                    "a tangent was given for `{name}`, which the plugin does not declare"
                )));
            }
            match value {
                MetaValue::Scalar(v) => crate::batch::check_finite(name, std::slice::from_ref(v))?,
                MetaValue::Steps(s) => batch.check_steps(name, s)?,
            }
        }
        Ok(())
    }

    fn missing(&self, name: &str) -> Error {
        let given: Vec<&str> = self.entries.iter().map(|(n, _)| *n).collect();
        Error::Invalid(format!(
            "no meta-parameter `{name}` was given (given: {}); a plugin reads only the meta-parameters it declares",
            if given.is_empty() { "none".to_string() } else { given.join(", ") }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_by_name_in_any_order() {
        let m =
            MetaValues::new().with("lambda", MetaValue::Steps(vec![0.1, 0.2])).with("gamma", MetaValue::Scalar(0.9));
        assert_eq!(m.get("gamma").unwrap().at(1), 0.9);
        assert_eq!(m.get("lambda").unwrap().at(1), 0.2);
        let err = m.get("rho_bar").unwrap_err().to_string();
        assert!(err.contains("rho_bar") && err.contains("lambda, gamma"), "{err}");
    }

    #[test]
    fn validation_names_an_undeclared_a_missing_and_an_out_of_domain_value() {
        let specs = [MetaParamSpec::unit("gamma", "discount", 0.99)];
        let batch = Batch::new(2, 1).unwrap();
        let ok = MetaValues::new().with("gamma", MetaValue::Scalar(0.5));
        ok.validate(&batch, &specs).unwrap();
        let extra = ok.clone().with("lambda", MetaValue::Scalar(0.5));
        assert!(extra.validate(&batch, &specs).unwrap_err().to_string().contains("`lambda`"));
        assert!(MetaValues::new().validate(&batch, &specs).unwrap_err().to_string().contains("`gamma`"));
        let outside = MetaValues::new().with("gamma", MetaValue::Steps(vec![0.5, 1.5]));
        assert!(outside.validate(&batch, &specs).unwrap_err().to_string().contains("1.5"));
        let short = MetaValues::new().with("gamma", MetaValue::Steps(vec![0.5]));
        assert!(short.validate_shapes(&batch, &specs).is_err());
    }

    #[test]
    fn steps_mut_spreads_a_scalar() {
        let mut m = MetaValues::new().with("gamma", MetaValue::Scalar(2.0));
        m.steps_mut("gamma", 3).unwrap()[1] = 5.0;
        assert_eq!(m.get("gamma").unwrap(), &MetaValue::Steps(vec![2.0, 5.0, 2.0]));
    }
}
