//! A plugin section of an experiment (`[return]`, `[[reward_transform]]`,
//! `[meta.objective]`): the plugin by name, its options, and its meta-parameters.
//!
//! Keys that the plugin declares as meta-parameters take a bare number (a fixed value) or a
//! table `{ value = 0.9, learnable = true, per_state = false }`; every other key except
//! `type` is an option, handed to the plugin's serde deserializer through typetag.

use super::ConfigDoc;
use crate::{registry, Error, MetaParamSpec, MetaSource, PluginEntry, PluginKind, Result};
use serde::de::DeserializeOwned;

/// How an experiment sets one declared meta-parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaParamConfig {
    pub spec: &'static MetaParamSpec,
    /// The fixed value, or the starting value of a learnt one.
    pub value: f64,
    pub learnable: bool,
    /// One value per state (only when learnable).
    pub per_state: bool,
}

impl MetaParamConfig {
    /// The source of its per-step values; `n_states` is needed for a per-state table.
    pub fn source(&self, n_states: Option<usize>) -> Result<MetaSource> {
        let states = match (self.per_state, n_states) {
            (false, _) => None,
            (true, Some(n)) => Some(n),
            (true, None) => {
                return Err(Error::Invalid(format!(
                    "`{}` is per_state, but the environment does not number its states",
                    self.spec.name
                )))
            }
        };
        MetaSource::from_spec(self.spec, self.value, self.learnable, states)
    }
}

/// A validated plugin section.
#[derive(Debug)]
pub struct PluginConfig<P: ?Sized> {
    pub entry: &'static PluginEntry,
    pub plugin: Box<P>,
    /// One per declared meta-parameter, in declaration order.
    pub meta: Vec<MetaParamConfig>,
}

impl<P: ?Sized> PluginConfig<P> {
    /// Whether any meta-parameter is learnable.
    pub fn learns_anything(&self) -> bool {
        self.meta.iter().any(|m| m.learnable)
    }

    /// Parses the table at `path` as a plugin of `kind`.
    pub fn parse(doc: &ConfigDoc, path: &[&str], kind: PluginKind, value: &toml::Value) -> Result<Self>
    where
        Box<P>: DeserializeOwned,
    {
        let table = value.as_table().ok_or_else(|| doc.error(path, format!("`{}` must be a table", path.join("."))))?;
        let at = |key: &'static str| [path, &[key]].concat();
        let name = match table.get("type") {
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(doc.error(&at("type"), "`type` must be a string naming a plugin")),
            None => {
                let known: Vec<_> =
                    registry::plugins().into_iter().filter(|p| p.kind == kind).map(|p| p.name).collect();
                return Err(
                    doc.error(path, format!("missing `type`: name a {kind} plugin, one of {}", known.join(", ")))
                );
            }
        };
        let entry = registry::find(kind, &name).map_err(|e| doc.locate_error(&at("type"), e))?;

        let mut options = toml::Table::new();
        options.insert("type".into(), toml::Value::String(name.clone()));
        let mut set = std::collections::BTreeMap::new();
        for (key, value) in table.iter().filter(|(k, _)| k.as_str() != "type") {
            let key_path: Vec<&str> = path.iter().copied().chain([key.as_str()]).collect();
            match entry.meta_param(key) {
                Some(spec) => {
                    set.insert(spec.name, parse_meta(doc, &key_path, entry, spec, value)?);
                }
                None if value.as_table().is_some_and(|t| t.contains_key("learnable") || t.contains_key("value")) => {
                    return Err(doc.locate_error(
                        &key_path,
                        Error::MetaParam {
                            plugin: entry.name.into(),
                            problem: format!(
                                "`{key}` is not a meta-parameter of `{}`, so it cannot be learnable",
                                entry.name
                            ),
                            declared: entry.declared(),
                        },
                    ))
                }
                None => {
                    options.insert(key.clone(), value.clone());
                }
            }
        }
        let takes = || {
            let opts: Vec<_> = entry.options.iter().map(|o| o.name).collect();
            let metas: Vec<_> = entry.meta_params.iter().map(|m| m.name).collect();
            format!(
                "plugin `{}` takes options [{}] and meta-parameters [{}]",
                entry.name,
                opts.join(", "),
                metas.join(", ")
            )
        };
        if let Some(key) = options.keys().find(|k| k.as_str() != "type" && !entry.options.iter().any(|o| o.name == *k))
        {
            let key_path: Vec<&str> = path.iter().copied().chain([key.as_str()]).collect();
            return Err(doc.error(&key_path, format!("unknown option `{key}`\n  {}", takes())));
        }
        // typetag buffers the plugin's fields, so serde's path ends at the section: a bad value
        // is located at its key when the section sets one option and every required one is
        // there, else at the section, and named by the plugin's message.
        let given: Vec<&String> = options.keys().filter(|k| k.as_str() != "type").collect();
        let required_present =
            entry.options.iter().filter(|o| o.default.is_empty()).all(|o| options.contains_key(o.name));
        let plugin: Box<P> = doc.deserialize(path, toml::Value::Table(options.clone())).map_err(|e| match e {
            Error::Config { message, .. } if given.len() == 1 && required_present => {
                let key_path: Vec<&str> = path.iter().copied().chain([given[0].as_str()]).collect();
                doc.error(&key_path, format!("{message}\n  {}", takes()))
            }
            e => Error::Invalid(format!("{e}\n  {}", takes())),
        })?;
        let meta = entry
            .meta_params
            .iter()
            .map(|spec| {
                set.remove(spec.name).unwrap_or(MetaParamConfig {
                    spec,
                    value: spec.default,
                    learnable: false,
                    per_state: false,
                })
            })
            .collect();
        Ok(PluginConfig { entry, plugin, meta })
    }
}

fn parse_meta(
    doc: &ConfigDoc,
    path: &[&str],
    entry: &PluginEntry,
    spec: &'static MetaParamSpec,
    value: &toml::Value,
) -> Result<MetaParamConfig> {
    let number = |v: &toml::Value, at: &[&str]| match v {
        toml::Value::Float(f) => Ok(*f),
        toml::Value::Integer(i) => Ok(*i as f64),
        _ => Err(doc.error(at, format!("`{}` must be a number in {}", spec.name, spec.domain))),
    };
    let boolean = |v: &toml::Value, at: &[&str]| {
        v.as_bool().ok_or_else(|| doc.error(at, format!("`{}` must be true or false", at.last().unwrap_or(&""))))
    };
    let mut cfg = MetaParamConfig { spec, value: spec.default, learnable: false, per_state: false };
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let at: Vec<&str> = path.iter().copied().chain([k.as_str()]).collect();
                match k.as_str() {
                    "value" => cfg.value = number(v, &at)?,
                    "learnable" => cfg.learnable = boolean(v, &at)?,
                    "per_state" => cfg.per_state = boolean(v, &at)?,
                    other => {
                        return Err(doc.error(
                            &at,
                            format!(
                                "unknown key `{other}` for meta-parameter `{}`; expected value, learnable, per_state",
                                spec.name
                            ),
                        ))
                    }
                }
            }
        }
        v => cfg.value = number(v, path)?,
    }
    let problem = |problem: String| {
        doc.locate_error(path, Error::MetaParam { plugin: entry.name.into(), problem, declared: entry.declared() })
    };
    if cfg.learnable && !spec.learnable {
        return Err(problem(format!(
            "`{}` of `{}` is declared fixed-only and cannot be learnable",
            spec.name, entry.name
        )));
    }
    if cfg.per_state && !spec.per_state {
        return Err(problem(format!("`{}` of `{}` cannot be per_state", spec.name, entry.name)));
    }
    if cfg.per_state && !cfg.learnable {
        return Err(doc.error(path, format!("`{}`: per_state needs learnable = true", spec.name)));
    }
    // The same checks as building the source, located at the key.
    MetaSource::from_spec(spec, cfg.value, cfg.learnable, cfg.per_state.then_some(1))
        .map_err(|e| doc.locate_error(path, e))?;
    Ok(cfg)
}
