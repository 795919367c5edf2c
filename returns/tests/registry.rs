//! Every registered plugin deserialises through typetag from `type = "<name>"` TOML, as the
//! trait its registry entry names, and declares the meta-parameters that entry lists.

use mgrl_core::{registry, PluginKind, ReturnFn, RewardTransform};

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

/// A valid value for each option that has no default.
fn required_options(plugin: &str) -> &'static str {
    match plugin {
        "n_step" => "n = 1",
        _ => "",
    }
}

#[test]
fn every_registered_plugin_deserialises_by_name_and_declares_its_entrys_meta_parameters() {
    let entries = registry::plugins();
    for name in ["n_step", "lambda_return", "vtrace", "clip", "soft_clip", "learned_reward"] {
        assert!(entries.iter().any(|e| e.name == name), "`{name}` is registered");
    }
    for entry in entries {
        let options = required_options(entry.name);
        for option in entry.options.iter().filter(|o| o.default.is_empty()) {
            assert!(options.contains(option.name), "{}: a value for required option `{}`", entry.name, option.name);
        }
        let text = format!("type = \"{}\"\n{options}", entry.name);
        let declared = match entry.kind {
            PluginKind::Return => toml::from_str::<Box<dyn ReturnFn>>(&text).map(|p| p.meta_params()),
            PluginKind::RewardTransform => toml::from_str::<Box<dyn RewardTransform>>(&text).map(|p| p.meta_params()),
        };
        let declared = declared.unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert_eq!(declared, entry.meta_params, "{}", entry.name);
    }
}

#[test]
fn plugin_options_reject_unknown_keys() {
    for (text, key) in
        [("type = \"lambda_return\"\nlambda_ = 0.5", "lambda_"), ("type = \"n_step\"\nn = 2\nm = 1", "m")]
    {
        let err = toml::from_str::<Box<dyn ReturnFn>>(text).unwrap_err().to_string();
        assert!(err.contains(&format!("unknown field `{key}`")), "{err}");
    }
    let err = toml::from_str::<Box<dyn RewardTransform>>("type = \"clip\"\nlimit = 1").unwrap_err().to_string();
    assert!(err.contains("unknown field `limit`"), "{err}");
}
