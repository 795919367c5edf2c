//! Checks of a registered return or reward-transform plugin, for its author and for
//! `mgrl verify`: everything the meta-optimiser takes on trust.
//!
//! For each configuration of a plugin ([`verify`]: its options at their defaults; a required
//! option at each of a few sample values it accepts), one [`Check`] per property:
//!
//! - `jvp`, `vjp`: both against differences of its outputs in f64 (central, or one-sided of
//!   second order at the edge of a domain) along every element of every differentiable input
//!   and every declared meta-parameter, on random batches of several shapes with episode ends
//!   inside them: terminations (d = 0) and time-limit truncations (d = 1, e = 0);
//! - `adjoint`: ⟨u, JVP(v)⟩ = ⟨VJP(u), v⟩ along every input at once;
//! - `T = 1`: the three above on batches of one step;
//! - `domain edges`: the three above with one meta-parameter at an edge of its domain (γ = 0
//!   and 1; for (0, ∞), 0.05 and 100);
//! - `episode ends` (returns): nothing of the episode after a truncation reaches the targets
//!   up to it, nor their JVP, and cotangents up to it reach none of its inputs;
//! - `finite outputs`: finite outputs for every finite batch above;
//! - `non-finite inputs`: a NaN or an infinity in any array it reads (whose redrawing changes
//!   its outputs) is an error from each method, neither a panic nor an output; in any array,
//!   never a panic;
//! - `scalar meta-parameters`: each meta-parameter given as one scalar gives what the same
//!   value at every step gives (outputs, JVP, and the VJP summed over the batch);
//! - `meta-parameters read`: changing any one meta-parameter array changes the outputs;
//! - `meta-parameter count`: one declared meta-parameter left out, or one undeclared given,
//!   is an error;
//! - `serde round trip`: serialised (typetag) and read back, the same outputs.

mod checks;
mod subject;

use crate::{registry, PluginEntry, PluginKind, ReturnFn, RewardTransform};
use std::fmt;
use subject::Subject;

/// A failed check: where, and the two numbers compared where there are two.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The batch it happened on: its shape and how it was drawn.
    pub case: String,
    /// The input moved or broken (`rewards`, `lambda`, …).
    pub input: String,
    /// The step t and the environment of that input's element, where there is one.
    pub step: Option<(usize, usize)>,
    /// What went wrong, e.g. `JVP of the advantage at step 1, env 0`.
    pub what: String,
    /// (the plugin's number, the reference it should equal), where two numbers are compared.
    pub numbers: Option<(f64, f64)>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`", self.case, self.input)?;
        if let Some((t, env)) = self.step {
            write!(f, " at step {t}, env {env}")?;
        }
        write!(f, ": {}", self.what)?;
        if let Some((got, want)) = self.numbers {
            write!(f, " = {got:e}, want {want:e}")?;
        }
        Ok(())
    }
}

/// One check of one plugin configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The plugin's name, with its options where they were set (`n_step n = 3`).
    pub plugin: String,
    /// The check's name (see the module doc).
    pub name: &'static str,
    /// The worst error seen (relative to max(1, |reference|)), for checks that compare numbers.
    pub worst: Option<f64>,
    /// The worst failure, if it failed.
    pub failure: Option<Failure>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Every check of every plugin verified; its `Display` is a table, one row per check, and
/// the failures below it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(Check::passed)
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = |cells: &mut dyn Iterator<Item = usize>| cells.max().unwrap_or(0);
        let w_plugin = width(&mut self.checks.iter().map(|c| c.plugin.chars().count())).max(6);
        let w_name = width(&mut self.checks.iter().map(|c| c.name.chars().count())).max(5);
        writeln!(f, "{:<w_plugin$}  {:<w_name$}  {:<11}  result", "plugin", "check", "worst error")?;
        for c in &self.checks {
            let worst = c.worst.map_or("-".to_string(), |w| format!("{w:.1e}"));
            let result = if c.passed() { "ok" } else { "FAILED" };
            writeln!(f, "{:<w_plugin$}  {:<w_name$}  {worst:<11}  {result}", c.plugin, c.name)?;
        }
        for c in self.failures() {
            if let Some(failure) = &c.failure {
                writeln!(f, "\n{} failed `{}`: {failure}", c.plugin, c.name)?;
            }
        }
        Ok(())
    }
}

/// Verifies every configuration of each plugin (see the module doc): its options at their
/// defaults, and each option without a default at every one of the sample values 1, 3 and 7
/// (one step, fewer and more steps than a batch has), 0.5, 2.0, true and false that it accepts.
pub fn verify(entries: &[&PluginEntry]) -> Report {
    let mut report = Report::default();
    for entry in entries {
        match configurations(entry) {
            Ok(configs) => {
                for (label, text) in configs {
                    let checks = match entry.kind {
                        PluginKind::Return => {
                            toml::from_str::<Box<dyn ReturnFn>>(&text).map(|p| verify_return(&label, p.as_ref()).checks)
                        }
                        PluginKind::RewardTransform => toml::from_str::<Box<dyn RewardTransform>>(&text)
                            .map(|p| verify_transform(&label, p.as_ref()).checks),
                    };
                    report.checks.extend(checks.unwrap_or_else(|e| vec![build_failure(&label, e.to_string())]));
                }
            }
            Err(message) => report.checks.push(build_failure(entry.name, message)),
        }
    }
    report
}

/// Verifies every registered plugin.
pub fn verify_all() -> Report {
    verify(&registry::plugins())
}

/// Verifies one configuration of a return plugin, named `label` in the report.
pub fn verify_return(label: &str, plugin: &dyn ReturnFn) -> Report {
    let round_trip = checks::round_trip(
        toml::to_string(plugin).map_err(|e| e.to_string()),
        |text| toml::from_str::<Box<dyn ReturnFn>>(text).map_err(|e| e.to_string()),
        |back| checks::same_outputs(Subject::Return(plugin), Subject::Return(back.as_ref())),
    );
    Report { checks: checks::all(label, Subject::Return(plugin), round_trip) }
}

/// Verifies one configuration of a reward-transform plugin, named `label` in the report.
pub fn verify_transform(label: &str, plugin: &dyn RewardTransform) -> Report {
    let round_trip = checks::round_trip(
        toml::to_string(plugin).map_err(|e| e.to_string()),
        |text| toml::from_str::<Box<dyn RewardTransform>>(text).map_err(|e| e.to_string()),
        |back| checks::same_outputs(Subject::Transform(plugin), Subject::Transform(back.as_ref())),
    );
    Report { checks: checks::all(label, Subject::Transform(plugin), round_trip) }
}

/// Sample values tried for an option without a default.
const SAMPLE_VALUES: [&str; 7] = ["1", "3", "7", "0.5", "2.0", "true", "false"];

/// (label, TOML) of every configuration of a plugin, or why there is none.
fn configurations(entry: &PluginEntry) -> Result<Vec<(String, String)>, String> {
    let mut configs = vec![(entry.name.to_string(), format!("type = \"{}\"\n", entry.name))];
    for option in entry.options.iter().filter(|o| o.default.is_empty()) {
        let mut next = Vec::new();
        for (label, text) in &configs {
            for value in SAMPLE_VALUES {
                let line = format!("{} = {value}", option.name);
                let (label, text) = (format!("{label} {line}"), format!("{text}{line}\n"));
                let accepted = match entry.kind {
                    PluginKind::Return => toml::from_str::<Box<dyn ReturnFn>>(&text).is_ok(),
                    PluginKind::RewardTransform => toml::from_str::<Box<dyn RewardTransform>>(&text).is_ok(),
                };
                if accepted {
                    next.push((label, text));
                }
            }
        }
        if next.is_empty() {
            return Err(format!(
                "option `{}` has no default and takes none of {}: verify it with `verify_return` or \
                 `verify_transform` in the plugin's own tests",
                option.name,
                SAMPLE_VALUES.join(", ")
            ));
        }
        configs = next;
    }
    Ok(configs)
}

/// The row of a plugin that could not be built from its TOML.
fn build_failure(label: &str, message: String) -> Check {
    Check {
        plugin: label.to_string(),
        name: "build",
        worst: None,
        failure: Some(Failure {
            case: "TOML".into(),
            input: "options".into(),
            step: None,
            what: message,
            numbers: None,
        }),
    }
}
