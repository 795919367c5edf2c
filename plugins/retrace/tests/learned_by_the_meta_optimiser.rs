//! The third-party plugin, named in a TOML experiment, is learnt by the same meta-optimiser
//! as the built-in returns: its declared λ moves away from its start.

use mgrl_agents::td::TdAgent;
use mgrl_agents::Learner;
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
    for _ in 0..10_000 {
        agent.update().unwrap();
    }
    let end = agent.pipeline().per_state_values("lambda").unwrap();
    let moved = start.iter().zip(&end).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(moved > 0.1, "λ(s) barely moved: {start:.3?} → {end:.3?}");
    // As for the built-in λ-return on this chain (Figure 1(a)), λ rises in the even states.
    assert!((0..9).step_by(2).all(|s| end[s] > 0.6), "{end:.2?}");
}
