//! Every registered return plugin: its JVP and its VJP agree with central finite
//! differences (f64) for every differentiable input and every meta-parameter, on random
//! inputs with episode ends inside the batch; and the two are adjoint.

use mgrl_core::{registry, Batch, InputTangents, PluginKind, ReturnFn, ReturnInputs, TargetCotangents, Targets};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

/// Names of the differentiable inputs, in the order of `Case::arrays` after the discounts.
const INPUTS: [&str; 4] = ["rewards", "values", "next_values", "log_rhos"];

/// The options a plugin needs to be built (`n` of the n-step return).
fn plugin(name: &str) -> Box<dyn ReturnFn> {
    let text = match name {
        "n_step" => format!("type = \"{name}\"\nn = 3"),
        _ => format!("type = \"{name}\""),
    };
    toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// arrays = [rewards, discounts, values, next_values, log_rhos, meta…].
struct Case {
    batch: Batch,
    arrays: Vec<Vec<f64>>,
}

impl Case {
    fn random(plugin: &dyn ReturnFn, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let batch = Batch::new(5, 3).unwrap();
        let n = batch.len();
        let mut u = |lo: f64, hi: f64| -> Vec<f64> { (0..n).map(|_| rng.gen_range(lo..hi)).collect() };
        let mut discounts = vec![1.0; n];
        discounts[4] = 0.0;
        discounts[9] = 0.0;
        let mut arrays = vec![u(-1.0, 1.0), discounts, u(-1.0, 1.0), u(-1.0, 1.0), u(-0.6, 0.6)];
        for m in plugin.meta_params() {
            // Inside the domain and away from the kinks of truncations at 1.
            arrays.push(if m.domain.hi <= 1.0 { u(0.2, 0.9) } else { u(0.5, 2.0) });
        }
        Case { batch, arrays }
    }

    fn targets(&self, plugin: &dyn ReturnFn) -> Targets {
        let meta: Vec<&[f64]> = self.arrays[5..].iter().map(Vec::as_slice).collect();
        plugin.targets(&self.inputs(&meta)).unwrap()
    }

    fn inputs<'a>(&'a self, meta: &'a [&'a [f64]]) -> ReturnInputs<'a> {
        let a = &self.arrays;
        ReturnInputs {
            batch: self.batch,
            rewards: &a[0],
            discounts: &a[1],
            values: &a[2],
            next_values: &a[3],
            log_rhos: &a[4],
            meta,
        }
    }
}

fn check_plugin(name: &str) {
    let p = plugin(name);
    for seed in 0..3 {
        let case = Case::random(p.as_ref(), seed);
        let n = case.batch.len();
        let n_meta = p.meta_params().len();
        let meta: Vec<&[f64]> = case.arrays[5..].iter().map(Vec::as_slice).collect();
        let x = case.inputs(&meta);
        let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
        let u: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let w: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let cot = p.vjp(&x, &TargetCotangents { values: &u, advantages: &w }).unwrap();
        let cot_of = |input: usize| -> &Vec<f64> {
            match input {
                0 => &cot.rewards,
                2 => &cot.values,
                3 => &cot.next_values,
                4 => &cot.log_rhos,
                k => &cot.meta[k - 5],
            }
        };
        let label = |input: usize| {
            if input < 5 {
                INPUTS[[0, 0, 1, 2, 3][input]].to_string()
            } else {
                p.meta_params()[input - 5].name.to_string()
            }
        };
        for input in [0usize, 2, 3, 4].into_iter().chain(5..5 + n_meta) {
            for i in 0..n {
                let h = 1e-6;
                let shifted = |delta: f64| {
                    let mut c = Case { batch: case.batch, arrays: case.arrays.clone() };
                    c.arrays[input][i] += delta;
                    c.targets(p.as_ref())
                };
                let (tp, tm) = (shifted(h), shifted(-h));
                let fd =
                    |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(a, b)| (a - b) / (2.0 * h)).collect() };
                let (fd_v, fd_a) = (fd(&tp.values, &tm.values), fd(&tp.advantages, &tm.advantages));
                let mut e = vec![0.0; n];
                e[i] = 1.0;
                let mut dx = InputTangents { meta: vec![None; n_meta], ..Default::default() };
                match input {
                    0 => dx.rewards = Some(&e),
                    2 => dx.values = Some(&e),
                    3 => dx.next_values = Some(&e),
                    4 => dx.log_rhos = Some(&e),
                    k => dx.meta[k - 5] = Some(&e),
                }
                let jvp = p.jvp(&x, &dx).unwrap();
                for j in 0..n {
                    assert!(
                        (jvp.values[j] - fd_v[j]).abs() < 1e-7,
                        "{name}: JVP of v[{j}] along {}[{i}]",
                        label(input)
                    );
                    assert!(
                        (jvp.advantages[j] - fd_a[j]).abs() < 1e-7,
                        "{name}: JVP of A[{j}] along {}[{i}]",
                        label(input)
                    );
                }
                let fd_vjp: f64 = fd_v.iter().zip(&u).chain(fd_a.iter().zip(&w)).map(|(a, b)| a * b).sum();
                let vjp = cot_of(input)[i];
                assert!((vjp - fd_vjp).abs() < 1e-7, "{name}: VJP for {}[{i}]: {vjp} vs {fd_vjp}", label(input));
            }
        }
    }
}

#[test]
fn every_return_plugin_has_jvp_and_vjp_matching_central_differences() {
    let names: Vec<_> =
        registry::plugins().into_iter().filter(|p| p.kind == PluginKind::Return).map(|p| p.name).collect();
    assert!(names.contains(&"lambda_return"), "built-in returns are registered: {names:?}");
    for name in names {
        check_plugin(name);
    }
}

#[test]
fn every_registered_plugin_deserialises_by_name_with_its_declared_meta_parameters() {
    for entry in registry::plugins().into_iter().filter(|p| p.kind == PluginKind::Return) {
        assert_eq!(plugin(entry.name).meta_params(), entry.meta_params, "{}", entry.name);
    }
}
