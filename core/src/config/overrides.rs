//! Overrides: a value put at a dotted key path of an experiment before it is validated, from
//! `--set key=value` on the command line or from a sweep's variants.
//!
//! ```text
//! --set run.updates=500                          an integer
//! --set 'agent.optimizer={ type = "sgd", lr = 0.1 }'   any TOML value
//! --set env.name=minatar/breakout               not TOML: taken as the string
//! --set return.gamma.learnable=true             a bare number below the key becomes { value = number }
//! --set reward_transform.0.threshold=2.0        an index into an array of tables
//! ```
//!
//! Each override remembers where it came from (the command-line argument, or the key of the
//! sweep file that holds it): an error about a key at or below an overridden path points
//! there instead of into the experiment file.

use crate::error::Location;
use crate::{Error, Result};

/// One value to put at a key path.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The key path, one segment per table (or array index).
    pub key: Vec<String>,
    pub value: toml::Value,
    /// Where errors about the key point.
    pub origin: Location,
}

impl Override {
    /// Parses a command-line `KEY=VALUE`: KEY a dotted TOML key (`agent.optimizer.lr`,
    /// `"return"."gamma"`), VALUE a TOML value or, when it is not one, a string.
    pub fn parse_arg(arg: &str) -> Result<Self> {
        let origin = Location { file: format!("--set {arg}"), line: 1, column: 1 };
        let Some((key, value)) = arg.split_once('=') else {
            return Err(Error::Invalid(format!(
                "--set {arg}: expected KEY=VALUE, e.g. --set run.updates=500 or --set return.gamma.learnable=true"
            )));
        };
        let key = parse_key(key.trim()).map_err(|m| Error::Invalid(format!("--set {arg}: {m}")))?;
        Ok(Override { key, value: parse_value(value.trim()), origin })
    }

    /// An override whose key is a dotted TOML key given as text (a sweep variant's
    /// `"return.gamma.learnable" = true`).
    pub fn new(dotted: &str, value: toml::Value, origin: Location) -> Result<Self> {
        let key = parse_key(dotted).map_err(|m| Error::Config { location: origin.clone(), message: m })?;
        Ok(Override { key, value, origin })
    }

    /// An override at an exact key path (no parsing of the segments).
    pub fn at(key: &[&str], value: toml::Value, origin: Location) -> Self {
        Override { key: key.iter().map(|s| s.to_string()).collect(), value, origin }
    }

    /// Whether this override set `path` or a table above it.
    pub fn covers(&self, path: &[&str]) -> bool {
        path.len() >= self.key.len() && self.key.iter().zip(path).all(|(k, p)| k == p)
    }

    /// The key as written on a command line.
    pub fn dotted(&self) -> String {
        self.key.join(".")
    }

    /// Puts the value into `table`, making the tables on the way; an error names the key.
    pub fn apply(&self, table: &mut toml::Table) -> Result<()> {
        let fail = |message: String| Error::Config { location: self.origin.clone(), message };
        let n = self.key.len();
        if n == 0 {
            return Err(fail("an empty key".into()));
        }
        let mut at = table;
        let mut i = 0;
        while i + 1 < n {
            let mut slot = at.entry(self.key[i].clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            i += 1;
            if let toml::Value::Array(items) = slot {
                let walked = self.key[..i].join(".");
                let Some(index) = self.key[i].parse::<usize>().ok() else {
                    return Err(fail(format!("`{walked}` is an array: the key after it must be an index")));
                };
                let len = items.len();
                slot = items
                    .get_mut(index)
                    .ok_or_else(|| fail(format!("`{walked}` has {len} entries; there is no entry {index}")))?;
                i += 1;
                if i == n {
                    *slot = self.value.clone();
                    return Ok(());
                }
            }
            if let toml::Value::Integer(_) | toml::Value::Float(_) = slot {
                // A meta-parameter written as a bare number: `{ value = number }` keeps it.
                let mut t = toml::Table::new();
                t.insert("value".into(), slot.clone());
                *slot = toml::Value::Table(t);
            }
            at = match slot {
                toml::Value::Table(t) => t,
                other => {
                    return Err(fail(format!(
                        "`{}` is {}, not a table: there is no key `{}` below it",
                        self.key[..i].join("."),
                        type_name(other),
                        self.key[i]
                    )))
                }
            };
        }
        at.insert(self.key[n - 1].clone(), self.value.clone());
        Ok(())
    }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// A dotted TOML key into its segments.
fn parse_key(dotted: &str) -> std::result::Result<Vec<String>, String> {
    let keys = toml_edit::Key::parse(dotted).map_err(|e| format!("`{dotted}` is not a dotted TOML key: {e}"))?;
    if keys.is_empty() {
        return Err("an empty key".into());
    }
    Ok(keys.iter().map(|k| k.get().to_string()).collect())
}

/// A TOML value, or the text as a string when it is not one.
fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn values_are_toml_and_anything_else_is_a_string() {
        let o = Override::parse_arg("run.updates=500").unwrap();
        assert_eq!((o.key, o.value), (vec!["run".to_string(), "updates".to_string()], toml::Value::Integer(500)));
        let o = Override::parse_arg("env.name=minatar/breakout").unwrap();
        assert_eq!(o.value, toml::Value::String("minatar/breakout".into()));
        let o = Override::parse_arg("agent.optimizer={ type = \"sgd\", lr = 0.5 }").unwrap();
        assert_eq!(o.value, toml::Value::Table(table("type = \"sgd\"\nlr = 0.5")));
        assert!(Override::parse_arg("run.updates").unwrap_err().to_string().contains("KEY=VALUE"));
        assert!(Override::parse_arg("a..b=1").is_err());
    }

    #[test]
    fn apply_makes_tables_turns_a_bare_number_into_a_value_table_and_indexes_arrays() {
        let mut t = table("[return]\ngamma = 0.5\n[[reward_transform]]\ntype = \"clip\"\nthreshold = 1.0\n");
        Override::parse_arg("return.gamma.learnable=true").unwrap().apply(&mut t).unwrap();
        assert_eq!(t["return"]["gamma"], toml::Value::Table(table("value = 0.5\nlearnable = true")));
        Override::parse_arg("reward_transform.0.threshold=2.0").unwrap().apply(&mut t).unwrap();
        assert_eq!(t["reward_transform"][0]["threshold"], toml::Value::Float(2.0));
        Override::parse_arg("meta.objective.gamma=0.9").unwrap().apply(&mut t).unwrap();
        assert_eq!(t["meta"]["objective"]["gamma"], toml::Value::Float(0.9));
        let err = Override::parse_arg("reward_transform.3.threshold=2").unwrap().apply(&mut t).unwrap_err();
        assert!(err.to_string().contains("has 1 entries; there is no entry 3"), "{err}");
        let err = Override::parse_arg("return.gamma.learnable.x=1").unwrap().apply(&mut t).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("--set return.gamma.learnable.x=1:1:1: `return.gamma.learnable` is a boolean"));
    }

    #[test]
    fn covers_the_key_and_what_is_below_it() {
        let o = Override::parse_arg("agent.optimizer={ type = \"sgd\" }").unwrap();
        assert!(o.covers(&["agent", "optimizer", "lr"]) && o.covers(&["agent", "optimizer"]));
        assert!(!o.covers(&["agent"]) && !o.covers(&["agent", "network"]));
    }
}
