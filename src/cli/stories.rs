//! `chipwatch stories`: stored stories (one real-world order or control as reported
//! across articles), filtered like `events`, in a format for people or scripts; and
//! `stories show ID`, one story with every article and evidence sentence.

use anyhow::Context;
use clap::{Args, Subcommand};

use super::events::{day, entity, kind, min_confidence};
use super::output::EventFormat;
use super::story_output::{write_stories, write_story_text};
use super::{open_existing_store, ExitCode, UsageError};
use crate::config::Config;
use crate::store::{EventFilter, Store, StoryFilter};

/// Rows shown by the table format unless --limit says otherwise; other formats are unlimited.
const TABLE_DEFAULT_LIMIT: usize = 50;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StoriesArgs {
    #[command(subcommand)]
    pub command: Option<StoriesCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum StoriesCommand {
    /// One story with every article and evidence sentence
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The story's id (from `chipwatch stories` or an event's story_id)
    pub id: i64,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ShowFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// chip_order or export_control
    #[arg(long)]
    pub kind: Option<String>,
    /// First reported on or after this day (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// First reported on or before this day (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
    /// Stories naming this organisation, jurisdiction or product (aliases work: "U.S.")
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    /// Stories reported by at least N sites
    #[arg(long, value_name = "N")]
    pub min_sources: Option<u32>,
    /// Stories whose most confident report has at least this confidence (0 to 1)
    #[arg(long, value_name = "C")]
    pub min_confidence: Option<f64>,
    /// Only stories every source reports second-hand
    #[arg(long, conflicts_with = "no_hedged")]
    pub hedged: bool,
    /// Only stories some source states first-hand
    #[arg(long)]
    pub no_hedged: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: EventFormat,
    /// At most N stories [default: 50 for the table, else all]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only stories with a larger id, oldest first (for incremental consumers)
    #[arg(long, value_name = "N")]
    pub after_id: Option<i64>,
}

pub fn run(config: &Config, args: &StoriesArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(StoriesCommand::Show(show)) => run_show(config, show),
        None => run_list(config, &args.list),
    }
}

/// Stories are regrouped by the next `run` or `reprocess` after an upgrade or a
/// reprocess that was cut short; until then the listing may be incomplete.
fn warn_if_stale(store: &Store) -> anyhow::Result<()> {
    if store.stories_need_rebuild()? {
        tracing::warn!("some events are not grouped into stories yet; the next `chipwatch run` or `chipwatch reprocess` regroups them");
    }
    Ok(())
}

fn run_list(config: &Config, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let kind = kind(args.kind.as_deref())?;
    if args.min_sources == Some(0) {
        return Err(UsageError("--min-sources 0: expected at least 1".into()).into());
    }
    let filter = StoryFilter {
        kind,
        since: day("--since", &args.since)?,
        until: day("--until", &args.until)?,
        entity: entity(config, args.entity.as_deref()),
        min_sources: args.min_sources,
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
    };
    let store = open_existing_store(config)?;
    warn_if_stale(&store)?;
    let stories = store.stories(&filter)?;
    let stdout = std::io::stdout();
    write_stories(&mut stdout.lock(), &stories, args.format, kind)
        .context("cannot write to standard output")?;
    Ok(ExitCode::Success)
}

fn run_show(config: &Config, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let store = open_existing_store(config)?;
    warn_if_stale(&store)?;
    let Some(story) = store.story(args.id)? else {
        return Err(UsageError(format!(
            "no story with id {} (see `chipwatch stories`)",
            args.id
        ))
        .into());
    };
    let mut events = store.stored_events(&EventFilter {
        story_id: Some(story.id),
        ..EventFilter::default()
    })?;
    // Oldest report first: how the story unfolded.
    events.reverse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ShowFormat::Text => write_story_text(&mut out, &story, &events),
        ShowFormat::Json => serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "story": story, "events": events }),
        )
        .map_err(std::io::Error::other)
        .and_then(|()| std::io::Write::write_all(&mut out, b"\n")),
    }
    .context("cannot write to standard output")?;
    Ok(ExitCode::Success)
}
