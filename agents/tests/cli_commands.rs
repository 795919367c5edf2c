//! The `mgrl` binary as a user meets it: help with examples, errors printed like cargo's
//! (`error: ...`, exit status 1, no panic, no debug output), `check`, `report` and `plot`.

use std::path::Path;
use std::process::{Command, Output};

fn mgrl(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mgrl")).args(args).current_dir(cwd).output().expect("mgrl starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A user-facing error: one `error:` line first, exit status 1, nothing a Rust developer
/// would print (panics, `Error {` debug structs, backtraces).
fn assert_user_error(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for bad in ["panicked", "Error {", "backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(bad), "`{bad}` in {stderr}");
    }
    stderr
}

#[test]
fn every_subcommand_help_carries_an_example() {
    let tmp = tempfile::tempdir().unwrap();
    for sub in ["plugins", "check", "run", "sweep", "envs", "play", "plot", "report", "verify"] {
        let out = mgrl(&[sub, "--help"], tmp.path());
        let help = text(&out.stdout);
        assert!(out.status.success(), "{sub}: {}", text(&out.stderr));
        assert!(help.contains("Example") && help.contains(&format!("mgrl {sub}")), "{sub} --help:\n{help}");
    }
}

#[test]
fn check_of_a_file_with_a_syntax_error_points_at_its_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), "name = \"x\"\nseed = 1\n[run\nupdates = 3\n").unwrap();
    let err = assert_user_error(&mgrl(&["check", "bad.toml"], tmp.path()));
    assert!(err.starts_with("error: bad.toml:3:"), "{err}");
}

#[test]
fn check_of_a_bad_value_points_at_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("seed.toml"), "name = \"x\"\n\nseed = -4\n").unwrap();
    let err = assert_user_error(&mgrl(&["check", "seed.toml"], tmp.path()));
    assert!(err.starts_with("error: seed.toml:3:1: `seed` must be a non-negative integer"), "{err}");
}

#[test]
fn check_of_a_missing_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let err = assert_user_error(&mgrl(&["check", "nowhere.toml"], tmp.path()));
    assert!(err.contains("cannot read experiment file nowhere.toml"), "{err}");
}

#[test]
fn resume_of_a_folder_without_a_run_says_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let err = assert_user_error(&mgrl(&["run", "--resume", "."], tmp.path()));
    assert!(err.contains("is not a run folder: it has no config.toml"), "{err}");
}

#[test]
fn run_of_an_experiment_that_cannot_run_points_into_the_file_and_leaves_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "name = \"x\"\n[env]\nname = \"mrp/fig1b-gamma\"\n[agent]\nkind = \"td\"\n\
                [return]\ntype = \"lambda_return\"\n[run]\nupdates = 3\n";
    std::fs::write(tmp.path().join("x.toml"), text).unwrap();
    let err = assert_user_error(&mgrl(&["run", "x.toml"], tmp.path()));
    assert!(err.starts_with("error: x.toml:4:") && err.contains("missing field `unroll`"), "{err}");
    assert!(!tmp.path().join("runs").exists(), "a run folder was left behind");
}
/// A run folder as `mgrl run` leaves it, written by hand: rows every 10 updates, a return
/// that climbs to `level`, and a per-state γ that drifts apart.
fn fake_run(dir: &Path, name: &str, seed: u64, level: f64) {
    std::fs::create_dir_all(dir).unwrap();
    // No provenance.json (a run from before it was recorded): finished, as its metrics reach
    // the config's 200 updates. Experiments differ by more than their name (`[agent] kind`):
    // runs are grouped by config, and one config under two names is one group.
    let config = format!(
        "name = \"{name}\"\nseed = {seed}\n[env]\nname = \"chain\"\n[agent]\nkind = \"{name}\"\n[run]\nupdates = 200\n"
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let mut csv = String::from(
        "update,frames,wall_time_s,episodes,return_mean,return_min,return_max,loss,meta/gamma[0],meta/gamma[1]\n",
    );
    for i in 1..=20 {
        let u = 10 * i;
        let r = level * (1.0 - (-(i as f64) / 5.0).exp()) + 0.01 * seed as f64;
        let g0 = 0.5 + 0.02 * i as f64 + 0.005 * seed as f64;
        let g1 = 0.5 - 0.02 * i as f64 - 0.003 * seed as f64;
        // Every fifth row had no episode end: an empty return cell.
        let ret = if i % 5 == 3 { ",,,".to_string() } else { format!("1,{r},{r},{r}") };
        csv += &format!("{u},{},{:.3},{ret},{},{g0},{g1}\n", 40 * u, 0.01 * u as f64, 1.0 / i as f64);
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
}

#[test]
fn report_gives_each_experiment_its_mean_median_and_iqm_with_bootstrap_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 0..3 {
        fake_run(&tmp.path().join(format!("runs/up/seed-{seed}")), "up", seed, 10.0 + seed as f64);
    }
    fake_run(&tmp.path().join("runs/flat/seed-0"), "flat", 0, 1.0);
    let out = mgrl(&["report", "runs", "--last", "1", "--out", "report"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Final score of seed s of `up`: its last return, (10 + s)(1 − e⁻⁴) + 0.01 s.
    let scores: Vec<f64> = (0..3).map(|s| (10.0 + s as f64) * (1.0 - (-4f64).exp()) + 0.01 * s as f64).collect();
    let mean = scores.iter().sum::<f64>() / 3.0;
    let csv = std::fs::read_to_string(tmp.path().join("report/report.csv")).unwrap();
    let up: Vec<&str> = csv.lines().find(|l| l.contains(",up,")).unwrap().split(',').collect();
    // config_hash,name,env,variant,runs,pooled,last_n, then (point, lo, hi) of mean, median, IQM.
    assert_eq!(&up[1..7], ["up", "chain", "up", "3", "3", "1"]);
    let v: Vec<f64> = up[7..16].iter().map(|v| v.parse().unwrap()).collect();
    // Three scores: the median is the middle one, the IQM cuts none (⌊3/4⌋ = 0) and is the mean.
    for (got, want) in [(v[0], mean), (v[3], scores[1]), (v[6], mean)] {
        assert!((got - want).abs() < 1e-4, "{csv}");
    }
    // Bootstrap intervals of three scores lie within their range and hold the point.
    for i in [0, 3, 6] {
        assert!(v[i + 1] <= v[i] && v[i] <= v[i + 2], "{csv}");
        assert!(v[i + 1] >= scores[0] - 1e-4 && v[i + 2] <= scores[2] + 1e-4, "{csv}");
    }
    let md = text(&out.stdout);
    assert!(md.contains("| up | chain | up | 3 | 3 |") && md.contains("| flat | chain | flat | 1 | 1 |"), "{md}");
    // Two variants on one environment (in folder order): every run of `up` scores higher, so
    // P(flat > up) = 0 whatever the resample.
    assert!(md.contains("| flat | up | 1 | 0.0000 [0.0000, 0.0000] |"), "{md}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("report/report.md")).unwrap(), md);
    let runs = std::fs::read_to_string(tmp.path().join("report/report-runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 5, "{runs}");
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
    assert!(bytes.len() > 10_000, "{} is suspiciously small ({} bytes)", path.display(), bytes.len());
}

#[test]
fn plot_draws_the_learning_curve_the_meta_parameters_and_their_final_values_per_state() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 0..4 {
        fake_run(&tmp.path().join(format!("runs/up/seed-{seed}")), "up", seed, 10.0);
    }
    fake_run(&tmp.path().join("runs/flat/seed-0"), "flat", 0, 1.0);
    let out = mgrl(&["plot", "runs/up", "runs/flat", "--out", "figs"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    for name in ["learning_curve.png", "meta-gamma.png", "final-gamma-up.png", "final-gamma-flat.png"] {
        assert!(listed.contains(name), "{name} not in {listed}");
        assert_png(&tmp.path().join("figs").join(name));
    }
    // One run folder: the figures go beside it.
    let out = mgrl(&["plot", "runs/flat/seed-0"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_png(&tmp.path().join("runs/flat/seed-0/plots/final-gamma.png"));
}

#[test]
fn plot_of_a_folder_without_runs_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let err = assert_user_error(&mgrl(&["plot", "empty"], tmp.path()));
    assert!(err.contains("empty holds no run"), "{err}");
}

#[test]
fn a_usage_error_exits_1_and_says_what_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let err = assert_user_error(&mgrl(&["report", "--last", "0", "runs"], tmp.path()));
    assert!(err.contains("`0` is not a whole number of at least 1"), "{err}");
    let err = assert_user_error(&mgrl(&["run"], tmp.path()));
    assert!(err.contains("<CONFIG>"), "{err}");
}

#[test]
fn run_refuses_zero_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/td_smoke.toml");
    let err = assert_user_error(&mgrl(&["run", example.to_str().unwrap(), "--seeds", "0"], tmp.path()));
    assert!(err.contains("`0` is not a whole number of at least 1"), "{err}");
    assert!(!tmp.path().join("runs").exists());
}

#[test]
fn play_refuses_a_file_name_that_does_not_end_in_gif() {
    let tmp = tempfile::tempdir().unwrap();
    let err = assert_user_error(&mgrl(&["play", "catch", "--out", "x.png"], tmp.path()));
    assert!(err.contains("`x.png` does not end in `.gif`"), "{err}");
    assert!(!tmp.path().join("x.png").exists());
    assert!(mgrl(&["play", "catch", "--out", "x.GIF"], tmp.path()).status.success());
}

/// `examples/<example>` with `from` replaced by `to`, written as `big.toml` in `dir`; the
/// 1-based line of the last line of `to` in it.
fn write_edited(dir: &Path, example: &str, from: &str, to: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(example);
    let text = std::fs::read_to_string(path).unwrap().replace(from, to);
    std::fs::write(dir.join("big.toml"), &text).unwrap();
    let last = to.lines().last().unwrap();
    1 + text.lines().position(|l| l == last).unwrap()
}

#[test]
fn an_experiment_too_large_for_the_memory_is_refused_at_its_key_before_anything_is_allocated() {
    let tmp = tempfile::tempdir().unwrap();
    for (example, from, to) in [
        ("catch_impala.toml", "num_envs = 16", "num_envs = 1000000000"),
        ("catch_impala.toml", "unroll = 20", "unroll = 100000000"),
        ("td_smoke.toml", "name = \"mrp/fig1b-gamma\"", "name = \"mrp/fig1b-gamma\"\nstates = 100000000000"),
    ] {
        let line = write_edited(tmp.path(), example, from, to);
        for command in ["check", "run"] {
            let err = assert_user_error(&mgrl(&[command, "big.toml"], tmp.path()));
            assert!(err.starts_with(&format!("error: big.toml:{line}:")), "{to}: {err}");
            assert!(err.contains("the experiment needs about") && err.contains("is available"), "{err}");
        }
        assert!(!tmp.path().join("runs").exists(), "{to}: a refused run left a folder");
    }
}

#[test]
fn set_overrides_a_field_for_one_run_and_its_errors_point_at_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/td_smoke.toml");
    let example = example.to_str().unwrap();
    let out = mgrl(&["check", example, "--set", "run.updates=7", "--set", "name=tried"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("  run               7 updates") && summary.contains("runs/tried/seed-0"), "{summary}");
    let err = assert_user_error(&mgrl(&["run", example, "--set", "agent.unrol=3"], tmp.path()));
    assert!(err.starts_with("error: --set agent.unrol=3:1:1:") && err.contains("unrol"), "{err}");
    assert!(!tmp.path().join("runs").exists(), "a run folder was left behind");
}

#[test]
fn check_of_a_sweep_points_a_bad_variant_at_its_line_in_the_sweep_file() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/catch_meta_gamma.toml");
    let sweep = format!(
        "[sweep]\nbase = \"{}\"\nseeds = 2\n[sweep.variants.ok]\n[sweep.variants.bad]\n\"agent.unroll\" = \"long\"\n",
        base.display()
    );
    std::fs::write(tmp.path().join("s.toml"), sweep).unwrap();
    let err = assert_user_error(&mgrl(&["check", "s.toml"], tmp.path()));
    // Which run it is about, then where in the file.
    assert!(err.starts_with("error: sweep s: env catch, variant bad"), "{err}");
    assert!(err.contains("s.toml:6:1: invalid type: string \"long\""), "{err}");
    let sweep = format!("[sweep]\nbase = \"{}\"\nseeds = 2\nenvs = [\"catch\", \"cartpole\"]\n", base.display());
    std::fs::write(tmp.path().join("s.toml"), sweep).unwrap();
    let out = mgrl(&["check", "s.toml"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("4 runs = 2 environments × 1 variants × 2 seeds"), "{}", text(&out.stdout));
}

#[test]
fn a_meta_section_with_nothing_learnable_adds_no_meta_step() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("fixed.toml");
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/catch_impala.toml")).unwrap();
    let meta = "[meta]\nlr = 0.01\n[meta.objective]\ntype = \"vtrace\"\ngamma = 0.99\nlambda = 1.0\n";
    std::fs::write(&file, format!("{base}\n{meta}")).unwrap();
    let check = mgrl(&["check", "fixed.toml"], tmp.path());
    assert!(text(&check.stdout).contains("nothing is learnable: no meta-step"), "{}", text(&check.stdout));
    let run =
        mgrl(&["run", "fixed.toml", "--set", "run.updates=4", "--set", "run.log_interval=2", "--out", "r"], tmp.path());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let header = std::fs::read_to_string(tmp.path().join("r/metrics.csv")).unwrap();
    let header = header.lines().next().unwrap();
    assert!(!header.contains("meta_objective"), "{header}");
    // Made learnable, the same file gets its meta-step.
    let run = mgrl(
        &[
            "run",
            "fixed.toml",
            "--set",
            "run.updates=4",
            "--set",
            "run.log_interval=2",
            "--set",
            "return.gamma.learnable=true",
            "--out",
            "m",
        ],
        tmp.path(),
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(std::fs::read_to_string(tmp.path().join("m/metrics.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .contains("meta_objective"));
}
