//! Every experiment in `examples/` passes `mgrl check` of the program its header names: the
//! `mgrl` program for the built-in plugins, and for an example whose header names
//! `mgrl-retrace`, a program that links the retrace crate (here, this test: it links it, and
//! checks the experiment as `mgrl check` does, by building its agent). Folders below
//! `examples/` are searched too; a sweep file passes `mgrl check` by checking every run it
//! expands to.

use mgrl_core::config::Experiment;
use std::path::Path;
use std::process::Command;

// Link the plugin crates, as the `mgrl-retrace` program does.
use mgrl_plugin_retrace as _;
use mgrl_returns as _;

#[test]
fn every_example_passes_the_check_of_the_program_its_header_names() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut checked = 0;
    let mut files = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let header: String = text.lines().take_while(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
        if header.contains("mgrl-retrace") {
            let exp = Experiment::parse(&path.display().to_string(), &text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            mgrl_agents::run::validate(&exp).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        } else {
            let out = Command::new(env!("CARGO_BIN_EXE_mgrl")).arg("check").arg(&path).output().unwrap();
            assert!(out.status.success(), "mgrl check {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
        }
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} examples found in {}", dir.display());
}
