//! Throughput of the λ-return and V-trace: the value alone, and the value plus the VJP with
//! respect to every input, at the shapes of `scripts/bench_rlax.py` (rlax under jax.jit),
//! with the meta-parameters as the agents hand them over (fixed or learnt scalars: one
//! number each), and the value with the same values given per step (`value-per-step-eta`).
//! Run: `cargo bench -p mgrl-returns --bench returns`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mgrl_core::{Batch, MetaValue, MetaValues, ReturnFn, ReturnInputs, TargetCotangents};
use mgrl_returns::{LambdaReturn, VTrace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// The allocator of the `mgrl` program (`mgrl_core::allocator`), set up as there in `bench`: it
// keeps freed pages, so the outputs of one call do not page-fault anew at every call.
#[global_allocator]
static ALLOCATOR: mgrl_core::allocator::MiMalloc = mgrl_core::allocator::MiMalloc;

struct Data {
    batch: Batch,
    arrays: Vec<Vec<f64>>,
    meta: MetaValues,
}

impl Data {
    /// Random inputs; the meta-parameters at 0.99, 0.95, 1, 1, 1 in declaration order, as
    /// scalars or, with `per_step`, as `[T, B]` arrays.
    fn new(t: usize, b: usize, plugin: &dyn ReturnFn, per_step: bool) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let n = t * b;
        let mut u = |lo: f64, hi: f64| (0..n).map(|_| rng.gen_range(lo..hi)).collect::<Vec<f64>>();
        // 1% episode ends, half terminations (d = 0, e = 0), half truncations (d = 1, e = 0).
        let ends = u(0.0, 1.0);
        let discounts: Vec<f64> = ends.iter().map(|&x| if x < 0.005 { 0.0 } else { 1.0 }).collect();
        let episode_continues: Vec<f64> = ends.iter().map(|&x| if x < 0.01 { 0.0 } else { 1.0 }).collect();
        // [rewards, discounts, values, next_values, log_rhos, value cotangents, advantage
        // cotangents, episode_continues]
        let arrays = vec![
            u(-1.0, 1.0),
            discounts,
            u(-1.0, 1.0),
            u(-1.0, 1.0),
            u(-0.5, 0.5),
            u(-1.0, 1.0),
            u(-1.0, 1.0),
            episode_continues,
        ];
        let mut meta = MetaValues::new();
        for (spec, value) in plugin.meta_params().iter().zip([0.99, 0.95, 1.0, 1.0, 1.0]) {
            meta.set(spec.name, if per_step { MetaValue::Steps(vec![value; n]) } else { MetaValue::Scalar(value) });
        }
        Data { batch: Batch::new(t, b).unwrap(), arrays, meta }
    }

    fn run(&self, plugin: &dyn ReturnFn, with_vjp: bool) -> f64 {
        let a = &self.arrays;
        let x = ReturnInputs {
            batch: self.batch,
            rewards: &a[0],
            discounts: &a[1],
            episode_continues: &a[7],
            values: &a[2],
            next_values: &a[3],
            log_rhos: &a[4],
            meta: &self.meta,
        };
        let targets = plugin.targets(&x).unwrap();
        if with_vjp {
            let cot = plugin.vjp(&x, &TargetCotangents { values: &a[5], advantages: &a[6] }).unwrap();
            return cot.rewards[0] + targets.values[0];
        }
        targets.values[0]
    }
}

fn bench(c: &mut Criterion) {
    mgrl_core::allocator::keep_freed_pages();
    let plugins: [(&str, Box<dyn ReturnFn>); 2] =
        [("lambda_return", Box::new(LambdaReturn {})), ("vtrace", Box::new(VTrace {}))];
    for (name, plugin) in &plugins {
        let mut group = c.benchmark_group(*name);
        for (t, b) in [(128, 1024), (20, 256)] {
            let (data, per_step) = (Data::new(t, b, plugin.as_ref(), false), Data::new(t, b, plugin.as_ref(), true));
            group.throughput(Throughput::Elements((t * b) as u64));
            group.bench_with_input(BenchmarkId::new("value", format!("T{t}xB{b}")), &data, |bench, d| {
                bench.iter(|| d.run(plugin.as_ref(), false))
            });
            group.bench_with_input(BenchmarkId::new("value+vjp", format!("T{t}xB{b}")), &data, |bench, d| {
                bench.iter(|| d.run(plugin.as_ref(), true))
            });
            let id = BenchmarkId::new("value-per-step-eta", format!("T{t}xB{b}"));
            group.bench_with_input(id, &per_step, |bench, d| bench.iter(|| d.run(plugin.as_ref(), false)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
