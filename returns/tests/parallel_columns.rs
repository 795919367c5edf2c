//! Batches large enough to be split between threads give, column by column, exactly what
//! each environment gives as a batch of its own (computed on one thread).

use mgrl_core::{Batch, InputTangents, ReturnFn, ReturnInputs, TargetCotangents};
use mgrl_returns::{LambdaReturn, VTrace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const T: usize = 8;
const B: usize = 5000;

fn column(x: &[f64], c: usize) -> Vec<f64> {
    (0..T).map(|t| x[t * B + c]).collect()
}

#[test]
fn returns_split_between_threads_equal_each_column_alone() {
    check(&LambdaReturn {});
    check(&VTrace {});
}

fn check(plugin: &dyn ReturnFn) {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let n = T * B;
    let mut u = |lo: f64, hi: f64| (0..n).map(|_| rng.gen_range(lo..hi)).collect::<Vec<f64>>();
    let arrays = [
        u(-1.0, 1.0),
        u(0.0, 1.0),
        u(-1.0, 1.0),
        u(-1.0, 1.0),
        u(-0.5, 0.5),
        u(0.1, 0.9),
        u(0.1, 0.9),
        u(-1.0, 1.0),
        u(-1.0, 1.0),
        u(0.5, 2.0),
    ];
    let n_meta = plugin.meta_params().len();
    let meta: Vec<&[f64]> = [&arrays[5][..], &arrays[6], &arrays[9], &arrays[9], &arrays[9]][..n_meta].to_vec();
    let x = ReturnInputs {
        batch: Batch::new(T, B).unwrap(),
        rewards: &arrays[0],
        discounts: &arrays[1],
        values: &arrays[2],
        next_values: &arrays[3],
        log_rhos: &arrays[4],
        meta: &meta,
    };
    let big = plugin.targets(&x).unwrap();
    let big_vjp = plugin.vjp(&x, &TargetCotangents { values: &arrays[7], advantages: &arrays[8] }).unwrap();
    let big_jvp = plugin
        .jvp(
            &x,
            &InputTangents {
                rewards: Some(&arrays[7]),
                meta: [None, Some(&arrays[8][..]), None, None, None][..n_meta].to_vec(),
                ..Default::default()
            },
        )
        .unwrap();
    for c in [0, 1, 2499, 2500, 2501, 4999] {
        let col: Vec<Vec<f64>> = arrays.iter().map(|a| column(a, c)).collect();
        let meta: Vec<&[f64]> = [&col[5][..], &col[6], &col[9], &col[9], &col[9]][..n_meta].to_vec();
        let xc = ReturnInputs {
            batch: Batch::new(T, 1).unwrap(),
            rewards: &col[0],
            discounts: &col[1],
            values: &col[2],
            next_values: &col[3],
            log_rhos: &col[4],
            meta: &meta,
        };
        let small = plugin.targets(&xc).unwrap();
        assert_eq!(small.values, column(&big.values, c), "values, column {c}");
        assert_eq!(small.advantages, column(&big.advantages, c), "advantages, column {c}");
        let vjp = plugin.vjp(&xc, &TargetCotangents { values: &col[7], advantages: &col[8] }).unwrap();
        assert_eq!(vjp.rewards, column(&big_vjp.rewards, c));
        assert_eq!(vjp.next_values, column(&big_vjp.next_values, c));
        assert_eq!(vjp.meta[0], column(&big_vjp.meta[0], c));
        assert_eq!(vjp.meta[1], column(&big_vjp.meta[1], c));
        let jvp = plugin
            .jvp(
                &xc,
                &InputTangents {
                    rewards: Some(&col[7]),
                    meta: [None, Some(&col[8][..]), None, None, None][..n_meta].to_vec(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(jvp.values, column(&big_jvp.values, c));
    }
}
