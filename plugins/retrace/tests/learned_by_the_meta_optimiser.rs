//! The third-party plugin, named in a TOML experiment, is learnt by the same meta-optimiser
//! as the built-in returns: its declared λ moves away from its start.

use mgrl_agents::td::TdAgent;
use mgrl_agents::Agent;
use mgrl_core::config::Experiment;

use mgrl_plugin_retrace as _;
use mgrl_returns as _;

#[test]
fn retrace_lambda_is_learnt_from_a_toml_experiment() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/retrace_td.toml");
    let exp = Experiment::read(std::path::Path::new(path)).unwrap();
    assert_eq!(exp.ret.entry.name, "retrace");
    let mut agent = TdAgent::new(&exp).unwrap();
    let start = agent.pipeline().per_state_values("lambda").unwrap();
    for _ in 0..exp.run.updates {
        agent.update().unwrap();
    }
    let end = agent.pipeline().per_state_values("lambda").unwrap();
    let moved = start.iter().zip(&end).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(moved > 0.1, "λ(s) barely moved: {start:.3?} → {end:.3?}");
    // As for the built-in λ-return on this chain (Figure 1(a)), λ ends higher in the noisy
    // odd states than in the even ones, whose value is known.
    let mean = |states: [usize; 4]| states.iter().map(|&s| end[s]).sum::<f64>() / 4.0;
    assert!(mean([1, 3, 5, 7]) > mean([2, 4, 6, 8]) + 0.1, "{end:.2?}");
}
