//! `chipwatch feeds list`: the configured and added feeds with their health.

use anyhow::Context;
use clap::Subcommand;

use super::output::strip_controls;
use super::ExitCode;
use crate::config::Config;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Every feed with its health: last status, consecutive failures, next fetch
    List,
}

pub fn run(config: &Config, command: &FeedsCommand) -> anyhow::Result<ExitCode> {
    match command {
        FeedsCommand::List => {
            let mut store = Store::open(&config.database_path).with_context(|| {
                format!(
                    "cannot open the database {}",
                    config.database_path.display()
                )
            })?;
            store.sync_config_feeds(&config.feeds)?;
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or_else(
                    || "-".to_string(),
                    |t| t.format("%Y-%m-%d %H:%M").to_string(),
                )
            };
            println!(
                "{:<24} {:<6} {:<12} {:>5} {:<16} {:<16} URL",
                "NAME", "SOURCE", "STATUS", "FAILS", "LAST SUCCESS", "NEXT FETCH"
            );
            for feed in store.feeds()? {
                println!(
                    "{:<24} {:<6} {:<12} {:>5} {:<16} {:<16} {}",
                    feed.spec.name,
                    feed.source.as_str(),
                    feed.last_status.as_deref().unwrap_or("new"),
                    feed.consecutive_failures,
                    time(feed.last_success_at),
                    time(feed.next_fetch_at),
                    strip_controls(&feed.spec.url),
                );
            }
            Ok(ExitCode::Success)
        }
    }
}
