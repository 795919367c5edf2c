//! Environment steps per second of the five MinAtar games: one vectorised step of B = 1024
//! copies with uniformly random actions (drawn beforehand), every observation written, sticky
//! actions and ramping on (the defaults), on one thread and on all cores (as registered), with
//! the observations as f32 and as bytes.
//! Run: `cargo bench -p mgrl-envs --bench minatar`; `scripts/minatar_bench.sh` measures
//! gymnax and the Python package for comparison.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mgrl_envs::minatar::{self, Asterix, Breakout, Freeway, Game, Seaquest, SpaceInvaders};
use mgrl_envs::{StepBuffers, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const B: usize = 1024;
/// Distinct action vectors cycled through.
const ACTION_SETS: usize = 64;

fn steps<G: Game>(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group(G::NAME);
    group.throughput(Throughput::Elements(B as u64));
    let build = || minatar::vectorized::<G>(B, 0, &toml::Table::new()).unwrap();
    let cases = [
        ("1-thread".to_string(), build().with_threads(1)),
        (format!("{cores}-cores"), build().with_threads(cores)),
        (format!("{cores}-cores-forced"), build().with_threads(cores).with_min_envs_per_thread(1)),
    ];
    for (threads, mut env) in cases {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let actions: Vec<Vec<usize>> =
            (0..ACTION_SETS).map(|_| (0..B).map(|_| rng.gen_range(0..G::ACTIONS.len())).collect()).collect();
        let mut out = StepBuffers::new(env.spec(), B);
        env.reset(&mut out.obs).unwrap();
        let mut i = 0;
        group.bench_function(BenchmarkId::new(format!("B{B}"), &threads), |bench| {
            bench.iter(|| {
                i = (i + 1) % ACTION_SETS;
                env.step(&actions[i], &mut out).unwrap();
            })
        });
        // The observations as bytes (`step_u8`): no widening to f32, a quarter of the writes.
        let mut bytes = StepBuffers::<u8>::new(env.spec(), B);
        env.reset_u8(&mut bytes.obs).unwrap();
        group.bench_function(BenchmarkId::new(format!("B{B}"), format!("{threads}-bytes")), |bench| {
            bench.iter(|| {
                i = (i + 1) % ACTION_SETS;
                env.step_u8(&actions[i], &mut bytes).unwrap();
            })
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    steps::<Asterix>(c);
    steps::<Breakout>(c);
    steps::<Freeway>(c);
    steps::<Seaquest>(c);
    steps::<SpaceInvaders>(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
