//! The vectoriser's contract on a toy environment whose episodes have random lengths:
//! same-step automatic reset with the final observation kept, time limits, the same results
//! on any number of threads, and errors that name the environment, the index and the range.

use mgrl_envs::{env_seed, Env, EnvError, EnvSpec, Obs, StepBuffers, Transition, VecEnv, Vectorized};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Episodes of 1 to 6 steps (drawn at reset). Observation: [steps left, episode number];
/// the reward is the action taken; the state index is the steps left.
#[derive(serde::Serialize, serde::Deserialize)]
struct Countdown {
    left: usize,
    episode: usize,
    rng: ChaCha8Rng,
}

impl Countdown {
    fn new(seed: u64) -> Self {
        Countdown { left: 0, episode: 0, rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    fn write<O: Obs>(&self, obs: &mut [O]) {
        obs[0] = O::from_real(self.left as f32);
        obs[1] = O::from_real(self.episode as f32);
    }
}

impl Env for Countdown {
    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        self.left = self.rng.gen_range(1..=6);
        self.episode += 1;
        self.write(obs);
    }

    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition {
        self.left -= 1;
        self.write(obs);
        Transition { reward: action as f32, terminated: self.left == 0, truncated: false }
    }

    fn state_index(&self) -> Option<usize> {
        Some(self.left)
    }
}

fn countdown(b: usize, seed: u64, max_steps: Option<u64>) -> Vectorized<Countdown> {
    let spec = EnvSpec { name: "countdown".into(), obs_shape: vec![2], num_actions: 3, num_states: Some(7) };
    Vectorized::new(spec, (0..b).map(|i| Countdown::new(env_seed(seed, i))).collect(), max_steps).unwrap()
}

/// Every buffer of `steps` steps with actions i mod 3 (and the first observations).
fn rollout(env: &mut dyn VecEnv, steps: usize) -> Vec<StepBuffers> {
    let b = env.num_envs();
    let mut out = StepBuffers::new(env.spec(), b);
    env.reset(&mut out.obs).unwrap();
    let actions: Vec<usize> = (0..b).map(|i| i % 3).collect();
    let mut all = vec![out.clone()];
    for _ in 0..steps {
        env.step(&actions, &mut out).unwrap();
        all.push(out.clone());
    }
    all
}

fn same(a: &StepBuffers, b: &StepBuffers) -> bool {
    // final_obs is only written for environments that ended: compare those rows.
    let ended = |s: &StepBuffers| -> Vec<f32> {
        s.final_obs
            .chunks(2)
            .zip(s.terminated.iter().zip(&s.truncated))
            .filter(|(_, (t, u))| **t || **u)
            .flat_map(|(r, _)| r.to_vec())
            .collect()
    };
    a.obs == b.obs
        && a.rewards == b.rewards
        && a.terminated == b.terminated
        && a.truncated == b.truncated
        && ended(a) == ended(b)
}

#[test]
fn an_ended_episode_resets_in_the_same_step_and_keeps_its_final_observation() {
    let mut env = countdown(5, 1, None);
    let steps = rollout(&mut env, 20);
    let mut ends = 0;
    for (prev, now) in steps.iter().zip(&steps[1..]) {
        for i in 0..5 {
            let (before, after, last) =
                (&prev.obs[2 * i..2 * i + 2], &now.obs[2 * i..2 * i + 2], &now.final_obs[2 * i..2 * i + 2]);
            assert_eq!(now.rewards[i], (i % 3) as f32);
            assert!(!now.truncated[i]);
            if now.terminated[i] {
                ends += 1;
                // The episode that ended counted down to zero; the next one starts at once.
                assert_eq!(last, &[0.0, before[1]]);
                assert!(after[0] >= 1.0 && after[1] == before[1] + 1.0, "{after:?} after {before:?}");
            } else {
                assert_eq!(after, &[before[0] - 1.0, before[1]]);
            }
        }
    }
    assert!(ends >= 5 * 20 / 6, "only {ends} episodes ended");
}

#[test]
fn a_time_limit_truncates_and_a_terminal_state_takes_precedence() {
    let mut env = countdown(8, 2, Some(3));
    let steps = rollout(&mut env, 30);
    let (mut truncations, mut length) = (0, vec![0u64; 8]);
    for (prev, now) in steps.iter().zip(&steps[1..]) {
        for (i, length) in length.iter_mut().enumerate() {
            *length += 1;
            let left_before = prev.obs[2 * i];
            assert!(!(now.terminated[i] && now.truncated[i]));
            // Terminated exactly when the countdown hits zero, even at the limit.
            assert_eq!(now.terminated[i], left_before == 1.0);
            assert_eq!(now.truncated[i], *length == 3 && left_before > 1.0);
            if now.truncated[i] {
                truncations += 1;
                assert_eq!(now.final_obs[2 * i], left_before - 1.0);
            }
            if now.terminated[i] || now.truncated[i] {
                assert!(*length <= 3);
                *length = 0;
            }
        }
    }
    assert!(truncations > 0 && truncations < 8 * 30 / 3);
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    // 1000 environments in shares of at least 10: every thread count below is used in full,
    // with uneven last shares.
    let b = 1000;
    let one = rollout(&mut countdown(b, 9, Some(4)).with_threads(1), 25);
    for threads in [2, 3, 7, 64] {
        let many = rollout(&mut countdown(b, 9, Some(4)).with_threads(threads).with_min_envs_per_thread(10), 25);
        assert!(one.iter().zip(&many).all(|(a, b)| same(a, b)), "{threads} threads differ from one");
    }
}

#[test]
fn the_same_seed_gives_the_same_episodes_and_another_seed_others() {
    let a = rollout(&mut countdown(16, 5, None), 20);
    let b = rollout(&mut countdown(16, 5, None), 20);
    let c = rollout(&mut countdown(16, 6, None), 20);
    assert!(a.iter().zip(&b).all(|(x, y)| same(x, y)));
    assert!(!a.iter().zip(&c).all(|(x, y)| same(x, y)));
    // Environments of one batch are seeded apart.
    assert_ne!(a[0].obs.chunks(2).map(|r| r[0]).collect::<Vec<_>>(), vec![a[0].obs[0]; 16]);
}

#[test]
fn an_action_out_of_range_names_the_environment_its_index_and_the_range() {
    let mut env = countdown(4, 0, None);
    let mut out = StepBuffers::new(env.spec(), 4);
    env.reset(&mut out.obs).unwrap();
    let err = env.step(&[0, 2, 1, 3], &mut out).unwrap_err();
    assert!(matches!(err, EnvError::InvalidAction { index: 3, action: 3, num_actions: 3, .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("countdown") && message.contains("environment 3") && message.contains("0..3"),
        "{message}"
    );
}

#[test]
fn buffers_of_the_wrong_size_are_errors_that_name_the_buffer() {
    let mut env = countdown(4, 0, None);
    let spec = env.spec().clone();
    let mut short = vec![0.0; 7];
    assert!(matches!(env.reset(&mut short), Err(EnvError::Shape { expected: 8, got: 7, .. })));
    let good = StepBuffers::new(&spec, 4);
    type Spoil = fn(&mut StepBuffers);
    let cases: [(&str, Spoil); 5] = [
        ("observation buffer", |s| s.obs.push(0.0)),
        ("final-observation buffer", |s| {
            s.final_obs.pop();
        }),
        ("reward buffer", |s| s.rewards.clear()),
        ("terminated buffer", |s| s.terminated.push(false)),
        ("truncated buffer", |s| {
            s.truncated.pop();
        }),
    ];
    for (what, spoil) in cases {
        let mut out = good.clone();
        spoil(&mut out);
        let err = env.step(&[0; 4], &mut out).unwrap_err();
        assert!(err.to_string().contains(what), "{what}: {err}");
    }
    let err = env.step(&[0; 3], &mut good.clone()).unwrap_err();
    assert!(matches!(err, EnvError::Shape { expected: 4, got: 3, .. }), "{err:?}");
    assert!(env.state_indices(&mut [0; 5]).is_err());
}

#[test]
fn state_indices_come_from_each_environment() {
    let mut env = countdown(6, 3, None);
    let mut obs = vec![0.0; 12];
    env.reset(&mut obs).unwrap();
    let mut idx = vec![0; 6];
    env.state_indices(&mut idx).unwrap();
    assert_eq!(idx, obs.chunks(2).map(|r| r[0] as usize).collect::<Vec<_>>());
}

#[test]
fn an_empty_batch_is_an_error() {
    let spec = EnvSpec { name: "countdown".into(), obs_shape: vec![2], num_actions: 3, num_states: None };
    let err = Vectorized::<Countdown>::new(spec, Vec::new(), None).err().unwrap();
    assert!(err.to_string().contains("num_envs"), "{err}");
}

/// A countdown, or (`None`) an environment with a bug that panics at its first step.
#[derive(serde::Serialize, serde::Deserialize)]
struct MaybeExploding(Option<Countdown>);

impl Env for MaybeExploding {
    fn reset<O: Obs>(&mut self, obs: &mut [O]) {
        match &mut self.0 {
            Some(c) => c.reset(obs),
            None => obs.fill(O::default()),
        }
    }

    fn step<O: Obs>(&mut self, action: usize, obs: &mut [O]) -> Transition {
        match &mut self.0 {
            Some(c) => c.step(action, obs),
            None => panic!("exploding environment stepped"),
        }
    }
}

#[test]
fn a_panic_in_a_share_stepped_by_another_thread_reaches_the_caller() {
    // Only the last of four shares panics, so it runs on a pool thread, not the caller's.
    let spec = EnvSpec { name: "mixed".into(), obs_shape: vec![2], num_actions: 3, num_states: None };
    let envs = (0..40).map(|i| MaybeExploding((i < 30).then(|| Countdown::new(i)))).collect();
    let mut env = Vectorized::new(spec, envs, None).unwrap().with_threads(4).with_min_envs_per_thread(10);
    let mut out = StepBuffers::new(env.spec(), 40);
    env.reset(&mut out.obs).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| env.step(&[0; 40], &mut out)));
    let message = caught.expect_err("the panic is lost");
    assert_eq!(message.downcast_ref::<&str>(), Some(&"exploding environment stepped"));
}
