//! The B environments of a batch never interact: for every registered return plugin, each
//! column of the targets, of the JVP and of the VJP of a batch equals, bit for bit, what that
//! environment gives as a batch of its own (B = 1): in a release build (`cargo test --release`)
//! that also compares the kernels' vector lanes with their scalar remainder. And a batch large
//! enough to be cut into blocks of columns, each on a thread of its own, gives what it gives on
//! one thread.

use mgrl_core::{
    registry, Batch, InputCotangents, InputTangents, MetaValues, PluginKind, ReturnFn, ReturnInputs, TargetCotangents,
    Targets,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

const T: usize = 6;
/// Not a multiple of any vector width, so that every kernel also runs its scalar remainder.
const B: usize = 37;

fn column(x: &[f64], b: usize, c: usize) -> Vec<f64> {
    x.iter().skip(c).step_by(b).copied().collect()
}

/// arrays = [rewards, discounts, values, next_values, log_rhos, tangent, cotangent,
/// episode_continues, meta…]
/// for `b` environments, or the column `c` of those.
fn inputs<'a>(arrays: &'a [Vec<f64>], meta: &'a MetaValues, t: usize, b: usize) -> ReturnInputs<'a> {
    ReturnInputs {
        batch: Batch::new(t, b).unwrap(),
        rewards: &arrays[0],
        discounts: &arrays[1],
        episode_continues: &arrays[7],
        values: &arrays[2],
        next_values: &arrays[3],
        log_rhos: &arrays[4],
        meta,
    }
}

fn all_cotangents(c: &InputCotangents) -> Vec<&[f64]> {
    let meta = c.meta.iter().map(|(_, m)| m.steps().expect("per-step cotangents"));
    [&c.rewards[..], &c.values, &c.next_values, &c.log_rhos].into_iter().chain(meta).collect()
}

/// The meta-parameters of `arrays` (those after the first 8), in declaration order.
fn meta(p: &dyn ReturnFn, arrays: &[Vec<f64>]) -> MetaValues {
    MetaValues::from_steps(p.meta_params(), arrays[8..].iter().cloned())
}

/// Every registered return plugin (n-step with n = 4).
fn plugins() -> Vec<(&'static str, Box<dyn ReturnFn>)> {
    let returns = registry::plugins().into_iter().filter(|p| p.kind == PluginKind::Return);
    returns
        .map(|entry| {
            let options = if entry.name == "n_step" { "n = 4" } else { "" };
            (entry.name, toml::from_str(&format!("type = \"{}\"\n{options}", entry.name)).unwrap())
        })
        .collect()
}

/// Random arrays (see [`inputs`]) of a `[t, b]` batch, with 20% episode ends, half of them
/// terminations (d = 0, e = 0), half time-limit truncations (d = 1, e = 0).
fn random_arrays(p: &dyn ReturnFn, t: usize, b: usize) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut u = |lo: f64, hi: f64| (0..t * b).map(|_| rng.gen_range(lo..hi)).collect::<Vec<f64>>();
    let ends = u(0.0, 1.0);
    let discounts = ends.iter().map(|&p| if p < 0.1 { 0.0 } else { 1.0 }).collect();
    let episode_continues = ends.iter().map(|&p| if p < 0.2 { 0.0 } else { 1.0 }).collect();
    let mut arrays = vec![
        u(-1.0, 1.0),
        discounts,
        u(-1.0, 1.0),
        u(-1.0, 1.0),
        u(-0.5, 0.5),
        u(-1.0, 1.0),
        u(-1.0, 1.0),
        episode_continues,
    ];
    for m in p.meta_params() {
        arrays.push(if m.domain.hi <= 1.0 { u(0.1, 0.9) } else { u(0.5, 2.0) });
    }
    arrays
}

/// The targets, the JVP and the VJP of the batch.
fn run(p: &dyn ReturnFn, arrays: &[Vec<f64>], t: usize, b: usize) -> (Targets, Targets, InputCotangents) {
    let values = meta(p, arrays);
    let x = inputs(arrays, &values, t, b);
    let dx = InputTangents {
        rewards: Some(&arrays[5]),
        log_rhos: Some(&arrays[6]),
        meta: meta(p, arrays),
        ..Default::default()
    };
    let dy = TargetCotangents { values: &arrays[5], advantages: &arrays[6] };
    (p.targets(&x).unwrap(), p.jvp(&x, &dx).unwrap(), p.vjp(&x, &dy).unwrap())
}

#[test]
fn each_environment_of_a_batch_gives_what_it_gives_alone() {
    for (name, p) in plugins() {
        let arrays = random_arrays(p.as_ref(), T, B);
        let (targets, jvp, vjp) = run(p.as_ref(), &arrays, T, B);
        for c in 0..B {
            let alone: Vec<Vec<f64>> = arrays.iter().map(|a| column(a, B, c)).collect();
            let (t1, j1, v1) = run(p.as_ref(), &alone, T, 1);
            assert_eq!(t1.values, column(&targets.values, B, c), "{name}: value targets, environment {c}");
            assert_eq!(t1.advantages, column(&targets.advantages, B, c), "{name}: advantages, environment {c}");
            assert_eq!(j1.values, column(&jvp.values, B, c), "{name}: JVP of the value targets, environment {c}");
            assert_eq!(j1.advantages, column(&jvp.advantages, B, c), "{name}: JVP of the advantages, environment {c}");
            for (k, (one, all)) in all_cotangents(&v1).into_iter().zip(all_cotangents(&vjp)).enumerate() {
                assert_eq!(one, column(all, B, c), "{name}: cotangent {k}, environment {c}");
            }
        }
    }
}

#[test]
fn a_batch_cut_into_blocks_of_columns_on_several_threads_gives_what_one_thread_gives() {
    // 32 × 2053 elements: four blocks of columns in a pool of four threads (widths 520, 520,
    // 520 and 493, so that the last block also ends off the vector width), one block in a pool
    // of one.
    let (t, b) = (32, 2053);
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let (one, four) = (pool(1), pool(4));
    for (name, p) in plugins() {
        let arrays = random_arrays(p.as_ref(), t, b);
        let (t1, j1, v1) = one.install(|| run(p.as_ref(), &arrays, t, b));
        let (t4, j4, v4) = four.install(|| run(p.as_ref(), &arrays, t, b));
        assert_eq!(t1, t4, "{name}: targets");
        assert_eq!(j1, j4, "{name}: JVP");
        assert_eq!(v1, v4, "{name}: VJP");
        // A NaN in the last block, which a pool thread runs, is still an error naming the array.
        let mut bad = arrays.clone();
        bad[0][t * b - 1] = f64::NAN;
        let values = meta(p.as_ref(), &bad);
        let err = four.install(|| p.targets(&inputs(&bad, &values, t, b))).unwrap_err().to_string();
        assert!(err.contains("rewards"), "{name}: {err}");
    }
}
