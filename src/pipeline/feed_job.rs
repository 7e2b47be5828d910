//! One feed in one pass: conditional GET, parse, then each new item through the article
//! job. The feed's health, error class and next fetch time are written back whatever
//! happens. Scheduling: the configured interval is the minimum; a feed's own `<ttl>` /
//! `sy:updatePeriod` may lengthen it (up to `max_backoff_hours`), never shorten it; a
//! failure backs off exponentially, or longer when the server sent `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use tokio::task::JoinSet;
use tracing::{info, instrument, warn, Instrument};

use super::article_job::{article_job, ArticleOutcome, TextOutcome};
use super::pass::{PassContext, PassError};
use super::stages::Stage;
use crate::feed::parse_feed_with_charset;
use crate::fetch::Validators;
use crate::model::{EventKind, FeedState};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct FeedCounts {
    pub articles_new: u64,
    pub articles_skipped_robots: u64,
    pub articles_refused_guard: u64,
    pub articles_lang_unmatched: u64,
    pub events_new_chip_order: u64,
    pub events_new_export_control: u64,
    /// Pages that failed for good at their first attempt.
    pub pages_given_up: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FeedOutcome {
    Fetched(FeedCounts),
    /// A shutdown request stopped the feed before all its items were reached.
    CutShort(FeedCounts),
    NotModified,
    Failed,
}

/// Errors returned from here are the database's; the feed's own failures become
/// [`FeedOutcome::Failed`] after they are recorded.
#[instrument(skip_all, fields(feed = %feed.spec.name))]
pub(super) async fn feed_job(
    ctx: &Arc<PassContext>,
    feed: FeedState,
) -> Result<FeedOutcome, PassError> {
    let validators = Validators {
        etag: feed.etag.clone(),
        last_modified: feed.last_modified.clone(),
    };
    let feed_id = feed.id;
    let max_mins = i64::from(ctx.config.schedule.max_backoff_hours) * 60;

    let fetched = match ctx.fetcher.fetch_feed(&feed.spec.url, &validators).await {
        Ok(f) => f,
        Err(e) => {
            return record_failure(ctx, &feed, &e.to_string(), e.class(), e.retry_after()).await
        }
    };
    if fetched.not_modified {
        let now = Utc::now();
        // A 304 carries no <ttl>: keep the gap chosen at the last fetch, so a feed that
        // asked for a longer interval keeps it.
        let interval =
            ChronoDuration::minutes(previous_gap_mins(&feed).unwrap_or_else(|| {
                effective_interval_mins(feed.spec.interval_mins, None, max_mins)
            }));
        let v = fetched.validators.clone();
        ctx.with_store(move |s| {
            s.record_feed_fetched(
                feed_id,
                now,
                true,
                v.etag.as_deref(),
                v.last_modified.as_deref(),
                now + interval,
            )?;
            s.set_feed_error_class(feed_id, None)
        })
        .await?;
        info!(url = %feed.spec.url, "feed not modified");
        return Ok(FeedOutcome::NotModified);
    }

    let body = fetched.body;
    let charset = fetched.charset.clone();
    let url = feed.spec.url.clone();
    let max_items = ctx.config.schedule.max_items_per_feed;
    let parsed = ctx
        .cpu(Stage::FeedParse, move || {
            parse_feed_with_charset(&body, charset.as_deref(), &url, max_items)
        })
        .await?;
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return record_failure(ctx, &feed, &e.to_string(), "parse", None).await,
    };
    let interval = ChronoDuration::minutes(effective_interval_mins(
        feed.spec.interval_mins,
        parsed.update_interval_mins,
        max_mins,
    ));

    let mut counts = FeedCounts::default();
    // Up to per_host_concurrency articles at once: a feed's pages mostly share a host,
    // and the fetcher's per-host limit and delay keep that host's load as configured.
    let parallel = ctx.config.http.per_host_concurrency.max(1);
    let feed = Arc::new(feed);
    let (parsed_repaired, parsed_skipped) = (parsed.repaired, parsed.skipped);
    let mut items = parsed.items.into_iter();
    let mut running = JoinSet::new();
    let mut cut_short = false;
    loop {
        while running.len() < parallel && items.len() > 0 {
            if ctx.stopping() {
                cut_short = true;
                break;
            }
            let Some(item) = items.next() else { break };
            let (ctx, feed) = (Arc::clone(ctx), Arc::clone(&feed));
            running.spawn(async move { article_job(&ctx, &feed, item).await }.in_current_span());
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let outcome = joined.map_err(|e| {
            PassError::Worker(format!("an article job of feed {}: {e}", feed.spec.name))
        })??;
        tally(&mut counts, outcome);
    }
    if cut_short {
        // Leave the feed's validators and schedule as they were, so the next pass
        // fetches it in full again and picks up the items not reached now.
        info!(url = %feed.spec.url, articles_new = counts.articles_new, "shutdown requested; the rest of the feed waits for the next pass");
        return Ok(FeedOutcome::CutShort(counts));
    }

    let now = Utc::now();
    let v = fetched.validators;
    ctx.with_store(move |s| {
        s.record_feed_fetched(
            feed_id,
            now,
            false,
            v.etag.as_deref(),
            v.last_modified.as_deref(),
            now + interval,
        )?;
        s.set_feed_error_class(feed_id, None)
    })
    .await?;
    // One line per feed: a malformed feed read as far as it goes (`repaired`) and items
    // past max_items_per_feed (`items_ignored`) are noted here, not on lines of their own.
    info!(
        url = %feed.spec.url,
        articles_new = counts.articles_new,
        repaired = parsed_repaired,
        items_ignored = parsed_skipped,
        "feed fetched"
    );
    Ok(FeedOutcome::Fetched(counts))
}

fn tally(counts: &mut FeedCounts, outcome: ArticleOutcome) {
    // Robots and guard refusals count whether or not the feed's text made an article.
    let text_outcome = match &outcome {
        ArticleOutcome::Known => None,
        ArticleOutcome::Unusable { text_outcome } => *text_outcome,
        ArticleOutcome::LanguageNotMatched { text_outcome, .. }
        | ArticleOutcome::Stored { text_outcome, .. } => Some(*text_outcome),
    };
    match text_outcome {
        Some(TextOutcome::RobotsDisallowed) => counts.articles_skipped_robots += 1,
        Some(TextOutcome::GuardRefused) => counts.articles_refused_guard += 1,
        Some(TextOutcome::Page | TextOutcome::FeedFallback) | None => {}
    }
    match outcome {
        ArticleOutcome::Known | ArticleOutcome::Unusable { .. } => {}
        ArticleOutcome::Stored {
            events,
            page_given_up,
            ..
        } => {
            counts.articles_new += 1;
            counts.pages_given_up += u64::from(page_given_up);
            for kind in events {
                match kind {
                    EventKind::ChipOrder => counts.events_new_chip_order += 1,
                    EventKind::ExportControl => counts.events_new_export_control += 1,
                }
            }
        }
        ArticleOutcome::LanguageNotMatched { page_given_up, .. } => {
            counts.articles_new += 1;
            counts.articles_lang_unmatched += 1;
            counts.pages_given_up += u64::from(page_given_up);
        }
    }
}

/// Records the failure and schedules the next attempt with exponential backoff, or
/// after the server's `Retry-After` when that is longer (both capped at
/// `max_backoff_hours`, so a bogus date cannot park a feed for ever).
async fn record_failure(
    ctx: &Arc<PassContext>,
    feed: &FeedState,
    error: &str,
    class: &'static str,
    retry_after: Option<Duration>,
) -> Result<FeedOutcome, PassError> {
    // Error texts quote servers and URLs from the network: no terminal escapes in logs.
    let error: String = error.chars().filter(|c| !c.is_control()).collect();
    let cap = i64::from(ctx.config.schedule.max_backoff_hours) * 60;
    let mut wait = backoff_minutes(
        feed.spec.interval_mins,
        feed.consecutive_failures + 1,
        ctx.config.schedule.max_backoff_hours,
    );
    if let Some(asked) = retry_after {
        let asked_mins = i64::try_from(asked.as_secs().div_ceil(60)).unwrap_or(i64::MAX);
        wait = wait.max(asked_mins.min(cap));
    }
    warn!(url = %feed.spec.url, error = %error, class, retry_in_mins = wait, "feed failed");
    let now = Utc::now();
    let feed_id = feed.id;
    ctx.with_store(move |s| {
        s.record_feed_failure(feed_id, now, &error, now + ChronoDuration::minutes(wait))?;
        s.set_feed_error_class(feed_id, Some(class))
    })
    .await?;
    Ok(FeedOutcome::Failed)
}

/// The configured interval, lengthened (never shortened) by the feed's own update hint,
/// and never beyond `max_mins`.
fn effective_interval_mins(configured: u32, hint: Option<u32>, max_mins: i64) -> i64 {
    let configured = i64::from(configured);
    let hinted = hint.map_or(0, |h| i64::from(h).min(max_mins));
    configured.max(hinted).max(1)
}

/// The gap between the last fetch and the next one that was scheduled after it, when
/// the last fetch succeeded.
fn previous_gap_mins(feed: &FeedState) -> Option<i64> {
    let (last, next): (DateTime<Utc>, DateTime<Utc>) = (feed.last_fetch_at?, feed.next_fetch_at?);
    if feed.consecutive_failures > 0 {
        return None;
    }
    let gap = (next - last).num_minutes();
    (gap >= i64::from(feed.spec.interval_mins)).then_some(gap)
}

/// interval × 2^(failures-1), capped at `max_backoff_hours`.
fn backoff_minutes(interval_mins: u32, failures: u32, max_backoff_hours: u32) -> i64 {
    let cap = i64::from(max_backoff_hours) * 60;
    let factor = 1i64 << failures.saturating_sub(1).min(20);
    (i64::from(interval_mins) * factor).min(cap).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff_minutes(30, 1, 24), 30);
        assert_eq!(backoff_minutes(30, 2, 24), 60);
        assert_eq!(backoff_minutes(30, 3, 24), 120);
        assert_eq!(backoff_minutes(30, 30, 24), 24 * 60);
    }

    #[test]
    fn a_feed_hint_lengthens_but_never_shortens_the_interval() {
        assert_eq!(effective_interval_mins(30, None, 1440), 30);
        assert_eq!(effective_interval_mins(30, Some(5), 1440), 30);
        assert_eq!(effective_interval_mins(30, Some(120), 1440), 120);
        assert_eq!(effective_interval_mins(30, Some(100_000), 1440), 1440);
    }
}
