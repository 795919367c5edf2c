//! Property tests of the experiment loader: whatever the text, `Experiment::parse` answers
//! `Ok` or `Err`, never panics. Two generators: arbitrary text (mostly TOML-shaped token
//! soup, so that the parser gets past the first line), and a valid experiment skeleton with
//! arbitrary TOML values put at its keys (so that the schema validation is reached).
//!
//! Core links no real plugin, so the file registers a tiny return and reward transform of
//! its own: what is tested is the loader, not the plugins.

use mgrl_core::config::Experiment;
use mgrl_core::{
    InputCotangents, InputTangents, MetaParamSpec, MetaValues, Result, ReturnFn, ReturnInputs, RewardCotangents,
    RewardInputs, RewardTransform, TargetCotangents, Targets,
};
use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

static FUZZ_RETURN_META: &[MetaParamSpec] =
    &[MetaParamSpec::unit("gamma", "discount γ", 0.99), MetaParamSpec::unit("lambda", "bootstrapping λ", 1.0)];

/// A return with an option and two meta-parameters; its mathematics is never called.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FuzzReturn {
    #[serde(default)]
    n: u32,
}

#[mgrl_core::plugin(name = "fuzz_return", description = "test return of the loader fuzz test", meta = FUZZ_RETURN_META)]
impl ReturnFn for FuzzReturn {
    fn targets(&self, x: &ReturnInputs) -> Result<Targets> {
        Ok(Targets { values: x.rewards.to_vec(), advantages: x.rewards.to_vec() })
    }
    fn jvp(&self, x: &ReturnInputs, _dx: &InputTangents) -> Result<Targets> {
        self.targets(x)
    }
    fn vjp(&self, x: &ReturnInputs, _dy: &TargetCotangents) -> Result<InputCotangents> {
        Ok(InputCotangents::zeros(&x.batch, FUZZ_RETURN_META))
    }
}

static FUZZ_CLIP_META: &[MetaParamSpec] = &[MetaParamSpec::positive("threshold", "clip level c", 1.0)];

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FuzzClip {}

#[mgrl_core::plugin(
    name = "fuzz_clip",
    description = "test reward transform of the loader fuzz test",
    meta = FUZZ_CLIP_META
)]
impl RewardTransform for FuzzClip {
    fn apply(&self, x: &RewardInputs) -> Result<Vec<f64>> {
        Ok(x.rewards.to_vec())
    }
    fn jvp(&self, x: &RewardInputs, _d: Option<&[f64]>, _dm: &MetaValues) -> Result<Vec<f64>> {
        Ok(x.rewards.to_vec())
    }
    fn vjp(&self, x: &RewardInputs, cot: &[f64]) -> Result<RewardCotangents> {
        Ok(RewardCotangents { rewards: cot.to_vec(), meta: MetaValues::zeros(&x.batch, FUZZ_CLIP_META) })
    }
}

const SKELETON: &str = r#"
name = "fuzz"
seed = 3

[env]
name = "mrp/chain"

[agent]
kind = "td"

[return]
type = "fuzz_return"
gamma = { value = 0.9, learnable = true, per_state = true }
lambda = 1.0

[[reward_transform]]
type = "fuzz_clip"
threshold = 2.0

[meta]
lr = 0.01
[meta.objective]
type = "fuzz_return"
gamma = 1.0

[run]
updates = 100
log_interval = 10
checkpoint_interval = 50
"#;

/// Every key path of the skeleton where the value generator may put something.
const KEY_PATHS: &[&[&str]] = &[
    &["name"],
    &["seed"],
    &["extra"],
    &["env"],
    &["env", "name"],
    &["agent", "kind"],
    &["return"],
    &["return", "type"],
    &["return", "gamma"],
    &["return", "gamma", "value"],
    &["return", "gamma", "learnable"],
    &["return", "gamma", "per_state"],
    &["return", "lambda"],
    &["return", "n"],
    &["return", "unknown"],
    &["reward_transform"],
    &["meta"],
    &["meta", "lr"],
    &["meta", "method"],
    &["meta", "trace_decay"],
    &["meta", "next_batch"],
    &["meta", "objective"],
    &["meta", "objective", "gamma"],
    &["meta", "objective", "type"],
    &["run"],
    &["run", "updates"],
    &["run", "log_interval"],
    &["run", "checkpoint_interval"],
    &["run", "keep_checkpoints"],
    &["run", "deterministic"],
    &["run", "out_dir"],
];

/// Parses `text`, failing the property if the loader panics.
fn parse_never_panics(text: &str, tried: &AtomicUsize) -> std::result::Result<(), TestCaseError> {
    tried.fetch_add(1, Ordering::Relaxed);
    let outcome = catch_unwind(AssertUnwindSafe(|| Experiment::parse("fuzz.toml", text).map(|_| ())));
    prop_assert!(outcome.is_ok(), "Experiment::parse panicked on:\n{text}");
    Ok(())
}

/// Keys, plugin names and literals the token soup draws from.
const WORDS: &str = "name seed env agent kind return type gamma lambda value learnable per_state reward_transform \
                     meta objective lr run updates log_interval fuzz_return fuzz_clip \"fuzz_return\" \"fuzz_clip\" \
                     true false nan inf -inf";

fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("\n".to_string()),
        Just(" = ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("[[".to_string()),
        Just("]]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(", ".to_string()),
        Just(".".to_string()),
        Just("\"".to_string()),
        Just("'''".to_string()),
        Just("#".to_string()),
        prop::sample::select(WORDS.split(' ').collect::<Vec<_>>()).prop_map(str::to_string),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "\\PC{0,6}",
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

fn arbitrary_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(toml::Value::Boolean),
        any::<i64>().prop_map(toml::Value::Integer),
        prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(-0.0), Just(1.0), Just(0.5)]
            .prop_map(toml::Value::Float),
        prop_oneof![
            "\\PC{0,8}",
            Just("fuzz_return".to_string()),
            Just("fuzz_clip".to_string()),
            Just("auto".to_string()),
            Just("a/b".to_string())
        ]
        .prop_map(toml::Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["type", "value", "learnable", "per_state", "x", "gamma", "threshold"]),
                inner,
                0..4
            )
            .prop_map(|m| toml::Value::Table(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// Puts `value` at `path` in `table`, replacing whatever is in the way.
fn put(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    let (last, parents) = path.split_last().expect("key paths are non-empty");
    let mut at = table;
    for key in parents {
        let slot = at.entry(key.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !slot.is_table() {
            *slot = toml::Value::Table(toml::Table::new());
        }
        at = slot.as_table_mut().expect("made a table above");
    }
    at.insert(last.to_string(), value);
}

#[test]
fn skeleton_is_a_valid_experiment() {
    let exp = Experiment::parse("skeleton.toml", SKELETON).expect("the skeleton parses");
    assert_eq!(exp.run.checkpoint_interval, 50);
    assert_eq!(exp.run.keep_checkpoints, 3);
    assert!(exp.run.deterministic);
}

#[test]
fn arbitrary_text_never_panics_the_loader() {
    let tried = AtomicUsize::new(0);
    let config = ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(text in prop_oneof![token_soup(), "\\PC{0,200}"])| {
        parse_never_panics(&text, &tried)?;
    });
    println!("arbitrary_text_never_panics_the_loader: {} inputs tried", tried.load(Ordering::Relaxed));
}

#[test]
fn arbitrary_values_in_a_valid_skeleton_never_panic_the_loader() {
    let base: toml::Table = toml::from_str(SKELETON).expect("the skeleton is TOML");
    let tried = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    let unrenderable = AtomicUsize::new(0);
    let config = ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() };
    let edits = prop::collection::vec((prop::sample::select(KEY_PATHS.to_vec()), arbitrary_value()), 1..4);
    proptest!(config, |(edits in edits)| {
        let mut table = base.clone();
        for (path, value) in edits {
            put(&mut table, path, value);
        }
        // Some tables have no TOML text (a key after a sub-table); those are not inputs.
        let Ok(text) = toml::to_string(&table) else {
            unrenderable.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        parse_never_panics(&text, &tried)?;
        if Experiment::parse("fuzz.toml", &text).is_ok() {
            accepted.fetch_add(1, Ordering::Relaxed);
        }
    });
    let tried = tried.load(Ordering::Relaxed);
    println!(
        "arbitrary_values_in_a_valid_skeleton_never_panic_the_loader: {tried} inputs tried, {} accepted, {} \
         tables without TOML text skipped",
        accepted.load(Ordering::Relaxed),
        unrenderable.load(Ordering::Relaxed)
    );
    assert!(tried > 1000, "too few inputs reached the loader: {tried}");
}
