//! Replays raw ale-py 0.12.1 episodes (recorded by `scripts/atari_reference.sh`: one emulator
//! frame per action, sticky actions off, ALE's generator seeded alike) in ALE 0.6, frame for frame: the reward, game over,
//! lives and the CRC-32 of the grayscale screen after every frame. The games marked
//! [`Fidelity::Exact`] must match throughout; those marked [`Fidelity::Differs`] must not (if
//! one comes to match, the table of games is out of date).
#![cfg(feature = "atari")]

use mgrl_envs::atari::{self, Ale, Fidelity, Game, GAMES, SCREEN_LEN};
use serde::Deserialize;

#[derive(Deserialize)]
struct Episode {
    ale_seed: u32,
    minimal_actions: Vec<u8>,
    first_screen: u32,
    actions: Vec<u8>,
    rewards: Vec<i32>,
    game_over: Vec<bool>,
    lives: Vec<i32>,
    screens: Vec<u32>,
}

fn load(game: &str) -> Episode {
    let path = format!("{}/tests/data/atari/ale/{game}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// The first frame (0 = the screen after loading) at which ALE 0.6 parts from the recording,
/// with what differed; `None` if it plays the whole episode alike.
fn first_difference(game: &'static Game) -> Option<(usize, String)> {
    let ep = load(game.name);
    assert_eq!(ep.minimal_actions, game.minimal_actions, "{}", game.name);
    let rom = atari::RomDir::locate(None).and_then(|d| d.find(game)).unwrap_or_else(|e| panic!("{e}"));
    let mut ale = Ale::new(&rom, ep.ale_seed);
    let mut screen = vec![0u8; SCREEN_LEN];
    ale.screen_grayscale(&mut screen);
    if crc32fast::hash(&screen) != ep.first_screen {
        return Some((0, "first screen".into()));
    }
    for (t, &action) in ep.actions.iter().enumerate() {
        let reward = ale.act(action);
        let over = ale.game_over();
        ale.screen_grayscale(&mut screen);
        let got = (reward, over, ale.lives(), crc32fast::hash(&screen));
        let want = (ep.rewards[t], ep.game_over[t], ep.lives[t], ep.screens[t]);
        if got != want {
            return Some((t + 1, format!("(reward, game over, lives, screen CRC) {got:?}, ale-py {want:?}")));
        }
        if over {
            ale.reset_game();
        }
    }
    None
}

#[test]
fn recorded_ale_py_episodes_replay_frame_for_frame_in_the_games_marked_exact() {
    let exact: Vec<_> = GAMES.iter().filter(|g| g.fidelity == Fidelity::Exact).collect();
    assert_eq!(exact.len(), 42);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = exact
            .chunks(11)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|g| first_difference(g).map(|(t, what)| format!("{} at frame {t}: {what}", g.name)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_games_marked_as_differing_still_differ() {
    for game in GAMES.iter().filter(|g| g.fidelity == Fidelity::Differs) {
        let diff = first_difference(game);
        assert!(diff.is_some(), "{} now plays like ale-py: mark it exact in games.rs and the README", game.name);
    }
}
