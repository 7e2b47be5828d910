//! `chipwatch rules check`: load every rule pack and run the examples embedded in them;
//! `chipwatch rules explain TEXT`: how the frames read a text.

use clap::Subcommand;

use super::{load_rules, ExitCode};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate the rule packs and run every example embedded in them
    Check,
    /// Show how the frames read a text: each sentence's typed tokens, the frame heads
    /// found and the role each argument fills (for people editing the packs)
    Explain {
        /// The text (one or more sentences)
        text: String,
        /// Publication day that relative dates resolve against (YYYY-MM-DD)
        #[arg(long)]
        published: Option<chrono::NaiveDate>,
    },
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
        RulesCommand::Explain { text, published } => {
            let rules = load_rules(config)?;
            for line in rules.explain(text, *published) {
                println!("{}", super::output::strip_controls(&line));
            }
            Ok(ExitCode::Success)
        }
    }
}
