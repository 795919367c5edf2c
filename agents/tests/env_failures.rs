//! An environment that panics or returns NaN is reported with its name and the step, not
//! as a crash of the agent.

use mgrl_agents::td::TdAgent;
use mgrl_agents::Agent;
use mgrl_core::config::Experiment;
use mgrl_envs::registry::EnvEntry;
use mgrl_envs::{Env, EnvError, EnvSpec, Obs, Transition, VecEnv, Vectorized};

// Link the built-in plugins (they register through inventory when linked).
use mgrl_returns as _;

/// Fails at its sixth step: by panicking, or with a NaN reward.
#[derive(serde::Serialize, serde::Deserialize)]
struct Faulty {
    steps: usize,
    panics: bool,
}

impl Env for Faulty {
    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        obs.fill(O::from_real(1.0));
    }

    fn step<O: Obs>(&mut self, _action: usize, obs: &mut [O]) -> Transition {
        self.steps += 1;
        obs.fill(O::from_real(1.0));
        let fail = self.steps == 6;
        if fail && self.panics {
            panic!("the emulator lost its state");
        }
        Transition { reward: if fail { f32::NAN } else { 0.0 }, terminated: false, truncated: false }
    }
}

fn spec(name: &str) -> EnvSpec {
    EnvSpec { name: name.into(), obs_shape: vec![2], num_actions: 1, num_states: None }
}

fn make(name: &str, panics: bool) -> Result<Box<dyn VecEnv>, EnvError> {
    Ok(Box::new(Vectorized::new(spec(name), vec![Faulty { steps: 0, panics }], None)?))
}

inventory::submit! {
    EnvEntry {
        name: "test/panics",
        description: "panics at step 6",
        options: &[],
        spec: |_| Ok(spec("test/panics")),
        make: |_, _, _| make("test/panics", true),
    }
}

inventory::submit! {
    EnvEntry {
        name: "test/nan",
        description: "NaN reward at step 6",
        options: &[],
        spec: |_| Ok(spec("test/nan")),
        make: |_, _, _| make("test/nan", false),
    }
}

fn run(env: &str) -> String {
    let text = format!(
        "name = \"t\"\n[env]\nname = \"{env}\"\n[agent]\nkind = \"td\"\nunroll = 4\noptimizer = {{ type = \"sgd\", lr = 0.1 }}\n\
         [return]\ntype = \"lambda_return\"\n[run]\nupdates = 5\n"
    );
    let exp = Experiment::parse("t.toml", &text).unwrap();
    let mut agent = TdAgent::new(&exp).unwrap();
    (0..5).find_map(|_| agent.update().err()).expect("the environment fails within 5 updates").to_string()
}

#[test]
fn a_panicking_environment_is_an_error_naming_it_and_the_step() {
    let err = run("test/panics");
    assert!(err.contains("test/panics") && err.contains("step 5") && err.contains("lost its state"), "{err}");
}

#[test]
fn a_nan_reward_is_an_error_naming_the_environment_and_the_step() {
    let err = run("test/nan");
    assert!(err.contains("test/nan") && err.contains("step 5") && err.contains("NaN"), "{err}");
}
