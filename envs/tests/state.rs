//! Saved environment states (`VecEnv::save_state` / `load_state`) for every registered
//! environment: a fresh environment (another seed) that loads a state, read back from JSON
//! text, steps bit for bit as the one that saved it; a state of another environment, batch
//! size or board, or one with a field removed, is an error naming the environment.

use mgrl_envs::{registry, EnvError, EnvState, StepBuffers, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// Steps before the state is saved, and steps compared after it is loaded.
const BEFORE: usize = 37;
const AFTER: usize = 60;

/// A batch that every environment splits between the 4 threads of [`in_four_threads`]: Catch,
/// the one that asks the most, hands another thread a share for every 4096 environments.
const SPLIT_B: usize = 8192;

fn make(name: &str, b: usize, seed: u64, options: &toml::Table) -> Box<dyn VecEnv> {
    registry::make(name, b, seed, options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The Atari games (with the feature `atari`) stand in here by one of them: a step is some 4
/// emulator frames, a saved state some 100,000 numbers, and `tests/atari.rs` saves and loads
/// states of its own.
const ATARI_HERE: [&str; 1] = ["atari/pong"];

fn names() -> Vec<&'static str> {
    registry::list().iter().map(|e| e.name).filter(|n| !n.starts_with("atari/") || ATARI_HERE.contains(n)).collect()
}

/// [`SPLIT_B`], or for an Atari game (an emulator per thread share: B = 8 is split 4 ways)
/// 8.
fn split_b(name: &str) -> usize {
    if name.starts_with("atari/") {
        8
    } else {
        SPLIT_B
    }
}

fn random_actions(rng: &mut ChaCha8Rng, env: &dyn VecEnv) -> Vec<usize> {
    (0..env.num_envs()).map(|_| rng.gen_range(0..env.spec().num_actions)).collect()
}

/// Environments reset and stepped `steps` steps with random actions from `rng`.
fn stepped(name: &str, b: usize, options: &toml::Table, steps: usize, rng: &mut ChaCha8Rng) -> Box<dyn VecEnv> {
    let mut env = make(name, b, 1, options);
    let mut out = StepBuffers::new(env.spec(), b);
    env.reset(&mut out.obs).unwrap();
    for _ in 0..steps {
        env.step(&random_actions(rng, env.as_ref()), &mut out).unwrap();
    }
    env
}

/// A fresh environment from the registry with another seed, reset, that loads `json`.
fn loaded(name: &str, b: usize, options: &toml::Table, json: &str) -> Box<dyn VecEnv> {
    let mut env = make(name, b, 2, options);
    let mut obs = vec![0.0; b * env.spec().obs_len()];
    env.reset(&mut obs).unwrap();
    env.load_state(&serde_json::from_str(json).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    env
}

/// The bytes of `x`: equal bytes are equal bits, and comparing them is one `memcmp`, fast in
/// an unoptimised test too (an element-wise comparison of large batches took most of its time).
fn bytes(x: &[f32]) -> &[u8] {
    // SAFETY: the bytes of an f32 are all initialised, and any byte is a valid u8.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast(), std::mem::size_of_val(x)) }
}

/// Asserts that two steps' outputs are the same bit for bit (final observations where an
/// episode ended: the other rows are not written).
fn assert_same_step(what: &str, a: &StepBuffers, b: &StepBuffers) {
    let len = a.obs.len() / a.rewards.len();
    let ended = |i: usize| a.terminated[i] || a.truncated[i];
    let differs = |i: usize| {
        let row = i * len..(i + 1) * len;
        a.rewards[i].to_bits() != b.rewards[i].to_bits()
            || (a.terminated[i], a.truncated[i]) != (b.terminated[i], b.truncated[i])
            || bytes(&a.obs[row.clone()]) != bytes(&b.obs[row.clone()])
            || ended(i) && bytes(&a.final_obs[row.clone()]) != bytes(&b.final_obs[row])
    };
    if let Some(i) = (0..a.rewards.len()).find(|&i| differs(i)) {
        let row = i * len..(i + 1) * len;
        let (a_final, b_final) =
            if ended(i) { (&a.final_obs[row.clone()], &b.final_obs[row.clone()]) } else { (&[][..], &[][..]) };
        panic!(
            "{what}, environment {i}: (reward, terminated, truncated, observation, final observation) \
             {:?} differs from {:?}",
            (a.rewards[i], a.terminated[i], a.truncated[i], &a.obs[row.clone()], a_final),
            (b.rewards[i], b.terminated[i], b.truncated[i], &b.obs[row], b_final),
        );
    }
}

/// Steps `name` `BEFORE` steps, saves it, and steps it `AFTER` more beside a fresh one
/// (another seed) that loaded the state through JSON text, with the same random actions,
/// asserting every output the same. (Side by side rather than recorded: a recording of
/// [`SPLIT_B`] MinAtar boards would take gigabytes.) Returns the (terminations, truncations)
/// after loading.
fn assert_resumes_identically(name: &str, b: usize, options: &toml::Table) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut original = stepped(name, b, options, BEFORE, &mut rng);
    let json = serde_json::to_string(&original.save_state().unwrap()).unwrap();
    let mut restored = loaded(name, b, options, &json);
    let spec = original.spec().clone();
    let (mut a, mut c) = (StepBuffers::new(&spec, b), StepBuffers::new(&spec, b));
    let mut ends = (0, 0);
    for t in 0..AFTER {
        let actions = random_actions(&mut rng, original.as_ref());
        original.step(&actions, &mut a).unwrap();
        restored.step(&actions, &mut c).unwrap();
        assert_same_step(&format!("{name}, B = {b}, step {t} after loading"), &a, &c);
        ends.0 += a.terminated.iter().filter(|&&x| x).count();
        ends.1 += a.truncated.iter().filter(|&&x| x).count();
    }
    ends
}

#[test]
fn every_environment_that_loads_a_saved_state_steps_as_the_one_that_saved_it() {
    let mut terminations = 0;
    for name in names() {
        terminations += assert_resumes_identically(name, 3, &toml::Table::new()).0;
    }
    assert!(terminations > 0, "some episodes end (and reset) after loading");
}

/// `options` (TOML) and the registered environments that take them.
fn taking(options: &str) -> (toml::Table, Vec<&'static str>) {
    let options: toml::Table = toml::from_str(options).unwrap();
    let names = names().into_iter().filter(|&n| registry::make(n, 1, 0, &options).is_ok()).collect();
    (options, names)
}

#[test]
fn time_limits_and_episode_step_counters_are_saved() {
    // Saved 12 steps into an episode of at most 25: a restored counter truncates 13 steps later.
    let (options, limited) = taking("max_episode_steps = 25");
    assert!(limited.contains(&"cartpole") && limited.contains(&"minatar/freeway"), "{limited:?}");
    for name in limited {
        let (_, truncations) = assert_resumes_identically(name, 3, &options);
        assert!(truncations > 0, "{name}: episodes are truncated after loading");
    }
}

#[test]
fn the_sticky_action_is_saved() {
    // At 0.9 the first steps after loading mostly repeat the last action before saving.
    let (options, sticky) = taking("sticky_action_prob = 0.9");
    let minatar = sticky.iter().filter(|n| n.starts_with("minatar/")).count();
    assert!(minatar == 5 && sticky.iter().all(|n| n.starts_with("minatar/") || n.starts_with("atari/")), "{sticky:?}");
    for name in sticky {
        assert_resumes_identically(name, 3, &options);
    }
}

/// Runs `f` in a pool of 4 threads, so that large batches are split on any machine.
fn in_four_threads(f: impl FnOnce() + Send) {
    rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap().install(f)
}

#[test]
fn a_batch_split_between_threads_loads_and_steps_as_the_one_that_saved_it() {
    in_four_threads(|| {
        for name in names() {
            assert_resumes_identically(name, split_b(name), &toml::Table::new());
        }
    });
}

/// The state of 3 environments of `name` after [`BEFORE`] steps, as JSON.
fn saved(name: &str, b: usize, options: &toml::Table) -> Value {
    let env = stepped(name, b, options, BEFORE, &mut ChaCha8Rng::seed_from_u64(7));
    serde_json::to_value(env.save_state().unwrap()).unwrap()
}

/// Loads `state` into a fresh `name` of B = `b` and returns the error, which must name `name`;
/// the failed load must leave the environment as it was.
fn load_error(name: &str, b: usize, options: &toml::Table, state: Value) -> String {
    let (mut env, before) = reset_and_saved(name, b, options);
    load_error_into(env.as_mut(), &before, name, state)
}

/// A fresh, reset `name` of B = `b`, and its saved state.
fn reset_and_saved(name: &str, b: usize, options: &toml::Table) -> (Box<dyn VecEnv>, EnvState) {
    let mut env = make(name, b, 2, options);
    let mut obs = vec![0.0; b * env.spec().obs_len()];
    env.reset(&mut obs).unwrap();
    let before = env.save_state().unwrap();
    (env, before)
}

/// Loads `state` into `env` (whose state is `before`) and returns the error, which must name
/// `name`; the failed load must leave the environment as it was, so that it can take the next.
fn load_error_into(env: &mut dyn VecEnv, before: &EnvState, name: &str, state: Value) -> String {
    let state: EnvState = serde_json::from_value(state).unwrap();
    let err = env.load_state(&state).expect_err("the state does not fit");
    assert!(matches!(&err, EnvError::State { env, .. } if env == name), "{err:?}");
    assert_eq!(&env.save_state().unwrap(), before, "{name}: a failed load changed the environment");
    err.to_string()
}

#[test]
fn loading_another_environments_state_is_an_error_naming_both() {
    let all = names();
    let none = toml::Table::new();
    for (name, other) in all.iter().zip(all.iter().cycle().skip(1)) {
        let err = load_error(name, 3, &none, saved(other, 3, &none));
        assert!(err.starts_with(&format!("{name}: ")) && err.contains(&format!("`{other}`")), "{err}");
    }
}

#[test]
fn loading_the_state_of_another_batch_size_is_an_error() {
    let none = toml::Table::new();
    for name in names() {
        let err = load_error(name, 4, &none, saved(name, 3, &none));
        assert!(err.contains("state of 3 environments into 4"), "{err}");
    }
}

#[test]
fn loading_a_state_saved_with_another_board_size_is_an_error() {
    let small: toml::Table = toml::from_str("rows = 6\ncolumns = 4").unwrap();
    let err = load_error("catch", 3, &toml::Table::new(), saved("catch", 3, &small));
    assert!(err.contains("[1, 6, 4]") && err.contains("[1, 10, 5]"), "{err}");
}

/// Copies of `value` with one object field removed, at every depth, each with the field's path.
fn with_one_field_removed(value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                let mut without = fields.clone();
                without.remove(key);
                out.push((key.clone(), Value::Object(without)));
                for (path, damaged) in with_one_field_removed(inner) {
                    let mut copy = fields.clone();
                    copy.insert(key.clone(), damaged);
                    out.push((format!("{key}.{path}"), Value::Object(copy)));
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                for (path, damaged) in with_one_field_removed(inner) {
                    let mut copy = items.clone();
                    copy[i] = damaged;
                    out.push((format!("{i}.{path}"), Value::Array(copy)));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn loading_a_state_with_any_field_removed_is_an_error_naming_the_environment() {
    let none = toml::Table::new();
    for name in names() {
        let damaged = with_one_field_removed(&saved(name, 3, &none));
        assert!(damaged.len() > 10, "{name}: {} fields", damaged.len());
        // One environment takes every damaged state in turn (each failed load leaves it as it
        // was): building an Atari game's emulators anew for each would take 0.4 s.
        let (mut env, before) = reset_and_saved(name, 3, &none);
        for (path, state) in damaged {
            let err = load_error_into(env.as_mut(), &before, name, state);
            assert!(err.starts_with(&format!("{name}: ")), "without `{path}`: {err}");
        }
    }
}
