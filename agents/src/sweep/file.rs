//! The `[sweep]` section of a sweep file, read and checked; errors point at its keys.
//!
//! ```toml
//! [sweep]
//! name = "minatar-study"            # runs go to <out_dir>/<env>/<variant>/seed-<k>
//! base = "minatar_base.toml"        # the experiment every run starts from (relative to this
//!                                   # file); without it, the experiment is this file's other sections
//! seeds = 5                         # seeds 0..5, or a list: [0, 1, 7]
//! envs = ["minatar/breakout", "minatar/asterix"]   # default: the base's [env] name
//! out_dir = "runs/minatar-study"    # the default: runs/<name>
//! jobs = 4                          # runs at once (default: the machine's cores; --jobs wins)
//!
//! [sweep.set]                       # overrides for every run (dotted keys)
//! "run.updates" = 10000
//!
//! [sweep.variants.fixed-gamma]      # one table per variant, its overrides; default: one
//! [sweep.variants.meta-gamma]       # variant, `base`, with no overrides
//! "return.gamma.learnable" = true
//! ```

use anyhow::Result;
use mgrl_core::config::{ConfigDoc, Override};
use std::path::{Path, PathBuf};

/// The keys of `[sweep]`.
const KEYS: &[&str] = &["name", "base", "seeds", "envs", "out_dir", "jobs", "set", "variants"];

/// A sweep file, read.
#[derive(Debug, Clone)]
pub struct SweepFile {
    pub path: PathBuf,
    /// The sweep file itself (for error locations).
    pub doc: ConfigDoc,
    pub name: String,
    /// The base experiment: the `base` file, or this file's sections other than `[sweep]`.
    pub base: ConfigDoc,
    pub seeds: Vec<u64>,
    /// Environment names with the location of the `envs` key; empty: the base's.
    pub envs: Vec<String>,
    pub out_dir: PathBuf,
    pub jobs: Option<usize>,
    /// `[sweep.set]`.
    pub set: Vec<Override>,
    /// `(name, overrides)` per variant, in the file's order.
    pub variants: Vec<(String, Vec<Override>)>,
}

/// Whether the TOML file at `path` is a sweep (has a `[sweep]` table).
pub fn is_sweep(doc: &ConfigDoc) -> bool {
    doc.table().contains_key("sweep")
}

/// A name usable as one folder: not empty, no slashes, not `.` or `..`.
pub fn is_folder_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '\\']) && !s.contains("..") && s != "."
}

impl SweepFile {
    /// Reads and checks a sweep file (not the runs it expands to: see `plan`).
    pub fn read(path: &Path) -> Result<Self> {
        let doc = ConfigDoc::read(path)?;
        Ok(Self::from_doc(path, doc)?)
    }

    fn from_doc(path: &Path, doc: ConfigDoc) -> mgrl_core::Result<Self> {
        let err = |at: &[&str], m: String| doc.error(at, m);
        let sweep = match doc.table().get("sweep") {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => return Err(err(&["sweep"], "a sweep file needs a [sweep] table".into())),
        };
        if let Some(k) = sweep.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(err(
                &["sweep", k],
                format!("unknown key `{k}` in [sweep]; expected one of {}", KEYS.join(", ")),
            ));
        }
        let name = match sweep.get("name") {
            None => path.file_stem().map_or("sweep".into(), |s| s.to_string_lossy().into_owned()),
            Some(toml::Value::String(s)) if is_folder_name(s) => s.clone(),
            Some(_) => {
                return Err(err(&["sweep", "name"], "`name` must be a string without slashes, `.` or `..`".into()))
            }
        };
        let base = match sweep.get("base") {
            None => doc.clone().without("sweep"),
            Some(toml::Value::String(b)) => {
                let file = path.parent().unwrap_or(Path::new(".")).join(b);
                if !file.is_file() {
                    return Err(err(
                        &["sweep", "base"],
                        format!("the base experiment {} does not exist", file.display()),
                    ));
                }
                let base = ConfigDoc::read(&file)?;
                if let Some(k) = doc.table().keys().find(|k| *k != "sweep") {
                    return Err(err(
                        &[k],
                        format!("`{k}` beside `base`: put the experiment either in the base file or in this one"),
                    ));
                }
                base
            }
            Some(_) => return Err(err(&["sweep", "base"], "`base` must be a file name (a string)".into())),
        };
        let seeds: Vec<u64> = match sweep.get("seeds") {
            Some(toml::Value::Integer(n)) if *n >= 1 => (0..*n as u64).collect(),
            Some(toml::Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| v.as_integer().filter(|i| *i >= 0).map(|i| i as u64))
                .collect::<Option<_>>()
                .ok_or_else(|| err(&["sweep", "seeds"], "`seeds` lists non-negative integers".into()))?,
            _ => {
                return Err(err(
                    &["sweep", "seeds"],
                    "`seeds` must be a count of at least 1 (seeds 0..N) or a non-empty list of seeds".into(),
                ))
            }
        };
        let mut unique = seeds.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != seeds.len() {
            return Err(err(&["sweep", "seeds"], "`seeds` lists a seed twice".into()));
        }
        let envs = match sweep.get("envs") {
            None => Vec::new(),
            Some(toml::Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| err(&["sweep", "envs"], "`envs` lists environment names (strings)".into()))?,
            Some(_) => {
                return Err(err(&["sweep", "envs"], "`envs` must be a non-empty list of environment names".into()))
            }
        };
        let out_dir = match sweep.get("out_dir") {
            None => PathBuf::from("runs").join(&name),
            Some(toml::Value::String(s)) => PathBuf::from(s),
            Some(_) => return Err(err(&["sweep", "out_dir"], "`out_dir` must be a folder (a string)".into())),
        };
        let jobs = match sweep.get("jobs") {
            None => None,
            Some(toml::Value::Integer(n)) if *n >= 1 => Some(*n as usize),
            Some(_) => return Err(err(&["sweep", "jobs"], "`jobs` must be at least 1".into())),
        };
        let set = match sweep.get("set") {
            None => Vec::new(),
            Some(toml::Value::Table(t)) => overrides(&doc, &["sweep", "set"], t)?,
            Some(_) => return Err(err(&["sweep", "set"], "`set` must be a table of dotted keys and values".into())),
        };
        let variants = match sweep.get("variants") {
            None => vec![("base".to_string(), Vec::new())],
            Some(toml::Value::Table(t)) if !t.is_empty() => doc
                .keys_in_order(&["sweep", "variants"])
                .iter()
                .filter_map(|v| t.get_key_value(v.as_str()))
                .map(|(v, o)| {
                    if !is_folder_name(v) {
                        return Err(err(
                            &["sweep", "variants", v],
                            format!("the variant name `{v}` is not a folder name"),
                        ));
                    }
                    match o {
                        toml::Value::Table(o) => Ok((v.clone(), overrides(&doc, &["sweep", "variants", v], o)?)),
                        _ => Err(err(&["sweep", "variants", v], format!("variant `{v}` must be a table of overrides"))),
                    }
                })
                .collect::<mgrl_core::Result<_>>()?,
            Some(_) => {
                return Err(err(
                    &["sweep", "variants"],
                    "`variants` must hold one table per variant, e.g. [sweep.variants.meta-gamma]".into(),
                ))
            }
        };
        Ok(SweepFile { path: path.to_path_buf(), doc, name, base, seeds, envs, out_dir, jobs, set, variants })
    }
}

/// The overrides of a table of dotted keys, each located at its key in the sweep file.
fn overrides(doc: &ConfigDoc, at: &[&str], table: &toml::Table) -> mgrl_core::Result<Vec<Override>> {
    table
        .iter()
        .map(|(k, v)| {
            let path: Vec<&str> = at.iter().copied().chain([k.as_str()]).collect();
            Override::new(k, v.clone(), doc.location(&path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> mgrl_core::Result<SweepFile> {
        SweepFile::from_doc(Path::new("s.toml"), ConfigDoc::parse("s.toml", text).unwrap())
    }

    #[test]
    fn a_sweep_reads_its_seeds_envs_and_variants_with_located_overrides() {
        let s = parse(
            "[sweep]\nseeds = 3\nenvs = [\"catch\", \"cartpole\"]\n[sweep.variants.b]\n\"return.gamma.learnable\" = true\n\
             [sweep.variants.a]\n[env]\nname = \"catch\"\n",
        )
        .unwrap();
        assert_eq!((s.name.as_str(), s.seeds.as_slice()), ("s", &[0, 1, 2][..]));
        assert_eq!(s.envs, ["catch", "cartpole"]);
        assert_eq!(s.out_dir, PathBuf::from("runs/s"));
        let names: Vec<&str> = s.variants.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "a"], "the file's order");
        let o = &s.variants[0].1[0];
        assert_eq!(o.key, ["return", "gamma", "learnable"]);
        assert_eq!((o.origin.line, o.origin.column), (5, 1));
        assert!(s.base.table().contains_key("env") && !s.base.table().contains_key("sweep"));
    }

    #[test]
    fn mistakes_in_the_sweep_section_point_at_their_key() {
        let e = parse("[sweep]\nseeds = 2\nvariant = {}\n").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:3:1: unknown key `variant`"), "{e}");
        let e = parse("[sweep]\nseeds = 0\n").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:2:1:") && e.contains("at least 1"), "{e}");
        let e = parse("[sweep]\nseeds = [1, 1]\n").unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
        let e = parse("[sweep]\nseeds = 1\nbase = \"nowhere.toml\"\n").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:3:1:") && e.contains("does not exist"), "{e}");
        let e = parse("[sweep]\nseeds = 1\n[sweep.variants.\"a/b\"]\n").unwrap_err().to_string();
        assert!(e.contains("not a folder name"), "{e}");
    }
}
