//! The return-plugin trait.
//!
//! Time convention (rlax's, DESIGN.md §3): a batch holds T transitions xₜ → xₜ₊₁ of B
//! environments, t ∈ [0, T). For each transition the plugin receives the reward rₜ, the
//! environment's continuation dₜ (0 when the episode terminates at xₜ₊₁, 1 otherwise), the
//! episode mask eₜ (0 when the episode ends at xₜ₊₁, terminated or truncated by a time limit,
//! 1 otherwise), the value V(xₜ) of the state it starts from and the value V(xₜ₊₁) of the
//! state it ends in (for a time-limit truncation, the value of the final observation), and
//! the per-step values of each declared meta-parameter. The per-step discount a plugin uses
//! is γₜ = γ(η)ₜ · dₜ.
//!
//! The two are apart because a truncation ends the episode without ending the task: there
//! dₜ = 1 (the target still bootstraps on V(xₜ₊₁), the value of the final observation) but
//! eₜ = 0, since row t + 1 of the batch, after the automatic reset, belongs to the next
//! episode. Every recursion along t (a λ-return's Gₜ₊₁, an n-step sum, a trace) is multiplied
//! by eₜ, so that nothing of the next episode flows into this one; where dₜ = 0 the discount
//! already cuts it and eₜ changes nothing. At the last step, t = T − 1, the recursions
//! bootstrap on V(x_T) whatever e_{T−1}.
//!
//! A plugin returns two targets per step, both treated as constants by the inner loss:
//! the value target vₜ that V(xₜ) regresses to, and the policy-gradient advantage Aₜ.
//! Beside the value it provides a JVP and a VJP with respect to every differentiable input
//! (rewards, values, next values, log importance ratios, every meta-parameter), which is all
//! the meta-optimiser needs (DESIGN.md §2).

use crate::{Batch, Error, MetaKind, MetaParamSpec, Result};

/// The inputs of a return, all `[T, B]` row-major arrays (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct ReturnInputs<'a> {
    pub batch: Batch,
    /// rₜ, the reward of transition t, for t ∈ [0, T).
    pub rewards: &'a [f64],
    /// dₜ ∈ [0, 1], 0 when the episode terminates at xₜ₊₁, for t ∈ [0, T).
    pub discounts: &'a [f64],
    /// eₜ ∈ {0, 1}, for t ∈ [0, T): 1 when row t + 1 continues the episode of row t, 0 when
    /// the episode ended at xₜ₊₁, terminated (dₜ = 0) or truncated (dₜ = 1). Data, like dₜ:
    /// not differentiated (no tangent, no cotangent).
    pub episode_continues: &'a [f64],
    /// V(xₜ) for t ∈ [0, T).
    pub values: &'a [f64],
    /// V(xₜ₊₁) for t ∈ [0, T): the bootstrap value after transition t.
    pub next_values: &'a [f64],
    /// log(π(aₜ|xₜ)/μ(aₜ|xₜ)) for t ∈ [0, T); all zero on-policy.
    pub log_rhos: &'a [f64],
    /// ηₜ for t ∈ [0, T), one array per declared meta-parameter, in declaration order.
    pub meta: &'a [&'a [f64]],
}

impl ReturnInputs<'_> {
    /// Checks the lengths of every array (no pass over the data). A plugin that fuses its
    /// finiteness and domain checks into its own loops calls this first, and
    /// [`Self::validate`] only when its checks flag something, to name the culprit.
    pub fn validate_shapes(&self, specs: &[MetaParamSpec]) -> Result<()> {
        let n = self.batch.len();
        let named = [
            ("rewards", self.rewards),
            ("discounts", self.discounts),
            ("episode_continues", self.episode_continues),
            ("values", self.values),
            ("next_values", self.next_values),
            ("log_rhos", self.log_rhos),
        ];
        for (what, x) in named {
            crate::batch::check_len(what, x, n)?;
        }
        if self.meta.len() != specs.len() {
            return Err(Error::Shape {
                what: "meta-parameter arrays".into(),
                expected: specs.len(),
                got: self.meta.len(),
            });
        }
        for (spec, m) in specs.iter().zip(self.meta) {
            crate::batch::check_len(spec.name, m, n)?;
        }
        Ok(())
    }

    /// Checks every shape, that every number is finite, that the discounts lie in [0, 1],
    /// that the episode mask is 0 or 1 and that each meta-parameter of kind
    /// [`MetaKind::Value`] stays in its domain.
    pub fn validate(&self, specs: &[MetaParamSpec]) -> Result<()> {
        let b = &self.batch;
        b.check_steps("rewards", self.rewards)?;
        b.check_steps("discounts", self.discounts)?;
        b.check_steps("episode_continues", self.episode_continues)?;
        b.check_steps("values", self.values)?;
        b.check_steps("next_values", self.next_values)?;
        b.check_steps("log_rhos", self.log_rhos)?;
        if let Some(&d) = self.discounts.iter().find(|d| !(0.0..=1.0).contains(*d)) {
            return Err(Error::OutOfDomain { name: "discounts".into(), value: d, domain: "[0, 1]".into() });
        }
        if let Some(&e) = self.episode_continues.iter().find(|&&e| e != 0.0 && e != 1.0) {
            return Err(Error::OutOfDomain { name: "episode_continues".into(), value: e, domain: "{0, 1}".into() });
        }
        validate_meta(b, specs, self.meta)
    }
}

/// Checks the per-step meta-parameter arrays against their declarations.
pub fn validate_meta(b: &Batch, specs: &[MetaParamSpec], meta: &[&[f64]]) -> Result<()> {
    if meta.len() != specs.len() {
        return Err(Error::Shape { what: "meta-parameter arrays".into(), expected: specs.len(), got: meta.len() });
    }
    for (spec, m) in specs.iter().zip(meta) {
        b.check_steps(spec.name, m)?;
        if spec.kind == MetaKind::Value {
            if let Some(&v) = m.iter().find(|&&v| !spec.domain.contains(v)) {
                spec.domain.check(spec.name, v)?;
            }
        }
    }
    Ok(())
}

/// Tangents of the inputs; `None` stands for a zero tangent.
#[derive(Debug, Clone, Default)]
pub struct InputTangents<'a> {
    pub rewards: Option<&'a [f64]>,
    pub values: Option<&'a [f64]>,
    pub next_values: Option<&'a [f64]>,
    pub log_rhos: Option<&'a [f64]>,
    /// One entry per declared meta-parameter, in declaration order (missing entries are zero).
    pub meta: Vec<Option<&'a [f64]>>,
}

impl<'a> InputTangents<'a> {
    /// The tangent that moves only meta-parameter `index` along `tangent`: what method (a)
    /// of the meta-gradient pushes through the return.
    pub fn meta_only(n_meta: usize, index: usize, tangent: &'a [f64]) -> Self {
        let mut meta = vec![None; n_meta];
        meta[index] = Some(tangent);
        InputTangents { meta, ..Default::default() }
    }

    /// Checks every present tangent against the batch shape.
    pub fn validate(&self, batch: &Batch, n_meta: usize) -> Result<()> {
        let named = [
            ("rewards tangent", self.rewards),
            ("values tangent", self.values),
            ("next_values tangent", self.next_values),
            ("log_rhos tangent", self.log_rhos),
        ];
        for (what, t) in named.into_iter().chain(self.meta.iter().map(|m| ("meta-parameter tangent", *m))) {
            if let Some(t) = t {
                batch.check_steps(what, t)?;
            }
        }
        if self.meta.len() > n_meta {
            return Err(Error::Shape {
                what: "meta-parameter tangents".into(),
                expected: n_meta,
                got: self.meta.len(),
            });
        }
        Ok(())
    }

    /// The tangent of meta-parameter `i`, if any.
    pub fn meta(&self, i: usize) -> Option<&'a [f64]> {
        self.meta.get(i).copied().flatten()
    }
}

/// The two targets of a return (or their tangents), `[T, B]` each.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// vₜ, the target of V(xₜ).
    pub values: Vec<f64>,
    /// Aₜ, the policy-gradient advantage of aₜ.
    pub advantages: Vec<f64>,
}

/// Cotangents of the two targets, `[T, B]` each.
#[derive(Debug, Clone, Copy)]
pub struct TargetCotangents<'a> {
    pub values: &'a [f64],
    pub advantages: &'a [f64],
}

impl TargetCotangents<'_> {
    pub fn validate(&self, batch: &Batch) -> Result<()> {
        batch.check_steps("value-target cotangent", self.values)?;
        batch.check_steps("advantage cotangent", self.advantages)
    }
}

/// Cotangents of every differentiable input, `[T, B]` each.
#[derive(Debug, Clone, PartialEq)]
pub struct InputCotangents {
    pub rewards: Vec<f64>,
    pub values: Vec<f64>,
    pub next_values: Vec<f64>,
    pub log_rhos: Vec<f64>,
    /// One per declared meta-parameter, in declaration order.
    pub meta: Vec<Vec<f64>>,
}

impl InputCotangents {
    /// All-zero cotangents for a batch and `n_meta` meta-parameters.
    pub fn zeros(batch: &Batch, n_meta: usize) -> Self {
        let z = vec![0.0; batch.len()];
        InputCotangents {
            rewards: z.clone(),
            values: z.clone(),
            next_values: z.clone(),
            log_rhos: z.clone(),
            meta: vec![z; n_meta],
        }
    }
}

/// A return definition: targets from rewards, values and meta-parameters.
///
/// Implementations are `#[typetag::serde]` so that an experiment names them in TOML, and
/// register an [`inventory`] entry ([`crate::PluginEntry`]) that declares their meta-parameters.
/// Their serde fields are the plugin's *options* (for example `n` of the n-step return);
/// meta-parameters are not fields but per-step inputs ([`ReturnInputs::meta`]).
#[typetag::serde(tag = "type")]
pub trait ReturnFn: std::fmt::Debug + Send + Sync {
    /// The meta-parameters this return reads, in the order of [`ReturnInputs::meta`].
    fn meta_params(&self) -> &'static [MetaParamSpec];

    /// The targets (value targets and policy-gradient advantages).
    fn targets(&self, x: &ReturnInputs) -> Result<Targets>;

    /// Jacobian-vector product: the tangents of the targets for tangents `dx` of the inputs.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets>;

    /// Vector-Jacobian product: the cotangents of every input for cotangents `dy` of the targets.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents>;
}
