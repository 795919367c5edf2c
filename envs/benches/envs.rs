//! Environment steps per second of Catch and CartPole: one vectorised step of B copies with
//! uniformly random actions (drawn beforehand), every observation written. B = 1024 on one
//! thread, on all cores as registered (the environment's smallest share per thread), and on
//! all cores split evenly whatever the cost of starting threads; B = 65536 on one thread and
//! on all cores as registered. Run: `cargo bench -p mgrl-envs --bench envs`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mgrl_envs::{cartpole, catch, Env, EnvError, StepBuffers, VecEnv, Vectorized};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Distinct action vectors cycled through.
const ACTION_SETS: usize = 64;

type Make<E> = fn(usize, u64, &toml::Table) -> Result<Vectorized<E>, EnvError>;

fn steps<E: Env>(c: &mut Criterion, name: &str, make: Make<E>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group(name);
    let build = |b| make(b, 0, &toml::Table::new()).unwrap();
    let cases: Vec<(usize, String, Vectorized<E>)> = vec![
        (1024, "1-thread".into(), build(1024).with_threads(1)),
        (1024, format!("{cores}-cores"), build(1024).with_threads(cores)),
        (1024, format!("{cores}-cores-forced"), build(1024).with_threads(cores).with_min_envs_per_thread(1)),
        (65536, "1-thread".into(), build(65536).with_threads(1)),
        (65536, format!("{cores}-cores"), build(65536).with_threads(cores)),
    ];
    for (b, threads, mut env) in cases {
        group.throughput(Throughput::Elements(b as u64));
        let num_actions = env.spec().num_actions;
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let actions: Vec<Vec<usize>> =
            (0..ACTION_SETS).map(|_| (0..b).map(|_| rng.gen_range(0..num_actions)).collect()).collect();
        let mut out = StepBuffers::new(env.spec(), b);
        env.reset(&mut out.obs).unwrap();
        let mut i = 0;
        group.bench_function(BenchmarkId::new(format!("B{b}"), threads), |bench| {
            bench.iter(|| {
                i = (i + 1) % ACTION_SETS;
                env.step(&actions[i], &mut out).unwrap();
            })
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    steps(c, "catch", catch::vectorized);
    steps(c, "cartpole", cartpole::vectorized);
}

criterion_group!(benches, bench);
criterion_main!(benches);
