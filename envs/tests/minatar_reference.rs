//! Our MinAtar games replay episodes recorded from the reference package (`minatar` 1.0.15,
//! `scripts/minatar_reference.sh`): given the same actions and the same random draws, every
//! step must consume the draws the reference consumed, in the same order and of the same
//! kind, and give the same observation, reward and game over. The file format is described in
//! `scripts/minatar_reference.py`.

use mgrl_envs::minatar::{Asterix, Breakout, Draw, Freeway, Game, MinAtar, ReplaySource, Seaquest, SpaceInvaders};
use mgrl_envs::Env;

/// Reads the recorded bytes in order.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.bytes[self.at];
        self.at += 1;
        b
    }

    fn take(&mut self, n: usize) -> &[u8] {
        self.at += n;
        &self.bytes[self.at - n..self.at]
    }

    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take(8).try_into().unwrap())
    }

    fn varint(&mut self) -> u64 {
        let (mut value, mut shift) = (0, 0);
        loop {
            let b = self.u8();
            value |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }

    fn zigzag(&mut self) -> i64 {
        let n = self.varint();
        (n >> 1) as i64 ^ -((n & 1) as i64)
    }

    fn draws(&mut self) -> Vec<Draw> {
        (0..self.varint())
            .map(|_| match self.u8() {
                0 => Draw::Rand(self.f64()),
                1 => Draw::RandInt { low: self.zigzag(), high: self.zigzag(), value: self.zigzag() },
                tag => panic!("unknown draw tag {tag} at byte {}", self.at - 1),
            })
            .collect()
    }

    /// A full observation: `len` bits, 8 to a byte, lowest first.
    fn packed(&mut self, len: usize) -> Vec<bool> {
        let bytes = self.take(len.div_ceil(8));
        (0..len).map(|k| bytes[k / 8] >> (k % 8) & 1 == 1).collect()
    }

    /// Flips the bits the recording lists.
    fn change(&mut self, obs: &mut [bool]) {
        let mut k = 0;
        for _ in 0..self.varint() {
            k += self.varint() as usize;
            obs[k] = !obs[k];
        }
    }
}

/// What a recording covered, for checking that it exercised the games' later stages.
#[derive(Debug, Default)]
struct Coverage {
    steps: usize,
    episodes: usize,
    games_over: usize,
    best_return: f32,
    highest_ramp: u32,
}

fn as_bits(obs: &[u8]) -> Vec<bool> {
    assert!(obs.iter().all(|&v| v <= 1), "observations are 0 or 1");
    obs.iter().map(|&v| v == 1).collect()
}

/// Replays `envs/tests/data/minatar/<file>.bin` through game `G`, asserting every step.
fn replay<G: Game>(file: &str) -> Coverage {
    let path = format!("{}/tests/data/minatar/{file}.bin", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run scripts/minatar_reference.sh)"));
    let mut r = Reader { bytes: &bytes, at: 0 };
    assert_eq!(r.take(8), b"MINATAR1");
    assert_eq!(usize::from(r.u8()), G::CHANNELS.len(), "channels");
    assert_eq!(usize::from(r.u8()), G::ACTIONS.len(), "actions");
    let len = MinAtar::<G, ReplaySource>::obs_len();
    let mut obs = vec![0; len];
    let mut coverage = Coverage::default();
    for run in 0..r.varint() {
        let sticky_action_prob = r.f64();
        let ramping = r.u8() == 1;
        let mut env = MinAtar::<G, ReplaySource>::new(ReplaySource::new(), sticky_action_prob, ramping);
        for episode in 0..r.varint() {
            let steps = r.varint();
            let here = |step: &str| format!("{} run {run} episode {episode} {step}", G::NAME);
            let draws = r.draws();
            env.random_mut().extend(draws);
            env.reset(&mut obs);
            let mut expected = r.packed(len);
            let check = |env: &mut MinAtar<G, ReplaySource>, obs: &[u8], expected: &[bool], at: &str| {
                let random = env.random_mut();
                assert_eq!(random.mismatch(), None, "{at}");
                assert_eq!(random.remaining(), 0, "{at}: draws recorded but not taken");
                assert!(as_bits(obs) == expected, "{at}: observation differs");
            };
            check(&mut env, &obs, &expected, &here("reset"));
            let mut total = 0.0;
            for step in 0..steps {
                let action = usize::from(r.u8());
                let draws = r.draws();
                env.random_mut().extend(draws);
                let t = env.step(action, &mut obs);
                let outcome = r.varint();
                r.change(&mut expected);
                let at = here(&format!("step {step}"));
                check(&mut env, &obs, &expected, &at);
                assert_eq!(
                    (t.reward, t.terminated, t.truncated),
                    ((outcome / 2) as f32, outcome % 2 == 1, false),
                    "{at}"
                );
                total += t.reward;
                coverage.games_over += usize::from(t.terminated);
                coverage.highest_ramp = coverage.highest_ramp.max(env.game().difficulty_ramp().unwrap_or(0));
            }
            coverage.steps += steps as usize;
            coverage.episodes += 1;
            coverage.best_return = coverage.best_return.max(total);
        }
    }
    assert_eq!(r.at, bytes.len(), "trailing bytes in {path}");
    eprintln!("{}: {coverage:?}", G::NAME);
    coverage
}

#[test]
fn asterix_replays_the_reference_including_ramped_difficulty() {
    let c = replay::<Asterix>("asterix");
    assert!(c.episodes >= 40 && c.games_over >= 40, "{c:?}");
    assert!(c.highest_ramp >= 1, "{c:?}");
}

#[test]
fn breakout_replays_the_reference_including_rebuilt_bricks() {
    let c = replay::<Breakout>("breakout");
    assert!(c.episodes >= 40 && c.games_over >= 40, "{c:?}");
    // More than 30 bricks in an episode: the wall was rebuilt at least once.
    assert!(c.best_return > 30.0, "{c:?}");
}

#[test]
fn freeway_replays_the_reference_to_its_time_limit_with_crossings() {
    let c = replay::<Freeway>("freeway");
    // Every episode lasts 2501 steps; each crossing redraws the car speeds.
    assert_eq!((c.episodes, c.games_over, c.steps), (3, 3, 3 * 2501), "{c:?}");
    assert!(c.best_return >= 10.0, "{c:?}");
}

#[test]
fn seaquest_replays_the_reference_including_surfacing_with_divers() {
    let c = replay::<Seaquest>("seaquest");
    assert!(c.episodes >= 40 && c.games_over >= 40, "{c:?}");
    // Each surfacing with a diver ramps difficulty.
    assert!(c.highest_ramp >= 1, "{c:?}");
}

#[test]
fn space_invaders_replays_the_reference_including_new_waves() {
    let c = replay::<SpaceInvaders>("space_invaders");
    assert!(c.episodes >= 20 && c.games_over >= 20, "{c:?}");
    // Each cleared wave ramps difficulty.
    assert!(c.highest_ramp >= 1, "{c:?}");
}
