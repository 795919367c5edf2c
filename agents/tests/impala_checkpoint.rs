//! An actor-critic restored from its state continues exactly as the agent that saved it:
//! network, optimiser moments, η and its Adam state, the learned reward's network, the
//! pending unroll, the environments and every random-number state (nothing is replayed).

use mgrl_agents::impala::ImpalaAgent;
use mgrl_agents::{Agent, UpdateReport};
use mgrl_core::config::Experiment;

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

fn agent(example: &str) -> ImpalaAgent {
    let path = format!("{}/../examples/{example}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    ImpalaAgent::new(&Experiment::parse(&path, &text).unwrap()).unwrap()
}

fn run(agent: &mut ImpalaAgent, updates: usize) -> Vec<(UpdateReport, Vec<(String, f64)>)> {
    (0..updates).map(|_| (agent.update().unwrap(), agent.meta_values())).collect()
}

fn restored_agent_continues_bit_for_bit(example: &str) {
    let mut original = agent(example);
    run(&mut original, 3);
    let state = original.state().unwrap();
    let expected = run(&mut original, 3);
    let mut restored = agent(example);
    restored.restore(state).unwrap();
    assert_eq!(run(&mut restored, 3), expected);
}

#[test]
fn a_restored_meta_gamma_agent_continues_bit_for_bit() {
    restored_agent_continues_bit_for_bit("catch_meta_gamma.toml");
}

#[test]
fn a_restored_learned_reward_agent_continues_bit_for_bit() {
    restored_agent_continues_bit_for_bit("catch_learned_reward.toml");
}

#[test]
fn a_restored_plain_agent_continues_bit_for_bit() {
    restored_agent_continues_bit_for_bit("cartpole_impala.toml");
}
