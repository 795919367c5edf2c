//! The learner step with and without the meta-gradient: the same TD agent, batch shape and
//! linear value network, with γ fixed, learnt as one scalar (method (a)), and learnt per
//! state (method (b)). Run: `cargo bench -p mgrl-agents --bench learner_step`.

use criterion::{criterion_group, criterion_main, Criterion};
use mgrl_agents::td::TdAgent;
use mgrl_agents::Learner;
use mgrl_core::config::Experiment;

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

const STATES: usize = 256;

fn experiment(gamma: &str, meta: bool) -> Experiment {
    let meta_section = if meta {
        "[meta]\nlr = 0.001\n[meta.objective]\ntype = \"lambda_return\"\ngamma = 1.0\nlambda = 1.0\n"
    } else {
        ""
    };
    let text = format!(
        "name = \"bench\"\n[env]\nname = \"mrp/fig1b-gamma\"\nstates = {STATES}\n\
         [agent]\nkind = \"td\"\nnum_envs = 32\nunroll = 32\noptimizer = {{ type = \"rmsprop\", lr = 0.01 }}\n\
         [return]\ntype = \"lambda_return\"\ngamma = {gamma}\nlambda = 0.9\n{meta_section}[run]\nupdates = 1\n"
    );
    Experiment::parse("bench.toml", &text).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("td_learner_step_T32_B32_D256");
    let cases = [
        ("plain (γ fixed)", experiment("0.9", false)),
        ("meta, scalar γ (surrogate)", experiment("{ value = 0.9, learnable = true }", true)),
        ("meta, per-state γ (cotangent)", experiment("{ value = 0.9, learnable = true, per_state = true }", true)),
    ];
    for (label, exp) in cases {
        let mut agent = TdAgent::new(&exp).unwrap();
        group.bench_function(label, |b| b.iter(|| agent.update().unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
