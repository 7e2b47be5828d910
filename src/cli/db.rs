//! `chipwatch db check` (SQLite integrity, foreign keys, the full-text index) and
//! `chipwatch db prune --older-than DURATION` (drop the text of articles stored longer ago,
//! keeping the articles' metadata, their events and the events' evidence).

use chrono::Utc;
use clap::Subcommand;

use super::{lock_database, open_existing_store, ExitCode, UsageError};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Integrity and foreign-key checks, and the full-text index against the articles
    Check,
    /// Drop the text of articles stored before a retention period; events and evidence stay
    Prune {
        /// Retention: a number and a unit, h (hours), d (days), w (weeks) or y (365 days)
        #[arg(long, value_name = "DURATION")]
        older_than: String,
    },
}

pub fn run(config: &Config, command: &DbCommand) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::Check => {
            let store = open_existing_store(config)?;
            let report = store.check()?;
            let ok = |clean: bool| if clean { "ok" } else { "FAILED" };
            println!("database:        {}", store.path().display());
            println!("integrity:       {}", ok(report.integrity.is_empty()));
            for line in &report.integrity {
                println!("  {line}");
            }
            println!("foreign keys:    {}", ok(report.foreign_keys.is_empty()));
            for line in &report.foreign_keys {
                println!("  {line}");
            }
            println!("full-text index: {}", ok(report.fts.is_none()));
            if let Some(fts) = &report.fts {
                println!("  {fts}");
            }
            if report.interrupted_runs > 0 {
                println!(
                    "note: {} pass(es) never finished (killed); the next run or watch closes them",
                    report.interrupted_runs
                );
            }
            Ok(if report.is_clean() {
                ExitCode::Success
            } else {
                ExitCode::Fatal
            })
        }
        DbCommand::Prune { older_than } => {
            let age = parse_duration(older_than)
                .map_err(|e| UsageError(format!("--older-than {older_than:?}: {e}")))?;
            let _lock = lock_database(config)?;
            let mut store = open_existing_store(config)?;
            let cutoff = Utc::now() - age;
            let report = store.prune_article_text(cutoff)?;
            println!(
                "dropped the text of {} articles stored before {} ({} bytes); their events stay",
                report.articles,
                cutoff.format("%Y-%m-%d %H:%M UTC"),
                report.bytes
            );
            Ok(ExitCode::Success)
        }
    }
}

/// "90d", "12w", "36h", "1y" → a duration.
fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or("expected a number and a unit, e.g. 90d")?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| "expected a number and a unit, e.g. 90d".to_string())?;
    let hours = match unit.trim() {
        "h" => 1,
        "d" => 24,
        "w" => 24 * 7,
        "y" => 24 * 365,
        other => return Err(format!("unknown unit {other:?} (use h, d, w or y)")),
    };
    n.checked_mul(hours)
        .filter(|h| *h <= 24 * 365 * 1000)
        .map(chrono::Duration::hours)
        .ok_or_else(|| "too long".to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90d").unwrap(), chrono::Duration::days(90));
        assert_eq!(parse_duration("2w").unwrap(), chrono::Duration::days(14));
        assert_eq!(parse_duration("36h").unwrap(), chrono::Duration::hours(36));
        assert_eq!(parse_duration("1y").unwrap(), chrono::Duration::days(365));
        for bad in [
            "",
            "d",
            "90",
            "90m",
            "-1d",
            "99999999999999999999d",
            "9999999y",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
