//! `chipwatch events`: stored events, filtered, in a format for people or scripts.
//! `--entity` goes through the rule packs' gazetteers, so an alias ("U.S.") finds the
//! events stored under its canonical name ("United States").

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use super::output::{write_events, EventFormat};
use super::{load_rules, open_existing_store, ExitCode, UsageError};
use crate::config::Config;
use crate::model::EventKind;
use crate::store::EventFilter;

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
    /// Events naming this organisation, jurisdiction or product (aliases work: "U.S.")
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    /// Events with at least this confidence (0 to 1)
    #[arg(long, value_name = "C")]
    pub min_confidence: Option<f64>,
    /// Only events the text reports second-hand ("reportedly", "sources said")
    #[arg(long, conflicts_with = "no_hedged")]
    pub hedged: bool,
    /// Only events the text states first-hand
    #[arg(long)]
    pub no_hedged: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: EventFormat,
    /// At most N events [default: 50 for the table, else all]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only events with a larger id, oldest first (for incremental consumers)
    #[arg(long, value_name = "N")]
    pub after_id: Option<i64>,
}

pub(super) fn day(flag: &str, value: &Option<String>) -> Result<Option<NaiveDate>, UsageError> {
    value
        .as_deref()
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| UsageError(format!("{flag} {v:?}: expected a date as YYYY-MM-DD")))
        })
        .transpose()
}

/// `--kind` parsed.
pub(super) fn kind(value: Option<&str>) -> Result<Option<EventKind>, UsageError> {
    value
        .map(|k| {
            k.parse::<EventKind>()
                .map_err(|e| UsageError(format!("--kind: {e}")))
        })
        .transpose()
}

/// `--min-confidence` checked.
pub(super) fn min_confidence(value: Option<f64>) -> Result<Option<f64>, UsageError> {
    match value {
        Some(c) if !(0.0..=1.0).contains(&c) => Err(UsageError(format!(
            "--min-confidence {c}: expected a number from 0 to 1"
        ))),
        other => Ok(other),
    }
}

/// `--entity` as stored: its canonical name through the gazetteers. An unknown name is
/// looked up as given, and so is every name when the rule packs cannot be loaded.
pub(super) fn entity(config: &Config, value: Option<&str>) -> Option<String> {
    let name = value?;
    let canonical = match load_rules(config) {
        Ok(rules) => rules.canonical_entity(name),
        Err(e) => {
            tracing::warn!(error = %e, "rule packs not loaded; --entity matches the name as given");
            None
        }
    };
    if let Some(c) = canonical.as_deref().filter(|c| *c != name) {
        tracing::debug!(entity = %name, canonical = %c, "entity resolved through the gazetteer");
    }
    Some(canonical.unwrap_or_else(|| name.to_string()))
}

pub fn run(config: &Config, args: &EventsArgs) -> anyhow::Result<ExitCode> {
    let kind = kind(args.kind.as_deref())?;
    let filter = EventFilter {
        kind,
        since: day("--since", &args.since)?,
        until: day("--until", &args.until)?,
        entity: entity(config, args.entity.as_deref()),
        min_confidence: min_confidence(args.min_confidence)?,
        hedged: match (args.hedged, args.no_hedged) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        limit: args
            .limit
            .or((args.format == EventFormat::Table).then_some(TABLE_DEFAULT_LIMIT)),
        after_id: args.after_id,
        story_id: None,
    };
    let store = open_existing_store(config)?;
    let events = store.stored_events(&filter)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_events(&mut out, &events, args.format, kind)
        .context("cannot write to standard output")?;
    Ok(ExitCode::Success)
}
