//! `chipwatch report`: the stories of a period as one self-contained HTML file (a
//! timeline, a table per kind, a summary with the feeds' health), rendered by `report/`
//! from what `store/` reads. The file is written to a temporary file in the same folder
//! and renamed over the old one, so a browser or a web server never reads half a report.
//! `run`, `watch` and `demo` write the configured report through [`refresh`].

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;

use super::events::{day, entity, kind};
use super::{open_existing_store, ExitCode, UsageError};
use crate::config::Config;
use crate::model::{EventKind, RunSummary};
use crate::report::{render, Report, ReportStory};
use crate::store::{Store, StoryFilter};

/// Where `chipwatch report` writes unless `--out` says otherwise.
pub const DEFAULT_REPORT_FILE: &str = "report.html";

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Stories first reported on or after this day (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// Stories first reported on or before this day (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
    /// Only chip_order or export_control
    #[arg(long)]
    pub kind: Option<String>,
    /// Stories naming this organisation, jurisdiction or product (aliases work: "U.S.")
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    /// Stories reported by at least N sites
    #[arg(long, value_name = "N")]
    pub min_sources: Option<u32>,
    /// The HTML file to write; - writes to standard output
    #[arg(long, value_name = "FILE", default_value = DEFAULT_REPORT_FILE)]
    pub out: PathBuf,
}

/// What a report shows: its filter and the same filter described for people.
struct Selection {
    filter: StoryFilter,
    described: Vec<String>,
}

pub fn run(config: &Config, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let kind = kind(args.kind.as_deref())?;
    if args.min_sources == Some(0) {
        return Err(UsageError("--min-sources 0: expected at least 1".into()).into());
    }
    let since = day("--since", &args.since)?;
    let until = day("--until", &args.until)?;
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err(UsageError(format!("--since {s} is after --until {u}")).into());
        }
    }
    let entity = entity(config, args.entity.as_deref());
    let mut described = Vec::new();
    if let Some(kind) = kind {
        described.push(format!("only {}", kind.as_str()));
    }
    if let Some(name) = &entity {
        described.push(format!("naming {name}"));
    }
    if let Some(n) = args.min_sources {
        described.push(format!("reported by at least {n} sites"));
    }
    let selection = Selection {
        filter: StoryFilter {
            kind,
            since,
            until,
            entity,
            min_sources: args.min_sources,
            ..StoryFilter::default()
        },
        described,
    };
    let store = open_existing_store(config)?;
    if store.stories_need_rebuild()? {
        tracing::warn!("some events are not grouped into stories yet; the next `chipwatch run` or `chipwatch reprocess` regroups them");
    }
    let report = gather(&store, &selection, Utc::now())?;
    let html = render(&report);
    if args.out.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        out.write_all(html.as_bytes())
            .and_then(|()| out.flush())
            .context("cannot write to standard output")?;
        return Ok(ExitCode::Success);
    }
    write_atomically(&args.out, &html)?;
    let count = |k: EventKind| {
        report
            .stories
            .iter()
            .filter(|s| s.story.record.kind() == k)
            .count()
    };
    println!(
        "wrote {}: {} chip orders, {} export controls",
        args.out.display(),
        count(EventKind::ChipOrder),
        count(EventKind::ExportControl)
    );
    Ok(ExitCode::Success)
}

/// Reads the stories of `selection` with their articles, and every feed's health as of
/// the end of the period.
fn gather(store: &Store, selection: &Selection, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let filter = &selection.filter;
    let stories = store.stories(filter).context("cannot read the stories")?;
    let ids: Vec<i64> = stories.iter().map(|s| s.id).collect();
    let mut sources = store
        .story_sources(&ids)
        .context("cannot read the articles of the stories")?;
    let period_end = filter
        .until
        .and_then(end_of)
        .map_or(now, |end| end.min(now));
    let feeds = store
        .feed_activity(Some(period_end))
        .context("cannot read the feeds")?;
    Ok(Report {
        generated_at: now,
        since: filter.since,
        until: filter.until,
        filters: selection.described.clone(),
        kind: filter.kind,
        stories: stories
            .into_iter()
            .map(|story| ReportStory {
                sources: sources.remove(&story.id).unwrap_or_default(),
                story,
            })
            .collect(),
        feeds,
    })
}

/// The last second of a day, UTC.
fn end_of(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.and_hms_opt(23, 59, 59).map(|t| t.and_utc())
}

/// Writes `html` to `path` through a temporary file in the same folder and a rename:
/// readers see the old report or the new one, never a part. The new file keeps the old
/// one's permissions (else it is readable by all, like any web page).
pub(crate) fn write_atomically(path: &Path, html: &str) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    let context = || format!("cannot write the report {}", path.display());
    let mut temp = tempfile::Builder::new()
        .prefix(".report-")
        .suffix(".html.tmp")
        .tempfile_in(&folder)
        .with_context(context)?;
    temp.write_all(html.as_bytes()).with_context(context)?;
    temp.as_file().sync_all().with_context(context)?;
    let permissions = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions(),
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
    };
    temp.as_file()
        .set_permissions(permissions)
        .with_context(context)?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(())
}

/// Whether a pass changed what the report shows: a new article or event, a page that
/// came back, or a feed that failed.
pub(crate) fn pass_stored_something(summary: &RunSummary) -> bool {
    summary.articles_new > 0
        || summary.events_new_chip_order > 0
        || summary.events_new_export_control > 0
        || summary.pages_recovered > 0
        || summary.feeds_failed > 0
}

/// Writes the configured report (`[report] path`) of every story after a pass that
/// stored something, or when the file is missing; returns how many stories it shows, or
/// `None` when nothing was written.
pub(crate) fn refresh(
    config: &Config,
    store: &Store,
    summary: &RunSummary,
) -> anyhow::Result<Option<usize>> {
    let Some(path) = &config.report_path else {
        return Ok(None);
    };
    if !pass_stored_something(summary) && path.exists() {
        return Ok(None);
    }
    let selection = Selection {
        filter: StoryFilter::default(),
        described: Vec::new(),
    };
    let report = gather(store, &selection, Utc::now())?;
    write_atomically(path, &render(&report))?;
    tracing::info!(path = %path.display(), stories = report.stories.len(), "report written");
    Ok(Some(report.stories.len()))
}

/// [`refresh`] after a pass of `run` or `watch`: a failure is logged, never fatal (the
/// pass's data is safe in the database, and a later pass writes the report again).
pub(crate) fn refresh_after_pass(config: &Config, store: &Store, summary: &RunSummary) {
    if let Err(e) = refresh(config, store, summary) {
        tracing::warn!(
            path = %config.report_path.as_deref().unwrap_or(Path::new("")).display(),
            error = %format!("{e:#}"),
            "report not written; a later pass writes it again"
        );
    }
}
