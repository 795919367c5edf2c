//! The registry of environments: names, what each looks like, and errors for bad names.

use mgrl_envs::{registry, EnvError};

#[test]
fn catch_and_cartpole_are_registered_with_their_shapes_and_actions() {
    let names: Vec<&str> = registry::list().iter().map(|e| e.name).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and unique: {names:?}");
    let catch = registry::find("catch").unwrap().default_spec().unwrap();
    assert_eq!((catch.obs_shape, catch.num_actions, catch.num_states), (vec![1, 10, 5], 3, Some(250)));
    let cartpole = registry::find("cartpole").unwrap().default_spec().unwrap();
    assert_eq!((cartpole.obs_shape, cartpole.num_actions, cartpole.num_states), (vec![4], 2, None));
    assert!(registry::list().iter().all(|e| !e.description.is_empty()));
}

#[test]
fn an_unknown_name_lists_the_known_ones() {
    let err = registry::find("cartpol").err().unwrap();
    let EnvError::UnknownEnv { name, known } = &err else { panic!("{err:?}") };
    assert_eq!(name, "cartpol");
    let registered: Vec<String> = registry::list().iter().map(|e| e.name.to_string()).collect();
    assert_eq!(known, &registered);
    let message = err.to_string();
    assert!(message.contains("`cartpol`"), "{message}");
    for name in &registered {
        assert!(message.contains(name.as_str()), "{message}");
    }
    assert!(registry::make("", 1, 0, &toml::Table::new()).is_err());
}

#[test]
fn no_environments_and_wrong_option_types_are_errors() {
    for name in ["catch", "cartpole"] {
        let err = registry::make(name, 0, 0, &toml::Table::new()).err().unwrap().to_string();
        assert!(err.contains(name) && err.contains("num_envs"), "{err}");
    }
    let mut opts = toml::Table::new();
    opts.insert("rows".into(), toml::Value::String("ten".into()));
    let err = registry::make("catch", 1, 0, &opts).err().unwrap();
    assert!(matches!(&err, EnvError::Option { env, key, .. } if env == "catch" && key == "rows"), "{err:?}");
}

/// Every environment's registered options are the ones it reads: written at their declared
/// defaults they build what no options build, and a key that is none of them is refused,
/// naming it.
#[test]
fn registered_options_and_defaults_are_what_each_environment_reads() {
    for e in registry::list() {
        let mut defaults = toml::Table::new();
        for o in e.options.iter().filter(|o| o.default != "none") {
            let value: toml::Table = toml::from_str(&format!("v = {}", o.default)).unwrap();
            defaults.insert(o.name.into(), value["v"].clone());
        }
        let (with, without) = (registry::spec(e.name, &defaults), registry::spec(e.name, &toml::Table::new()));
        assert_eq!(with.map_err(|e| e.to_string()), without.map_err(|e| e.to_string()), "{}", e.name);
        let mut unknown = toml::Table::new();
        unknown.insert("no_such_option".into(), toml::Value::Integer(1));
        let err = registry::spec(e.name, &unknown).unwrap_err();
        assert!(matches!(&err, EnvError::Option { key, .. } if key == "no_such_option"), "{}: {err:?}", e.name);
    }
}
