//! Human-normalised scores: 100 × (score − random) / (human − random), with the random-policy
//! and human scores of the 57 games as the literature reports them.
//!
//! Source: Badia et al. 2020, "Agent57: Outperforming the Atari Human Benchmark" (ICML),
//! appendix table of scores ("Random" and "Average Human" columns), the numbers MuZero
//! (Schrittwieser et al. 2020) reports too. Transcribed by hand, then checked number by number
//! against published copies: DeepMind's DQN Zoo (`dqn_zoo/atari_data.py`) has the same 57
//! human scores and 56 of the 57 random ones; Google Research's copy of the MuZero random
//! scores (`reincarnating_rl/atari_scores.py`) has all 57 random ones. The one difference is
//! Video Pinball's random score: 16,256.9 in the DQN Zoo (Mnih et al. 2015, Nature, Extended
//! Data Table 2), 0.0 in the MuZero copy and here. Copies of "the" table in use carry either,
//! so a Video Pinball score normalised here is not comparable with one normalised with
//! 16,256.9 (a score of 16,256.9 is 92 here, 0 there).

/// The random-policy and human scores of one game.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub game: &'static str,
    pub random: f64,
    pub human: f64,
}

const fn r(game: &'static str, random: f64, human: f64) -> Reference {
    Reference { game, random, human }
}

/// The 57 games, sorted by name.
pub const REFERENCES: [Reference; 57] = [
    r("alien", 227.8, 7127.7),
    r("amidar", 5.8, 1719.5),
    r("assault", 222.4, 742.0),
    r("asterix", 210.0, 8503.3),
    r("asteroids", 719.1, 47388.7),
    r("atlantis", 12850.0, 29028.1),
    r("bank_heist", 14.2, 753.1),
    r("battle_zone", 2360.0, 37187.5),
    r("beam_rider", 363.9, 16926.5),
    r("berzerk", 123.7, 2630.4),
    r("bowling", 23.1, 160.7),
    r("boxing", 0.1, 12.1),
    r("breakout", 1.7, 30.5),
    r("centipede", 2090.9, 12017.0),
    r("chopper_command", 811.0, 7387.8),
    r("crazy_climber", 10780.5, 35829.4),
    r("defender", 2874.5, 18688.9),
    r("demon_attack", 152.1, 1971.0),
    r("double_dunk", -18.6, -16.4),
    r("enduro", 0.0, 860.5),
    r("fishing_derby", -91.7, -38.7),
    r("freeway", 0.0, 29.6),
    r("frostbite", 65.2, 4334.7),
    r("gopher", 257.6, 2412.5),
    r("gravitar", 173.0, 3351.4),
    r("hero", 1027.0, 30826.4),
    r("ice_hockey", -11.2, 0.9),
    r("jamesbond", 29.0, 302.8),
    r("kangaroo", 52.0, 3035.0),
    r("krull", 1598.0, 2665.5),
    r("kung_fu_master", 258.5, 22736.3),
    r("montezuma_revenge", 0.0, 4753.3),
    r("ms_pacman", 307.3, 6951.6),
    r("name_this_game", 2292.3, 8049.0),
    r("phoenix", 761.4, 7242.6),
    r("pitfall", -229.4, 6463.7),
    r("pong", -20.7, 14.6),
    r("private_eye", 24.9, 69571.3),
    r("qbert", 163.9, 13455.0),
    r("riverraid", 1338.5, 17118.0),
    r("road_runner", 11.5, 7845.0),
    r("robotank", 2.2, 11.9),
    r("seaquest", 68.4, 42054.7),
    r("skiing", -17098.1, -4336.9),
    r("solaris", 1236.3, 12326.7),
    r("space_invaders", 148.0, 1668.7),
    r("star_gunner", 664.0, 10250.0),
    r("surround", -10.0, 6.5),
    r("tennis", -23.8, -8.3),
    r("time_pilot", 3568.0, 5229.2),
    r("tutankham", 11.4, 167.6),
    r("up_n_down", 533.4, 11693.2),
    r("venture", 0.0, 1187.5),
    r("video_pinball", 0.0, 17667.9),
    r("wizard_of_wor", 563.5, 4756.5),
    r("yars_revenge", 3092.9, 54576.9),
    r("zaxxon", 32.5, 9173.3),
];

/// The reference scores of `game` (`pong`, or `atari/pong`).
pub fn reference(game: &str) -> Option<&'static Reference> {
    let game = game.strip_prefix("atari/").unwrap_or(game);
    REFERENCES.iter().find(|r| r.game == game)
}

/// 100 × (score − random) / (human − random): 0 plays like a random policy, 100 like the
/// human tester. `None` for a game without reference scores.
pub fn human_normalised(game: &str, score: f64) -> Option<f64> {
    reference(game).map(|r| 100.0 * (score - r.random) / (r.human - r.random))
}

/// The median of human-normalised scores (the usual summary of a 57-game run); `None` if
/// empty.
pub fn median(scores: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = scores.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atari::GAMES;

    #[test]
    fn every_game_has_reference_scores_with_human_above_random() {
        assert_eq!(REFERENCES.len(), GAMES.len());
        for (r, g) in REFERENCES.iter().zip(&GAMES) {
            assert_eq!(r.game, g.name);
            assert!(r.human > r.random, "{}", r.game);
        }
    }

    #[test]
    fn normalised_score_is_zero_at_random_and_hundred_at_human() {
        assert_eq!(human_normalised("atari/pong", -20.7), Some(0.0));
        assert!((human_normalised("pong", 14.6).unwrap() - 100.0).abs() < 1e-9);
        assert!((human_normalised("breakout", 30.5 + 28.8).unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(human_normalised("tetris", 1.0), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        // The Agent57/MuZero random score of Video Pinball, not the Nature paper's 16,256.9.
        assert_eq!(reference("video_pinball").map(|r| (r.random, r.human)), Some((0.0, 17667.9)));
    }
}
