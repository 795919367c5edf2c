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

use crate::{Batch, Error, MetaParamSpec, MetaValues, Result};

/// The inputs of a return, `[T, B]` row-major arrays (see the module doc) and the
/// meta-parameters by name. [`crate::ReturnBatch`] owns them and lends this view.
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
    /// ηₜ of every declared meta-parameter, by name: a scalar or a `[T, B]` array each.
    pub meta: &'a MetaValues,
}

impl ReturnInputs<'_> {
    /// Checks the lengths of every array and that exactly the declared meta-parameters are
    /// given (no pass over the data). A plugin that fuses its finiteness and domain checks
    /// into its own loops calls this first, and [`Self::validate`] only when its checks flag
    /// something, to name the culprit.
    pub fn validate_shapes(&self, specs: &[MetaParamSpec]) -> Result<()> {
        let n = self.batch.len();
        for (what, x) in self.arrays() {
            crate::batch::check_len(what, x, n)?;
        }
        self.meta.validate_shapes(&self.batch, specs)
    }

    /// Checks every shape, that every number is finite, that the discounts lie in [0, 1],
    /// that the episode mask is 0 or 1 and that each meta-parameter of kind
    /// [`crate::MetaKind::Value`] stays in its domain.
    pub fn validate(&self, specs: &[MetaParamSpec]) -> Result<()> {
        for (what, x) in self.arrays() {
            self.batch.check_steps(what, x)?;
        }
        if let Some(&d) = self.discounts.iter().find(|d| !(0.0..=1.0).contains(*d)) {
            return Err(Error::OutOfDomain { name: "discounts".into(), value: d, domain: "[0, 1]".into() });
        }
        if let Some(&e) = self.episode_continues.iter().find(|&&e| e != 0.0 && e != 1.0) {
            return Err(Error::OutOfDomain { name: "episode_continues".into(), value: e, domain: "{0, 1}".into() });
        }
        self.meta.validate(&self.batch, specs)
    }

    /// The six arrays with their names.
    fn arrays(&self) -> [(&'static str, &[f64]); 6] {
        [
            ("rewards", self.rewards),
            ("discounts", self.discounts),
            ("episode_continues", self.episode_continues),
            ("values", self.values),
            ("next_values", self.next_values),
            ("log_rhos", self.log_rhos),
        ]
    }
}

/// Tangents of the inputs; `None` (or a meta-parameter left out) stands for a zero tangent.
#[derive(Debug, Clone, Default)]
pub struct InputTangents<'a> {
    pub rewards: Option<&'a [f64]>,
    pub values: Option<&'a [f64]>,
    pub next_values: Option<&'a [f64]>,
    pub log_rhos: Option<&'a [f64]>,
    /// The tangents of the meta-parameters, by name.
    pub meta: MetaValues,
}

impl InputTangents<'_> {
    /// The tangent that moves only meta-parameter `name`: what method (a) of the
    /// meta-gradient pushes through the return.
    pub fn meta_only(name: &'static str, tangent: crate::MetaValue) -> Self {
        InputTangents { meta: MetaValues::new().with(name, tangent), ..Default::default() }
    }

    /// Checks every present tangent against the batch shape and the declarations.
    pub fn validate(&self, batch: &Batch, specs: &[MetaParamSpec]) -> Result<()> {
        let named = [
            ("rewards tangent", self.rewards),
            ("values tangent", self.values),
            ("next_values tangent", self.next_values),
            ("log_rhos tangent", self.log_rhos),
        ];
        for (what, t) in named {
            if let Some(t) = t {
                batch.check_steps(what, t)?;
            }
        }
        self.meta.validate_tangents(batch, specs)
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
    /// One `[T, B]` array ([`crate::MetaValue::Steps`]) per declared meta-parameter, by name,
    /// whether the meta-parameter was given per step or as a scalar.
    pub meta: MetaValues,
}

impl InputCotangents {
    /// All-zero cotangents for a batch and the declared meta-parameters.
    pub fn zeros(batch: &Batch, specs: &[MetaParamSpec]) -> Self {
        let z = vec![0.0; batch.len()];
        InputCotangents {
            rewards: z.clone(),
            values: z.clone(),
            next_values: z.clone(),
            log_rhos: z,
            meta: MetaValues::zeros(batch, specs),
        }
    }
}

/// A return definition: targets from rewards, values and meta-parameters.
///
/// An implementation registers with [`crate::plugin`], which names it for TOML (through
/// `typetag`) and for the registry ([`crate::PluginEntry`]) and declares its meta-parameters,
/// in one place. Its serde fields are the plugin's *options* (for example `n` of the n-step
/// return); meta-parameters are not fields but inputs ([`ReturnInputs::meta`]), read by name.
#[typetag::serde(tag = "type")]
pub trait ReturnFn: std::fmt::Debug + Send + Sync {
    /// The meta-parameters this return reads (written by [`crate::plugin`]).
    fn meta_params(&self) -> &'static [MetaParamSpec];

    /// The targets (value targets and policy-gradient advantages).
    fn targets(&self, x: &ReturnInputs) -> Result<Targets>;

    /// Jacobian-vector product: the tangents of the targets for tangents `dx` of the inputs.
    fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets>;

    /// Vector-Jacobian product: the cotangents of every input for cotangents `dy` of the targets.
    fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents>;
}
