//! Every registered return plugin, in every configuration listed in `configurations`: its JVP
//! and its VJP agree with central finite differences (f64) for every differentiable input
//! (rewards, values, next values, log importance ratios, every meta-parameter) on random
//! inputs with episode ends inside the batch, terminations (d = 0, e = 0) and time-limit
//! truncations (d = 1, e = 0), and the two are adjoint,
//! ⟨VJP(u), v⟩ = ⟨u, JVP(v)⟩.

use mgrl_core::{registry, Batch, InputTangents, PluginKind, ReturnFn, ReturnInputs, TargetCotangents, Targets};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

/// The differentiable inputs, by their index in `Case::arrays` (1 is the discounts, which are
/// data, not differentiated), then the meta-parameters from index 5.
const INPUTS: [(usize, &str); 4] = [(0, "rewards"), (2, "values"), (3, "next_values"), (4, "log_rhos")];

/// Shapes checked: an ordinary batch, and T = 1.
const SHAPES: [(usize, usize); 2] = [(5, 3), (1, 2)];

/// Every registered return plugin, with each set of options worth checking apart.
fn configurations() -> Vec<(String, Box<dyn ReturnFn>)> {
    let mut all = Vec::new();
    for entry in registry::plugins().into_iter().filter(|p| p.kind == PluginKind::Return) {
        // n = 1 is one-step TD, n = 3 < T, n = 7 ≥ T the Monte-Carlo return.
        let options: &[&str] = if entry.name == "n_step" { &["n = 1", "n = 3", "n = 7"] } else { &[""] };
        for option in options {
            let text = format!("type = \"{}\"\n{option}", entry.name);
            let plugin = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
            all.push((format!("{} {option}", entry.name).trim().to_string(), plugin));
        }
    }
    assert!(all.len() >= 5, "the built-in returns are registered: {all:?}");
    all
}

/// arrays = [rewards, discounts, values, next_values, log_rhos, meta…]; the episode mask,
/// data like the discounts, apart.
#[derive(Clone)]
struct Case {
    batch: Batch,
    arrays: Vec<Vec<f64>>,
    episode_continues: Vec<f64>,
}

impl Case {
    fn random(plugin: &dyn ReturnFn, (t, b): (usize, usize), seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let batch = Batch::new(t, b).unwrap();
        let n = batch.len();
        let mut u = |lo: f64, hi: f64| -> Vec<f64> { (0..n).map(|_| rng.gen_range(lo..hi)).collect() };
        // Episode ends inside the batch, about one step in three: terminations (d = 0, e = 0)
        // and truncations (d = 1, e = 0), one of these always at row T/2 of environment 0.
        let ends = u(0.0, 1.0);
        let mut discounts: Vec<f64> = ends.iter().map(|&p| if p < 0.15 { 0.0 } else { 1.0 }).collect();
        let mut episode_continues: Vec<f64> = ends.iter().map(|&p| if p < 0.3 { 0.0 } else { 1.0 }).collect();
        (discounts[t / 2 * b], episode_continues[t / 2 * b]) = (1.0, 0.0);
        let mut arrays = vec![u(-1.0, 1.0), discounts, u(-1.0, 1.0), u(-1.0, 1.0), u(-0.6, 0.6)];
        for m in plugin.meta_params() {
            // Inside the domain; truncation levels in [0.5, 0.6] ∪ [1.9, 2.0] stay away from the
            // kinks of min(bar, ρ), since ρ = e^{log ρ} ∈ [0.55, 1.83].
            let values = if m.domain.hi <= 1.0 {
                u(0.2, 0.9)
            } else {
                u(0.0, 1.0).into_iter().map(|p| if p < 0.5 { 0.5 + 0.2 * p } else { 1.8 + 0.2 * p }).collect()
            };
            arrays.push(values);
        }
        Case { batch, arrays, episode_continues }
    }

    fn inputs<'a>(&'a self, meta: &'a [&'a [f64]]) -> ReturnInputs<'a> {
        let a = &self.arrays;
        ReturnInputs {
            batch: self.batch,
            rewards: &a[0],
            discounts: &a[1],
            episode_continues: &self.episode_continues,
            values: &a[2],
            next_values: &a[3],
            log_rhos: &a[4],
            meta,
        }
    }

    fn targets(&self, plugin: &dyn ReturnFn) -> Targets {
        let meta: Vec<&[f64]> = self.arrays[5..].iter().map(Vec::as_slice).collect();
        plugin.targets(&self.inputs(&meta)).unwrap()
    }

    /// Central differences of both targets along element i of array `input`.
    fn central_difference(&self, plugin: &dyn ReturnFn, input: usize, i: usize) -> (Vec<f64>, Vec<f64>) {
        let h = 1e-6;
        let shifted = |delta: f64| {
            let mut c = self.clone();
            c.arrays[input][i] += delta;
            c.targets(plugin)
        };
        let (plus, minus) = (shifted(h), shifted(-h));
        let fd = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| (a - b) / (2.0 * h)).collect();
        (fd(&plus.values, &minus.values), fd(&plus.advantages, &minus.advantages))
    }
}

/// The name of array `input` of a plugin's case.
fn label(plugin: &dyn ReturnFn, input: usize) -> &'static str {
    INPUTS.iter().find(|(k, _)| *k == input).map_or_else(|| plugin.meta_params()[input - 5].name, |(_, n)| n)
}

/// The tangent that moves array `input` along `e`.
fn tangent<'a>(plugin: &dyn ReturnFn, input: usize, e: &'a [f64]) -> InputTangents<'a> {
    let mut dx = InputTangents { meta: vec![None; plugin.meta_params().len()], ..Default::default() };
    match input {
        0 => dx.rewards = Some(e),
        2 => dx.values = Some(e),
        3 => dx.next_values = Some(e),
        4 => dx.log_rhos = Some(e),
        k => dx.meta[k - 5] = Some(e),
    }
    dx
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

#[test]
fn every_return_plugin_has_jvp_and_vjp_matching_central_differences() {
    for (name, p) in configurations() {
        let p = p.as_ref();
        for (seed, shape) in
            SHAPES.into_iter().enumerate().flat_map(|(s, shape)| [(s * 10, shape), (s * 10 + 1, shape)])
        {
            let case = Case::random(p, shape, seed as u64);
            let n = case.batch.len();
            let meta: Vec<&[f64]> = case.arrays[5..].iter().map(Vec::as_slice).collect();
            let x = case.inputs(&meta);
            let mut rng = ChaCha8Rng::seed_from_u64(100 + seed as u64);
            let u: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let w: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let cot = p.vjp(&x, &TargetCotangents { values: &u, advantages: &w }).unwrap();
            let cot_of = |input: usize| match input {
                0 => &cot.rewards,
                2 => &cot.values,
                3 => &cot.next_values,
                4 => &cot.log_rhos,
                k => &cot.meta[k - 5],
            };
            for input in INPUTS.iter().map(|(k, _)| *k).chain(5..case.arrays.len()) {
                for i in 0..n {
                    let (fd_v, fd_a) = case.central_difference(p, input, i);
                    let mut e = vec![0.0; n];
                    e[i] = 1.0;
                    let jvp = p.jvp(&x, &tangent(p, input, &e)).unwrap();
                    let what = format!("{name}, T×B = {shape:?}: along {}[{i}]", label(p, input));
                    for j in 0..n {
                        assert!(
                            (jvp.values[j] - fd_v[j]).abs() < 1e-7,
                            "{what}: JVP of v[{j}] {} vs {}",
                            jvp.values[j],
                            fd_v[j]
                        );
                        assert!((jvp.advantages[j] - fd_a[j]).abs() < 1e-7, "{what}: JVP of A[{j}]");
                    }
                    let fd_vjp = dot(&fd_v, &u) + dot(&fd_a, &w);
                    let vjp = cot_of(input)[i];
                    assert!((vjp - fd_vjp).abs() < 1e-7, "{what}: VJP {vjp} vs {fd_vjp}");
                }
            }
        }
    }
}

#[test]
fn every_return_plugin_has_vjp_adjoint_to_its_jvp() {
    for (name, p) in configurations() {
        let p = p.as_ref();
        for (seed, shape) in SHAPES.into_iter().enumerate() {
            let case = Case::random(p, shape, 50 + seed as u64);
            let n = case.batch.len();
            let meta: Vec<&[f64]> = case.arrays[5..].iter().map(Vec::as_slice).collect();
            let x = case.inputs(&meta);
            let mut rng = ChaCha8Rng::seed_from_u64(200 + seed as u64);
            let mut random = || -> Vec<f64> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
            // A tangent v along every input at once, and a cotangent u of both targets.
            let v: Vec<Vec<f64>> = (0..case.arrays.len()).map(|_| random()).collect();
            let (u_v, u_a) = (random(), random());
            let dx = InputTangents {
                rewards: Some(&v[0]),
                values: Some(&v[2]),
                next_values: Some(&v[3]),
                log_rhos: Some(&v[4]),
                meta: v[5..].iter().map(|m| Some(&m[..])).collect(),
            };
            let jvp = p.jvp(&x, &dx).unwrap();
            let vjp = p.vjp(&x, &TargetCotangents { values: &u_v, advantages: &u_a }).unwrap();
            let u_dot_jvp = dot(&u_v, &jvp.values) + dot(&u_a, &jvp.advantages);
            let vjp_dot_v = dot(&vjp.rewards, &v[0])
                + dot(&vjp.values, &v[2])
                + dot(&vjp.next_values, &v[3])
                + dot(&vjp.log_rhos, &v[4])
                + vjp.meta.iter().zip(&v[5..]).map(|(c, v)| dot(c, v)).sum::<f64>();
            assert!(
                (u_dot_jvp - vjp_dot_v).abs() < 1e-12 * (1.0 + u_dot_jvp.abs()),
                "{name}, T×B = {shape:?}: ⟨u, JVP(v)⟩ = {u_dot_jvp}, ⟨VJP(u), v⟩ = {vjp_dot_v}"
            );
        }
    }
}
