//! Bad inputs at the API are errors that say what was wrong, never panics, for every
//! registered plugin and each of its three methods: a NaN or an infinity in any array the
//! plugin reads, an array of the wrong length, a missing meta-parameter array, a
//! meta-parameter, a continuation or an episode mask outside its domain, tangents and
//! cotangents of the wrong length or not finite.

use mgrl_core::{
    registry, Batch, InputTangents, MetaValue, MetaValues, PluginKind, Result, ReturnFn, ReturnInputs, RewardInputs,
    RewardTransform, TargetCotangents,
};

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

const T: usize = 3;
const B: usize = 2;
const N: usize = T * B;

/// The names of the first arrays of `valid`; the meta-parameters' follow, from `META`.
const NAMES: [&str; 6] = ["rewards", "discounts", "values", "next_values", "log_rhos", "episode_continues"];
const META: usize = NAMES.len();

fn returns() -> Vec<(&'static str, Box<dyn ReturnFn>)> {
    registry::plugins()
        .into_iter()
        .filter(|p| p.kind == PluginKind::Return)
        .map(|p| {
            let options = if p.name == "n_step" { "n = 2" } else { "" };
            (p.name, toml::from_str(&format!("type = \"{}\"\n{options}", p.name)).unwrap())
        })
        .collect()
}

/// Valid inputs: [rewards, discounts, values, next_values, log_rhos, episode_continues,
/// meta…], with a termination and a time-limit truncation, every meta-parameter at its
/// default.
fn valid(plugin: &dyn ReturnFn) -> Vec<Vec<f64>> {
    let mut arrays = vec![
        vec![0.5, -1.0, 0.0, 2.0, 1.0, 0.25],
        vec![1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
        vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        vec![0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
        vec![0.0, 0.3, -0.2, 0.1, 0.0, -0.5],
        vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0],
    ];
    arrays.extend(plugin.meta_params().iter().map(|m| vec![m.default; N]));
    arrays
}

/// Runs targets, JVP (along the rewards) and VJP on `arrays` (its first `n_meta` meta arrays).
fn run_all(plugin: &dyn ReturnFn, arrays: &[Vec<f64>], n_meta: usize) -> [Result<()>; 3] {
    let meta = MetaValues::from_steps(plugin.meta_params(), arrays[META..META + n_meta].iter().cloned());
    let x = ReturnInputs {
        batch: Batch::new(T, B).unwrap(),
        rewards: &arrays[0],
        discounts: &arrays[1],
        episode_continues: &arrays[5],
        values: &arrays[2],
        next_values: &arrays[3],
        log_rhos: &arrays[4],
        meta: &meta,
    };
    let ones = [1.0; N];
    let dx = InputTangents { rewards: Some(&ones), ..Default::default() };
    let dy = TargetCotangents { values: &ones, advantages: &ones };
    [plugin.targets(&x).map(drop), plugin.jvp(&x, &dx).map(drop), plugin.vjp(&x, &dy).map(drop)]
}

fn assert_errors(results: [Result<()>; 3], expect: &str, what: &str) {
    for (method, result) in ["targets", "jvp", "vjp"].into_iter().zip(results) {
        match result {
            Ok(()) => panic!("{what}: {method} accepted it"),
            Err(e) => assert!(e.to_string().contains(expect), "{what}: {method}: `{e}` does not say `{expect}`"),
        }
    }
}

#[test]
fn valid_inputs_are_accepted_by_every_method() {
    for (name, p) in returns() {
        for result in run_all(p.as_ref(), &valid(p.as_ref()), p.meta_params().len()) {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn a_nan_or_infinity_in_any_array_read_is_an_error_naming_the_array() {
    for (name, p) in returns() {
        let base = valid(p.as_ref());
        for a in 0..base.len() {
            // The λ-return and the n-step return do not read the log importance ratios.
            if a == 4 && name != "vtrace" {
                continue;
            }
            let array = NAMES.get(a).copied().unwrap_or_else(|| p.meta_params()[a - META].name);
            for (i, bad) in [(0, f64::NAN), (N - 1, f64::INFINITY), (3, f64::NEG_INFINITY)] {
                let mut arrays = base.clone();
                arrays[a][i] = bad;
                let results = run_all(p.as_ref(), &arrays, p.meta_params().len());
                assert_errors(results, &format!("`{array}`"), &format!("{name}: {array}[{i}] = {bad}"));
            }
        }
    }
}

#[test]
fn values_outside_their_domain_are_errors_stating_the_domain() {
    for (name, p) in returns() {
        let base = valid(p.as_ref());
        let mut arrays = base.clone();
        arrays[1][2] = 1.5;
        assert_errors(run_all(p.as_ref(), &arrays, p.meta_params().len()), "[0, 1]", &format!("{name}: discount 1.5"));
        let mut arrays = base.clone();
        arrays[5][1] = 0.5;
        let expect = "`episode_continues` = 0.5 is outside its domain {0, 1}";
        assert_errors(run_all(p.as_ref(), &arrays, p.meta_params().len()), expect, &format!("{name}: mask 0.5"));
        for (m, spec) in p.meta_params().iter().enumerate() {
            let mut arrays = base.clone();
            arrays[META + m][4] = if spec.domain.hi <= 1.0 { -0.1 } else { 0.0 };
            let what = format!("{name}: {} = {}", spec.name, arrays[META + m][4]);
            let results = run_all(p.as_ref(), &arrays, p.meta_params().len());
            assert_errors(
                results,
                &format!("`{}` = {} is outside its domain {}", spec.name, arrays[META + m][4], spec.domain),
                &what,
            );
        }
    }
}

#[test]
fn arrays_of_the_wrong_length_and_missing_meta_parameters_are_shape_errors() {
    for (name, p) in returns() {
        let base = valid(p.as_ref());
        for a in 0..base.len() {
            let mut arrays = base.clone();
            arrays[a].pop();
            let results = run_all(p.as_ref(), &arrays, p.meta_params().len());
            assert_errors(
                results,
                &format!("expected {N} elements, got {}", N - 1),
                &format!("{name}: array {a} short"),
            );
        }
        let results = run_all(p.as_ref(), &base, p.meta_params().len() - 1);
        let last = p.meta_params().last().unwrap().name;
        assert_errors(results, &format!("no meta-parameter `{last}`"), &format!("{name}: a meta-parameter missing"));
    }
}

#[test]
fn tangents_and_cotangents_of_the_wrong_length_or_not_finite_are_errors() {
    for (name, p) in returns() {
        let arrays = valid(p.as_ref());
        let meta = MetaValues::from_steps(p.meta_params(), arrays[META..].iter().cloned());
        let x = ReturnInputs {
            batch: Batch::new(T, B).unwrap(),
            rewards: &arrays[0],
            discounts: &arrays[1],
            episode_continues: &arrays[5],
            values: &arrays[2],
            next_values: &arrays[3],
            log_rhos: &arrays[4],
            meta: &meta,
        };
        let (short, ones) = ([1.0; N - 1], [1.0; N]);
        let mut nan = ones;
        nan[2] = f64::NAN;
        for bad in [&short[..], &nan[..]] {
            let dx = InputTangents { next_values: Some(bad), ..Default::default() };
            assert!(p.jvp(&x, &dx).is_err(), "{name}: JVP with a bad tangent");
            let gamma = MetaValues::new().with("gamma", MetaValue::Steps(bad.to_vec()));
            let dx = InputTangents { meta: gamma, ..Default::default() };
            assert!(p.jvp(&x, &dx).is_err(), "{name}: JVP with a bad meta tangent");
            let err = p.vjp(&x, &TargetCotangents { values: &ones, advantages: bad }).unwrap_err().to_string();
            assert!(err.contains("advantage cotangent"), "{name}: {err}");
            let err = p.vjp(&x, &TargetCotangents { values: bad, advantages: &ones }).unwrap_err().to_string();
            assert!(err.contains("value-target cotangent"), "{name}: {err}");
        }
    }
}

#[test]
fn reward_transforms_reject_bad_rewards_meta_inputs_and_cotangents() {
    let batch = Batch::new(T, B).unwrap();
    for entry in registry::plugins().into_iter().filter(|p| p.kind == PluginKind::RewardTransform) {
        let t: Box<dyn RewardTransform> = toml::from_str(&format!("type = \"{}\"", entry.name)).unwrap();
        let name = entry.meta_params[0].name;
        let steps = |v: Vec<f64>| MetaValues::new().with(name, MetaValue::Steps(v));
        let rewards = vec![0.5; N];
        let (meta, none) = (steps(vec![1.0; N]), MetaValues::new());
        let x = RewardInputs { batch, rewards: &rewards, meta: &meta };
        let ok = [t.apply(&x).map(drop), t.jvp(&x, Some(&rewards), &none).map(drop), t.vjp(&x, &rewards).map(drop)];
        for r in ok {
            r.unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        }
        let mut nan = rewards.clone();
        nan[1] = f64::NAN;
        let short = vec![0.5; N - 1];
        let nan_meta = steps(nan.clone());
        let cases: [(RewardInputs, String); 4] = [
            (RewardInputs { batch, rewards: &nan, meta: &meta }, "`rewards`".into()),
            (RewardInputs { batch, rewards: &rewards, meta: &nan_meta }, format!("`{name}`")),
            (RewardInputs { batch, rewards: &short, meta: &meta }, format!("expected {N} elements")),
            (RewardInputs { batch, rewards: &rewards, meta: &none }, format!("no meta-parameter `{name}`")),
        ];
        for (bad, expect) in cases {
            let results =
                [t.apply(&bad).map(drop), t.jvp(&bad, None, &none).map(drop), t.vjp(&bad, &rewards).map(drop)];
            assert_errors(results, &expect, &format!("{}: {expect}", entry.name));
        }
        assert!(t.jvp(&x, Some(&short), &none).is_err() && t.jvp(&x, None, &nan_meta).is_err(), "{}", entry.name);
        assert!(t.vjp(&x, &short).is_err() && t.vjp(&x, &nan).is_err(), "{}", entry.name);
        if entry.meta_params[0].domain.lo == 0.0 {
            let zero = steps(vec![0.0; N]);
            let err = t.apply(&RewardInputs { batch, rewards: &rewards, meta: &zero }).unwrap_err().to_string();
            assert!(err.contains(&format!("`{name}` = 0 is outside its domain (0, ∞)")), "{}: {err}", entry.name);
        }
    }
}

#[test]
fn finite_inputs_whose_results_overflow_are_errors_not_infinite_results() {
    for (name, p) in returns() {
        let mut arrays = valid(p.as_ref());
        arrays[0] = vec![1.5e308; N];
        arrays[1] = vec![1.0; N];
        for (method, result) in
            ["targets", "jvp", "vjp"].into_iter().zip(run_all(p.as_ref(), &arrays, p.meta_params().len()))
        {
            let err = result.expect_err(&format!("{name}: {method} overflowed silently")).to_string();
            assert!(err.contains("is not finite"), "{name}: {method}: {err}");
        }
    }
}

#[test]
fn reward_transforms_whose_results_overflow_are_errors_and_tiny_thresholds_are_not() {
    let batch = Batch::new(1, 2).unwrap();
    let learned: Box<dyn RewardTransform> = toml::from_str("type = \"learned_reward\"").unwrap();
    let reward = MetaValues::new().with("reward", MetaValue::Steps(vec![1.5e308, 0.0]));
    let x = RewardInputs { batch, rewards: &[1.5e308, 0.0], meta: &reward };
    let err = learned.apply(&x).unwrap_err().to_string();
    assert!(err.contains("transformed rewards") && err.contains("not finite at index 0"), "{err}");
    // c = 1e−310: r/c overflows, yet r̃ = c·tanh(r/c) = ±c and both partials are finite.
    let soft: Box<dyn RewardTransform> = toml::from_str("type = \"soft_clip\"").unwrap();
    let threshold = MetaValues::new().with("threshold", MetaValue::Scalar(1e-310));
    let x = RewardInputs { batch, rewards: &[2.0, -2.0], meta: &threshold };
    assert_eq!(soft.apply(&x).unwrap(), vec![1e-310, -1e-310]);
    let back = soft.vjp(&x, &[1.0, 1.0]).unwrap();
    assert_eq!(back.rewards, vec![0.0, 0.0]);
    assert_eq!(back.meta.get("threshold").unwrap(), &MetaValue::Steps(vec![1.0, -1.0]));
}
