//! A parsed TOML file that can point at any of its keys: the source of line and column for
//! every configuration error.

use super::Override;
use crate::error::Location;
use crate::{Error, Result};
use serde::de::DeserializeOwned;

/// The text of an experiment file, its parsed table, and the spans of its items.
#[derive(Debug, Clone)]
pub struct ConfigDoc {
    file: String,
    text: String,
    spans: toml_edit::ImDocument<String>,
    table: toml::Table,
    /// Values put over the file's (`--set`, a sweep's variant), in the order applied.
    overrides: Vec<Override>,
}

impl ConfigDoc {
    /// Parses `text`; a syntax error names the file, line and column.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let spans = toml_edit::ImDocument::parse(text.to_string()).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            Error::Config {
                location: locate(file, text, offset),
                message: format!("TOML syntax error: {}", e.message()),
            }
        })?;
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            Error::Config { location: locate(file, text, offset), message: e.message().to_string() }
        })?;
        Ok(ConfigDoc { file: file.into(), text: text.into(), spans, table, overrides: Vec::new() })
    }

    /// Reads and parses a file.
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Invalid(format!("cannot read experiment file {}: {e}", path.display())))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The document with `overrides` put over its values, in order. Errors about an
    /// overridden key (or one below it) then point at the override's origin.
    pub fn with_overrides(mut self, overrides: &[Override]) -> Result<Self> {
        for o in overrides {
            o.apply(&mut self.table)?;
            self.overrides.push(o.clone());
        }
        Ok(self)
    }

    /// The document without the top-level key `key` (a sweep file's `[sweep]`, leaving the
    /// experiment around it); every other key keeps its location.
    pub fn without(mut self, key: &str) -> Self {
        self.table.remove(key);
        self
    }

    /// The keys of the table at `path` in the order the file writes them (the parsed table
    /// sorts them); empty when there is no such table in the file.
    pub fn keys_in_order(&self, path: &[&str]) -> Vec<String> {
        let mut item = self.spans.as_item();
        for key in path {
            match item.as_table_like().and_then(|t| t.get(key)) {
                Some(i) => item = i,
                None => return Vec::new(),
            }
        }
        item.as_table_like().map_or_else(Vec::new, |t| t.iter().map(|(k, _)| k.to_string()).collect())
    }

    /// The overrides applied so far.
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }

    /// The whole file (with any overrides) as a table.
    pub fn table(&self) -> &toml::Table {
        &self.table
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// The location of the item at `path` (keys, and indices into arrays of tables), or of
    /// its nearest ancestor that exists; the origin of the override that set it, if one did.
    pub fn location(&self, path: &[&str]) -> Location {
        if let Some(o) = self.overrides.iter().rev().find(|o| o.covers(path)) {
            return o.origin.clone();
        }
        locate(&self.file, &self.text, walk(self.spans.as_item(), path, 0))
    }

    /// An error about the item at `path`.
    pub fn error(&self, path: &[&str], message: impl Into<String>) -> Error {
        Error::Config { location: self.location(path), message: message.into() }
    }

    /// Re-locates an mgrl error (such as a domain error) at the item at `path`.
    pub fn locate_error(&self, path: &[&str], err: Error) -> Error {
        match err {
            Error::Config { .. } => err,
            other => self.error(path, other.to_string()),
        }
    }

    /// Deserializes the table at `path` into `T`. A serde error points at the key it names
    /// (an unknown field, a wrong type), or else at the table.
    pub fn deserialize<T: DeserializeOwned>(&self, path: &[&str], value: toml::Value) -> Result<T> {
        let keys: Vec<String> = value.as_table().map(|t| t.keys().cloned().collect()).unwrap_or_default();
        serde_path_to_error::deserialize(value).map_err(|e| {
            // The path serde took to the failure (a wrong type, a bad nested value); where it
            // ends at the table itself (an unknown or a missing field), the first key that is
            // none of the struct's fields, else the table.
            let mut at: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            at.extend(e.path().iter().filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                _ => None,
            }));
            if at.len() == path.len() {
                if let Some(fields) = fields_of::<T>() {
                    at.extend(keys.into_iter().find(|k| !fields.contains(&k.as_str())));
                }
            }
            let message = e.inner().message().trim().to_string();
            self.error(&at.iter().map(String::as_str).collect::<Vec<_>>(), message)
        })
    }
}

/// The field names of a struct `T`, as `#[derive(Deserialize)]` hands them to its deserializer,
/// or `None` for anything else (an enum, a map, a trait object).
fn fields_of<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut fields = None;
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields
}

/// A deserializer that records the fields a struct asks for and fails.
struct FieldProbe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _visitor: V) -> std::result::Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The byte offset of the item at `path` below `item`, or of its deepest existing ancestor.
fn walk(item: &toml_edit::Item, path: &[&str], offset: usize) -> usize {
    let Some((key, rest)) = path.split_first() else { return offset };
    if let (Some(tables), Ok(i)) = (item.as_array_of_tables(), key.parse::<usize>()) {
        return match tables.get(i) {
            Some(t) => walk_in(t, rest, t.span().map_or(offset, |s| s.start)),
            None => offset,
        };
    }
    match item.as_table_like() {
        Some(t) => walk_in(t, path, offset),
        None => offset,
    }
}

fn walk_in(table: &dyn toml_edit::TableLike, path: &[&str], offset: usize) -> usize {
    let Some((key, rest)) = path.split_first() else { return offset };
    match table.get_key_value(key) {
        Some((k, v)) => walk(v, rest, k.span().or_else(|| v.span()).map_or(offset, |s| s.start)),
        None => offset,
    }
}

/// Converts a byte offset into a 1-based line and column (in characters).
fn locate(file: &str, text: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    Location { file: file.into(), line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "seed = 1\n\n[return]\ntype = \"x\"\ngamma = { value = 2.0 }\n\n[[reward_transform]]\ntype = \"clip\"\n\n[[reward_transform]]\ntype = \"squash\"\nthreshold = 3\n";

    #[test]
    fn syntax_error_reports_line_and_column() {
        let err = ConfigDoc::parse("bad.toml", "seed = 1\n[return\ntype = 3\n").unwrap_err().to_string();
        assert!(err.starts_with("bad.toml:2:"), "{err}");
    }

    #[test]
    fn location_finds_nested_keys_and_array_entries() {
        let doc = ConfigDoc::parse("e.toml", TEXT).unwrap();
        assert_eq!(doc.location(&["seed"]).line, 1);
        let l = doc.location(&["return", "gamma", "value"]);
        assert_eq!((l.line, l.column), (5, 11));
        let l = doc.location(&["reward_transform", "1", "threshold"]);
        assert_eq!((l.line, l.column), (12, 1));
        // A missing key points at its nearest ancestor.
        assert_eq!(doc.location(&["return", "lambda"]).line, 3);
    }

    #[test]
    fn deserialize_errors_point_at_the_key_they_name() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            seed: u32,
        }
        let doc = ConfigDoc::parse("e.toml", "seed = 1\nsede = 2\n").unwrap();
        let err = doc.deserialize::<S>(&[], toml::Value::Table(doc.table().clone())).unwrap_err().to_string();
        assert!(err.starts_with("e.toml:2:1") && err.contains("sede"), "{err}");
    }

    #[test]
    fn deserialize_errors_inside_nested_tables_point_at_the_nested_key() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(tag = "type", rename_all = "snake_case")]
        #[allow(dead_code)]
        enum Net {
            Mlp { hidden: usize },
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct S {
            seed: u32,
            net: Net,
        }
        let doc = ConfigDoc::parse("e.toml", "seed = 1\n\nnet = { type = \"lstm\" }\n").unwrap();
        let err = doc.deserialize::<S>(&[], toml::Value::Table(doc.table().clone())).unwrap_err().to_string();
        assert!(err.starts_with("e.toml:3:") && err.contains("lstm"), "{err}");
        let doc = ConfigDoc::parse("e.toml", "seed = 1\nnet = { type = \"mlp\", hidden = -3 }\n").unwrap();
        let err = doc.deserialize::<S>(&[], toml::Value::Table(doc.table().clone())).unwrap_err().to_string();
        assert!(err.starts_with("e.toml:2:") && err.contains("-3"), "{err}");
    }

    #[test]
    fn keys_come_in_file_order() {
        let doc = ConfigDoc::parse("e.toml", "[s.v.zeta]\n[s.v.alpha]\nx = 1\n[s.v.mid]\n").unwrap();
        assert_eq!(doc.keys_in_order(&["s", "v"]), ["zeta", "alpha", "mid"]);
        assert!(doc.keys_in_order(&["nothing"]).is_empty());
    }

    #[test]
    fn an_error_at_or_below_an_overridden_key_points_at_the_override() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Run {
            updates: u32,
        }
        let doc = ConfigDoc::parse("e.toml", "seed = 1\n[run]\nupdates = 3\n").unwrap();
        let doc = doc.with_overrides(&[Override::parse_arg("run.updatez=4").unwrap()]).unwrap();
        let run = doc.table()["run"].clone();
        let err = doc.deserialize::<Run>(&["run"], run).unwrap_err().to_string();
        assert!(err.starts_with("--set run.updatez=4:1:1: unknown field `updatez`"), "{err}");
        // Keys the override did not touch still point into the file.
        assert_eq!(doc.location(&["run", "updates"]).line, 3);
    }
}
