//! In a build without the feature `atari`, `atari/<game>` is an error that names the fix.
#![cfg(not(feature = "atari"))]

#[test]
fn atari_games_without_the_feature_say_how_to_build_them() {
    const { assert!(!mgrl_envs::ATARI_BUILT) };
    for result in [
        mgrl_envs::registry::make("atari/pong", 1, 0, &toml::Table::new()).map(|_| ()),
        mgrl_envs::registry::spec("atari/pong", &toml::Table::new()).map(|_| ()),
    ] {
        let err = result.unwrap_err().to_string();
        assert!(err.contains("atari/pong") && err.contains("--features atari"), "{err}");
    }
}
