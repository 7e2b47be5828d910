//! One feed item: skip it when already stored (linking it to this feed too), else fetch
//! its page (guard, robots.txt, caps), extract the text, fall back to the feed's own
//! content when the page is unavailable or too thin, match the rules, and store the
//! article with its events and its page state in one transaction. A page that failed
//! for a passing reason is stored as pending, for [`super::page_retry`] to fetch again.

use std::sync::Arc;

use chrono::Utc;
use tracing::{debug, instrument};

use super::page_retry::{fetch_page, log_given_up, page_status_after, refused_status, PageFetch};
use super::pass::{PassContext, PassError};
use super::stages::Stage;
use super::{derive_events, log_new_events};
use crate::extract::{fragment_to_text, ExtractedPage, MIN_PAGE_TEXT_CHARS};
use crate::model::{
    Article, EventKind, FeedItem, FeedState, PageState, PageStatus, Published, TextSource,
};
use crate::store::StoreError;

/// How the article's text was obtained, for the pass counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextOutcome {
    Page,
    FeedFallback,
    RobotsDisallowed,
    GuardRefused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ArticleOutcome {
    /// Stored before (by this feed or another).
    Known,
    /// No link, or neither page nor feed gave any text (`text_outcome` says why the page
    /// was not used, when there was a page to try).
    Unusable { text_outcome: Option<TextOutcome> },
    /// Stored, but its language is not one the rule packs cover.
    LanguageNotMatched {
        text_outcome: TextOutcome,
        page_given_up: bool,
    },
    Stored {
        events: Vec<EventKind>,
        text_outcome: TextOutcome,
        /// The page failed for good at its first attempt.
        page_given_up: bool,
    },
}

#[instrument(skip_all, fields(url = item.url.as_deref().unwrap_or("-")))]
pub(super) async fn article_job(
    ctx: &Arc<PassContext>,
    feed: &FeedState,
    item: FeedItem,
) -> Result<ArticleOutcome, PassError> {
    let Some(url) = item.url.clone() else {
        debug!(
            guid = item.guid.as_deref().unwrap_or("-"),
            "item has no http(s) link; skipped"
        );
        return Ok(ArticleOutcome::Unusable { text_outcome: None });
    };
    // Held until the article is stored: bounds the pages in memory across all feeds.
    // The semaphore is never closed; if it were, the job would just run.
    let _slot = ctx.budget.articles.acquire().await;
    let feed_id = feed.id;
    let (lookup_url, lookup_guid) = (url.clone(), item.guid.clone());
    let known = ctx
        .with_store(move |s| {
            let found =
                s.article_id_by_url_or_guid(feed_id, Some(&lookup_url), lookup_guid.as_deref())?;
            if let Some(id) = found {
                s.link_article_to_feed(id, feed_id, lookup_guid.as_deref())?;
            }
            Ok(found)
        })
        .await?;
    if known.is_some() {
        return Ok(ArticleOutcome::Known);
    }

    let (page, page_status, text_outcome) = if feed.spec.fetch_articles {
        first_attempt(ctx, &url).await
    } else {
        (None, None, TextOutcome::FeedFallback)
    };
    // A page that will be retried keeps its article even without any text yet, so the
    // retry has a row to fill in.
    let keep_empty = page_status
        .as_ref()
        .is_some_and(|s| s.state == PageState::Pending);
    let Some(article) = build_article(ctx, &url, &item, page, keep_empty).await? else {
        debug!("neither the page nor the feed item gave any text; not stored");
        return Ok(ArticleOutcome::Unusable {
            text_outcome: Some(text_outcome),
        });
    };
    let text_outcome = match (article.text_source, text_outcome) {
        (TextSource::Feed, TextOutcome::Page) => TextOutcome::FeedFallback,
        (_, outcome) => outcome,
    };

    let rules = Arc::clone(&ctx.rules);
    let (article, events, language_matched) = ctx
        .cpu(Stage::Rules, move || {
            let (events, matched) = derive_events(&rules, &article);
            (article, events, matched)
        })
        .await?;

    let guid = item.guid.clone();
    let page_given_up = page_status
        .as_ref()
        .is_some_and(|s| s.state == PageState::Failed);
    let recorded = page_status.clone();
    let inserted = ctx
        .with_store(move |s| {
            let stored = s.insert_article_with_page(
                Some(feed_id),
                guid.as_deref(),
                &article,
                &events,
                recorded.as_ref(),
            );
            match stored {
                // Another feed's job stored the same article while this one was fetching
                // it (two feeds carrying one story): link it, as if it had been known.
                Err(StoreError::ArticleExists { url }) => {
                    if let Some(id) = s.article_id_by_url_or_guid(feed_id, Some(&url), None)? {
                        s.link_article_to_feed(id, feed_id, guid.as_deref())?;
                    }
                    Ok(None)
                }
                other => other.map(Some),
            }
        })
        .await?;
    let Some((article_id, stored)) = inserted else {
        debug!("stored meanwhile by another feed's job; linked");
        return Ok(ArticleOutcome::Known);
    };
    let kinds: Vec<EventKind> = stored.iter().map(|e| e.kind()).collect();
    debug!(
        article_id,
        events = kinds.len(),
        source = ?text_outcome,
        page = page_status.as_ref().map_or("-", |s| s.state.as_str()),
        "article stored"
    );
    if let Some(status) = page_status.as_ref().filter(|_| page_given_up) {
        log_given_up(status);
    }
    log_new_events(&stored);
    if !language_matched {
        return Ok(ArticleOutcome::LanguageNotMatched {
            text_outcome,
            page_given_up,
        });
    }
    Ok(ArticleOutcome::Stored {
        events: kinds,
        text_outcome,
        page_given_up,
    })
}

/// The first attempt at the page: its extraction (if any), the page state to store, and
/// how the text is obtained.
async fn first_attempt(
    ctx: &Arc<PassContext>,
    url: &str,
) -> (Option<ExtractedPage>, Option<PageStatus>, TextOutcome) {
    match fetch_page(ctx, url).await {
        PageFetch::Page(page) => (Some(page), Some(PageStatus::fetched(1)), TextOutcome::Page),
        PageFetch::Unusable => (
            None,
            Some(PageStatus::fetched(1)),
            TextOutcome::FeedFallback,
        ),
        PageFetch::Refused { class, reason } => {
            let outcome = if class == "robots" {
                TextOutcome::RobotsDisallowed
            } else {
                TextOutcome::GuardRefused
            };
            (None, Some(refused_status(class, &reason, 1)), outcome)
        }
        PageFetch::Failed(error) => {
            let now = Utc::now();
            let status = page_status_after(&error, url, 1, now, now, &ctx.config.schedule);
            (None, Some(status), TextOutcome::FeedFallback)
        }
    }
}

/// Joins page and feed item: page text when there is enough of it, else the feed's own
/// content; metadata from the page first, then the feed item. With neither, no article
/// unless `keep_empty` (its page is to be retried).
async fn build_article(
    ctx: &Arc<PassContext>,
    url: &str,
    item: &FeedItem,
    page: Option<ExtractedPage>,
    keep_empty: bool,
) -> Result<Option<Article>, PassError> {
    let page_is_enough = page
        .as_ref()
        .is_some_and(|p| p.text.chars().count() >= MIN_PAGE_TEXT_CHARS);
    // The feed's own text is read only when the page may not do.
    let feed_text = match item.content.clone() {
        Some(content) if !page_is_enough => {
            ctx.cpu(Stage::Extract, move || fragment_to_text(&content))
                .await?
        }
        _ => String::new(),
    };
    let feed_published = item.published.map(Published::Time);
    let article = match page {
        Some(page) if page_is_enough || feed_text.trim().is_empty() => {
            if page.text.trim().is_empty() {
                return Ok(None);
            }
            Article {
                url: Some(url.to_string()),
                canonical_url: page.canonical_url,
                title: page.title.or_else(|| item.title.clone()),
                published: page.published.or(feed_published),
                author: page.author.or_else(|| item.author.clone()),
                site: page.site,
                lang: page.lang,
                text: page.text,
                text_source: TextSource::Page,
            }
        }
        page => {
            if feed_text.trim().is_empty() && !keep_empty {
                return Ok(None);
            }
            let page = page.unwrap_or_else(empty_page);
            Article {
                url: Some(url.to_string()),
                canonical_url: page.canonical_url,
                title: page.title.or_else(|| item.title.clone()),
                published: page.published.or(feed_published),
                author: page.author.or_else(|| item.author.clone()),
                site: page.site,
                lang: page.lang,
                text: feed_text,
                text_source: TextSource::Feed,
            }
        }
    };
    Ok(Some(article))
}

fn empty_page() -> ExtractedPage {
    ExtractedPage {
        title: None,
        published: None,
        author: None,
        site: None,
        lang: None,
        canonical_url: None,
        text: String::new(),
    }
}
