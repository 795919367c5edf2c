//! `mgrl plugins`: every registered return and reward-transform plugin, with its options
//! and meta-parameters.

use super::Exit;
use anyhow::{bail, Result};
use mgrl_core::{registry, PluginEntry};
use std::io::Write;

/// List the return and reward-transform plugins.
///
/// Every plugin linked into mgrl, with its description,
/// options and meta-parameters (name, domain, default, whether it can be learnt, whether
/// it can take one value per state).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mgrl plugins                  every plugin\n  mgrl plugins lambda_return    one plugin"
)]
pub struct Args {
    /// Show only the plugin with this name.
    name: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<Exit> {
    let all = registry::plugins();
    let shown: Vec<&PluginEntry> =
        all.iter().copied().filter(|p| args.name.as_ref().is_none_or(|n| n == p.name)).collect();
    if let (Some(name), true) = (&args.name, shown.is_empty()) {
        let known: Vec<&str> = all.iter().map(|p| p.name).collect();
        bail!("no plugin is called `{name}`; registered plugins: {}", known.join(", "));
    }
    if all.is_empty() {
        writeln!(out, "no plugins are registered")?;
    }
    let mut kind = None;
    for p in shown {
        if kind != Some(p.kind) {
            writeln!(out, "{} plugins:\n", p.kind)?;
            kind = Some(p.kind);
        }
        write!(out, "{}", describe(p))?;
    }
    Ok(0)
}

/// A plugin's entry as text: name and description, options, meta-parameters as a table.
fn describe(p: &PluginEntry) -> String {
    let mut s = format!("  {} — {}\n", p.name, p.description);
    if !p.options.is_empty() {
        s += "    options:\n";
        for o in p.options {
            let default = if o.default.is_empty() { "required".to_string() } else { format!("default {}", o.default) };
            s += &format!("      {:<14} {} ({default})\n", o.name, o.doc);
        }
    }
    if p.meta_params.is_empty() {
        s += "    meta-parameters: none\n";
    } else {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let rows: Vec<[String; 6]> = p
            .meta_params
            .iter()
            .map(|m| {
                [
                    m.name.to_string(),
                    m.domain.to_string(),
                    format!("{}", m.default),
                    yes(m.learnable).into(),
                    yes(m.per_state).into(),
                    m.doc.to_string(),
                ]
            })
            .collect();
        let header = ["name", "domain", "default", "learnable", "per-state", ""].map(String::from);
        let widths: Vec<usize> =
            (0..6).map(|i| rows.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
        s += "    meta-parameters:\n";
        for r in [&header].into_iter().chain(&rows) {
            let cells: Vec<String> =
                r.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
            s += &format!("      {}\n", cells.join("  ").trim_end());
        }
    }
    s + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use mgrl_core::registry::PluginOption;
    use mgrl_core::{MetaParamSpec, PluginKind};

    static META: &[MetaParamSpec] = &[
        MetaParamSpec::unit("gamma", "discount γ", 0.99),
        MetaParamSpec::positive("c_bar", "trace cut c̄", 1.0).fixed_only(),
    ];
    static OPTIONS: &[PluginOption] = &[PluginOption { name: "n", doc: "steps", default: "" }];

    #[test]
    fn a_plugin_is_described_with_its_options_and_a_table_of_meta_parameters() {
        let entry = PluginEntry {
            name: "demo",
            kind: PluginKind::Return,
            description: "a demo return",
            meta_params: META,
            options: OPTIONS,
        };
        let text = describe(&entry);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  demo — a demo return");
        assert_eq!(lines[2], "      n              steps (required)");
        assert_eq!(lines[4], "      name   domain  default  learnable  per-state");
        assert_eq!(lines[5], "      gamma  [0, 1]  0.99     yes        yes        discount γ");
        assert_eq!(lines[6], "      c_bar  (0, ∞)  1        no         yes        trace cut c̄");
    }
}
