//! A plugin seen as a function of named `[T, B]` arrays, whatever its trait: the checks of
//! [`super`] are written once against it. Every call runs under `catch_unwind`, so that a
//! panicking plugin is reported, not followed into the crash.

use crate::{
    Batch, Domain, Error, InputTangents, MetaKind, MetaParamSpec, MetaValue, MetaValues, ReturnFn, ReturnInputs,
    RewardInputs, RewardTransform, TargetCotangents,
};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The plugin under test, by its trait.
#[derive(Clone, Copy)]
pub(super) enum Subject<'a> {
    Return(&'a dyn ReturnFn),
    Transform(&'a dyn RewardTransform),
}

/// How a call went wrong: an error the plugin returned, or a panic (its message).
pub(super) enum Fault {
    Error(Error),
    Panic(String),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Error(e) => write!(f, "error: {e}"),
            Fault::Panic(m) => write!(f, "panicked: {m}"),
        }
    }
}

/// How the meta-parameters are handed to the plugin: each as its `[T, B]` array, or each as
/// one scalar, the array's first element (the `scalar meta-parameters` check makes them
/// constant). With scalars, [`Subject::vjp_as`] gives a meta-parameter's per-step cotangent
/// summed over the batch, one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Steps,
    Scalars,
}

/// The name an array given beyond the declared meta-parameters goes by.
const UNDECLARED: &str = "undeclared";

/// The outputs of a plugin (or their tangents), one `[T, B]` array per output.
pub(super) type Outputs = Vec<Vec<f64>>;

/// The arrays of a return, in this order; the meta-parameters follow.
const RETURN_ARRAYS: [&str; 6] = ["rewards", "discounts", "episode_continues", "values", "next_values", "log_rhos"];
/// Index of each array of a return in [`RETURN_ARRAYS`].
pub(super) const REWARDS: usize = 0;
pub(super) const DISCOUNTS: usize = 1;
pub(super) const CONTINUES: usize = 2;
const VALUES: usize = 3;
const NEXT_VALUES: usize = 4;
const LOG_RHOS: usize = 5;

/// Runs `f`, turning a panic into a [`Fault::Panic`] with its message.
fn guarded<T>(f: impl FnOnce() -> crate::Result<T>) -> Result<T, Fault> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(Fault::Error),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            Err(Fault::Panic(message))
        }
    }
}

/// A small deterministic generator (SplitMix64), so that every check sees the same numbers.
pub(super) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A number drawn uniformly in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// `n` numbers drawn uniformly in [lo, hi).
    pub fn array(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

impl Subject<'_> {
    pub fn meta_params(&self) -> &'static [MetaParamSpec] {
        match self {
            Subject::Return(p) => p.meta_params(),
            Subject::Transform(p) => p.meta_params(),
        }
    }

    /// Index of the first meta-parameter array.
    pub fn meta_offset(&self) -> usize {
        match self {
            Subject::Return(_) => RETURN_ARRAYS.len(),
            Subject::Transform(_) => 1,
        }
    }

    /// The name of array `k`.
    pub fn name(&self, k: usize) -> &'static str {
        match (self, k.checked_sub(self.meta_offset())) {
            (_, Some(m)) => self.meta_params()[m].name,
            (Subject::Return(_), None) => RETURN_ARRAYS[k],
            (Subject::Transform(_), None) => "rewards",
        }
    }

    /// Whether array `k` is differentiated (the discounts and the episode mask are data).
    pub fn differentiable(&self, k: usize) -> bool {
        !matches!(self, Subject::Return(_)) || !(k == DISCOUNTS || k == CONTINUES)
    }

    /// The domain of array `k` where it has one (meta-parameters of kind [`MetaKind::Value`]).
    pub fn domain(&self, k: usize) -> Option<Domain> {
        let spec = self.meta_params().get(k.checked_sub(self.meta_offset())?)?;
        (spec.kind == MetaKind::Value).then_some(spec.domain)
    }

    /// The names of the outputs.
    pub fn outputs(&self) -> &'static [&'static str] {
        match self {
            Subject::Return(_) => &["value target", "advantage"],
            Subject::Transform(_) => &["reward"],
        }
    }

    /// Random arrays for a `[T, B]` batch, drawn from `seed`. A return's batch has episode
    /// ends about one step in three: terminations (d = 0, e = 0) and time-limit truncations
    /// (d = 1, e = 0), a truncation always at row T/2 of environment 0; its meta-parameters
    /// in [0.2, 0.9] for domains within [0, 1], else in [0.5, 0.6] ∪ [1.9, 2.0], away from
    /// the kinks of min(c, ρ) since ρ = e^{log ρ} ∈ [0.55, 1.83]. A transform's rewards lie
    /// on both sides of its meta-parameters, drawn in [0.9, 1.1], away from |r| = c.
    pub fn random_arrays(&self, batch: Batch, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = Rng::new(seed);
        let n = batch.len();
        match self {
            Subject::Return(p) => {
                let ends = rng.array(n, 0.0, 1.0);
                let mut discounts: Vec<f64> = ends.iter().map(|&p| if p < 0.15 { 0.0 } else { 1.0 }).collect();
                let mut continues: Vec<f64> = ends.iter().map(|&p| if p < 0.3 { 0.0 } else { 1.0 }).collect();
                (discounts[batch.t / 2 * batch.b], continues[batch.t / 2 * batch.b]) = (1.0, 0.0);
                let mut arrays = vec![rng.array(n, -1.0, 1.0), discounts, continues];
                arrays.extend([rng.array(n, -1.0, 1.0), rng.array(n, -1.0, 1.0), rng.array(n, -0.6, 0.6)]);
                for m in p.meta_params() {
                    let values = if m.domain.hi <= 1.0 {
                        rng.array(n, 0.2, 0.9)
                    } else {
                        (0..n)
                            .map(|_| rng.uniform(0.0, 1.0))
                            .map(|p| if p < 0.5 { 0.5 + 0.2 * p } else { 1.8 + 0.2 * p })
                            .collect()
                    };
                    arrays.push(values);
                }
                arrays
            }
            Subject::Transform(p) => {
                let rewards = (0..n)
                    .map(|i| match i % 4 {
                        1 => rng.uniform(1.4, 2.5),
                        3 => -rng.uniform(1.4, 2.5),
                        _ => rng.uniform(-0.6, 0.6),
                    })
                    .collect();
                std::iter::once(rewards).chain(p.meta_params().iter().map(|_| rng.array(n, 0.9, 1.1))).collect()
            }
        }
    }

    /// The name of meta-parameter array `m` (counted from the offset).
    fn meta_name(&self, m: usize) -> &'static str {
        self.meta_params().get(m).map_or(UNDECLARED, |s| s.name)
    }

    /// The meta-parameters of `arrays` (every array after the offset), by name, in `form`;
    /// `None` entries (zero tangents) are left out.
    fn meta_values<'a>(&self, arrays: impl IntoIterator<Item = Option<&'a [f64]>>, form: Form) -> MetaValues {
        let mut meta = MetaValues::new();
        for (m, a) in arrays.into_iter().enumerate() {
            if let Some(a) = a {
                let value = match form {
                    Form::Steps => MetaValue::Steps(a.to_vec()),
                    Form::Scalars => MetaValue::Scalar(a.first().copied().unwrap_or(0.0)),
                };
                meta.set(self.meta_name(m), value);
            }
        }
        meta
    }

    fn meta_of(&self, arrays: &[Vec<f64>], form: Form) -> MetaValues {
        self.meta_values(arrays[self.meta_offset()..].iter().map(|a| Some(&a[..])), form)
    }

    /// The outputs for `arrays` (the meta-parameters are every array after the offset).
    pub fn eval(&self, batch: Batch, arrays: &[Vec<f64>]) -> Result<Outputs, Fault> {
        self.eval_as(batch, arrays, Form::Steps)
    }

    /// [`Self::eval`] with the meta-parameters in `form`.
    pub fn eval_as(&self, batch: Batch, arrays: &[Vec<f64>], form: Form) -> Result<Outputs, Fault> {
        let meta = self.meta_of(arrays, form);
        match self {
            Subject::Return(p) => guarded(|| {
                let t = p.targets(&return_inputs(batch, arrays, &meta))?;
                Ok(vec![t.values, t.advantages])
            }),
            Subject::Transform(p) => {
                guarded(|| Ok(vec![p.apply(&RewardInputs { batch, rewards: &arrays[0], meta: &meta })?]))
            }
        }
    }

    /// The tangents of the outputs for tangents of the arrays (`None`: zero; entries for data
    /// arrays are ignored).
    pub fn jvp(&self, batch: Batch, arrays: &[Vec<f64>], dx: &[Option<&[f64]>]) -> Result<Outputs, Fault> {
        self.jvp_as(batch, arrays, dx, Form::Steps)
    }

    /// [`Self::jvp`] with the meta-parameters and their tangents in `form`.
    pub fn jvp_as(
        &self,
        batch: Batch,
        arrays: &[Vec<f64>],
        dx: &[Option<&[f64]>],
        form: Form,
    ) -> Result<Outputs, Fault> {
        let off = self.meta_offset();
        let meta = self.meta_of(arrays, form);
        let d_meta = self.meta_values(dx[off..].iter().copied(), form);
        match self {
            Subject::Return(p) => guarded(|| {
                let tangents = InputTangents {
                    rewards: dx[REWARDS],
                    values: dx[VALUES],
                    next_values: dx[NEXT_VALUES],
                    log_rhos: dx[LOG_RHOS],
                    meta: d_meta,
                };
                let t = p.jvp(&return_inputs(batch, arrays, &meta), &tangents)?;
                Ok(vec![t.values, t.advantages])
            }),
            Subject::Transform(p) => guarded(|| {
                Ok(vec![p.jvp(&RewardInputs { batch, rewards: &arrays[0], meta: &meta }, dx[0], &d_meta)?])
            }),
        }
    }

    /// The cotangent of every array for cotangents `dy` of the outputs (`None` for data arrays).
    pub fn vjp(&self, batch: Batch, arrays: &[Vec<f64>], dy: &[Vec<f64>]) -> Result<Vec<Option<Vec<f64>>>, Fault> {
        self.vjp_as(batch, arrays, dy, Form::Steps)
    }

    /// [`Self::vjp`] with the meta-parameters in `form`; with scalars, each meta-parameter's
    /// cotangent is one number, its sum over the batch.
    pub fn vjp_as(
        &self,
        batch: Batch,
        arrays: &[Vec<f64>],
        dy: &[Vec<f64>],
        form: Form,
    ) -> Result<Vec<Option<Vec<f64>>>, Fault> {
        let meta = self.meta_of(arrays, form);
        let (data, meta_cot) = match self {
            Subject::Return(p) => guarded(|| {
                let c = p.vjp(
                    &return_inputs(batch, arrays, &meta),
                    &TargetCotangents { values: &dy[0], advantages: &dy[1] },
                )?;
                let data = vec![Some(c.rewards), None, None, Some(c.values), Some(c.next_values), Some(c.log_rhos)];
                Ok((data, c.meta))
            }),
            Subject::Transform(p) => guarded(|| {
                let c = p.vjp(&RewardInputs { batch, rewards: &arrays[0], meta: &meta }, &dy[0])?;
                Ok((vec![Some(c.rewards)], c.meta))
            }),
        }?;
        let mut out = data;
        for m in 0..arrays.len() - self.meta_offset() {
            let name = self.meta_name(m);
            let cot = meta_cot.get(name).map_err(Fault::Error)?;
            let Some(steps) = cot.steps() else {
                return Err(Fault::Error(Error::Invalid(format!(
                    "the cotangent of `{name}` is one number, not one per step"
                ))));
            };
            out.push(Some(match form {
                Form::Scalars => vec![steps.iter().sum()],
                Form::Steps => steps.to_vec(),
            }));
        }
        Ok(out)
    }
}

fn return_inputs<'a>(batch: Batch, arrays: &'a [Vec<f64>], meta: &'a MetaValues) -> ReturnInputs<'a> {
    ReturnInputs {
        batch,
        rewards: &arrays[REWARDS],
        discounts: &arrays[DISCOUNTS],
        episode_continues: &arrays[CONTINUES],
        values: &arrays[VALUES],
        next_values: &arrays[NEXT_VALUES],
        log_rhos: &arrays[LOG_RHOS],
        meta,
    }
}
