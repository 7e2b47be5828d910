//! The README is the front door: its usage block is the binary's `--help`, and its exit
//! code table is the `ExitCode` enum.

use crate::common::chipwatch_binary;

use chipwatch::cli::ExitCode;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn readme_usage_block_is_the_help_output() {
    let output = chipwatch_binary().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let readme = readme();
    let usage = readme
        .split("## Usage\n\n```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("README has a ## Usage section with a text block");
    assert_eq!(
        usage.trim_end(),
        help.trim_end(),
        "update the README's usage block from `chipwatch --help`"
    );
}

#[test]
fn readme_exit_codes_match_the_enum() {
    let readme = readme();
    for (code, meaning) in [
        (ExitCode::Success, "success"),
        (ExitCode::Fatal, "fatal runtime error"),
        (ExitCode::Usage, "usage or configuration error"),
        (ExitCode::Locked, "another run holds the lock"),
        (
            ExitCode::FeedsFailed,
            "the pass completed but some feeds failed",
        ),
    ] {
        let row = format!("| {} | {meaning}", code as u8);
        assert!(
            readme.contains(&row),
            "README lacks the exit code row {row:?}"
        );
    }
}

/// See: issue 6 — "The README documents every command with an example of its output."
#[test]
fn readme_shows_every_command() {
    let output = chipwatch_binary().arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let readme = readme();
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("--help lists the commands");
    for line in commands.lines() {
        let name = line.split_whitespace().next().unwrap();
        if name == "help" {
            continue;
        }
        assert!(
            readme.contains(&format!("chipwatch {name}")),
            "the README shows no `chipwatch {name}`"
        );
    }
}
