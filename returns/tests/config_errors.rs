//! Bad experiment files give errors that say what was wrong, where, and what is allowed,
//! checked against the real built-in plugins.

use mgrl_core::config::Experiment;

// Link the crate under test: its plugins register through inventory when linked.
use mgrl_returns as _;

const HEAD: &str = "name = \"t\"\n[env]\nname = \"mrp/fig1b-gamma\"\n[agent]\nkind = \"td\"\n[run]\nupdates = 1\n";

fn error(body: &str) -> String {
    Experiment::parse("exp.toml", &format!("{HEAD}{body}")).unwrap_err().to_string()
}

/// The 1-based line of the first line of `body` in the parsed text.
fn line_of_body(k: usize) -> String {
    format!("exp.toml:{}:", HEAD.lines().count() + k)
}

#[test]
fn unknown_plugin_lists_the_registered_ones_at_its_line() {
    let err = error("[return]\ntype = \"td_lambda\"\n");
    assert!(err.starts_with(&line_of_body(2)), "{err}");
    for known in ["lambda_return", "n_step", "vtrace"] {
        assert!(err.contains(known), "{err}");
    }
    let err = error("[return]\ntype = \"lambda_return\"\n[[reward_transform]]\ntype = \"clamp\"\n");
    assert!(err.contains("clip") && err.contains("soft_clip") && err.contains("learned_reward"), "{err}");
}

#[test]
fn value_outside_the_domain_states_the_domain() {
    let err = error("[return]\ntype = \"lambda_return\"\ngamma = 1.5\n");
    assert!(err.starts_with(&line_of_body(3)) && err.contains("gamma") && err.contains("[0, 1]"), "{err}");
    let err = error("[return]\ntype = \"vtrace\"\nrho_bar = { value = -1.0, learnable = true }\n");
    assert!(err.contains("rho_bar") && err.contains("(0, ∞)"), "{err}");
    // A learnable γ must start strictly inside (0, 1), where the sigmoid can reach.
    let err = error("[return]\ntype = \"lambda_return\"\ngamma = { value = 1.0, learnable = true }\n[meta.objective]\ntype = \"lambda_return\"\n");
    assert!(err.contains("(0, 1)"), "{err}");
}

#[test]
fn learnable_on_an_option_names_the_declared_meta_parameters() {
    let err = error("[return]\ntype = \"n_step\"\nn = { value = 3, learnable = true }\n");
    assert!(err.starts_with(&line_of_body(3)), "{err}");
    assert!(err.contains("`n` is not a meta-parameter of `n_step`") && err.contains("gamma (learnable)"), "{err}");
    let err = error("[return]\ntype = \"lambda_return\"\ndelta = { value = 0.5, learnable = true }\n");
    assert!(err.contains("gamma (learnable)") && err.contains("lambda (learnable)"), "{err}");
}

#[test]
fn unknown_option_and_missing_option_say_what_the_plugin_takes() {
    let err = error("[return]\ntype = \"n_step\"\nn = 3\nsteps = 4\n");
    assert!(err.starts_with(&line_of_body(4)) && err.contains("unknown option `steps`"), "{err}");
    assert!(err.contains("takes options [n]") && err.contains("meta-parameters [gamma]"), "{err}");
    let err = error("[return]\ntype = \"n_step\"\n");
    assert!(err.starts_with(&line_of_body(1)) && err.contains("missing field `n`"), "{err}");
}

#[test]
fn syntax_error_carries_line_and_column() {
    let err = Experiment::parse("exp.toml", "name = \"t\"\n[return\ntype = 1\n").unwrap_err().to_string();
    // `[return` ends at column 8, where `]` was expected.
    assert!(err.starts_with("exp.toml:2:8:") && err.contains("TOML syntax error"), "{err}");
}

#[test]
fn learnable_without_a_meta_objective_and_a_learnable_reference_are_errors() {
    let err = error("[return]\ntype = \"lambda_return\"\ngamma = { value = 0.9, learnable = true }\n");
    assert!(err.contains("gamma") && err.contains("[meta.objective]"), "{err}");
    let err = error(
        "[return]\ntype = \"lambda_return\"\ngamma = { value = 0.9, learnable = true }\n\
         [meta.objective]\ntype = \"lambda_return\"\ngamma = { value = 0.9, learnable = true }\n",
    );
    assert!(err.contains("reference value") && err.contains("cannot be learnable"), "{err}");
    let err = error("[return]\ntype = \"lambda_return\"\n[meta.objective]\ntype = \"lambda_return\"\ngamma = 1.5\n");
    assert!(err.starts_with(&line_of_body(5)) && err.contains("[0, 1]"), "{err}");
    let err = error("[return]\ntype = \"lambda_return\"\n[meta.objective]\ntype = \"q_lambda\"\n");
    assert!(err.contains("unknown return plugin `q_lambda`") && err.contains("lambda_return"), "{err}");
}

#[test]
fn a_valid_experiment_keeps_declaration_order_and_defaults() {
    let exp = Experiment::parse(
        "exp.toml",
        &format!("{HEAD}[return]\ntype = \"vtrace\"\nlambda = {{ value = 0.9, learnable = true, per_state = true }}\n[meta.objective]\ntype = \"vtrace\"\n"),
    )
    .unwrap();
    let names: Vec<_> = exp.ret.meta.iter().map(|m| m.spec.name).collect();
    assert_eq!(names, ["gamma", "lambda", "rho_bar", "c_bar", "pg_rho_bar"]);
    assert!(exp.ret.meta[1].learnable && exp.ret.meta[1].per_state && exp.ret.meta[1].value == 0.9);
    assert!(!exp.ret.meta[0].learnable && exp.ret.meta[0].value == 0.99);
}

#[test]
fn n_below_one_is_an_error_at_the_key_that_says_what_is_allowed() {
    let err = error("[return]\ntype = \"n_step\"\nn = 0\n");
    assert!(err.starts_with(&line_of_body(3)) && err.contains("`n` must be an integer ≥ 1"), "{err}");
}

#[test]
fn a_nan_meta_parameter_is_outside_its_domain() {
    let err = error("[return]\ntype = \"lambda_return\"\nlambda = nan\n");
    assert!(err.starts_with(&line_of_body(3)) && err.contains("lambda") && err.contains("[0, 1]"), "{err}");
    let err = error("[return]\ntype = \"lambda_return\"\n[[reward_transform]]\ntype = \"clip\"\nthreshold = 0\n");
    assert!(err.starts_with(&line_of_body(5)) && err.contains("threshold") && err.contains("(0, ∞)"), "{err}");
}

#[test]
fn a_name_that_leads_out_of_runs_is_refused_at_its_key() {
    let body = "[return]\ntype = \"lambda_return\"\n";
    for name in ["..", ".", "a..b", "../x", "a\\\\b"] {
        let text = format!("{}{body}", HEAD.replace("name = \"t\"", &format!("name = \"{name}\"")));
        let err = Experiment::parse("exp.toml", &text).unwrap_err().to_string();
        assert!(err.starts_with("exp.toml:1:1") && err.contains("`name`"), "{name}: {err}");
    }
}

#[test]
fn an_unknown_plugin_says_that_a_third_party_plugin_needs_a_binary_that_links_it() {
    let err = error("[return]\ntype = \"retrace\"\n");
    assert!(err.contains("unknown return plugin `retrace`") && err.contains("binary that links its crate"), "{err}");
}

#[test]
fn a_trace_decay_with_the_cotangent_method_is_refused_at_its_key() {
    let err = error(
        "[return]\ntype = \"lambda_return\"\n[meta]\nmethod = \"cotangent\"\ntrace_decay = 0.5\n\
         [meta.objective]\ntype = \"lambda_return\"\n",
    );
    assert!(err.starts_with(&line_of_body(5)) && err.contains("only method = \"surrogate\""), "{err}");
}
