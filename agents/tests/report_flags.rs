//! `mgrl report` on runs that must not be pooled silently: a seed run twice, two configs
//! that share a name, an unfinished run and a diverged run. Each is flagged and left out of
//! its group's statistics; the other runs are pooled as usual.

use mgrl_agents::run::provenance::{Provenance, RunState};
use std::path::Path;
use std::process::Command;

/// A run folder as `mgrl run` leaves it, by hand: config, provenance and 10 metrics rows whose
/// return is `score` throughout (so the final score is `score` whatever `--last`).
fn fake_run(dir: &Path, name: &str, gamma: f64, seed: u64, score: f64, status: RunState, rows: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let config = format!(
        "name = \"{name}\"\nseed = {seed}\n[env]\nname = \"catch\"\n[return]\ntype = \"vtrace\"\ngamma = {gamma}\n\
         [run]\nupdates = 100\nlog_interval = 10\n"
    );
    std::fs::write(dir.join("config.toml"), &config).unwrap();
    let mut csv = String::from("update,frames,wall_time_s,episodes,return_mean,return_min,return_max\n");
    for i in 1..=rows {
        csv += &format!("{},{},0.1,1,{score},{score},{score}\n", 10 * i, 100 * i);
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    Provenance {
        mgrl_version: "0.1.0".into(),
        git_commit: "unknown".into(),
        commands: vec![vec!["mgrl".into(), "run".into()]],
        config_hash: mgrl_agents::run::provenance::config_hash(&config).unwrap(),
        name: name.into(),
        seed,
        env: "catch".into(),
        sweep: None,
        status,
        updates: 10 * rows,
        updates_total: 100,
        frames: 100 * rows,
    }
    .write(dir)
    .unwrap();
}

/// `mgrl report runs`: the Markdown, and report-runs.csv as rows of fields.
fn report(cwd: &Path) -> (String, Vec<Vec<String>>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mgrl"))
        .current_dir(cwd)
        .args(["report", "runs", "--out", "r"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut runs = csv::Reader::from_path(cwd.join("r/report-runs.csv")).unwrap();
    let rows = runs.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        rows,
        std::fs::read_to_string(cwd.join("r/report.csv")).unwrap(),
    )
}

/// The report.csv line of the group named `name` with `pooled` pooled runs, as fields.
fn group<'a>(csv: &'a str, name: &str) -> Vec<Vec<&'a str>> {
    csv.lines().skip(1).map(|l| l.split(',').collect::<Vec<_>>()).filter(|f| f[1] == name).collect()
}

fn row<'a>(rows: &'a [Vec<String>], run: &str) -> &'a Vec<String> {
    rows.iter().find(|r| r[1].ends_with(run)).unwrap_or_else(|| panic!("{run} not in {rows:?}"))
}

#[test]
fn a_seed_run_twice_is_flagged_and_pooled_once() {
    let tmp = tempfile::tempdir().unwrap();
    fake_run(&tmp.path().join("runs/a/seed-0"), "a", 0.9, 0, 1.0, RunState::Finished, 10);
    fake_run(&tmp.path().join("runs/a/seed-1"), "a", 0.9, 1, 3.0, RunState::Finished, 10);
    // The same experiment and seed again, in another folder, with another score.
    fake_run(&tmp.path().join("runs/a/seed-1-again"), "a", 0.9, 1, 100.0, RunState::Finished, 10);
    let (md, rows, csv) = report(tmp.path());
    let g = group(&csv, "a");
    assert_eq!(g.len(), 1, "{csv}");
    assert_eq!((g[0][4], g[0][5]), ("3", "2"), "{csv}");
    assert_eq!(g[0][7], "2.0000", "the mean of 1 and 3, without the duplicate's 100: {csv}");
    let dup = row(&rows, "seed-1-again");
    assert_eq!(dup[10], "false");
    assert!(dup[11].starts_with("seed 1 again"), "{dup:?}");
    assert!(md.contains("seed-1-again (seed 1): seed 1 again"), "{md}");
}

#[test]
fn configs_that_share_a_name_are_reported_apart_and_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    fake_run(&tmp.path().join("runs/x/seed-0"), "same", 0.9, 0, 1.0, RunState::Finished, 10);
    fake_run(&tmp.path().join("runs/x/seed-1"), "same", 0.9, 1, 1.0, RunState::Finished, 10);
    fake_run(&tmp.path().join("runs/y/seed-0"), "same", 0.5, 0, 5.0, RunState::Finished, 10);
    let (md, _, csv) = report(tmp.path());
    let g = group(&csv, "same");
    assert_eq!(g.len(), 2, "two configs, two groups: {csv}");
    assert_ne!(g[0][0], g[1][0]);
    let means: Vec<(&str, &str)> = g.iter().map(|f| (f[5], f[7])).collect();
    assert_eq!(means, [("2", "1.0000"), ("1", "5.0000")], "{csv}");
    assert!(md.contains("the name `same` is shared by 2 different configs"), "{md}");
    // Their lines are told apart by the hash.
    assert!(g[0][3].starts_with("same [") && g[1][3].starts_with("same ["), "{csv}");
}

#[test]
fn an_unfinished_run_is_flagged_not_pooled() {
    let tmp = tempfile::tempdir().unwrap();
    fake_run(&tmp.path().join("runs/a/seed-0"), "a", 0.9, 0, 2.0, RunState::Finished, 10);
    fake_run(&tmp.path().join("runs/a/seed-1"), "a", 0.9, 1, 50.0, RunState::Running, 4);
    fake_run(&tmp.path().join("runs/a/seed-2"), "a", 0.9, 2, 60.0, RunState::Stopped, 6);
    let (md, rows, csv) = report(tmp.path());
    let g = group(&csv, "a");
    assert_eq!((g[0][4], g[0][5], g[0][7]), ("3", "1", "2.0000"), "{csv}");
    let r1 = row(&rows, "seed-1");
    assert_eq!((r1[6].as_str(), r1[10].as_str()), ("running", "false"));
    assert!(r1[11].contains("unfinished: update 40 of 100"), "{r1:?}");
    assert!(row(&rows, "seed-2")[11].contains("stopped at update 60 of 100"));
    assert!(md.contains("seed-1 (seed 1): unfinished"), "{md}");
}

#[test]
fn a_diverged_run_is_flagged_not_pooled() {
    let tmp = tempfile::tempdir().unwrap();
    fake_run(&tmp.path().join("runs/a/seed-0"), "a", 0.9, 0, 2.0, RunState::Finished, 10);
    fake_run(&tmp.path().join("runs/a/seed-1"), "a", 0.9, 1, 4.0, RunState::Finished, 10);
    fake_run(&tmp.path().join("runs/a/seed-2"), "a", 0.9, 2, -1e9, RunState::Diverged, 7);
    let (md, rows, csv) = report(tmp.path());
    let g = group(&csv, "a");
    assert_eq!((g[0][4], g[0][5], g[0][7]), ("3", "2", "3.0000"), "{csv}");
    let r = row(&rows, "seed-2");
    assert_eq!((r[6].as_str(), r[10].as_str()), ("diverged", "false"));
    assert!(md.contains("seed-2 (seed 2): diverged at update 70 of 100; not pooled"), "{md}");
}

#[test]
fn a_baseline_normalises_the_aggregates_across_environments() {
    // Variants `base` and `x` of a sweep on catch and cartpole:
    // base scores 2 and 10, x scores 4 and 10, so x normalised by base is 2 and 1 (mean 1.5)
    // where the raw mean is 7, and base normalised is 1 everywhere.
    let tmp = tempfile::tempdir().unwrap();
    let runs = [("base", "catch", 0.91, 2.0), ("base", "cartpole", 0.92, 10.0), ("x", "catch", 0.93, 4.0)];
    for (k, (name, env, gamma, score)) in runs.into_iter().chain([("x", "cartpole", 0.94, 10.0)]).enumerate() {
        for seed in 0..2 {
            let dir = tmp.path().join(format!("runs/{k}/seed-{seed}"));
            fake_run(&dir, name, gamma, seed, score, RunState::Finished, 10);
            let path = dir.join("provenance.json");
            let tag = format!("\"sweep\": {{ \"name\": \"s\", \"env\": \"{env}\", \"variant\": \"{name}\" }}");
            let text = std::fs::read_to_string(&path).unwrap().replace("\"sweep\": null", &tag);
            assert!(text.contains(&tag), "{text}");
            std::fs::write(&path, text).unwrap();
            let config = dir.join("config.toml");
            let text = std::fs::read_to_string(&config).unwrap().replace("\"catch\"", &format!("\"{env}\""));
            std::fs::write(&config, text).unwrap();
        }
    }
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mgrl"))
            .current_dir(tmp.path())
            .args(["report", "runs", "--out", "r"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let line = |md: &str, variant: &str| {
        let across = md.split("Across environments").nth(1).unwrap_or_default().to_string();
        across.lines().find(|l| l.starts_with(&format!("| {variant} |"))).unwrap_or_default().to_string()
    };
    let (ok, md, _) = run(&[]);
    assert!(ok && md.contains("raw scores") && line(&md, "x").contains("| 7.0000 ["), "{md}");
    let (ok, md, _) = run(&["--baseline", "base"]);
    assert!(ok && md.contains("divided by the mean score of `base`"), "{md}");
    assert!(line(&md, "x").contains("| 1.5000 [") && line(&md, "base").contains("| 1.0000 ["), "{md}");
    let (ok, _, err) = run(&["--baseline", "nope"]);
    assert!(!ok && err.contains("no run of that variant") && err.contains("base, x"), "{err}");
}

#[test]
fn learnt_meta_parameters_are_listed_and_fixed_ones_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    for (seed, end) in [(0, 0.98), (1, 0.97)] {
        let dir = tmp.path().join(format!("runs/m/seed-{seed}"));
        fake_run(&dir, "m", 0.99, seed, 1.0, RunState::Finished, 10);
        // γ moves from 0.99 to `end`; λ stays at 1.
        let mut csv = String::from("update,frames,wall_time_s,episodes,return_mean,meta/gamma,meta/lambda\n");
        for i in 1..=10u64 {
            let gamma = 0.99 + (end - 0.99) * (i - 1) as f64 / 9.0;
            csv += &format!("{},{},0.1,1,1.0,{gamma},1\n", 10 * i, 100 * i);
        }
        std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    }
    let (md, _, _) = report(tmp.path());
    let meta = std::fs::read_to_string(tmp.path().join("r/report-meta.csv")).unwrap();
    let lines: Vec<Vec<&str>> = meta.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(lines.len(), 1, "only γ moved: {meta}");
    assert_eq!(lines[0][3..], ["gamma", "0.9900", "0.9750", "0.9700", "0.9800"], "{meta}");
    assert!(md.contains("Learnt meta-parameters"), "{md}");
    assert!(!md.contains("| lambda |"), "{md}");
}
