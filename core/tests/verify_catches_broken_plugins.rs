//! `mgrl_core::verify` fails, naming the check, the input and the step, for plugins broken on
//! purpose, registered in this test binary only: the discounted return to the end of the
//! episode, Gₜ = rₜ + γₜdₜ[(1 − eₜ)V(xₜ₊₁) + eₜGₜ₊₁] (bootstrapping at T), done right, and
//! broken in one way each.

use mgrl_core::{
    registry, verify, InputCotangents, InputTangents, MetaParamSpec, MetaValue, PluginKind, Result, ReturnFn,
    ReturnInputs, TargetCotangents, Targets,
};
use serde::{Deserialize, Serialize};

const GAMMA: &[MetaParamSpec] = &[MetaParamSpec::unit("gamma", "discount γ", 0.9)];
const GAMMA_LAMBDA: &[MetaParamSpec] =
    &[MetaParamSpec::unit("gamma", "discount γ", 0.9), MetaParamSpec::unit("lambda", "never read", 0.5)];

/// How a plugin is broken.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// The JVP's term in dγ has the wrong sign.
    JvpSign,
    /// The VJP leaves the cotangent of the next values at zero.
    VjpWithoutNextValues,
    /// A NaN reward is asserted against instead of returned as an error.
    PanicsOnNan,
    /// The episode mask is read as 1: the next episode leaks into this one.
    IgnoresEpisodeEnds,
    /// It declares a λ it never reads.
    DeclaresUnusedLambda,
    /// It halves γ when γ comes as one scalar rather than per step.
    MisreadsScalars,
}

/// γᵢ as the plugin reads it.
fn gamma(x: &ReturnInputs, fault: Fault, i: usize) -> f64 {
    match (x.meta.get("gamma").expect("validated"), fault) {
        (MetaValue::Scalar(g), Fault::MisreadsScalars) => 0.5 * g,
        (g, _) => g.at(i),
    }
}

/// eₜ as the plugin reads it (0 at the last step, which bootstraps).
fn mask(x: &ReturnInputs, fault: Fault, i: usize) -> f64 {
    match (i + x.batch.b < x.batch.len(), fault) {
        (false, _) => 0.0,
        (true, Fault::IgnoresEpisodeEnds) => 1.0,
        (true, _) => x.episode_continues[i],
    }
}

const fn specs(fault: Fault) -> &'static [MetaParamSpec] {
    match fault {
        Fault::DeclaresUnusedLambda => GAMMA_LAMBDA,
        _ => GAMMA,
    }
}

fn returns(x: &ReturnInputs, fault: Fault) -> Vec<f64> {
    let b = x.batch.b;
    let mut g = vec![0.0; x.batch.len()];
    for i in (0..x.batch.len()).rev() {
        let (e, next) = (mask(x, fault, i), g.get(i + b).copied().unwrap_or(0.0));
        g[i] = x.rewards[i] + gamma(x, fault, i) * x.discounts[i] * ((1.0 - e) * x.next_values[i] + e * next);
    }
    g
}

fn targets(x: &ReturnInputs, fault: Fault) -> Result<Targets> {
    if fault == Fault::PanicsOnNan {
        assert!(x.rewards.iter().all(|r| !r.is_nan()), "a NaN reward");
    }
    x.validate(specs(fault))?;
    let g = returns(x, fault);
    Ok(Targets { advantages: g.iter().zip(x.values).map(|(g, v)| g - v).collect(), values: g })
}

fn jvp(x: &ReturnInputs, dx: &InputTangents, fault: Fault) -> Result<Targets> {
    x.validate(specs(fault))?;
    let (b, g) = (x.batch.b, returns(x, fault));
    let at = |o: Option<&[f64]>, i: usize| o.map_or(0.0, |v| v[i]);
    let d_gamma = |i: usize| dx.meta.find("gamma").map_or(0.0, |d| d.at(i));
    let sign = if fault == Fault::JvpSign { -1.0 } else { 1.0 };
    let mut dg = vec![0.0; x.batch.len()];
    for i in (0..x.batch.len()).rev() {
        let e = mask(x, fault, i);
        let (next, d_next) = (g.get(i + b).copied().unwrap_or(0.0), dg.get(i + b).copied().unwrap_or(0.0));
        let bootstrap = (1.0 - e) * x.next_values[i] + e * next;
        dg[i] = at(dx.rewards, i)
            + sign * d_gamma(i) * x.discounts[i] * bootstrap
            + gamma(x, fault, i) * x.discounts[i] * ((1.0 - e) * at(dx.next_values, i) + e * d_next);
    }
    Ok(Targets { advantages: dg.iter().enumerate().map(|(i, d)| d - at(dx.values, i)).collect(), values: dg })
}

fn vjp(x: &ReturnInputs, dy: &TargetCotangents, fault: Fault) -> Result<InputCotangents> {
    x.validate(specs(fault))?;
    let (b, g) = (x.batch.b, returns(x, fault));
    let mut out = InputCotangents::zeros(&x.batch, specs(fault));
    let mut gamma_bar = vec![0.0; x.batch.len()];
    let mut g_bar = vec![0.0; x.batch.len()];
    for i in 0..x.batch.len() {
        let from_prev = if i >= b {
            gamma(x, fault, i - b) * x.discounts[i - b] * mask(x, fault, i - b) * g_bar[i - b]
        } else {
            0.0
        };
        g_bar[i] = dy.values[i] + dy.advantages[i] + from_prev;
        let (e, next) = (mask(x, fault, i), g.get(i + b).copied().unwrap_or(0.0));
        out.rewards[i] = g_bar[i];
        out.values[i] = -dy.advantages[i];
        if fault != Fault::VjpWithoutNextValues {
            out.next_values[i] = g_bar[i] * gamma(x, fault, i) * x.discounts[i] * (1.0 - e);
        }
        gamma_bar[i] = g_bar[i] * x.discounts[i] * ((1.0 - e) * x.next_values[i] + e * next);
    }
    out.meta.set("gamma", MetaValue::Steps(gamma_bar));
    Ok(out)
}

/// A registered return with fault `$fault`.
macro_rules! plugin {
    ($ty:ident, $name:literal, $fault:expr) => {
        #[derive(Debug, Serialize, Deserialize)]
        struct $ty {}

        #[mgrl_core::plugin(name = $name, description = "a return broken on purpose (tests only)", meta = specs($fault))]
        impl ReturnFn for $ty {
            fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
                targets(x, $fault)
            }
            fn jvp(&self, x: &ReturnInputs, dx: &InputTangents) -> Result<Targets> {
                jvp(x, dx, $fault)
            }
            fn vjp(&self, x: &ReturnInputs, dy: &TargetCotangents) -> Result<InputCotangents> {
                vjp(x, dy, $fault)
            }
        }
    };
}

plugin!(Sound, "sound", Fault::None);
plugin!(JvpSign, "jvp_sign", Fault::JvpSign);
plugin!(VjpWithoutNextValues, "vjp_without_next_values", Fault::VjpWithoutNextValues);
plugin!(PanicsOnNan, "panics_on_nan", Fault::PanicsOnNan);
plugin!(IgnoresEpisodeEnds, "ignores_episode_ends", Fault::IgnoresEpisodeEnds);
plugin!(DeclaresUnusedLambda, "declares_unused_lambda", Fault::DeclaresUnusedLambda);
plugin!(MisreadsScalars, "misreads_scalars", Fault::MisreadsScalars);

/// The report on plugin `name`, and the names of the checks it failed.
fn failed(name: &str) -> (verify::Report, Vec<&'static str>) {
    let report = verify::verify(&[registry::find(PluginKind::Return, name).unwrap()]);
    let names = report.failures().map(|c| c.name).collect();
    (report, names)
}

#[test]
fn the_sound_return_passes_every_check() {
    let (report, failed) = failed("sound");
    assert!(failed.is_empty(), "{report}");
    assert_eq!(report.checks.len(), 12, "{report}");
}

#[test]
fn a_jvp_with_a_wrong_sign_fails_jvp_and_adjoint_naming_gamma_the_step_and_both_numbers() {
    let (report, failed) = failed("jvp_sign");
    assert_eq!(failed, ["jvp", "adjoint", "T = 1", "domain edges"], "{report}");
    let failure = report.checks[0].failure.as_ref().unwrap();
    assert_eq!(failure.input, "gamma");
    let (got, want) = failure.numbers.unwrap();
    assert!(failure.step.is_some() && (got + want).abs() < 1e-6 * want.abs(), "{failure}");
    let text = report.to_string();
    assert!(text.contains("jvp_sign failed `jvp`: T×B = ") && text.contains("`gamma` at step "), "{text}");
}

#[test]
fn a_vjp_missing_one_input_fails_vjp_naming_that_input() {
    let (report, failed) = failed("vjp_without_next_values");
    assert!(failed.starts_with(&["vjp", "adjoint"]) && !failed.contains(&"jvp"), "{report}");
    assert_eq!(report.checks[1].failure.as_ref().unwrap().input, "next_values", "{report}");
}

#[test]
fn a_plugin_that_panics_on_nan_fails_non_finite_inputs() {
    let (report, failed) = failed("panics_on_nan");
    assert_eq!(failed, ["non-finite inputs"], "{report}");
    let failure = report.failures().next().unwrap().failure.as_ref().unwrap();
    assert!(failure.input == "rewards" && failure.what.contains("panicked: a NaN reward"), "{failure}");
}

#[test]
fn a_return_that_ignores_episode_ends_fails_episode_ends() {
    let (report, failed) = failed("ignores_episode_ends");
    assert_eq!(failed, ["episode ends"], "{report}");
}

#[test]
fn a_declared_meta_parameter_never_read_fails_meta_parameters_read() {
    let (report, failed) = failed("declares_unused_lambda");
    assert_eq!(failed, ["meta-parameters read"], "{report}");
    assert_eq!(report.failures().next().unwrap().failure.as_ref().unwrap().input, "lambda");
}

#[test]
fn a_return_that_misreads_a_scalar_meta_parameter_fails_scalar_meta_parameters() {
    let (report, failed) = failed("misreads_scalars");
    assert_eq!(failed, ["scalar meta-parameters"], "{report}");
    let failure = report.failures().next().unwrap().failure.as_ref().unwrap();
    assert!(failure.what.contains("with scalars") && failure.numbers.is_some(), "{failure}");
}
