//! One pass: sync the configured feeds into the database, pick the feeds that are due (or
//! all, or the named ones), run every feed job concurrently within the fetch limits, and
//! record the pass as a `runs` row with its counts. A failing feed is recorded and counted;
//! it never stops the pass.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::feed_job::{feed_job, FeedOutcome};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::model::{FeedState, RunSummary};
use crate::rules::RuleSet;
use crate::store::{Store, StoreError};

/// What the pass should cover.
#[derive(Debug, Clone, Default)]
pub struct PassOptions {
    /// Ignore schedules: fetch every feed.
    pub all: bool,
    /// Only these feeds (by name); empty means no restriction.
    pub feeds: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("no feed named {0:?} (see `chipwatch feeds list`)")]
    UnknownFeed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up HTTP: {0}")]
    Http(String),
    #[error("a worker thread failed: {0}")]
    Worker(String),
}

/// The counts of a completed pass and the feeds that failed in it.
#[derive(Debug, Clone, Default)]
pub struct PassOutcome {
    pub run_id: i64,
    pub summary: RunSummary,
    pub failed_feeds: Vec<String>,
}

/// Shared by every job of a pass.
pub(super) struct PassContext {
    pub config: Config,
    pub rules: Arc<RuleSet>,
    pub fetcher: Fetcher,
    pub store: Arc<Mutex<Store>>,
}

impl PassContext {
    /// Runs a store call on a blocking thread; SQLite must not stall the reactor.
    pub async fn with_store<T, F>(&self, work: F) -> Result<T, PassError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves the connection itself intact.
            let mut guard = store.lock().unwrap_or_else(|e| e.into_inner());
            work(&mut guard)
        })
        .await
        .map_err(|e| PassError::Worker(e.to_string()))?
        .map_err(PassError::from)
    }
}

/// Runs one pass over the feeds and returns its counts.
pub async fn run_pass(
    config: &Config,
    rules: Arc<RuleSet>,
    store: Arc<Mutex<Store>>,
    options: &PassOptions,
) -> Result<PassOutcome, PassError> {
    let started = Instant::now();
    let fetcher = Fetcher::new(&config.http).map_err(|e| PassError::Http(e.to_string()))?;
    let ctx = Arc::new(PassContext {
        config: config.clone(),
        rules,
        fetcher,
        store,
    });

    let specs = config.feeds.clone();
    let now = Utc::now();
    let (run_id, feeds) = ctx
        .with_store(move |store| {
            store.sync_config_feeds(&specs)?;
            let run_id = store.start_run(now)?;
            Ok((run_id, store.feeds()?))
        })
        .await?;

    let selected = select_feeds(feeds, options, now)?;
    info!(feeds = selected.len(), run_id, "pass started");

    let mut jobs = JoinSet::new();
    for feed in selected {
        let ctx = Arc::clone(&ctx);
        jobs.spawn(async move {
            let name = feed.spec.name.clone();
            (name, feed_job(&ctx, feed).await)
        });
    }
    let mut summary = RunSummary::default();
    let mut failed_feeds = Vec::new();
    let mut fatal: Option<PassError> = None;
    while let Some(joined) = jobs.join_next().await {
        match joined {
            Ok((name, Ok(outcome))) => {
                if matches!(outcome, FeedOutcome::Failed) {
                    failed_feeds.push(name);
                }
                add_outcome(&mut summary, &outcome);
            }
            Ok((name, Err(e))) => {
                // A store failure is not the feed's fault: the database is the problem.
                warn!(feed = %name, error = %e, "feed job aborted");
                summary.feeds_failed += 1;
                failed_feeds.push(name);
                fatal.get_or_insert(e);
            }
            Err(e) => fatal = Some(PassError::Worker(e.to_string())),
        }
    }
    let status = if fatal.is_some() {
        "failed"
    } else if summary.feeds_failed > 0 {
        "feeds_failed"
    } else {
        "ok"
    };
    let error_text = fatal.as_ref().map(ToString::to_string);
    let finished = Utc::now();
    let stored = summary.clone();
    ctx.with_store(move |store| {
        store.finish_run(run_id, finished, status, &stored, error_text.as_deref())
    })
    .await?;
    if let Some(e) = fatal {
        return Err(e);
    }
    info!(
        run_id,
        feeds_fetched = summary.feeds_fetched,
        feeds_not_modified = summary.feeds_not_modified,
        feeds_failed = summary.feeds_failed,
        articles_new = summary.articles_new,
        articles_skipped_robots = summary.articles_skipped_robots,
        articles_refused_guard = summary.articles_refused_guard,
        articles_lang_unmatched = summary.articles_lang_unmatched,
        events_new_chip_order = summary.events_new_chip_order,
        events_new_export_control = summary.events_new_export_control,
        duration_ms = started.elapsed().as_millis() as u64,
        "pass finished"
    );
    failed_feeds.sort();
    Ok(PassOutcome {
        run_id,
        summary,
        failed_feeds,
    })
}

fn select_feeds(
    feeds: Vec<FeedState>,
    options: &PassOptions,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<FeedState>, PassError> {
    for name in &options.feeds {
        if !feeds.iter().any(|f| &f.spec.name == name) {
            return Err(PassError::UnknownFeed(name.clone()));
        }
    }
    Ok(feeds
        .into_iter()
        .filter(|f| options.feeds.is_empty() || options.feeds.contains(&f.spec.name))
        .filter(|f| {
            options.all || !options.feeds.is_empty() || f.next_fetch_at.is_none_or(|t| t <= now)
        })
        .collect())
}

fn add_outcome(summary: &mut RunSummary, outcome: &FeedOutcome) {
    match outcome {
        FeedOutcome::NotModified => summary.feeds_not_modified += 1,
        FeedOutcome::Failed => summary.feeds_failed += 1,
        FeedOutcome::Fetched(counts) => {
            summary.feeds_fetched += 1;
            summary.articles_new += counts.articles_new;
            summary.articles_skipped_robots += counts.articles_skipped_robots;
            summary.articles_refused_guard += counts.articles_refused_guard;
            summary.articles_lang_unmatched += counts.articles_lang_unmatched;
            summary.events_new_chip_order += counts.events_new_chip_order;
            summary.events_new_export_control += counts.events_new_export_control;
        }
    }
}
