//! `mgrl check`: validates an experiment file without running it.

use super::Exit;
use crate::run;
use anyhow::Result;
use mgrl_core::config::{ConfigDoc, Experiment, MetaParamConfig, Override, PluginConfig};
use std::io::Write;
use std::path::PathBuf;

/// Validate an experiment file, or a sweep file, without running it.
///
/// Checks its TOML, every plugin and meta-parameter, the agent kind,
/// the environment and their options (by building the agent, without running it); prints
/// a summary of what would run. A sweep file (one with a [sweep] section) is expanded and
/// every environment × variant it names is checked. Errors give file:line:column.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl check examples/td_smoke.toml\n  mgrl check examples/td_smoke.toml --set run.updates=10\n  mgrl check examples/minatar/sweep.toml"
)]
pub struct Args {
    /// The experiment (or sweep) file.
    config: PathBuf,
    /// Put VALUE at KEY (dotted) over the file, as `mgrl run --set` does. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    if crate::sweep::is_sweep(&ConfigDoc::read(&args.config)?) {
        let plan = super::sweep::plan(&args.config, &args.set)?;
        let f = &plan.file;
        writeln!(out, "{}: ok", args.config.display())?;
        writeln!(
            out,
            "  sweep             {}: {} runs = {} environments × {} variants × {} seeds",
            f.name,
            plan.runs.len(),
            plan.cells.len() / f.variants.len(),
            f.variants.len(),
            f.seeds.len()
        )?;
        let mut envs: Vec<&str> = plan.cells.iter().map(|c| c.env.as_str()).collect();
        envs.dedup();
        writeln!(out, "  environments      {}", envs.join(", "))?;
        let variants: Vec<&str> = f.variants.iter().map(|(v, _)| v.as_str()).collect();
        writeln!(out, "  variants          {}", variants.join(", "))?;
        writeln!(out, "  seeds             {}", f.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))?;
        writeln!(out, "  output            {}/<env>/<variant>/seed-<k>", f.out_dir.display())?;
        return Ok(0);
    }
    let overrides: Vec<Override> = args.set.iter().map(|s| Override::parse_arg(s)).collect::<Result<_, _>>()?;
    let exp = Experiment::read_with(&args.config, &overrides)?;
    run::validate(&exp)?;
    write!(out, "{}", summary(&exp, &args.config))?;
    Ok(0)
}

/// What the experiment runs, one line per section.
fn summary(exp: &Experiment, file: &std::path::Path) -> String {
    let r = &exp.run;
    let mut s = format!("{}: ok\n", file.display());
    s += &format!("  experiment        {} (seed {})\n", exp.name, exp.seed);
    s += &format!("  env               {}{}\n", exp.env.name, options(&exp.env.options));
    s += &format!("  agent             {}{}\n", exp.agent.name, options(&exp.agent.options));
    s += &format!("  return            {}\n", plugin(&exp.ret));
    for (i, t) in exp.reward_transforms.iter().enumerate() {
        s += &format!("  reward transform  {}. {}\n", i + 1, plugin(t));
    }
    if let Some(m) = &exp.meta {
        let learns = exp.ret.meta.iter().chain(exp.reward_transforms.iter().flat_map(|t| &t.meta)).any(|p| p.learnable);
        s += &format!(
            "  meta              Adam lr {}, method {:?}, trace decay {}, {} batch; objective {}{}\n",
            m.lr,
            m.method,
            m.trace_decay,
            if m.next_batch { "next" } else { "same" },
            plugin(&m.objective),
            if learns { "" } else { " (nothing is learnable: no meta-step, unless an outer value head needs J′)" }
        );
    }
    s += &format!(
        "  run               {} updates, a metrics row every {}, a checkpoint every {} (newest {} kept), {}\n",
        r.updates,
        r.log_interval,
        r.checkpoint_interval,
        r.keep_checkpoints,
        if r.deterministic { "deterministic" } else { "not deterministic" }
    );
    s += &format!("  output            {}\n", exp.out_dir().display());
    s
}

fn options(t: &toml::Table) -> String {
    if t.is_empty() {
        return String::new();
    }
    let items: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!(" ({})", items.join(", "))
}

fn plugin<P: ?Sized>(p: &PluginConfig<P>) -> String {
    let metas: Vec<String> = p.meta.iter().map(meta).collect();
    if metas.is_empty() {
        p.entry.name.to_string()
    } else {
        format!("{}: {}", p.entry.name, metas.join(", "))
    }
}

fn meta(m: &MetaParamConfig) -> String {
    match (m.learnable, m.per_state) {
        (false, _) => format!("{} = {}", m.spec.name, m.value),
        (true, false) => format!("{} learnt from {}", m.spec.name, m.value),
        (true, true) => format!("{}(s) learnt per state from {}", m.spec.name, m.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_plugin_retrace as _;

    #[test]
    fn summary_names_every_section_and_how_each_meta_parameter_is_set() {
        let text = "name = \"demo\"\nseed = 4\n[env]\nname = \"mrp/chain\"\nlength = 10\n[agent]\nkind = \"td\"\n\
                    [return]\ntype = \"retrace\"\ngamma = { value = 0.5, learnable = true, per_state = true }\n\
                    [meta]\nlr = 0.01\n[meta.objective]\ntype = \"retrace\"\ngamma = 1.0\nlambda = 1.0\n\
                    [run]\nupdates = 50\n";
        let exp = Experiment::parse("demo.toml", text).unwrap();
        let s = summary(&exp, std::path::Path::new("demo.toml"));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "demo.toml: ok");
        assert_eq!(lines[1], "  experiment        demo (seed 4)");
        assert_eq!(lines[2], "  env               mrp/chain (length = 10)");
        assert_eq!(lines[4], "  return            retrace: gamma(s) learnt per state from 0.5, lambda = 0.95");
        assert!(lines[5].contains("Adam lr 0.01") && lines[5].ends_with("objective retrace: gamma = 1, lambda = 1"));
        assert!(lines[6].contains("50 updates, a metrics row every 10, a checkpoint every 1000 (newest 3 kept)"));
        assert_eq!(lines[7], "  output            runs/demo/seed-4");
    }
}
