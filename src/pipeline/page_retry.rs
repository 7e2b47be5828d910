//! Article pages: one attempt at a page and what its outcome means for the article's page
//! state, the retry schedule of pages that failed for a passing reason, and the job that
//! fetches the pending pages that are due. A page that comes back replaces the article's
//! text and metadata, and its events are derived again in the same transaction (events
//! that did not change keep their ids, as in `reprocess`).
//!
//! Schedule: at most `page_retry_attempts` retries within `page_retry_hours` of the first
//! attempt. The first retry is due at once, so the next pass makes it; the second comes
//! [`SECOND_PAGE_RETRY`] after the first attempt, the last at the end of the window, and
//! the others spaced evenly on a log scale between (defaults: the next pass, then 5
//! minutes, 85 minutes and 24 hours after the first attempt). A `Retry-After` on the
//! page's own response pushes its next attempt back; one that reaches past the end of
//! the window fails the page (class `rate_limited`) rather than having it asked again
//! sooner than the server allowed.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use tokio::task::JoinSet;
use tracing::{debug, info, instrument, Instrument};

use super::pass::{PassContext, PassError};
use super::stages::Stage;
use super::{derive_events, log_new_events};
use crate::config::ScheduleConfig;
use crate::extract::{extract_page, ExtractedPage, MIN_PAGE_TEXT_CHARS};
use crate::fetch::{ArticleFetch, FetchError};
use crate::model::{Article, EventKind, PageState, PageStatus, TextSource};
use crate::store::DuePage;

/// How long after a page's first attempt its second retry comes (the first is due at
/// once).
pub const SECOND_PAGE_RETRY: Duration = Duration::from_secs(5 * 60);

/// One attempt at an article page.
pub(super) enum PageFetch {
    /// Fetched and extracted.
    Page(ExtractedPage),
    /// Fetched, but nothing to extract (not HTML, or the extractor failed).
    Unusable,
    /// Not fetched, for good: robots.txt disallows it (`class` `robots`) or the address
    /// guard refused it (`refused`).
    Refused { class: &'static str, reason: String },
    /// The fetch failed; [`page_status_after`] decides whether it is tried again.
    Failed(FetchError),
}

/// Fetches and extracts an article page (guard, robots.txt, caps: see `fetch`).
pub(super) async fn fetch_page(ctx: &Arc<PassContext>, url: &str) -> PageFetch {
    match ctx.fetcher.fetch_article(url).await {
        Ok(ArticleFetch::Fetched(fetched)) => {
            let is_html = fetched.content_type.as_deref().is_none_or(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.contains("html") || ct.contains("xml") || ct.starts_with("text/")
            });
            if !is_html {
                debug!(content_type = ?fetched.content_type, "page is not HTML; using the feed content");
                return PageFetch::Unusable;
            }
            let final_url = fetched.final_url.clone();
            let page = ctx
                .cpu(Stage::Extract, move || {
                    extract_page(&fetched.body, fetched.charset.as_deref(), Some(&final_url))
                })
                .await;
            match page {
                Ok(page) => PageFetch::Page(page),
                Err(e) => {
                    // Per article, so debug (issue 10: info and above are per feed).
                    debug!(error = %e, "extraction failed; using the feed content");
                    PageFetch::Unusable
                }
            }
        }
        Ok(ArticleFetch::DisallowedByRobots) => {
            debug!("robots.txt disallows the page; using the feed content");
            PageFetch::Refused {
                class: "robots",
                reason: "robots.txt disallows it".to_string(),
            }
        }
        Err(FetchError::Refused { reason, .. }) => {
            debug!(
                reason,
                "page refused by the address guard; using the feed content"
            );
            PageFetch::Refused {
                class: "refused",
                reason: format!("refused by the address guard: {reason}"),
            }
        }
        Err(e) => {
            debug!(error = %e, class = e.class(), "page fetch failed; using the feed content");
            PageFetch::Failed(e)
        }
    }
}

/// The page state after a failed attempt (`attempts` made so far, the first at
/// `first_attempt`): pending with its next attempt when the failure is transient and
/// the schedule allows another, else failed.
pub(super) fn page_status_after(
    error: &FetchError,
    url: &str,
    attempts: u32,
    first_attempt: DateTime<Utc>,
    now: DateTime<Utc>,
    schedule: &ScheduleConfig,
) -> PageStatus {
    let next = if error.is_transient() {
        next_attempt(
            attempts,
            first_attempt,
            now,
            error.retry_after(),
            schedule.page_retry_attempts,
            ChronoDuration::hours(i64::from(schedule.page_retry_hours)),
        )
    } else {
        NextAttempt::UsedUp
    };
    // The row names the URL already; the message is the cause alone.
    let message = error.to_string();
    let mut message = message
        .strip_prefix(&format!("{url}: "))
        .unwrap_or(&message)
        .to_string();
    let mut class = error.class();
    if let NextAttempt::AskedBeyondWindow { asked, left } = next {
        message.push_str(&format!(
            "; Retry-After asked for {} s, beyond the {} s left of page_retry_hours",
            asked.as_secs(),
            left.as_secs()
        ));
        // A 503 that asks this much is throttling too.
        class = "rate_limited";
    }
    let next_attempt_at = match next {
        NextAttempt::At(at) => Some(at),
        NextAttempt::UsedUp | NextAttempt::AskedBeyondWindow { .. } => None,
    };
    PageStatus {
        state: if next_attempt_at.is_some() {
            PageState::Pending
        } else {
            PageState::Failed
        },
        attempts,
        next_attempt_at,
        error: Some(message.chars().filter(|c| !c.is_control()).collect()),
        error_class: Some(class.to_string()),
    }
}

/// A page refused for good.
pub(super) fn refused_status(class: &str, reason: &str, attempts: u32) -> PageStatus {
    PageStatus {
        state: PageState::Refused,
        attempts,
        next_attempt_at: None,
        error: Some(reason.chars().filter(|c| !c.is_control()).collect()),
        error_class: Some(class.to_string()),
    }
}

/// Whether and when a page that failed is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NextAttempt {
    At(DateTime<Utc>),
    /// Its retries, or their window, are used up.
    UsedUp,
    /// The server asked (`Retry-After`) to be left alone for longer than what is left
    /// of the window (`left`): asking earlier would ignore it, so the page is given up.
    AskedBeyondWindow {
        asked: Duration,
        left: Duration,
    },
}

/// When a page that failed `attempts` times (its first attempt at `first_attempt`) is
/// tried next. `retry_after` (the server's ask) moves the attempt later, but not past
/// the end of the window: an ask beyond it gives the page up.
pub(super) fn next_attempt(
    attempts: u32,
    first_attempt: DateTime<Utc>,
    now: DateTime<Utc>,
    retry_after: Option<Duration>,
    max_retries: u32,
    window: ChronoDuration,
) -> NextAttempt {
    let retries_done = attempts.saturating_sub(1);
    if retries_done >= max_retries {
        return NextAttempt::UsedUp;
    }
    // Checked: the first attempt is read back from the database, which a person may edit.
    let Some(end) = first_attempt.checked_add_signed(window) else {
        return NextAttempt::UsedUp;
    };
    if now >= end {
        return NextAttempt::UsedUp;
    }
    let planned = first_attempt
        .checked_add_signed(retry_offset(retries_done + 1, max_retries, window))
        .unwrap_or(end);
    let asked = match retry_after {
        Some(wait) => {
            let until = ChronoDuration::from_std(wait)
                .ok()
                .and_then(|wait| now.checked_add_signed(wait));
            match until {
                Some(until) if until <= end => until,
                _ => {
                    return NextAttempt::AskedBeyondWindow {
                        asked: wait,
                        left: (end - now).to_std().unwrap_or_default(),
                    }
                }
            }
        }
        None => now,
    };
    NextAttempt::At(planned.max(asked).max(now).min(end))
}

/// How long after the first attempt retry `k` of `n` (1-based) is due: the first at once
/// (the next pass), the last at the end of the window, the ones between log-spaced from
/// [`SECOND_PAGE_RETRY`], so a blip costs one pass, a short outage minutes, and a long
/// one is still caught.
fn retry_offset(k: u32, n: u32, window: ChronoDuration) -> ChronoDuration {
    if k <= 1 {
        return ChronoDuration::zero();
    }
    if k >= n {
        return window;
    }
    let window_secs = window.num_seconds().max(1) as f64;
    let second_secs = (SECOND_PAGE_RETRY.as_secs() as f64).min(window_secs);
    let share = f64::from(k - 2) / f64::from(n.saturating_sub(2).max(1));
    let secs = second_secs * (window_secs / second_secs).powf(share);
    ChronoDuration::seconds(secs.round() as i64).min(window)
}

/// What retrying the due pages did in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RetryCounts {
    pub retried: u64,
    pub recovered: u64,
    pub given_up: u64,
    pub events_new_chip_order: u64,
    pub events_new_export_control: u64,
    /// A shutdown request left due pages for the next pass.
    pub cut_short: bool,
}

enum RetryOutcome {
    /// The article took the page's text; the kinds of the events new with it.
    Recovered(Vec<EventKind>),
    /// Fetched, but not HTML, not extractable or too thin: the feed's text stays, and
    /// the page is not counted as recovered.
    FetchedNoBetter,
    StillPending,
    GivenUp,
    /// The article was deleted meanwhile.
    Gone,
}

/// Fetches the due pending pages, up to `concurrency` at once (the fetcher's per-host
/// limits still apply). Errors are the database's.
pub(super) async fn retry_pages(
    ctx: &Arc<PassContext>,
    due: Vec<DuePage>,
) -> Result<RetryCounts, PassError> {
    let mut counts = RetryCounts::default();
    let parallel = ctx.config.http.concurrency.max(1);
    let mut pages = due.into_iter();
    let mut running = JoinSet::new();
    loop {
        while running.len() < parallel && pages.len() > 0 {
            if ctx.stopping() {
                counts.cut_short = true;
                break;
            }
            let Some(page) = pages.next() else { break };
            let ctx = Arc::clone(ctx);
            running.spawn(async move { retry_page(&ctx, page).await }.in_current_span());
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let outcome = joined.map_err(|e| PassError::Worker(format!("a page retry: {e}")))??;
        if !matches!(outcome, RetryOutcome::Gone) {
            counts.retried += 1;
        }
        match outcome {
            RetryOutcome::Recovered(kinds) => {
                counts.recovered += 1;
                for kind in kinds {
                    match kind {
                        EventKind::ChipOrder => counts.events_new_chip_order += 1,
                        EventKind::ExportControl => counts.events_new_export_control += 1,
                    }
                }
            }
            RetryOutcome::GivenUp => counts.given_up += 1,
            RetryOutcome::FetchedNoBetter | RetryOutcome::StillPending | RetryOutcome::Gone => {}
        }
    }
    Ok(counts)
}

#[instrument(skip_all, fields(url = %page.url, article_id = page.article_id))]
async fn retry_page(ctx: &Arc<PassContext>, page: DuePage) -> Result<RetryOutcome, PassError> {
    // Pages retried share the pass's article slots with new articles (see `budget`).
    let _slot = ctx.budget.articles.acquire().await;
    let id = page.article_id;
    let attempts = page.attempts.saturating_add(1);
    let status = match fetch_page(ctx, &page.url).await {
        PageFetch::Page(extracted) => return store_recovered(ctx, id, attempts, extracted).await,
        PageFetch::Unusable => PageStatus::fetched(attempts),
        PageFetch::Refused { class, reason } => refused_status(class, &reason, attempts),
        PageFetch::Failed(error) => page_status_after(
            &error,
            &page.url,
            attempts,
            page.first_attempt_at,
            Utc::now(),
            &ctx.config.schedule,
        ),
    };
    let recorded = status.clone();
    if !ctx
        .with_store(move |s| record_if_present(s, id, &recorded))
        .await?
    {
        return Ok(RetryOutcome::Gone);
    }
    Ok(match status.state {
        PageState::Ok => {
            debug!("page came back, no better than the feed's text; kept that");
            RetryOutcome::FetchedNoBetter
        }
        PageState::Pending => {
            debug!(attempts, next_attempt_at = ?status.next_attempt_at, error = status.error.as_deref().unwrap_or("-"), "page still unavailable; tried again later");
            RetryOutcome::StillPending
        }
        PageState::Failed | PageState::Refused => {
            log_given_up(&status);
            RetryOutcome::GivenUp
        }
    })
}

/// Records `status` when the article is still there; false when it is not.
fn record_if_present(
    store: &mut crate::store::Store,
    id: i64,
    status: &PageStatus,
) -> Result<bool, crate::store::StoreError> {
    match store.set_page_status(id, status) {
        Ok(()) => Ok(true),
        Err(crate::store::StoreError::InvalidValue { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The page came back: the article takes its text (when there is enough of it) and
/// metadata, and its events are derived again, all in one transaction.
async fn store_recovered(
    ctx: &Arc<PassContext>,
    id: i64,
    attempts: u32,
    page: ExtractedPage,
) -> Result<RetryOutcome, PassError> {
    let Some(stored) = ctx.with_store(move |s| s.article(id)).await? else {
        return Ok(RetryOutcome::Gone);
    };
    let Some(article) = article_from_page(stored, page) else {
        let status = PageStatus::fetched(attempts);
        if !ctx
            .with_store(move |s| record_if_present(s, id, &status))
            .await?
        {
            return Ok(RetryOutcome::Gone);
        }
        debug!("page came back, no better than the feed's text; kept that");
        return Ok(RetryOutcome::FetchedNoBetter);
    };
    let rules = Arc::clone(&ctx.rules);
    let (article, events) = ctx
        .cpu(Stage::Rules, move || {
            let (events, _) = derive_events(&rules, &article);
            (article, events)
        })
        .await?;
    let version = ctx.rules.version().to_string();
    let replaced = ctx
        .with_store(move |s| s.replace_article_page(id, &article, attempts, &version, &events))
        .await?;
    debug!(
        attempts,
        events_new = replaced.new,
        events_removed = replaced.removed,
        "page came back; the article has its text now"
    );
    log_new_events(&replaced.added);
    if replaced.removed > 0 {
        let kinds: Vec<&str> = replaced.removed_kinds.iter().map(|k| k.as_str()).collect();
        info!(
            removed = replaced.removed,
            kinds = %kinds.join(", "),
            "events removed: the full page does not state what the feed's text did"
        );
    }
    Ok(RetryOutcome::Recovered(replaced.added_kinds))
}

/// The article as its page tells it, when the page has enough text: the page's text and
/// metadata, the stored values where the page has none. `None` when the page's text is
/// under [`MIN_PAGE_TEXT_CHARS`] while the article already has some text (the same test
/// a new article's page passes; the stored text's length is not compared).
fn article_from_page(stored: Article, page: ExtractedPage) -> Option<Article> {
    let enough = page.text.chars().count() >= MIN_PAGE_TEXT_CHARS
        || (stored.text.trim().is_empty() && !page.text.trim().is_empty());
    if !enough {
        return None;
    }
    Some(Article {
        url: stored.url,
        canonical_url: page.canonical_url.or(stored.canonical_url),
        title: page.title.or(stored.title),
        published: page.published.or(stored.published),
        author: page.author.or(stored.author),
        site: page.site.or(stored.site),
        lang: page.lang.or(stored.lang),
        text: page.text,
        text_source: TextSource::Page,
    })
}

/// One info line per page given up: an operator may want to read it by hand.
pub(super) fn log_given_up(status: &PageStatus) {
    info!(
        state = status.state.as_str(),
        attempts = status.attempts,
        class = status.error_class.as_deref().unwrap_or("-"),
        error = status.error.as_deref().unwrap_or("-"),
        "page given up; the article keeps the feed's text"
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + ChronoDuration::minutes(minutes)
    }

    const DAY: ChronoDuration = ChronoDuration::hours(24);

    #[test]
    fn the_first_retry_is_due_at_once_and_the_last_ends_the_window() {
        let first = at(0);
        let mut now = first;
        let mut offsets = Vec::new();
        for attempts in 1..=4 {
            let NextAttempt::At(next) = next_attempt(attempts, first, now, None, 4, DAY) else {
                panic!("attempt {attempts} is retried");
            };
            offsets.push((next - first).num_seconds());
            now = next;
        }
        // The next pass, 5 minutes, 5 min × √288 ≈ 85 minutes, 24 hours.
        assert_eq!(offsets, [0, 300, 5091, 86_400]);
        assert_eq!(
            next_attempt(5, first, now, None, 4, DAY),
            NextAttempt::UsedUp,
            "four retries"
        );
        assert_eq!(
            next_attempt(1, first, first, None, 0, DAY),
            NextAttempt::UsedUp,
            "no retries"
        );
        assert_eq!(
            next_attempt(1, first, first, None, 1, DAY),
            NextAttempt::At(first)
        );
        assert_eq!(
            next_attempt(2, first, first, None, 2, DAY),
            NextAttempt::At(at(24 * 60))
        );
        let eight: Vec<i64> = (2..=8)
            .map(|k| retry_offset(k, 8, DAY).num_minutes())
            .collect();
        assert!(eight.windows(2).all(|w| w[0] < w[1]), "{eight:?}");
        assert_eq!((eight[0], eight[6]), (5, 1440));
    }

    #[test]
    fn retry_after_pushes_the_attempt_back_within_the_window() {
        let first = at(0);
        let asked = |secs| Some(Duration::from_secs(secs));
        assert_eq!(
            next_attempt(1, first, first, asked(120), 4, DAY),
            NextAttempt::At(first + ChronoDuration::seconds(120))
        );
        // A shorter ask than the schedule's own gap changes nothing.
        assert_eq!(
            next_attempt(2, first, first, asked(60), 4, DAY),
            NextAttempt::At(at(5))
        );
        assert_eq!(
            next_attempt(1, first, first, asked(3600), 4, DAY),
            NextAttempt::At(at(60))
        );
        // Up to the very end of the window is still a retry.
        assert_eq!(
            next_attempt(1, first, first, asked(24 * 3600), 4, DAY),
            NextAttempt::At(at(24 * 60))
        );
    }

    /// See: review of issue 10, M3 — a huge ask used to be cut to the end of the window,
    /// so the page was asked again long before the server allowed.
    #[test]
    fn a_retry_after_past_the_window_gives_the_page_up() {
        let first = at(0);
        let now = at(60);
        for huge in [24 * 3600, 7 * 24 * 3600, u64::MAX] {
            assert_eq!(
                next_attempt(2, first, now, Some(Duration::from_secs(huge)), 4, DAY),
                NextAttempt::AskedBeyondWindow {
                    asked: Duration::from_secs(huge),
                    left: Duration::from_secs(23 * 3600)
                },
                "{huge}"
            );
        }
        // Retries used up say so, whatever was asked.
        assert_eq!(
            next_attempt(5, first, now, Some(Duration::from_secs(u64::MAX)), 4, DAY),
            NextAttempt::UsedUp
        );
        let schedule = ScheduleConfig::default();
        let url = "https://news.example/a";
        for status in [429, 503] {
            let error = FetchError::Status {
                url: url.to_string(),
                status,
                retry_after: Some(2 * 24 * 3600),
            };
            let page = page_status_after(&error, url, 1, first, first, &schedule);
            assert_eq!(page.state, PageState::Failed, "{status}");
            assert_eq!(page.next_attempt_at, None);
            assert_eq!(page.error_class.as_deref(), Some("rate_limited"));
            assert_eq!(
                page.error.as_deref(),
                Some(
                    format!(
                        "HTTP status {status}; Retry-After asked for 172800 s, beyond the \
                         86400 s left of page_retry_hours"
                    )
                    .as_str()
                )
            );
        }
    }

    #[test]
    fn permanent_failures_are_not_retried_and_transient_ones_are() {
        let schedule = ScheduleConfig::default();
        let url = "https://news.example/a";
        let status = |status: u16, retry_after| FetchError::Status {
            url: url.to_string(),
            status,
            retry_after,
        };
        for permanent in [404, 410, 403, 400] {
            let page = page_status_after(&status(permanent, None), url, 1, at(0), at(0), &schedule);
            assert_eq!(page.state, PageState::Failed, "{permanent}");
            assert_eq!(page.next_attempt_at, None);
        }
        let too_large = FetchError::TooLarge {
            url: url.to_string(),
            limit: 10,
        };
        assert_eq!(
            page_status_after(&too_large, url, 1, at(0), at(0), &schedule).state,
            PageState::Failed
        );
        let throttled = page_status_after(&status(429, Some(600)), url, 1, at(0), at(0), &schedule);
        assert_eq!(throttled.state, PageState::Pending);
        assert_eq!(throttled.next_attempt_at, Some(at(10)));
        assert_eq!(throttled.error.as_deref(), Some("HTTP status 429"));
        assert_eq!(throttled.error_class.as_deref(), Some("rate_limited"));
        let reset = FetchError::Transport {
            url: url.to_string(),
            message: "connection reset".into(),
            transient: true,
        };
        assert_eq!(
            page_status_after(&reset, url, 1, at(0), at(0), &schedule).state,
            PageState::Pending
        );
        assert_eq!(
            page_status_after(&reset, url, 5, at(0), at(300), &schedule).state,
            PageState::Failed,
            "retries used up"
        );
    }
}
