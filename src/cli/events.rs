//! `chipwatch events`: stored events, filtered, in a format for people or scripts.

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use super::output::{write_events, EventFormat};
use super::{ExitCode, UsageError};
use crate::config::Config;
use crate::model::EventKind;
use crate::store::{EventFilter, Store};

/// Rows shown by the table format unless --limit says otherwise; other formats are unlimited.
const TABLE_DEFAULT_LIMIT: usize = 50;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// chip_order or export_control
    #[arg(long)]
    pub kind: Option<String>,
    /// Articles published on or after this day
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// Articles published on or before this day
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
    /// Events naming this organisation, jurisdiction or product
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: EventFormat,
    /// At most N events
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only events with a larger id, oldest first (for incremental consumers)
    #[arg(long, value_name = "N")]
    pub after_id: Option<i64>,
}

fn day(flag: &str, value: &Option<String>) -> Result<Option<NaiveDate>, UsageError> {
    value
        .as_deref()
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| UsageError(format!("{flag} {v:?}: expected a date as YYYY-MM-DD")))
        })
        .transpose()
}

pub fn run(config: &Config, args: &EventsArgs) -> anyhow::Result<ExitCode> {
    let kind = args
        .kind
        .as_deref()
        .map(|k| {
            k.parse::<EventKind>()
                .map_err(|e| UsageError(format!("--kind: {e}")))
        })
        .transpose()?;
    let filter = EventFilter {
        kind,
        since: day("--since", &args.since)?,
        until: day("--until", &args.until)?,
        entity: args.entity.clone(),
        limit: args
            .limit
            .or((args.format == EventFormat::Table).then_some(TABLE_DEFAULT_LIMIT)),
        after_id: args.after_id,
    };
    let store = Store::open(&config.database_path).with_context(|| {
        format!(
            "cannot open the database {}",
            config.database_path.display()
        )
    })?;
    let events = store.events(&filter)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_events(&mut out, &events, args.format, kind)
        .context("cannot write to standard output")?;
    Ok(ExitCode::Success)
}
