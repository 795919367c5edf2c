//! The 57 Atari 2600 games of the usual benchmark (Mnih et al. 2015; Badia et al. 2020), with
//! the MD5 of the ROM that ships in the `ale-py` 0.12.1 wheel (`scripts/fetch-atari-roms.sh`)
//! and how ALE 0.6, the emulator mgrl builds, plays each (the README's table of games).

/// How a game runs in ALE 0.6 next to `ale-py` 0.12.1 (the Gymnasium package), on the same
/// ROM, with sticky actions off and the same actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fidelity {
    /// Loads and plays step for step like `ale-py`: the same rewards, episode ends and
    /// screens (envs/tests/atari_reference.rs replays recorded episodes).
    Exact,
    /// Loads and plays, but not step for step like `ale-py`: [`Game::note`] says from which
    /// emulator frame of the recorded episode (ALE seeded with 123 on both sides). The start-up
    /// state of the console (the 6532 timer and RAM, scrambled by draws of ALE's generator)
    /// is drawn differently by the two, so games that read it part at once or soon after;
    /// the README's table of games says more.
    Differs,
    /// ALE 0.6 does not load it.
    Unsupported,
}

/// One game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Game {
    /// The name as ALE and Gymnasium spell it (`ms_pacman`); registered as `atari/ms_pacman`,
    /// its ROM is `ms_pacman.bin`.
    pub name: &'static str,
    /// MD5 of the ROM, hex.
    pub md5: &'static str,
    /// The game's minimal action set, in ALE's numbering and order (0 no-op, 1 fire, 2 up, 3
    /// right, 4 left, 5 down, …, 17 down-left-fire); the same in ALE 0.6 and ale-py 0.12.1.
    pub minimal_actions: &'static [u8],
    pub fidelity: Fidelity,
    /// Why it differs or does not load, when it does.
    pub note: &'static str,
}

/// All 18 of ALE's actions, in its numbering: a game's minimal set when it uses every one, and
/// the set `full_action_space` gives any game.
pub const ALL_ACTIONS: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];

const fn exact(name: &'static str, md5: &'static str, minimal_actions: &'static [u8]) -> Game {
    Game { name, md5, minimal_actions, fidelity: Fidelity::Exact, note: "" }
}

const fn differs(name: &'static str, md5: &'static str, minimal_actions: &'static [u8], note: &'static str) -> Game {
    Game { name, md5, minimal_actions, fidelity: Fidelity::Differs, note }
}

/// The 57 games, sorted by name.
pub const GAMES: [Game; 57] = [
    exact("alien", "f1a0a23e6464d954e3a9579c4ccd01c8", ALL_ACTIONS),
    exact("amidar", "acb7750b4d0c4bd34969802a7deb2990", &[0, 1, 2, 3, 4, 5, 10, 11, 12, 13]),
    differs(
        "assault",
        "de78b3a064d374390ac0710f95edde92",
        &[0, 1, 2, 3, 4, 11, 12],
        "screens part from ale-py at frame 126",
    ),
    exact("asterix", "89a68746eff7f266bbf08de2483abe55", &[0, 2, 3, 4, 5, 6, 7, 8, 9]),
    exact("asteroids", "ccbd36746ed4525821a8083b0d6d2c2c", &[0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15]),
    exact("atlantis", "9ad36e699ef6f45d9eb6c4cf90475c9f", &[0, 1, 11, 12]),
    exact("bank_heist", "00ce0bdd43aed84a983bef38fe7f5ee3", ALL_ACTIONS),
    exact("battle_zone", "41f252a66c6301f1e8ab3612c19bc5d4", ALL_ACTIONS),
    exact("beam_rider", "79ab4123a83dc11d468fb2108ea09e2e", &[0, 1, 2, 3, 4, 6, 7, 11, 12]),
    differs(
        "berzerk",
        "136f75c4dd02c29283752b7e5799f978",
        ALL_ACTIONS,
        "the first screen depends on the seed: matches ale-py with ALE seed 1, not with 123",
    ),
    exact("bowling", "c9b7afad3bfd922e006a6bfc1d4f3fe7", &[0, 1, 2, 5, 10, 13]),
    differs("boxing", "c3ef5c4653212088eda54dc91d787870", ALL_ACTIONS, "screens part from ale-py at frame 38"),
    exact("breakout", "f34f08e5eb96e500e851a80be3277a56", &[0, 1, 3, 4]),
    exact("centipede", "91c2098e88a6b13f977af8c003e0bca5", ALL_ACTIONS),
    exact("chopper_command", "c1cb228470a87beb5f36e90ac745da26", ALL_ACTIONS),
    exact("crazy_climber", "55ef7b65066428367844342ed59f956c", &[0, 2, 3, 4, 5, 6, 7, 8, 9]),
    exact("defender", "0f643c34e40e3f1daafd9c524d3ffe64", ALL_ACTIONS),
    differs("demon_attack", "f0e0addc07971561ab80d9abe1b8d333", &[0, 1, 3, 4, 11, 12], "the first screen differs"),
    exact("double_dunk", "368d88a6c071caba60b4f778615aae94", ALL_ACTIONS),
    exact("enduro", "94b92a882f6dbaa6993a46e2dcc58402", &[0, 1, 3, 4, 5, 8, 9, 11, 12]),
    differs("fishing_derby", "b8865f05676e64f3bec72b9defdacfa7", ALL_ACTIONS, "screens part from ale-py at frame 2"),
    differs("freeway", "8e0ab801b1705a740b476b7f588c6d16", &[0, 2, 5], "screens part from ale-py at frame 655"),
    differs("frostbite", "4ca73eb959299471788f0b685c3ba0b5", ALL_ACTIONS, "screens part from ale-py at frame 2"),
    exact("gopher", "c16c79aad6272baffb8aae9a7fff0864", &[0, 1, 2, 3, 4, 10, 11, 12]),
    exact("gravitar", "8ac18076d01a6b63acf6e2cab4968940", ALL_ACTIONS),
    exact("hero", "fca4a5be1251927027f2c24774a02160", ALL_ACTIONS),
    differs("ice_hockey", "a4c08c4994eb9d24fb78be1793e82e26", ALL_ACTIONS, "screens part from ale-py at frame 65"),
    exact("jamesbond", "e51030251e440cffaab1ac63438b44ae", ALL_ACTIONS),
    exact("kangaroo", "4326edb70ff20d0ee5ba58fa5cb09d60", ALL_ACTIONS),
    exact("krull", "4baada22435320d185c95b7dd2bcdb24", ALL_ACTIONS),
    exact("kung_fu_master", "5b92a93b23523ff16e2789b820e2a4c5", &[0, 2, 3, 4, 5, 8, 9, 11, 12, 13, 14, 15, 16, 17]),
    exact("montezuma_revenge", "3347a6dd59049b15a38394aa2dafa585", ALL_ACTIONS),
    exact("ms_pacman", "87e79cd41ce136fd4f72cc6e2c161bee", &[0, 2, 3, 4, 5, 6, 7, 8, 9]),
    exact("name_this_game", "36306070f0c90a72461551a7a4f3a209", &[0, 1, 3, 4, 11, 12]),
    exact("phoenix", "7e52a95074a66640fcfde124fffd491a", &[0, 1, 3, 4, 5, 11, 12, 13]),
    exact("pitfall", "3e90cf23106f2e08b2781e41299de556", ALL_ACTIONS),
    exact("pong", "60e0ea3cbe0913d39803477945e9e5ec", &[0, 1, 3, 4, 11, 12]),
    differs("private_eye", "ef3a4f64b6494ba770862768caf04b86", ALL_ACTIONS, "the first screen differs"),
    exact("qbert", "484b0076816a104875e00467d431c2d2", &[0, 1, 2, 3, 4, 5]),
    exact("riverraid", "393948436d1f4cc3192410bb918f9724", ALL_ACTIONS),
    exact("road_runner", "ce5cc62608be2cd3ed8abd844efb8919", ALL_ACTIONS),
    exact("robotank", "4f618c2429138e0280969193ed6c107e", ALL_ACTIONS),
    differs("seaquest", "240bfbac5163af4df5ae713985386f92", ALL_ACTIONS, "screens part from ale-py at frame 1"),
    exact("skiing", "b76fbadc8ffb1f83e2ca08b6fb4d6c9f", &[0, 3, 4]),
    differs("solaris", "e72eb8d4410152bdcb69e7fba327b420", ALL_ACTIONS, "the first screen differs"),
    exact("space_invaders", "72ffbef6504b75e69ee1045af9075f66", &[0, 1, 3, 4, 11, 12]),
    exact("star_gunner", "a3c1c70024d7aabb41381adbfb6d3b25", ALL_ACTIONS),
    Game {
        name: "surround",
        md5: "4d7517ae69f95cfbc053be01312b7dba",
        minimal_actions: &[0, 2, 3, 4, 5],
        fidelity: Fidelity::Unsupported,
        note: SURROUND,
    },
    differs("tennis", "42cdd6a9e42a3639e190722b8ea3fc51", ALL_ACTIONS, "screens part from ale-py at frame 57"),
    exact("time_pilot", "fc2104dd2dadf9a6176c1c1c8f87ced9", &[0, 1, 2, 3, 4, 5, 10, 11, 12, 13]),
    exact("tutankham", "085322bae40d904f53bdcc56df0593fc", &[0, 2, 3, 4, 5, 10, 11, 12]),
    exact("up_n_down", "a499d720e7ee35c62424de882a3351b6", &[0, 1, 2, 5, 10, 13]),
    exact("venture", "3e899eba0ca8cd2972da1ae5479b4f0d", ALL_ACTIONS),
    exact("video_pinball", "107cc025334211e6d29da0b6be46aec7", &[0, 1, 2, 3, 4, 5, 10, 11, 12]),
    differs(
        "wizard_of_wor",
        "7e8aa18bc9502eb57daaf5e7c1e94da7",
        &[0, 1, 2, 3, 4, 5, 10, 11, 12, 13],
        "screens part from ale-py at frame 211",
    ),
    differs("yars_revenge", "c5930d0e8cdae3e037349bfa08e871be", ALL_ACTIONS, "screens part from ale-py at frame 6"),
    exact("zaxxon", "eea0da9b987d661264cce69a7c13c3bd", ALL_ACTIONS),
];

/// Why Surround is missing.
const SURROUND: &str = "ALE 0.6 has no settings for Surround (added in ALE 0.7)";

/// The game called `name` (`pong`), if it is one of the 57.
pub fn find(name: &str) -> Option<&'static Game> {
    GAMES.iter().find(|g| g.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn games_are_sorted_unique_and_have_md5s() {
        assert!(GAMES.windows(2).all(|w| w[0].name < w[1].name));
        assert!(GAMES.iter().all(|g| g.md5.len() == 32 && g.md5.bytes().all(|b| b.is_ascii_hexdigit())));
        assert_eq!(GAMES.iter().filter(|g| g.fidelity == Fidelity::Unsupported).count(), 1);
        assert_eq!(find("ms_pacman").map(|g| g.md5.len()), Some(32));
        assert!(find("pacman").is_none());
    }
}
