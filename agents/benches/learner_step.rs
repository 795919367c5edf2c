//! The learner step with and without the meta-gradient.
//!
//! - The TD agent's whole update (acting included) on the Figure 1(b) chain with a linear value:
//!   γ fixed, learnt as one scalar (method (a)), learnt per state (method (b)).
//! - The actor-critic learner alone on MinAtar Breakout with MinAtar's network (3 × 3
//!   convolution, 16 channels, 128 units; f32) at T = 20, B = 64, fed recorded unrolls: plain,
//!   and with γ and λ meta-learnt by each method.
//!
//! Run: `cargo bench -p mgrl-agents --bench learner_step`.

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::tensor::Cpu;
use mgrl_agents::actor::{Actor, Uniform};
use mgrl_agents::learner::{eta_names, Learner, LearnerOptions};
use mgrl_agents::meta::{ReturnPipeline, TargetLoss};
use mgrl_agents::net::{ActorCritic, NetworkConfig};
use mgrl_agents::optim::OptimizerConfig;
use mgrl_agents::td::TdAgent;
use mgrl_agents::unroll::Unroll;
use mgrl_agents::Agent;
use mgrl_core::config::Experiment;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The `mgrl` program's allocator (agents/src/main.rs), set up as there at the start of each
/// bench function, so that the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mgrl_core::allocator::MiMalloc = mgrl_core::allocator::MiMalloc;

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
    mgrl_core::allocator::keep_freed_pages();
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

fn minatar_experiment(meta: Option<&str>) -> Experiment {
    let (ret, meta) = match meta {
        Some(method) => (
            "gamma = { value = 0.99, learnable = true }\nlambda = { value = 0.9, learnable = true }\n",
            format!("[meta]\nmethod = \"{method}\"\n[meta.objective]\ntype = \"vtrace\"\ngamma = 0.99\nlambda = 1.0\n"),
        ),
        None => ("gamma = 0.99\nlambda = 0.9\n", String::new()),
    };
    let text = format!(
        "name = \"bench\"\n[env]\nname = \"minatar/breakout\"\n[agent]\nkind = \"impala\"\n\
         [return]\ntype = \"vtrace\"\n{ret}{meta}[run]\nupdates = 1\n"
    );
    Experiment::parse("bench.toml", &text).unwrap()
}

fn bench_actor_critic(c: &mut Criterion) {
    mgrl_core::allocator::keep_freed_pages();
    const T: usize = 20;
    const B: usize = 64;
    let env = mgrl_envs::registry::make("minatar/breakout", B, 0, &Default::default()).unwrap();
    let spec = env.spec().clone();
    let mut actor = Actor::new(env, T, ChaCha8Rng::seed_from_u64(0)).unwrap();
    let unrolls: Vec<Unroll> =
        (0..8).map(|_| actor.unroll(&mut Uniform { actions: spec.num_actions }, &mut Vec::new()).unwrap()).collect();
    let mut group = c.benchmark_group("actor_critic_learner_step_minatar_conv_T20_B64");
    group.sample_size(20);
    for (label, meta) in
        [("plain", None), ("meta γ, λ (surrogate)", Some("surrogate")), ("meta γ, λ (cotangent)", Some("cotangent"))]
    {
        let exp = minatar_experiment(meta);
        let pipeline = ReturnPipeline::from_experiment(&exp, None).unwrap();
        let config = NetworkConfig::Conv { channels: 16, hidden: 128 };
        let net = ActorCritic::<f32, Cpu>::new(
            Cpu::default(),
            &config,
            &spec.obs_shape,
            spec.num_actions,
            eta_names(&pipeline, true).len(),
            16,
        )
        .unwrap();
        let options = LearnerOptions {
            loss: TargetLoss { value_cost: 0.5, policy: true, entropy_cost: 0.01 },
            max_grad_norm: Some(40.0),
            eta_conditioning: true,
            outer_value: false,
        };
        let optimizer = OptimizerConfig::Rmsprop { lr: 6e-4, decay: 0.99, eps: 1e-5 };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut learner = Learner::new(net, &mut rng, optimizer, pipeline, exp.meta.as_ref(), None, options).unwrap();
        let mut next = unrolls.iter().cycle().cloned();
        group.bench_function(label, |b| b.iter(|| learner.update(&mut |_, _| Ok(next.next().unwrap())).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench, bench_actor_critic);
criterion_main!(benches);
