//! `chipwatch rules check`: load every rule pack and run the examples embedded in them.

use clap::Subcommand;

use super::{load_rules, ExitCode};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate the rule packs and run every example embedded in them
    Check,
}

pub fn run(config: &Config, command: &RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::Check => {
            let rules = load_rules(config)?;
            let failures = rules.check_examples();
            for failure in &failures {
                println!("FAIL {}", super::output::strip_controls(failure));
            }
            if failures.is_empty() {
                println!("rule packs OK (version {})", rules.version());
                Ok(ExitCode::Success)
            } else {
                println!("{} example(s) failed", failures.len());
                Ok(ExitCode::Usage)
            }
        }
    }
}
