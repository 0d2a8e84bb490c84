//! The README as a newcomer reads it: before its first `fredbatch ...` command it says who
//! fredbatch is for, what the first build costs, and how `fredbatch` gets on the PATH; and
//! that way works.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> String {
    std::fs::read_to_string(workspace().join("README.md")).unwrap()
}

/// The README up to its first command that runs `fredbatch` from the PATH.
fn before_first_command(readme: &str) -> &str {
    let at = readme
        .lines()
        .find(|line| line.starts_with("fredbatch "))
        .map(|line| readme.find(line).unwrap())
        .expect("the README runs `fredbatch`");
    &readme[..at]
}

#[test]
fn before_its_first_command_the_readme_says_who_it_is_for_what_the_build_costs_and_the_path() {
    let readme = readme();
    // Prose wraps anywhere: compare words, not lines.
    let first_screen = before_first_command(&readme)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for said in [
        "FRED modelers and the teams that run their simulations",
        "about a quarter of an hour on a 2-core machine",
        "export PATH=",
        "cargo install --path crates/cli",
    ] {
        assert!(
            first_screen.contains(said),
            "the README says `{said}` before its first `fredbatch` command"
        );
    }
}

#[test]
fn the_readmes_path_line_finds_the_built_fredbatch() {
    let readme = readme();
    let line = before_first_command(&readme)
        .lines()
        .find(|line| line.starts_with("export PATH="))
        .expect("an `export PATH=` line in the quick start");
    let line = line.split(" #").next().unwrap();
    // Run from the checkout, as the quick start is, with nothing else on the PATH that could
    // be called fredbatch.
    let output = Command::new("sh")
        .args(["-c", &format!("{line}; command -v fredbatch")])
        .current_dir(workspace().canonicalize().unwrap())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let found = common::text(&output.stdout);
    assert!(output.status.success(), "`{line}` finds no fredbatch");
    assert_eq!(
        Path::new(found.trim()).canonicalize().unwrap(),
        Path::new(env!("CARGO_BIN_EXE_fredbatch"))
            .canonicalize()
            .unwrap(),
        "`{line}` finds the fredbatch cargo built (a CARGO_TARGET_DIR elsewhere moves it)"
    );
}

#[test]
fn cargo_install_path_names_the_package_of_the_fredbatch_binary() {
    let manifest = std::fs::read_to_string(workspace().join("crates/cli/Cargo.toml")).unwrap();
    let bin = manifest
        .split("[[bin]]")
        .nth(1)
        .expect("crates/cli declares its binary");
    assert!(
        bin.lines().any(|l| l.trim() == r#"name = "fredbatch""#),
        "{bin}"
    );
}
