//! A sweep expanded into its runs: every environment × variant × seed, each an ordinary
//! experiment (the base with `[sweep.set]`, the environment, the variant's overrides and the
//! command line's `--set` put over it, in that order) with its own folder
//! `<out_dir>/<env>/<variant>/seed-<k>` (an environment's `/` written as `-`).

use super::file::SweepFile;
use crate::run::provenance::SweepTag;
use anyhow::{Context, Result};
use mgrl_core::config::{ConfigDoc, Experiment, Override};
use std::path::PathBuf;

/// One environment × variant of a sweep: the document its seeds share.
#[derive(Debug, Clone)]
pub struct Cell {
    pub env: String,
    pub variant: String,
    pub doc: ConfigDoc,
}

/// One run of a sweep.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    /// Index into [`Plan::cells`].
    pub cell: usize,
    pub seed: u64,
    pub dir: PathBuf,
}

/// A sweep's runs, seed by seed (every cell of seed 0 first), so that a sweep cut short has
/// the same seeds of everything.
#[derive(Debug, Clone)]
pub struct Plan {
    pub file: SweepFile,
    pub cells: Vec<Cell>,
    pub runs: Vec<PlannedRun>,
}

impl Plan {
    /// Expands `file`, with `cli` (`--set`) over every run. Each cell's experiment is parsed
    /// and checked (not its agent: see [`Plan::validate`]).
    pub fn new(file: SweepFile, cli: &[Override]) -> Result<Self> {
        let envs: Vec<Option<&String>> =
            if file.envs.is_empty() { vec![None] } else { file.envs.iter().map(Some).collect() };
        let mut cells = Vec::new();
        for env in envs {
            for (variant, overrides) in &file.variants {
                let mut all = file.set.clone();
                if let Some(env) = env {
                    all.push(Override::at(
                        &["env", "name"],
                        toml::Value::String(env.clone()),
                        file.doc.location(&["sweep", "envs"]),
                    ));
                }
                all.extend(overrides.iter().cloned());
                all.extend(cli.iter().cloned());
                let doc = file.base.clone().with_overrides(&all)?;
                let exp = Experiment::from_doc(doc.clone())?;
                cells.push(Cell { env: exp.env.name.clone(), variant: variant.clone(), doc });
            }
        }
        let runs = file
            .seeds
            .iter()
            .flat_map(|&seed| (0..cells.len()).map(move |cell| (cell, seed)))
            .map(|(cell, seed)| {
                let c = &cells[cell];
                let dir = file.out_dir.join(env_folder(&c.env)).join(&c.variant).join(format!("seed-{seed}"));
                PlannedRun { cell, seed, dir }
            })
            .collect();
        Ok(Plan { file, cells, runs })
    }

    /// Builds the agent of every cell once (the seeds of a cell share its options): an
    /// experiment that cannot run is refused before any run starts. Errors name the cell.
    pub fn validate(&self) -> Result<()> {
        for (i, c) in self.cells.iter().enumerate() {
            let exp = self.experiment_of_cell(i, self.file.seeds[0])?;
            crate::run::validate(&exp)
                .with_context(|| format!("sweep {}: env {}, variant {}", self.file.name, c.env, c.variant))?;
        }
        Ok(())
    }

    /// The experiment of `run`: its cell's, with the run's name, seed and folder.
    pub fn experiment(&self, run: &PlannedRun) -> Result<Experiment> {
        let mut exp = self.experiment_of_cell(run.cell, run.seed)?;
        exp.run.out_dir = Some(run.dir.clone());
        Ok(exp)
    }

    fn experiment_of_cell(&self, cell: usize, seed: u64) -> Result<Experiment> {
        let c = &self.cells[cell];
        let mut exp = Experiment::from_doc(c.doc.clone())?;
        exp.name = format!("{}-{}-{}", self.file.name, env_folder(&c.env), c.variant);
        exp.seed = seed;
        Ok(exp)
    }

    /// The tag `provenance.json` of `run` carries.
    pub fn tag(&self, run: &PlannedRun) -> SweepTag {
        let c = &self.cells[run.cell];
        SweepTag { name: self.file.name.clone(), env: c.env.clone(), variant: c.variant.clone() }
    }

    /// `env/variant/seed-k`, for messages.
    pub fn label(&self, run: &PlannedRun) -> String {
        let c = &self.cells[run.cell];
        format!("{}/{}/seed-{}", c.env, c.variant, run.seed)
    }
}

/// An environment's name as one folder (`minatar/breakout` → `minatar-breakout`).
pub fn env_folder(env: &str) -> String {
    env.replace(['/', '\\'], "-")
}
