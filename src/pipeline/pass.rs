//! One pass: sync the configured feeds into the database, pick the feeds that are due (or
//! all, or the named ones) and the pending article pages that are due (those of the named
//! feeds only, when feeds are named), run every feed job and the page retries
//! concurrently within the fetch limits, and record the pass as a `runs` row with its
//! counts. A failing feed is recorded and counted;
//! it never stops the pass. A shutdown request (a signal to `run` or `watch`) gives the
//! jobs in flight [`SHUTDOWN_GRACE`] to finish; what is still running then is dropped
//! between two articles' writes, so the database stays consistent and the next pass picks
//! up the rest. A pass that left work behind is recorded as interrupted. The pass's
//! writes are grouped into batches of [`WRITE_BATCH`] (see `store/batch.rs`), all
//! committed before the alert deliveries that are due go out (see [`super::deliver`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;
use tracing::{debug, info, warn, Instrument};

use super::budget::{run_on_cpu_pool, Budget};
use super::deliver::{deliver_alerts, DeliveryCounts};
use super::feed_job::{feed_job, FeedOutcome};
use super::page_retry::{retry_pages, RetryCounts};
use super::stages::{Stage, StageClock, StageCpu};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::logging::Progress;
use crate::model::{FeedState, RunSummary};
use crate::rules::RuleSet;
use crate::store::{BatchLimits, Store, StoreError};
use crate::stories::AlertFilter;

/// What the pass should cover.
#[derive(Debug, Clone, Default)]
pub struct PassOptions {
    /// Ignore schedules: fetch every feed.
    pub all: bool,
    /// Only these feeds (by name); empty means no restriction.
    pub feeds: Vec<String>,
    /// Becomes `true` when the pass should wrap up (SIGTERM/SIGINT under `watch`).
    pub shutdown: Option<tokio::sync::watch::Receiver<bool>>,
}

/// How long jobs in flight may run on after a shutdown request before they are dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How the pass groups its writes: a transaction per article spent more on the commit
/// and on FTS5's per-transaction index segment than on the article. The age bounds how
/// long another writer (`chipwatch feeds add`) waits for the pass, and how much work a
/// crash throws away (whole articles only, fetched again by the next run).
pub const WRITE_BATCH: BatchLimits = BatchLimits {
    articles: 64,
    age: Duration::from_millis(500),
};

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
    /// A shutdown request cut the pass short: a feed job was dropped, or a feed stopped
    /// before its last item.
    pub interrupted: bool,
    /// CPU time spent in each stage (see [`StageCpu`]).
    pub stage_cpu: StageCpu,
    /// What the alert deliveries after the pass's writes did.
    pub alerts: DeliveryCounts,
}

/// Shared by every job of a pass.
pub(super) struct PassContext {
    pub config: Config,
    pub rules: Arc<RuleSet>,
    pub fetcher: Fetcher,
    pub store: Arc<Mutex<Store>>,
    /// Set when the pass should wrap up; jobs may check it between articles.
    pub shutdown: Option<tokio::sync::watch::Receiver<bool>>,
    /// CPU time per stage, for the pass outcome.
    pub stages: StageClock,
    /// How many feeds, articles and CPU jobs may be in flight at once.
    pub budget: Budget,
}

impl PassContext {
    /// Whether a shutdown was requested (jobs should start nothing new).
    pub fn stopping(&self) -> bool {
        self.shutdown.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Runs a store call on a blocking thread; SQLite must not stall the reactor.
    pub async fn with_store<T, F>(self: &Arc<Self>, work: F) -> Result<T, PassError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let ctx_stages = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves the connection itself intact.
            let mut guard = store.lock().unwrap_or_else(|e| e.into_inner());
            ctx_stages.stages.time(Stage::Store, || work(&mut guard))
        })
        .await
        .map_err(|e| PassError::Worker(e.to_string()))?
        .map_err(PassError::from)
    }

    /// Runs CPU-heavy work (parsing, extraction, matching) on the CPU pool, one thread
    /// per core, and counts its CPU time to `stage`.
    pub async fn cpu<T, F>(self: &Arc<Self>, stage: Stage, work: F) -> Result<T, PassError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let ctx = Arc::clone(self);
        run_on_cpu_pool(move || ctx.stages.time(stage, work))
            .await
            .map_err(PassError::Worker)
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
        shutdown: options.shutdown.clone(),
        stages: StageClock::default(),
        budget: Budget::new(&config.http),
    });

    let specs = config.feeds.clone();
    let now = Utc::now();
    let version = ctx.rules.version().to_string();
    let alert_filters = alert_filters(config, &ctx.rules);
    let feeds = ctx
        .with_store(move |store| {
            // Articles stored without events still record which rules looked at them.
            store.set_rules_version(&version);
            store.set_alert_filters(alert_filters);
            // New events are placed into stories as they are stored; that needs every
            // earlier event placed (after an upgrade, or a reprocess cut short).
            if store.stories_need_rebuild()? {
                let done = store.rebuild_stories()?;
                info!(
                    stories = done.stories,
                    created = done.created,
                    changed = done.changed,
                    removed = done.removed,
                    "regrouped the stories"
                );
            }
            store.sync_config_feeds(&specs)?;
            store.feeds()
        })
        .await?;
    // Before the runs row: `run --feed typo` is a usage error, not a pass left "running".
    let selected = select_feeds(feeds, options, now)?;
    // Pages are retried whether or not their feed is due; `--feed` keeps to its feeds.
    let feed_ids: Option<Vec<i64>> =
        (!options.feeds.is_empty()).then(|| selected.iter().map(|f| f.id).collect());
    let due_pages = ctx
        .with_store(move |store| store.due_pages(now, feed_ids.as_deref()))
        .await?;
    let run_id = ctx
        .with_store(move |store| {
            let run_id = store.start_run(now)?;
            store.begin_batching(WRITE_BATCH);
            Ok(run_id)
        })
        .await?;
    // A batch is committed when full, or by this timer once old enough, so that it is not
    // held open (with the write lock) while the pass waits on the network.
    let batch_timer = {
        let ctx = Arc::clone(&ctx);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WRITE_BATCH.age / 4);
            loop {
                tick.tick().await;
                // A failed commit fails every later write of the pass, which reports it.
                if ctx.with_store(Store::commit_batch_if_due).await.is_err() {
                    break;
                }
            }
        })
    };
    debug!(
        feeds = selected.len(),
        pages_due = due_pages.len(),
        run_id,
        "pass started"
    );
    let progress = Progress::new(
        selected.len() as u64 + u64::from(!due_pages.is_empty()),
        "feeds",
    );

    let mut jobs = JoinSet::new();
    for (turn, feed) in selected.into_iter().enumerate() {
        let ctx = Arc::clone(&ctx);
        jobs.spawn(async move {
            let name = feed.spec.name.clone();
            let _slot = ctx.budget.feed_slot(turn).await;
            (Job::Feed(name), feed_job(&ctx, feed).await.map(Done::Feed))
        });
    }
    if !due_pages.is_empty() {
        let ctx = Arc::clone(&ctx);
        jobs.spawn(async move {
            let span = tracing::info_span!("page_retries");
            let done = retry_pages(&ctx, due_pages).instrument(span).await;
            (Job::PageRetries, done.map(Done::Pages))
        });
    }
    let mut summary = RunSummary::default();
    let mut failed_feeds = Vec::new();
    let mut fatal: Option<PassError> = None;
    let mut shutdown = options.shutdown.clone();
    let mut grace_ends: Option<tokio::time::Instant> = None;
    // Jobs dropped when the grace period ran out, or a feed that stopped between items:
    // either way some work waits for the next pass.
    let mut aborted = false;
    let mut cut_short = false;
    loop {
        let joined = tokio::select! {
            joined = jobs.join_next() => match joined {
                Some(joined) => joined,
                None => break,
            },
            () = shutdown_requested(&mut shutdown), if grace_ends.is_none() => {
                info!(grace_secs = SHUTDOWN_GRACE.as_secs(), "shutdown requested; letting the jobs in flight finish");
                grace_ends = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                continue;
            }
            () = sleep_until(grace_ends), if grace_ends.is_some() && !aborted => {
                warn!(unfinished = jobs.len(), "grace period over; dropping the unfinished feed jobs (the next pass redoes them)");
                jobs.abort_all();
                aborted = true;
                continue;
            }
        };
        progress.inc(1);
        match joined {
            Ok((Job::Feed(name), Ok(Done::Feed(outcome)))) => {
                match outcome {
                    FeedOutcome::Failed => failed_feeds.push(name),
                    // Items were left for the next pass: the pass did not finish its work.
                    FeedOutcome::CutShort(_) => cut_short = true,
                    FeedOutcome::Fetched(_) | FeedOutcome::NotModified => {}
                }
                add_outcome(&mut summary, &outcome);
            }
            Ok((_, Ok(Done::Pages(counts)))) => {
                cut_short |= counts.cut_short;
                add_retries(&mut summary, &counts);
            }
            Ok((Job::PageRetries, Ok(Done::Feed(_)))) => {}
            Ok((Job::PageRetries, Err(e))) => {
                warn!(error = %e, "page retries aborted");
                fatal.get_or_insert(e);
            }
            Ok((Job::Feed(name), Err(e))) => {
                // `feeds remove` (or a config edit synced by another command) may delete a
                // feed whose job is running; its writes then fail, and that is no reason
                // to fail the whole pass.
                let lookup = name.clone();
                let still_there = ctx
                    .with_store(move |s| Ok(s.feeds()?.iter().any(|f| f.spec.name == lookup)))
                    .await
                    .unwrap_or(true);
                if !still_there {
                    warn!(feed = %name, error = %e, "feed was removed during the pass; its job stopped");
                    continue;
                }
                // A store failure is not the feed's fault: the database is the problem.
                warn!(feed = %name, error = %e, "feed job aborted");
                summary.feeds_failed += 1;
                failed_feeds.push(name);
                fatal.get_or_insert(e);
            }
            Err(e) if e.is_cancelled() => {}
            Err(e) => fatal = Some(PassError::Worker(e.to_string())),
        }
        progress.set_message(format!(
            "{} new articles, {} new events",
            summary.articles_new,
            summary.events_new_chip_order + summary.events_new_export_control
        ));
    }
    drop(progress);
    batch_timer.abort();
    if let Err(e) = ctx.with_store(Store::end_batching).await {
        warn!(error = %e, "the pass's last writes were not saved; the next pass redoes them");
        fatal.get_or_insert(e);
    }
    let interrupted = aborted || cut_short;
    // After the pass's writes; a pass stopped early leaves them to the next one.
    let alerts = if fatal.is_none() && !interrupted {
        match deliver_alerts(&ctx).await {
            Ok(counts) => counts,
            Err(e) => {
                warn!(error = %e, "alert delivery aborted");
                fatal.get_or_insert(e);
                DeliveryCounts::default()
            }
        }
    } else {
        DeliveryCounts::default()
    };
    let status = if fatal.is_some() || interrupted {
        "failed"
    } else if summary.feeds_failed > 0 {
        "feeds_failed"
    } else {
        "ok"
    };
    let error_text = fatal.as_ref().map(ToString::to_string).or_else(|| {
        interrupted.then(|| "interrupted: shut down before every feed was done".to_string())
    });
    let finished = Utc::now();
    let stored = summary.clone();
    let failed_by_class = ctx
        .with_store(move |store| {
            store.finish_run(run_id, finished, status, &stored, error_text.as_deref())?;
            store.failed_feeds_by_class(now)
        })
        .await?;
    let failed_by_class = failed_by_class
        .iter()
        .map(|(class, count)| format!("{class}={count}"))
        .collect::<Vec<_>>()
        .join(" ");
    let failed_by_class = if failed_by_class.is_empty() {
        "none".to_string()
    } else {
        failed_by_class
    };
    if let Some(e) = fatal {
        return Err(e);
    }
    info!(
        run_id,
        feeds_fetched = summary.feeds_fetched,
        feeds_not_modified = summary.feeds_not_modified,
        feeds_failed = summary.feeds_failed,
        feeds_failed_by_class = %failed_by_class,
        articles_new = summary.articles_new,
        articles_skipped_robots = summary.articles_skipped_robots,
        articles_refused_guard = summary.articles_refused_guard,
        articles_lang_unmatched = summary.articles_lang_unmatched,
        pages_retried = summary.pages_retried,
        pages_recovered = summary.pages_recovered,
        pages_given_up = summary.pages_given_up,
        events_new_chip_order = summary.events_new_chip_order,
        events_new_export_control = summary.events_new_export_control,
        alerts_delivered = alerts.delivered,
        alerts_failed = alerts.failed,
        duration_ms = started.elapsed().as_millis() as u64,
        status,
        "pass finished"
    );
    failed_feeds.sort();
    Ok(PassOutcome {
        run_id,
        summary,
        failed_feeds,
        interrupted,
        stage_cpu: ctx.stages.totals(),
        alerts,
    })
}

/// The configured alerts as the store applies them, entity names made canonical through
/// the gazetteers (an alert on "U.S." wants United States stories).
fn alert_filters(config: &Config, rules: &RuleSet) -> Vec<(String, AlertFilter)> {
    config
        .alerts
        .iter()
        .map(|alert| {
            let mut filter = alert.filter.clone();
            for entity in &mut filter.entities {
                if let Some(canonical) = rules.canonical_entity(entity) {
                    *entity = canonical;
                }
            }
            (alert.name.clone(), filter)
        })
        .collect()
}

/// Resolves once the shutdown flag is (or becomes) true; never without a flag.
async fn shutdown_requested(shutdown: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match shutdown {
        Some(rx) => {
            if rx.wait_for(|stop| *stop).await.is_err() {
                // The sender is gone: nobody can ask for a shutdown any more.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
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
        FeedOutcome::Fetched(counts) | FeedOutcome::CutShort(counts) => {
            summary.feeds_fetched += 1;
            summary.articles_new += counts.articles_new;
            summary.articles_skipped_robots += counts.articles_skipped_robots;
            summary.articles_refused_guard += counts.articles_refused_guard;
            summary.articles_lang_unmatched += counts.articles_lang_unmatched;
            summary.events_new_chip_order += counts.events_new_chip_order;
            summary.events_new_export_control += counts.events_new_export_control;
            summary.pages_given_up += counts.pages_given_up;
        }
    }
}

fn add_retries(summary: &mut RunSummary, counts: &RetryCounts) {
    summary.pages_retried += counts.retried;
    summary.pages_recovered += counts.recovered;
    summary.pages_given_up += counts.given_up;
    summary.events_new_chip_order += counts.events_new_chip_order;
    summary.events_new_export_control += counts.events_new_export_control;
}

/// What a job of the pass is about.
enum Job {
    Feed(String),
    PageRetries,
}

/// What a job of the pass did.
enum Done {
    Feed(FeedOutcome),
    Pages(RetryCounts),
}
